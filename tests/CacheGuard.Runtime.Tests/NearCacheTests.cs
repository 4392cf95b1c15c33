using CacheGuard.Testing.Redis;
using StackExchange.Redis;

namespace CacheGuard.Runtime.Tests;

/// <summary>One redis-server for the near-cache tests (its own: some tests flush it).</summary>
public sealed class NearNodeFixture : IAsyncLifetime
{
    private readonly List<ConnectionMultiplexer> _connections = new();

    public RedisServerProcess Server { get; private set; } = null!;

    public async Task InitializeAsync() => Server = await RedisServerProcess.StartAsync();

    public async Task<ConnectionMultiplexer> ConnectAsync()
    {
        var mux = await ConnectionMultiplexer.ConnectAsync(TestConnections.Options(Server.Endpoint));
        lock (_connections) _connections.Add(mux);
        return mux;
    }

    public async Task DisposeAsync()
    {
        foreach (var c in _connections) await c.DisposeAsync();
        await Server.DisposeAsync();
    }
}

[CollectionDefinition(Name)]
public sealed class NearNodeCollection : ICollectionFixture<NearNodeFixture>
{
    public const string Name = "near-node";
}

/// <summary>Waits for a near cache's invalidation events (registered before the action that causes them).</summary>
internal static class NearEvents
{
    /// <summary>Generous: a CI machine may be busy. This bounds a hang, it asserts no speed.</summary>
    public static readonly TimeSpan Patience = TimeSpan.FromSeconds(20);

    public static Task<NearCacheInvalidation> Next(NearCache near, Func<NearCacheInvalidation, bool> match)
    {
        var tcs = new TaskCompletionSource<NearCacheInvalidation>(TaskCreationOptions.RunContinuationsAsynchronously);
        void Handler(NearCacheInvalidation e)
        {
            if (!match(e)) return;
            near.Invalidated -= Handler;
            tcs.TrySetResult(e);
        }
        near.Invalidated += Handler;
        return tcs.Task.WaitAsync(Patience);
    }

    public static Task<NearCacheInvalidation> ForKey(NearCache near, string key, NearCacheInvalidationReason reason = NearCacheInvalidationReason.Tracking) =>
        Next(near, e => e.Key == key && e.Reason == reason);

    public static Task<NearCacheInvalidation> Flush(NearCache near) => Next(near, e => e.Key is null);
}

[Collection(NearNodeCollection.Name)]
public sealed class NearCacheTests(NearNodeFixture fx)
{
    private static string NewKey(string what) => "near:" + what + ":" + Guid.NewGuid().ToString("N")[..8];

    // What CacheGuard's serializer stores for a string (raw UTF-8 since DECISIONS.md fixes 14:25), as another writer would put it.
    private static byte[] Stored(string s) => SystemTextJsonCacheSerializer.Default.Serialize(s);

    private async Task<(ConnectionMultiplexer Mux, NearCache Near)> NodeAsync(NearCacheOptions? options = null)
    {
        var mux = await fx.ConnectAsync();
        var near = new NearCache(mux, options);
        await near.WarmUpAsync();
        return (mux, near);
    }

    [Fact]
    public async Task Second_read_is_served_from_memory_and_the_tracked_connection_is_in_tracking_mode()
    {
        var (mux, near) = await NodeAsync();
        await using var owned = near;
        var key = NewKey("hit");
        await mux.GetDatabase().SetAsync(key, "v1", CacheEntryOptions.FromTtl(TimeSpan.FromMinutes(5)));

        Assert.Equal("v1", (await near.TryGetAsync<string>(key)).Value);
        Assert.Equal("v1", (await near.TryGetAsync<string>(key)).Value);

        Assert.Equal(1, near.Statistics.RedisHits);
        Assert.Equal(1, near.Statistics.LocalHits);
        Assert.All(near.NodeStates.Values, s => Assert.Equal("Tracking", s));
        Assert.Equal(1, near.Count);
    }

