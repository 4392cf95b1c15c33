// StackExchange.Redis in application services: the project's own GetOrCreate helper, a
// cache-aside read with a KeyExists check, an integer index.
using System.Text.Json;
using StackExchange.Redis;
namespace RealShapes.F03;

public class RedisCacheHelper
{
    private readonly IDatabase _db;
    public RedisCacheHelper(IConnectionMultiplexer redis) => _db = redis.GetDatabase();

    public async Task<T?> GetOrCreateAsync<T>(string key, Func<Task<T>> factory, TimeSpan expiry)
    {
        var cached = await _db.StringGetAsync(key); // expect: CG0004
        if (cached.HasValue) return JsonSerializer.Deserialize<T>(cached.ToString());
        var value = await factory();
        await _db.StringSetAsync(key, JsonSerializer.Serialize(value), expiry); // expect: CG0001
        return value;
    }
}

public class ProductReader
{
    private readonly IDatabase _db;
    private readonly IProductRepository _repo;
    public ProductReader(IDatabase db, IProductRepository repo) { _db = db; _repo = repo; }

    public async Task<Product?> GetAsync(int id)
    {
        if (await _db.KeyExistsAsync($"product:{id}")) // expect: CG0004
            return JsonSerializer.Deserialize<Product>((await _db.StringGetAsync($"product:{id}")).ToString());
        var product = await _repo.GetAsync(id);
        await _db.StringSetAsync($"product:{id}", JsonSerializer.Serialize(product), TimeSpan.FromMinutes(30)); // expect: CG0001, CG0005
        return product;
    }

    public async Task<int> CountAsync()
    {
        var v = await _db.StringGetAsync("products:count"); // expect: CG0004
        if (v.HasValue) return (int)v;
        var all = await _repo.GetAllAsync();
        await _db.StringSetAsync("products:count", all.Count, TimeSpan.FromSeconds(60 + Random.Shared.Next(6)));
        return all.Count;
    }
}
