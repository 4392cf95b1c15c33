using System;
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
using CacheGuard.Analyzers.Model;

namespace CacheGuard.CodeFixes;

/// <summary>
/// CG0001: passes the fixed expiry through <c>CacheTtl.Jitter</c>; without CacheGuard.Runtime, adds
/// the same jitter inline (<see cref="RuntimeFreeSyntax.JitteredTimeSpan"/>). A StackExchange.Redis
/// 3.x <c>new Expiration(ttl)</c> gets its TimeSpan jittered.
/// </summary>
[ExportCodeFixProvider(LanguageNames.CSharp, Name = nameof(FixedTtlCodeFix)), Shared]
public sealed class FixedTtlCodeFix : CodeFixProvider
{
    private const string Title = "Add jitter to the TTL (CacheTtl.Jitter)";
    private const string RuntimeFreeTitle = "Add jitter to the TTL (inline, +0-10% random)";
    private const string PerUseTitle = "Build the shared options per use, with jitter on the TTL (CacheTtl.Jitter)";
    private const string PerUsePrefix = "Build the shared options per use: ";

    public override ImmutableArray<string> FixableDiagnosticIds { get; } = ImmutableArray.Create(RuleIds.FixedTtl);

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
            // A relative TTL written as an instant: now + ttl and now.Add(ttl) have their TimeSpan jittered where it is;
            // now.AddMinutes(5) becomes now.Add(<jittered TimeSpan.FromMinutes(5)>) (the same instant before the jitter).
            ExpressionSyntax? target, timeSpan;
            Func<ExpressionSyntax, ExpressionSyntax>? rebuild = null;
            if (FromNowOffset(expiry, semanticModel, context.CancellationToken) is { } fromNow)
                (target, timeSpan, rebuild) = fromNow;
            else
                target = timeSpan = Target(expiry, semanticModel, runtime, context.CancellationToken);
            if (target is null || timeSpan is null)
                continue;

            // An expiry inside a stored options object (a static readonly HybridCacheEntryOptions, ...):
            // jittered in place it would run once per process. Convert the member into a per-use property
            // when that is faithful, else offer nothing.
            var placement = SharedEntryOptions.Classify(target, semanticModel, context.CancellationToken);
            if (placement.Kind == SharedEntryOptions.Placement.NotFixable)
                continue;
            var member = placement.Member;

