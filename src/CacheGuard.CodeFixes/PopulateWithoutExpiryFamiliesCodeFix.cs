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
/// CG0008 over <c>IMemoryCache</c> and <c>IDistributedCache</c>: the populate gets the jittered
/// default TTL, <c>CacheTtl.Jitter(TimeSpan.FromSeconds(default_ttl_seconds))</c> —
/// <c>cache.Set(key, value)</c> becomes <c>cache.Set(key, value, CacheTtl.Jitter(...))</c>;
/// <c>SetString(Async)(key, value)</c> (or <c>Set(Async)</c> of bytes) gets
/// <c>new DistributedCacheEntryOptions { AbsoluteExpirationRelativeToNow = CacheTtl.Jitter(...) }</c>, and
/// an empty <c>new DistributedCacheEntryOptions()</c> that initializer (before a trailing
/// CancellationToken argument when there is one). Without CacheGuard.Runtime the same +0-10% jitter is
/// written inline (<see cref="RuntimeFreeSyntax.JitteredSeconds"/>). The StackExchange.Redis form is
/// <see cref="PopulateWithoutExpiryCodeFix"/>'s.
/// </summary>
[ExportCodeFixProvider(LanguageNames.CSharp, Name = nameof(PopulateWithoutExpiryFamiliesCodeFix)), Shared]
public sealed class PopulateWithoutExpiryFamiliesCodeFix : CodeFixProvider
{
    private const string Title = "Write with the jittered default TTL (CacheTtl.Jitter)";
    private const string RuntimeFreeTitle = "Write with the jittered default TTL (inline, +0-10% random)";
    private const string OptionsType = "Microsoft.Extensions.Caching.Distributed.DistributedCacheEntryOptions";

    public override ImmutableArray<string> FixableDiagnosticIds { get; } = ImmutableArray.Create(RuleIds.PopulateWithoutExpiry);

    // All populates of a document at once, then one import pass.
    public override FixAllProvider GetFixAllProvider() => DocumentBatchFix.Provider(Edit, RuntimeSyntax.AddImportsAsync);

    private static DocumentBatchFix.Replacement? Edit(SyntaxNode root, SemanticModel model, Diagnostic diagnostic, CancellationToken cancellationToken)
    {
        if (root.FindNode(diagnostic.Location.SourceSpan, getInnermostNodeForTie: true)?.FirstAncestorOrSelf<InvocationExpressionSyntax>() is not { } invocation
            || invocation.Span != diagnostic.Location.SourceSpan
            || invocation.ContainsDiagnostics)
        {
            return null;
        }
        var seconds = PopulateWithoutExpiryCodeFix.ParseSeconds(diagnostic.Properties.TryGetValue(PopulateWithoutExpiryAnalyzer.DefaultTtlSecondsProperty, out var s) ? s : null);
        // With CacheGuard.Runtime: CacheTtl.Jitter(TimeSpan.FromSeconds(n)); without it the same +0-10% inline.
        var ttl = RuntimeSyntax.HasRuntimeType(model.Compilation, "CacheTtl")
            ? PopulateWithoutExpiryCodeFix.DefaultTtl(seconds)
            : RuntimeFreeSyntax.JitteredSeconds(seconds, 0.10, model.Compilation);
        return Rewrite(invocation, model, ttl, cancellationToken) is { } edit ? new DocumentBatchFix.Replacement(edit.Old, edit.New) : null;
    }

    public override async Task RegisterCodeFixesAsync(CodeFixContext context)
    {
        var root = await context.Document.GetSyntaxRootAsync(context.CancellationToken).ConfigureAwait(false);
        var model = await context.Document.GetSemanticModelAsync(context.CancellationToken).ConfigureAwait(false);
        if (root is null || model is null)
            return;
        var title = RuntimeSyntax.HasRuntimeType(model.Compilation, "CacheTtl") ? Title : RuntimeFreeTitle;
        foreach (var diagnostic in context.Diagnostics)
        {
            if (Edit(root, model, diagnostic, context.CancellationToken) is null)
                continue;
            context.RegisterCodeFix(
                CodeAction.Create(
                    title,
                    ct => DocumentBatchFix.ReplaceAsync(context.Document, DocumentBatchFix.One(diagnostic), Edit, RuntimeSyntax.AddImportsAsync, ct),
                    equivalenceKey: nameof(PopulateWithoutExpiryFamiliesCodeFix)),
                diagnostic);
        }
    }