    [Fact]
    public async Task Node_B_stops_serving_from_memory_after_node_A_invalidates()
    {
        var (muxA, nearA) = await NodeAsync();
        var (_, nearB) = await NodeAsync();
        await using var a = nearA;
        await using var b = nearB;
        var key = NewKey("remove");
        await muxA.GetDatabase().SetAsync(key, "v1", CacheEntryOptions.FromTtl(TimeSpan.FromMinutes(5)));
        Assert.Equal("v1", (await nearB.TryGetAsync<string>(key)).Value);
        Assert.True(nearB.TryGetLocal<string>(key, out _));

        var invalidated = NearEvents.ForKey(nearB, key);
        await nearA.InvalidateAsync(key);
        await invalidated;

        Assert.False(nearB.TryGetLocal<string>(key, out _));
        Assert.True((await nearB.TryGetAsync<string>(key)).IsMiss);
        Assert.Equal(1, nearB.Statistics.InvalidationsReceived);
    }

    [Fact]
    public async Task Another_clients_raw_SET_and_DEL_reach_node_B()
    {
        var (_, nearB) = await NodeAsync();
        await using var b = nearB;
        var other = (await fx.ConnectAsync()).GetDatabase(); // a service that knows nothing of CacheGuard
        var key = NewKey("raw");
        await other.StringSetAsync(key, Stored("v1"), TimeSpan.FromMinutes(5));
        Assert.Equal("v1", (await nearB.TryGetAsync<string>(key)).Value);

        var onSet = NearEvents.ForKey(nearB, key);
        await other.StringSetAsync(key, Stored("v2"), TimeSpan.FromMinutes(5));
        await onSet;
        Assert.False(nearB.TryGetLocal<string>(key, out _));
        Assert.Equal("v2", (await nearB.TryGetAsync<string>(key)).Value);
        Assert.True(nearB.TryGetLocal<string>(key, out var kept));
        Assert.Equal("v2", kept);

        var onDel = NearEvents.ForKey(nearB, key);
        await other.KeyDeleteAsync(key);
        await onDel;
        Assert.True((await nearB.TryGetAsync<string>(key)).IsMiss);
    }

    [Fact]
    public async Task Under_concurrent_writes_memory_never_keeps_a_value_older_than_the_last_write()
    {
        // The read-reply vs invalidation race: readers keep reading while another client keeps
        // writing. After the writer's last write and one round trip on the tracked connection
        // (every earlier invalidation has then been applied), memory holds the last value or nothing.
        var (_, nearB) = await NodeAsync();
        await using var b = nearB;
        var writer = (await fx.ConnectAsync()).GetDatabase();
        var key = NewKey("race");
        await writer.StringSetAsync(key, Stored("0"));
        using var stop = new CancellationTokenSource();
        // A memory hit completes synchronously, so a reader that never yields spins on its pool thread. Four of them on a
        // 2-core machine starved the pool that StackExchange.Redis 3.x reads its replies on (CI: the writer's SET timed
        // out after 10 s with its reply in the socket, 15 work items queued). Each read yields to the pool's queue first.
        var readers = Enumerable.Range(0, 4).Select(_ => Task.Run(async () =>
        {
            while (!stop.IsCancellationRequested)
            {
                await Task.Yield();
                await nearB.TryGetAsync<string>(key);
            }
        })).ToArray();
        const int writes = 300;
        for (var i = 1; i <= writes; i++)
            await writer.StringSetAsync(key, Stored(i.ToString()));
        stop.Cancel();
        await Task.WhenAll(readers);
        await nearB.BarrierAsync();

        if (nearB.TryGetLocal<string>(key, out var v)) Assert.Equal(writes.ToString(), v);
        Assert.Equal(writes.ToString(), (await nearB.TryGetAsync<string>(key)).Value);
        Assert.True(nearB.Statistics.InvalidationsReceived > 0);
    }

    [Fact]
    public async Task FLUSHALL_flushes_memory()
    {
        var (mux, near) = await NodeAsync();
        await using var owned = near;
        var key = NewKey("flushall");
        await mux.GetDatabase().StringSetAsync(key, Stored("v1"));
        Assert.Equal("v1", (await near.TryGetAsync<string>(key)).Value);

        var flushed = NearEvents.Next(near, e => e.Reason == NearCacheInvalidationReason.TrackingFlush);
        await mux.GetServer(mux.GetEndPoints()[0]).FlushDatabaseAsync();
        await flushed;

        Assert.False(near.TryGetLocal<string>(key, out _));
        Assert.True(near.Statistics.Flushes >= 1);
    }

