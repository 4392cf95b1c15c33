using Microsoft.CodeAnalysis.CSharp;
using Verify = CacheGuard.Analyzers.Tests.Verifiers.CSharpVerifier<CacheGuard.Analyzers.Rules.FixedTtlAnalyzer, CacheGuard.CodeFixes.FixedTtlCodeFix>;

namespace CacheGuard.Analyzers.Tests.Rules;

/// <summary>CG0001 over IDistributedCache, IMemoryCache and HybridCache: expiries in options objects and entries.</summary>
public class FixedTtlFamiliesTests
{
    private const string Usings = """
        using System;
        using System.Threading.Tasks;
        using Microsoft.Extensions.Caching.Distributed;
        using Microsoft.Extensions.Caching.Hybrid;
        using Microsoft.Extensions.Caching.Memory;

        """;

    private const string FixedUsings = """
        using System;
        using System.Threading.Tasks;
        using CacheGuard;
        using Microsoft.Extensions.Caching.Distributed;
        using Microsoft.Extensions.Caching.Hybrid;
        using Microsoft.Extensions.Caching.Memory;

        """;

    public static TheoryData<LanguageVersion> Versions => new() { LanguageVersion.Latest, LanguageVersion.CSharp9 };

    [Theory]
    [MemberData(nameof(Versions))]
    public Task DistributedCache_InitializerExpiry_IsFlaggedOnTheAssignment_AndJittered(LanguageVersion version) =>
        Verify.VerifyCodeFixAsync(Usings + """
            class C
            {
                IDistributedCache _cache = null!;
                Task M(string key, string json) =>
                    _cache.SetStringAsync(key, json, new DistributedCacheEntryOptions { {|CG0001:AbsoluteExpirationRelativeToNow = TimeSpan.FromMinutes(5)|} });
            }
            """, FixedUsings + """
            class C
            {
                IDistributedCache _cache = null!;
                Task M(string key, string json) =>
                    _cache.SetStringAsync(key, json, new DistributedCacheEntryOptions { AbsoluteExpirationRelativeToNow = CacheTtl.Jitter(TimeSpan.FromMinutes(5)) });
            }
            """, version);

    [Fact]
    public Task DistributedCache_SharedStaticOptions_AreFlaggedWhereBuilt() =>
        Verify.VerifyCodeFixAsync(Usings + """
            class C
            {
                static readonly DistributedCacheEntryOptions Options = new() { {|CG0001:AbsoluteExpirationRelativeToNow = TimeSpan.FromMinutes(20)|} };
                IDistributedCache _cache = null!;
                void M(string key, byte[] data) => _cache.Set(key, data, Options);
            }
            """, FixedUsings + """
            class C
            {
                static DistributedCacheEntryOptions Options => new() { AbsoluteExpirationRelativeToNow = CacheTtl.Jitter(TimeSpan.FromMinutes(20)) };
                IDistributedCache _cache = null!;
                void M(string key, byte[] data) => _cache.Set(key, data, Options);
            }
            """);

    [Fact]
    public Task DistributedCache_FluentExpiry_IsFlaggedOnTheArgument() =>
        Verify.VerifyCodeFixAsync(Usings + """
            class C
            {
                const int Minutes = 10;
                IDistributedCache _cache = null!;
                async Task M(string key, string json)
                {
                    var options = new DistributedCacheEntryOptions().SetAbsoluteExpiration({|CG0001:TimeSpan.FromMinutes(Minutes)|});
                    await _cache.SetStringAsync(key, json, options);
                }
            }
            """, FixedUsings + """
            class C
            {
                const int Minutes = 10;
                IDistributedCache _cache = null!;
                async Task M(string key, string json)
                {
                    var options = new DistributedCacheEntryOptions().SetAbsoluteExpiration(CacheTtl.Jitter(TimeSpan.FromMinutes(Minutes)));
                    await _cache.SetStringAsync(key, json, options);
                }
            }
            """);

    [Fact]
    public Task DistributedCache_PropertyAssignedLater_IsFlagged() =>
        Verify.VerifyCodeFixAsync(Usings + """
            class C
            {
                IDistributedCache _cache = null!;
                void M(string key, string json, TimeSpan ttl)
                {
                    var options = new DistributedCacheEntryOptions();
                    {|CG0001:options.AbsoluteExpirationRelativeToNow = ttl|};
                    _cache.SetString(key, json, options);
                }
                void Caller(string body) => M("k", body, TimeSpan.FromMinutes(5));
            }
            """, FixedUsings + """
            class C
            {
                IDistributedCache _cache = null!;
                void M(string key, string json, TimeSpan ttl)
                {
                    var options = new DistributedCacheEntryOptions();
                    options.AbsoluteExpirationRelativeToNow = CacheTtl.Jitter(ttl);
                    _cache.SetString(key, json, options);
                }
                void Caller(string body) => M("k", body, TimeSpan.FromMinutes(5));
            }
            """);

    [Fact]
    public Task FixedAbsoluteDateTimeOffset_IsFlagged_WithoutAFix()
    {
        var source = Usings + """
            class C
            {
                static readonly DateTimeOffset EndOfSale = new DateTimeOffset(2030, 1, 1, 0, 0, 0, TimeSpan.Zero);
                IDistributedCache _cache = null!;
                Task M(string key, string json) =>
                    _cache.SetStringAsync(key, json, new DistributedCacheEntryOptions { {|CG0001:AbsoluteExpiration = EndOfSale|} });
            }
            """;
        return Verify.VerifyCodeFixAsync(source, source);
    }

