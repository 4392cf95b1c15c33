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
using Microsoft.CodeAnalysis.Editing;
using Microsoft.CodeAnalysis.Simplification;

namespace CacheGuard.CodeFixes;

/// <summary>
/// CG0007: releases the lock with <c>LockRelease(Async)(key, token)</c> — an atomic compare-and-delete
/// of the caller's own token. When the lock was taken with a value every caller shares (a literal,
/// <c>Environment.MachineName</c>), a fresh token is introduced before the acquisition and written
/// by it. Every plain release of the same lock in the method is rewritten together.
/// </summary>
[ExportCodeFixProvider(LanguageNames.CSharp, Name = nameof(UnsafeLockReleaseCodeFix)), Shared]
public sealed class UnsafeLockReleaseCodeFix : CodeFixProvider
{
    private const string Title = "Release the lock with its token (LockRelease)";
    private const string TokenName = "lockToken";

    public override ImmutableArray<string> FixableDiagnosticIds { get; } = ImmutableArray.Create(RuleIds.UnsafeLockRelease);

    public override FixAllProvider GetFixAllProvider() => DocumentBatchFix.Provider<Plan>(PlanFor, p => p.Acquisition, ApplyPlansAsync);

    public override async Task RegisterCodeFixesAsync(CodeFixContext context)
    {
        var root = await context.Document.GetSyntaxRootAsync(context.CancellationToken).ConfigureAwait(false);
        var semanticModel = await context.Document.GetSemanticModelAsync(context.CancellationToken).ConfigureAwait(false);
        if (root is null || semanticModel is null)
            return;

        foreach (var diagnostic in context.Diagnostics)
        {
            if (Plan.TryCreate(diagnostic, root, semanticModel, context.CancellationToken) is null)
                continue;
            context.RegisterCodeFix(
                CodeAction.Create(
                    Title,
                    ct => ApplyAsync(context.Document, new[] { diagnostic }, ct),
                    equivalenceKey: nameof(UnsafeLockReleaseCodeFix)),
                diagnostic);
        }
    }

    /// <summary>Rewrites every lock the diagnostics point at, one rewrite per acquisition.</summary>
    private static Task<Document> ApplyAsync(Document document, IEnumerable<Diagnostic> diagnostics, CancellationToken cancellationToken) =>
        DocumentBatchFix.ApplyAsync(document, diagnostics, PlanFor, p => p.Acquisition, ApplyPlansAsync, cancellationToken);

    private static Plan? PlanFor(SyntaxNode root, SemanticModel model, Diagnostic diagnostic, CancellationToken cancellationToken) =>
        Plan.TryCreate(diagnostic, root, model, cancellationToken);

    private static async Task<Document> ApplyPlansAsync(Document document, SyntaxNode root, SemanticModel semanticModel, IReadOnlyList<Plan> plans, CancellationToken cancellationToken)
    {
        var editor = await DocumentEditor.CreateAsync(document, cancellationToken).ConfigureAwait(false);
        var taken = new Dictionary<SyntaxNode, HashSet<string>>();
        foreach (var plan in plans)
            plan.Apply(editor, semanticModel, taken);

        return await RuntimeSyntax.AddImportsAsync(editor.GetChangedDocument(), cancellationToken).ConfigureAwait(false);
    }

    /// <summary>What one fix does: the releases to rewrite and where the token comes from.</summary>
    private sealed class Plan
    {
        private Plan(SyntaxNode acquisition, ExpressionSyntax value, IReadOnlyList<InvocationExpressionSyntax> releases, StatementSyntax? introduceBefore)
        {
            Acquisition = acquisition;
            Value = value;
            Releases = releases;
            IntroduceBefore = introduceBefore;
        }

        public SyntaxNode Acquisition { get; }

        /// <summary>The value the acquisition writes: the token itself, or the argument a new token replaces.</summary>
        public ExpressionSyntax Value { get; }

        public IReadOnlyList<InvocationExpressionSyntax> Releases { get; }

        /// <summary>The statement a new token is declared before; null when the acquisition's value is the token.</summary>
        public StatementSyntax? IntroduceBefore { get; }

