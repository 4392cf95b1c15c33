using Verify = CacheGuard.Analyzers.Tests.Verifiers.CSharpVerifier<CacheGuard.Analyzers.Rules.FixedTtlAnalyzer, CacheGuard.CodeFixes.FixedTtlCodeFix>;

namespace CacheGuard.Analyzers.Tests.Model;

/// <summary>
/// Expiry shapes found in real code bases (docs/reliability.md) that the expiry tracer got wrong.
/// </summary>
public class ExpiryOriginRegressionTests
{
    private const string Usings = """
        using System;
        using StackExchange.Redis;

        """;

    /// <summary>EasyCaching's BaseSet: the TTL parameter is reassigned with a random share.</summary>
    [Fact]
    public Task ParameterReassignedWithRandom_IsNotFlagged() =>
        Verify.VerifyAnalyzerAsync(Usings + """
            class Provider
            {
                IDatabase _db = null!;
                int MaxRdSecond { get; set; } = 120;

                public void Set(string key, string value, TimeSpan expiration)
                {
                    if (MaxRdSecond > 0)
                    {
                        var addSec = Random.Shared.Next(1, MaxRdSecond);
                        expiration = expiration.Add(TimeSpan.FromSeconds(addSec));
                    }
                    _db.StringSet(key, value, expiration, When.Always);
                }
            }
            """);

    [Fact]
    public Task ParameterReassignedWithAFixedValue_IsStillFlagged() =>
        Verify.VerifyAnalyzerAsync(Usings + """
            class Provider
            {
                IDatabase _db = null!;

                public void Set(string key, string value, TimeSpan? expiration)
                {
                    expiration ??= TimeSpan.FromMinutes(5);
                    _db.StringSet(key, value, {|CG0001:expiration|}, When.Always);
                }

                // Derived from the parameter alone (the literal 2 only shapes it): passed through, so its callers decide,
                // and this one passes a fixed TTL (without a caller the evidence would be missing, RULES.md).
                public void Twice(string key, string value, TimeSpan ttl)
                {
                    ttl = ttl + ttl;
                    ttl = ttl * 2;
                    _db.StringSet(key, value, {|CG0001:ttl|}, When.Always);
                }

                public void Caller(string key, string value) => Twice(key, value, TimeSpan.FromMinutes(1));
            }
            """);

    /// <summary>CacheManager's region tokens: MaxValue means "never expires", not a TTL.</summary>
    [Fact]
    public Task MaxValueExpiries_AreNotFlagged() =>
        Verify.VerifyAnalyzerAsync(Usings + """
            using System.Threading;
            using Microsoft.Extensions.Caching.Memory;

            class Regions
            {
                IMemoryCache _cache = null!;

                public void Create(string region)
                {
                    var options = new MemoryCacheEntryOptions
                    {
                        AbsoluteExpiration = DateTimeOffset.MaxValue,
                    };
                    _cache.Set(region, new object(), options);
                    _cache.Set(region + ":infinite", new object(), new MemoryCacheEntryOptions { AbsoluteExpirationRelativeToNow = Timeout.InfiniteTimeSpan });
                }
            }
            """);
}