    [Fact]
    public async Task A_dropped_connection_flushes_and_tracking_is_back_on_after_the_reconnect()
    {
        var (mux, near) = await NodeAsync();
        await using var owned = near;
        var other = mux.GetDatabase();
        var key = NewKey("drop");
        await other.StringSetAsync(key, Stored("v1"));
        Assert.Equal("v1", (await near.TryGetAsync<string>(key)).Value);
        var tracker = Assert.Single(near.Trackers);
        var oldId = tracker.ClientId;

        // The server drops the tracked connection (as a proxy timeout or a network blip would).
        var flushed = NearEvents.Flush(near);
        await fx.Server.CommandAsync("CLIENT", "KILL", "ID", oldId.ToString());
        await flushed;
        await other.StringSetAsync(key, Stored("v2")); // written while this node may have no tracking at all
        await near.WarmUpAsync();

        Assert.False(near.TryGetLocal<string>(key, out _));
        Assert.Equal("v2", (await near.TryGetAsync<string>(key)).Value);
        Assert.NotEqual(oldId, tracker.ClientId);

        // Tracking was turned on again on the new connection.
        var invalidated = NearEvents.ForKey(near, key);
        await other.StringSetAsync(key, Stored("v3"));
        await invalidated;
        Assert.Equal("v3", (await near.TryGetAsync<string>(key)).Value);
    }

    [Fact]
    public async Task Size_limit_evicts()
    {
        var (mux, near) = await NodeAsync(new NearCacheOptions { MaxEntries = 10 });
        await using var owned = near;
        var db = mux.GetDatabase();
        var prefix = NewKey("evict");
        for (var i = 0; i < 40; i++)
        {
            await db.StringSetAsync(prefix + i, Stored("v" + i));
            Assert.Equal("v" + i, (await near.TryGetAsync<string>(prefix + i)).Value);
        }
        Assert.InRange(near.Count, 1, 10);
        Assert.True(near.Statistics.Evictions >= 30);
    }

    [Fact]
    public async Task Byte_limit_evicts()
    {
        var (mux, near) = await NodeAsync(new NearCacheOptions { MaxBytes = 1000 });
        await using var owned = near;
        var db = mux.GetDatabase();
        var prefix = NewKey("bytes");
        var big = new string('x', 300);
        for (var i = 0; i < 10; i++)
        {
            await db.StringSetAsync(prefix + i, Stored(big));
            await near.TryGetAsync<string>(prefix + i);
        }
        Assert.InRange(near.Count, 1, 3);
    }

    [Fact]
    public async Task Mutable_values_are_copies_unless_sharing_is_asked_for()
    {
        var (mux, near) = await NodeAsync();
        await using var owned = near;
        var key = NewKey("copy");
        await mux.GetDatabase().SetAsync(key, new List<int> { 1, 2 }, CacheEntryOptions.FromTtl(TimeSpan.FromMinutes(1)));
        var first = (await near.TryGetAsync<List<int>>(key)).Value!;
        first.Add(3);
        var second = (await near.TryGetAsync<List<int>>(key)).Value!;
        Assert.Equal(new[] { 1, 2 }, second);
        Assert.Equal(1, near.Statistics.LocalHits);
    }

