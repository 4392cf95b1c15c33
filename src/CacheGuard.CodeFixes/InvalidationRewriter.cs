using System.Collections.Generic;
using System.Collections.Immutable;
using System.Linq;
using System.Threading;
using System.Threading.Tasks;
using CacheGuard.Analyzers.Model;
using Microsoft.CodeAnalysis;
using Microsoft.CodeAnalysis.CodeFixes;
using Microsoft.CodeAnalysis.CSharp;
using Microsoft.CodeAnalysis.CSharp.Syntax;
using Microsoft.CodeAnalysis.Editing;
using Microsoft.CodeAnalysis.Text;

namespace CacheGuard.CodeFixes;

/// <summary>
/// Rewrites a cache statement into the runtime's invalidation of its key after the last database
/// write, following the <see cref="InvalidationPlan"/> the analyzer put in the diagnostic (CG0002,
/// CG0006). Edits of one document are applied together, so Fix All inserts every invalidation
/// after its write in source order. Without CacheGuard.Runtime the invalidation is the database's
/// own <c>KeyDelete(Async)(key)</c> (StackExchange.Redis), at the same place.
/// </summary>
internal static class InvalidationRewriter
{
    private const string ExtensionsType = "CacheGuardDatabaseExtensions";

    /// <summary>One statement's rewrite: remove or replace <see cref="Statement"/>; for a move, insert after <see cref="Anchor"/>.</summary>
    private sealed class Edit
    {
        public Edit(StatementSyntax statement, StatementSyntax? anchor, StatementSyntax replacement, bool needsImport)
        {
            Statement = statement;
            Anchor = anchor;
            Replacement = replacement;
            NeedsImport = needsImport;
        }

        public StatementSyntax Statement { get; }
        public StatementSyntax? Anchor { get; }
        public StatementSyntax Replacement { get; }
        public bool NeedsImport { get; }
    }

    /// <summary>True when the fix's invalidation is the runtime's (it is referenced), false for a plain <c>KeyDelete</c>.</summary>
    public static bool UsesRuntime(Compilation compilation) => RuntimeSyntax.HasRuntimeType(compilation, ExtensionsType);

    /// <summary>True when the diagnostic carries a plan the rewrite can follow in this document.</summary>
    public static bool CanFix(SyntaxNode root, SemanticModel semanticModel, Diagnostic diagnostic) =>
        TryCreateEdit(root, semanticModel, UsesRuntime(semanticModel.Compilation), diagnostic) is not null;

    /// <summary>An IDistributedCache / IMemoryCache / HybridCache plan: the family's own Remove(Async), no runtime.</summary>
    public static bool IsFamilyPlan(Diagnostic diagnostic) =>
        diagnostic.Properties.TryGetValue(InvalidationPlan.FamilyProperty, out var family) && family is not null;

    public static Task<Document> FixAsync(Document document, IEnumerable<Diagnostic> diagnostics, CancellationToken cancellationToken) =>
        DocumentBatchFix.ApplyAsync(document, diagnostics, PlanEdit, e => e.Statement, ApplyAsync, cancellationToken);

    /// <summary>The Fix All of CG0002 and CG0006: a document's edits interact (several invalidations after one write), so they are applied together.</summary>
    public static FixAllProvider FixAll { get; } = DocumentBatchFix.Provider<Edit>(PlanEdit, e => e.Statement, ApplyAsync);

    private static Edit? PlanEdit(SyntaxNode root, SemanticModel model, Diagnostic diagnostic, CancellationToken cancellationToken) =>
        TryCreateEdit(root, model, UsesRuntime(model.Compilation), diagnostic);

