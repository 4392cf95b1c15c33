// IDistributedCache used with care: jittered expirations, delete after commit, single-flight.
using System.Text.Json;
using CacheGuard;
using Microsoft.Extensions.Caching.Distributed;

namespace ValidCode.DistributedCacheUsage;

public sealed class ProductPages
{
    private readonly IDistributedCache _cache;
    private readonly IProductRepository _products;
    private readonly SemaphoreSlim _gate = new(1, 1);

    public ProductPages(IDistributedCache cache, IProductRepository products)
    {
        _cache = cache;
        _products = products;
    }

    public async Task<Product?> GetAsync(int id, CancellationToken cancellationToken)
    {
        var key = $"page:product:{id}";
        var json = await _cache.GetStringAsync(key, cancellationToken);
        if (json is not null)
            return JsonSerializer.Deserialize<Product>(json);

        await _gate.WaitAsync(cancellationToken);
        try
        {
            json = await _cache.GetStringAsync(key, cancellationToken);
            if (json is not null)
                return JsonSerializer.Deserialize<Product>(json);

            var product = await _products.FindAsync(id, cancellationToken);
            if (product is not null)
            {
                var options = new DistributedCacheEntryOptions
                {
                    AbsoluteExpirationRelativeToNow = CacheTtl.Jitter(TimeSpan.FromMinutes(20)),
                };
                await _cache.SetStringAsync(key, JsonSerializer.Serialize(product), options, cancellationToken);
            }
            return product;
        }
        finally
        {
            _gate.Release();
        }
    }

    public async Task UpdateAsync(Product product, CancellationToken cancellationToken)
    {
        await _products.UpdateAsync(product, cancellationToken);
        await _cache.RemoveAsync($"page:product:{product.Id}", cancellationToken);
    }

    public Task StoreFragmentAsync(string name, string html, CancellationToken cancellationToken) =>
        _cache.SetStringAsync(
            "fragment:" + name,
            html,
            new DistributedCacheEntryOptions().SetAbsoluteExpiration(TimeSpan.FromSeconds(300 + Random.Shared.Next(60))),
            cancellationToken);
}
