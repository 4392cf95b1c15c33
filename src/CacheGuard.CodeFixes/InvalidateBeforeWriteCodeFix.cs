using System.Collections.Immutable;
using System.Composition;
using System.Threading.Tasks;
using CacheGuard.Analyzers;
using Microsoft.CodeAnalysis;
using Microsoft.CodeAnalysis.CodeActions;
using Microsoft.CodeAnalysis.CodeFixes;

namespace CacheGuard.CodeFixes;

/// <summary>CG0006: moves the invalidation after the last database write, as the runtime's fenced invalidation.</summary>
[ExportCodeFixProvider(LanguageNames.CSharp, Name = nameof(InvalidateBeforeWriteCodeFix)), Shared]
public sealed class InvalidateBeforeWriteCodeFix : CodeFixProvider
{
    private const string Title = "Invalidate after the database write";
    private const string RuntimeFreeTitle = "Delete the key after the database write (KeyDelete)";

    public override ImmutableArray<string> FixableDiagnosticIds { get; } = ImmutableArray.Create(RuleIds.InvalidateBeforeWrite);

    // Edits of one document interact (several invalidations after one write): apply them together.
    public override FixAllProvider GetFixAllProvider() => InvalidationRewriter.FixAll;

    public override async Task RegisterCodeFixesAsync(CodeFixContext context)
    {
        var root = await context.Document.GetSyntaxRootAsync(context.CancellationToken).ConfigureAwait(false);
        var semanticModel = await context.Document.GetSemanticModelAsync(context.CancellationToken).ConfigureAwait(false);
        if (root is null || semanticModel is null)
            return;
        // Without CacheGuard.Runtime: the database's own delete of the key, at the same place.
        var runtime = InvalidationRewriter.UsesRuntime(semanticModel.Compilation);
        // One equivalence key for both variants: a solution-wide Fix All started in a project with
        // the runtime must also fix the projects without it (each document gets its own variant).
        var name = typeof(InvalidateBeforeWriteCodeFix).Name;
        foreach (var diagnostic in context.Diagnostics)
        {
            if (!InvalidationRewriter.CanFix(root, semanticModel, diagnostic))
                continue;
            context.RegisterCodeFix(
                CodeAction.Create(runtime ? Title : RuntimeFreeTitle, ct => InvalidationRewriter.FixAsync(context.Document, new[] { diagnostic }, ct), equivalenceKey: name),
                diagnostic);
        }
    }
}
