using System.Collections.Generic;
using System.Collections.Immutable;
using System.Globalization;
using CacheGuard.Analyzers.Model;
using Microsoft.CodeAnalysis;
using Microsoft.CodeAnalysis.Diagnostics;

namespace CacheGuard.Analyzers.Rules;

/// <summary>
/// CG0004: a cache read that, on a miss, runs a factory and writes the result back to the same key
/// with no single-flight around the factory. Reported on the read; the populates are additional locations.
/// </summary>
[DiagnosticAnalyzer(LanguageNames.CSharp)]
public sealed class UnguardedPopulateAnalyzer : DiagnosticAnalyzer
{
    /// <summary>Diagnostic property: the TTL in seconds the fix uses when the populate sets none.</summary>
    public const string DefaultTtlSecondsProperty = "DefaultTtlSeconds";

    /// <summary>Diagnostic property present when the populate is in a helper (the fix only rewrites one body).</summary>
    public const string HelperProperty = "Helper";

    public override ImmutableArray<DiagnosticDescriptor> SupportedDiagnostics { get; } = ImmutableArray.Create(Descriptors.UnguardedPopulate);

    public override void Initialize(AnalysisContext context)
    {
        context.ConfigureGeneratedCodeAnalysis(GeneratedCodeAnalysisFlags.None);
        context.EnableConcurrentExecution();
        context.RegisterCompilationStartAction(start =>
        {
            if (CacheApi.TryCreate(start.Compilation) is not { } api)
                return;
            GetThenPopulateAnalysis.Register(start, api, RuleIds.UnguardedPopulate, Report);
        });
    }

    private static void Report(SymbolAnalysisContext context, GetThenPopulate pattern, Configuration.CacheGuardSettings settings)
    {
        if (pattern.IsGuarded)
            return;
        var additional = new List<Location>();
        foreach (var populate in pattern.Populates)
            additional.Add(populate.Syntax.GetLocation());

        var properties = ImmutableDictionary<string, string?>.Empty
            .Add(DefaultTtlSecondsProperty, settings.DefaultTtl.TotalSeconds.ToString("R", CultureInfo.InvariantCulture));
        if (pattern.HelperCall is not null)
            properties = properties.Add(HelperProperty, "true");

        context.ReportDiagnostic(Diagnostic.Create(
            Descriptors.UnguardedPopulate,
            pattern.Read.Syntax.GetLocation(),
            additional,
            properties,
            CacheKeys.Describe(pattern.Read.Key),
            pattern.Factory.Describe()));
    }
}
