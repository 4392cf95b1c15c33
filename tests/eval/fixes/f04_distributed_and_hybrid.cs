// IDistributedCache cache-aside in a service, HybridCache with fixed entry options per call.
using System.Text.Json;
using Microsoft.Extensions.Caching.Distributed;
using Microsoft.Extensions.Caching.Hybrid;
namespace RealShapes.F04;

public class ProductApi
{
    private readonly IDistributedCache _cache;
    private readonly IProductRepository _repo;
    public ProductApi(IDistributedCache cache, IProductRepository repo) { _cache = cache; _repo = repo; }

    public async Task<Product?> GetAsync(int id)
    {
        var json = await _cache.GetStringAsync($"api:product:{id}"); // expect: CG0004
        if (json is not null) return JsonSerializer.Deserialize<Product>(json);
        var product = await _repo.GetAsync(id);
        if (product is null) return null;
        await _cache.SetStringAsync($"api:product:{id}", JsonSerializer.Serialize(product),
            new DistributedCacheEntryOptions { AbsoluteExpirationRelativeToNow = TimeSpan.FromMinutes(15) }); // expect: CG0001
        return product;
    }
}

public class HybridCatalog
{
    private readonly HybridCache _cache;
    private readonly IProductRepository _repo;
    public HybridCatalog(HybridCache cache, IProductRepository repo) { _cache = cache; _repo = repo; }

    public ValueTask<List<Product>> AllAsync() =>
        _cache.GetOrCreateAsync("catalog:all", async ct => await _repo.GetAllAsync(),
            new HybridCacheEntryOptions { Expiration = TimeSpan.FromMinutes(20) }); // expect: CG0001
}
