using System.Runtime.CompilerServices;
using CacheGuard;
using Microsoft.Extensions.DependencyInjection.Extensions;
using StackExchange.Redis;

namespace CacheGuard
{
    /// <summary>The near cache as an option of the <see cref="IDatabase"/> extensions.</summary>
    public static class NearCacheDatabaseExtensions
    {
        private static readonly ConditionalWeakTable<IConnectionMultiplexer, Dictionary<int, NearCache>> Shared = new();

        /// <summary>
        /// The near cache of <paramref name="db"/>'s multiplexer and database, created on first use
        /// with <paramref name="options"/> (later calls return the same instance; their options are
        /// ignored). Use it where a call site would use the database:
        /// <c>db.WithNearCache().GetOrSetAsync(key, factory, options)</c>,
        /// <c>db.WithNearCache().InvalidateAsync(key)</c>.
        /// </summary>
        public static NearCache WithNearCache(this IDatabase db, NearCacheOptions? options = null)
        {
            ArgumentNullException.ThrowIfNull(db);
            var byDb = Shared.GetValue(db.Multiplexer, _ => new Dictionary<int, NearCache>());
            lock (byDb)
            {
                if (!byDb.TryGetValue(db.Database, out var near))
                    byDb[db.Database] = near = new NearCache(db.Multiplexer, options, db.Database);
                return near;
            }
        }
    }
}

namespace Microsoft.Extensions.DependencyInjection
{
    /// <summary>Registers a <see cref="NearCache"/> singleton.</summary>
    public static class NearCacheServiceCollectionExtensions
    {
        /// <summary>
        /// Registers the <see cref="NearCache"/> of the <see cref="IConnectionMultiplexer"/> in DI
        /// (the same instance <c>db.WithNearCache()</c> returns), and <c>AddCacheGuard</c>.
        /// </summary>
        public static IServiceCollection AddCacheGuardNearCache(this IServiceCollection services, Action<NearCacheOptions>? configure = null)
        {
            ArgumentNullException.ThrowIfNull(services);
            services.AddCacheGuard();
            services.TryAddSingleton(sp =>
            {
                sp.GetRequiredService<ICacheGuard>(); // applies CacheGuardOptions to the multiplexer
                var options = new NearCacheOptions();
                configure?.Invoke(options);
                return sp.GetRequiredService<IConnectionMultiplexer>().GetDatabase().WithNearCache(options);
            });
            return services;
        }
    }
}