    [Fact]
    public Task MemoryCache_SetWithTimeSpan_IsFlaggedOnTheArgument() =>
        Verify.VerifyCodeFixAsync(Usings + """
            class C
            {
                IMemoryCache _cache = null!;
                void M(string key, string value) => _cache.Set(key, value, {|CG0001:TimeSpan.FromMinutes(5)|});
            }
            """, FixedUsings + """
            class C
            {
                IMemoryCache _cache = null!;
                void M(string key, string value) => _cache.Set(key, value, CacheTtl.Jitter(TimeSpan.FromMinutes(5)));
            }
            """);

    [Fact]
    public Task MemoryCache_EntryOptions_AreFlagged() =>
        Verify.VerifyCodeFixAsync(Usings + """
            class C
            {
                static readonly TimeSpan Ttl = TimeSpan.FromMinutes(5);
                IMemoryCache _cache = null!;
                void Put(string key, string value) =>
                    _cache.Set(key, value, new MemoryCacheEntryOptions { {|CG0001:AbsoluteExpirationRelativeToNow = Ttl|} });
            }
            """, FixedUsings + """
            class C
            {
                static readonly TimeSpan Ttl = TimeSpan.FromMinutes(5);
                IMemoryCache _cache = null!;
                void Put(string key, string value) =>
                    _cache.Set(key, value, new MemoryCacheEntryOptions { AbsoluteExpirationRelativeToNow = CacheTtl.Jitter(Ttl) });
            }
            """);

    [Fact]
    public Task MemoryCache_GetOrCreateAsync_EntryAssignment_IsFlagged() =>
        Verify.VerifyCodeFixAsync(Usings + """
            class C
            {
                IMemoryCache _cache = null!;
                Task<string?> GetAsync(string key, Func<Task<string>> load) =>
                    _cache.GetOrCreateAsync(key, async entry =>
                    {
                        {|CG0001:entry.AbsoluteExpirationRelativeToNow = TimeSpan.FromMinutes(5)|};
                        return await load();
                    });
            }
            """, FixedUsings + """
            class C
            {
                IMemoryCache _cache = null!;
                Task<string?> GetAsync(string key, Func<Task<string>> load) =>
                    _cache.GetOrCreateAsync(key, async entry =>
                    {
                        entry.AbsoluteExpirationRelativeToNow = CacheTtl.Jitter(TimeSpan.FromMinutes(5));
                        return await load();
                    });
            }
            """);

    [Fact]
    public Task MemoryCache_GetOrCreate_FluentEntryExpiry_IsFlagged() =>
        Verify.VerifyCodeFixAsync(Usings + """
            class C
            {
                IMemoryCache _cache = null!;
                string? Get(string key, Func<string> load) =>
                    _cache.GetOrCreate(key, entry =>
                    {
                        entry.SetAbsoluteExpiration({|CG0001:TimeSpan.FromMinutes(1)|});
                        return load();
                    });
            }
            """, FixedUsings + """
            class C
            {
                IMemoryCache _cache = null!;
                string? Get(string key, Func<string> load) =>
                    _cache.GetOrCreate(key, entry =>
                    {
                        entry.SetAbsoluteExpiration(CacheTtl.Jitter(TimeSpan.FromMinutes(1)));
                        return load();
                    });
            }
            """);

    [Fact]
    public Task HybridCache_FixedExpirations_AreFlagged() =>
        Verify.VerifyCodeFixAsync(Usings + """
            class C
            {
                HybridCache _cache = null!;
                ValueTask<string> M(string key, Func<System.Threading.CancellationToken, ValueTask<string>> load) =>
                    _cache.GetOrCreateAsync(key, load, new HybridCacheEntryOptions
                    {
                        {|CG0001:Expiration = TimeSpan.FromMinutes(5)|},
                        LocalCacheExpiration = TimeSpan.FromMinutes(1), // L1 only: an L1 miss is an L2 hit (issue 18)
                    });
            }
            """, FixedUsings + """
            class C
            {
                HybridCache _cache = null!;
                ValueTask<string> M(string key, Func<System.Threading.CancellationToken, ValueTask<string>> load) =>
                    _cache.GetOrCreateAsync(key, load, new HybridCacheEntryOptions
                    {
                        Expiration = CacheTtl.Jitter(TimeSpan.FromMinutes(5)),
                        LocalCacheExpiration = TimeSpan.FromMinutes(1), // L1 only: an L1 miss is an L2 hit (issue 18)
                    });
            }
            """);

    [Theory]
    [InlineData("new DistributedCacheEntryOptions { AbsoluteExpirationRelativeToNow = CacheTtl.Jitter(TimeSpan.FromMinutes(5)) }")]
    [InlineData("new DistributedCacheEntryOptions { AbsoluteExpirationRelativeToNow = TimeSpan.FromSeconds(300 + Random.Shared.Next(30)) }")]
    [InlineData("new DistributedCacheEntryOptions { AbsoluteExpiration = token.ExpiresAt }")]
    [InlineData("new DistributedCacheEntryOptions { AbsoluteExpirationRelativeToNow = token.ExpiresAt - DateTimeOffset.UtcNow }")]
    [InlineData("new DistributedCacheEntryOptions { AbsoluteExpirationRelativeToNow = null }")]
    [InlineData("new DistributedCacheEntryOptions()")]
    [InlineData("new DistributedCacheEntryOptions().SetAbsoluteExpiration(Jittered())")]
    [InlineData("options")]
    public Task JitteredComputedOrAbsentExpiries_AreNotFlagged(string options) =>
        Verify.VerifyAnalyzerAsync("using CacheGuard;\n" + Usings + $$"""
            class Token { public DateTimeOffset ExpiresAt { get; set; } }
            class C
            {
                IDistributedCache _cache = null!;
                static TimeSpan Jittered() => TimeSpan.FromSeconds(300 + Random.Shared.Next(30));
                Task M(string key, string json, Token token, DistributedCacheEntryOptions options) =>
                    _cache.SetStringAsync(key, json, {{options}});
            }
            """);

