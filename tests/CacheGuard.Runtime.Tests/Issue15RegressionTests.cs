using System.Collections.Concurrent;
using System.Diagnostics.Metrics;
using CacheGuard.Testing.Redis;
using Microsoft.Extensions.Logging;
using StackExchange.Redis;
using StackExchange.Redis.KeyspaceIsolation;
using Xunit.Abstractions;

namespace CacheGuard.Runtime.Tests;

/// <summary>
/// Issue 15's eleven findings, each a reproduction against a real redis-server (node and cluster
/// where slots matter). Every test here failed on the runtime before issue 15 (checked with
/// -p:DefineConstants=OLD_RUNTIME against that code; see /work/notes/issue-15.md).
/// </summary>
public abstract class Issue15RegressionTests(IRedisTarget target, ITestOutputHelper output)
{
    // 1. A timed-out factory must not resurrect invalidated data (update path).
    [Fact]
    public async Task F01_TimedOutFactoryAfterAnInvalidation_DoesNotServeOrCacheTheOldValue()
    {
        // The 300 ms factory timeout is set on the call that must time out only: on the whole node it also held B's first
        // call, whose factory (started on the thread pool) a starved pool on a busy machine can start later than 300 ms.
        var nodes = await Nodes.StartAsync(target, 2);
        var timesOut = new CacheEntryOptions { Ttl = TimeSpan.FromMinutes(5), FactoryTimeout = TimeSpan.FromMilliseconds(300) };
        var key = Nodes.Key("f01");
        Assert.Equal("V1", (await nodes[1].GetOrSetAsync(key, ct => Task.FromResult("V1"), TimeSpan.FromMinutes(5))).ToString()); // B served V1
        Assert.True((await nodes[0].InvalidateAsync(key)).Succeeded); // A committed V2 and invalidated

        await Assert.ThrowsAsync<CacheFactoryTimeoutException>(() => nodes[1].GetOrSetAsync<string>(key, async ct =>
        {
            await Task.Delay(Timeout.Infinite, ct);
            return "never";
        }, timesOut)).Within();
        Assert.True((await nodes[0].TryGetAsync<string>(key)).IsMiss, "the old value came back after the invalidation");
    }

    // 1b. The same on the create path: the negative entry must not come back.
    [Fact]
    public async Task F01b_TimedOutFactoryAfterACreate_DoesNotBringTheNegativeEntryBack()
    {
        var nodes = await Nodes.StartAsync(target, 2); // as in F01: the 300 ms factory timeout only where it must fire
        var timesOut = new CacheEntryOptions { Ttl = TimeSpan.FromMinutes(5), FactoryTimeout = TimeSpan.FromMilliseconds(300) };
        var key = Nodes.Key("f01b");
        Assert.Null(await nodes[1].GetOrSetAsync(key, ct => Task.FromResult<Post?>(null), TimeSpan.FromMinutes(5)));
        Assert.True((await nodes[0].InvalidateAsync(key)).Succeeded); // the row was created

        await Assert.ThrowsAsync<CacheFactoryTimeoutException>(() => nodes[1].GetOrSetAsync<Post?>(key, async ct =>
        {
            await Task.Delay(Timeout.Infinite, ct);
            return new Post(1, "never");
        }, timesOut)).Within();
        Assert.Equal(CacheLookupStatus.Miss, (await nodes[0].TryGetAsync<Post>(key)).Status);
    }

