using CacheGuard.Hybrid;
using Microsoft.Extensions.Caching.Hybrid;
using Microsoft.Extensions.DependencyInjection;
using StackExchange.Redis;

namespace CacheGuard.Runtime.Tests;

public sealed class Order
{
    public int Id { get; set; }
    public string Customer { get; set; } = "";
    public List<string> Lines { get; set; } = new();
}

/// <summary>Immutable by Microsoft's rule: sealed and marked [ImmutableObject(true)].</summary>
[System.ComponentModel.ImmutableObject(true)]
public sealed class FrozenOrder
{
    public int Id { get; init; }
    public IReadOnlyList<string> Lines { get; init; } = Array.Empty<string>();
}

/// <summary>A sealed record: not immutable by the rule (records are not marked, and have setters via with/init).</summary>
public sealed record OrderRecord(int Id, List<string> Lines);

/// <summary>Marked but not sealed: a subclass could be mutable, so the rule does not trust it.</summary>
[System.ComponentModel.ImmutableObject(true)]
public class UnsealedMarkedOrder
{
    public int Id { get; init; }
}

/// <summary>
/// HybridCache's documented behaviour, run unchanged against Microsoft's default HybridCache (over
/// RedisCache on the same redis-server) and against CacheGuard's: each test must give the same result.
/// </summary>
public abstract class HybridCacheBehaviorTests(NearNodeFixture fx) : IAsyncLifetime
{
    private ServiceProvider? _services;
    protected HybridCache Cache { get; private set; } = null!;
    protected NearNodeFixture Fixture => fx;
    protected ConnectionMultiplexer Mux { get; private set; } = null!;

    protected abstract void Register(IServiceCollection services, IConnectionMultiplexer mux);

    public async Task InitializeAsync()
    {
        var mux = await fx.ConnectAsync();
        Mux = mux;
        var services = new ServiceCollection();
        services.AddSingleton<IConnectionMultiplexer>(mux);
        Register(services, mux);
        _services = services.BuildServiceProvider();
        Cache = _services.GetRequiredService<HybridCache>();
        if (Cache is CacheGuardHybridCache { Near: { } near }) await near.WarmUpAsync();
    }

    public async Task DisposeAsync()
    {
        if (_services is not null) await _services.DisposeAsync();
    }

    /// <summary>
    /// Returns once the populate of <paramref name="key"/> has reached Redis. CacheGuard's HybridCache writes Redis
    /// before GetOrCreateAsync returns; Microsoft's writes its distributed level in the background after releasing
    /// the caller, so a RemoveAsync right after can run before that write and the write then lands on the removed
    /// key (the cache-aside race of hole 4, in the reference implementation). Its leg waits for the write first.
    /// </summary>
    protected virtual Task PopulatedAsync(string key) => Task.CompletedTask;

    private static string NewKey() => "hc:" + Guid.NewGuid().ToString("N")[..12];

    private static readonly HybridCacheEntryOptions Minute = new() { Expiration = TimeSpan.FromMinutes(1), LocalCacheExpiration = TimeSpan.FromMinutes(1) };

    [Fact]
    public async Task The_factory_runs_once_and_later_calls_get_the_cached_value()
    {
        var key = NewKey();
        var runs = 0;
        for (var i = 0; i < 3; i++)
            Assert.Equal("v", await Cache.GetOrCreateAsync(key, _ => { runs++; return ValueTask.FromResult("v"); }, Minute));
        Assert.Equal(1, runs);
    }

    [Fact]
    public async Task The_state_overload_passes_the_state()
    {
        var key = NewKey();
        Assert.Equal(42, await Cache.GetOrCreateAsync(key, 41, (s, _) => ValueTask.FromResult(s + 1), Minute));
    }

    [Fact]
    public async Task SetAsync_stores_a_value_the_next_call_gets_without_the_factory()
    {
        var key = NewKey();
        await Cache.SetAsync(key, new Order { Id = 7, Customer = "ada", Lines = { "a", "b" } }, Minute);
        var got = await Cache.GetOrCreateAsync<Order>(key, _ => throw new InvalidOperationException("factory ran"), Minute);
        Assert.Equal(7, got.Id);
        Assert.Equal(new[] { "a", "b" }, got.Lines);
    }

