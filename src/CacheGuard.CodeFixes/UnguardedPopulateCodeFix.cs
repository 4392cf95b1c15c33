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
using Microsoft.CodeAnalysis.CSharp.Syntax;

namespace CacheGuard.CodeFixes;

/// <summary>
/// CG0004: rewrites the get-then-populate into the runtime's <c>GetOrSet</c> / <c>GetOrSetAsync</c> on the
/// same <c>IDatabase</c>, keeping the key, the factory (the miss path, as a lambda), the value type and the
/// TTL. Offered only when <see cref="GetOrSetRewrite"/> can map the shape faithfully and the result compiles.
/// </summary>
[ExportCodeFixProvider(LanguageNames.CSharp, Name = nameof(UnguardedPopulateCodeFix)), Shared]
public sealed class UnguardedPopulateCodeFix : CodeFixProvider
{
    private const string Title = "Use single-flight GetOrSet (CacheGuard)";

    public override ImmutableArray<string> FixableDiagnosticIds { get; } = ImmutableArray.Create(RuleIds.UnguardedPopulate);

    // Each rewrite stays inside its own method: rewrites of different methods never overlap.
    public override FixAllProvider GetFixAllProvider() => WellKnownFixAllProviders.BatchFixer;

    public override async Task RegisterCodeFixesAsync(CodeFixContext context)
    {
        var root = await context.Document.GetSyntaxRootAsync(context.CancellationToken).ConfigureAwait(false);
        var semanticModel = await context.Document.GetSemanticModelAsync(context.CancellationToken).ConfigureAwait(false);
        if (root is null || semanticModel is null
            || semanticModel.Compilation.GetTypeByMetadataName("CacheGuard.CacheGuardDatabaseExtensions") is not { DeclaredAccessibility: Accessibility.Public })
        {
            return;
        }

        foreach (var diagnostic in context.Diagnostics)
        {
            if (diagnostic.Properties.ContainsKey(UnguardedPopulateAnalyzer.HelperProperty))
                continue; // the populate is in another method: one body can't be rewritten faithfully
            if (root.FindNode(diagnostic.Location.SourceSpan, getInnermostNodeForTie: true)?.FirstAncestorOrSelf<InvocationExpressionSyntax>() is not { } read
                || read.Span != diagnostic.Location.SourceSpan)
            {
                continue;
            }
            var seconds = PopulateWithoutExpiryCodeFix.ParseSeconds(
                diagnostic.Properties.TryGetValue(UnguardedPopulateAnalyzer.DefaultTtlSecondsProperty, out var s) ? s : null);
            var plan = GetOrSetRewrite.TryPlan(read, semanticModel, seconds, context.CancellationToken);
            if (plan is null)
                continue;

            // Validate before offering: the rewritten method must compile and call the runtime.
            var rewritten = context.Document.WithSyntaxRoot(plan.Apply(root));
            if (!await CompilesAsync(rewritten, context.CancellationToken).ConfigureAwait(false))
                continue;

            context.RegisterCodeFix(
                CodeAction.Create(
                    Title,
                    ct => RuntimeSyntax.AddImportsAsync(rewritten, ct),
                    equivalenceKey: nameof(UnguardedPopulateCodeFix)),
                diagnostic);
        }
    }

    private static async Task<bool> CompilesAsync(Document document, CancellationToken cancellationToken)
    {
        var root = await document.GetSyntaxRootAsync(cancellationToken).ConfigureAwait(false);
        var model = await document.GetSemanticModelAsync(cancellationToken).ConfigureAwait(false);
        if (root is null || model is null || GetOrSetRewrite.FindRewritten(root) is not { } statement)
            return false;
        var member = statement.Ancestors().FirstOrDefault(a => a is MemberDeclarationSyntax or LocalFunctionStatementSyntax or AnonymousFunctionExpressionSyntax) ?? statement;
        if (model.GetDiagnostics(member.Span, cancellationToken).Any(d => d.Severity == DiagnosticSeverity.Error))
            return false;
        var call = statement.DescendantNodes().OfType<InvocationExpressionSyntax>()
            .FirstOrDefault(i => i.Expression is MemberAccessExpressionSyntax { Name.Identifier.ValueText: "GetOrSet" or "GetOrSetAsync" or "GetOrSetJson" or "GetOrSetJsonAsync" or "GetOrSetString" or "GetOrSetStringAsync" });
        return call is not null
               && model.GetSymbolInfo(call, cancellationToken).Symbol is IMethodSymbol method
               && method.ContainingAssembly?.Name == "CacheGuard.Runtime";
    }
}