    // 2. Tenants must not share data through WithKeyPrefix.
    [Fact]
    public async Task F02_PrefixedDatabases_DoNotShareFlightsOrEntries()
    {
        var nodes = await Nodes.StartAsync(target, 1);
        var run = Guid.NewGuid().ToString("N");
        var tenantA = nodes[0].WithKeyPrefix($"a:{run}:");
        var tenantB = nodes[0].WithKeyPrefix($"b:{run}:");
        var started = new TaskCompletionSource(TaskCreationOptions.RunContinuationsAsynchronously);
        var gate = new Gate();
        var a = tenantA.GetOrSetAsync("user:1", async ct => { started.TrySetResult(); await gate.WaitAsync(ct); return "A"; }, TimeSpan.FromMinutes(5));
        await started.Task.Within();
        var bRuns = 0;
        var b = await tenantB.GetOrSetAsync("user:1", ct => { Interlocked.Increment(ref bRuns); return Task.FromResult("B"); }, TimeSpan.FromMinutes(5)).Within();
        Assert.Equal("B", b);
        Assert.Equal(1, bRuns);
        gate.Open();
        Assert.Equal("A", await a.Within());
        Assert.Equal("A", await tenantA.GetOrSetAsync("user:1", ct => Task.FromResult("A again"), TimeSpan.FromMinutes(5)));
        Assert.Equal("B", await tenantB.GetOrSetAsync("user:1", ct => Task.FromResult("B again"), TimeSpan.FromMinutes(5)));
        // Stored at the key Redis sees, readable raw.
        Assert.Equal("A", (string?)await nodes[0].StringGetAsync($"a:{run}:user:1")); // strings raw (DECISIONS.md, fixes 14:25)
        Assert.True((await tenantA.InvalidateAsync("user:1")).Succeeded);
        Assert.True((await tenantA.TryGetAsync<string>("user:1")).IsMiss);
        Assert.Equal("B", (await tenantB.TryGetAsync<string>("user:1")).Value);
    }

    // 3. Exactly once across nodes with the default options, for a factory slower than the old 5 s WaitDeadline.
    [Fact]
    public async Task F03_SlowFactory_DefaultOptions_RunsExactlyOnceAcrossThreeNodes()
    {
#if OLD_RUNTIME
        var nodes = await Nodes.StartAsync(target, 3, o => o.WaitDeadline = TimeSpan.FromSeconds(5));
#else
        var nodes = await Nodes.StartAsync(target, 3, o => o.WaitDeadline = null);
#endif
        var key = Nodes.Key("f03");
        var runs = 0;
        async Task<string> Factory(CancellationToken ct)
        {
            Interlocked.Increment(ref runs);
            await Task.Delay(TimeSpan.FromSeconds(6), ct); // a slow query: longer than the old wait deadline
            return "v";
        }
        var results = await Task.WhenAll(nodes.Select(n => n.GetOrSetAsync(key, Factory, TimeSpan.FromMinutes(5)))).Within();
        Assert.All(results, r => Assert.Equal("v", r));
        output.WriteLine($"6 s factory, 3 nodes, default wait deadline: {runs} run(s)");
        Assert.Equal(1, runs);
    }

    // 4. A holder whose lease lapsed (paused past it) must not populate over the new leader's value.
    [Fact]
    public async Task F04_HolderWhoseLeaseLapsed_CannotPopulateOverTheNewLeader()
    {
        // The default lease TTL: the lapse is simulated below (the lease is deleted), so the TTL need not be short. A 1 s
        // lease, renewed every third of it, lapsed on its own when one renewal took longer than 2/3 s (a busy machine):
        // the holder's before the delete below, or the new leader's before its populate, which Redis then refused.
        var nodes = await Nodes.StartAsync(target, 2);
        var key = Nodes.Key("f04");
        var started = new TaskCompletionSource(TaskCreationOptions.RunContinuationsAsynchronously);
        var gate = new Gate();
        var holder = nodes[0].GetOrSetAsync(key, async ct => { started.TrySetResult(); await gate.WaitAsync(); return "old holder"; }, TimeSpan.FromMinutes(5));
        await started.Task.Within();
        // The holder is paused past its lease: the lease lapses (deleted here, as its expiry would).
        Assert.True(await nodes[1].KeyDeleteAsync(new EntryKeys(key).Lease));
        // A new leader takes the lease and is still loading when the old holder resumes, so only the
        // lease check (not the fence, which the new leader's populate would consume) can refuse it.
        var loading = new TaskCompletionSource(TaskCreationOptions.RunContinuationsAsynchronously);
        var leaderGate = new Gate();
        var leader = nodes[1].GetOrSetAsync(key, async ct => { loading.TrySetResult(); await leaderGate.WaitAsync(); return "new leader"; }, TimeSpan.FromMinutes(5));
        await loading.Task.Within();
        gate.Open(); // the old holder resumes
        Assert.Equal("old holder", await holder.Within());
        Assert.False(await nodes[1].KeyExistsAsync(key), "the old holder populated over the new leader's lease");
        leaderGate.Open();
        Assert.Equal("new leader", await leader.Within());
        Assert.Equal("new leader", (await nodes[1].TryGetAsync<string>(key)).Value);
    }