    [Fact]
    public async Task ShareInstances_hands_every_memory_hit_the_same_instance()
    {
        var (mux, near) = await NodeAsync(new NearCacheOptions { ShareInstances = true });
        await using var owned = near;
        var key = NewKey("share");
        await mux.GetDatabase().SetAsync(key, new List<int> { 1, 2 }, CacheEntryOptions.FromTtl(TimeSpan.FromMinutes(1)));
        var first = (await near.TryGetAsync<List<int>>(key)).Value!; // the tracked read's instance is the one kept
        var second = (await near.TryGetAsync<List<int>>(key)).Value!;
        Assert.Same(first, second);
        Assert.Equal(1, near.Statistics.LocalHits);
    }

#if NET10_0_OR_GREATER // HybridCache and its test types are net10.0-only
    [Fact]
    public async Task By_default_only_types_immutable_by_Microsofts_rule_are_shared()
    {
        var (mux, near) = await NodeAsync();
        await using var owned = near;
        var db = mux.GetDatabase();
        var ttl = CacheEntryOptions.FromTtl(TimeSpan.FromMinutes(1));
        var frozen = NewKey("frozen");
        var record = NewKey("record");
        var unsealed = NewKey("unsealed");
        await db.SetAsync(frozen, new FrozenOrder { Id = 1, Lines = new[] { "x" } }, ttl);
        await db.SetAsync(record, new OrderRecord(2, new List<string> { "y" }), ttl);
        await db.SetAsync(unsealed, new UnsealedMarkedOrder { Id = 3 }, ttl);

        Assert.Same((await near.TryGetAsync<FrozenOrder>(frozen)).Value, (await near.TryGetAsync<FrozenOrder>(frozen)).Value);
        Assert.NotSame((await near.TryGetAsync<OrderRecord>(record)).Value, (await near.TryGetAsync<OrderRecord>(record)).Value);
        Assert.NotSame((await near.TryGetAsync<UnsealedMarkedOrder>(unsealed)).Value, (await near.TryGetAsync<UnsealedMarkedOrder>(unsealed)).Value);
        Assert.Equal(3, near.Statistics.LocalHits); // the second read of each was a memory hit
    }
#endif

#if NET10_0_OR_GREATER // HybridCache and its test types are net10.0-only
    [Fact]
    public void The_sharing_rule_matches_Microsofts_and_adds_only_types_that_copy_by_value()
    {
        Assert.True(NearCache.Immutable<string>.Is);
        Assert.True(NearCache.Immutable<int>.Is);
        Assert.True(NearCache.Immutable<Guid?>.Is);
        Assert.True(NearCache.Immutable<(int, DateTimeOffset)>.Is); // a struct without references: unboxing copies it whole
        Assert.True(NearCache.Immutable<FrozenOrder>.Is);
        Assert.False(NearCache.Immutable<OrderRecord>.Is);
        Assert.False(NearCache.Immutable<UnsealedMarkedOrder>.Is);
        Assert.False(NearCache.Immutable<Order>.Is);
        Assert.False(NearCache.Immutable<(int, List<int>)>.Is); // a struct holding a mutable reference
        Assert.False(NearCache.Immutable<int[]>.Is);
        Assert.False(NearCache.Immutable<object>.Is);
    }
#endif

    [Fact]
    public async Task Hits_are_counted_per_level_on_the_CacheGuard_meter()
    {
        var levels = new System.Collections.Concurrent.ConcurrentBag<string>();
        using var listener = new System.Diagnostics.Metrics.MeterListener();
        listener.InstrumentPublished = (i, l) => { if (i.Meter.Name == CacheGuardTelemetry.Name && i.Name == "cacheguard.near.hits") l.EnableMeasurementEvents(i); };
        listener.SetMeasurementEventCallback<long>((_, _, tags, _) =>
        {
            foreach (var t in tags) if (t.Key == "level") levels.Add((string)t.Value!);
        });
        listener.Start();
        var (mux, near) = await NodeAsync();
        await using var owned = near;
        var key = NewKey("meter");
        await mux.GetDatabase().StringSetAsync(key, Stored("v"));
        await near.TryGetAsync<string>(key);
        await near.TryGetAsync<string>(key);
        Assert.Contains("redis", levels);
        Assert.Contains("memory", levels);
    }

    [Fact]
    public async Task WithNearCache_is_one_instance_per_multiplexer_and_database()
    {
        var mux = await fx.ConnectAsync();
        var db = mux.GetDatabase();
        var near = db.WithNearCache();
        await using var owned = near;
        Assert.Same(near, mux.GetDatabase().WithNearCache());
        var key = NewKey("ext");
        Assert.Equal("x", await db.WithNearCache().GetOrSetAsync<string>(key, _ => Task.FromResult("x"), CacheEntryOptions.FromTtl(TimeSpan.FromMinutes(1))));
        await db.WithNearCache().InvalidateAsync(key);
        Assert.True((await db.TryGetAsync<string>(key)).IsMiss);
    }

