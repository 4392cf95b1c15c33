using System.Collections.Immutable;
using CacheGuard.Analyzers.Configuration;
using CacheGuard.Analyzers.Model;
using Microsoft.CodeAnalysis;
using Microsoft.CodeAnalysis.Diagnostics;

namespace CacheGuard.Analyzers.Rules;

/// <summary>
/// CG0002: a method that writes the database and also writes a value into the cache, before or
/// after the database write. The writer should invalidate after the commit and let the next read
/// repopulate from the committed row.
/// </summary>
[DiagnosticAnalyzer(LanguageNames.CSharp)]
public sealed class SetOnWriteAnalyzer : DiagnosticAnalyzer
{
    public override ImmutableArray<DiagnosticDescriptor> SupportedDiagnostics { get; } = ImmutableArray.Create(Descriptors.SetOnWrite);

    public override void Initialize(AnalysisContext context)
    {
        context.ConfigureGeneratedCodeAnalysis(GeneratedCodeAnalysisFlags.None);
        context.EnableConcurrentExecution();
        context.RegisterCompilationStartAction(start =>
        {
            if (CacheApi.TryCreate(start.Compilation) is not { } api)
                return;
            start.RegisterOperationBlockAction(block => AnalyzeBlock(block, api));
        });
    }

    private static void AnalyzeBlock(OperationBlockAnalysisContext context, CacheApi api)
    {
        if (context.OperationBlocks.IsEmpty)
            return;
        var settings = CacheGuardSettings.For(context.Options, context.OperationBlocks[0].Syntax.SyntaxTree, RuleIds.SetOnWrite);
        if (settings.IsExcluded(context.OwningSymbol))
            return;

        var facts = MethodCacheFacts.Build(context.OwningSymbol, context.OperationBlocks, api, settings.WriteVerbs);
        if (WritePathFacts.Build(facts, context.OperationBlocks, api) is not { } writePath)
            return; // no database write: a read path or an event-driven projection

        foreach (var operation in facts.CacheOperations)
        {
            if (!IsCachedValueWrite(operation, writePath))
                continue;
            var writes = writePath.WritesRelatedTo(operation);
            if (writes.IsEmpty)
                continue;

            var plan = InvalidationPlan.For(operation, writes, context.OwningSymbol, api);
            context.ReportDiagnostic(Diagnostic.Create(
                Descriptors.SetOnWrite, operation.Syntax.GetLocation(), plan.ToProperties(), CacheKeys.Describe(operation.Key)));
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
