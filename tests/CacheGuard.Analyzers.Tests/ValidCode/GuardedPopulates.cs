// Read-through caches whose factory runs under a single-flight: concurrent misses wait for the one
// caller that loads, and re-check the cache once they hold the gate.
using System.Collections.Concurrent;
using System.Text.Json;
using CacheGuard;
using StackExchange.Redis;

namespace ValidCode.GuardedPopulates;

public sealed class SemaphoreGuardedReader
{
    private static readonly TimeSpan Ttl = TimeSpan.FromMinutes(10);
    private readonly IDatabase _db;
    private readonly IProductRepository _products;
    private readonly SemaphoreSlim _gate = new(1, 1);

    public SemaphoreGuardedReader(IDatabase db, IProductRepository products)
    {
        _db = db;
        _products = products;
    }

    public async Task<Product?> GetAsync(int id, CancellationToken cancellationToken)
    {
        var key = $"product:{id}";
        var cached = await _db.StringGetAsync(key);
        if (cached.HasValue)
            return JsonSerializer.Deserialize<Product>(cached.ToString());

        await _gate.WaitAsync(cancellationToken);
        try
        {
            cached = await _db.StringGetAsync(key);
            if (cached.HasValue)
                return JsonSerializer.Deserialize<Product>(cached.ToString());

            var product = await _products.FindAsync(id, cancellationToken);
            if (product is not null)
                await _db.StringSetAsync(key, JsonSerializer.Serialize(product), CacheTtl.Jitter(Ttl), When.Always);
            return product;
        }
        finally
        {
            _gate.Release();
        }
    }
}

public sealed class LockGuardedReader
{
    private readonly object _sync = new();
    private readonly IDatabase _db;
    private readonly IProductRepository _products;

    public LockGuardedReader(IDatabase db, IProductRepository products)
    {
        _db = db;
        _products = products;
    }

    public Product? Get(int id)
    {
        var key = "product:" + id;
        var cached = _db.StringGet(key);
        if (!cached.IsNullOrEmpty)
            return JsonSerializer.Deserialize<Product>(cached.ToString());

        lock (_sync)
        {
            cached = _db.StringGet(key);
            if (!cached.IsNullOrEmpty)
                return JsonSerializer.Deserialize<Product>(cached.ToString());

            var product = _products.Find(id);
            if (product is not null)
                _db.StringSet(key, JsonSerializer.Serialize(product), CacheTtl.Jitter(TimeSpan.FromMinutes(5)), When.Always);
            return product;
        }
    }
}

public sealed class PerKeyGateReader
{
    private readonly ConcurrentDictionary<string, SemaphoreSlim> _gates = new();
    private readonly IDatabase _db;
    private readonly IProductRepository _products;

    public PerKeyGateReader(IDatabase db, IProductRepository products)
    {
        _db = db;
        _products = products;
    }

    public async Task<Product?> GetAsync(int id, CancellationToken cancellationToken)
    {
        var key = $"product:{id}";
        var cached = await _db.StringGetAsync(key);
        if (!cached.IsNull)
            return JsonSerializer.Deserialize<Product>(cached.ToString());

        var gate = _gates.GetOrAdd(key, _ => new SemaphoreSlim(1, 1));
        await gate.WaitAsync(cancellationToken);
        try
        {
            cached = await _db.StringGetAsync(key);
            if (!cached.IsNull)
                return JsonSerializer.Deserialize<Product>(cached.ToString());

            var product = await _products.FindAsync(id, cancellationToken);
            if (product is not null)
                await _db.StringSetAsync(key, JsonSerializer.Serialize(product), CacheTtl.Jitter(TimeSpan.FromMinutes(10)), When.Always);
            return product;
        }
        finally
        {
            gate.Release();
        }
    }
}

/// <summary>One load per key in this process: callers share the same Lazy task.</summary>
public sealed class LazyTaskReader
{
    private readonly ConcurrentDictionary<string, Lazy<Task<Product?>>> _inflight = new();
    private readonly IDatabase _db;
    private readonly IProductRepository _products;

    public LazyTaskReader(IDatabase db, IProductRepository products)
    {
        _db = db;
        _products = products;
    }

    public async Task<Product?> GetAsync(int id)
    {
        var key = $"product:{id}";
        var cached = await _db.StringGetAsync(key);
        if (cached.HasValue)
            return JsonSerializer.Deserialize<Product>(cached.ToString());

        var load = _inflight.GetOrAdd(key, k => new Lazy<Task<Product?>>(() => LoadAndStoreAsync(k, id)));
        try
        {
            return await load.Value;
        }
        finally
        {
            _inflight.TryRemove(key, out _);
        }
    }

    private async Task<Product?> LoadAndStoreAsync(string key, int id)
    {
        var product = await _products.FindAsync(id);
        if (product is not null)
            await _db.StringSetAsync(key, JsonSerializer.Serialize(product), CacheTtl.Jitter(TimeSpan.FromMinutes(10)), When.Always);
        return product;
    }
}

/// <summary>Across processes: whoever takes the Redis lock loads; the others wait and re-read.</summary>
public sealed class RedisLockGuardedReader
{
    private readonly IDatabase _db;
    private readonly IProductRepository _products;

    public RedisLockGuardedReader(IDatabase db, IProductRepository products)
    {
        _db = db;
        _products = products;
    }

    public async Task<Product?> GetAsync(int id, CancellationToken cancellationToken)
    {
        var key = $"product:{id}";
        var lockKey = key + ":lock";
        for (var attempt = 0; attempt < 50; attempt++)
        {
            var cached = await _db.StringGetAsync(key);
            if (cached.HasValue)
                return JsonSerializer.Deserialize<Product>(cached.ToString());

            var token = Guid.NewGuid().ToString("N");
            if (await _db.LockTakeAsync(lockKey, token, TimeSpan.FromSeconds(10)))
            {
                try
                {
                    cached = await _db.StringGetAsync(key);
                    if (cached.HasValue)
                        return JsonSerializer.Deserialize<Product>(cached.ToString());

                    var product = await _products.FindAsync(id, cancellationToken);
                    if (product is not null)
                        await _db.StringSetAsync(key, JsonSerializer.Serialize(product), CacheTtl.Jitter(TimeSpan.FromMinutes(10)), When.Always);
                    return product;
                }
                finally
                {
                    await _db.LockReleaseAsync(lockKey, token);
                }
            }

            await Task.Delay(TimeSpan.FromMilliseconds(50), cancellationToken);
        }

        // The loader is slow: read through rather than pile up.
        return await _products.FindAsync(id, cancellationToken);
    }
}

/// <summary>The runtime's GetOrSet: single-flight, jittered TTL and negative caching built in.</summary>
public sealed class RuntimeReader
{
    private readonly IDatabase _db;
    private readonly IProductRepository _products;

    public RuntimeReader(IDatabase db, IProductRepository products)
    {
        _db = db;
        _products = products;
    }

    public Task<Product?> GetAsync(int id, CancellationToken cancellationToken) =>
        _db.GetOrSetAsync($"product:{id}", ct => _products.FindAsync(id, ct), TimeSpan.FromMinutes(10), cancellationToken);

    public Product? Get(int id) =>
        _db.GetOrSet($"product:{id}", _ => _products.Find(id), new CacheEntryOptions { Ttl = TimeSpan.FromMinutes(10) });

    public Task<IReadOnlyList<Product>> FeaturedAsync(CancellationToken cancellationToken) =>
        _db.GetOrSetAsync("products:featured", ct => _products.ListFeaturedAsync(ct), cancellationToken: cancellationToken);
}