    // A relative TTL written as an instant (RULES.md, CG0001: the same TTL for every entry written at the same moment; a
    // constant instant). The fix jitters the offset: now + ttl and now.Add(ttl) in place, now.AddMinutes(n) as
    // now.Add(TimeSpan.FromMinutes(n)) (the same instant before the jitter). A day's start plus a day gets no fix.
    public static TheoryData<string, string, string, LanguageVersion> ClockPlusFixedOffsetCases()
    {
        var data = new TheoryData<string, string, string, LanguageVersion>();
        foreach (var version in new[] { LanguageVersion.Latest, LanguageVersion.CSharp9 })
        {
            data.Add("DateTimeOffset.UtcNow.AddMinutes(5)", "the expiry 'DateTimeOffset.UtcNow.AddMinutes(5)' is now plus a constant",
                "DateTimeOffset.UtcNow.Add(CacheTtl.Jitter(TimeSpan.FromMinutes(5)))", version);
            data.Add("DateTimeOffset.Now + TimeSpan.FromMinutes(10)", "the expiry 'DateTimeOffset.Now + TimeSpan.FromMinutes(10)' is now plus a constant",
                "DateTimeOffset.Now + CacheTtl.Jitter(TimeSpan.FromMinutes(10))", version);
            data.Add("_clock.GetUtcNow().AddSeconds(Seconds)", "the expiry '_clock.GetUtcNow().AddSeconds(Seconds)' is now plus a constant",
                "_clock.GetUtcNow().Add(CacheTtl.Jitter(TimeSpan.FromSeconds(Seconds)))", version);
            data.Add("now.AddMinutes(_options.Minutes)", "the expiry 'now.AddMinutes(_options.Minutes)' is now plus the configuration value '_options.Minutes'",
                "now.Add(CacheTtl.Jitter(TimeSpan.FromMinutes(_options.Minutes)))", version);
            data.Add("DateTime.UtcNow.Add(Ttl)", "the expiry 'DateTime.UtcNow.Add(Ttl)' is now plus the static field 'Ttl'",
                "DateTime.UtcNow.Add(CacheTtl.Jitter(Ttl))", version);
            data.Add("DateTime.Today.AddDays(1)", "the expiry 'DateTime.Today.AddDays(1)' is one instant for every entry written that day", "", version);
        }
        return data;
    }

    private const string ClockCase = """
        class CacheOptions { public int Minutes { get; set; } }
        interface IChannel { Task<string> LoadAsync(string id); }
        class C
        {
            const int Seconds = 300;
            static readonly TimeSpan Ttl = TimeSpan.FromMinutes(5);
            IMemoryCache _cache = null!;
            TimeProvider _clock = TimeProvider.System;
            CacheOptions _options = new();
            async Task<string> M(IChannel channel, string id)
            {
                if (_cache.TryGetValue(id, out string? cached))
                    return cached!;
                var now = DateTimeOffset.UtcNow;
                var value = await channel.LoadAsync(id);
                _cache.Set(id, value, EXPIRY);
                return value;
            }
        }
        """;

    [Theory]
    [MemberData(nameof(ClockPlusFixedOffsetCases))]
    public Task MemoryCache_ClockPlusFixedOffset_IsFlagged_AndTheOffsetJittered(string expiry, string why, string fixedExpiry, LanguageVersion version)
    {
        var source = Usings + ClockCase.Replace("EXPIRY", "{|#0:" + expiry + "|}");
        var fixedSource = fixedExpiry.Length == 0 ? source : FixedUsings + ClockCase.Replace("EXPIRY", fixedExpiry);
        var test = new Verifiers.CSharpVerifier<CacheGuard.Analyzers.Rules.FixedTtlAnalyzer, CacheGuard.CodeFixes.FixedTtlCodeFix>.Test(version) { TestCode = source, FixedCode = fixedSource };
        test.ExpectedDiagnostics.Add(Verify.Diagnostic("CG0001").WithLocation(0).WithArguments(why));
        return test.RunAsync();
    }

    [Theory]
    [MemberData(nameof(Versions))]
    public Task MemoryCache_ClockPlusFixedOffset_WithoutTheRuntime_JittersInline(LanguageVersion version) =>
        Verify.VerifyCodeFixWithoutRuntimeAsync(Usings + ClockCase.Replace("EXPIRY", "{|CG0001:DateTimeOffset.UtcNow.AddMinutes(5)|}"),
            Usings + ClockCase.Replace("EXPIRY", "DateTimeOffset.UtcNow.Add(TimeSpan.FromTicks((long)(TimeSpan.FromMinutes(5).Ticks * (1 + 0.1 * Random.Shared.NextDouble()))))"),
            version);

