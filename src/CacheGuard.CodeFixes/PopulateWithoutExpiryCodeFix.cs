using System.Collections.Immutable;
using System.Composition;
using System.Globalization;
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
using Microsoft.CodeAnalysis.Operations;

namespace CacheGuard.CodeFixes;

/// <summary>
/// CG0008: gives the populate the runtime's jittered default TTL,
/// <c>CacheTtl.Jitter(TimeSpan.FromSeconds(default_ttl_seconds))</c>, as its expiry argument.
/// Without CacheGuard.Runtime the same +0-10% jitter is written inline:
/// <c>TimeSpan.FromSeconds(300 * (1 + 0.1 * Random.Shared.NextDouble()))</c> (see <see cref="RuntimeFreeSyntax"/>).
/// </summary>
[ExportCodeFixProvider(LanguageNames.CSharp, Name = nameof(PopulateWithoutExpiryCodeFix)), Shared]
public sealed class PopulateWithoutExpiryCodeFix : CodeFixProvider
{
    private const string Title = "Write with the jittered default TTL (CacheTtl.Jitter)";
    private const string RuntimeFreeTitle = "Write with the jittered default TTL (inline, +0-10% random)";

    public override ImmutableArray<string> FixableDiagnosticIds { get; } = ImmutableArray.Create(RuleIds.PopulateWithoutExpiry);

    public override FixAllProvider GetFixAllProvider() => WellKnownFixAllProviders.BatchFixer;

    public override async Task RegisterCodeFixesAsync(CodeFixContext context)
    {
        var root = await context.Document.GetSyntaxRootAsync(context.CancellationToken).ConfigureAwait(false);
        var semanticModel = await context.Document.GetSemanticModelAsync(context.CancellationToken).ConfigureAwait(false);
        if (root is null || semanticModel is null)
            return;
        var runtime = RuntimeSyntax.HasRuntimeType(semanticModel.Compilation, "CacheTtl");

        foreach (var diagnostic in context.Diagnostics)
        {
            if (root.FindNode(diagnostic.Location.SourceSpan, getInnermostNodeForTie: true) is not { } node
                || node.FirstAncestorOrSelf<InvocationExpressionSyntax>() is not { } invocation
                || invocation.Span != diagnostic.Location.SourceSpan)
            {
                continue;
            }
            var seconds = ParseSeconds(diagnostic.Properties.TryGetValue(PopulateWithoutExpiryAnalyzer.DefaultTtlSecondsProperty, out var s) ? s : null);
            var ttl = runtime ? DefaultTtl(seconds) : RuntimeFreeSyntax.JitteredSeconds(seconds, 0.10, semanticModel.Compilation);
            if (AddExpiry(invocation, semanticModel, ttl, context.CancellationToken) is not { } rewritten)
                continue;

            context.RegisterCodeFix(
                CodeAction.Create(
                    runtime ? Title : RuntimeFreeTitle,
                    async ct => await RuntimeSyntax.AddImportsAsync(context.Document.WithSyntaxRoot(root.ReplaceNode(invocation, rewritten)), ct).ConfigureAwait(false),
                    equivalenceKey: nameof(PopulateWithoutExpiryCodeFix)),
                diagnostic);
        }
    }

    /// <summary>The call with the expiry argument added (or its <c>null</c> replaced), if the result still binds to a write with that expiry.</summary>
    private static InvocationExpressionSyntax? AddExpiry(InvocationExpressionSyntax invocation, SemanticModel semanticModel, ExpressionSyntax ttl, CancellationToken cancellationToken)
    {
        if (semanticModel.GetOperation(invocation, cancellationToken) is not IInvocationOperation operation || invocation.ContainsDiagnostics)
            return null;
        var expiry = operation.Arguments.FirstOrDefault(a => a.Parameter is { } p && IsExpiryType(p.Type));
        if (expiry?.Parameter is not { } parameter)
            return null;

        InvocationExpressionSyntax rewritten;
        if (expiry.ArgumentKind == ArgumentKind.Explicit && expiry.Syntax is ArgumentSyntax explicitArgument)
        {
            // StringSet(key, value, null, When.Always): replace the null.
            rewritten = invocation.ReplaceNode(explicitArgument.Expression, ttl.WithTriviaFrom(explicitArgument.Expression));
        }
        else
        {
            var arguments = invocation.ArgumentList.Arguments;
            var positional = arguments.All(a => a.NameColon is null);
            var argument = positional && arguments.Count == parameter.Ordinal
                ? SyntaxFactory.Argument(ttl)
                : SyntaxFactory.Argument(SyntaxFactory.NameColon(parameter.Name), default, ttl);
            rewritten = invocation.WithArgumentList(invocation.ArgumentList.WithArguments(arguments.Add(argument)));
        }

        // Validate: the new call must still bind, to an overload whose expiry takes our TTL.
        var info = semanticModel.GetSpeculativeSymbolInfo(invocation.SpanStart, rewritten, SpeculativeBindingOption.BindAsExpression);
        return info.Symbol is IMethodSymbol method && method.Parameters.Any(p => p.Name == parameter.Name && IsExpiryType(p.Type)) ? rewritten : null;
    }

    private static bool IsExpiryType(ITypeSymbol type)
    {
        if (type is INamedTypeSymbol { OriginalDefinition.SpecialType: SpecialType.System_Nullable_T } nullable)
            type = nullable.TypeArguments[0];
        var name = type.ToDisplayString();
        return name is "System.TimeSpan" or "StackExchange.Redis.Expiration";
    }

    /// <summary><c>CacheTtl.Jitter(TimeSpan.FromSeconds(n))</c>.</summary>
    internal static ExpressionSyntax DefaultTtl(double seconds) =>
        RuntimeSyntax.Call("CacheTtl", "Jitter", TimeSpanFromSeconds(seconds));

    /// <summary><c>TimeSpan.FromSeconds(n)</c>, simplified to the short name (and a <c>using System;</c>) on apply.</summary>
    internal static ExpressionSyntax TimeSpanFromSeconds(double seconds)
    {
        var literal = seconds == System.Math.Floor(seconds) && seconds < int.MaxValue
            ? SyntaxFactory.Literal((int)seconds)
            : SyntaxFactory.Literal(seconds.ToString("R", CultureInfo.InvariantCulture), seconds);
        var timeSpan = SyntaxFactory.ParseTypeName("global::System.TimeSpan")
            .WithAdditionalAnnotations(Microsoft.CodeAnalysis.Simplification.Simplifier.Annotation, Microsoft.CodeAnalysis.Simplification.Simplifier.AddImportsAnnotation);
        return SyntaxFactory.InvocationExpression(
            SyntaxFactory.MemberAccessExpression(SyntaxKind.SimpleMemberAccessExpression, timeSpan, SyntaxFactory.IdentifierName("FromSeconds")),
            SyntaxFactory.ArgumentList(SyntaxFactory.SingletonSeparatedList(
                SyntaxFactory.Argument(SyntaxFactory.LiteralExpression(SyntaxKind.NumericLiteralExpression, literal)))));
    }

    internal static double ParseSeconds(string? value) =>
        double.TryParse(value, NumberStyles.Float, CultureInfo.InvariantCulture, out var seconds) && seconds > 0 && seconds < 100_000_000 ? seconds : 300;
}
