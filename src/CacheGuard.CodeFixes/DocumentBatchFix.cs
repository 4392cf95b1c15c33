using System;
using System.Collections.Generic;
using System.Collections.Immutable;
using System.Linq;
using System.Threading;
using System.Threading.Tasks;
using Microsoft.CodeAnalysis;
using Microsoft.CodeAnalysis.CodeFixes;
using Microsoft.CodeAnalysis.CSharp.Syntax;

namespace CacheGuard.CodeFixes;

/// <summary>
/// The document batch shared by the fixes whose edits of one document interact (several edits in one
/// method body, one import for all): plan every diagnostic against the document's original root and
/// semantic model, in source order, keep one plan per key node, apply all plans in one edit, then
/// finish once (add the import). The single-diagnostic code action runs the same batch with one
/// diagnostic, so a fix and its Fix All cannot drift apart.
/// </summary>
internal static class DocumentBatchFix
{
    /// <summary>Plans the edit for one diagnostic; null when this diagnostic gets no fix.</summary>
    public delegate TPlan? Planner<TPlan>(SyntaxNode root, SemanticModel model, Diagnostic diagnostic, CancellationToken cancellationToken)
        where TPlan : class;

    /// <summary>Applies the (deduplicated, source-ordered) plans to the document.</summary>
    public delegate Task<Document> Applier<TPlan>(Document document, SyntaxNode root, SemanticModel model, IReadOnlyList<TPlan> plans, CancellationToken cancellationToken)
        where TPlan : class;

    /// <summary>A node replacement planned for one diagnostic.</summary>
    public sealed class Replacement
    {
        public Replacement(SyntaxNode oldNode, SyntaxNode newNode)
        {
            Old = oldNode;
            New = newNode;
        }

        public SyntaxNode Old { get; }

        public SyntaxNode New { get; }
    }

    /// <summary>A Fix All provider (document, project, solution) running <see cref="ApplyAsync{TPlan}"/> per document.</summary>
    public static FixAllProvider Provider<TPlan>(Planner<TPlan> plan, Func<TPlan, SyntaxNode> key, Applier<TPlan> apply)
        where TPlan : class =>
        FixAllProvider.Create((context, document, diagnostics) => ApplyAsync(document, diagnostics, plan, key, apply, context.CancellationToken)!);

    /// <summary>A Fix All provider for fixes that each replace one node (<see cref="ReplaceAsync"/>).</summary>
    public static FixAllProvider Provider(Planner<Replacement> edit, Func<Document, CancellationToken, Task<Document>> finish) =>
        FixAllProvider.Create((context, document, diagnostics) => ReplaceAsync(document, diagnostics, edit, finish, context.CancellationToken)!);

    /// <summary>Plans each diagnostic, one plan per key node, and applies them together.</summary>
    public static async Task<Document> ApplyAsync<TPlan>(
        Document document, IEnumerable<Diagnostic> diagnostics, Planner<TPlan> plan, Func<TPlan, SyntaxNode> key, Applier<TPlan> apply, CancellationToken cancellationToken)
        where TPlan : class
    {
        var root = await document.GetSyntaxRootAsync(cancellationToken).ConfigureAwait(false);
        var model = await document.GetSemanticModelAsync(cancellationToken).ConfigureAwait(false);
        if (root is null || model is null)
            return document;
        var plans = new List<TPlan>();
        var seen = new HashSet<SyntaxNode>();
        foreach (var diagnostic in diagnostics.OrderBy(d => d.Location.SourceSpan.Start))
        {
            if (plan(root, model, diagnostic, cancellationToken) is { } planned && seen.Add(key(planned)))
                plans.Add(planned);
        }
        if (plans.Count == 0)
            return document;
        return await apply(document, root, model, plans, cancellationToken).ConfigureAwait(false);
    }

    /// <summary>Each diagnostic's node replacement (one per replaced node), in one <c>ReplaceNodes</c>, then <paramref name="finish"/> once.</summary>
    public static Task<Document> ReplaceAsync(
        Document document, IEnumerable<Diagnostic> diagnostics, Planner<Replacement> edit, Func<Document, CancellationToken, Task<Document>> finish, CancellationToken cancellationToken) =>
        ApplyAsync(document, diagnostics, edit, e => e.Old, (doc, root, _, edits, ct) =>
        {
            var byNode = edits.ToDictionary(e => e.Old, e => e.New);
            return finish(doc.WithSyntaxRoot(root.ReplaceNodes(byNode.Keys, (old, _) => byNode[old])), ct);
        }, cancellationToken);

    /// <summary>Finishing step: <c>using CacheGuard;</c> once, when the rewrite needs it and it is not there.</summary>
    public static async Task<Document> EnsureRuntimeUsingAsync(Document document, CancellationToken cancellationToken)
    {
        var root = await document.GetSyntaxRootAsync(cancellationToken).ConfigureAwait(false);
        return root is CompilationUnitSyntax unit ? document.WithSyntaxRoot(RuntimeUsings.Ensure(unit)) : document;
    }

    /// <summary>One diagnostic, as a list (the single code action's batch).</summary>
    public static ImmutableArray<Diagnostic> One(Diagnostic diagnostic) => ImmutableArray.Create(diagnostic);
}
