// IMemoryCache used with care: jittered expirations, one loader per key, removal after commit.
using System.Collections.Concurrent;
using CacheGuard;
using Microsoft.Extensions.Caching.Memory;

namespace ValidCode.MemoryCacheUsage;

public sealed class ProductMemoryCache
{
    private readonly IMemoryCache _cache;
    private readonly IProductRepository _products;
    private readonly ConcurrentDictionary<int, SemaphoreSlim> _gates = new();

    public ProductMemoryCache(IMemoryCache cache, IProductRepository products)
    {
        _cache = cache;
        _products = products;
    }

    public async Task<Product?> GetAsync(int id, CancellationToken cancellationToken)
    {
        var key = $"product:{id}";
        if (_cache.TryGetValue(key, out Product? product))
            return product;

        var gate = _gates.GetOrAdd(id, _ => new SemaphoreSlim(1, 1));
        await gate.WaitAsync(cancellationToken);
        try
        {
            if (_cache.TryGetValue(key, out product))
                return product;

            product = await _products.FindAsync(id, cancellationToken);
            if (product is not null)
                _cache.Set(key, product, CacheTtl.Jitter(TimeSpan.FromMinutes(5)));
            return product;
        }
        finally
        {
            gate.Release();
        }
    }

    public async Task UpdateAsync(Product product, CancellationToken cancellationToken)
    {
        await _products.UpdateAsync(product, cancellationToken);
        _cache.Remove($"product:{product.Id}");
    }

    public void RememberSettings(string name, string value)
    {
        using var entry = _cache.CreateEntry("settings:" + name);
        entry.Value = value;
        entry.AbsoluteExpirationRelativeToNow = CacheTtl.Jitter(TimeSpan.FromMinutes(1));
    }
}