    [Theory]
    [MemberData(nameof(Versions))]
    public Task MemoryCacheEntry_ClockPlusFixedOffset_IsFlaggedOnTheAssignment_AndJittered(LanguageVersion version) =>
        Verify.VerifyCodeFixAsync(Usings + """
            interface IChannel { Task<string> LoadAsync(string id); }
            class C
            {
                IMemoryCache _cache = null!;
                Task<string?> M(IChannel channel, string id) =>
                    _cache.GetOrCreateAsync(id, async entry =>
                    {
                        {|CG0001:entry.AbsoluteExpiration = DateTimeOffset.UtcNow.AddMinutes(10)|};
                        return await channel.LoadAsync(id);
                    });
            }
            """, FixedUsings + """
            interface IChannel { Task<string> LoadAsync(string id); }
            class C
            {
                IMemoryCache _cache = null!;
                Task<string?> M(IChannel channel, string id) =>
                    _cache.GetOrCreateAsync(id, async entry =>
                    {
                        entry.AbsoluteExpiration = DateTimeOffset.UtcNow.Add(CacheTtl.Jitter(TimeSpan.FromMinutes(10)));
                        return await channel.LoadAsync(id);
                    });
            }
            """, version);

    // Not the same TTL for entries written together: the data's own lifetime, a random offset, a deadline read from the data.
    public static TheoryData<string, LanguageVersion> ClockPlusOtherOffsetCases()
    {
        var data = new TheoryData<string, LanguageVersion>();
        foreach (var version in new[] { LanguageVersion.Latest, LanguageVersion.CSharp9 })
        {
            data.Add("DateTimeOffset.UtcNow.AddSeconds(response.ExpiresIn - 30)", version);
            data.Add("DateTimeOffset.UtcNow.AddSeconds(300 + Random.Shared.Next(0, 60))", version);
            data.Add("DateTimeOffset.UtcNow + CacheTtl.Jitter(TimeSpan.FromMinutes(5))", version);
            data.Add("response.IssuedAt.AddSeconds(response.ExpiresIn)", version);
            data.Add("response.IssuedAt.AddMinutes(5)", version);
            data.Add("DateTimeOffset.UtcNow.AddSeconds(seconds)", version);
            // Bitwarden's ticket store: the ticket's own expiry, a fixed default only when it has none.
            data.Add("response.Expires ?? DateTimeOffset.UtcNow.AddMinutes(15)", version);
            data.Add("expires", version);
        }
        return data;
    }

    [Theory]
    [MemberData(nameof(ClockPlusOtherOffsetCases))]
    public Task MemoryCache_ClockPlusTheDatasLifetimeOrRandom_IsNotFlagged(string expiry, LanguageVersion version) =>
        Verify.VerifyAnalyzerAsync("using CacheGuard;\n" + Usings + $$"""
            class TokenResponse { public string AccessToken { get; set; } = ""; public int ExpiresIn { get; set; } public DateTimeOffset IssuedAt { get; set; } public DateTimeOffset? Expires { get; set; } }
            interface ITokens { Task<TokenResponse> RequestAsync(string audience); }
            class C
            {
                IMemoryCache _cache = null!;
                async Task<string> M(ITokens tokens, string audience)
                {
                    if (_cache.TryGetValue(audience, out string? cached))
                        return cached!;
                    var response = await tokens.RequestAsync(audience);
                    var seconds = response.ExpiresIn;
                    var expires = response.Expires ?? DateTimeOffset.UtcNow.AddMinutes(15);
                    _cache.Set(audience, response.AccessToken, {{expiry}});
                    return response.AccessToken;
                }
            }
            """, version);

    // Ombi's CacheService: a get-or-add helper whose instant parameter defaults to now + 1 h; its callers pass now + a day.
    // Reported once, in the helper (one fix there fixes every caller); no fix (the expiry is a parameter, not an offset).
    [Theory]
    [MemberData(nameof(Versions))]
    public Task MemoryCacheHelper_InstantParameterDefaultingToNowPlusAnHour_IsFlaggedInTheHelper(LanguageVersion version)
    {
        var source = Usings + """
            class CacheService
            {
                IMemoryCache _memoryCache = null!;
                public async Task<T> GetOrAddAsync<T>(string cacheKey, Func<Task<T>> factory, DateTimeOffset absoluteExpiration = default)
                {
                    if (absoluteExpiration == default)
                        absoluteExpiration = DateTimeOffset.Now.AddHours(1);
                    return await _memoryCache.GetOrCreateAsync<T>(cacheKey, entry =>
                    {
                        {|#0:entry.AbsoluteExpiration = absoluteExpiration|};
                        return factory();
                    });
                }
            }
            interface IMovies { Task<string> ImagesAsync(int id); }
            class Recent
            {
                CacheService _cache = null!;
                IMovies _movies = null!;
                Task<string> Images(int id) => _cache.GetOrAddAsync("images" + id, () => _movies.ImagesAsync(id), DateTimeOffset.Now.AddDays(1));
            }
            """;
        var test = new Verifiers.CSharpVerifier<CacheGuard.Analyzers.Rules.FixedTtlAnalyzer, CacheGuard.CodeFixes.FixedTtlCodeFix>.Test(version) { TestCode = source, FixedCode = source };
        test.ExpectedDiagnostics.Add(Verify.Diagnostic("CG0001").WithLocation(0)
            .WithArguments("the expiry parameter 'absoluteExpiration' is passed straight through unchanged, the one expiry for every entry its caller writes"));
        return test.RunAsync();
    }

