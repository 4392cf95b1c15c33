using StackExchange.Redis;

namespace CacheGuard.Runtime.Tests;

/// <summary>
/// The exact call shapes the code fixes emit must compile without ambiguity (this file compiling
/// is the first assertion) and work.
/// </summary>
[Collection(RedisNodeCollection.Name)]
public class ApiShapeTests(RedisNodeFixture fixture)
{
    private sealed class PostStore
    {
        public int Loads;
        public Task<Post?> LoadAsync(int id) { Interlocked.Increment(ref Loads); return Task.FromResult<Post?>(id > 0 ? new Post(id, "t" + id) : null); }
        public Post? Load(int id) { Interlocked.Increment(ref Loads); return id > 0 ? new Post(id, "t" + id) : null; }
    }

    private sealed class Service(IDatabase db, PostStore store)
    {
        private readonly IDatabase _db = db;
        private readonly PostStore _store = store;

        public async Task<Post?> GetAsync(int id) =>
            await _db.GetOrSetAsync($"post:{id}", async ct => await _store.LoadAsync(id), TimeSpan.FromMinutes(5));

        public int? GetIdBySlug(string slug, int id) =>
            _db.GetOrSet("slug:" + slug, ct => _store.Load(id)?.Id, TimeSpan.FromMinutes(5));

        public Post? GetSync(int id) => _db.GetOrSet($"postsync:{id}", ct => _store.Load(id), TimeSpan.FromMinutes(5));

        public Task<Post?> GetNoAsyncLambda(int id) => _db.GetOrSetAsync($"post2:{id}", ct => _store.LoadAsync(id), TimeSpan.FromMinutes(5));

        public Task<Post?> GetWithOptions(int id) => _db.GetOrSetAsync($"post3:{id}", ct => _store.LoadAsync(id), new CacheEntryOptions { Ttl = TimeSpan.FromMinutes(5) });

        public Task<Post?> GetDefaultOptions(int id) => _db.GetOrSetAsync($"post4:{id}", ct => _store.LoadAsync(id));

        public async Task UpdateAsync(Post p) => await _db.InvalidateAsync($"post:{p.Id}");

        public void Update(RedisKey key) => _db.Invalidate(key);
    }

    [Fact]
    public async Task FixShapedCalls_CompileAndCacheEachValueOnce()
    {
        var mux = await fixture.ConnectAsync();
        var db = mux.GetDatabase();
        var store = new PostStore();
        var service = new Service(db, store);
        var id = Random.Shared.Next(1, int.MaxValue);

        Assert.Equal(new Post(id, "t" + id), await service.GetAsync(id));
        Assert.Equal(new Post(id, "t" + id), await service.GetAsync(id));
        Assert.Equal(1, store.Loads);

        var slug = Guid.NewGuid().ToString("N");
        Assert.Equal(id, service.GetIdBySlug(slug, id));
        Assert.Equal(id, service.GetIdBySlug(slug, id));
        Assert.Equal(2, store.Loads);

        Assert.Equal(id, service.GetSync(id)!.Id);
        Assert.Equal(id, (await service.GetNoAsyncLambda(id))!.Id);
        Assert.Equal(id, (await service.GetWithOptions(id))!.Id);
        Assert.Equal(id, (await service.GetDefaultOptions(id))!.Id);

        await service.UpdateAsync(new Post(id, "x"));
        Assert.Equal(new Post(id, "t" + id), await service.GetAsync(id));
        Assert.Equal(7, store.Loads);

        service.Update($"post:{id}");
        Assert.True((await db.TryGetAsync<Post>($"post:{id}")).IsMiss);
    }

    [Fact]
    public async Task NullableValueType_NullIsNegative_ValueIsHit()
    {
        var mux = await fixture.ConnectAsync();
        var db = mux.GetDatabase();
        var missing = Nodes.Key("missing");
        var present = Nodes.Key("present");
        var runs = 0;

        Assert.Null(await db.GetOrSetAsync<int?>(missing, ct => { runs++; return Task.FromResult<int?>(null); }, TimeSpan.FromMinutes(5)));
        Assert.Null(await db.GetOrSetAsync<int?>(missing, ct => { runs++; return Task.FromResult<int?>(null); }, TimeSpan.FromMinutes(5)));
        Assert.Equal(1, runs);
        Assert.Equal(CacheLookupStatus.Negative, (await db.TryGetAsync<int?>(missing)).Status);

        Assert.Equal(42, db.GetOrSet(present, ct => (int?)42, TimeSpan.FromMinutes(5)));
        var lookup = await db.TryGetAsync<int?>(present);
        Assert.Equal(CacheLookupStatus.Hit, lookup.Status);
        Assert.Equal(42, lookup.Value);
    }

