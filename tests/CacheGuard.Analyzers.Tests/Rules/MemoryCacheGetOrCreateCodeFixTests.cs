using Microsoft.CodeAnalysis.CSharp;
using Verify = CacheGuard.Analyzers.Tests.Verifiers.CSharpVerifier<CacheGuard.Analyzers.Rules.MemoryCacheGetOrCreateAnalyzer, CacheGuard.CodeFixes.MemoryCacheGetOrCreateCodeFix>;

namespace CacheGuard.Analyzers.Tests.Rules;

/// <summary>CG0004's fix on IMemoryCache.GetOrCreate(Async): the runtime's single-flight twin, same arguments.</summary>
public class MemoryCacheGetOrCreateCodeFixTests
{
    private const string Usings = """
        using System;
        using System.Threading.Tasks;
        using Microsoft.Extensions.Caching.Memory;

        """;

    private const string FixedUsings = """
        using System;
        using System.Threading.Tasks;
        using CacheGuard;
        using Microsoft.Extensions.Caching.Memory;

        """;

    public static TheoryData<LanguageVersion> Versions => new() { LanguageVersion.Latest, LanguageVersion.CSharp9 };

    [Theory]
    [MemberData(nameof(Versions))]
    public Task GetOrCreateAsync_And_GetOrCreate_BecomeSingleFlight_KeepingTheFactoryAndItsTrivia(LanguageVersion version) =>
        Verify.VerifyCodeFixAsync(Usings + """
            class Rates
            {
                IMemoryCache _cache = null!;
                Func<string, Task<decimal>> _fetch = null!;
                Func<string, decimal> _fetchNow = null!;
                public Task<decimal> GetAsync(string pair) =>
                    {|CG0004:_cache.GetOrCreateAsync("fx:" + pair, entry =>
                    {
                        // the provider's own refresh rate
                        entry.SetAbsoluteExpiration(TimeSpan.FromSeconds(300 + Random.Shared.Next(30)));
                        return _fetch(pair);
                    })|};
                public decimal Get(string pair) => {|CG0004:_cache.GetOrCreate<decimal>("fx-now:" + pair, _ => _fetchNow(pair))|};
            }
            """, FixedUsings + """
            class Rates
            {
                IMemoryCache _cache = null!;
                Func<string, Task<decimal>> _fetch = null!;
                Func<string, decimal> _fetchNow = null!;
                public Task<decimal> GetAsync(string pair) =>
                    _cache.GetOrCreateSingleFlightAsync("fx:" + pair, entry =>
                    {
                        // the provider's own refresh rate
                        entry.SetAbsoluteExpiration(TimeSpan.FromSeconds(300 + Random.Shared.Next(30)));
                        return _fetch(pair);
                    });
                public decimal Get(string pair) => _cache.GetOrCreateSingleFlight<decimal>("fx-now:" + pair, _ => _fetchNow(pair));
            }
            """, version);

    [Fact]
    public Task TheOptionsOverload_HasNoSingleFlightTwin_NoFix()
    {
        var source = Usings + """
            class Settings
            {
                IMemoryCache _cache = null!;
                Func<string, Task<string>> _load = null!;
                static readonly MemoryCacheEntryOptions Options = new() { SlidingExpiration = TimeSpan.FromMinutes(1) };
                public Task<string?> GetAsync(string key) => {|CG0004:_cache.GetOrCreateAsync(key, _ => _load(key), Options)|};
            }
            """;
        return Verify.VerifyCodeFixAsync(source, source);
    }
}
