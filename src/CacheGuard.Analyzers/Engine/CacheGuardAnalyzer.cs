using System.Collections.Immutable;
using CacheGuard.Analyzers.Rules;
using Microsoft.CodeAnalysis;
using Microsoft.CodeAnalysis.Diagnostics;

namespace CacheGuard.Analyzers.Engine;

/// <summary>
/// The analyzer the package ships: one engine per compilation, every rule reading its model. One
/// filtered invocation callback (and one assignment callback for entry expiries) serves all eight rules.
/// </summary>
[DiagnosticAnalyzer(LanguageNames.CSharp)]
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
/// The engine running a set of rules. <see cref="CacheGuardAnalyzer"/> runs them all; each rule's own
/// analyzer class (<c>FixedTtlAnalyzer</c>, ...) runs that rule alone, for tests and for hosts that load
/// one rule. Only <see cref="CacheGuardAnalyzer"/> carries <c>[DiagnosticAnalyzer]</c>, so a build loads
/// the engine once.
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