    [Fact]
    public async Task ValueWrittenByOldCode_IsReadAsIs_AndAnotherTypeAtTheKeyIsNeverOverwritten()
    {
        var mux = await fixture.ConnectAsync();
        var db = mux.GetDatabase();
        var plain = Nodes.Key("plain");
        var hash = Nodes.Key("hash");
        await db.StringSetAsync(plain, "{\"id\":1,\"title\":\"written by old code\"}", TimeSpan.FromMinutes(1));
        await db.HashSetAsync(hash, "f", "v");

        // The wire format is the serializer's plain bytes: what raw code wrote is a hit, and the reverse holds too.
        Assert.Equal("written by old code", (await db.TryGetAsync<Post>(plain)).Value!.Title);
        Assert.Equal("written by old code", (await db.GetOrSetAsync(plain, ct => Task.FromResult(new Post(1, "new")), TimeSpan.FromMinutes(1))).Title);
        var fresh = Nodes.Key("fresh");
        await db.GetOrSetAsync(fresh, ct => Task.FromResult(new Post(2, "by CacheGuard")), TimeSpan.FromMinutes(1));
        Assert.Equal("by CacheGuard", System.Text.Json.JsonSerializer.Deserialize<Post>((byte[])(await db.StringGetAsync(fresh))!)!.Title);

        await Assert.ThrowsAsync<CacheKeyTypeException>(() => db.TryGetAsync<Post>(hash));
        await Assert.ThrowsAsync<CacheKeyTypeException>(() => db.GetOrSetAsync(hash, ct => Task.FromResult(new Post(1, "new")), TimeSpan.FromMinutes(1)));
        Assert.Equal(RedisType.Hash, await db.KeyTypeAsync(hash));

        // Values live at the user's key: a plain KeyDelete elsewhere still removes the entry (its stale
        // copy outlives the key by more than the stale window, so it is known to be deleted early, not expired).
        await db.KeyDeleteAsync(fresh);
        Assert.True((await db.TryGetAsync<Post>(fresh)).IsMiss);
        Assert.Equal("after the raw delete", (await db.GetOrSetAsync(fresh, ct => Task.FromResult(new Post(2, "after the raw delete")), TimeSpan.FromMinutes(1))).Title);
    }

    [Fact]
    public async Task EveryWrite_IsJittered_AndNegativeTtlIsCappedAtATenthOfTheTtl()
    {
        var mux = await fixture.ConnectAsync();
        var db = mux.GetDatabase();
        var ttls = new List<TimeSpan>();
        for (var i = 0; i < 20; i++)
        {
            var key = Nodes.Key("jitter");
            await db.GetOrSetAsync(key, ct => Task.FromResult(new Post(i, "x")), new CacheEntryOptions { Ttl = TimeSpan.FromSeconds(100), StaleWindow = TimeSpan.Zero });
            ttls.Add((await db.KeyTimeToLiveAsync(key))!.Value);
        }
        Assert.All(ttls, t => Assert.InRange(t, TimeSpan.FromSeconds(90), TimeSpan.FromSeconds(110)));
        Assert.True(ttls.Distinct().Count() > 10, "TTLs should be spread by jitter");

        var negative = Nodes.Key("neg");
        await db.GetOrSetAsync(negative, ct => Task.FromResult<Post?>(null), TimeSpan.FromSeconds(60));
        // 30 s default, capped at 60 s / 10 = 6 s (+10% jitter).
        Assert.InRange((await db.KeyTimeToLiveAsync(new EntryKeys(negative).Negative))!.Value, TimeSpan.FromSeconds(1), TimeSpan.FromSeconds(6.6));
        Assert.False(await db.KeyExistsAsync(negative)); // a "not found" is never stored at the key: raw readers see a miss
    }

    [Fact]
    public async Task SyncCallers_OnManyThreads_ShareOneFactoryRun()
    {
        var mux = await fixture.ConnectAsync();
        var db = mux.GetDatabase();
        var key = Nodes.Key("sync");
        var runs = 0;
        using var allIn = new Barrier(16);
        var results = new int[16];
        var threads = Enumerable.Range(0, 16).Select(i => new Thread(() =>
        {
            allIn.SignalAndWait();
            results[i] = db.GetOrSet(key, ct =>
            {
                Interlocked.Increment(ref runs);
                Thread.Sleep(100); // a slow synchronous query, so the others arrive while it runs
                return 99;
            }, TimeSpan.FromMinutes(1));
        })).ToList();
        threads.ForEach(t => t.Start());
        threads.ForEach(t => Assert.True(t.Join(Bounded.Timeout)));
        Assert.All(results, r => Assert.Equal(99, r));
        Assert.Equal(1, runs);
    }

    [Fact]
    public async Task Deserialization_NeverInstantiatesATypeNamedByThePayload()
    {
        var mux = await fixture.ConnectAsync();
        var db = mux.GetDatabase();
        var key = Nodes.Key("typename");
        var payload = System.Text.Encoding.UTF8.GetBytes("{\"$type\":\"System.IO.FileInfo, System.Private.CoreLib\",\"originalPath\":\"/etc/passwd\"}");
        await db.StringSetAsync(key, payload, TimeSpan.FromMinutes(1));

        var asObject = await db.TryGetAsync<object>(key);
        Assert.True(asObject.IsHit);
        Assert.IsType<System.Text.Json.JsonElement>(asObject.Value);
    }

    /// <summary>A UI-style context: work posted to it runs only on its own thread, which here is blocked.</summary>
    private sealed class BlockedThreadContext : SynchronizationContext
    {
        public int Posts;
        public override void Post(SendOrPostCallback d, object? state) => Interlocked.Increment(ref Posts); // never runs: the thread is blocked
        public override void Send(SendOrPostCallback d, object? state) => throw new InvalidOperationException("Send on a blocked context");
    }

    [Fact]
    public async Task SyncCall_UnderASingleThreadedSynchronizationContext_DoesNotDeadlock()
    {
        var mux = await fixture.ConnectAsync();
        var db = mux.GetDatabase();
        var key = Nodes.Key("syncctx");
        var context = new BlockedThreadContext();
        int? result = null;
        var thread = new Thread(() =>
        {
            SynchronizationContext.SetSynchronizationContext(context);
            result = db.GetOrSet(key, ct => (int?)5, TimeSpan.FromMinutes(1));
            db.Invalidate(key);
        });
        thread.Start();
        Assert.True(thread.Join(Bounded.Timeout), "GetOrSet deadlocked on the caller's SynchronizationContext");
        Assert.Equal(5, result);
        Assert.Equal(0, context.Posts);
    }
}
