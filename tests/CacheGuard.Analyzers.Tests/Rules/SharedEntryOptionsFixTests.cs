using Verify = CacheGuard.Analyzers.Tests.Verifiers.CSharpVerifier<CacheGuard.Analyzers.Rules.FixedTtlAnalyzer, CacheGuard.CodeFixes.FixedTtlCodeFix>;

namespace CacheGuard.Analyzers.Tests.Rules;

/// <summary>
/// CG0001 on an expiry inside a stored options object (issue 17): jittered in place it would run once
/// per process, so the fix turns the member into a per-use property — only when that is faithful
/// (private, constant initializer, every use handed to a cache call); otherwise no fix.
/// </summary>
public class SharedEntryOptionsFixTests
{
    private const string Usings = """
        using System;
        using System.Threading;
        using System.Threading.Tasks;
        using Microsoft.Extensions.Caching.Distributed;
        using Microsoft.Extensions.Caching.Hybrid;
        using Microsoft.Extensions.Caching.Memory;

        """;

    private const string FixedUsings = """
        using System;
        using System.Threading;
        using System.Threading.Tasks;
        using CacheGuard;
        using Microsoft.Extensions.Caching.Distributed;
        using Microsoft.Extensions.Caching.Hybrid;
        using Microsoft.Extensions.Caching.Memory;

        """;

    [Fact]
    public Task HybridStaticReadonlyOptions_BecomeAPerUseProperty() =>
        Verify.VerifyCodeFixAsync(Usings + """
            class Catalog
            {
                private static readonly HybridCacheEntryOptions Options = new()
                {
                    {|CG0001:Expiration = TimeSpan.FromMinutes(30)|}, // half an hour
                    Flags = HybridCacheEntryFlags.DisableCompression,
                };

                private readonly HybridCache _cache = null!;

                public ValueTask<string> GetAsync(string sku, Func<CancellationToken, ValueTask<string>> load) =>
                    _cache.GetOrCreateAsync($"sku:{sku}", load, Options);

                public ValueTask PutAsync(string sku, string value) => _cache.SetAsync($"sku:{sku}", value, Catalog.Options);
            }
            """, FixedUsings + """
            class Catalog
            {
                private static HybridCacheEntryOptions Options => new()
                {
                    Expiration = CacheTtl.Jitter(TimeSpan.FromMinutes(30)), // half an hour
                    Flags = HybridCacheEntryFlags.DisableCompression,
                };

                private readonly HybridCache _cache = null!;

                public ValueTask<string> GetAsync(string sku, Func<CancellationToken, ValueTask<string>> load) =>
                    _cache.GetOrCreateAsync($"sku:{sku}", load, Options);

                public ValueTask PutAsync(string sku, string value) => _cache.SetAsync($"sku:{sku}", value, Catalog.Options);
            }
            """);

    [Fact]
    public Task DistributedReadonlyField_AndGetOnlyProperty_BecomePerUseProperties() =>
        Verify.VerifyCodeFixAsync(Usings + """
            class Profiles
            {
                const int Minutes = 10;
                readonly DistributedCacheEntryOptions _options = new DistributedCacheEntryOptions { {|CG0001:AbsoluteExpirationRelativeToNow = TimeSpan.FromMinutes(Minutes)|} };
                static MemoryCacheEntryOptions Entry { get; } = new() { {|CG0001:AbsoluteExpirationRelativeToNow = TimeSpan.FromHours(1)|}, Size = 1 };
                readonly IDistributedCache _cache = null!;
                readonly IMemoryCache _memory = null!;

                public Task PutAsync(string id, string json) => _cache.SetStringAsync($"profile:{id}", json, _options);
                public void Remember(string id, string json) => _memory.Set($"profile:{id}", json, Entry);
            }
            """, FixedUsings + """
            class Profiles
            {
                const int Minutes = 10;
                DistributedCacheEntryOptions _options => new DistributedCacheEntryOptions { AbsoluteExpirationRelativeToNow = CacheTtl.Jitter(TimeSpan.FromMinutes(Minutes)) };
                static MemoryCacheEntryOptions Entry => new() { AbsoluteExpirationRelativeToNow = CacheTtl.Jitter(TimeSpan.FromHours(1)), Size = 1 };
                readonly IDistributedCache _cache = null!;
                readonly IMemoryCache _memory = null!;

                public Task PutAsync(string id, string json) => _cache.SetStringAsync($"profile:{id}", json, _options);
                public void Remember(string id, string json) => _memory.Set($"profile:{id}", json, Entry);
            }
            """);

    [Theory]
    [InlineData("public static readonly", "_cache.SetStringAsync(key, json, Shared)")]             // other assemblies may use it
    [InlineData("private static readonly", "Store(key, json, Shared)")]                            // handed to the project's own method
    [InlineData("private static readonly", "_cache.SetStringAsync(key, json, Shared ?? new())")]   // not a plain argument
    [InlineData("private static", "_cache.SetStringAsync(key, json, Shared)")]                     // mutable field
    public Task StoredOptionsThatCannotBecomePerUse_GetNoFix(string modifiers, string use)
    {
        var source = Usings + $$"""
            class Profiles
            {
                {{modifiers}} DistributedCacheEntryOptions Shared = new() { {|CG0001:AbsoluteExpirationRelativeToNow = TimeSpan.FromMinutes(10)|} };
                readonly IDistributedCache _cache = null!;
                public Task PutAsync(string key, string json) => {{use}};
                Task Store(string key, string json, DistributedCacheEntryOptions o) => _cache.SetStringAsync(key, json, o);
            }
            """;
        return Verify.VerifyCodeFixAsync(source, source);
    }

    [Fact]
    public Task OptionsBuiltInAConstructor_GetNoFix()
    {
        var source = Usings + """
            class Profiles
            {
                readonly DistributedCacheEntryOptions _shared;
                readonly IDistributedCache _cache;
                public Profiles(IDistributedCache cache)
                {
                    _cache = cache;
                    _shared = new DistributedCacheEntryOptions { {|CG0001:AbsoluteExpirationRelativeToNow = TimeSpan.FromMinutes(10)|} };
                }
                public Task PutAsync(string key, string json) => _cache.SetStringAsync(key, json, _shared);
            }
            """;
        return Verify.VerifyCodeFixAsync(source, source);
    }

    [Fact]
    public Task InitializerThatIsNotConstant_GetsNoFix()
    {
        var source = Usings + """
            class Profiles
            {
                static int _minutes = 10;
                static readonly DistributedCacheEntryOptions Shared = new() { {|CG0001:AbsoluteExpirationRelativeToNow = TimeSpan.FromMinutes(_minutes)|} };
                readonly IDistributedCache _cache = null!;
                public Task PutAsync(string key, string json) => _cache.SetStringAsync(key, json, Shared);
            }
            """;
        return Verify.VerifyCodeFixAsync(source, source);
    }
}
