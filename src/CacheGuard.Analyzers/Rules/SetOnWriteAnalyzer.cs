using System.Collections.Immutable;
using CacheGuard.Analyzers.Configuration;
using CacheGuard.Analyzers.Model;
using Microsoft.CodeAnalysis;
using CacheGuard.Analyzers.Engine;
using Microsoft.CodeAnalysis.Diagnostics;

namespace CacheGuard.Analyzers.Rules;

/// <summary>
/// CG0002: a method that writes the database and also writes a value into the cache, before or
/// after the database write. The writer should invalidate after the commit and let the next read
/// repopulate from the committed row.
/// </summary>
[DiagnosticAnalyzer(LanguageNames.CSharp)]
public sealed class SetOnWriteAnalyzer : RuleAnalyzer
{
    public SetOnWriteAnalyzer()
        : base(SetOnWriteRule.Instance)
    {
    }
}

/// <summary>CG0002, read against the engine's model of one body.</summary>
internal sealed class SetOnWriteRule : Rule
{
    public static readonly SetOnWriteRule Instance = new();

    private SetOnWriteRule()
        : base(Descriptors.CG0002_SetOnWrite)
    {
    }

    public override void Analyze(MethodContext context)
    {
        var api = context.Api;
        var settings = context.Settings(RuleIds.SetOnWrite);
        if (settings.IsExcluded(context.OwningSymbol))
            return;

        var facts = context.Facts;
        if (context.WritePath is not { } writePath)
            return; // no database write: a read path or an event-driven projection

        foreach (var operation in facts.CacheOperations)
        {
            if (!IsCachedValueWrite(operation, writePath)
                || (operation.Family != CacheFamily.Wrapper && KeyPurpose.Of(operation, facts, api) != KeyPurposeKind.CacheEntry))
            {
                continue;
            }
            var writes = writePath.WritesRelatedTo(operation);
            if (writes.IsEmpty)
                continue;

            var plan = InvalidationPlan.For(operation, writes, context.OwningSymbol, api);
            context.ReportDiagnostic(Diagnostic.Create(
                Descriptors.CG0002_SetOnWrite, operation.Syntax.GetLocation(), plan.ToProperties(), CacheKeys.Describe(operation.Key)));
        }
    }

    /// <summary>
    /// A write of a cached value: not a lock acquisition or an only-if-absent write, not a flag or
    /// cooldown (a bool), not a counter's reset or a bookkeeping key (session, idempotency, rate
    /// limit), not a key minted from a fresh Guid (a new entry no reader can hold stale), and not the
    /// populate of a cache-aside read of the same key.
    /// </summary>
    private static bool IsCachedValueWrite(CacheOperation operation, WritePathFacts writePath) =>
        operation.Kind == CacheOperationKind.Write
        && !operation.OnlyIfNotExists
        && operation.Key is not null
        && operation.Value?.Type?.SpecialType != SpecialType.System_Boolean
        && !writePath.IsLockCounterOrFlagKey(operation.Key)
        && !WritePathFacts.IsFreshKey(operation.Key)
        && !writePath.IsPopulateAfterRead(operation);
}