    [Fact]
    public async Task SetAsync_overwrites_a_cached_value()
    {
        var key = NewKey();
        Assert.Equal("old", await Cache.GetOrCreateAsync(key, _ => ValueTask.FromResult("old"), Minute));
        await Cache.SetAsync(key, "new", Minute);
        Assert.Equal("new", await Cache.GetOrCreateAsync(key, _ => ValueTask.FromResult("factory"), Minute));
    }

    [Fact]
    public async Task RemoveAsync_makes_the_next_call_run_the_factory()
    {
        var key = NewKey();
        Assert.Equal("v1", await Cache.GetOrCreateAsync(key, _ => ValueTask.FromResult("v1"), Minute));
        await PopulatedAsync(key);
        await Cache.RemoveAsync(key);
        Assert.Equal("v2", await Cache.GetOrCreateAsync(key, _ => ValueTask.FromResult("v2"), Minute));
    }

    [Fact]
    public async Task RemoveByTagAsync_removes_the_tagged_entries_and_only_them()
    {
        string a = NewKey(), b = NewKey(), c = NewKey();
        var tag = "tag-" + Guid.NewGuid().ToString("N")[..6];
        await Cache.GetOrCreateAsync(a, _ => ValueTask.FromResult("a1"), Minute, new[] { tag });
        await Cache.GetOrCreateAsync(b, _ => ValueTask.FromResult("b1"), Minute, new[] { tag, "other" });
        await Cache.GetOrCreateAsync(c, _ => ValueTask.FromResult("c1"), Minute, new[] { "other" });

        await Cache.RemoveByTagAsync(tag);

        Assert.Equal("a2", await Cache.GetOrCreateAsync(a, _ => ValueTask.FromResult("a2"), Minute, new[] { tag }));
        Assert.Equal("b2", await Cache.GetOrCreateAsync(b, _ => ValueTask.FromResult("b2"), Minute, new[] { tag }));
        Assert.Equal("c1", await Cache.GetOrCreateAsync(c, _ => ValueTask.FromResult("c2"), Minute));
    }

    [Fact]
    public async Task Concurrent_callers_of_one_key_share_one_factory_run()
    {
        var key = NewKey();
        var runs = 0;
        var gate = new TaskCompletionSource(TaskCreationOptions.RunContinuationsAsynchronously);
        var calls = Enumerable.Range(0, 20).Select(_ => Cache.GetOrCreateAsync(key, async ct =>
        {
            Interlocked.Increment(ref runs);
            await gate.Task;
            return "v";
        }, Minute).AsTask()).ToArray();
        gate.SetResult();
        Assert.All(await Task.WhenAll(calls), v => Assert.Equal("v", v));
        Assert.Equal(1, runs);
    }

    [Fact]
    public async Task A_factory_exception_reaches_the_caller_and_nothing_is_cached()
    {
        var key = NewKey();
        await Assert.ThrowsAsync<InvalidOperationException>(async () =>
            await Cache.GetOrCreateAsync<string>(key, _ => throw new InvalidOperationException("boom"), Minute));
        Assert.Equal("v", await Cache.GetOrCreateAsync(key, _ => ValueTask.FromResult("v"), Minute));
    }

    [Fact]
    public async Task DisableUnderlyingData_returns_default_on_a_miss_without_the_factory()
    {
        var key = NewKey();
        var o = new HybridCacheEntryOptions { Flags = HybridCacheEntryFlags.DisableUnderlyingData };
        Assert.Null(await Cache.GetOrCreateAsync<string>(key, _ => throw new InvalidOperationException("factory ran"), o));
    }

    [Fact]
    public async Task DisableUnderlyingData_still_returns_a_cached_value()
    {
        var key = NewKey();
        await Cache.SetAsync(key, "cached", Minute);
        var o = new HybridCacheEntryOptions { Flags = HybridCacheEntryFlags.DisableUnderlyingData };
        Assert.Equal("cached", await Cache.GetOrCreateAsync<string>(key, _ => throw new InvalidOperationException("factory ran"), o));
    }