    // 8. WRONGTYPE is never read as a miss and the other type is never overwritten.
    [Fact]
    public async Task F08_KeyHoldingAHash_IsReportedAndNeverOverwritten()
    {
        var nodes = await Nodes.StartAsync(target, 1);
        var key = Nodes.Key("f08");
        await nodes[0].HashSetAsync(key, "field", "kept");
        await Assert.ThrowsAnyAsync<InvalidOperationException>(() => nodes[0].GetOrSetAsync(key, ct => Task.FromResult("string"), TimeSpan.FromMinutes(5))).Within();
        Assert.Equal(RedisType.Hash, await nodes[0].KeyTypeAsync(key));
        Assert.Equal("kept", (string?)await nodes[0].HashGetAsync(key, "field"));
#if !OLD_RUNTIME
        var ex = await Assert.ThrowsAsync<CacheKeyTypeException>(() => nodes[0].GetOrSetAsync(key, ct => Task.FromResult("string"), TimeSpan.FromMinutes(5)));
        Assert.Equal("hash", ex.RedisType);
        await Assert.ThrowsAsync<CacheKeyTypeException>(() => nodes[0].SetAsync(key, "string"));
        await Assert.ThrowsAsync<CacheKeyTypeException>(() => nodes[0].WriteBehindAsync(key, "string"));
        await Assert.ThrowsAsync<CacheKeyTypeException>(() => nodes[0].TryGetAsync<string>(key));
        Assert.True((await nodes[0].InvalidateAsync(key)).Succeeded);
        Assert.Equal("kept", (string?)await nodes[0].HashGetAsync(key, "field"));
#endif
    }

    // 9. FactoryTimeout holds for sync factories and async ones that block before their first await.
    [Fact]
    public async Task F09_BlockingFactories_AreHeldToTheFactoryTimeout()
    {
        var nodes = await Nodes.StartAsync(target, 1, o => o.FactoryTimeout = TimeSpan.FromMilliseconds(250));
        using var release = new ManualResetEventSlim();
        try
        {
            var sync = Task.Run(() => nodes[0].GetOrSet(Nodes.Key("f09-sync"), ct => { release.Wait(); return 1; }, TimeSpan.FromMinutes(1)));
            // Failure bounds only (Bounded.Timeout): each blocked factory holds a pool thread, so on a busy 2-core machine the
            // timeout's continuation may wait for the pool to grow.
            await Assert.ThrowsAsync<CacheFactoryTimeoutException>(() => sync.Within());
            var blocking = nodes[0].GetOrSetAsync(Nodes.Key("f09-async"), ct => { release.Wait(); return Task.FromResult(2); }, TimeSpan.FromMinutes(1));
            await Assert.ThrowsAsync<CacheFactoryTimeoutException>(() => blocking.Within());
        }
        finally
        {
            release.Set();
        }
    }

    // 5a. The outbox keeps one key's order when an earlier write fails once.
    [Fact]
    public async Task F05_OutboxWriteThatFailsOnce_DoesNotLetALaterWriteOfItsKeyOvertakeIt()
    {
        var nodes = await Nodes.StartAsync(target, 1);
        var key = Nodes.Key("f05");
        await nodes[0].WriteBehindAsync(key, new Post(1, "rev1"));
        await nodes[0].WriteBehindAsync(key, new Post(2, "rev2"));
        var writer = new RecordingWriter(key) { FailFirstOf = 1 };
        var replayer = new OutboxReplayer(nodes[0].Multiplexer, writer, FastOutbox("f05"));
        await Bounded.UntilAsync(async () => { await replayer.ReplayOnceAsync(); return writer.Applied.Count(p => p.Id == 1) == 1 && writer.Applied.Any(p => p.Id == 2); }, "both revisions applied");
        Assert.Equal(new[] { 1, 2 }, writer.Applied.Select(p => p.Id).ToArray());
        Assert.Equal("rev2", writer.Row!.Title);
    }

