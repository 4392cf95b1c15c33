// Correct code: nothing here should be flagged.
using System.Collections.Concurrent;
using System.Text.Json;
using CacheGuard;
using StackExchange.Redis;
namespace Shop.C03;

public class GuardedReader
{
    private static readonly ConcurrentDictionary<string, SemaphoreSlim> Gates = new();
    private static readonly ConcurrentDictionary<string, Lazy<Task<Product?>>> InFlight = new();
    private readonly object _sync = new();
    private readonly IDatabase _db;
    private readonly IProductStore _store;
    public GuardedReader(IDatabase db, IProductStore store) { _db = db; _store = store; }

    private static TimeSpan Ttl() => TimeSpan.FromSeconds(300 + Random.Shared.Next(30));

    public async Task<Product?> GatedAsync(int id)
    {
        var key = Keys.Product(id);
        var v = await _db.StringGetAsync(key);
        if (v.HasValue) return JsonSerializer.Deserialize<Product>(v.ToString());
        var gate = Gates.GetOrAdd(key, _ => new SemaphoreSlim(1, 1));
        await gate.WaitAsync();
        try
        {
            v = await _db.StringGetAsync(key);
            if (v.HasValue) return JsonSerializer.Deserialize<Product>(v.ToString());
            var product = await _store.FindAsync(id);
            await _db.StringSetAsync(key, JsonSerializer.Serialize(product), Ttl());
            return product;
        }
        finally { gate.Release(); }
    }

    public Product? Locked(int id)
    {
        lock (_sync)
        {
            var v = _db.StringGet("locked:" + id);
            if (v.HasValue) return JsonSerializer.Deserialize<Product>(v.ToString());
            var product = _store.Find(id);
            _db.StringSet("locked:" + id, JsonSerializer.Serialize(product), Ttl());
            return product;
        }
    }

    public async Task<Product?> LazyAsync(int id)
    {
        var key = "lazy:" + id;
        var v = await _db.StringGetAsync(key);
        if (v.HasValue) return JsonSerializer.Deserialize<Product>(v.ToString());
        var lazy = InFlight.GetOrAdd(key, k => new Lazy<Task<Product?>>(async () =>
        {
            var product = await _store.FindAsync(id);
            await _db.StringSetAsync(k, JsonSerializer.Serialize(product), Ttl());
            return product;
        }));
        try { return await lazy.Value; }
        finally { InFlight.TryRemove(key, out _); }
    }

    public async Task<string?> RedisLockedAsync(int id)
    {
        var key = "sku:" + id;
        var v = await _db.StringGetAsync(key);
        if (v.HasValue) return v.ToString();
        var token = Guid.NewGuid().ToString();
        if (await _db.LockTakeAsync("lock:" + key, token, TimeSpan.FromSeconds(10)))
        {
            try
            {
                var product = await _store.FindAsync(id);
                await _db.StringSetAsync(key, product?.Sku, Ttl());
                return product?.Sku;
            }
            finally { await _db.LockReleaseAsync("lock:" + key, token); }
        }
        for (var i = 0; i < 50; i++)
        {
            await Task.Delay(50);
            v = await _db.StringGetAsync(key);
            if (v.HasValue) return v.ToString();
        }
        return (await _store.FindAsync(id))?.Sku;
    }

    public Task<Product?> RuntimeAsync(int id) =>
        _db.GetOrSetAsync<Product?>(Keys.Product(id), ct => _store.FindAsync(id), TimeSpan.FromMinutes(5));
}

public class Stores
{
    private readonly IDatabase _db;
    private readonly IProductStore _store;
    public Stores(IDatabase db, IProductStore store) { _db = db; _store = store; }

    public Task SaveSessionAsync(string id, string json) => _db.StringSetAsync("session:" + id, json);

    public void AddToCart(string user, string sku)
    {
        var v = _db.StringGet("cart:" + user);
        _db.StringSet("cart:" + user, v.HasValue ? v + "," + sku : sku);
    }

    public async Task<Product?> PeekAsync(int id)
    {
        var v = await _db.StringGetAsync(Keys.Product(id));
        return v.HasValue ? JsonSerializer.Deserialize<Product>(v.ToString()) : await _store.FindAsync(id);
    }

    public async Task SeedAsync(int id)
    {
        if (!await _db.KeyExistsAsync("seed:" + id))
            await _db.StringSetAsync("seed:" + id, JsonSerializer.Serialize(await _store.FindAsync(id)));
    }

    public long Counter(string name)
    {
        var v = _db.StringGet("counter:" + name);
        if (v.IsNull) { _db.StringSet("counter:" + name, 0); return 0; }
        return (long)v;
    }
}