    private static async Task<Document> ApplyAsync(Document document, SyntaxNode root, SemanticModel model, IReadOnlyList<Edit> edits, CancellationToken cancellationToken)
    {
        var editor = await DocumentEditor.CreateAsync(document, cancellationToken).ConfigureAwait(false);
        var edited = new HashSet<StatementSyntax>(edits.Select(e => e.Statement));
        var inserts = new Dictionary<StatementSyntax, (StatementSyntax After, List<StatementSyntax> Present, List<StatementSyntax> New)>();
        foreach (var edit in edits)
        {
            if (edit.Anchor is null)
            {
                editor.ReplaceNode(edit.Statement, edit.Replacement);
                continue;
            }
            editor.RemoveNode(edit.Statement, SyntaxRemoveOptions.KeepNoTrivia);
            if (!inserts.TryGetValue(edit.Anchor, out var target))
                inserts.Add(edit.Anchor, target = InsertionPoint(edit.Anchor, edited));
            // After the invalidations already there, in order; the same key invalidated twice after one write is once too many.
            if (!target.Present.Concat(target.New).Any(s => s.IsEquivalentTo(edit.Replacement, topLevel: false)))
                target.New.Add(edit.Replacement);
        }
        foreach (var target in inserts.Values)
        {
            if (target.New.Count > 0)
                editor.InsertAfter(target.After, target.New);
        }

        var changed = editor.GetChangedDocument();
        if (!edits.Any(e => e.NeedsImport))
            return changed;
        if (!model.LookupNamespacesAndTypes(edits[0].Statement.SpanStart, name: ExtensionsType).IsEmpty)
            return changed; // `using CacheGuard;` (or a global using) already in scope
        var changedRoot = await changed.GetSyntaxRootAsync(cancellationToken).ConfigureAwait(false);
        return changedRoot is CompilationUnitSyntax unit ? changed.WithSyntaxRoot(AddRuntimeUsing(unit)) : changed;
    }

    /// <summary>The anchor, or the last of the runtime invalidations that directly follow it (and that no edit touches).</summary>
    private static (StatementSyntax After, List<StatementSyntax> Present, List<StatementSyntax> New) InsertionPoint(StatementSyntax anchor, HashSet<StatementSyntax> edited)
    {
        var after = anchor;
        var present = new List<StatementSyntax>();
        if (anchor.Parent is BlockSyntax block)
        {
            for (var i = block.Statements.IndexOf(anchor) + 1; i < block.Statements.Count; i++)
            {
                var next = block.Statements[i];
                if (edited.Contains(next) || !IsRuntimeInvalidation(next))
                    break;
                present.Add(next);
                after = next;
            }
        }
        return (after, present, new List<StatementSyntax>());
    }

    private static bool IsRuntimeInvalidation(StatementSyntax statement)
    {
        if (statement is not ExpressionStatementSyntax { Expression: var expression })
            return false;
        if (expression is AwaitExpressionSyntax awaited)
            expression = awaited.Expression;
        if (expression is InvocationExpressionSyntax { Expression: MemberAccessExpressionSyntax { Name.Identifier.ValueText: "ConfigureAwait", Expression: var configured } })
            expression = configured;
        return expression is InvocationExpressionSyntax { Expression: MemberAccessExpressionSyntax { Name.Identifier.ValueText: "Invalidate" or "InvalidateAsync" or "KeyDelete" or "KeyDeleteAsync" or "Remove" or "RemoveAsync" } };
    }

