using System.Collections.Concurrent;
using StackExchange.Redis;

namespace CacheGuard.Runtime.Tests;

/// <summary>Issue 4: fenced invalidation, versions, negative caching; on a node and on the cluster.</summary>
public abstract class InvalidationTests(IRedisTarget target)
{
    /// <summary>A one-row "database".</summary>
    private sealed class Row
    {
        private int _value = 1;
        public int Value => Volatile.Read(ref _value);
        public void Write(int v) => Volatile.Write(ref _value, v);
    }

    [Fact]
    public async Task Hole4_PopulateThatReadV1BeforeTheInvalidation_NeverLandsAfterIt()
    {
        var nodes = await Nodes.StartAsync(target, 2);
        var key = Nodes.Key("hole4");
        var row = new Row();
        var r1Read = new TaskCompletionSource(TaskCreationOptions.RunContinuationsAsynchronously);
        var resume = new Gate();

        // R1 misses, reads V1 from the database, and is paused (GC, scheduler, network blip)...
        var r1 = nodes[0].GetOrSetAsync(key, async ct =>
        {
            var v = row.Value;
            r1Read.TrySetResult();
            await resume.WaitAsync(ct);
            return v;
        }, TimeSpan.FromMinutes(5));
        await r1Read.Task.Within();

        // ...W1 writes V2 to the database and invalidates...
        row.Write(2);
        Assert.True((await nodes[1].InvalidateAsync(key)).Succeeded);

        // ...and only then does R1 resume and try to populate V1.
        resume.Open();
        Assert.Equal(1, await r1.Within()); // R1's own caller started before the write: V1 is a fair answer for it

        var cached = await nodes[1].TryGetAsync<int>(key);
        Assert.True(cached.IsMiss || cached.Value == 2, $"the cache holds {cached.Value} after the invalidation; the database holds 2");
        Assert.Equal(2, await nodes[1].GetOrSetAsync(key, ct => Task.FromResult(row.Value), TimeSpan.FromMinutes(5)));
    }

    [Fact]
    public async Task Hole4_ControlExperiment_WithAPlainDelete_TheStaleValueDoesLand()
    {
        // Shows the interleaving above is real: without the fence, V1 lands after the write.
        var nodes = await Nodes.StartAsync(target, 2);
        var key = Nodes.Key("hole4-control");
        var row = new Row();
        var r1Read = new TaskCompletionSource(TaskCreationOptions.RunContinuationsAsynchronously);
        var resume = new Gate();
        var r1 = nodes[0].GetOrSetAsync(key, async ct =>
        {
            var v = row.Value;
            r1Read.TrySetResult();
            await resume.WaitAsync(ct);
            return v;
        }, TimeSpan.FromMinutes(5));
        await r1Read.Task.Within();
        row.Write(2);
        await nodes[1].KeyDeleteAsync(key); // what the seed's write path does
        resume.Open();
        await r1.Within();
        Assert.Equal(1, (await nodes[1].TryGetAsync<int>(key)).Value);
    }

    [Fact]
    public async Task InvalidationOnTheSameNode_NewCallersDoNotJoinAFlightThatReadTheOldRow()
    {
        var nodes = await Nodes.StartAsync(target, 1);
        var key = Nodes.Key("detach");
        var row = new Row();
        var firstRead = new TaskCompletionSource(TaskCreationOptions.RunContinuationsAsynchronously);
        var resume = new Gate();
        var calls = 0;
        Task<int> Factory(CancellationToken ct) => Interlocked.Increment(ref calls) == 1 ? Slow(ct) : Task.FromResult(row.Value);
        async Task<int> Slow(CancellationToken ct)
        {
            var v = row.Value;
            firstRead.TrySetResult();
            await resume.WaitAsync(ct);
            return v;
        }
        var old = nodes[0].GetOrSetAsync(key, Factory, new CacheEntryOptions { Ttl = TimeSpan.FromMinutes(5), WaitDeadline = TimeSpan.FromMilliseconds(100) });
        await firstRead.Task.Within();
        row.Write(2);
        await nodes[0].InvalidateAsync(key);

        var fresh = await nodes[0].GetOrSetAsync(key, Factory, new CacheEntryOptions { Ttl = TimeSpan.FromMinutes(5), WaitDeadline = TimeSpan.FromMilliseconds(100) }).Within();
        Assert.Equal(2, fresh);
        resume.Open();
        Assert.Equal(1, await old.Within());
        Assert.Equal(2, (await nodes[0].TryGetAsync<int>(key)).Value);
    }

    [Fact]
    public async Task MultiKeyInvalidation_DeletesAndFencesEveryKey_WithPerKeyResults()
    {
        var nodes = await Nodes.StartAsync(target, 1);
        var prefix = Guid.NewGuid().ToString("N");
        RedisKey[] keys = Enumerable.Range(0, 12).Select(i => (RedisKey)(i % 3 == 0 ? $"{{{prefix}}}:shared:{i}" : $"{prefix}:k:{i}")).ToArray();
        foreach (var k in keys)
            await nodes[0].GetOrSetAsync(k, ct => Task.FromResult(1), TimeSpan.FromMinutes(5));

        var result = await nodes[0].InvalidateAsync(keys);

        Assert.True(result.Succeeded);
        Assert.Equal(keys, result.Keys.Select(k => k.Key));
        Assert.All(result.Keys, k => Assert.Equal(1, k.Attempts));
        foreach (var k in keys)
        {
            Assert.False(await nodes[0].KeyExistsAsync(k));
            Assert.True(await nodes[0].KeyExistsAsync(new EntryKeys(k).Fence));
        }
    }

