// Cache writes whose TTL is spread per entry, so entries written together expire apart.
using System.Security.Cryptography;
using System.Text.Json;
using CacheGuard;
using StackExchange.Redis;

namespace ValidCode.JitteredTtls;

public sealed class ProductCacheWriter
{
    private static readonly TimeSpan BaseTtl = TimeSpan.FromMinutes(10);
    private readonly IDatabase _db;
    private readonly Random _random = new();

    public ProductCacheWriter(IDatabase db) => _db = db;

    public Task<bool> WithSharedRandomAsync(Product product) =>
        _db.StringSetAsync($"product:{product.Id}", JsonSerializer.Serialize(product),
            TimeSpan.FromSeconds(600 + Random.Shared.Next(0, 120)), When.Always);

    public Task<bool> WithOwnRandomAsync(Product product)
    {
        var ttl = BaseTtl + TimeSpan.FromSeconds(_random.Next(0, 60));
        return _db.StringSetAsync($"product:{product.Id}", JsonSerializer.Serialize(product), ttl, When.Always);
    }

    public bool WithCryptoRandom(Product product)
    {
        var seconds = 300 + RandomNumberGenerator.GetInt32(0, 30);
        return _db.StringSet($"product:{product.Id}", JsonSerializer.Serialize(product), TimeSpan.FromSeconds(seconds), When.Always);
    }

    public Task<bool> WithRuntimeJitterAsync(Product product) =>
        _db.StringSetAsync($"product:{product.Id}", JsonSerializer.Serialize(product), CacheTtl.Jitter(BaseTtl), When.Always);

    public Task<bool> WithRuntimeJitterFractionAsync(Product product) =>
        _db.StringSetAsync($"product:{product.Id}", JsonSerializer.Serialize(product), CacheTtl.Jitter(TimeSpan.FromMinutes(5), 0.2), When.Always);

    public Task<bool> WithHelperAsync(Product product) =>
        _db.StringSetAsync($"product:{product.Id}", JsonSerializer.Serialize(product), Spread(BaseTtl), When.Always);

    public async Task WithExpireAfterWriteAsync(Product product)
    {
        var key = $"product:{product.Id}";
        await _db.StringSetAsync(key, JsonSerializer.Serialize(product));
        await _db.KeyExpireAsync(key, CacheTtl.Jitter(BaseTtl));
    }

    public Task<bool> WithNamedArgumentsAsync(Product product) =>
        _db.StringSetAsync(
            key: $"product:{product.Id}",
            value: JsonSerializer.Serialize(product),
            expiry: TimeSpan.FromMinutes(10) + TimeSpan.FromSeconds(Random.Shared.NextDouble() * 60),
            when: When.Always);

    public Task WithTransactionAsync(IReadOnlyList<Product> products)
    {
        var transaction = _db.CreateTransaction();
        foreach (var product in products)
            _ = transaction.StringSetAsync($"product:{product.Id}", JsonSerializer.Serialize(product), CacheTtl.Jitter(BaseTtl), When.Always);
        return transaction.ExecuteAsync();
    }

    public void WithBatch(IReadOnlyList<Product> products)
    {
        var batch = _db.CreateBatch();
        var writes = new List<Task>();
        foreach (var product in products)
            writes.Add(batch.StringSetAsync($"product:{product.Id}", JsonSerializer.Serialize(product), Spread(BaseTtl), When.Always));
        batch.Execute();
        Task.WaitAll(writes.ToArray());
    }

    /// <summary>The base TTL plus up to a tenth of it, drawn per entry.</summary>
    private static TimeSpan Spread(TimeSpan ttl) =>
        ttl + TimeSpan.FromMilliseconds(Random.Shared.NextDouble() * ttl.TotalMilliseconds * 0.1);
}

/// <summary>A TTL policy object whose value is drawn per call.</summary>
public sealed class JitteredTtlPolicy
{
    private readonly TimeSpan _ttl;

    public JitteredTtlPolicy(TimeSpan ttl) => _ttl = ttl;

    public TimeSpan Next() => CacheTtl.Jitter(_ttl);
}

public sealed class CatalogueCache
{
    private readonly IDatabase _db;
    private readonly JitteredTtlPolicy _policy = new(TimeSpan.FromMinutes(15));

    public CatalogueCache(IDatabase db) => _db = db;

    public Task<bool> StoreAsync(string sku, string json) =>
        _db.StringSetAsync("catalogue:" + sku, json, _policy.Next(), When.Always);
}
