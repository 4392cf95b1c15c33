// HybridCache: single-flight built in; the expiration is jittered so entries expire apart.
using CacheGuard;
using Microsoft.Extensions.Caching.Hybrid;

namespace ValidCode.HybridCacheUsage;

public sealed class ProductHybridCache
{
    private readonly HybridCache _cache;
    private readonly IProductRepository _products;

    public ProductHybridCache(HybridCache cache, IProductRepository products)
    {
        _cache = cache;
        _products = products;
    }

    public ValueTask<Product?> GetAsync(int id, CancellationToken cancellationToken) =>
        _cache.GetOrCreateAsync(
            $"product:{id}",
            async ct => await _products.FindAsync(id, ct),
            new HybridCacheEntryOptions { Expiration = CacheTtl.Jitter(TimeSpan.FromMinutes(10)) },
            cancellationToken: cancellationToken);

    public async Task UpdateAsync(Product product, CancellationToken cancellationToken)
    {
        await _products.UpdateAsync(product, cancellationToken);
        await _cache.RemoveAsync($"product:{product.Id}", cancellationToken);
    }

    public ValueTask<IReadOnlyList<Product>> FeaturedAsync(CancellationToken cancellationToken) =>
        _cache.GetOrCreateAsync(
            "products:featured",
            _products,
            static (products, ct) => new ValueTask<IReadOnlyList<Product>>(products.ListFeaturedAsync(ct)),
            new HybridCacheEntryOptions { Expiration = TimeSpan.FromMinutes(5) + TimeSpan.FromSeconds(Random.Shared.Next(30)) },
            tags: new[] { "products" },
            cancellationToken: cancellationToken);
}