    // 5b. Two replayers never apply one key's entries concurrently.
    [Fact]
    public async Task F05b_TwoReplayers_NeverApplyOneKeysEntriesConcurrently()
    {
        var nodes = await Nodes.StartAsync(target, 1);
        var key = Nodes.Key("f05b");
        await nodes[0].WriteBehindAsync(key, new Post(1, "rev1"));
        await nodes[0].WriteBehindAsync(key, new Post(2, "rev2"));
        var gate = new Gate();
        var first = new RecordingWriter(key) { BlockOn = 1, Gate = gate };
        var second = new RecordingWriter(key);
        var options = FastOutbox("f05b");
        options.BatchSize = 1;
        options.ClaimIdle = TimeSpan.FromSeconds(30);
        var a = new OutboxReplayer(nodes[0].Multiplexer, first, options).ReplayOnceAsync();
        await first.Blocked.Task.Within();
        await new OutboxReplayer(nodes[0].Multiplexer, second, options).ReplayOnceAsync().Within();
        Assert.Empty(second.Applied); // rev1 is still being applied by the first replayer
        gate.Open();
        await a.Within();
    }

    // 11d. WriteBehindAsync returns the outbox entry id, as documented.
    [Fact]
    public async Task F11d_WriteBehindAsync_ReturnsTheOutboxEntryId()
    {
        var nodes = await Nodes.StartAsync(target, 1);
        var key = Nodes.Key("f11d");
        var id = await nodes[0].WriteBehindAsync(key, new Post(1, "x"));
        Assert.Matches("^[0-9]+-[0-9]+$", id);
        var writer = new RecordingWriter(key);
        var replayer = new OutboxReplayer(nodes[0].Multiplexer, writer, FastOutbox("f11d"));
        await Bounded.UntilAsync(async () => { await replayer.ReplayOnceAsync(); return writer.Entries.Count == 1; }, "the entry applied");
        Assert.Equal(id, writer.Entries.Single().EntryId);
        Assert.Equal(OutboxStreams.DefaultIdempotencyKey(OutboxStreams.ForTag(new EntryKeys(key).Tag), id), writer.Entries.Single().IdempotencyKey);
    }

#if !OLD_RUNTIME
    // Wire format (a): the value at the key stays the serializer's plain bytes; a fresh hit is one GET.
    [Fact]
    public async Task WireFormat_ValueIsPlainSerializerBytes_WithTheFreshTtl_MetadataInSameSlotSiblings()
    {
        var nodes = await Nodes.StartAsync(target, 1);
        var key = Nodes.Key("wire");
        await nodes[0].GetOrSetAsync(key, ct => Task.FromResult(new Post(7, "plain")), new CacheEntryOptions { Ttl = TimeSpan.FromMinutes(5), StaleWindow = TimeSpan.FromMinutes(1) });
        var raw = (byte[])(await nodes[0].StringGetAsync(key))!;
        Assert.Equal(SystemTextJsonCacheSerializer.Default.Serialize(new Post(7, "plain")), raw);
        Assert.InRange((await nodes[0].KeyTimeToLiveAsync(key))!.Value, TimeSpan.FromMinutes(4), TimeSpan.FromMinutes(5.6));
        var keys = new EntryKeys(key);
        Assert.Equal(GetOrSetTests.StaleCopy(TimeSpan.FromMinutes(1), new Post(7, "plain")), (byte[])(await nodes[0].StringGetAsync(keys.Stale))!);
        Assert.False(await nodes[0].KeyExistsAsync(keys.Lease));
        Assert.False(await nodes[0].KeyExistsAsync(keys.Fence)); // removed with the lease by the populate
    }

    // Soft timeout: with a stale copy, the caller waits at most the soft timeout, then gets the stale value.
    [Fact]
    public async Task SoftTimeout_AnswersStale_RefreshFinishesInTheBackgroundAndPopulates()
    {
        var nodes = await Nodes.StartAsync(target, 1);
        var key = Nodes.Key("soft");
        await nodes[0].StringSetAsync(new EntryKeys(key).Stale, GetOrSetTests.StaleCopy(TimeSpan.FromMinutes(2.5), new Post(0, "stale")), TimeSpan.FromMinutes(1)); // inside its 2.5 min stale window
        var gate = new Gate();
        var options = new CacheEntryOptions { Ttl = TimeSpan.FromMinutes(5), FactorySoftTimeout = TimeSpan.FromMilliseconds(200) };
        var answer = await nodes[0].GetOrSetAsync(key, async ct => { await gate.WaitAsync(ct); return new Post(1, "fresh"); }, options).Within();
        Assert.Equal("stale", answer.Title);
        gate.Open();
        await Bounded.UntilAsync(async () => (await nodes[0].TryGetAsync<Post>(key)) is { IsHit: true, IsStale: false }, "the background refresh populated");
        Assert.Equal("fresh", (await nodes[0].TryGetAsync<Post>(key)).Value!.Title);
    }

#endif

