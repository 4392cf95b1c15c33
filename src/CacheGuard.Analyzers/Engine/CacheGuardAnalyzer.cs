using System;
using System.Collections.Immutable;
using Microsoft.CodeAnalysis;
using Microsoft.CodeAnalysis.Diagnostics;

namespace CacheGuard.Analyzers.Engine;

/// <summary>
/// Every rule in one analyzer (tests, benchmarks): the rules of every exported rule analyzer. Not
/// exported: the package ships one analyzer per rule (<c>FixedTtlAnalyzer</c>, ...), because
/// <c>dotnet format analyzers</c> takes the code-fix equivalence key for a diagnostic ID from the first
/// diagnostic of the analyzers supporting that ID, whatever its ID: an analyzer reporting several
/// rules makes it apply no fix at all. The analyzers share one engine per compilation anyway.
/// </summary>
public sealed class CacheGuardAnalyzer : RuleAnalyzer
{
    public CacheGuardAnalyzer()
        : base(ExportedRules())
    {
    }

    private static ImmutableArray<Rule> ExportedRules()
    {
        var rules = ImmutableArray.CreateBuilder<Rule>();
        foreach (var type in typeof(CacheGuardAnalyzer).Assembly.GetTypes())
        {
            if (type.IsAbstract || !typeof(RuleAnalyzer).IsAssignableFrom(type)
                || type.GetCustomAttributes(typeof(DiagnosticAnalyzerAttribute), inherit: false).Length == 0)
            {
                continue;
            }
            foreach (var rule in ((RuleAnalyzer)Activator.CreateInstance(type)!).OwnRules)
                rules.Add(rule);
        }
        rules.Sort((x, y) => string.CompareOrdinal(x.Id, y.Id));
        return rules.ToImmutable();
    }
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

    internal ImmutableArray<Rule> OwnRules => _rules;

    public sealed override void Initialize(AnalysisContext context)
    {
        context.ConfigureGeneratedCodeAnalysis(GeneratedCodeAnalysisFlags.None);
        context.EnableConcurrentExecution();
        context.RegisterCompilationStartAction(start =>
        {
            // One engine per compilation, whichever CacheGuard analyzer gets there first.
            if (CacheGuardEngine.For(start.Compilation, start.Options) is { } engine)
                engine.Register(start, _rules);
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
