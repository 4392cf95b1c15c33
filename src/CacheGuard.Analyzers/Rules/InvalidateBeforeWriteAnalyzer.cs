using System.Collections.Immutable;
using CacheGuard.Analyzers.Configuration;
using CacheGuard.Analyzers.Model;
using Microsoft.CodeAnalysis;
using CacheGuard.Analyzers.Engine;
using Microsoft.CodeAnalysis.Diagnostics;

namespace CacheGuard.Analyzers.Rules;

/// <summary>
/// CG0006: a method deletes or invalidates a cache key and afterwards writes the database. A read
/// between the two repopulates the old row, which then lives until its TTL.
/// </summary>
[DiagnosticAnalyzer(LanguageNames.CSharp)]
public sealed class InvalidateBeforeWriteAnalyzer : RuleAnalyzer
{
    public InvalidateBeforeWriteAnalyzer()
        : base(InvalidateBeforeWriteRule.Instance)
    {
    }
}

/// <summary>CG0006, read against the engine's model of one body.</summary>
internal sealed class InvalidateBeforeWriteRule : Rule
{
    public static readonly InvalidateBeforeWriteRule Instance = new();

    private InvalidateBeforeWriteRule()
        : base(Descriptors.CG0006_InvalidateBeforeWrite)
    {
    }

    public override void Analyze(MethodContext context)
    {
        var api = context.Api;
        var settings = context.Settings(RuleIds.InvalidateBeforeWrite);
        if (settings.IsExcluded(context.OwningSymbol))
            return;

        var facts = context.Facts;
        if (context.WritePath is not { } writePath)
            return;

        foreach (var invalidation in writePath.Invalidations)
        {
            // A lock's release, a counter's or a flag's reset is no cache invalidation.
            if (writePath.IsLockCounterOrFlagKey(invalidation.Key))
                continue;
            // A project method that writes the database and then clears its own keys
            // (OrderTagService.DetachOrderTag) is a write path of its own, analyzed in its body; calling
            // it is a write followed by its invalidation, not a bare invalidation.
            if (invalidation.Family == CacheFamily.Wrapper && WritesThenInvalidates(invalidation.Method, context, 0))
                continue;
            var writes = writePath.WritesRelatedTo(invalidation);
            if (writes.IsEmpty)
                continue;
            var last = writes[writes.Length - 1].Invocation.Syntax;
            if (last.SpanStart <= invalidation.Syntax.Span.End)
                continue; // nothing written after it
            if (IsInvalidatedAgainAfter(invalidation, last.Span.End, writePath))
                continue; // delete, write, delete: the second delete clears what a read put back

            var plan = InvalidationPlan.For(invalidation, writes, context.OwningSymbol, api);
            context.ReportDiagnostic(Diagnostic.Create(
                Descriptors.CG0006_InvalidateBeforeWrite, invalidation.Syntax.GetLocation(), plan.ToProperties(), CacheKeys.Describe(invalidation.Key)));
        }
    }

    private static bool WritesThenInvalidates(IMethodSymbol method, MethodContext context, int depth)
    {
        if (depth > 3 || context.Engine.BodyOf(method, context.CancellationToken) is not { } body)
            return false;
        var facts = context.Engine.FactsFor(method, body);
        var firstWrite = facts.DatabaseWrites.IsEmpty ? int.MaxValue : facts.DatabaseWrites[0].Invocation.Syntax.SpanStart;
        foreach (var operation in facts.CacheOperations)
        {
            if (operation.Kind != CacheOperationKind.Delete)
                continue;
            if (operation.Invocation.Syntax.SpanStart > firstWrite)
                return true;
            // Through a wrapper over such a method (a cleanup helper calling a service's DeleteProjectArtifactsAsync).
            if (operation.Family == CacheFamily.Wrapper && WritesThenInvalidates(operation.Method, context, depth + 1))
                return true;
        }
        return false;
    }

    private static bool IsInvalidatedAgainAfter(CacheOperation invalidation, int position, WritePathFacts writePath)
    {
        foreach (var other in writePath.Invalidations)
        {
            if (other != invalidation
                && other.Syntax.SpanStart >= position
                && CacheKeys.AreSame(other.Key, invalidation.Key)
                && WritePathFacts.AreRelated(other.Invocation, invalidation.Invocation))
            {
                return true;
            }
        }
        return false;
    }
}
