using System;
using System.Collections.Generic;
using System.Collections.Immutable;
using System.Composition;
using System.Linq;
using System.Threading;
using System.Threading.Tasks;
using CacheGuard.Analyzers;
using CacheGuard.Analyzers.Rules;
using Microsoft.CodeAnalysis;
using Microsoft.CodeAnalysis.CodeActions;
using Microsoft.CodeAnalysis.CodeFixes;
using Microsoft.CodeAnalysis.CSharp;
using Microsoft.CodeAnalysis.CSharp.Syntax;
using Microsoft.CodeAnalysis.Simplification;

namespace CacheGuard.CodeFixes;

/// <summary>
/// CG0003: after the create path's last database write, invalidates the negative-cached key
/// rebuilt from the created entity (<c>await _cache.InvalidateAsync("author:" + author.Handle);</c>).
/// Without CacheGuard.Runtime a Redis negative entry is deleted with the key's own
/// <c>KeyDelete(Async)</c>; an IDistributedCache / IMemoryCache / HybridCache one with its cache's
/// <c>Remove(Async)</c>. Works only on the create method's own document: the analyzer passes the rebuilt keys.
/// </summary>
[ExportCodeFixProvider(LanguageNames.CSharp, Name = nameof(CreatePathMissingInvalidationCodeFix)), Shared]
public sealed class CreatePathMissingInvalidationCodeFix : CodeFixProvider
{
    private const string Title = "Invalidate the negative-cache entry after the insert";
    private const string FamilyTitle = "Remove the negative-cache entry after the insert";
    private const string RedisTitle = "Delete the negative-cache entry after the insert (KeyDelete)";

    public override ImmutableArray<string> FixableDiagnosticIds { get; } = ImmutableArray.Create(RuleIds.CreatePathMissingInvalidation);

    public override FixAllProvider GetFixAllProvider() => WellKnownFixAllProviders.BatchFixer;

    public override async Task RegisterCodeFixesAsync(CodeFixContext context)
    {
        var root = await context.Document.GetSyntaxRootAsync(context.CancellationToken).ConfigureAwait(false);
        var semanticModel = await context.Document.GetSemanticModelAsync(context.CancellationToken).ConfigureAwait(false);
        if (root is null || semanticModel is null)
            return;
        var runtime = RuntimeSyntax.HasRuntimeType(semanticModel.Compilation, "CacheGuardDatabaseExtensions");

        foreach (var diagnostic in context.Diagnostics)
        {
            if (!diagnostic.Properties.TryGetValue(CreatePathMissingInvalidationAnalyzer.KeysProperty, out var keys) || string.IsNullOrEmpty(keys)
                || !diagnostic.Properties.TryGetValue(CreatePathMissingInvalidationAnalyzer.DatabaseProperty, out var database) || string.IsNullOrEmpty(database)
                || diagnostic.AdditionalLocations.Count != 1
                || diagnostic.AdditionalLocations[0].SourceTree != root.SyntaxTree)
            {
                continue;
            }
            var isAsync = diagnostic.Properties.TryGetValue(CreatePathMissingInvalidationAnalyzer.AsyncProperty, out var a) && a == "true";
            // The negative entry's own family: IDistributedCache / IMemoryCache / HybridCache remove it
            // with their own Remove(Async), no runtime needed; a Redis key needs the runtime's invalidation.
            var family = diagnostic.Properties.TryGetValue(CreatePathMissingInvalidationAnalyzer.FamilyProperty, out var fam) ? fam : null;
            // Without the runtime a Redis negative entry is a plain StringSet at the key (the runtime's own
            // negatives, kept beside the key, exist only with the runtime): the key's own KeyDelete(Async) removes it.
            var rawDelete = family is null && !runtime;
            if (root.FindNode(diagnostic.AdditionalLocations[0].SourceSpan) is not StatementSyntax { Parent: BlockSyntax } anchor
                || anchor.Span != diagnostic.AdditionalLocations[0].SourceSpan
                || anchor.ContainsDiagnostics)
            {
                continue;
            }

            var statements = rawDelete
                ? BuildFamily(keys!.Split('\n'), database!, "Redis", isAsync, anchor, semanticModel, context.CancellationToken)
                : family is null
                ? Build(keys!.Split('\n'), database!, isAsync, anchor, semanticModel, context.CancellationToken)
                : BuildFamily(keys!.Split('\n'), database!, family, isAsync, anchor, semanticModel, context.CancellationToken);
            if (statements is null)
                continue;
            var title = rawDelete ? RedisTitle : family is null ? Title : FamilyTitle;
            context.RegisterCodeFix(
                CodeAction.Create(title, ct => InsertAsync(context.Document, anchor, statements.Value, needsRuntime: family is null && !rawDelete, ct), equivalenceKey: nameof(CreatePathMissingInvalidationCodeFix)),
                diagnostic);
        }
    }

