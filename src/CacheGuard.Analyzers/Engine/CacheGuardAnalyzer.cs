using System.Collections.Immutable;
using CacheGuard.Analyzers.Rules;
using Microsoft.CodeAnalysis;
using Microsoft.CodeAnalysis.Diagnostics;

namespace CacheGuard.Analyzers.Engine;

/// <summary>
/// Every rule in one analyzer (tests, benchmarks). Not exported: the package ships one analyzer per
/// rule (<c>FixedTtlAnalyzer</c>, ...), because <c>dotnet format analyzers</c> takes the code-fix
/// equivalence key for a diagnostic ID from the first diagnostic of the analyzers supporting that ID,
/// whatever its ID: an analyzer reporting several rules makes it apply no fix at all.
/// </summary>
public sealed class CacheGuardAnalyzer : RuleAnalyzer
{
    public CacheGuardAnalyzer()
        : base(AllRules.All)
    {
    }
}

/// <summary>Every rule of the catalogue, in ID order.</summary>
internal static class AllRules
{
    public static readonly ImmutableArray<Rule> All = ImmutableArray.Create<Rule>(
        FixedTtlRule.Instance,
        SetOnWriteRule.Instance,
        CreatePathMissingInvalidationRule.Instance,
        UnguardedPopulateRule.Instance,
        MemoryCacheGetOrCreateRule.Instance,
        NegativeTtlTooLongRule.Instance,
        InvalidateBeforeWriteRule.Instance,
        UnsafeLockReleaseRule.Instance,
        PopulateWithoutExpiryRule.Instance);
}

/// <summary>
/// The engine running a set of rules. Each rule's own analyzer class (<c>FixedTtlAnalyzer</c>, ...)
/// runs that rule and is what the package exports; <see cref="CacheGuardAnalyzer"/> runs them all.
/// </summary>
public abstract class RuleAnalyzer : DiagnosticAnalyzer
{
    private readonly ImmutableArray<Rule> _rules;

    internal RuleAnalyzer(ImmutableArray<Rule> rules)
    {
        _rules = rules;
        var descriptors = ImmutableArray.CreateBuilder<DiagnosticDescriptor>();
        foreach (var rule in rules)
        {
            if (!descriptors.Contains(rule.Descriptor))
                descriptors.Add(rule.Descriptor);
        }
        SupportedDiagnostics = descriptors.ToImmutable();
    }

    internal RuleAnalyzer(Rule rule)
        : this(ImmutableArray.Create(rule))
    {
    }

    public sealed override ImmutableArray<DiagnosticDescriptor> SupportedDiagnostics { get; }

    public sealed override void Initialize(AnalysisContext context)
    {
        context.ConfigureGeneratedCodeAnalysis(GeneratedCodeAnalysisFlags.None);
        context.EnableConcurrentExecution();
        context.RegisterCompilationStartAction(start =>
        {
            if (CacheGuardEngine.TryCreate(start.Compilation, _rules, start.Options) is { } engine)
                engine.Register(start);
        });
    }
}

/// <summary>The engine with no rule: what marking bodies costs by itself (the benchmark's floor).</summary>
internal sealed class EngineOnlyAnalyzer : RuleAnalyzer
{
    public EngineOnlyAnalyzer()
        : base(ImmutableArray<Rule>.Empty)
    {
    }
}