    internal static OutboxOptions FastOutbox(string name) => new()
    {
        ConsumerGroup = "g-" + name + "-" + Guid.NewGuid().ToString("N"),
        // The TTL of a pass's lease on a stream, renewed every third of it; no test here takes a stream over from a dead
        // replayer, and every pass releases its lease. 300 ms lapsed on a stall past 200 ms (a busy machine): the
        // renewal then found the lease gone and the pass stopped before applying, failing the one-pass counts (F06, F11b).
        ClaimIdle = TimeSpan.FromSeconds(5),
        PollInterval = TimeSpan.FromMilliseconds(20),
    };

    /// <summary>A "database" for one key: records applies in order; can fail or block on chosen revisions.</summary>
    internal sealed class RecordingWriter(string key) : IOutboxWriter
    {
        public readonly ConcurrentQueue<Post> Applied = new();
        public readonly ConcurrentQueue<OutboxEntry> Entries = new();
        public Post? Row;
        public int FailFirstOf = -1;
        public int BlockOn = -1;
        public Gate? Gate;
        public readonly TaskCompletionSource Blocked = new(TaskCreationOptions.RunContinuationsAsynchronously);
        private int _failed;

        public async Task ApplyAsync(OutboxEntry entry, CancellationToken cancellationToken)
        {
            if (entry.Key != key) return; // another test's entries: applied elsewhere
            var post = entry.Deserialize<Post>()!;
            if (post.Id == FailFirstOf && Interlocked.Exchange(ref _failed, 1) == 0)
                throw new InvalidOperationException("deadlock victim");
            if (post.Id == BlockOn && Gate is not null)
            {
                Blocked.TrySetResult();
                await Gate.WaitAsync(cancellationToken);
            }
            Row = post;
            Applied.Enqueue(post);
            Entries.Enqueue(entry);
        }
    }
}

[Collection(RedisNodeCollection.Name)]
public sealed class Issue15OnNodeTests(RedisNodeFixture fixture, ITestOutputHelper output) : Issue15RegressionTests(new NodeTarget(fixture), output);

[Collection(RedisClusterCollection.Name)]
public sealed class Issue15OnClusterTests(RedisClusterFixture fixture, ITestOutputHelper output) : Issue15RegressionTests(new ClusterTarget(fixture), output);

/// <summary>The findings that need their own redis-server (outages, data loss, FLUSHALL).</summary>
public sealed class Issue15OwnServerTests(ITestOutputHelper output)
{
    // 2b. During an outage tenant B never gets tenant A's fail-safe value.
    [Fact]
    public async Task F02b_Outage_PrefixedTenantsDoNotShareTheFailSafe()
    {
        await using var own = await FaultNode.StartAsync();
        var (server, mux, db) = own;
        var a = db.WithKeyPrefix("tenant-a:");
        var b = db.WithKeyPrefix("tenant-b:");
        Assert.Equal("A", await a.GetOrSetAsync("profile", ct => Task.FromResult("A"), TimeSpan.FromMinutes(5)));
        server.Kill();
        Assert.Equal("B", await b.GetOrSetAsync("profile", ct => Task.FromResult("B"), TimeSpan.FromMinutes(5)).Within());
        Assert.Equal("A", await a.GetOrSetAsync("profile", ct => Task.FromResult("A from the factory"), TimeSpan.FromMinutes(5)).Within());
    }

    // 7. The fence survives data loss: Redis restarts empty between the load and the populate.
    [Fact]
    public async Task F07_RedisRestartedEmptyBeforeThePopulate_TheOldValueIsNotCached()
    {
        // As in F10: the invalidation must succeed and the final TryGet (which throws on a Redis failure) must be answered,
        // so a generous command timeout; the kill still fails at once (BacklogPolicy.FailFast).
        await using var own = await FaultNode.StartAsync(timeoutMs: 10_000);
        var (server, mux, db) = own;
        var key = Nodes.Key("f07");
        var loaded = new TaskCompletionSource(TaskCreationOptions.RunContinuationsAsynchronously);
        var gate = new Gate();
        var r1 = db.GetOrSetAsync(key, async ct => { loaded.TrySetResult(); await gate.WaitAsync(); return "V1"; }, TimeSpan.FromMinutes(5));
        await loaded.Task.Within();                          // R1 loaded V1
        Assert.True((await db.InvalidateAsync(key)).Succeeded); // W1 committed V2 and invalidated
        await own.KillAndRestartEmptyAsync();                 // empty: persistence is off
        gate.Open();                                          // R1 populates now
        await r1.Within();
        Assert.True((await db.TryGetAsync<string>(key)).IsMiss, "V1 was cached after the invalidation");
    }

