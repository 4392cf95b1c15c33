using System;
using System.Collections.Concurrent;
using System.Collections.Immutable;
using System.Globalization;
using System.Runtime.CompilerServices;
using CacheGuard.Analyzers.Model;
using Microsoft.CodeAnalysis;
using Microsoft.CodeAnalysis.Diagnostics;

namespace CacheGuard.Analyzers.Configuration;

/// <summary>
/// The <c>.editorconfig</c> options of every rule, parsed once per options set. Keys are
/// <c>cacheguard.&lt;option&gt;</c> (all rules) or <c>dotnet_diagnostic.CGxxxx.&lt;option&gt;</c> (one rule,
/// which wins); lists are separated by <c>,</c> or <c>|</c> (editorconfig treats <c>;</c> as a comment).
/// </summary>
internal sealed class CacheGuardSettings
{
    public const string JitterFractionKey = "jitter_fraction";
    public const string ExcludedSymbolsKey = "excluded_symbols";
    public const string WriteVerbsKey = "write_verbs";
    public const string CreateVerbsKey = "create_verbs";
    public const string NegativeTtlLimitKey = "negative_ttl_limit_seconds";
    public const string DefaultTtlKey = "default_ttl_seconds";
    public const string AnalyzeTestsKey = "analyze_tests";

    public const double DefaultJitterFraction = 0.10;

    private static readonly ConditionalWeakTable<AnalyzerConfigOptions, ConcurrentDictionary<string, CacheGuardSettings>> Cache = new();

    private readonly AnalyzerConfigOptions _options;
    private readonly string _ruleId;

    private CacheGuardSettings(AnalyzerConfigOptions options, string ruleId)
    {
        _options = options;
        _ruleId = ruleId;
        JitterFraction = ParseFraction(Get(JitterFractionKey));
        ExcludedSymbols = ParseList(Get(ExcludedSymbolsKey));
        // Project-wide: the body model every rule reads depends on them, so no rule may see other verbs.
        WriteVerbs = ParseList(GetGlobal(WriteVerbsKey)) is { Length: > 0 } verbs ? verbs : DatabaseWrites.DefaultVerbs;
        CreateVerbs = ParseList(GetGlobal(CreateVerbsKey)) is { Length: > 0 } create ? create : ImmutableArray.Create("Create", "Insert", "Add", "Register", "SignUp");
        NegativeTtlLimit = ParseSeconds(Get(NegativeTtlLimitKey)) ?? TimeSpan.FromSeconds(30);
        DefaultTtl = ParseSeconds(Get(DefaultTtlKey)) ?? TimeSpan.FromMinutes(5);
    }

    /// <summary>The jitter fraction the CG0001 fix passes to the runtime (default 0.1 = +0–10%).</summary>
    public double JitterFraction { get; }

    /// <summary>Methods or types (<c>Name</c>, <c>Namespace.Type</c>, <c>Namespace.Type.Method</c>, or a prefix ending in <c>*</c>) not analyzed.</summary>
    public ImmutableArray<string> ExcludedSymbols { get; }

    /// <summary>Verbs that make a repository-like call a database write (<c>cacheguard.write_verbs</c>, project-wide).</summary>
    public ImmutableArray<string> WriteVerbs { get; }

    /// <summary>Verbs that make a method a create path (CG0003; <c>cacheguard.create_verbs</c>, project-wide).</summary>
    public ImmutableArray<string> CreateVerbs { get; }

    /// <summary>The longest acceptable negative TTL (CG0005; default 30 s).</summary>
    public TimeSpan NegativeTtlLimit { get; }

    /// <summary>The TTL the CG0008 fix writes before jitter (default 5 minutes).</summary>
    public TimeSpan DefaultTtl { get; }

    public static CacheGuardSettings For(AnalyzerOptions options, SyntaxTree tree, string ruleId) =>
        For(options.AnalyzerConfigOptionsProvider.GetOptions(tree), ruleId);

    public static CacheGuardSettings For(AnalyzerConfigOptions options, string ruleId)
        => Cache.GetValue(options, _ => new ConcurrentDictionary<string, CacheGuardSettings>(StringComparer.Ordinal))
                .GetOrAdd(ruleId, id => new CacheGuardSettings(options, id));

    /// <summary>True when <paramref name="symbol"/> (a method) or its containing type is excluded by configuration.</summary>
    public bool IsExcluded(ISymbol? symbol)
    {
        if (symbol is null || ExcludedSymbols.IsEmpty)
            return false;
        for (var current = symbol; current is not null && current is not INamespaceSymbol; current = current.ContainingSymbol)
        {
            var simple = current.Name;
            var full = current.ToDisplayString(SymbolDisplayFormat.CSharpErrorMessageFormat.WithParameterOptions(SymbolDisplayParameterOptions.None).WithMemberOptions(SymbolDisplayMemberOptions.IncludeContainingType));
            foreach (var pattern in ExcludedSymbols)
            {
                if (pattern.EndsWith("*", StringComparison.Ordinal))
                {
                    var prefix = pattern.Substring(0, pattern.Length - 1);
                    if (full.StartsWith(prefix, StringComparison.Ordinal))
                        return true;
                }
                else if (string.Equals(pattern, simple, StringComparison.Ordinal) || string.Equals(pattern, full, StringComparison.Ordinal))
                {
                    return true;
                }
            }
        }
        return false;
    }

    private string? Get(string option)
    {
        if (_options.TryGetValue($"dotnet_diagnostic.{_ruleId}.{option}", out var perRule) && !string.IsNullOrWhiteSpace(perRule))
            return perRule;
        return _options.TryGetValue($"cacheguard.{option}", out var global) && !string.IsNullOrWhiteSpace(global) ? global : null;
    }

    private string? GetGlobal(string option) =>
        _options.TryGetValue($"cacheguard.{option}", out var global) && !string.IsNullOrWhiteSpace(global) ? global : null;

    private static ImmutableArray<string> ParseList(string? value)
    {
        if (value is null)
            return ImmutableArray<string>.Empty;
        var builder = ImmutableArray.CreateBuilder<string>();
        foreach (var part in value.Split(new[] { ',', '|' }, StringSplitOptions.RemoveEmptyEntries))
        {
            var trimmed = part.Trim();
            if (trimmed.Length > 0)
                builder.Add(trimmed);
        }
        return builder.ToImmutable();
    }

    // Bad values fall back to the default: an analyzer must never throw on configuration.
    private static double ParseFraction(string? value) =>
        value is not null
        && double.TryParse(value.Trim(), NumberStyles.Float, CultureInfo.InvariantCulture, out var fraction)
        && fraction > 0 && fraction <= 1
            ? fraction
            : DefaultJitterFraction;

    private static TimeSpan? ParseSeconds(string? value) =>
        value is not null
        && double.TryParse(value.Trim(), NumberStyles.Float, CultureInfo.InvariantCulture, out var seconds)
        && seconds > 0 && seconds < TimeSpan.MaxValue.TotalSeconds
            ? TimeSpan.FromSeconds(seconds)
            : null;
}