    [Fact]
    public async Task Versions_APopulateLandsOnlyIfNewerThanTheCachedVersion()
    {
        var nodes = await Nodes.StartAsync(target, 1);
        var key = Nodes.Key("versions");
        Assert.True(await nodes[0].SetAsync(key, new Post(5, "v5"), version: 5));
        Assert.False(await nodes[0].SetAsync(key, new Post(3, "v3"), version: 3));
        Assert.False(await nodes[0].SetAsync(key, new Post(5, "v5 again"), version: 5));
        Assert.Equal("v5", (await nodes[0].TryGetAsync<Post>(key)).Value!.Title);
        Assert.True(await nodes[0].SetAsync(key, new Post(12, "v12"), version: 12)); // 12 > 5 numerically, though "12" < "5" as text
        Assert.Equal("v12", (await nodes[0].TryGetAsync<Post>(key)).Value!.Title);

        // A versioned get-or-set whose row is older than what another writer cached does not overwrite it.
        var stale = Nodes.Key("versions-gos");
        var read = new TaskCompletionSource(TaskCreationOptions.RunContinuationsAsynchronously);
        var resume = new Gate();
        var populate = nodes[0].GetOrSetVersionedAsync(stale, async ct => { read.TrySetResult(); await resume.WaitAsync(ct); return new Post(7, "row v7"); }, p => p.Id);
        await read.Task.Within();
        Assert.True(await nodes[0].SetAsync(stale, new Post(9, "row v9"), version: 9));
        resume.Open();
        await populate.Within();
        Assert.Equal("row v9", (await nodes[0].TryGetAsync<Post>(stale)).Value!.Title);
    }

    [Fact]
    public async Task NegativeEntry_IsDistinguishable_AndExpiresAfterItsOwnTtl_WhileValuesLive()
    {
        var nodes = await Nodes.StartAsync(target, 1);
        var missing = Nodes.Key("neg");
        var present = Nodes.Key("pos");
        var options = new CacheEntryOptions { Ttl = TimeSpan.FromMinutes(10), NegativeTtl = TimeSpan.FromSeconds(3) };
        // The value first: the negative (at least 2.7 s with jitter) is read right after it is written, not after another
        // get-or-set, so a busy machine has less time in which to let it expire before it is checked.
        Assert.NotNull(await nodes[0].GetOrSetAsync(present, ct => Task.FromResult<Post?>(new Post(1, "x")), options));
        Assert.Null(await nodes[0].GetOrSetAsync(missing, ct => Task.FromResult<Post?>(null), options));

        Assert.Equal(CacheLookupStatus.Negative, (await nodes[0].TryGetAsync<Post>(missing)).Status);
        Assert.InRange((await nodes[0].KeyTimeToLiveAsync(new EntryKeys(missing).Negative))!.Value, TimeSpan.Zero, TimeSpan.FromSeconds(3.3));
        await Bounded.UntilAsync(async () => (await nodes[0].TryGetAsync<Post>(missing)).IsMiss, "the negative entry expired");
        Assert.Equal(CacheLookupStatus.Hit, (await nodes[0].TryGetAsync<Post>(present)).Status);
    }

    [Fact]
    public async Task CreatePath_InvalidationMakesANewEntityVisibleOnTheNextRead()
    {
        var nodes = await Nodes.StartAsync(target, 2);
        var users = new ConcurrentDictionary<int, Post>();
        var loads = 0;
        Task<Post?> Load(int id) { Interlocked.Increment(ref loads); return Task.FromResult(users.TryGetValue(id, out var u) ? u : null); }
        var key = Nodes.Key("user");

        Assert.Null(await nodes[0].GetOrSetAsync(key, ct => Load(5), TimeSpan.FromMinutes(10)));
        Assert.Null(await nodes[1].GetOrSetAsync(key, ct => Load(5), TimeSpan.FromMinutes(10)));
        Assert.Equal(1, loads); // the negative entry absorbed the second lookup

        users[5] = new Post(5, "new user");       // the create path: insert...
        Assert.True((await nodes[1].InvalidateAsync(key)).Succeeded); // ...then invalidate the negative entry

        Assert.Equal("new user", (await nodes[0].GetOrSetAsync(key, ct => Load(5), TimeSpan.FromMinutes(10)))?.Title);
        Assert.Equal(2, loads);
    }
}

[Collection(RedisNodeCollection.Name)]
public sealed class InvalidationOnNodeTests(RedisNodeFixture fixture) : InvalidationTests(new NodeTarget(fixture));

[Collection(RedisClusterCollection.Name)]
public sealed class InvalidationOnClusterTests(RedisClusterFixture fixture) : InvalidationTests(new ClusterTarget(fixture));
