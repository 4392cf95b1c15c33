using System.Text.Json;
using CacheGuard;
using Microsoft.Extensions.Caching.Distributed;
using Microsoft.Extensions.Caching.Hybrid;
using Microsoft.Extensions.Caching.StackExchangeRedis;
using Microsoft.Extensions.DependencyInjection;
using StackExchange.Redis;
using ZiggyCreatures.Caching.Fusion;
using ZiggyCreatures.Caching.Fusion.Locking.Distributed.Redis;
using ZiggyCreatures.Caching.Fusion.Serialization.SystemTextJson;

namespace CacheGuard.Benchmarks;

/// <summary>The cached value: a typical product row (~0.6 KB of JSON).</summary>
public sealed class Product
{
    public int Id { get; set; }
    public string Name { get; set; } = "";
    public string Description { get; set; } = "";
    public decimal Price { get; set; }
    public string Currency { get; set; } = "EUR";
    public int Stock { get; set; }
    public bool IsActive { get; set; }
    public DateTimeOffset UpdatedAt { get; set; }
    public List<string> Tags { get; set; } = new();
    public Dictionary<string, string> Attributes { get; set; } = new();

    public static Product Sample(int id) => new()
    {
        Id = id,
        Name = "Ergonomic steel chair #" + id,
        Description = "A sturdy chair with adjustable height, lumbar support and a five-year warranty. Ships flat-packed; assembly takes ten minutes.",
        Price = 149.90m,
        Stock = 42,
        IsActive = true,
        UpdatedAt = new DateTimeOffset(2026, 11, 1, 12, 0, 0, TimeSpan.Zero),
        Tags = new() { "furniture", "office", "chairs", "ergonomic", "steel" },
        Attributes = new() { ["color"] = "graphite", ["weight"] = "11.5 kg", ["material"] = "steel, mesh", ["sku"] = "CH-" + id.ToString("D6") },
    };
}

/// <summary>One way of reading through a cache, bound to one node (one multiplexer).</summary>
public interface IContender : IAsyncDisposable
{
    Task<Product> GetAsync(string key, Func<CancellationToken, Task<Product>> factory, TimeSpan ttl);
}

public static class Json
{
    /// <summary>The same options CacheGuard's default serializer uses.</summary>
    public static readonly JsonSerializerOptions Options = new(JsonSerializerDefaults.General) { PropertyNameCaseInsensitive = true };
}

/// <summary>Hand-written cache-aside: GET, on a miss run the factory and SET with the TTL. No single-flight.</summary>
public sealed class RawCacheAside(IConnectionMultiplexer mux) : IContender
{
    private readonly IDatabase _db = mux.GetDatabase();

    public async Task<Product> GetAsync(string key, Func<CancellationToken, Task<Product>> factory, TimeSpan ttl)
    {
        var raw = await _db.StringGetAsync(key).ConfigureAwait(false);
        if (!raw.IsNull)
            return JsonSerializer.Deserialize<Product>(((ReadOnlyMemory<byte>)raw).Span, Json.Options)!;
        var value = await factory(CancellationToken.None).ConfigureAwait(false);
        await _db.StringSetAsync(key, JsonSerializer.SerializeToUtf8Bytes(value, Json.Options), ttl).ConfigureAwait(false);
        return value;
    }

    public ValueTask DisposeAsync() => ValueTask.CompletedTask;
}

/// <summary>CacheGuard's GetOrSetAsync (defaults: SWR on, jitter as configured by <paramref name="jitter"/>).</summary>
public sealed class CacheGuardContender(IConnectionMultiplexer mux, double? jitter = null) : IContender
{
    private readonly IDatabase _db = mux.GetDatabase();

    public Task<Product> GetAsync(string key, Func<CancellationToken, Task<Product>> factory, TimeSpan ttl) =>
        jitter is null
            ? _db.GetOrSetAsync(key, factory, ttl)
            : _db.GetOrSetAsync(key, factory, new CacheEntryOptions { Ttl = ttl, JitterFraction = jitter });

    public ValueTask DisposeAsync() => ValueTask.CompletedTask;
}

/// <summary>FusionCache over the Redis IDistributedCache; optionally without its memory level, optionally with its Redis distributed locker.</summary>
public sealed class FusionContender : IContender
{
    private readonly FusionCache _cache;
    private readonly RedisCache _distributed;
    private readonly RedisDistributedLocker? _locker;
    private readonly FusionCacheEntryOptions _defaults;

    public FusionContender(IConnectionMultiplexer mux, bool memoryLevel, bool distributedLocker, TimeSpan? eagerRefresh = null)
    {
        _defaults = new FusionCacheEntryOptions
        {
            SkipMemoryCacheRead = !memoryLevel,
            SkipMemoryCacheWrite = !memoryLevel,
            AllowBackgroundDistributedCacheOperations = false,
        };
        _cache = new FusionCache(new FusionCacheOptions { DefaultEntryOptions = _defaults, CacheName = "bench" + Guid.NewGuid().ToString("N")[..6] });
        _distributed = new RedisCache(new RedisCacheOptions { ConnectionMultiplexerFactory = () => Task.FromResult(mux) });
        _cache.SetupDistributedCache(_distributed, new FusionCacheSystemTextJsonSerializer(Json.Options));
        if (distributedLocker)
        {
            _locker = new RedisDistributedLocker(Microsoft.Extensions.Options.Options.Create(new RedisDistributedLockerOptions
            {
                ConnectionMultiplexerFactory = () => Task.FromResult(mux),
            }), null);
            _cache.SetupDistributedLocker(_locker);
        }
        EagerRefresh = eagerRefresh;
    }

    private TimeSpan? EagerRefresh { get; }

    public async Task<Product> GetAsync(string key, Func<CancellationToken, Task<Product>> factory, TimeSpan ttl)
    {
        var options = _defaults.Duplicate(ttl);
        if (EagerRefresh is { } e) options.EagerRefreshThreshold = (float)(e.TotalMilliseconds / ttl.TotalMilliseconds);
        return (await _cache.GetOrSetAsync<Product>(key, (_, ct) => factory(ct), options).ConfigureAwait(false))!;
    }

    public ValueTask DisposeAsync()
    {
        _cache.Dispose();
        _locker?.Dispose();
        return ValueTask.CompletedTask;
    }
}

/// <summary>Microsoft's HybridCache over the Redis IDistributedCache; optionally with its local (L1) level disabled.</summary>
public sealed class HybridContender : IContender
{
    private readonly ServiceProvider _services;
    private readonly HybridCache _cache;
    private readonly HybridCacheEntryFlags _flags;

    public HybridContender(IConnectionMultiplexer mux, bool localLevel)
    {
        var services = new ServiceCollection();
        services.AddStackExchangeRedisCache(o => o.ConnectionMultiplexerFactory = () => Task.FromResult(mux));
        services.AddHybridCache();
        _services = services.BuildServiceProvider();
        _cache = _services.GetRequiredService<HybridCache>();
        _flags = localLevel ? HybridCacheEntryFlags.None : HybridCacheEntryFlags.DisableLocalCache;
    }

    public async Task<Product> GetAsync(string key, Func<CancellationToken, Task<Product>> factory, TimeSpan ttl) =>
        await _cache.GetOrCreateAsync(key, factory, static (f, ct) => new ValueTask<Product>(f(ct)),
            new HybridCacheEntryOptions { Expiration = ttl, LocalCacheExpiration = ttl, Flags = _flags }).ConfigureAwait(false);

    public ValueTask DisposeAsync() => _services.DisposeAsync();
}
