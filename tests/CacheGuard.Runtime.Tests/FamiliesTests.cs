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

    /// <summary>
    /// KeyLocks (CG0004's lock fix): one holder per key at a time, other keys independent, a waiter enters when the
    /// holder leaves, a cancelled waiter leaves no state, and no key state is left once every holder is gone.
    /// </summary>
    [Fact]
    public async Task KeyLocks_OneHolderPerKey_OtherKeysFree_NoStateLeftBehind()
    {
        var key = "keylocks:" + Guid.NewGuid().ToString("N");
        var before = KeyLocks.Count;
        var held = await KeyLocks.LockAsync(key);
        var waiter = KeyLocks.LockAsync(key);
        Assert.False(waiter.IsCompleted);

        // Another key is not blocked by this one (sync and async).
        using (KeyLocks.Lock(key + ":other")) { }
        (await KeyLocks.LockAsync(key + ":other2")).Dispose();

        using (var cancel = new CancellationTokenSource())
        {
            var cancelled = KeyLocks.LockAsync(key, cancel.Token);
            cancel.Cancel();
            await Assert.ThrowsAnyAsync<OperationCanceledException>(() => cancelled);
        }
        Assert.False(waiter.IsCompleted);

        held.Dispose();
        held.Dispose(); // a second Dispose releases nothing more
        var second = await waiter.WaitAsync(TimeSpan.FromSeconds(30));
        var third = KeyLocks.LockAsync(key);
        Assert.False(third.IsCompleted);
        second.Dispose();
        (await third.WaitAsync(TimeSpan.FromSeconds(30))).Dispose();
        Assert.Equal(before, KeyLocks.Count);
    }
}
