using Microsoft.CodeAnalysis.Testing;
using Verify = CacheGuard.Analyzers.Tests.Verifiers.CSharpVerifier<CacheGuard.Analyzers.Rules.FixedTtlAnalyzer, CacheGuard.CodeFixes.FixedTtlCodeFix>;

namespace CacheGuard.Analyzers.Tests.Rules;

/// <summary>
/// Issue 18: CG0001's message says what makes the TTL shared, per source (docs/rules/CG0001.md,
/// "Message"), and never claims a TTL passed straight through is the same for every entry without saying why.
/// </summary>
public class FixedTtlMessageTests
{
    private const string Prelude = """
        using System;
        using System.Threading.Tasks;
        using Microsoft.Extensions.Caching.Distributed;
        using StackExchange.Redis;

        public sealed class CacheSettings { public TimeSpan Ttl { get; set; } public int Minutes { get; set; } public TimeSpan SlidingExpiration { get; set; } }

        public sealed class C
        {
            private static readonly TimeSpan ProfileTtl = TimeSpan.FromMinutes(5);
            private static readonly DateTimeOffset EndOfSale = new DateTimeOffset(2030, 1, 1, 0, 0, 0, TimeSpan.Zero);
            private const int Minutes = 10;
            private readonly IDatabase _db = null!;
            private readonly IDistributedCache _cache = null!;
            private readonly CacheSettings _settings = new();
            private readonly TimeSpan _ttl;
            public C(CacheSettings settings) { _ttl = settings.Ttl; }

        """;

    public static TheoryData<string, string> Sources => new()
    {
        { "Task M(string id, string v) => _db.StringSetAsync(\"a:\" + id, v, {|#0:TimeSpan.FromMinutes(15)|});",
          "the TTL 'TimeSpan.FromMinutes(15)' is a constant" },
        { "Task M(string id, string v) => _db.StringSetAsync(\"a:\" + id, v, {|#0:TimeSpan.FromMinutes(Minutes)|});",
          "the TTL 'TimeSpan.FromMinutes(Minutes)' is a constant" },
        { "Task M(string id, string v, bool hot) => _db.StringSetAsync(\"a:\" + id, v, {|#0:hot ? TimeSpan.FromMinutes(1) : TimeSpan.FromHours(1)|});",
          "the TTL 'hot ? TimeSpan.FromMinutes(1) : TimeSpan.FromHo...' is one constant per case" },
        { "Task M(string id, string v) => _db.StringSetAsync(\"a:\" + id, v, {|#0:ProfileTtl|});",
          "the TTL 'ProfileTtl' is a static field" },
        { "Task M(string id, string v) => _db.StringSetAsync(\"a:\" + id, v, {|#0:_settings.Ttl|});",
          "the TTL '_settings.Ttl' is a configuration value" },
        { "Task M(string id, string v) => _db.StringSetAsync(\"a:\" + id, v, {|#0:TimeSpan.FromMinutes(_settings.Minutes)|});",
          "the TTL 'TimeSpan.FromMinutes(_settings.Minutes)' comes from the configuration value '_settings.Minutes'" },
        { "Task M(string id, string v) => _db.StringSetAsync(\"a:\" + id, v, {|#0:_ttl|});",
          "the TTL '_ttl' is a field set once for the instance" },
        { "Task M(string id, string v, TimeSpan? ttl) => _db.StringSetAsync(\"a:\" + id, v, {|#0:ttl ?? TimeSpan.FromMinutes(5)|});",
          "the TTL 'ttl ?? TimeSpan.FromMinutes(5)' falls back to the fixed default 'TimeSpan.FromMinutes(5)'" },
        { "Task M(string id, string v) => _db.StringSetAsync(\"a:\" + id, v, {|#0:_settings.SlidingExpiration|});",
          "the 'sliding' TTL '_settings.SlidingExpiration' reaches Redis as a plain TTL, which does not slide" },
        { "Task M(string id, string v) => _cache.SetStringAsync(\"a:\" + id, v, new DistributedCacheEntryOptions { {|#0:AbsoluteExpiration = EndOfSale|} });",
          "the expiry 'EndOfSale' is a static field: one instant for every entry" },
        { "Task Set(string key, string v, TimeSpan ttl) => _db.StringSetAsync(key, v, {|#0:ttl|});\n    Task Caller(string id, string json) => Set(\"a:\" + id, json, TimeSpan.FromHours(2));",
          "the TTL parameter 'ttl' is passed straight through, and a caller passes 'TimeSpan.FromHours(2)'" },
        { "Task Set(string key, string v, int minutes) => _db.StringSetAsync(key, v, {|#0:TimeSpan.FromMinutes(minutes)|});\n    Task Caller(string id, string json) => Set(\"a:\" + id, json, _settings.Minutes);",
          "the TTL 'TimeSpan.FromMinutes(minutes)' comes from the parameter 'minutes', passed straight through, and a caller passes '_settings.Minutes'" },
        { "async Task<string> GetOrAdd(string key, Func<Task<string>> load, TimeSpan ttl)\n    {\n        var hit = await _db.StringGetAsync(key);\n        if (hit.HasValue) return hit!;\n        var value = await load();\n        await _db.StringSetAsync(key, value, {|#0:ttl|});\n        return value;\n    }",
          "the TTL parameter 'ttl' is passed straight through unchanged, the one TTL for every entry its caller writes" },
    };

    [Theory]
    [MemberData(nameof(Sources))]
    public async Task Message_SaysWhatMakesTheTtlShared(string member, string clause)
    {
        var test = new Verify.Test { TestCode = Prelude + "    " + member + "\n}\n" };
        test.ExpectedDiagnostics.Add(Verify.Diagnostic("CG0001").WithLocation(0).WithArguments(clause).WithOptions(DiagnosticOptions.IgnoreAdditionalLocations));
        // The CG0004 of the get-or-create helper is another analyzer's; this verifier runs CG0001 only.
        await test.RunAsync();
    }
}
