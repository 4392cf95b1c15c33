// Write paths over IDistributedCache and IMemoryCache in EF Core services.
using System.Text.Json;
using Microsoft.Extensions.Caching.Distributed;
using Microsoft.Extensions.Caching.Memory;
namespace RealShapes.F02;

public class ProductAdmin
{
    private readonly CatalogDb _db;
    private readonly IDistributedCache _cache;
    private readonly IMemoryCache _local;
    public ProductAdmin(CatalogDb db, IDistributedCache cache, IMemoryCache local) { _db = db; _cache = cache; _local = local; }

    public async Task RenameAsync(int id, string name)
    {
        var product = await _db.Products.FindAsync(id);
        if (product is null) return;
        product.Name = name;
        await _db.SaveChangesAsync();
        await _cache.SetStringAsync($"product:{id}", JsonSerializer.Serialize(product)); // expect: CG0002
    }

    public async Task RepriceAsync(Product product)
    {
        _local.Remove($"product-local:{product.Id}"); // expect: CG0006
        _db.Products.Update(product);
        await _db.SaveChangesAsync();
    }

    public void Retag(Tag tag)
    {
        _db.Tags.Update(tag);
        _db.SaveChanges();
        _local.Set($"tag:{tag.Id}", tag); // expect: CG0002
    }
}