        public static Plan? TryCreate(Diagnostic diagnostic, SyntaxNode root, SemanticModel semanticModel, CancellationToken cancellationToken)
        {
            if (!diagnostic.Properties.TryGetValue(UnsafeLockReleaseAnalyzer.TokenProperty, out var tokenKind)
                || diagnostic.AdditionalLocations.Count < 2)
            {
                return null;
            }

            var acquisition = Find<InvocationExpressionSyntax>(root, diagnostic.AdditionalLocations[UnsafeLockReleaseAnalyzer.AcquisitionLocation]);
            var value = Find<ExpressionSyntax>(root, diagnostic.AdditionalLocations[UnsafeLockReleaseAnalyzer.ValueLocation]);
            if (acquisition is null || value is null || !acquisition.Span.Contains(value.Span) || acquisition.ContainsDiagnostics)
                return null;

            var releases = new List<InvocationExpressionSyntax>();
            foreach (var location in new[] { diagnostic.Location }.Concat(diagnostic.AdditionalLocations.Skip(2)))
            {
                if (Find<InvocationExpressionSyntax>(root, location) is not { } release || !IsRewritableDelete(release))
                    return null;
                releases.Add(release);
            }
            releases.Sort((a, b) => a.SpanStart.CompareTo(b.SpanStart));

            if (tokenKind == "Stable")
            {
                // The token must be visible at every release.
                var symbol = semanticModel.GetSymbolInfo(value, cancellationToken).Symbol;
                if (symbol is not (ILocalSymbol or IParameterSymbol or IFieldSymbol))
                    return null;
                foreach (var release in releases)
                {
                    if (!semanticModel.LookupSymbols(release.SpanStart, name: symbol.Name).Contains(symbol, SymbolEqualityComparer.Default))
                        return null;
                }
                return new Plan(acquisition, value, releases, introduceBefore: null);
            }

            // A new token, declared before the statement that takes the lock: every release must be
            // after it in the same block, and no lambda may sit in between (it could run more than once).
            var statement = acquisition.FirstAncestorOrSelf<StatementSyntax>();
            if (statement?.Parent is not BlockSyntax block)
                return null;
            for (var node = acquisition.Parent; node is not null && node != statement; node = node.Parent)
            {
                if (node is AnonymousFunctionExpressionSyntax or LocalFunctionStatementSyntax)
                    return null;
            }
            foreach (var release in releases)
            {
                if (!block.Span.Contains(release.Span) || release.SpanStart < statement.SpanStart)
                    return null;
            }
            return new Plan(acquisition, value, releases, statement);
        }

        public void Apply(SyntaxEditor editor, SemanticModel semanticModel, Dictionary<SyntaxNode, HashSet<string>> taken)
        {
            ExpressionSyntax token;
            if (IntroduceBefore is { } statement)
            {
                var name = FreeName(statement, semanticModel, taken);
                token = SyntaxFactory.IdentifierName(name);
                editor.ReplaceNode(Value, token.WithTriviaFrom(Value));

                var leading = statement.GetLeadingTrivia();
                var indentation = leading.Count > 0 && leading[leading.Count - 1].IsKind(SyntaxKind.WhitespaceTrivia)
                    ? SyntaxFactory.TriviaList(leading[leading.Count - 1])
                    : SyntaxFactory.TriviaList();
                var declaration = TokenDeclaration(name)
                    .WithLeadingTrivia(leading)
                    .WithTrailingTrivia(EndOfLine(statement));
                editor.InsertBefore(statement, declaration);
                editor.ReplaceNode(statement, (current, _) => current.WithLeadingTrivia(indentation));
            }
            else
            {
                token = Value.WithoutTrivia();
            }

            foreach (var release in Releases)
                editor.ReplaceNode(release, (current, _) => ToLockRelease((InvocationExpressionSyntax)current, token));
        }

        /// <summary><c>var lockToken = Guid.NewGuid().ToString();</c></summary>
        private static LocalDeclarationStatementSyntax TokenDeclaration(string name)
        {
            var guid = SyntaxFactory.ParseExpression("global::System.Guid")
                .WithAdditionalAnnotations(Simplifier.Annotation, Simplifier.AddImportsAnnotation);
            var newGuid = SyntaxFactory.InvocationExpression(
                SyntaxFactory.MemberAccessExpression(SyntaxKind.SimpleMemberAccessExpression, guid, SyntaxFactory.IdentifierName("NewGuid")));
            var toString = SyntaxFactory.InvocationExpression(
                SyntaxFactory.MemberAccessExpression(SyntaxKind.SimpleMemberAccessExpression, newGuid, SyntaxFactory.IdentifierName("ToString")));
            return SyntaxFactory.LocalDeclarationStatement(
                SyntaxFactory.VariableDeclaration(
                    SyntaxFactory.IdentifierName(SyntaxFactory.Identifier(SyntaxFactory.TriviaList(), "var", SyntaxFactory.TriviaList(SyntaxFactory.Space))),
                    SyntaxFactory.SingletonSeparatedList(
                        SyntaxFactory.VariableDeclarator(SyntaxFactory.Identifier(SyntaxFactory.TriviaList(), name, SyntaxFactory.TriviaList(SyntaxFactory.Space)))
                            .WithInitializer(SyntaxFactory.EqualsValueClause(
                                SyntaxFactory.Token(SyntaxFactory.TriviaList(), SyntaxKind.EqualsToken, SyntaxFactory.TriviaList(SyntaxFactory.Space)),
                                toString)))));
        }