    /// <summary>
    /// The family's removal of each key (<c>await cache.RemoveAsync(key);</c>, <c>cache.Remove(key);</c>),
    /// or null when one would not bind at the insertion point or the family has no removal for this method
    /// (HybridCache in a synchronous method).
    /// </summary>
    private static ImmutableArray<StatementSyntax>? BuildFamily(string[] keys, string cache, string family, bool isAsync, StatementSyntax anchor, SemanticModel semanticModel, CancellationToken cancellationToken)
    {
        var useAsync = family switch
        {
            "Redis" or "Distributed" => isAsync,
            "Memory" => false,
            "Hybrid" when isAsync => true,
            _ => (bool?)null,
        };
        if (useAsync is not { } awaitIt)
            return null;
        var (leading, trailing) = Layout(anchor, cancellationToken);
        var builder = ImmutableArray.CreateBuilder<StatementSyntax>();
        foreach (var key in keys)
        {
            var redis = family == "Redis";
            var remove = redis ? (awaitIt ? "KeyDeleteAsync" : "KeyDelete") : awaitIt ? "RemoveAsync" : "Remove";
            var call = $"{cache}.{remove}({key})";
            var check = SyntaxFactory.ParseExpression(call);
            if (check.ContainsDiagnostics
                || semanticModel.GetSpeculativeSymbolInfo(anchor.SpanStart, check, SpeculativeBindingOption.BindAsExpression).Symbol is not IMethodSymbol method
                || (redis
                    ? method.ContainingType?.ToDisplayString() is not ("StackExchange.Redis.IDatabase" or "StackExchange.Redis.IDatabaseAsync")
                    : method.ContainingNamespace?.ToDisplayString() is not ("Microsoft.Extensions.Caching.Distributed" or "Microsoft.Extensions.Caching.Memory" or "Microsoft.Extensions.Caching.Hybrid")))
            {
                return null;
            }
            cancellationToken.ThrowIfCancellationRequested();
            var statement = SyntaxFactory.ParseStatement(awaitIt ? $"await {call};" : $"{call};");
            if (statement.ContainsDiagnostics)
                return null;
            builder.Add(statement
                .ReplaceNodes(
                    statement.DescendantNodes().OfType<AliasQualifiedNameSyntax>(),
                    (_, name) => name.WithAdditionalAnnotations(Simplifier.Annotation, Simplifier.AddImportsAnnotation))
                .WithLeadingTrivia(leading)
                .WithTrailingTrivia(trailing));
        }
        return builder.ToImmutable();
    }

    /// <summary>On its own line with the anchor's indentation, or on the anchor's line when it shares one ({ a; }).</summary>
    private static (SyntaxTriviaList Leading, SyntaxTriviaList Trailing) Layout(StatementSyntax anchor, CancellationToken cancellationToken)
    {
        var endsLine = anchor.GetTrailingTrivia().Any(t => t.IsKind(SyntaxKind.EndOfLineTrivia));
        var indentation = anchor.GetLeadingTrivia().Where(t => t.IsKind(SyntaxKind.WhitespaceTrivia)).LastOrDefault();
        var leading = endsLine && indentation.IsKind(SyntaxKind.WhitespaceTrivia) ? SyntaxFactory.TriviaList(indentation) : SyntaxFactory.TriviaList();
        var trailing = endsLine ? SyntaxFactory.TriviaList(EndOfLine(anchor.SyntaxTree.GetRoot(cancellationToken))) : SyntaxFactory.TriviaList(SyntaxFactory.Space);
        return (leading, trailing);
    }

