#if NET10_0_OR_GREATER
using Microsoft.Extensions.Caching.Hybrid;

namespace CacheGuard;

/// <summary>
/// Jitter for <c>HybridCache</c> entries. HybridCache is single-flight already, but a fixed
/// <see cref="HybridCacheEntryOptions.Expiration"/> still makes entries written together expire
/// together. Pass <c>HybridCacheTtl.Jitter(options)</c> at each call: every entry gets its own TTL.
/// </summary>
public static class HybridCacheTtl
{
    /// <summary>
    /// A copy of <paramref name="options"/> with <see cref="HybridCacheEntryOptions.Expiration"/> and
    /// <see cref="HybridCacheEntryOptions.LocalCacheExpiration"/> jittered by the same factor
    /// (so the local level never outlives the distributed one); flags kept. Null stays null (the cache's defaults).
    /// </summary>
    public static HybridCacheEntryOptions? Jitter(HybridCacheEntryOptions? options) => Jitter(options, TtlJitter.Shared.Fraction);

    /// <summary>As <see cref="Jitter(HybridCacheEntryOptions?)"/> with an explicit jitter share (0 to 1).</summary>
    public static HybridCacheEntryOptions? Jitter(HybridCacheEntryOptions? options, double fraction)
    {
        if (options is null || (options.Expiration is null && options.LocalCacheExpiration is null))
            return options;
        var reference = options.Expiration ?? options.LocalCacheExpiration!.Value;
        var jittered = TtlJitter.Shared.Apply(reference, fraction);
        var factor = reference > TimeSpan.Zero ? jittered.Ticks / (double)reference.Ticks : 1.0;
        return new HybridCacheEntryOptions
        {
            Expiration = Scale(options.Expiration, factor),
            LocalCacheExpiration = Scale(options.LocalCacheExpiration, factor),
            Flags = options.Flags,
        };
    }

    private static TimeSpan? Scale(TimeSpan? ttl, double factor) =>
        ttl is { } t ? TimeSpan.FromTicks((long)Math.Min(TimeSpan.MaxValue.Ticks, t.Ticks * factor)) : null;
}
#endif
