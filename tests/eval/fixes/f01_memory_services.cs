// IMemoryCache in application services: a GetOrAdd wrapper over GetOrCreateAsync, the
// TryGetValue-miss-block shape with shared entry options, a sync site list.
using Microsoft.Extensions.Caching.Memory;
namespace RealShapes.F01;

public class CacheService
{
    private readonly IMemoryCache _memoryCache;
    public CacheService(IMemoryCache memoryCache) => _memoryCache = memoryCache;

    public async Task<T?> GetOrAddAsync<T>(string cacheKey, Func<Task<T>> factory) =>
        await _memoryCache.GetOrCreateAsync<T>(cacheKey, entry => // expect: CG0004
        {
            entry.AbsoluteExpirationRelativeToNow = TimeSpan.FromSeconds(3600 + Random.Shared.Next(360));
            return factory();
        });
}

public class ProductStats
{
    private static readonly MemoryCacheEntryOptions StatsOptions = new() { SlidingExpiration = TimeSpan.FromMinutes(10) };
    private readonly IMemoryCache _cache;
    private readonly IProductRepository _products;
    public ProductStats(IMemoryCache cache, IProductRepository products) { _cache = cache; _products = products; }

    public async Task<List<Product>> TopAsync()
    {
        if (!_cache.TryGetValue("stats:top", out List<Product>? top)) // expect: CG0004
        {
            top = await _products.GetAllAsync();
            _cache.Set("stats:top", top, StatsOptions);
        }
        return top!;
    }

    public List<Site> Sites()
    {
        if (_cache.TryGetValue("sites", out List<Site>? sites)) return sites!; // expect: CG0004
        var loaded = _products.GetSites();
        _cache.Set("sites", loaded, TimeSpan.FromSeconds(600 + Random.Shared.Next(60)));
        return loaded;
    }
}