    /// <summary>The invalidation statements, or null when any of them would not bind at the insertion point.</summary>
    private static ImmutableArray<StatementSyntax>? Build(string[] keys, string database, bool isAsync, StatementSyntax anchor, SemanticModel semanticModel, CancellationToken cancellationToken)
    {
        var builder = ImmutableArray.CreateBuilder<StatementSyntax>();
        // On its own line with the anchor's indentation, or on the anchor's line when it shares one ({ a; }).
        var endsLine = anchor.GetTrailingTrivia().Any(t => t.IsKind(SyntaxKind.EndOfLineTrivia));
        var indentation = anchor.GetLeadingTrivia().Where(t => t.IsKind(SyntaxKind.WhitespaceTrivia)).LastOrDefault();
        var leading = endsLine && indentation.IsKind(SyntaxKind.WhitespaceTrivia) ? SyntaxFactory.TriviaList(indentation) : SyntaxFactory.TriviaList();
        var trailing = endsLine ? SyntaxFactory.TriviaList(EndOfLine(anchor.SyntaxTree.GetRoot(cancellationToken))) : SyntaxFactory.TriviaList(SyntaxFactory.Space);
        foreach (var key in keys)
        {
            // Validate with the static form (binds without the using directive the fix adds).
            var check = SyntaxFactory.ParseExpression($"global::CacheGuard.CacheGuardDatabaseExtensions.{(isAsync ? "InvalidateAsync" : "Invalidate")}({database}, {key})");
            if (check.ContainsDiagnostics)
                return null;
            var symbol = semanticModel.GetSpeculativeSymbolInfo(anchor.SpanStart, check, SpeculativeBindingOption.BindAsExpression).Symbol;
            if (symbol is not IMethodSymbol)
                return null;
            cancellationToken.ThrowIfCancellationRequested();

            var text = isAsync ? $"await {database}.InvalidateAsync({key});" : $"{database}.Invalidate({key});";
            var statement = SyntaxFactory.ParseStatement(text);
            if (statement.ContainsDiagnostics)
                return null;
            // A key-builder call is written fully qualified: simplified, with its using added.
            statement = statement.ReplaceNodes(
                    statement.DescendantNodes().OfType<AliasQualifiedNameSyntax>(),
                    (_, name) => name.WithAdditionalAnnotations(Simplifier.Annotation, Simplifier.AddImportsAnnotation))
                .WithLeadingTrivia(leading)
                .WithTrailingTrivia(trailing);
            builder.Add(statement);
        }
        return builder.ToImmutable();
    }

    private static async Task<Document> InsertAsync(Document document, StatementSyntax anchor, ImmutableArray<StatementSyntax> statements, bool needsRuntime, CancellationToken cancellationToken)
    {
        var root = await document.GetSyntaxRootAsync(cancellationToken).ConfigureAwait(false);
        if (root is null)
            return document;
        var updated = root.InsertNodesAfter(anchor, statements);
        if (needsRuntime && updated is CompilationUnitSyntax unit)
            updated = AddRuntimeUsing(unit, EndOfLine(root));
        return await RuntimeSyntax.AddImportsAsync(document.WithSyntaxRoot(updated), cancellationToken).ConfigureAwait(false);
    }

    /// <summary>
    /// Adds <c>using CacheGuard;</c> (the extension methods need it) among the file's usings, in the
    /// order the IDE keeps them: System first, then alphabetical.
    /// </summary>
    private static CompilationUnitSyntax AddRuntimeUsing(CompilationUnitSyntax unit, SyntaxTrivia endOfLine)
    {
        bool IsRuntime(UsingDirectiveSyntax u) => u.Alias is null && u.StaticKeyword.IsKind(SyntaxKind.None) && u.Name?.ToString() == RuntimeSyntax.RuntimeNamespace;
        if (unit.Usings.Any(IsRuntime)
            || unit.Members.OfType<BaseNamespaceDeclarationSyntax>().Any(n => n.Usings.Any(IsRuntime) || n.Name.ToString() == RuntimeSyntax.RuntimeNamespace || n.Name.ToString().StartsWith(RuntimeSyntax.RuntimeNamespace + ".", StringComparison.Ordinal)))
        {
            return unit;
        }

        var directive = SyntaxFactory.UsingDirective(SyntaxFactory.ParseName(RuntimeSyntax.RuntimeNamespace))
            .WithTrailingTrivia(endOfLine);
        var usings = unit.Usings;
        var index = 0;
        while (index < usings.Count && ComesBefore(usings[index], RuntimeSyntax.RuntimeNamespace))
            index++;
        if (usings.Count == 0)
            return unit.WithUsings(SyntaxFactory.SingletonList(directive.WithTrailingTrivia(endOfLine, endOfLine)));
        if (index == 0)
        {
            // Keep the file's leading trivia (header comments) on the first line.
            var first = usings[0];
            directive = directive.WithLeadingTrivia(first.GetLeadingTrivia());
            usings = usings.Replace(first, first.WithLeadingTrivia());
        }
        return unit.WithUsings(usings.Insert(index, directive));
    }

    /// <summary>The document's own line ending.</summary>
    private static SyntaxTrivia EndOfLine(SyntaxNode root)
    {
        foreach (var trivia in root.DescendantTrivia())
        {
            if (trivia.IsKind(SyntaxKind.EndOfLineTrivia))
                return trivia;
        }
        return SyntaxFactory.CarriageReturnLineFeed;
    }

    private static bool ComesBefore(UsingDirectiveSyntax existing, string name)
    {
        if (existing.Alias is not null || !existing.StaticKeyword.IsKind(SyntaxKind.None) || existing.Name is null)
            return false;
        var other = existing.Name.ToString();
        var otherSystem = other == "System" || other.StartsWith("System.", StringComparison.Ordinal);
        if (otherSystem)
            return true;
        return string.Compare(other, name, StringComparison.OrdinalIgnoreCase) < 0;
    }
}
