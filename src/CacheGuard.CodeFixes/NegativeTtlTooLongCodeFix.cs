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
using Microsoft.CodeAnalysis.Simplification;

namespace CacheGuard.CodeFixes;

/// <summary>
/// CG0005: gives the negative entry the runtime's short negative TTL (<c>CacheTtl.Negative()</c>);
/// when hits and misses share one write, chooses the TTL by the lookup result.
/// </summary>
[ExportCodeFixProvider(LanguageNames.CSharp, Name = nameof(NegativeTtlTooLongCodeFix)), Shared]
public sealed class NegativeTtlTooLongCodeFix : CodeFixProvider
{
    private const string ReplaceTitle = "Use the runtime's negative TTL (CacheTtl.Negative)";
    private const string SplitTitle = "Cache \"not found\" with the runtime's negative TTL (CacheTtl.Negative)";

    public override ImmutableArray<string> FixableDiagnosticIds { get; } = ImmutableArray.Create(RuleIds.NegativeTtlTooLong);

    public override FixAllProvider GetFixAllProvider() => WellKnownFixAllProviders.BatchFixer;

    public override async Task RegisterCodeFixesAsync(CodeFixContext context)
    {
        var root = await context.Document.GetSyntaxRootAsync(context.CancellationToken).ConfigureAwait(false);
        var semanticModel = await context.Document.GetSemanticModelAsync(context.CancellationToken).ConfigureAwait(false);
        if (root is null || semanticModel is null || !RuntimeSyntax.HasRuntimeType(semanticModel.Compilation, "CacheTtl"))
            return;

        foreach (var diagnostic in context.Diagnostics)
        {
            if (!diagnostic.Properties.TryGetValue(NegativeTtlTooLongAnalyzer.FixProperty, out var fix) || fix is null)
                continue;
            if (root.FindNode(diagnostic.Location.SourceSpan, getInnermostNodeForTie: true) is not { } node)
                continue;
            var argument = node.FirstAncestorOrSelf<ArgumentSyntax>();
            if (argument is null || argument.Expression.Span != diagnostic.Location.SourceSpan)
                continue;
            var limit = ParseLimit(diagnostic.Properties.TryGetValue(NegativeTtlTooLongAnalyzer.LimitSecondsProperty, out var l) ? l : null);

            if (fix == NegativeTtlTooLongAnalyzer.ReplaceFix)
            {
                context.RegisterCodeFix(
                    CodeAction.Create(ReplaceTitle, ct => ReplaceAsync(context.Document, argument, limit, null, ct), equivalenceKey: nameof(NegativeTtlTooLongCodeFix) + ".Replace"),
                    diagnostic);
            }
            else if (fix == NegativeTtlTooLongAnalyzer.SplitFix
                && diagnostic.AdditionalLocations.Count == 1
                && root.FindNode(diagnostic.AdditionalLocations[0].SourceSpan, getInnermostNodeForTie: true) is IdentifierNameSyntax lookup)
            {
                var name = lookup.Identifier.ValueText;
                context.RegisterCodeFix(
                    CodeAction.Create(SplitTitle, ct => ReplaceAsync(context.Document, argument, limit, name, ct), equivalenceKey: nameof(NegativeTtlTooLongCodeFix) + ".Split"),
                    diagnostic);
            }
        }
    }

    private static async Task<Document> ReplaceAsync(Document document, ArgumentSyntax argument, double limit, string? lookup, CancellationToken cancellationToken)
    {
        var root = await document.GetSyntaxRootAsync(cancellationToken).ConfigureAwait(false);
        if (root is null)
            return document;

        var original = argument.Expression;
        ExpressionSyntax negative = limit >= 30
            ? RuntimeSyntax.Call("CacheTtl", "Negative")
            : RuntimeSyntax.Call("CacheTtl", "Negative", Seconds(limit));

        ExpressionSyntax replacement = lookup is null
            ? negative
            : SyntaxFactory.ConditionalExpression(
                SyntaxFactory.IsPatternExpression(
                    SyntaxFactory.IdentifierName(lookup),
                    SyntaxFactory.ConstantPattern(SyntaxFactory.LiteralExpression(SyntaxKind.NullLiteralExpression))),
                negative,
                original.WithoutTrivia());

        var updated = root.ReplaceNode(original, replacement.WithTriviaFrom(original));
        return await RuntimeSyntax.AddImportsAsync(document.WithSyntaxRoot(updated), cancellationToken).ConfigureAwait(false);
    }

    /// <summary><c>TimeSpan.FromSeconds(limit)</c>, qualified so it compiles without <c>using System;</c>.</summary>
    private static ExpressionSyntax Seconds(double limit)
    {
        var literal = limit == System.Math.Floor(limit) && limit <= int.MaxValue
            ? SyntaxFactory.Literal((int)limit)
            : SyntaxFactory.Literal(limit.ToString("R", CultureInfo.InvariantCulture), limit);
        var timeSpan = SyntaxFactory.ParseExpression("global::System.TimeSpan").WithAdditionalAnnotations(Simplifier.Annotation);
        return SyntaxFactory.InvocationExpression(
            SyntaxFactory.MemberAccessExpression(SyntaxKind.SimpleMemberAccessExpression, timeSpan, SyntaxFactory.IdentifierName("FromSeconds")),
            SyntaxFactory.ArgumentList(SyntaxFactory.SingletonSeparatedList(SyntaxFactory.Argument(SyntaxFactory.LiteralExpression(SyntaxKind.NumericLiteralExpression, literal)))));
    }

    private static double ParseLimit(string? value) =>
        double.TryParse(value, NumberStyles.Float, CultureInfo.InvariantCulture, out var seconds) && seconds > 0 ? seconds : 30;
}