    private static (SyntaxNode Old, SyntaxNode New)? Rewrite(InvocationExpressionSyntax invocation, SemanticModel model, ExpressionSyntax ttl, CancellationToken cancellationToken)
    {
        if (model.GetSymbolInfo(invocation, cancellationToken).Symbol is not IMethodSymbol method)
            return null;
        var container = method.ContainingType?.ToDisplayString();
        var arguments = invocation.ArgumentList.Arguments;
        if (arguments.Any(a => a.NameColon is not null))
            return null;

        if (container == "Microsoft.Extensions.Caching.Memory.CacheExtensions" && method.Name == "Set" && arguments.Count == 2)
        {
            var rewritten = invocation.WithArgumentList(invocation.ArgumentList.WithArguments(arguments.Add(SyntaxFactory.Argument(ttl))));
            return Binds(model, invocation, rewritten, "System.TimeSpan") ? (invocation, rewritten) : null;
        }

        var distributed = container is "Microsoft.Extensions.Caching.Distributed.DistributedCacheExtensions" or "Microsoft.Extensions.Caching.Distributed.IDistributedCache";
        if (!distributed || method.Name is not ("Set" or "SetAsync" or "SetString" or "SetStringAsync"))
            return null;
        if (arguments.Count == 2)
        {
            var rewritten = invocation.WithArgumentList(invocation.ArgumentList.WithArguments(arguments.Add(SyntaxFactory.Argument(NewOptions(ttl)))));
            return Binds(model, invocation, rewritten, OptionsType) ? (invocation, rewritten) : null;
        }
        // SetStringAsync(key, value, token): the options go before the token.
        if (arguments.Count == 3
            && model.GetTypeInfo(arguments[2].Expression, cancellationToken).Type?.ToDisplayString() == "System.Threading.CancellationToken")
        {
            var rewritten = invocation.WithArgumentList(invocation.ArgumentList.WithArguments(arguments.Insert(2, SyntaxFactory.Argument(NewOptions(ttl)))));
            return Binds(model, invocation, rewritten, OptionsType) ? (invocation, rewritten) : null;
        }
        // SetStringAsync(key, value, new DistributedCacheEntryOptions()): give the empty options the TTL.
        if (arguments.Count >= 3
            && arguments[2].Expression is ObjectCreationExpressionSyntax { Initializer: null, ArgumentList.Arguments.Count: 0 } empty
            && model.GetTypeInfo(empty, cancellationToken).Type?.ToDisplayString() == OptionsType)
        {
            var filled = NewOptions(ttl).WithTriviaFrom(empty);
            return (empty, filled);
        }
        return null;
    }

    /// <summary><c>new DistributedCacheEntryOptions { AbsoluteExpirationRelativeToNow = ttl }</c>.</summary>
    private static ExpressionSyntax NewOptions(ExpressionSyntax ttl)
    {
        var creation = (ObjectCreationExpressionSyntax)SyntaxFactory.ParseExpression(
            "new global::Microsoft.Extensions.Caching.Distributed.DistributedCacheEntryOptions { AbsoluteExpirationRelativeToNow = __ttl }");
        creation = creation.WithType(creation.Type.WithAdditionalAnnotations(Simplifier.Annotation, Simplifier.AddImportsAnnotation));
        var placeholder = creation.DescendantNodes().OfType<IdentifierNameSyntax>().Single(n => n.Identifier.ValueText == "__ttl");
        return creation.ReplaceNode(placeholder, ttl);
    }

    private static bool Binds(SemanticModel model, InvocationExpressionSyntax original, InvocationExpressionSyntax rewritten, string expiryType) =>
        model.GetSpeculativeSymbolInfo(original.SpanStart, rewritten, SpeculativeBindingOption.BindAsExpression).Symbol is IMethodSymbol method
        && method.Parameters.Any(p => p.Type.ToDisplayString() == expiryType);
}
