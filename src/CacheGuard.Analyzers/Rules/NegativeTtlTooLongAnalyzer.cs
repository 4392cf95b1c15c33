using System.Collections.Immutable;
using System.Globalization;
using CacheGuard.Analyzers.Configuration;
using CacheGuard.Analyzers.Model;
using Microsoft.CodeAnalysis;
using Microsoft.CodeAnalysis.CSharp.Syntax;
using CacheGuard.Analyzers.Engine;
using Microsoft.CodeAnalysis.Diagnostics;
using Microsoft.CodeAnalysis.Operations;

namespace CacheGuard.Analyzers.Rules;

/// <summary>
/// CG0005: a negative ("not found") cache entry whose TTL is longer than the negative-TTL limit,
/// including the implicit form: a nullable lookup result cached with the positive TTL.
/// </summary>
[DiagnosticAnalyzer(LanguageNames.CSharp)]
public sealed class NegativeTtlTooLongAnalyzer : RuleAnalyzer
{
    /// <summary>Diagnostic property: the limit in seconds (invariant culture) the fix's TTL must respect.</summary>
    public const string LimitSecondsProperty = "LimitSeconds";

    /// <summary>
    /// Diagnostic property: <see cref="ReplaceFix"/> (the whole write is negative: replace the TTL) or
    /// <see cref="SplitFix"/> (hits and misses share the write: choose the TTL by the lookup result,
    /// which is the diagnostic's additional location).
    /// </summary>
    public const string FixProperty = "Fix";

    public const string ReplaceFix = "Replace";
    public const string SplitFix = "Split";

    public NegativeTtlTooLongAnalyzer()
        : base(NegativeTtlTooLongRule.Instance)
    {
    }
}

/// <summary>CG0005, read against the engine's model of one body.</summary>
internal sealed class NegativeTtlTooLongRule : Rule
{
    public static readonly NegativeTtlTooLongRule Instance = new();

    private NegativeTtlTooLongRule()
        : base(Descriptors.CG0005_NegativeTtlTooLong)
    {
    }

    public override void Analyze(MethodContext context)
    {
        var api = context.Api;
        var settings = context.Settings(RuleIds.NegativeTtlTooLong);
        if (settings.IsExcluded(context.OwningSymbol))
            return;

        var facts = context.Facts;
        foreach (var operation in facts.CacheOperations)
        {
            if (operation.Kind != CacheOperationKind.Write)
                continue;
            if (operation.Expiry is null && operation.Family is CacheFamily.DistributedCache or CacheFamily.MemoryCache)
            {
                // The expiry lives in an options object or on the entry: judge each one that reaches
                // this write, report where it is set, offer no fix (the runtime's fixes are Redis-only).
                ReportEntryExpiries(context, operation, api, settings);
                continue;
            }
            if (operation.Expiry is not { } expiry || !operation.HasExpiry)
                continue;
            if (NegativeCacheWrites.Recognize(operation, context.OwningSymbol, api) is not { } negative)
                continue;
            if (TtlValue.LowerBound(expiry.Value, api) is not { } ttl || ttl <= settings.NegativeTtlLimit)
                continue;

            var properties = ImmutableDictionary<string, string?>.Empty
                .Add(NegativeTtlTooLongAnalyzer.LimitSecondsProperty, settings.NegativeTtlLimit.TotalSeconds.ToString("R", CultureInfo.InvariantCulture));
            var additional = ImmutableArray<Location>.Empty;
            if (IsFixable(expiry, api))
            {
                if (!negative.IsImplicit)
                {
                    properties = properties.Add(NegativeTtlTooLongAnalyzer.FixProperty, NegativeTtlTooLongAnalyzer.ReplaceFix);
                }
                else if (negative.Lookup is ILocalReferenceOperation lookup && !lookup.Syntax.ContainsDiagnostics)
                {
                    properties = properties.Add(NegativeTtlTooLongAnalyzer.FixProperty, NegativeTtlTooLongAnalyzer.SplitFix);
                    additional = ImmutableArray.Create(lookup.Syntax.GetLocation());
                }
            }

            var location = expiry.Syntax is ArgumentSyntax argument ? argument.Expression.GetLocation() : expiry.Syntax.GetLocation();
            var what = negative.IsImplicit ? TtlValue.Describe(ttl) + " (the positive TTL, with no null check)" : TtlValue.Describe(ttl);
            context.ReportDiagnostic(Diagnostic.Create(
                Descriptors.CG0005_NegativeTtlTooLong, location, additional, properties, what, TtlValue.Describe(settings.NegativeTtlLimit)));
        }
    }

    private static void ReportEntryExpiries(MethodContext context, CacheOperation operation, CacheApi api, CacheGuardSettings settings)
    {
        if (NegativeCacheWrites.Recognize(operation, context.OwningSymbol, api) is not { IsImplicit: false })
            return;
        foreach (var entryExpiry in EntryExpiries.Reaching(operation, api))
        {
            if (TtlValue.LowerBound(entryExpiry.Value, api) is not { } ttl || ttl <= settings.NegativeTtlLimit)
                continue;
            var properties = ImmutableDictionary<string, string?>.Empty
                .Add(NegativeTtlTooLongAnalyzer.LimitSecondsProperty, settings.NegativeTtlLimit.TotalSeconds.ToString("R", CultureInfo.InvariantCulture));
            context.ReportDiagnostic(Diagnostic.Create(
                Descriptors.CG0005_NegativeTtlTooLong, entryExpiry.ReportOn.GetLocation(), properties, TtlValue.Describe(ttl), TtlValue.Describe(settings.NegativeTtlLimit)));
        }
    }

    /// <summary>The expiry is an explicit TimeSpan (or Expiration built from one) argument the fix can replace.</summary>
    private static bool IsFixable(IArgumentOperation expiry, CacheApi api)
    {
        if (api.RuntimeCacheTtl is null || expiry.ArgumentKind != ArgumentKind.Explicit || expiry.Syntax is not ArgumentSyntax || expiry.Syntax.ContainsDiagnostics)
            return false;
        var parameter = expiry.Parameter?.Type;
        if (parameter is null)
            return false;
        var stripped = OperationFacts.StripNullable(parameter);
        return SymbolEqualityComparer.Default.Equals(stripped, api.TimeSpan)
            || SymbolEqualityComparer.Default.Equals(stripped, api.RedisExpiration);
    }
}
