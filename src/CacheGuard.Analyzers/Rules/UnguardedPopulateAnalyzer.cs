using System.Collections.Generic;
using System.Collections.Immutable;
using System.Globalization;
using CacheGuard.Analyzers.Model;
using Microsoft.CodeAnalysis;
using Microsoft.CodeAnalysis.Diagnostics;
using CacheGuard.Analyzers.Engine;

namespace CacheGuard.Analyzers.Rules;

/// <summary>
/// CG0004: a cache read that, on a miss, runs a factory and writes the result back to the same key
/// with no single-flight around the factory. Reported on the read; the populates are additional locations.
/// </summary>
[DiagnosticAnalyzer(LanguageNames.CSharp)]
public sealed class UnguardedPopulateAnalyzer : RuleAnalyzer
{
    /// <summary>Diagnostic property: the TTL in seconds the fix uses when the populate sets none.</summary>
    public const string DefaultTtlSecondsProperty = "DefaultTtlSeconds";

    /// <summary>Diagnostic property present when the populate is in a helper (the fix only rewrites one body).</summary>
    public const string HelperProperty = "Helper";

    public UnguardedPopulateAnalyzer()
        : base(UnguardedPopulateRule.Instance)
    {
    }
}

/// <summary>CG0004, read against the engine's model of one body: its get-then-populate patterns.</summary>
internal sealed class UnguardedPopulateRule : Rule
{
    public static readonly UnguardedPopulateRule Instance = new();

    private UnguardedPopulateRule()
        : base(Descriptors.CG0004_UnguardedPopulate)
    {
    }

    public override void Analyze(MethodContext context)
    {
        var settings = context.Settings(RuleIds.UnguardedPopulate);
        if (settings.IsExcluded(context.OwningSymbol))
            return;
        foreach (var pattern in context.GetThenPopulates)
        {
            if (pattern.IsGuarded)
                continue;
            var additional = new List<Location>();
            foreach (var populate in pattern.Populates)
                additional.Add(populate.Syntax.GetLocation());

            var properties = ImmutableDictionary<string, string?>.Empty
                .Add(UnguardedPopulateAnalyzer.DefaultTtlSecondsProperty, settings.DefaultTtl.TotalSeconds.ToString("R", CultureInfo.InvariantCulture));
            if (pattern.HelperCall is not null)
                properties = properties.Add(UnguardedPopulateAnalyzer.HelperProperty, "true");

            context.ReportDiagnostic(Diagnostic.Create(
                Descriptor,
                pattern.Read.Syntax.GetLocation(),
                additional,
                properties,
                CacheKeys.Describe(pattern.Read.Key),
                pattern.Factory.Describe()));
        }
    }
}
