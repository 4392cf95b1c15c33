using System.Text.Json;
using StackExchange.Redis;
namespace Shop.C01;

public class ProductReader
{
    private readonly IDatabase _db;
    private readonly IProductStore _store;
    private readonly ShopDb _ctx;
    public ProductReader(IDatabase db, IProductStore store, ShopDb ctx) { _db = db; _store = store; _ctx = ctx; }

    public async Task<Product?> GetAsync(int id)
    {
        var cached = await _db.StringGetAsync(Keys.Product(id)); // expect: CG0004
        if (cached.HasValue) return JsonSerializer.Deserialize<Product>(cached.ToString());
        var product = await _store.FindAsync(id);
        if (product is null) return null;
        await _db.StringSetAsync(Keys.Product(id), JsonSerializer.Serialize(product), TimeSpan.FromSeconds(300 + Random.Shared.Next(30)));
        return product;
    }

    public Product? Get(int id)
    {
        var key = "p:" + id;
        string? json = _db.StringGet(key); // expect: CG0004
        if (json is null)
        {
            var product = _ctx.Products.FirstOrDefault(p => p.Id == id);
            if (product is null) return null;
            _db.StringSet(key, JsonSerializer.Serialize(product), TimeSpan.FromSeconds(300 + Random.Shared.Next(30)));
            return product;
        }
        return JsonSerializer.Deserialize<Product>(json);
    }

    public async Task<string?> NameAsync(int id)
    {
        var v = await _db.StringGetAsync($"name:{id}"); // expect: CG0004
        if (v == RedisValue.Null)
        {
            var p = await _ctx.Products.FindAsync(id);
            await _db.StringSetAsync($"name:{id}", p?.Name, TimeSpan.FromSeconds(300 + Random.Shared.Next(30)));
            return p?.Name;
        }
        return v.ToString();
    }

    public async Task<string?> SkuAsync(int id)
    {
        if (await _db.KeyExistsAsync($"sku:{id}")) // expect: CG0004
            return await _db.StringGetAsync($"sku:{id}");
        var p = await _store.FindAsync(id);
        await _db.StringSetAsync($"sku:{id}", p?.Sku, TimeSpan.FromSeconds(300 + Random.Shared.Next(30)));
        return p?.Sku;
    }
}
