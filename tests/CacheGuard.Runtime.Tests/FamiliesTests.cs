using Microsoft.Extensions.Caching.Hybrid;
using Microsoft.Extensions.Caching.Memory;

namespace CacheGuard.Runtime.Tests;

/// <summary>The family helpers the code fixes rewrite into: HybridCache entry jitter, the single-flight GetOrCreate's key table.</summary>
public sealed class FamiliesTests
{
#if NET10_0_OR_GREATER // HybridCache and its test types are net10.0-only
    [Fact]
    public void HybridCacheTtl_JittersBothLevelsByOneFactor_AndKeepsFlags()
    {
        var options = new HybridCacheEntryOptions
        {
            Expiration = TimeSpan.FromMinutes(30),
            LocalCacheExpiration = TimeSpan.FromMinutes(3),
            Flags = HybridCacheEntryFlags.DisableCompression,
        };
        var seen = new HashSet<TimeSpan>();
        for (var i = 0; i < 50; i++)
        {
            var jittered = HybridCacheTtl.Jitter(options)!;
            Assert.NotSame(options, jittered);
            Assert.InRange(jittered.Expiration!.Value, TimeSpan.FromMinutes(30), TimeSpan.FromMinutes(33));
            Assert.True(jittered.LocalCacheExpiration <= jittered.Expiration);
            Assert.InRange(jittered.LocalCacheExpiration!.Value.Ticks / (double)jittered.Expiration.Value.Ticks, 0.0999, 0.1001);
            Assert.Equal(HybridCacheEntryFlags.DisableCompression, jittered.Flags);
            seen.Add(jittered.Expiration.Value);
        }
        Assert.True(seen.Count > 1);
        Assert.Null(HybridCacheTtl.Jitter(null));
        var none = new HybridCacheEntryOptions { Flags = HybridCacheEntryFlags.DisableLocalCache };
        Assert.Same(none, HybridCacheTtl.Jitter(none));
    }
#endif

    [Fact]
    public async Task MemoryCacheSingleFlight_LeavesNoKeyStateBehind_AndAFailureCachesNothing()
    {
        using var cache = new MemoryCache(new MemoryCacheOptions());
        await Assert.ThrowsAsync<InvalidOperationException>(() =>
            cache.GetOrCreateSingleFlightAsync<int>("k", _ => throw new InvalidOperationException("db down")));
        Assert.False(cache.TryGetValue("k", out _));
        Assert.Equal(0, MemoryCacheSingleFlight.InFlight(cache));

        Assert.Equal(5, await cache.GetOrCreateSingleFlightAsync("k", _ => Task.FromResult(5)));
        Assert.Equal(5, cache.GetOrCreateSingleFlight("k", _ => 6));
        Assert.Equal(0, MemoryCacheSingleFlight.InFlight(cache));
    }
}