    // 10a. The fail-safe life is fixed when the generation is first seen, not reset on every hit.
    [Fact]
    public async Task F10_FailSafeLife_IsNotExtendedByHits()
    {
        // A generous command timeout: the hits below must be answered by Redis. With the fault tests' 1 s, a machine
        // stalled past it (CI on 2 cores) turned a hit into a fallback, and after the 1 s life the fallback runs the
        // factory. The kill still fails at once: the connection fails fast (BacklogPolicy.FailFast).
        await using var own = await FaultNode.StartAsync(timeoutMs: 10_000);
        var (server, mux, db) = own;
        var life = TimeSpan.FromSeconds(1);
        var options = new CacheEntryOptions { Ttl = life, StaleWindow = TimeSpan.Zero };
        string key;
        var attempts = 0;
        do
        {
            // Another writer keeps the entry alive in Redis. It must do so within the entry's 1 s life: a machine
            // stalled past it (the key already gone) repeats the setup on a new key rather than testing nothing.
            key = Nodes.Key("f10");
            Assert.Equal("cached", await db.GetOrSetAsync(key, ct => Task.FromResult("cached"), options));
        } while (!await PersistAsync(db, key, key) && ++attempts < 5);
        Assert.True(attempts < 5, "the entry outlived the setup in 5 attempts");
        var sw = System.Diagnostics.Stopwatch.StartNew();
        var hits = 0;
        while (sw.Elapsed < life * 1.5) // hit it past the life of what this process first saw
        {
            Assert.Equal("cached", await db.GetOrSetAsync(key, ct => Task.FromResult("factory"), options));
            hits++;
        }
        server.Kill();
        Assert.Equal("factory", await db.GetOrSetAsync(key, ct => Task.FromResult("factory"), options).Within());
        output.WriteLine($"{hits} hits over {sw.Elapsed.TotalSeconds:F1} s did not extend a {life.TotalSeconds} s fail-safe life");
    }

    // 10b. A negative keeps its own short fail-safe bound, also not extended by hits.
    [Fact]
    public async Task F10b_NegativeFailSafe_KeepsItsOwnShortBound()
    {
        await using var own = await FaultNode.StartAsync(timeoutMs: 10_000); // as in F10
        var (server, mux, db) = own;
        var options = new CacheEntryOptions { Ttl = TimeSpan.FromMinutes(10), NegativeTtl = TimeSpan.FromSeconds(1) };
        string key;
        var attempts = 0;
        do
        {
            // As in F10: the negative is kept alive within its 1 s life, or the setup is repeated on a new key.
            key = Nodes.Key("f10b");
            Assert.Null(await db.GetOrSetAsync(key, ct => Task.FromResult<Post?>(null), options));
        }
#if OLD_RUNTIME
        while (!await PersistAsync(db, key, key) && ++attempts < 5);
#else
        while (!await PersistAsync(db, key, new EntryKeys(key).Negative) && ++attempts < 5);
#endif
        Assert.True(attempts < 5, "the negative outlived the setup in 5 attempts");
        var sw = System.Diagnostics.Stopwatch.StartNew();
        while (sw.Elapsed < TimeSpan.FromSeconds(1.5))
            Assert.Null(await db.GetOrSetAsync(key, ct => Task.FromResult<Post?>(new Post(1, "created")), options));
        server.Kill();
        Assert.Equal("created", (await db.GetOrSetAsync(key, ct => Task.FromResult<Post?>(new Post(1, "created")), options).Within())?.Title);
    }