    // A token cache: the TTL is the loaded token's own lifetime (RULES.md, CG0001: the data's own deadline), not a
    // configuration value, whether read from a local holding the response or from the awaited call itself.
    [Theory]
    [MemberData(nameof(Versions))]
    public Task MemoryCache_TtlFromTheLoadedTokensOwnLifetime_IsNotFlagged(LanguageVersion version) =>
        Verify.VerifyAnalyzerAsync(Usings + """
            class TokenResponse { public string AccessToken { get; set; } = ""; public int ExpiresIn { get; set; } public TimeSpan Lifetime { get; set; } }
            interface ITokens { Task<TokenResponse> RequestAsync(string audience); }
            class C
            {
                IMemoryCache _cache = null!;
                async Task<string> M(ITokens tokens, string audience)
                {
                    if (_cache.TryGetValue(audience, out string? cached))
                        return cached!;
                    var response = await tokens.RequestAsync(audience);
                    _cache.Set(audience, response.AccessToken, TimeSpan.FromSeconds(response.ExpiresIn - 60));
                    _cache.Set(audience + ":lifetime", response.AccessToken, response.Lifetime);
                    _cache.Set(audience + ":again", response.AccessToken, TimeSpan.FromSeconds((await tokens.RequestAsync(audience)).ExpiresIn));
                    return response.AccessToken;
                }
            }
            """, version);

    // The control: settings read into a local (a type named for settings) are still configuration, the same for every entry.
    [Theory]
    [MemberData(nameof(Versions))]
    public Task MemoryCache_TtlFromSettingsReadIntoALocal_IsFlagged(LanguageVersion version) =>
        Verify.VerifyAnalyzerAsync(Usings + """
            class CacheSettings { public int Minutes { get; set; } }
            interface ISettingsProvider { CacheSettings Get(); }
            interface IChannel { Task<string> LoadAsync(string id); }
            class C
            {
                IMemoryCache _cache = null!;
                ISettingsProvider _settings = null!;
                async Task<string> M(IChannel channel, string id)
                {
                    if (_cache.TryGetValue(id, out string? cached))
                        return cached!;
                    var settings = _settings.Get();
                    var value = await channel.LoadAsync(id);
                    _cache.Set(id, value, {|CG0001:TimeSpan.FromMinutes(settings.Minutes)|});
                    return value;
                }
            }
            """, version);

    [Fact]
    public Task WritesWithoutExpiry_AndHybridDefaults_AreNotFlagged() =>
        Verify.VerifyAnalyzerAsync(Usings + """
            class C
            {
                IDistributedCache _distributed = null!;
                IMemoryCache _memory = null!;
                HybridCache _hybrid = null!;
                async Task M(string key, string json, Func<System.Threading.CancellationToken, ValueTask<string>> load)
                {
                    await _distributed.SetStringAsync(key, json);
                    _memory.Set(key, json);
                    _memory.GetOrCreate(key, entry => json);
                    await _hybrid.GetOrCreateAsync(key, load);
                    await _hybrid.SetAsync(key, json);
                }
            }
            """);

    [Fact]
    public Task MarkersAndCooldowns_AreNotFlagged_ButCachedValuesNextToThemAre() =>
        Verify.VerifyAnalyzerAsync(Usings + """
            class C
            {
                IDistributedCache _cache = null!;
                async Task M(string key, string json)
                {
                    // "don't send again for an hour": a flag whose TTL is the point
                    var cooldown = new DistributedCacheEntryOptions { AbsoluteExpirationRelativeToNow = TimeSpan.FromHours(1) };
                    await _cache.SetAsync("sent:" + key, new byte[1], cooldown);
                    await _cache.SetAsync("seen:" + key, new byte[] { 1 }, new DistributedCacheEntryOptions
                    {
                        AbsoluteExpirationRelativeToNow = TimeSpan.FromHours(24),
                    });
                    await _cache.SetAsync("mark:" + key, [1], new DistributedCacheEntryOptions().SetAbsoluteExpiration(TimeSpan.FromMinutes(5)));
                    await _cache.SetStringAsync(key, json, new DistributedCacheEntryOptions { {|CG0001:AbsoluteExpirationRelativeToNow = TimeSpan.FromHours(1)|} });
                }
            }
            """);

    // RULES.md (issue 18): a real sliding expiration is not a fixed TTL: a hot entry never expires,
    // cold ones expire one by one. (These tests flagged sliding expirations before.)
    [Fact]
    public Task SlidingExpirations_AreNotFlagged() =>
        Verify.VerifyAnalyzerAsync(Usings + """
            class C
            {
                static readonly DistributedCacheEntryOptions Shared = new() { SlidingExpiration = TimeSpan.FromMinutes(20) };
                IMemoryCache _memory = null!;
                IDistributedCache _cache = null!;
                void M(string key, byte[] data) => _cache.Set(key, data, Shared);
                void N(string key, string value) => _memory.Set(key, value, new MemoryCacheEntryOptions { SlidingExpiration = TimeSpan.FromMinutes(5) });
                string? O(string key, Func<string> load) =>
                    _memory.GetOrCreate(key, entry =>
                    {
                        entry.SetSlidingExpiration(TimeSpan.FromMinutes(1));
                        return load();
                    });
            }
            """);

