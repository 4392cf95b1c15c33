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
            // A one-time record taken: the body reads the key, then deletes it, and the key is the code itself
            // (no constant text, SimpleIdServer's `key = enteredOtpCode.ToString()`): consumed, not invalidated.
            if (!KeyPurpose.HasConstantText(invalidation.Key) && facts.IsReadBefore(invalidation))
                continue;
            // A call into the project's own code counts only when all it does is clear keys: a method that
            // writes the database and then clears its own keys is a write path of its own, analyzed in its body.
            if (invalidation.Family == CacheFamily.Wrapper && ShapeOf(invalidation.Method, context, 0) != CalleeShape.Invalidation)
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

    /// <summary>What a call into the project's own code that the wrapper catalog classifies as a delete does.</summary>
    private enum CalleeShape
    {
        /// <summary>Every body it can run only clears keys (directly, or through other invalidation-only calls).</summary>
        Invalidation,
        /// <summary>Some body it can run writes the database and then clears keys: a write path of its own.</summary>
        WriteThenInvalidate,
        /// <summary>No body to read, or a body whose deletes the semantic model cannot see (unbound code): no evidence.</summary>
        Unknown,
    }

    /// <summary>
    /// Only a call whose every body is an <see cref="CalleeShape.Invalidation"/> is an invalidation for
    /// CG0006. A call that writes the database and then clears its own keys (IOrderTagService.DetachOrderTag,
    /// a cleanup helper reaching a service's DeleteProjectArtifactsAsync) is a write followed by its own
    /// invalidation; mixed or missing evidence reports nothing. Interface members are judged by every
    /// implementation the compilation holds.
    /// </summary>
    private static CalleeShape ShapeOf(IMethodSymbol method, MethodContext context, int depth)
    {
        if (depth > 3)
            return CalleeShape.Unknown;
        var any = false;
        foreach (var implementation in context.Api.Wrappers.Implementations(method))
        {
            var shape = BodyShape(implementation, context, depth);
            if (shape != CalleeShape.Invalidation)
                return shape;
            any = true;
        }
        return any ? CalleeShape.Invalidation : CalleeShape.Unknown;
    }

    private static CalleeShape BodyShape(IMethodSymbol method, MethodContext context, int depth)
    {
        if (context.Engine.BodyOf(method, context.CancellationToken) is not { } body)
            return CalleeShape.Unknown;
        var facts = context.Engine.FactsFor(method, body);
        var firstWrite = facts.DatabaseWrites.IsEmpty ? int.MaxValue : facts.DatabaseWrites[0].Invocation.Syntax.SpanStart;
        var sawDelete = false;
        var unknown = false;
        foreach (var operation in facts.CacheOperations)
        {
            if (operation.Kind != CacheOperationKind.Delete)
                continue;
            if (operation.Invocation.Syntax.SpanStart > firstWrite)
                return CalleeShape.WriteThenInvalidate;
            if (operation.Family == CacheFamily.Wrapper)
            {
                switch (ShapeOf(operation.Method, context, depth + 1))
                {
                    case CalleeShape.WriteThenInvalidate:
                        return CalleeShape.WriteThenInvalidate;
                    case CalleeShape.Unknown:
                        unknown = true;
                        continue;
                }
            }
            sawDelete = true;
        }
        return sawDelete && !unknown ? CalleeShape.Invalidation : CalleeShape.Unknown;
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