    /// <summary>Removes the expiry of the entry's keys (value and sibling); true when <paramref name="mustExist"/> was still there.</summary>
    private static async Task<bool> PersistAsync(IDatabase db, string key, RedisKey mustExist)
    {
#if OLD_RUNTIME
        var keys = new RedisKey[] { key };
#else
        var keys = new RedisKey[] { key, new EntryKeys(key).Negative };
#endif
        foreach (var k in keys)
            await db.KeyPersistAsync(k);
        return await db.KeyExistsAsync(mustExist) && await db.KeyTimeToLiveAsync(mustExist) is null;
    }

    public sealed class Mutable
    {
        public string Title { get; set; } = "";
    }

    // 10c. Fail-safe callers never share one mutable instance.
    [Fact]
    public async Task F10c_FailSafeAnswers_AreNotOneSharedMutableInstance()
    {
        await using var own = await FaultNode.StartAsync();
        var (server, mux, db) = own;
        var key = Nodes.Key("f10c");
        await db.GetOrSetAsync(key, ct => Task.FromResult(new Mutable { Title = "original" }), TimeSpan.FromMinutes(5));
        server.Kill();
        var first = await db.GetOrSetAsync(key, ct => Task.FromResult(new Mutable { Title = "factory" }), TimeSpan.FromMinutes(5)).Within();
        var second = await db.GetOrSetAsync(key, ct => Task.FromResult(new Mutable { Title = "factory" }), TimeSpan.FromMinutes(5)).Within();
        Assert.Equal("original", first.Title);
        Assert.NotSame(first, second);
        first.Title = "mutated by caller 1";
        Assert.Equal("original", second.Title);
    }

    // 11a. An abandoned factory is observed and logged when it finally ends.
    [Fact]
    public async Task F11a_AbandonedFactory_IsObservedAndLoggedWhenItEnds()
    {
        var events = new ConcurrentQueue<EventId>();
        using var loggerFactory = LoggerFactory.Create(b => b.AddProvider(new EventCapture(events)).SetMinimumLevel(LogLevel.Debug));
        await using var own = await FaultNode.StartAsync(o => { o.FactoryTimeout = TimeSpan.FromMilliseconds(200); o.LoggerFactory = loggerFactory; });
        var (server, mux, db) = own;
        var gate = new Gate();
        await Assert.ThrowsAsync<CacheFactoryTimeoutException>(() => db.GetOrSetAsync<string>(Nodes.Key("f11a"), async ct =>
        {
            await gate.WaitAsync(); // ignores its token: keeps "hitting the database"
            throw new InvalidDataException("late failure");
        }, TimeSpan.FromMinutes(1))).Within();
        Assert.DoesNotContain(events, e => e.Id == 1010);
        gate.Open();
        await Bounded.UntilAsync(() => Task.FromResult(events.Any(e => e.Id == 1010)), "the abandoned factory's end is logged");
    }

    // 6. Acknowledged write-behinds survive the loss of the registry key.
    [Fact]
    public async Task F06_RegistryLost_LaterWriteBehindsAreStillReplayed()
    {
        await using var own = await FaultNode.StartAsync(timeoutMs: 10_000); // its own server, nothing killed: no short timeout
        var (server, mux, db) = own;
        var applied = new ConcurrentQueue<string>();
        var writer = new DelegateWriter(e => applied.Enqueue(e.Key));
        var replayer = new OutboxReplayer(mux, writer, Issue15RegressionTests.FastOutbox("f06"));
        await db.WriteBehindAsync("k0", "v0");
        Assert.Equal(1, await replayer.ReplayOnceAsync());
        await db.ExecuteAsync("FLUSHALL");
        await db.WriteBehindAsync("k1", "v1");
        await db.WriteBehindAsync("k2", "v2");
        Assert.Equal(2, await replayer.ReplayOnceAsync());
        Assert.Equal(0, replayer.Lag);

        await db.ExecuteAsync("FLUSHALL");
        await db.WriteBehindAsync("k3", "v3");
        await db.KeyDeleteAsync("cg:outbox:streams"); // the registry alone is lost (e.g. a failover that missed it)
        var fresh = new OutboxReplayer(mux, writer, Issue15RegressionTests.FastOutbox("f06-fresh"));
        Assert.Equal(1, await fresh.ReplayOnceAsync());
        Assert.Equal(new[] { "k0", "k1", "k2", "k3" }, applied.Order().ToArray()); // different keys: any order
    }