    [Fact]
    public async Task With_both_cache_reads_disabled_the_factory_runs_on_every_call()
    {
        var key = NewKey();
        var runs = 0;
        var o = new HybridCacheEntryOptions { Expiration = TimeSpan.FromMinutes(1), Flags = HybridCacheEntryFlags.DisableLocalCacheRead | HybridCacheEntryFlags.DisableDistributedCacheRead };
        await Cache.GetOrCreateAsync(key, _ => ValueTask.FromResult(++runs), o);
        await Cache.GetOrCreateAsync(key, _ => ValueTask.FromResult(++runs), o);
        Assert.Equal(2, runs);
        // ...and its writes still land: a normal call gets the last value.
        Assert.Equal(2, await Cache.GetOrCreateAsync(key, _ => ValueTask.FromResult(-1), Minute));
    }

    [Fact]
    public async Task A_mutable_value_is_a_new_instance_for_each_caller()
    {
        var key = NewKey();
        var first = await Cache.GetOrCreateAsync(key, _ => ValueTask.FromResult(new Order { Id = 1, Lines = { "x" } }), Minute);
        first.Lines.Add("changed by caller 1");
        var second = await Cache.GetOrCreateAsync(key, _ => ValueTask.FromResult(new Order()), Minute);
        Assert.NotSame(first, second);
        Assert.Equal(new[] { "x" }, second.Lines);
    }

    /// <summary>Whether the implementation has an in-memory level (the one that can hand out a shared instance).</summary>
    protected virtual bool HasMemoryLevel => true;

    [Fact]
    public async Task An_immutable_type_is_one_shared_instance_from_the_memory_level()
    {
        var key = NewKey();
        await Cache.GetOrCreateAsync(key, _ => ValueTask.FromResult(new FrozenOrder { Id = 1, Lines = new[] { "x" } }), Minute);
        // The first call's instance may be the factory's own; later calls are memory hits.
        var second = await Cache.GetOrCreateAsync<FrozenOrder>(key, _ => throw new InvalidOperationException("factory ran"), Minute);
        var third = await Cache.GetOrCreateAsync<FrozenOrder>(key, _ => throw new InvalidOperationException("factory ran"), Minute);
        Assert.Equal(new[] { "x" }, third.Lines);
        if (HasMemoryLevel) Assert.Same(second, third);
        else Assert.NotSame(second, third); // every hit deserializes from Redis
    }

    [Fact]
    public async Task A_sealed_record_or_an_unsealed_marked_type_is_a_new_instance_for_each_caller()
    {
        var key = NewKey();
        await Cache.GetOrCreateAsync(key, _ => ValueTask.FromResult(new OrderRecord(1, new List<string> { "x" })), Minute);
        var second = await Cache.GetOrCreateAsync<OrderRecord>(key, _ => throw new InvalidOperationException("factory ran"), Minute);
        second.Lines.Add("changed by caller 2");
        var third = await Cache.GetOrCreateAsync<OrderRecord>(key, _ => throw new InvalidOperationException("factory ran"), Minute);
        Assert.NotSame(second, third);
        Assert.Equal(new[] { "x" }, third.Lines);

        var key2 = NewKey();
        await Cache.GetOrCreateAsync(key2, _ => ValueTask.FromResult(new UnsealedMarkedOrder { Id = 2 }), Minute);
        var a = await Cache.GetOrCreateAsync<UnsealedMarkedOrder>(key2, _ => throw new InvalidOperationException("factory ran"), Minute);
        var b = await Cache.GetOrCreateAsync<UnsealedMarkedOrder>(key2, _ => throw new InvalidOperationException("factory ran"), Minute);
        Assert.NotSame(a, b);
        Assert.Equal(2, b.Id);
    }

    [Fact]
    public async Task A_removal_that_cannot_reach_Redis_throws_instead_of_looking_done()
    {
        var key = NewKey();
        await Cache.SetAsync(key, "v", Minute);
        await Mux.DisposeAsync(); // the app's connection is gone
        await Assert.ThrowsAnyAsync<Exception>(async () => await Cache.RemoveAsync(key));
    }

    [Fact]
    public async Task A_removed_key_that_was_never_cached_is_fine()
    {
        await Cache.RemoveAsync(NewKey());
        await Cache.RemoveByTagAsync("never-used-" + Guid.NewGuid().ToString("N")[..6]);
    }
}