        /// <summary><c>db.KeyDelete(Async)(key[, flags])</c> → <c>db.LockRelease(Async)(key, token[, flags])</c>.</summary>
        private static InvocationExpressionSyntax ToLockRelease(InvocationExpressionSyntax release, ExpressionSyntax token)
        {
            var access = (MemberAccessExpressionSyntax)release.Expression;
            var newName = access.Name.Identifier.ValueText.EndsWith("Async", System.StringComparison.Ordinal) ? "LockReleaseAsync" : "LockRelease";
            var arguments = release.ArgumentList.Arguments;
            var key = arguments[0];
            var tokenArgument = SyntaxFactory.Argument(token.WithoutTrivia());
            if (key.NameColon is not null)
                tokenArgument = tokenArgument.WithNameColon(SyntaxFactory.NameColon("value"));
            var newArguments = arguments.Insert(1, tokenArgument);
            return release
                .WithExpression(access.WithName(SyntaxFactory.IdentifierName(newName).WithTriviaFrom(access.Name)))
                .WithArgumentList(release.ArgumentList.WithArguments(newArguments));
        }

        /// <summary><c>receiver.KeyDelete(Async)(key)</c> or <c>(key, flags)</c>, the key first.</summary>
        private static bool IsRewritableDelete(InvocationExpressionSyntax release)
        {
            if (release.Expression is not MemberAccessExpressionSyntax { Name.Identifier.ValueText: "KeyDelete" or "KeyDeleteAsync" })
                return false;
            var arguments = release.ArgumentList.Arguments;
            if (arguments.Count is < 1 or > 2)
                return false;
            if (arguments[0].NameColon is { } first && first.Name.Identifier.ValueText != "key")
                return false;
            return arguments.Count == 1 || arguments[1].NameColon is null or { Name.Identifier.ValueText: "flags" };
        }

        /// <summary>"lockToken", or "lockToken2"… when the member already uses that name.</summary>
        private static string FreeName(StatementSyntax statement, SemanticModel semanticModel, Dictionary<SyntaxNode, HashSet<string>> taken)
        {
            var member = (SyntaxNode?)statement.FirstAncestorOrSelf<MemberDeclarationSyntax>() ?? statement.SyntaxTree.GetRoot();
            if (!taken.TryGetValue(member, out var names))
            {
                names = new HashSet<string>(member.DescendantTokens().Where(t => t.IsKind(SyntaxKind.IdentifierToken)).Select(t => t.ValueText));
                taken.Add(member, names);
            }
            for (var i = 1; ; i++)
            {
                var candidate = i == 1 ? TokenName : TokenName + i.ToString(System.Globalization.CultureInfo.InvariantCulture);
                if (!names.Contains(candidate) && semanticModel.LookupSymbols(statement.SpanStart, name: candidate).IsEmpty)
                {
                    names.Add(candidate);
                    return candidate;
                }
            }
        }

        private static SyntaxTrivia EndOfLine(StatementSyntax statement)
        {
            foreach (var trivia in statement.GetTrailingTrivia())
            {
                if (trivia.IsKind(SyntaxKind.EndOfLineTrivia))
                    return trivia;
            }
            return SyntaxFactory.ElasticCarriageReturnLineFeed;
        }

        private static T? Find<T>(SyntaxNode root, Location location)
            where T : SyntaxNode
        {
            if (location.SourceTree != root.SyntaxTree)
                return null;
            var node = root.FindNode(location.SourceSpan, getInnermostNodeForTie: true);
            for (var current = node; current is not null; current = current.Parent)
            {
                if (current is T match && current.Span == location.SourceSpan)
                    return match;
                if (current.Span.Length > location.SourceSpan.Length)
                    break;
            }
            return null;
        }
    }
}
