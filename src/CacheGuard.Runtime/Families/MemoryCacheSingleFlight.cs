using System.Runtime.CompilerServices;
using Microsoft.Extensions.Caching.Memory;

namespace CacheGuard;

/// <summary>
/// <c>IMemoryCache.GetOrCreate(Async)</c>, single-flight per key: <c>CacheExtensions.GetOrCreate(Async)</c>
/// runs the factory for every caller that misses at the same moment (dotnet/runtime#36500). These
/// have the same signatures and results; concurrent misses of one key wait for the first caller's
/// factory and then read what it cached. A factory that throws caches nothing, and the next waiter
/// runs the factory itself, as each caller would have. In-process only: an <c>IMemoryCache</c> is.
/// </summary>
public static class MemoryCacheSingleFlight
{
    private static readonly ConditionalWeakTable<IMemoryCache, KeyedGate<object>> Gates = new();

    /// <summary>As <c>CacheExtensions.GetOrCreate</c>, with one factory run per key at a time.</summary>
    /// <example><code>var rates = _cache.GetOrCreateSingleFlight("rates", entry => { entry.AbsoluteExpirationRelativeToNow = CacheTtl.Jitter(TimeSpan.FromMinutes(5)); return _api.LoadRates(); });</code></example>
    public static TItem? GetOrCreateSingleFlight<TItem>(this IMemoryCache cache, object key, Func<ICacheEntry, TItem> factory)
    {
        ArgumentNullException.ThrowIfNull(cache);
        ArgumentNullException.ThrowIfNull(key);
        ArgumentNullException.ThrowIfNull(factory);
        if (cache.TryGetValue(key, out var hit))
            return (TItem?)hit;
        using (GatesOf(cache).Enter(key))
            return cache.GetOrCreate(key, factory);
    }

    /// <summary>As <c>CacheExtensions.GetOrCreateAsync</c>, with one factory run per key at a time.</summary>
    /// <example><code>var user = await _cache.GetOrCreateSingleFlightAsync($"user:{id}", async entry => { entry.SlidingExpiration = TimeSpan.FromMinutes(2); return await _db.FindAsync(id); });</code></example>
    public static async Task<TItem?> GetOrCreateSingleFlightAsync<TItem>(this IMemoryCache cache, object key, Func<ICacheEntry, Task<TItem>> factory)
    {
        ArgumentNullException.ThrowIfNull(cache);
        ArgumentNullException.ThrowIfNull(key);
        ArgumentNullException.ThrowIfNull(factory);
        if (cache.TryGetValue(key, out var hit))
            return (TItem?)hit;
        using (await GatesOf(cache).EnterAsync(key, CancellationToken.None).ConfigureAwait(false))
            return await cache.GetOrCreateAsync(key, factory).ConfigureAwait(false);
    }

    /// <summary>Keys of <paramref name="cache"/> with a factory running or awaited right now (for tests and diagnostics).</summary>
    internal static int InFlight(IMemoryCache cache) => Gates.TryGetValue(cache, out var gates) ? gates.Count : 0;

    private static KeyedGate<object> GatesOf(IMemoryCache cache) => Gates.GetValue(cache, _ => new KeyedGate<object>());
}
