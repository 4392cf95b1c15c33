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
using Microsoft.CodeAnalysis.Diagnostics;

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
    private const string KeyLockTitle = "Lock the miss per key and re-read under the lock (CacheGuard KeyLocks)";

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
            if (root.FindNode(diagnostic.Location.SourceSpan, getInnermostNodeForTie: true)?.FirstAncestorOrSelf<InvocationExpressionSyntax>() is not { } read
                || read.Span != diagnostic.Location.SourceSpan)
            {
                continue;
            }
            var seconds = PopulateWithoutExpiryCodeFix.ParseSeconds(
                diagnostic.Properties.TryGetValue(UnguardedPopulateAnalyzer.DefaultTtlSecondsProperty, out var s) ? s : null);
            // The populate in another method (a helper): GetOrSet would have to take its body in; the lock doesn't.
            var plan = diagnostic.Properties.ContainsKey(UnguardedPopulateAnalyzer.HelperProperty)
                ? null
                : GetOrSetRewrite.TryPlan(read, semanticModel, seconds, context.CancellationToken);
            if (plan is null)
            {
                await RegisterKeyLockAsync(context, root, semanticModel, read, diagnostic).ConfigureAwait(false);
                continue;
            }

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

    /// <summary>
    /// Where GetOrSet can't take the pattern over (a wrapper, a helper's populate, a hash, a miss path with other
    /// work): the runtime's per-key lock with a re-read around the miss path; reads and writes stay as they are.
    /// </summary>
    private static async Task RegisterKeyLockAsync(CodeFixContext context, SyntaxNode root, SemanticModel semanticModel, InvocationExpressionSyntax read, Diagnostic diagnostic)
    {
        if (!RuntimeSyntax.HasRuntimeType(semanticModel.Compilation, "KeyLocks"))
            return;
        var plan = KeyLockRewrite.TryPlan(read, diagnostic.AdditionalLocations, semanticModel, context.CancellationToken);
        if (plan is null)
            return;
        var rewritten = context.Document.WithSyntaxRoot(plan.Apply(root));
        if (!await KeyLockCompilesAndClearsAsync(rewritten, context.CancellationToken).ConfigureAwait(false))
            return;
        context.RegisterCodeFix(
            CodeAction.Create(
                KeyLockTitle,
                ct => Task.FromResult(rewritten),
                equivalenceKey: nameof(UnguardedPopulateCodeFix) + ".KeyLock"),
            diagnostic);
    }

    /// <summary>
    /// The rewrite compiles, calls the runtime's lock, and CG0004 no longer reports the read (which keeps its
    /// position: everything rewritten comes after it) nor the re-read under the lock.
    /// </summary>
    private static async Task<bool> KeyLockCompilesAndClearsAsync(Document document, CancellationToken cancellationToken)
    {
        var root = await document.GetSyntaxRootAsync(cancellationToken).ConfigureAwait(false);
        var model = await document.GetSemanticModelAsync(cancellationToken).ConfigureAwait(false);
        if (root is null || model is null || KeyLockRewrite.FindRewritten(root) is not { } statement)
            return false;
        var member = statement.Ancestors().FirstOrDefault(a => a is MemberDeclarationSyntax) ?? statement;
        if (model.GetDiagnostics(member.Span, cancellationToken).Any(d => d.Severity == DiagnosticSeverity.Error))
            return false;
        var rewrittenNodes = root.GetAnnotatedNodes(KeyLockRewrite.RewrittenAnnotation).ToList();
        var readStatement = root.GetAnnotatedNodes(KeyLockRewrite.ReadAnnotation).FirstOrDefault();
        if (readStatement is null)
            return false;
        var call = rewrittenNodes.SelectMany(n => n.DescendantNodes()).OfType<InvocationExpressionSyntax>()
            .FirstOrDefault(i => i.Expression is MemberAccessExpressionSyntax { Name.Identifier.ValueText: "Lock" or "LockAsync" });
        if (call is null
            || model.GetSymbolInfo(call, cancellationToken).Symbol is not IMethodSymbol method
            || method.ContainingAssembly?.Name != "CacheGuard.Runtime")
        {
            return false;
        }

        var analyzers = ImmutableArray.Create<DiagnosticAnalyzer>(new UnguardedPopulateAnalyzer());
        var withAnalyzers = model.Compilation.WithAnalyzers(
            analyzers,
            new CompilationWithAnalyzersOptions(document.Project.AnalyzerOptions, onAnalyzerException: null, concurrentAnalysis: false, logAnalyzerExecutionTime: false));
        var left = await withAnalyzers.GetAnalyzerSemanticDiagnosticsAsync(model, member.Span, cancellationToken).ConfigureAwait(false);
        return !left.Any(d => d.Id == RuleIds.UnguardedPopulate
                              && (readStatement.Span.Contains(d.Location.SourceSpan) || rewrittenNodes.Any(n => n.Span.Contains(d.Location.SourceSpan))));
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
