using System.Text.Json;
using Microsoft.Extensions.Caching.Distributed;
using Microsoft.Extensions.Caching.StackExchangeRedis;
using Microsoft.Extensions.Options;
using StackExchange.Redis;

namespace CacheGuard.Behavior.Tests.Fixes;

/// <summary>
/// The runtime's GetOrSet over <c>IDistributedCache</c> (the target of CG0004's fix on that family),
/// on the Redis-backed <c>RedisCache</c> and a real redis-server: what it stores at the key is what
/// the replaced code stored, one factory run per key per process, "not found" kept beside the key.
/// </summary>
[Collection(RedisNodeCollection.Name)]
public sealed class DistributedCacheGetOrSetTests
{
    public sealed class Product { public int Id { get; set; } public string Name { get; set; } = ""; }

    private readonly RedisNode _redis;

    public DistributedCacheGetOrSetTests(RedisNode redis) => _redis = redis;

    private async Task<IDistributedCache> CacheAsync()
    {
        await _redis.Connection.GetServers()[0].FlushDatabaseAsync();
        return new RedisCache(Options.Create(new RedisCacheOptions
        {
            ConnectionMultiplexerFactory = () => Task.FromResult<IConnectionMultiplexer>(_redis.Connection),
        }));
    }

    [Fact]
    public async Task StoresWhatSetStringAsyncOfTheJsonStores_AndReadsWhatOthersWrote()
    {
        var cache = await CacheAsync();
        var options = new DistributedCacheEntryOptions { AbsoluteExpirationRelativeToNow = TimeSpan.FromMinutes(10) };
        var product = await cache.GetOrSetJsonAsync("product:1", _ => Task.FromResult(new Product { Id = 1, Name = "one" }), options);
        Assert.Equal("one", product!.Name);
        Assert.Equal(JsonSerializer.Serialize(new Product { Id = 1, Name = "one" }), await cache.GetStringAsync("product:1"));
        var ttl = await _redis.Database.KeyTimeToLiveAsync("product:1");
        Assert.InRange(ttl!.Value, TimeSpan.FromMinutes(9.9), TimeSpan.FromMinutes(11.01));

        await cache.SetStringAsync("product:2", JsonSerializer.Serialize(new Product { Id = 2, Name = "two" }), options);
        var runs = 0;
        var other = await cache.GetOrSetJsonAsync("product:2", _ => { runs++; return Task.FromResult(new Product()); }, options);
        Assert.Equal("two", other!.Name);
        Assert.Equal(0, runs);

        Assert.Equal("<b>x</b>", await cache.GetOrSetStringAsync("page:1", _ => Task.FromResult<string?>("<b>x</b>"), options));
        Assert.Equal("<b>x</b>", await cache.GetStringAsync("page:1"));
        Assert.Equal("<b>x</b>", cache.GetOrSetString("page:1", _ => "other", options));
    }

    [Fact]
    public async Task NotFound_IsKeptBesideTheKey_OnlyWhenANegativeTtlIsGiven()
    {
        var cache = await CacheAsync();
        var runs = 0;
        Task<Product?> Missing(CancellationToken _) { runs++; return Task.FromResult<Product?>(null); }

        Assert.Null(await cache.GetOrSetJsonAsync<Product?>("product:404", Missing));
        Assert.Null(await cache.GetOrSetJsonAsync<Product?>("product:404", Missing));
        Assert.Equal(2, runs);

        Assert.Null(await cache.GetOrSetJsonAsync<Product?>("product:405", Missing, negativeTtl: TimeSpan.FromSeconds(30)));
        Assert.Null(await cache.GetOrSetJsonAsync<Product?>("product:405", Missing, negativeTtl: TimeSpan.FromSeconds(30)));
        Assert.Equal(3, runs);
        Assert.Null(await cache.GetStringAsync("product:405"));
        Assert.Equal("1", await cache.GetStringAsync("product:405" + DistributedCacheGetOrSet.NegativeSuffix));
    }

    [Fact]
    public async Task ConcurrentMisses_RunTheFactoryOnce()
    {
        var cache = await CacheAsync();
        var runs = 0;
        var gate = new TaskCompletionSource(TaskCreationOptions.RunContinuationsAsynchronously);
        var firstRun = new TaskCompletionSource(TaskCreationOptions.RunContinuationsAsynchronously);
        async Task<Product> Load(CancellationToken _)
        {
            Interlocked.Increment(ref runs);
            firstRun.TrySetResult();
            await gate.Task;
            return new Product { Id = 7, Name = "seven" };
        }
        var started = 0;
        var allStarted = new TaskCompletionSource(TaskCreationOptions.RunContinuationsAsynchronously);
        var callers = Enumerable.Range(0, 100).Select(_ => Task.Run(async () =>
        {
            if (Interlocked.Increment(ref started) == 100)
                allStarted.TrySetResult();
            return await cache.GetOrSetJsonAsync("product:7", Load, new DistributedCacheEntryOptions { AbsoluteExpirationRelativeToNow = TimeSpan.FromMinutes(5) });
        })).ToArray();
        await allStarted.Task.WaitAsync(TimeSpan.FromSeconds(60));
        await firstRun.Task.WaitAsync(TimeSpan.FromSeconds(60));
        gate.TrySetResult();
        var results = await Task.WhenAll(callers).WaitAsync(TimeSpan.FromSeconds(120));
        Assert.Equal(1, runs);
        Assert.All(results, p => Assert.Equal("seven", p!.Name));
    }
}