    [Fact]
    public Task CacheImplementations_OwnDefaults_AreNotFlagged() =>
        Verify.VerifyAnalyzerAsync(Usings + """
            using System.Threading;
            abstract class SqlCache : IDistributedCache
            {
                static readonly TimeSpan DefaultSliding = TimeSpan.FromMinutes(20);
                protected DistributedCacheEntryOptions Resolve(DistributedCacheEntryOptions options) =>
                    options.SlidingExpiration is null && options.AbsoluteExpirationRelativeToNow is null
                        ? new DistributedCacheEntryOptions { SlidingExpiration = DefaultSliding }
                        : options;
                public abstract byte[]? Get(string key);
                public abstract Task<byte[]?> GetAsync(string key, CancellationToken token = default);
                public abstract void Set(string key, byte[] value, DistributedCacheEntryOptions options);
                public abstract Task SetAsync(string key, byte[] value, DistributedCacheEntryOptions options, CancellationToken token = default);
                public abstract void Refresh(string key);
                public abstract Task RefreshAsync(string key, CancellationToken token = default);
                public abstract void Remove(string key);
                public abstract Task RemoveAsync(string key, CancellationToken token = default);
            }
            """);

    [Fact]
    public Task WrapperOverDistributedCache_IsFlaggedInside_NotAtCallSites() =>
        Verify.VerifyAnalyzerAsync(Usings + """
            class CacheService
            {
                private readonly IDistributedCache _cache;
                public CacheService(IDistributedCache cache) => _cache = cache;
                public Task<string?> GetAsync(string key) => _cache.GetStringAsync(key);
                public Task SetAsync(string key, string value, TimeSpan ttl) =>
                    _cache.SetStringAsync(key, value, new DistributedCacheEntryOptions { {|CG0001:AbsoluteExpirationRelativeToNow = ttl|} });
            }
            class Caller
            {
                CacheService _cache = null!;
                Task M(string key, string json) => _cache.SetAsync(key, json, TimeSpan.FromMinutes(5));
            }
            """);

    // Fresh-corpus review (eShopOnWeb): a value that is the key's own part is a marker; the control caches a loaded
    // object under a key built from its id (a member of the value, not the value), and stays reported.
    [Theory]
    [MemberData(nameof(Versions))]
    public Task MemoryCache_ValueThatIsAPartOfTheKey_IsAMarker_NotFlagged(LanguageVersion version) =>
        Verify.VerifyAnalyzerAsync(Usings + """
            class C
            {
                IMemoryCache _cache = null!;
                void Revoke(string userId, string identityKey)
                {
                    var key = $"{userId}:{identityKey}";
                    _cache.Set(key, identityKey, new MemoryCacheEntryOptions { AbsoluteExpiration = DateTime.Now.AddMinutes(60) });
                }
            }
            """, version);

    [Theory]
    [MemberData(nameof(Versions))]
    public Task MemoryCache_LoadedValueUnderAKeyFromItsId_IsFlagged(LanguageVersion version) =>
        Verify.VerifyAnalyzerAsync(Usings + """
            class User { public string Id { get; set; } = ""; }
            interface IUsers { Task<User> LoadAsync(string id); }
            class C
            {
                IMemoryCache _cache = null!;
                async Task<User> M(IUsers users, string id)
                {
                    var user = await users.LoadAsync(id);
                    _cache.Set($"user:{user.Id}", user, new MemoryCacheEntryOptions { {|CG0001:AbsoluteExpiration = DateTime.Now.AddMinutes(60)|} });
                    return user;
                }
            }
            """, version);

    // Fresh-corpus review (Ocelot): a rate limiter's storage writes counters under the key it is handed, for their window.
    // The control: a type named for rate limiting that caches loaded policies under its own key is still reported.
    [Theory]
    [MemberData(nameof(Versions))]
    public Task RateLimitStorage_CounterWindow_IsNotFlagged(LanguageVersion version) =>
        Verify.VerifyAnalyzerAsync(Usings + """
            class ClientCounter { public long Count { get; set; } }
            class DistributedRateLimitStore
            {
                IDistributedCache _cache = null!;
                public void Set(string id, string json, TimeSpan window) =>
                    _cache.SetString(id, json, new DistributedCacheEntryOptions().SetAbsoluteExpiration(window));
            }
            class Limiter
            {
                DistributedRateLimitStore _store = null!;
                IMemoryCache _memory = null!;
                void Count(string client, string json)
                {
                    _store.Set("client:" + client, json, TimeSpan.FromMinutes(1));
                    _memory.Set("client:" + client, new ClientCounter { Count = 1 }, TimeSpan.FromMinutes(1));
                }
            }
            """, version);

    [Theory]
    [MemberData(nameof(Versions))]
    public Task RateLimitNamedType_CachingLoadedPolicies_IsFlagged(LanguageVersion version) =>
        Verify.VerifyAnalyzerAsync(Usings + """
            class Policy { }
            interface IPolicies { Task<Policy[]> LoadAsync(); }
            class RateLimitPolicyCache
            {
                IMemoryCache _cache = null!;
                IPolicies _policies = null!;
                async Task<Policy[]> GetAsync()
                {
                    if (_cache.TryGetValue("policies", out Policy[]? cached))
                        return cached!;
                    var loaded = await _policies.LoadAsync();
                    _cache.Set("policies", loaded, {|CG0001:TimeSpan.FromMinutes(5)|});
                    return loaded;
                }
            }
            """, version);