            var fraction = ParseFraction(diagnostic.Properties.TryGetValue(FixedTtlAnalyzer.FractionProperty, out var f) ? f : null);
            // What replaces the target with the jittered TimeSpan: the jittered TimeSpan itself, or a rebuilt from-now call.
            ExpressionSyntax Replacement(ExpressionSyntax jitteredTimeSpan) => rebuild is null ? jitteredTimeSpan : rebuild(jitteredTimeSpan);
            if (runtime)
            {
                context.RegisterCodeFix(
                    CodeAction.Create(member is null ? Title : PerUseTitle, ct => ReplaceAsync(context.Document, root, target, Replacement(RuntimeJitter(timeSpan, fraction)), member, ct), equivalenceKey: nameof(FixedTtlCodeFix)),
                    diagnostic);
            }
            // Same equivalence key as the runtime variant: a solution-wide Fix All reaches both kinds of project.
            else if (RuntimeFreeSyntax.JitteredTimeSpan(timeSpan, fraction, semanticModel.Compilation) is { } jitteredSpan)
            {
                var jittered = Replacement(jitteredSpan);
                var title = fraction == 0.10 ? RuntimeFreeTitle : RuntimeFreeTitle.Replace("10%", (fraction * 100).ToString("0.##", CultureInfo.InvariantCulture) + "%");
                if (member is not null)
                    title = PerUsePrefix + title;
                context.RegisterCodeFix(
                    CodeAction.Create(
                        title,
                        ct => ReplaceAsync(context.Document, root, target, jittered.WithTriviaFrom(target), member, ct),
                        equivalenceKey: nameof(FixedTtlCodeFix)),
                    diagnostic);
            }
        }
    }

    /// <summary>
    /// The expression to jitter: the expiry itself (a TimeSpan, or with the runtime a TimeSpan?), or
    /// the TimeSpan inside <c>new Expiration(ttl)</c>. Null when neither form fits.
    /// </summary>
    private static ExpressionSyntax? Target(ExpressionSyntax expiry, SemanticModel semanticModel, bool runtime, CancellationToken cancellationToken)
    {
        var type = semanticModel.GetTypeInfo(expiry, cancellationToken).Type;
        if (type is null)
            return null;
        if (type.ToDisplayString() == "StackExchange.Redis.Expiration")
        {
            if (expiry is ObjectCreationExpressionSyntax { ArgumentList.Arguments: { Count: 1 } arguments }
                && arguments[0].NameColon is null
                && semanticModel.GetTypeInfo(arguments[0].Expression, cancellationToken).Type?.ToDisplayString() == "System.TimeSpan")
            {
                return arguments[0].Expression;
            }
            return null;
        }
        if (type.SpecialType == SpecialType.None && type.ToDisplayString() == "System.TimeSpan")
            return expiry;
        // TimeSpan?: the runtime's Jitter(TimeSpan?) keeps null as null; inline there is no faithful short form.
        return runtime && type is INamedTypeSymbol { OriginalDefinition.SpecialType: SpecialType.System_Nullable_T } nullable
            && nullable.TypeArguments[0].ToDisplayString() == "System.TimeSpan"
            ? expiry
            : null;
    }

    private static ExpressionSyntax RuntimeJitter(ExpressionSyntax expression, double fraction)
    {
        var arguments = fraction == 0.10
            ? new[] { expression.WithoutTrivia() }
            : new ExpressionSyntax[]
            {
                expression.WithoutTrivia(),
                SyntaxFactory.LiteralExpression(SyntaxKind.NumericLiteralExpression, SyntaxFactory.Literal(fraction.ToString("0.0###", CultureInfo.InvariantCulture), fraction)),
            };
        return RuntimeSyntax.Call("CacheTtl", "Jitter", arguments).WithTriviaFrom(expression);
    }

    /// <summary>
    /// The offset of a from-now expiry (<see cref="ClockOffsetSyntax"/>), checked with the semantic model: the TimeSpan of
    /// <c>now + ttl</c> or <c>now.Add(ttl)</c> (the target, jittered in place), or the call <c>now.AddMinutes(n)</c> (the target)
    /// with its offset as <c>TimeSpan.FromMinutes(n)</c> and the rebuild that turns that TimeSpan, jittered, into
    /// <c>now.Add(...)</c> (every number AddX takes, FromX takes). Null for any other expiry.
    /// </summary>
    private static (ExpressionSyntax Target, ExpressionSyntax TimeSpan, Func<ExpressionSyntax, ExpressionSyntax>? Rebuild)? FromNowOffset(ExpressionSyntax expiry, SemanticModel semanticModel, CancellationToken cancellationToken)
    {
        if (!IsInstant(semanticModel.GetTypeInfo(expiry, cancellationToken).Type) || ClockOffsetSyntax.Find(expiry) is not { } offset)
            return null;
        bool Is(ExpressionSyntax e, Func<ITypeSymbol?, bool> test) => test(semanticModel.GetTypeInfo(e, cancellationToken).Type);
        if (offset.Node is BinaryExpressionSyntax)
        {
            if (Is(offset.Offset, IsTimeSpan) && Is(offset.Clock, IsInstant))
                return (offset.Offset, offset.Offset, null);
            if (Is(offset.Clock, IsTimeSpan) && Is(offset.Offset, IsInstant))
                return (offset.Clock, offset.Clock, null);
            return null;
        }
        if (!Is(offset.Clock, IsInstant))
            return null;
        if (offset.Unit is null)
            return Is(offset.Offset, IsTimeSpan) ? (offset.Offset, offset.Offset, null) : null;
        var call = (InvocationExpressionSyntax)offset.Node;
        var access = (MemberAccessExpressionSyntax)call.Expression;
        var timeSpanType = SyntaxFactory.ParseExpression("global::System.TimeSpan").WithAdditionalAnnotations(Simplifier.Annotation, Simplifier.AddImportsAnnotation);
        var timeSpan = SyntaxFactory.InvocationExpression(
            SyntaxFactory.MemberAccessExpression(SyntaxKind.SimpleMemberAccessExpression, timeSpanType, SyntaxFactory.IdentifierName(offset.Unit)),
            SyntaxFactory.ArgumentList(SyntaxFactory.SingletonSeparatedList(SyntaxFactory.Argument(offset.Offset.WithoutTrivia()))));
        return (call, timeSpan, jittered => call
            .WithExpression(access.WithName(SyntaxFactory.IdentifierName("Add").WithTriviaFrom(access.Name)))
            .WithArgumentList(call.ArgumentList.WithArguments(SyntaxFactory.SingletonSeparatedList(SyntaxFactory.Argument(jittered.WithoutTrivia()))))
            .WithTriviaFrom(call));
    }

    private static bool IsInstant(ITypeSymbol? type)
    {
        if (type is INamedTypeSymbol { OriginalDefinition.SpecialType: SpecialType.System_Nullable_T } nullable)
            type = nullable.TypeArguments[0];
        return type?.SpecialType == SpecialType.System_DateTime || type?.ToDisplayString() == "System.DateTimeOffset";
    }

    private static bool IsTimeSpan(ITypeSymbol? type) => type?.ToDisplayString() == "System.TimeSpan";

    /// <summary>Replaces the expiry; inside a stored options member, also turns the member into a per-use property.</summary>
    private static async Task<Document> ReplaceAsync(Document document, SyntaxNode root, ExpressionSyntax target, ExpressionSyntax jittered, MemberDeclarationSyntax? member, CancellationToken cancellationToken)
    {
        SyntaxNode newRoot;
        if (member is not null && SharedEntryOptions.InitializerOf(member) is { } initializer)
            newRoot = root.ReplaceNode(member, SharedEntryOptions.ToProperty(member, initializer.ReplaceNode(target, jittered)));
        else
            newRoot = root.ReplaceNode(target, jittered);
        return await RuntimeSyntax.AddImportsAsync(document.WithSyntaxRoot(newRoot), cancellationToken).ConfigureAwait(false);
    }

    private static double ParseFraction(string? value) =>
        double.TryParse(value, NumberStyles.Float, CultureInfo.InvariantCulture, out var fraction) && fraction > 0 && fraction <= 1 ? fraction : 0.10;
}
