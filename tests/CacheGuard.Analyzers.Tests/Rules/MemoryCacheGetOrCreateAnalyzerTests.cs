using Microsoft.CodeAnalysis.CSharp;
using Verify = CacheGuard.Analyzers.Tests.Verifiers.CSharpVerifier<CacheGuard.Analyzers.Rules.MemoryCacheGetOrCreateAnalyzer, CacheGuard.CodeFixes.UnguardedPopulateCodeFix>;

namespace CacheGuard.Analyzers.Tests.Rules;

/// <summary>CG0004 on IMemoryCache.GetOrCreate(Async), which runs the factory for every concurrent miss.</summary>
public class MemoryCacheGetOrCreateAnalyzerTests
{
    private const string Usings = """
        using System;
        using System.Collections.Generic;
        using System.Threading;
        using System.Threading.Tasks;
        using Microsoft.Extensions.Caching.Hybrid;
        using Microsoft.Extensions.Caching.Memory;

        """;

    public static TheoryData<LanguageVersion> Versions => new() { LanguageVersion.Latest, LanguageVersion.CSharp9 };

    [Theory]
    [MemberData(nameof(Versions))]
    public async Task GetOrCreateAsync_IsFlagged_WithoutAFix(LanguageVersion version)
    {
        var source = Usings + """
            class Rates
            {
                IMemoryCache _cache = null!;
                Func<string, Task<decimal>> _fetch = null!;
                public Task<decimal> GetAsync(string pair) =>
                    {|#0:_cache.GetOrCreateAsync("fx:" + pair, entry =>
                    {
                        entry.SetAbsoluteExpiration(TimeSpan.FromSeconds(30));
                        return _fetch(pair);
                    })|};
            }
            """;
        var test = new Verify.Test(version) { TestCode = source, FixedCode = source };
        test.ExpectedDiagnostics.Add(Verify.Diagnostic("CG0004").WithLocation(0).WithArguments("\"fx:\" + pair", "'_fetch(pair)'"));
        await test.RunAsync();
    }

    [Fact]
    public Task GetOrCreate_WithAMethodGroupOrADelegate_IsFlagged() =>
        Verify.VerifyAnalyzerAsync(Usings + """
            class Settings
            {
                IMemoryCache _cache = null!;
                string Load(ICacheEntry entry) => "v";
                public string? Get(string key) => {|CG0004:_cache.GetOrCreate(key, Load)|};
                public T? GetOrAdd<T>(string key, Func<ICacheEntry, T> factory) => {|CG0004:_cache.GetOrCreate(key, factory)|};
            }
            """);

    [Fact]
    public Task SingleFlightAlready_OrNothingToRun_IsNotFlagged() =>
        Verify.VerifyAnalyzerAsync(Usings + """
            class C
            {
                IMemoryCache _cache = null!;
                HybridCache _hybrid = null!;
                readonly SemaphoreSlim _gate = new(1, 1);
                Func<CancellationToken, ValueTask<string>> _load = null!;
                Func<Task<string>> _fetch = null!;

                ValueTask<string> Hybrid(string key) => _hybrid.GetOrCreateAsync(key, _load);

                Task<string> ViaLazy(string key) =>
                    _cache.GetOrCreate(key, entry => new Lazy<Task<string>>(() => _fetch()))!.Value;

                List<int>? Container(string key) => _cache.GetOrCreate(key, entry => new List<int>());

                async Task<string?> Gated(string key)
                {
                    await _gate.WaitAsync();
                    try { return await _cache.GetOrCreateAsync(key, entry => _fetch()); }
                    finally { _gate.Release(); }
                }
            }
            """);

    // Fresh-corpus review (osu-server-spectator): a factory that returns Task.FromResult of an object built in memory
    // does no work to single-flight; the control's FromResult wraps a repository load, which is the work.
    [Theory]
    [MemberData(nameof(Versions))]
    public Task GetOrCreateAsync_FactoryReturningTaskFromResultOfANewObject_IsNotFlagged(LanguageVersion version) =>
        Verify.VerifyAnalyzerAsync(Usings + """
            class RoomStats { public long RoomId { get; set; } }
            class Hub
            {
                IMemoryCache _cache = null!;
                public async Task<RoomStats> WatchAsync(long id) =>
                    (await _cache.GetOrCreateAsync("room-stats#" + id, e =>
                    {
                        e.SlidingExpiration = TimeSpan.FromHours(24);
                        return Task.FromResult(new RoomStats { RoomId = id });
                    }))!;
            }
            """, version);

    [Theory]
    [MemberData(nameof(Versions))]
    public Task GetOrCreateAsync_FactoryReturningTaskFromResultOfARepositoryLoad_IsFlagged(LanguageVersion version) =>
        Verify.VerifyAnalyzerAsync(Usings + """
            class RoomStats { public long RoomId { get; set; } }
            interface IRoomStatsRepository { RoomStats Load(long id); }
            class Hub
            {
                IMemoryCache _cache = null!;
                IRoomStatsRepository _repository = null!;
                public async Task<RoomStats> WatchAsync(long id) =>
                    (await {|CG0004:_cache.GetOrCreateAsync("room-stats#" + id, e =>
                    {
                        e.SlidingExpiration = TimeSpan.FromHours(24);
                        return Task.FromResult(_repository.Load(id));
                    })|})!;
            }
            """, version);
}
