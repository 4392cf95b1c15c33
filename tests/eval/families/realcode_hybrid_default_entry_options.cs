// Drawn from food-delivery-microservices' AddCustomCaching (shape only, rewritten): HybridCache's
// DefaultEntryOptions with a fixed Expiration. Reported (every entry written without options shares the
// lifetime), but no fix: the options are built once per process, and HybridCache has no per-entry hook for
// its defaults, so jitter there would change nothing about the stampede.
using Microsoft.Extensions.Caching.Hybrid;
using Microsoft.Extensions.DependencyInjection;
namespace Eval.Families.RealCodeHybridDefaults;

public static class CachingRegistration
{
    private const int ExpirationTimeInMinute = 5;

    public static IServiceCollection AddCustomCaching(this IServiceCollection services)
    {
        services.AddHybridCache(options =>
        {
            options.MaximumPayloadBytes = 1024 * 1024;
            options.DefaultEntryOptions = new HybridCacheEntryOptions
            {
                Expiration = TimeSpan.FromMinutes(ExpirationTimeInMinute), // expect: CG0001
            };
        });
        return services;
    }
}

public sealed class ProductQueries
{
    private readonly HybridCache _cache;
    public ProductQueries(HybridCache cache) => _cache = cache;

    public ValueTask<string> NameAsync(int id, Func<CancellationToken, ValueTask<string>> load) =>
        _cache.GetOrCreateAsync($"product-name:{id}", load);
}
