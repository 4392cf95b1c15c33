using System.Text.Json;
using StackExchange.Redis;
namespace Shop.C02;

public class RedisCache
{
    private readonly IDatabase _db;
    public RedisCache(IDatabase db) => _db = db;

    public async Task<T?> GetOrCreateAsync<T>(string key, Func<Task<T?>> acquire, TimeSpan ttl)
    {
        var cached = await _db.StringGetAsync(key); // expect: CG0004
        if (!cached.IsNullOrEmpty) return JsonSerializer.Deserialize<T>(cached.ToString());
        var value = await acquire();
        await _db.StringSetAsync(key, JsonSerializer.Serialize(value), ttl); // expect: CG0001
        return value;
    }
}

public class ProductService
{
    private readonly IDatabase _db;
    private readonly IProductStore _store;
    public ProductService(IDatabase db, IProductStore store) { _db = db; _store = store; }

    public async Task<Product?> GetAsync(int id)
    {
        var key = $"product:{id}";
        var cached = await _db.StringGetAsync(key); // expect: CG0004
        return cached.HasValue ? JsonSerializer.Deserialize<Product>(cached.ToString()) : await LoadAndCacheAsync(key, id);
    }

    private async Task<Product?> LoadAndCacheAsync(string key, int id)
    {
        var product = await _store.FindAsync(id);
        await _db.StringSetAsync(key, JsonSerializer.Serialize(product), TimeSpan.FromSeconds(300 + Random.Shared.Next(30)));
        return product;
    }
}
