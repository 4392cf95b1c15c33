// The CacheGuard runtime used as intended: GetOrSet reads, InvalidateAsync after the commit.
using CacheGuard;
using Microsoft.EntityFrameworkCore;
using StackExchange.Redis;

namespace ValidCode.RuntimeUsage;

public sealed class CatalogueService
{
    private readonly IDatabase _db;
    private readonly ShopDb _shop;

    public CatalogueService(IDatabase db, ShopDb shop)
    {
        _db = db;
        _shop = shop;
    }

    public Task<Product?> GetAsync(int id, CancellationToken cancellationToken) =>
        _db.GetOrSetAsync(
            $"product:{id}",
            ct => _shop.Products.AsNoTracking().SingleOrDefaultAsync(p => p.Id == id, ct),
            new CacheEntryOptions { Ttl = TimeSpan.FromMinutes(10), NegativeTtl = TimeSpan.FromSeconds(20) },
            cancellationToken);

    public Product? Get(int id) =>
        _db.GetOrSet($"product:{id}", _ => _shop.Products.AsNoTracking().SingleOrDefault(p => p.Id == id), TimeSpan.FromMinutes(10));

    public async Task RenameAsync(int id, string name, CancellationToken cancellationToken)
    {
        var product = await _shop.Products.SingleAsync(p => p.Id == id, cancellationToken);
        product.Name = name;
        await _shop.SaveChangesAsync(cancellationToken);
        var result = await _db.InvalidateAsync($"product:{id}", cancellationToken);
        if (!result.Succeeded)
            throw new InvalidOperationException($"Cache invalidation of product {id} failed.", result.FailedKeys[0].Error);
    }

    public async Task CreateAsync(Product product, CancellationToken cancellationToken)
    {
        _shop.Products.Add(product);
        await _shop.SaveChangesAsync(cancellationToken);
        await _db.InvalidateAsync(new RedisKey[] { $"product:{product.Id}", "products:featured" }, cancellationToken);
    }

    public async Task<Product?> PeekAsync(int id, CancellationToken cancellationToken)
    {
        var lookup = await _db.TryGetAsync<Product>($"product:{id}", cancellationToken);
        return lookup.IsHit ? lookup.Value : null;
    }

    public void Delete(int id)
    {
        _shop.Products.Where(p => p.Id == id).ExecuteDelete();
        _db.Invalidate($"product:{id}");
    }
}