[Collection(NearNodeCollection.Name)]
public sealed class MicrosoftHybridCacheBehaviorTests(NearNodeFixture fx) : HybridCacheBehaviorTests(fx)
{
    protected override void Register(IServiceCollection services, IConnectionMultiplexer mux)
    {
        services.AddStackExchangeRedisCache(o => o.ConnectionMultiplexerFactory = () => Task.FromResult(mux));
        services.AddHybridCache();
    }

    // RedisCache without an InstanceName stores the entry under the key itself: wait until it exists (bounded).
    protected override async Task PopulatedAsync(string key)
    {
        var db = Mux.GetDatabase();
        var deadline = DateTime.UtcNow.AddSeconds(30);
        while (!await db.KeyExistsAsync(key))
        {
            if (DateTime.UtcNow > deadline)
                throw new TimeoutException($"Microsoft's HybridCache never wrote {key} to Redis");
            await Task.Yield();
            await db.PingAsync();
        }
    }
}

[Collection(NearNodeCollection.Name)]
public sealed class CacheGuardHybridCacheBehaviorTests(NearNodeFixture fx) : HybridCacheBehaviorTests(fx)
{
    protected override void Register(IServiceCollection services, IConnectionMultiplexer mux)
    {
        services.AddHybridCache(); // the app's old line...
        services.AddCacheGuardHybridCache(); // ...and the one-line swap, which replaces it
    }

    [Fact]
    public void The_registration_replaces_Microsofts()
    {
        Assert.IsType<CacheGuardHybridCache>(Cache);
    }
}

[Collection(NearNodeCollection.Name)]
public sealed class CacheGuardHybridCacheWithoutMemoryLevelBehaviorTests(NearNodeFixture fx) : HybridCacheBehaviorTests(fx)
{
    protected override void Register(IServiceCollection services, IConnectionMultiplexer mux) =>
        services.AddCacheGuardHybridCache(o => o.UseNearCache = false);

    protected override bool HasMemoryLevel => false;
}

/// <summary>Two app nodes using CacheGuard's HybridCache: each sees the other's (and anyone's) changes.</summary>
[Collection(NearNodeCollection.Name)]
public sealed class HybridCacheCoherenceTests(NearNodeFixture fx) : IAsyncLifetime
{
    private readonly List<ServiceProvider> _providers = new();

    private async Task<CacheGuardHybridCache> NodeAsync(string? prefix = null)
    {
        var mux = await fx.ConnectAsync();
        var services = new ServiceCollection();
        services.AddSingleton<IConnectionMultiplexer>(mux);
        services.AddCacheGuardHybridCache(o => o.KeyPrefix = prefix);
        var sp = services.BuildServiceProvider();
        _providers.Add(sp);
        var cache = (CacheGuardHybridCache)sp.GetRequiredService<HybridCache>();
        await cache.Near!.WarmUpAsync();
        return cache;
    }

    public Task InitializeAsync() => Task.CompletedTask;

    public async Task DisposeAsync()
    {
        foreach (var p in _providers) await p.DisposeAsync();
    }

    private static readonly HybridCacheEntryOptions Minute = new() { Expiration = TimeSpan.FromMinutes(1) };

    private static async Task<string> ReadTwiceAsync(CacheGuardHybridCache node, string key, string value, string[]? tags = null)
    {
        // First call: factory (or Redis); second: a tracked read that the node keeps; third: memory.
        await node.GetOrCreateAsync(key, _ => ValueTask.FromResult(value), Minute, tags);
        await node.GetOrCreateAsync(key, _ => ValueTask.FromResult(value), Minute, tags);
        var hits = node.Near!.Statistics.LocalHits;
        var v = await node.GetOrCreateAsync(key, _ => ValueTask.FromResult("factory"), Minute, tags);
        Assert.Equal(hits + 1, node.Near.Statistics.LocalHits);
        return v;
    }