    // Fresh-corpus review (BTCPay Server): a one-time code's key minted from random bytes is a temporary record;
    // a key drawn from a few random numbers (a shard) is shared, and its cached value keeps its fixed TTL reported.
    [Theory]
    [MemberData(nameof(Versions))]
    public Task MemoryCache_KeyMintedFromRandomBytes_IsNotFlagged(LanguageVersion version) =>
        Verify.VerifyAnalyzerAsync(Usings + """
            static class RandomUtils { public static byte[] GetBytes(int n) => new byte[n]; }
            class LoginCodes
            {
                static readonly TimeSpan Validity = TimeSpan.FromSeconds(60);
                IMemoryCache _cache = null!;
                static string KeyOf(string code) => "login:" + code.ToLowerInvariant();
                string Issue(string userId)
                {
                    var code = Convert.ToHexString(RandomUtils.GetBytes(20));
                    _cache.Set(KeyOf(code), userId, Validity);
                    return code;
                }
            }
            """, version);

    [Theory]
    [MemberData(nameof(Versions))]
    public Task MemoryCache_KeyDrawnFromAFewRandomNumbers_IsFlagged(LanguageVersion version) =>
        Verify.VerifyAnalyzerAsync(Usings + """
            interface IFeed { Task<string> LoadAsync(); }
            class C
            {
                IMemoryCache _cache = null!;
                Random _random = new Random();
                async Task M(IFeed feed)
                {
                    var json = await feed.LoadAsync();
                    _cache.Set("feed:" + _random.Next(16), json, {|CG0001:TimeSpan.FromMinutes(5)|});
                }
            }
            """, version);

    // Fresh-corpus review (osu-server-spectator): a cooldown or ban records the instant it ends as its value and expires then;
    // the value is read back to tell how long is left. Not a cache entry. The control caches a loaded instant with a fixed TTL.
    [Theory]
    [MemberData(nameof(Versions))]
    public Task MemoryCache_CooldownThatStoresItsOwnExpiry_IsNotFlagged(LanguageVersion version) =>
        Verify.VerifyAnalyzerAsync(Usings + """
            class Duels
            {
                static readonly TimeSpan Cooldown = TimeSpan.FromSeconds(30);
                IMemoryCache _cache = null!;
                bool TryIssue(int userId)
                {
                    var until = _cache.Get<DateTimeOffset?>("duel-until:" + userId) ?? DateTimeOffset.MinValue;
                    if (DateTimeOffset.Now < until)
                        return false;
                    DateTimeOffset expiry = DateTimeOffset.Now + Cooldown;
                    _cache.Set("duel-until:" + userId, expiry, new MemoryCacheEntryOptions { AbsoluteExpiration = expiry, Priority = CacheItemPriority.NeverRemove });
                    return true;
                }
            }
            """, version);

    [Theory]
    [MemberData(nameof(Versions))]
    public Task MemoryCache_LoadedInstantWithAFixedTtl_IsFlaggedOnce(LanguageVersion version) =>
        Verify.VerifyAnalyzerAsync(Usings + """
            interface ISyncLog { Task<DateTimeOffset> LastSyncAsync(int tenant); }
            class C
            {
                IMemoryCache _cache = null!;
                async Task<DateTimeOffset> M(ISyncLog log, int tenant)
                {
                    if (_cache.TryGetValue("last-sync:" + tenant, out DateTimeOffset known))
                        return known;
                    DateTimeOffset synced = await log.LastSyncAsync(tenant);
                    _cache.Set("last-sync:" + tenant, synced, new MemoryCacheEntryOptions { {|CG0001:AbsoluteExpirationRelativeToNow = TimeSpan.FromMinutes(5)|} });
                    return synced;
                }
            }
            """, version);

    // Set<DateTimeOffset>(key, value, options) caches an instant: the value is not the expiry (the expiry here slides).
    [Theory]
    [MemberData(nameof(Versions))]
    public Task MemoryCache_InstantValueWithASlidingExpiry_IsNotReadAsTheExpiry(LanguageVersion version) =>
        Verify.VerifyAnalyzerAsync(Usings + """
            interface IClock { Task<DateTimeOffset> LastSeenAsync(string user); }
            class C
            {
                IMemoryCache _cache = null!;
                async Task M(IClock clock, string user)
                {
                    if (_cache.TryGetValue("seen:" + user, out DateTimeOffset _))
                        return;
                    var seen = await clock.LastSeenAsync(user);
                    _cache.Set("seen:" + user, DateTimeOffset.UtcNow.AddMinutes(5), new MemoryCacheEntryOptions { SlidingExpiration = TimeSpan.FromMinutes(5) });
                }
            }
            """, version);

    // Fresh-corpus review (WalletWasabi): an idempotency store's own entry options are the replay window of a request.
    // The control: the same shape in a type named for what it caches is a cache wrapper and reported.
    [Theory]
    [MemberData(nameof(Versions))]
    public Task MemoryCache_IdempotencyStoreOptions_AreNotFlagged(LanguageVersion version) =>
        Verify.VerifyAnalyzerAsync(Usings + """
            class IdempotencyRequestCache
            {
                static MemoryCacheEntryOptions EntryOptions { get; } = new MemoryCacheEntryOptions { AbsoluteExpirationRelativeToNow = TimeSpan.FromMinutes(5) };
                IMemoryCache _cache = null!;
                public bool TryAdd(string request, out TaskCompletionSource<string> response)
                {
                    if (_cache.TryGetValue(request, out TaskCompletionSource<string>? known))
                    {
                        response = known!;
                        return false;
                    }
                    response = new TaskCompletionSource<string>();
                    _cache.Set(request, response, EntryOptions);
                    return true;
                }
            }
            """, version);

