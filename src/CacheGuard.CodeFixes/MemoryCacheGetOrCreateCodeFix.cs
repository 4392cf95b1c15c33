using System.Collections.Immutable;
using System.Composition;
using System.Linq;
using System.Threading;
using System.Threading.Tasks;
using CacheGuard.Analyzers;
using Microsoft.CodeAnalysis;
using Microsoft.CodeAnalysis.CodeActions;
using Microsoft.CodeAnalysis.CodeFixes;
using Microsoft.CodeAnalysis.CSharp;
using Microsoft.CodeAnalysis.CSharp.Syntax;

namespace CacheGuard.CodeFixes;

/// <summary>
/// CG0004 on <c>IMemoryCache.GetOrCreate(Async)</c>: calls the runtime's
/// <c>GetOrCreateSingleFlight(Async)</c> instead — same arguments, same result, same entry
/// configuration; concurrent misses of a key run the factory once. Offered only when the runtime is
/// referenced and the renamed call binds to it (the <c>MemoryCacheEntryOptions</c> overload has no
/// single-flight twin: no fix).
/// </summary>
[ExportCodeFixProvider(LanguageNames.CSharp, Name = nameof(MemoryCacheGetOrCreateCodeFix)), Shared]
public sealed class MemoryCacheGetOrCreateCodeFix : CodeFixProvider
{
    private const string Title = "Make GetOrCreate single-flight (GetOrCreateSingleFlight)";
    private const string RuntimeType = "MemoryCacheSingleFlight";

    public override ImmutableArray<string> FixableDiagnosticIds { get; } = ImmutableArray.Create(RuleIds.UnguardedPopulate);

    public override FixAllProvider GetFixAllProvider() => WellKnownFixAllProviders.BatchFixer;

    public override async Task RegisterCodeFixesAsync(CodeFixContext context)
    {
        var root = await context.Document.GetSyntaxRootAsync(context.CancellationToken).ConfigureAwait(false);
        var model = await context.Document.GetSemanticModelAsync(context.CancellationToken).ConfigureAwait(false);
        if (root is null || model is null || !RuntimeSyntax.HasRuntimeType(model.Compilation, RuntimeType))
            return;
        foreach (var diagnostic in context.Diagnostics)
        {
            if (Rename(root, model, diagnostic, context.CancellationToken) is null)
                continue;
            context.RegisterCodeFix(
                CodeAction.Create(Title, ct => RewriteAsync(context.Document, diagnostic, ct), equivalenceKey: nameof(MemoryCacheGetOrCreateCodeFix)),
                diagnostic);
        }
    }

    private static async Task<Document> RewriteAsync(Document document, Diagnostic diagnostic, CancellationToken cancellationToken)
    {
        var root = await document.GetSyntaxRootAsync(cancellationToken).ConfigureAwait(false);
        var model = await document.GetSemanticModelAsync(cancellationToken).ConfigureAwait(false);
        if (root is null || model is null || Rename(root, model, diagnostic, cancellationToken) is not { } renamed)
            return document;
        var newRoot = root.ReplaceNode(renamed.Old, renamed.New);
        if (newRoot is CompilationUnitSyntax unit)
            newRoot = RuntimeUsings.Ensure(unit);
        return document.WithSyntaxRoot(newRoot);
    }

    /// <summary>The GetOrCreate(Async) name at the diagnostic and its single-flight twin, when the twin binds to the runtime.</summary>
    private static (SimpleNameSyntax Old, SimpleNameSyntax New)? Rename(SyntaxNode root, SemanticModel model, Diagnostic diagnostic, CancellationToken cancellationToken)
    {
        if (root.FindNode(diagnostic.Location.SourceSpan, getInnermostNodeForTie: true)?.FirstAncestorOrSelf<InvocationExpressionSyntax>() is not { } invocation
            || invocation.Span != diagnostic.Location.SourceSpan
            || invocation.Expression is not MemberAccessExpressionSyntax { RawKind: (int)SyntaxKind.SimpleMemberAccessExpression } access
            || access.Name.Identifier.ValueText is not ("GetOrCreate" or "GetOrCreateAsync")
            || model.GetSymbolInfo(invocation, cancellationToken).Symbol is not IMethodSymbol original
            || original.ContainingType?.Name != "CacheExtensions"
            || original.ReducedFrom is null
            || original.Parameters.Length != 2)
        {
            return null;
        }
        var newName = access.Name.Identifier.ValueText == "GetOrCreateAsync" ? "GetOrCreateSingleFlightAsync" : "GetOrCreateSingleFlight";
        SimpleNameSyntax renamed = access.Name is GenericNameSyntax generic
            ? generic.WithIdentifier(SyntaxFactory.Identifier(newName).WithTriviaFrom(generic.Identifier))
            : SyntaxFactory.IdentifierName(SyntaxFactory.Identifier(newName).WithTriviaFrom(access.Name.Identifier));

        // The renamed call must bind to the runtime (a `using CacheGuard;` is added with the fix).
        var speculative = invocation;
        var qualified = speculative.WithExpression(
            SyntaxFactory.MemberAccessExpression(
                SyntaxKind.SimpleMemberAccessExpression,
                SyntaxFactory.ParseExpression("global::CacheGuard." + RuntimeType),
                renamed))
            .WithArgumentList(speculative.ArgumentList.WithArguments(
                speculative.ArgumentList.Arguments.Insert(0, SyntaxFactory.Argument(access.Expression.WithoutTrivia()))));
        var bound = model.GetSpeculativeSymbolInfo(invocation.SpanStart, qualified, SpeculativeBindingOption.BindAsExpression).Symbol as IMethodSymbol;
        if (bound is null || bound.ContainingAssembly?.Name != "CacheGuard.Runtime"
            || !SymbolEqualityComparer.Default.Equals(bound.ReturnType, original.ReturnType))
        {
            return null;
        }
        return (access.Name, renamed);
    }
}