    // 11b. One failing stream does not abort the replayer's pass.
    [Fact]
    public async Task F11b_OneBrokenStream_DoesNotStopTheOthers()
    {
        await using var own = await FaultNode.StartAsync(timeoutMs: 10_000); // its own server, nothing killed: no short timeout
        var (server, mux, db) = own;
        await db.StringSetAsync("{bogus}:cg:outbox", "not a stream");
        await db.SetAddAsync("cg:outbox:streams", "{bogus}:cg:outbox");
        await db.WriteBehindAsync("good", "v");
        await db.SetAddAsync("cg:outbox:streams", "{bogus2}:cg:outbox");
        await db.StringSetAsync("{bogus2}:cg:outbox", "not a stream either");
        var applied = new ConcurrentQueue<string>();
        var replayer = new OutboxReplayer(mux, new DelegateWriter(e => applied.Enqueue(e.Key)), Issue15RegressionTests.FastOutbox("f11b"));
        var n = await replayer.ReplayOnceAsync();
        Assert.Equal(1, n);
        Assert.Equal(new[] { "good" }, applied.ToArray());
    }

    // 11c. A poison entry moves to the dead-letter stream after N attempts, with a metric; later writes of its key go on.
    [Fact]
    public async Task F11c_PoisonEntry_MovesToDeadLetterAfterMaxAttempts_WithAMetric()
    {
        await using var own = await FaultNode.StartAsync(timeoutMs: 10_000); // its own server, nothing killed: no short timeout
        var (server, mux, db) = own;
        long deadLettered = 0;
        using var listener = new MeterListener();
        listener.InstrumentPublished = (i, l) => { if (i.Meter.Name == CacheGuardTelemetry.Name && i.Name == "cacheguard.outbox.dead_lettered") l.EnableMeasurementEvents(i); };
        listener.SetMeasurementEventCallback<long>((_, v, _, _) => Interlocked.Add(ref deadLettered, v));
        listener.Start();

        await db.WriteBehindAsync("poison", new Post(1, "poison"));
        await db.WriteBehindAsync("poison", new Post(2, "fine"));
        var applied = new ConcurrentQueue<int>();
        var writer = new DelegateWriter(e =>
        {
            var p = e.Deserialize<Post>()!;
            if (p.Title == "poison") throw new FormatException("the database rejects it");
            applied.Enqueue(p.Id);
        });
        var options = Issue15RegressionTests.FastOutbox("f11c");
#if !OLD_RUNTIME
        options.MaxAttempts = 3;
#endif
        var replayer = new OutboxReplayer(mux, writer, options);
        for (var i = 0; i < 5; i++)
            await replayer.ReplayOnceAsync();
        var dead = await db.StreamRangeAsync(OutboxStreams.ForTag(new EntryKeys("poison").Tag) + ":dead");
        Assert.Single(dead);
        Assert.Equal("poison", (string?)dead[0]["k"]);
        Assert.Equal(new[] { 2 }, applied.ToArray());
        Assert.Equal(0, replayer.Lag);
        Assert.True(Interlocked.Read(ref deadLettered) >= 1);
    }

    // Hit path: a fresh hit is one plain GET (no script), counted by the server itself.
    [Fact]
    public async Task FreshHit_IsOnePlainGet_NoScript()
    {
        await using var own = await FaultNode.StartAsync(timeoutMs: 10_000); // its own server, nothing killed: no short timeout
        var (server, mux, db) = own;
        var key = Nodes.Key("hit");
        await db.GetOrSetAsync(key, ct => Task.FromResult(new Post(1, "x")), TimeSpan.FromMinutes(5));
        await db.ExecuteAsync("CONFIG", "RESETSTAT");
        for (var i = 0; i < 100; i++)
            Assert.Equal(1, (await db.GetOrSetAsync(key, ct => Task.FromResult(new Post(2, "y")), TimeSpan.FromMinutes(5))).Id);
        var stats = (string)(await db.ExecuteAsync("INFO", "commandstats"))!;
        output.WriteLine(stats);
        Assert.Contains("cmdstat_get:calls=100,", stats);
        Assert.DoesNotContain("cmdstat_evalsha", stats);
        Assert.DoesNotContain("cmdstat_eval:", stats);
    }

    private sealed class DelegateWriter(Action<OutboxEntry> apply) : IOutboxWriter
    {
        public Task ApplyAsync(OutboxEntry entry, CancellationToken cancellationToken) { apply(entry); return Task.CompletedTask; }
    }
}