    [Theory]
    [MemberData(nameof(Versions))]
    public Task MemoryCache_ProductCacheOptionsInAProperty_AreFlagged(LanguageVersion version) =>
        Verify.VerifyAnalyzerAsync(Usings + """
            interface IProducts { Task<string> LoadAsync(string id); }
            class ProductCache
            {
                static MemoryCacheEntryOptions EntryOptions { get; } = new MemoryCacheEntryOptions { {|CG0001:AbsoluteExpirationRelativeToNow = TimeSpan.FromMinutes(5)|} };
                IMemoryCache _cache = null!;
                IProducts _products = null!;
                public async Task<string> GetAsync(string id)
                {
                    if (_cache.TryGetValue(id, out string? known))
                        return known!;
                    var loaded = await _products.LoadAsync(id);
                    _cache.Set(id, loaded, EntryOptions);
                    return loaded;
                }
            }
            """, version);

    // Fresh-corpus review (ErsatzTV): a per-channel sequence kept in the cache, each write computed from the value read
    // from the same key, is state carried forward, not a copy of a load. The control hands the old value to a load.
    [Theory]
    [MemberData(nameof(Versions))]
    public Task MemoryCache_SequenceComputedFromTheValueReadBack_IsNotFlagged(LanguageVersion version) =>
        Verify.VerifyAnalyzerAsync(Usings + """
            class IndexRecord { public IndexRecord(long start, long index) { Start = start; Index = index; } public long Start { get; } public long Index { get; } }
            class Playlists
            {
                IMemoryCache _cache = null!;
                long Next(int channel, long start)
                {
                    var key = "channel-index:" + channel;
                    long index;
                    if (_cache.TryGetValue(key, out IndexRecord? record) && record is not null)
                    {
                        index = record.Start == start ? record.Index : record.Index + 1;
                        _cache.Set(key, new IndexRecord(start, index), TimeSpan.FromDays(1));
                    }
                    else
                    {
                        index = 1;
                        _cache.Set(key, new IndexRecord(start, index), TimeSpan.FromDays(1));
                    }
                    return index;
                }
            }
            """, version);

    [Theory]
    [MemberData(nameof(Versions))]
    public Task MemoryCache_LoadHandedTheOldValue_IsStillACacheEntry(LanguageVersion version) =>
        Verify.VerifyAnalyzerAsync(Usings + """
            class Snapshot { public string Data { get; set; } = ""; }
            interface ISnapshots { Task<Snapshot> RefreshAsync(string? previous); }
            class C
            {
                IMemoryCache _cache = null!;
                ISnapshots _snapshots = null!;
                async Task<Snapshot> GetAsync(string key)
                {
                    _cache.TryGetValue(key, out Snapshot? old);
                    var fresh = new Snapshot { Data = (await _snapshots.RefreshAsync(old!.Data)).Data };
                    _cache.Set(key, fresh, {|CG0001:TimeSpan.FromMinutes(10)|});
                    return fresh;
                }
            }
            """, version);

    // Fresh-corpus review (Vue.NetCore): a cache service's TTL parameter whose only caller with a fixed TTL keeps a token it
    // has just issued (a minted value, not a cache entry) carries no evidence; the control adds a caller caching loaded data.
    private const string TokenCacheService = """
        static class JwtHelper { public static string IssueJwt(string user) => user + "." + Guid.NewGuid(); }
        interface IMenus { string Load(); }
        interface ICacheService { bool Add(string key, string value, int expireSeconds = -1, bool isSliding = false); }
        class MemoryCacheService : ICacheService
        {
            IMemoryCache _cache = null!;
            public bool Add(string key, string value, int expireSeconds = -1, bool isSliding = false) => AddObject(key, value, expireSeconds, isSliding);
            public bool AddObject(string key, object value, int expireSeconds = -1, bool isSliding = false)
            {
                if (expireSeconds != -1)
                {
                    if (isSliding)
                        _cache.Set(key, value, new MemoryCacheEntryOptions().SetSlidingExpiration(new TimeSpan(0, 0, expireSeconds)));
                    else
                        _cache.Set(key, value, new MemoryCacheEntryOptions().SetAbsoluteExpiration(MARK));
                }
                else
                {
                    _cache.Set(key, value);
                }
                return _cache.TryGetValue(key, out _);
            }
        }
        class TokenController
        {
            ICacheService _cache = null!;
            public string Refresh(string user)
            {
                string token = JwtHelper.IssueJwt(user);
                _cache.Add("token:" + user, token, 5);
                return token;
            }
        }
        """;

    [Theory]
    [MemberData(nameof(Versions))]
    public Task CacheService_WhoseOnlyFixedTtlCallerKeepsAnIssuedToken_IsNotFlagged(LanguageVersion version) =>
        Verify.VerifyAnalyzerAsync(Usings + TokenCacheService.Replace("MARK", "new TimeSpan(0, 0, expireSeconds)"), version);

    [Theory]
    [MemberData(nameof(Versions))]
    public Task CacheService_WithACallerCachingLoadedData_IsFlaggedInside(LanguageVersion version) =>
        Verify.VerifyAnalyzerAsync(Usings + TokenCacheService.Replace("MARK", "{|CG0001:new TimeSpan(0, 0, expireSeconds)|}") + """
            class MenuController
            {
                ICacheService _cache = null!;
                IMenus _menus = null!;
                public void Warm() => _cache.Add("menu", _menus.Load(), 600);
            }
            """, version);
}
