using System.Collections.Immutable;
using System.Composition;
using System.Globalization;
using System.Threading;
using System.Threading.Tasks;
using CacheGuard.Analyzers;
using CacheGuard.Analyzers.Rules;
using Microsoft.CodeAnalysis;
using Microsoft.CodeAnalysis.CodeActions;
using Microsoft.CodeAnalysis.CodeFixes;
using Microsoft.CodeAnalysis.CSharp;
using Microsoft.CodeAnalysis.CSharp.Syntax;

namespace CacheGuard.CodeFixes;

/// <summary>CG0001: passes the fixed expiry through <c>CacheTtl.Jitter</c>.</summary>
[ExportCodeFixProvider(LanguageNames.CSharp, Name = nameof(FixedTtlCodeFix)), Shared]
public sealed class FixedTtlCodeFix : CodeFixProvider
{
    private const string Title = "Add jitter to the TTL (CacheTtl.Jitter)";

    public override ImmutableArray<string> FixableDiagnosticIds { get; } = ImmutableArray.Create(RuleIds.FixedTtl);

    public override FixAllProvider GetFixAllProvider() => WellKnownFixAllProviders.BatchFixer;

    public override async Task RegisterCodeFixesAsync(CodeFixContext context)
    {
        var root = await context.Document.GetSyntaxRootAsync(context.CancellationToken).ConfigureAwait(false);
        var semanticModel = await context.Document.GetSemanticModelAsync(context.CancellationToken).ConfigureAwait(false);
        if (root is null || semanticModel is null || !RuntimeSyntax.HasRuntimeType(semanticModel.Compilation, "CacheTtl"))
            return;

        foreach (var diagnostic in context.Diagnostics)
        {
            if (!diagnostic.Properties.ContainsKey(FixedTtlAnalyzer.FixableProperty))
                continue;
            if (root.FindNode(diagnostic.Location.SourceSpan, getInnermostNodeForTie: true) is not { } node)
                continue;
            // The expiry argument, or the right-hand side of an options/entry expiry assignment.
            ExpressionSyntax? expiry = null;
            if (node.FirstAncestorOrSelf<ArgumentSyntax>() is { } argument && argument.Expression.Span == diagnostic.Location.SourceSpan)
                expiry = argument.Expression;
            else if (node.FirstAncestorOrSelf<AssignmentExpressionSyntax>() is { } assignment && assignment.Span == diagnostic.Location.SourceSpan)
                expiry = assignment.Right;
            if (expiry is null)
                continue;

            var fraction = ParseFraction(diagnostic.Properties.TryGetValue(FixedTtlAnalyzer.FractionProperty, out var f) ? f : null);
            context.RegisterCodeFix(
                CodeAction.Create(
                    Title,
                    ct => WrapAsync(context.Document, expiry, fraction, ct),
                    equivalenceKey: nameof(FixedTtlCodeFix)),
                diagnostic);
        }
    }

    private static async Task<Document> WrapAsync(Document document, ExpressionSyntax expression, double fraction, CancellationToken cancellationToken)
    {
        var root = await document.GetSyntaxRootAsync(cancellationToken).ConfigureAwait(false);
        if (root is null)
            return document;

        var arguments = fraction == 0.10
            ? new[] { expression.WithoutTrivia() }
            : new ExpressionSyntax[]
            {
                expression.WithoutTrivia(),
                SyntaxFactory.LiteralExpression(SyntaxKind.NumericLiteralExpression, SyntaxFactory.Literal(fraction.ToString("0.0###", CultureInfo.InvariantCulture), fraction)),
            };
        var jittered = RuntimeSyntax.Call("CacheTtl", "Jitter", arguments).WithTriviaFrom(expression);
        return await RuntimeSyntax.AddImportsAsync(document.WithSyntaxRoot(root.ReplaceNode(expression, jittered)), cancellationToken).ConfigureAwait(false);
    }

    private static double ParseFraction(string? value) =>
        double.TryParse(value, NumberStyles.Float, CultureInfo.InvariantCulture, out var fraction) && fraction > 0 && fraction <= 1 ? fraction : 0.10;
}