    [Fact]
    public async Task Node_B_stops_serving_from_memory_after_node_A_RemoveAsync()
    {
        var a = await NodeAsync();
        var b = await NodeAsync();
        var key = "hcc:" + Guid.NewGuid().ToString("N")[..8];
        Assert.Equal("v1", await ReadTwiceAsync(b, key, "v1"));

        var invalidated = NearEvents.ForKey(b.Near!, key);
        await a.RemoveAsync(key);
        await invalidated;

        Assert.Equal("v2", await b.GetOrCreateAsync(key, _ => ValueTask.FromResult("v2"), Minute));
    }

    [Fact]
    public async Task Node_B_stops_serving_from_memory_after_node_A_RemoveByTagAsync()
    {
        var a = await NodeAsync();
        var b = await NodeAsync();
        var key = "hcc:" + Guid.NewGuid().ToString("N")[..8];
        var tag = "t-" + Guid.NewGuid().ToString("N")[..6];
        Assert.Equal("v1", await ReadTwiceAsync(b, key, "v1", new[] { tag }));

        var invalidated = NearEvents.ForKey(b.Near!, key);
        await a.RemoveByTagAsync(tag);
        await invalidated;

        Assert.Equal("v2", await b.GetOrCreateAsync(key, _ => ValueTask.FromResult("v2"), Minute, new[] { tag }));
    }

    [Fact]
    public async Task Node_B_sees_node_A_SetAsync()
    {
        var a = await NodeAsync();
        var b = await NodeAsync();
        var key = "hcc:" + Guid.NewGuid().ToString("N")[..8];
        Assert.Equal("v1", await ReadTwiceAsync(b, key, "v1"));

        var invalidated = NearEvents.ForKey(b.Near!, key);
        await a.SetAsync(key, "v2", Minute);
        await invalidated;

        Assert.Equal("v2", await b.GetOrCreateAsync(key, _ => ValueTask.FromResult("factory"), Minute));
    }

    [Fact]
    public async Task The_Redis_key_is_the_HybridCache_key_plus_the_prefix_and_a_raw_DEL_reaches_node_B()
    {
        var b = await NodeAsync(prefix: "app1:");
        var key = "hcc:" + Guid.NewGuid().ToString("N")[..8];
        Assert.Equal("v1", await ReadTwiceAsync(b, key, "v1"));
        var raw = (await fx.ConnectAsync()).GetDatabase();
        Assert.True(await raw.KeyExistsAsync("app1:" + key));

        var invalidated = NearEvents.ForKey(b.Near!, "app1:" + key);
        await raw.KeyDeleteAsync("app1:" + key);
        await invalidated;

        Assert.Equal("v2", await b.GetOrCreateAsync(key, _ => ValueTask.FromResult("v2"), Minute));
    }
}

/// <summary>The runtime's script rule (SecurityTests: KEYS/ARGV only, nothing evaluated) applied to the HybridCache adapter's scripts.</summary>
public sealed class HybridScriptTests
{
    [Fact]
    public void Every_HybridCache_script_takes_keys_from_KEYS_and_never_evaluates_data()
    {
        var scripts = typeof(HybridScripts).GetFields(System.Reflection.BindingFlags.Static | System.Reflection.BindingFlags.Public | System.Reflection.BindingFlags.NonPublic)
            .Where(f => f.IsLiteral && f.FieldType == typeof(string))
            .Select(f => (f.Name, Text: (string)f.GetRawConstantValue()!))
            .ToList();
        Assert.NotEmpty(scripts);
        foreach (var (name, text) in scripts)
        {
            foreach (var banned in new[] { "loadstring", "load(", "dofile", "loadfile", "setfenv", "getfenv", "string.dump" })
                Assert.DoesNotContain(banned, text);
            Assert.Contains("KEYS[", text);
            var calls = System.Text.RegularExpressions.Regex.Matches(text, @"redis\.p?call\(\s*'(?<cmd>[A-Za-z]+)'\s*,\s*(?<first>[^,)]+)");
            Assert.True(calls.Count > 0, name + ": no redis.call found");
            foreach (System.Text.RegularExpressions.Match m in calls)
            {
                var first = m.Groups["first"].Value.Trim();
                Assert.True(first.StartsWith("KEYS[", StringComparison.Ordinal), $"{name}: {m.Groups["cmd"].Value} on {first}, not a KEYS entry");
            }
        }
    }
}