    [Fact]
    public async Task GetOrSet_runs_the_factory_once_then_serves_from_memory()
    {
        var (_, near) = await NodeAsync();
        await using var n = near;
        var key = NewKey("getorset");
        var runs = 0;
        Task<string> Factory(CancellationToken _) { Interlocked.Increment(ref runs); return Task.FromResult("made"); }
        Assert.Equal("made", await near.GetOrSetAsync<string>(key, Factory, CacheEntryOptions.FromTtl(TimeSpan.FromMinutes(1))));
        Assert.Equal("made", await near.GetOrSetAsync<string>(key, Factory)); // tracked read, kept
        Assert.Equal("made", await near.GetOrSetAsync<string>(key, Factory)); // memory
        Assert.Equal(1, runs);
        Assert.Equal(1, near.Statistics.LocalHits);
    }
}

/// <summary>Restart and health-check tests: each starts its own server.</summary>
public sealed class NearCacheFaultTests
{
    // What CacheGuard's serializer stores for a string (raw UTF-8 since DECISIONS.md fixes 14:25), as another writer would put it.
    private static byte[] Stored(string s) => SystemTextJsonCacheSerializer.Default.Serialize(s);

    [Fact]
    public async Task After_a_Redis_restart_nothing_stale_is_served()
    {
        await using var server = await RedisServerProcess.StartAsync();
        await using var mux = await ConnectionMultiplexer.ConnectAsync(TestConnections.Options(server.Endpoint));
        await using var near = new NearCache(mux);
        await near.WarmUpAsync();
        var db = mux.GetDatabase();
        await db.StringSetAsync("k", Stored("before"));
        Assert.Equal("before", (await near.TryGetAsync<string>("k")).Value);

        var flushed = NearEvents.Flush(near);
        server.Kill();
        await flushed;
        await server.RestartAsync(); // empty: no persistence
        await using (var raw = await ConnectionMultiplexer.ConnectAsync(TestConnections.Options(server.Endpoint)))
            await raw.GetDatabase().StringSetAsync("k", Stored("after"));
        await near.WarmUpAsync().WaitAsync(NearEvents.Patience);

        Assert.False(near.TryGetLocal<string>("k", out _));
        Assert.Equal("after", (await near.TryGetAsync<string>("k")).Value);
        Assert.True(near.Statistics.Flushes >= 1);
    }

    [Fact]
    public async Task A_silent_connection_fails_its_health_check_and_is_flushed()
    {
        await using var server = await RedisServerProcess.StartAsync();
        await using var mux = await ConnectionMultiplexer.ConnectAsync(TestConnections.Options(server.Endpoint));
        await using var near = new NearCache(mux, new NearCacheOptions { HealthCheckInterval = TimeSpan.FromMilliseconds(100), HealthCheckTimeout = TimeSpan.FromMilliseconds(300) });
        await near.WarmUpAsync();
        await mux.GetDatabase().StringSetAsync("k", Stored("v"));
        Assert.Equal("v", (await near.TryGetAsync<string>("k")).Value);

        var flushed = NearEvents.Next(near, e => e.Key is null && e.Reason == NearCacheInvalidationReason.ConnectionLost);
        server.Pause(); // the socket stays open, nothing answers: no invalidation could arrive either
        try
        {
            await flushed;
            Assert.False(near.TryGetLocal<string>("k", out _));
        }
        finally
        {
            server.Resume();
        }
    }

    [Fact]
    public async Task Without_tracking_the_backplane_carries_CacheGuards_own_invalidations_only()
    {
        // A server that refuses CLIENT (as some proxies do): Auto falls back to the backplane.
        await using var server = await RedisServerProcess.StartAsync(extraArgs: new[] { "--rename-command", "CLIENT", "" });
        var options = TestConnections.Options(server.Endpoint);
        await using var muxA = await ConnectionMultiplexer.ConnectAsync(options);
        await using var muxB = await ConnectionMultiplexer.ConnectAsync(options);
        await using var nearA = new NearCache(muxA);
        await using var nearB = new NearCache(muxB);
        await nearA.WarmUpAsync();
        await nearB.WarmUpAsync();
        Assert.All(nearB.NodeStates.Values, s => Assert.Equal("Backplane", s));
        var db = muxA.GetDatabase();
        await db.StringSetAsync("k", Stored("v1"));
        Assert.Equal("v1", (await nearB.TryGetAsync<string>("k")).Value);

        var invalidated = NearEvents.ForKey(nearB, "k", NearCacheInvalidationReason.Backplane);
        await nearA.InvalidateAsync("k");
        await invalidated;
        Assert.False(nearB.TryGetLocal<string>("k", out _));

        // The documented weaker bound: a raw write by another client is not seen; the entry lives
        // until its local expiration.
        await db.StringSetAsync("k", Stored("v2"));
        Assert.Equal("v2", (await nearB.TryGetAsync<string>("k")).Value);
        await db.StringSetAsync("k", Stored("v3"));
        await nearB.BarrierAsync();
        Assert.True(nearB.TryGetLocal<string>("k", out var stale));
        Assert.Equal("v2", stale);
    }
}