    private static Edit? TryCreateEdit(SyntaxNode root, SemanticModel model, bool runtime, Diagnostic diagnostic)
    {
        var properties = diagnostic.Properties;
        if (!properties.TryGetValue(InvalidationPlan.PlacementProperty, out var placement)
            || !InvalidationPlan.TryParseSpan(properties.TryGetValue(InvalidationPlan.KeySpanProperty, out var k) ? k : null, out var keySpan)
            || !Within(root, diagnostic.Location.SourceSpan) || !Within(root, keySpan))
        {
            return null;
        }

        if (root.FindNode(diagnostic.Location.SourceSpan, getInnermostNodeForTie: true) is not { } node
            || node.FirstAncestorOrSelf<InvocationExpressionSyntax>() is not { Expression: MemberAccessExpressionSyntax access } invocation
            || invocation.Span != diagnostic.Location.SourceSpan
            || invocation.FirstAncestorOrSelf<StatementSyntax>() is not { } statement
            || statement is not (ExpressionStatementSyntax or ReturnStatementSyntax))
        {
            return null;
        }
        var returns = properties.TryGetValue(InvalidationPlan.ReturnProperty, out var r) && r == "true";
        if (returns != statement is ReturnStatementSyntax)
            return null;
        var keyNode = root.FindNode(keySpan, getInnermostNodeForTie: true);
        var key = keyNode as ExpressionSyntax ?? (keyNode as ArgumentSyntax)?.Expression;
        if (key is null || !invocation.ArgumentList.Span.Contains(key.Span))
            return null;

        StatementSyntax? anchor = null;
        if (placement == nameof(InvalidationPlacement.Move))
        {
            if (!InvalidationPlan.TryParseSpan(properties.TryGetValue(InvalidationPlan.AnchorSpanProperty, out var a) ? a : null, out var anchorSpan)
                || !Within(root, anchorSpan))
            {
                return null;
            }
            anchor = root.FindNode(anchorSpan) as StatementSyntax;
            if (anchor is null || anchor.Span != anchorSpan || anchor.Parent != statement.Parent)
                return null;
        }
        else if (placement != nameof(InvalidationPlacement.Replace))
        {
            return null;
        }

        var asIs = properties.TryGetValue(InvalidationPlan.AsIsProperty, out var asIsValue) && asIsValue == "true";
        var await = properties.TryGetValue(InvalidationPlan.AwaitProperty, out var aw) && aw == "true";
        properties.TryGetValue(InvalidationPlan.FamilyProperty, out var family);
        string method;
        if (family is not null)
        {
            // IDistributedCache / IMemoryCache / HybridCache: the family's own removal, no runtime.
            var removeName = family switch
            {
                InvalidationPlan.MemoryFamily => "Remove",
                _ when returns || await => "RemoveAsync",
                InvalidationPlan.DistributedFamily => "Remove",
                _ => null,
            };
            if (removeName is null && !asIs)
                return null;
            method = removeName ?? "";
        }
        else
        {
            // StackExchange.Redis: the runtime's fenced invalidation, or without it the database's own delete.
            if (!asIs && !runtime && !IsRedisDatabase(model, access.Expression))
                return null;
            method = runtime
                ? (returns || await ? "InvalidateAsync" : "Invalidate")
                : (returns || await ? "KeyDeleteAsync" : "KeyDelete");
            if (!asIs && !runtime && !BindsToKeyDelete(model, invocation, access.Expression, key, method))
                return null;
        }
        var replacement = asIs
            ? statement
            : returns
            ? SyntaxFactory.ReturnStatement(
                    SyntaxFactory.Token(SyntaxTriviaList.Empty, SyntaxKind.ReturnKeyword, SyntaxFactory.TriviaList(SyntaxFactory.Space)),
                    InvalidationCall(access.Expression, key, method),
                    SyntaxFactory.Token(SyntaxKind.SemicolonToken))
                .WithTriviaFrom(statement)
            : Invalidation(
                access.Expression,
                key,
                method,
                await,
                configureAwait: properties.TryGetValue(InvalidationPlan.ConfigureAwaitProperty, out var ca) && ca == "true")
              .WithTriviaFrom(statement);
        return new Edit(statement, anchor, replacement, needsImport: !asIs && runtime && family is null);
    }

    /// <summary>The receiver is a StackExchange.Redis database: it has <c>KeyDelete(Async)</c> of its own.</summary>
    private static bool IsRedisDatabase(SemanticModel model, ExpressionSyntax receiver)
    {
        var type = model.GetTypeInfo(receiver).Type;
        if (type is null)
            return false;
        if (IsDatabase(type))
            return true;
        foreach (var contract in type.AllInterfaces)
        {
            if (IsDatabase(contract))
                return true;
        }
        return false;

        static bool IsDatabase(ITypeSymbol t) =>
            t.ToDisplayString() is "StackExchange.Redis.IDatabase" or "StackExchange.Redis.IDatabaseAsync";
    }

    /// <summary><c>receiver.KeyDelete(Async)(key)</c> binds, where the cache call was, to the database's own delete.</summary>
    private static bool BindsToKeyDelete(SemanticModel model, InvocationExpressionSyntax at, ExpressionSyntax receiver, ExpressionSyntax key, string method)
    {
        var call = InvalidationCall(receiver, key, method);
        return model.GetSpeculativeSymbolInfo(at.SpanStart, call, SpeculativeBindingOption.BindAsExpression).Symbol is IMethodSymbol symbol
            && symbol.Name == method
            && symbol.ContainingType.ToDisplayString() is "StackExchange.Redis.IDatabase" or "StackExchange.Redis.IDatabaseAsync";
    }

