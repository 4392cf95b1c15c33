#if NET10_0_OR_GREATER
using CacheGuard;
using CacheGuard.Hybrid;
using Microsoft.Extensions.Caching.Hybrid;
using Microsoft.Extensions.DependencyInjection.Extensions;
using Microsoft.Extensions.Options;
using StackExchange.Redis;

namespace Microsoft.Extensions.DependencyInjection;

/// <summary>Registers CacheGuard as the app's <see cref="HybridCache"/> (net10.0 target only).</summary>
public static class CacheGuardHybridCacheServiceCollectionExtensions
{
    /// <summary>
    /// Registers <see cref="CacheGuardHybridCache"/> as the app's <see cref="HybridCache"/> (replacing
    /// any earlier registration, such as <c>AddHybridCache()</c>'s). Needs an
    /// <see cref="IConnectionMultiplexer"/> in DI. Also calls <c>AddCacheGuard</c>, so
    /// <see cref="CacheGuardOptions"/> (TTL jitter, leases, negative caching, serializer) apply.
    /// </summary>
    public static IServiceCollection AddCacheGuardHybridCache(this IServiceCollection services, Action<CacheGuardHybridCacheOptions>? configure = null)
    {
        ArgumentNullException.ThrowIfNull(services);
        services.AddCacheGuard();
        services.AddOptions<CacheGuardHybridCacheOptions>();
        if (configure is not null) services.Configure(configure);
        services.TryAddSingleton(sp =>
        {
            sp.GetRequiredService<ICacheGuard>(); // applies CacheGuardOptions to the multiplexer
            return new CacheGuardHybridCache(sp.GetRequiredService<IConnectionMultiplexer>(), sp.GetRequiredService<IOptions<CacheGuardHybridCacheOptions>>().Value);
        });
        services.RemoveAll<HybridCache>();
        services.AddSingleton<HybridCache>(sp => sp.GetRequiredService<CacheGuardHybridCache>());
        return services;
    }
}
#endif