/// <summary>A local cluster: one tracked connection per master, invalidations from every node.</summary>
public sealed class NearCacheClusterTests
{
    // What CacheGuard's serializer stores for a string (raw UTF-8 since DECISIONS.md fixes 14:25), as another writer would put it.
    private static byte[] Stored(string s) => SystemTextJsonCacheSerializer.Default.Serialize(s);

#if NET10_0_OR_GREATER // HybridCache and its test types are net10.0-only
    [Fact]
    public async Task Each_master_has_its_own_tracked_connection_and_invalidations_arrive_from_all_of_them()
    {
        await using var cluster = await RedisClusterProcess.StartAsync(masters: 3, replicasPerMaster: 0);
        var options = TestConnections.Options(cluster.ConfigurationString);
        await using var muxA = await ConnectionMultiplexer.ConnectAsync(options);
        await using var muxB = await ConnectionMultiplexer.ConnectAsync(options);
        await using var nearA = new NearCache(muxA);
        await using var nearB = new NearCache(muxB);
        await nearB.WarmUpAsync();
        var db = muxA.GetDatabase();

        // Keys spread over every master.
        var keys = Enumerable.Range(0, 30).Select(i => "near:cluster:" + i).ToArray();
        var masters = keys.Select(k => db.IdentifyEndpoint(k)!.ToString()).Distinct().Count();
        Assert.Equal(3, masters);
        foreach (var k in keys) await db.StringSetAsync(k, Stored("v1:" + k));
        foreach (var k in keys) Assert.Equal("v1:" + k, (await nearB.TryGetAsync<string>(k)).Value);
        Assert.Equal(3, nearB.Trackers.Count());
        Assert.Equal(keys.Length, nearB.Count);

        var events = keys.Select(k => NearEvents.ForKey(nearB, k)).ToArray();
        foreach (var k in keys) await nearA.InvalidateAsync(k);
        await Task.WhenAll(events);

        foreach (var k in keys) Assert.False(nearB.TryGetLocal<string>(k, out _));
        Assert.Equal(0, nearB.Count);
        await db.StringSetAsync(keys[0], Stored("v2"));
        Assert.Equal("v2", (await nearB.TryGetAsync<string>(keys[0])).Value);

        // Tags across slots and masters: node A's RemoveByTagAsync reaches node B's memory on every master.
        await using var hybridA = new CacheGuard.Hybrid.CacheGuardHybridCache(muxA, new() { KeyPrefix = "hy:" });
        await using var hybridB = new CacheGuard.Hybrid.CacheGuardHybridCache(muxB, new() { KeyPrefix = "hy:" });
        await hybridB.Near!.WarmUpAsync();
        var entry = new Microsoft.Extensions.Caching.Hybrid.HybridCacheEntryOptions { Expiration = TimeSpan.FromMinutes(5) };
        var tag = new[] { "cluster-tag" };
        foreach (var k in keys)
        {
            await hybridB.GetOrCreateAsync(k, _ => ValueTask.FromResult("t1"), entry, tag);
            await hybridB.GetOrCreateAsync(k, _ => ValueTask.FromResult("t1"), entry, tag);
            Assert.True(hybridB.Near.TryGetLocal<string>("hy:" + k, out _));
        }
        var tagEvents = keys.Select(k => NearEvents.ForKey(hybridB.Near, "hy:" + k)).ToArray();
        await hybridA.RemoveByTagAsync("cluster-tag");
        await Task.WhenAll(tagEvents);
        foreach (var k in keys)
            Assert.Equal("t2", await hybridB.GetOrCreateAsync(k, _ => ValueTask.FromResult("t2"), entry, tag));
    }
#endif
}