    /// <summary><c>await db.InvalidateAsync(key)[.ConfigureAwait(false)];</c> or <c>db.Invalidate(key);</c> (or KeyDelete(Async)).</summary>
    private static StatementSyntax Invalidation(ExpressionSyntax receiver, ExpressionSyntax key, string method, bool await, bool configureAwait)
    {
        ExpressionSyntax call = InvalidationCall(receiver, key, method);
        if (await)
        {
            if (configureAwait)
            {
                call = SyntaxFactory.InvocationExpression(
                    SyntaxFactory.MemberAccessExpression(SyntaxKind.SimpleMemberAccessExpression, call, SyntaxFactory.IdentifierName("ConfigureAwait")),
                    SyntaxFactory.ArgumentList(SyntaxFactory.SingletonSeparatedList(SyntaxFactory.Argument(SyntaxFactory.LiteralExpression(SyntaxKind.FalseLiteralExpression)))));
            }
            call = SyntaxFactory.AwaitExpression(
                SyntaxFactory.Token(SyntaxTriviaList.Empty, SyntaxKind.AwaitKeyword, SyntaxFactory.TriviaList(SyntaxFactory.Space)),
                call);
        }
        return SyntaxFactory.ExpressionStatement(call);
    }

    private static InvocationExpressionSyntax InvalidationCall(ExpressionSyntax receiver, ExpressionSyntax key, string method) =>
        SyntaxFactory.InvocationExpression(
            SyntaxFactory.MemberAccessExpression(SyntaxKind.SimpleMemberAccessExpression, receiver.WithoutTrivia(), SyntaxFactory.IdentifierName(method)),
            SyntaxFactory.ArgumentList(SyntaxFactory.SingletonSeparatedList(SyntaxFactory.Argument(key.WithoutTrivia()))));

    /// <summary>Adds <c>using CacheGuard;</c>: after the System usings, in order among the others.</summary>
    private static CompilationUnitSyntax AddRuntimeUsing(CompilationUnitSyntax unit)
    {
        foreach (var existing in unit.Usings)
        {
            if (existing.Alias is null && existing.StaticKeyword.IsKind(SyntaxKind.None) && existing.Name?.ToString() == RuntimeSyntax.RuntimeNamespace)
                return unit;
        }

        var directive = SyntaxFactory.UsingDirective(SyntaxFactory.IdentifierName(RuntimeSyntax.RuntimeNamespace))
            .WithUsingKeyword(SyntaxFactory.Token(SyntaxTriviaList.Empty, SyntaxKind.UsingKeyword, SyntaxFactory.TriviaList(SyntaxFactory.Space)))
            .WithTrailingTrivia(SyntaxFactory.ElasticCarriageReturnLineFeed);
        var usings = unit.Usings;
        var index = usings.Count;
        for (var i = 0; i < usings.Count; i++)
        {
            var name = usings[i].Name?.ToString() ?? "";
            var isSystem = name == "System" || name.StartsWith("System.", System.StringComparison.Ordinal);
            if (usings[i].GlobalKeyword.IsKind(SyntaxKind.None) && usings[i].Alias is null && !isSystem
                && string.CompareOrdinal(name, RuntimeSyntax.RuntimeNamespace) > 0)
            {
                index = i;
                break;
            }
        }

        var newline = unit.Usings.Count > 0 ? unit.Usings[0].GetTrailingTrivia().LastOrDefault(t => t.IsKind(SyntaxKind.EndOfLineTrivia)) : default;
        if (newline.IsKind(SyntaxKind.EndOfLineTrivia))
            directive = directive.WithTrailingTrivia(newline);

        if (index == 0 && usings.Count > 0)
        {
            // The file's leading comments stay at the top of the file.
            directive = directive.WithLeadingTrivia(usings[0].GetLeadingTrivia());
            usings = usings.Replace(usings[0], usings[0].WithLeadingTrivia(SyntaxTriviaList.Empty));
        }
        else if (usings.Count == 0)
        {
            var first = unit.GetFirstToken();
            directive = directive.WithLeadingTrivia(first.LeadingTrivia).WithTrailingTrivia(SyntaxFactory.TriviaList(SyntaxFactory.LineFeed, SyntaxFactory.LineFeed));
            unit = unit.ReplaceToken(first, first.WithLeadingTrivia(SyntaxTriviaList.Empty));
            usings = unit.Usings;
        }
        return unit.WithUsings(usings.Insert(index, directive));
    }

    private static bool Within(SyntaxNode root, TextSpan span) => span.Start >= 0 && span.End <= root.FullSpan.End;
}
