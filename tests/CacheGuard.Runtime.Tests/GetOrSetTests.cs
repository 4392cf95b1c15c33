using System.Collections.Concurrent;
using StackExchange.Redis;
using Xunit.Abstractions;

namespace CacheGuard.Runtime.Tests;

/// <summary>Issue 3's behaviour, run against a single node and against the local cluster.</summary>
public abstract class GetOrSetTests(IRedisTarget target, ITestOutputHelper output)
{
    /// <summary>A stale copy as the populate writes it: "&lt;stale window ms&gt;|&lt;serializer bytes&gt;".</summary>
    internal static byte[] StaleCopy<T>(TimeSpan staleWindow, T value) =>
        System.Text.Encoding.ASCII.GetBytes((long)staleWindow.TotalMilliseconds + "|").Concat(SystemTextJsonCacheSerializer.Default.Serialize(value)).ToArray();

    [Fact]
    public async Task ColdKey_1000CallersOver4Connections_FactoryRunsExactlyOnce_AllGetTheSameValue()
    {
        var nodes = await Nodes.StartAsync(target, 4);
        var key = Nodes.Key("cold");
        var runs = 0;
        var gate = new Gate();
        var factoryStarted = new TaskCompletionSource(TaskCreationOptions.RunContinuationsAsynchronously);

        async Task<Post> Factory(CancellationToken ct)
        {
            var n = Interlocked.Increment(ref runs);
            factoryStarted.TrySetResult();
            await gate.WaitAsync(ct); // slow factory: runs until the test lets it finish
            return new Post(n, "value-" + n);
        }

        var callers = Enumerable.Range(0, 1000)
            .Select(i => Task.Run(() => nodes[i % 4].GetOrSetAsync(key, Factory, TimeSpan.FromMinutes(5))))
            .ToArray();
        await factoryStarted.Task.Within();
        gate.Open();
        var results = await Task.WhenAll(callers).Within();

        Assert.Equal(1, runs);
        Assert.All(results, r => Assert.Equal(new Post(1, "value-1"), r));
        Assert.Equal(0, CacheEngine.For(nodes[0]).Flights.Count);
    }

    [Fact]
    public async Task HotKey_AcrossExpiriesUnderContinuousLoad_OneFactoryRunPerExpiry()
    {
        var nodes = await Nodes.StartAsync(target, 4);
        var key = Nodes.Key("hot");
        var runs = 0;
        var produced = new ConcurrentDictionary<int, byte>();
        var options = new CacheEntryOptions { Ttl = TimeSpan.FromMinutes(5), StaleWindow = TimeSpan.Zero };

        async Task<Post> Factory(CancellationToken ct)
        {
            var n = Interlocked.Increment(ref runs);
            await Task.Delay(50, ct); // a slow database query
            produced[n] = 0;
            return new Post(n, "v");
        }

        using var stop = new CancellationTokenSource();
        var seen = new ConcurrentBag<int>();
        var load = Enumerable.Range(0, 16).Select(w => Task.Run(async () =>
        {
            while (!stop.IsCancellationRequested)
                seen.Add((await nodes[w % 4].GetOrSetAsync(key, Factory, options)).Id);
        })).ToArray();

        const int expiries = 5;
        for (var i = 1; i <= expiries; i++)
        {
            var expected = i;
            await Bounded.UntilAsync(async () => (await nodes[0].TryGetAsync<Post>(key)).Value?.Id == expected, $"run {expected} populated");
            await nodes[0].KeyDeleteAsync(key); // the entry expires while every worker keeps reading it
        }
        await Bounded.UntilAsync(async () => (await nodes[0].TryGetAsync<Post>(key)).IsHit, "the last run populated");
        stop.Cancel();
        await Task.WhenAll(load).Within();

        Assert.Equal(expiries + 1, runs);
        Assert.All(seen, id => Assert.True(produced.ContainsKey(id)));
    }

    [Fact]
    public async Task StaleWindow_EveryCallerAnsweredAtOnce_OneBackgroundRefresh()
    {
        var nodes = await Nodes.StartAsync(target, 4);
        var key = Nodes.Key("stale");
        var options = new CacheEntryOptions { Ttl = TimeSpan.FromMinutes(1), StaleWindow = TimeSpan.FromMinutes(10) };
        // An entry whose fresh window has passed: the key has expired, its stale copy still lives.
        await nodes[0].StringSetAsync(new EntryKeys(key).Stale, StaleCopy(TimeSpan.FromMinutes(10), new Post(0, "old")), TimeSpan.FromMinutes(5));

        var runs = 0;
        var gate = new Gate();
        var refreshStarted = new TaskCompletionSource(TaskCreationOptions.RunContinuationsAsynchronously);
        async Task<Post> Factory(CancellationToken ct)
        {
            Interlocked.Increment(ref runs);
            refreshStarted.TrySetResult();
            await gate.WaitAsync(ct);
            return new Post(1, "new");
        }

        var results = await Task.WhenAll(Enumerable.Range(0, 200)
            .Select(i => Task.Run(() => nodes[i % 4].GetOrSetAsync(key, Factory, options)))).Within();

        // Every caller got the stale value while the refresh is still blocked: nobody waited for it.
        Assert.All(results, r => Assert.Equal("old", r.Title));
        await refreshStarted.Task.Within();
        gate.Open();
        await Bounded.UntilAsync(async () => (await nodes[1].TryGetAsync<Post>(key)) is { IsHit: true, IsStale: false }, "the refresh populated");
        Assert.Equal("new", (await nodes[2].GetOrSetAsync(key, Factory, options)).Title);
        Assert.Equal(1, runs);
    }

    [Fact]
    public async Task LeaseHolderConnectionClosedMidFactory_AnotherNodeTakesOver_NobodyWaitsForever()
    {
        var nodes = await Nodes.StartAsync(target, 2, o =>
        {
            // Short, so the takeover comes soon; but the live holder must keep it until its node dies (the check below),
            // and at 1 s one renewal later than 2/3 s (a busy machine) let it lapse first. 3 s leaves 2 s.
            o.LeaseTtl = TimeSpan.FromSeconds(3);
            o.WaitDeadline = TimeSpan.FromSeconds(60); // the takeover must come from the lease expiring, not the deadline
            o.OnWaitDeadline = WaitDeadlineBehavior.Throw;
        });
        var key = Nodes.Key("takeover");
        var holderStarted = new TaskCompletionSource(TaskCreationOptions.RunContinuationsAsynchronously);
        var never = new Gate();
        var holder = nodes[0].GetOrSetAsync(key, async ct =>
        {
            holderStarted.TrySetResult();
            await never.WaitAsync(ct);
            return new Post(0, "holder");
        }, TimeSpan.FromMinutes(5));
        await holderStarted.Task.Within();
        Assert.True(await nodes[1].KeyExistsAsync(new EntryKeys(key).Lease));

        var waiter = nodes[1].GetOrSetAsync(key, ct => Task.FromResult(new Post(1, "taker")), TimeSpan.FromMinutes(5));
        var died = System.Diagnostics.Stopwatch.StartNew();
        await nodes[0].Multiplexer.CloseAsync(allowCommandsToComplete: false); // the holder's node dies

        Assert.Equal("taker", (await waiter.Within()).Title);
        output.WriteLine($"holder's connection closed; the waiter took over after {died.Elapsed.TotalSeconds:F2} s (lease TTL 3 s), 0 errors");
        Assert.Equal("taker", (await nodes[1].TryGetAsync<Post>(key)).Value!.Title);
        never.Open();
        await Task.WhenAny(holder, Task.Delay(Bounded.Timeout)); // the dead node's caller ends however it ends
    }

    [Fact]
    public async Task LostPubSubMessages_WaitersStillFinishByPolling()
    {
        var nodes = await Nodes.StartAsync(target, 3, o => o.Hooks.DropWakeUp = () => true);
        var key = Nodes.Key("lost");
        var started = new TaskCompletionSource(TaskCreationOptions.RunContinuationsAsynchronously);
        var gate = new Gate();
        var runs = 0;
        async Task<Post> Factory(CancellationToken ct)
        {
            Interlocked.Increment(ref runs);
            started.TrySetResult();
            await gate.WaitAsync(ct);
            return new Post(7, "polled");
        }

        var leader = nodes[0].GetOrSetAsync(key, Factory, TimeSpan.FromMinutes(5));
        await started.Task.Within();
        var waiters = new[] { nodes[1].GetOrSetAsync(key, Factory, TimeSpan.FromMinutes(5)), nodes[2].GetOrSetAsync(key, Factory, TimeSpan.FromMinutes(5)) };
        gate.Open();

        Assert.All(await Task.WhenAll(waiters.Append(leader)).Within(), p => Assert.Equal("polled", p.Title));
        Assert.Equal(1, runs);
    }

    [Fact]
    public async Task OneCallerCancels_OthersStillGetTheValue_FactoryNotCancelled()
    {
        var nodes = await Nodes.StartAsync(target, 1);
        var key = Nodes.Key("cancel-one");
        var gate = new Gate();
        var started = new TaskCompletionSource(TaskCreationOptions.RunContinuationsAsynchronously);
        var factoryCancelled = false;
        async Task<Post> Factory(CancellationToken ct)
        {
            started.TrySetResult();
            await gate.WaitAsync();
            factoryCancelled = ct.IsCancellationRequested;
            return new Post(1, "v");
        }
        using var cts = new CancellationTokenSource();
        var cancelled = nodes[0].GetOrSetAsync(key, Factory, TimeSpan.FromMinutes(1), cts.Token);
        var others = Enumerable.Range(0, 5).Select(_ => nodes[0].GetOrSetAsync(key, Factory, TimeSpan.FromMinutes(1))).ToArray();
        await started.Task.Within();
        await Bounded.UntilAsync(() => Task.FromResult(CacheEngine.For(nodes[0]).Flights.CallersOf(new FlightKey(nodes[0].Database, key, typeof(Post))) == 6), "all 6 callers joined the flight");

        cts.Cancel();
        await Assert.ThrowsAnyAsync<OperationCanceledException>(() => cancelled).Within();
        gate.Open();

        Assert.All(await Task.WhenAll(others).Within(), p => Assert.Equal("v", p.Title));
        Assert.False(factoryCancelled);
        Assert.Equal(0, CacheEngine.For(nodes[0]).Flights.Count);
    }

    [Fact]
    public async Task AllCallersCancel_FactoryIsCancelled_NothingCached_LeaseReleased()
    {
        var nodes = await Nodes.StartAsync(target, 1);
        var key = Nodes.Key("cancel-all");
        var started = new TaskCompletionSource(TaskCreationOptions.RunContinuationsAsynchronously);
        var factorySawCancel = new TaskCompletionSource(TaskCreationOptions.RunContinuationsAsynchronously);
        async Task<Post> Factory(CancellationToken ct)
        {
            ct.Register(() => factorySawCancel.TrySetResult());
            started.TrySetResult();
            await Task.Delay(Timeout.Infinite, ct);
            return new Post(0, "never");
        }
        var sources = Enumerable.Range(0, 3).Select(_ => new CancellationTokenSource()).ToArray();
        var calls = sources.Select(s => nodes[0].GetOrSetAsync(key, Factory, TimeSpan.FromMinutes(1), s.Token)).ToArray();
        await started.Task.Within();
        await Bounded.UntilAsync(() => Task.FromResult(CacheEngine.For(nodes[0]).Flights.CallersOf(new FlightKey(nodes[0].Database, key, typeof(Post))) == 3), "all 3 callers joined the flight");

        sources[0].Cancel();
        sources[1].Cancel();
        Assert.False(factorySawCancel.Task.IsCompleted); // one caller still wants the value
        sources[2].Cancel();

        await factorySawCancel.Task.Within();
        foreach (var c in calls)
            await Assert.ThrowsAnyAsync<OperationCanceledException>(() => c).Within();
        await Bounded.UntilAsync(async () => !await nodes[0].KeyExistsAsync(new EntryKeys(key).Lease), "the lease is released");
        Assert.False(await nodes[0].KeyExistsAsync(key));
        Assert.Equal(0, CacheEngine.For(nodes[0]).Flights.Count);
    }

    [Fact]
    public async Task FactoryThrows_EveryWaiterSeesItOnce_NothingCached_LeaseReleased()
    {
        var nodes = await Nodes.StartAsync(target, 1);
        var key = Nodes.Key("throws");
        var gate = new Gate();
        var runs = 0;
        async Task<Post> Factory(CancellationToken ct)
        {
            Interlocked.Increment(ref runs);
            await gate.WaitAsync(ct);
            throw new InvalidDataException("database said no");
        }
        var calls = Enumerable.Range(0, 20).Select(_ => nodes[0].GetOrSetAsync(key, Factory, TimeSpan.FromMinutes(1))).ToArray();
        // The flight starts on a miss: once all 20 missed and joined it, the factory may fail.
        await Bounded.UntilAsync(() => Task.FromResult(CacheEngine.For(nodes[0]).Flights.CallersOf(new FlightKey(nodes[0].Database, key, typeof(Post))) == 20), "all 20 callers joined the flight");
        gate.Open();

        foreach (var c in calls)
            Assert.Equal("database said no", (await Assert.ThrowsAsync<InvalidDataException>(() => c).Within()).Message);
        Assert.Equal(1, runs);
        Assert.False(await nodes[0].KeyExistsAsync(key));
        Assert.False(await nodes[0].KeyExistsAsync(new EntryKeys(key).Lease));

        // Nothing poisoned: the next call runs the factory again.
        Assert.Equal("ok", (await nodes[0].GetOrSetAsync(key, ct => Task.FromResult(new Post(1, "ok")), TimeSpan.FromMinutes(1))).Title);
    }

    [Fact]
    public async Task HungFactory_IsCancelledAtTheFactoryTimeout()
    {
        var nodes = await Nodes.StartAsync(target, 1, o => o.FactoryTimeout = TimeSpan.FromMilliseconds(200));
        var key = Nodes.Key("hung");
        var sawCancel = new TaskCompletionSource(TaskCreationOptions.RunContinuationsAsynchronously);
        var call = nodes[0].GetOrSetAsync<Post>(key, async ct =>
        {
            ct.Register(() => sawCancel.TrySetResult());
            await Task.Delay(Timeout.Infinite, CancellationToken.None).WaitAsync(ct);
            return new Post(0, "never");
        });
        await Assert.ThrowsAsync<CacheFactoryTimeoutException>(() => call).Within();
        await sawCancel.Task.Within();
        Assert.False(await nodes[0].KeyExistsAsync(new EntryKeys(key).Lease));
    }

    [Fact]
    public async Task WaitDeadline_FailFast_ThrowsWithoutRunningTheFactory()
    {
        var nodes = await Nodes.StartAsync(target, 1, o =>
        {
            o.WaitDeadline = TimeSpan.FromMilliseconds(200);
            o.OnWaitDeadline = WaitDeadlineBehavior.Throw;
        });
        var key = Nodes.Key("deadline");
        await using var foreign = await nodes[0].TryAcquireLeaseAsync(key, TimeSpan.FromMinutes(1)); // another node is "computing"
        Assert.NotNull(foreign);
        var runs = 0;
        await Assert.ThrowsAsync<CacheWaitTimeoutException>(() => nodes[0].GetOrSetAsync(key, ct => { runs++; return Task.FromResult(new Post(1, "x")); })).Within();
        Assert.Equal(0, runs);
        Assert.True(foreign!.IsHeld);
    }

    [Fact]
    public async Task WaitDeadline_RunLocally_AnswersFromTheFactory()
    {
        var nodes = await Nodes.StartAsync(target, 1, o => o.WaitDeadline = TimeSpan.FromMilliseconds(200));
        var key = Nodes.Key("deadline-local");
        await using var foreign = await nodes[0].TryAcquireLeaseAsync(key, TimeSpan.FromMinutes(1));
        Assert.Equal("local", (await nodes[0].GetOrSetAsync(key, ct => Task.FromResult(new Post(1, "local")))).Title);
    }

    [Fact]
    public async Task Lease_CompareAndDeleteRelease_NeverFreesAnotherHoldersLease_AndSignalsLoss()
    {
        var nodes = await Nodes.StartAsync(target, 2);
        var key = Nodes.Key("lease");
        var first = await nodes[0].TryAcquireLeaseAsync(key, TimeSpan.FromSeconds(30));
        Assert.NotNull(first);
        Assert.Null(await nodes[1].TryAcquireLeaseAsync(key, TimeSpan.FromSeconds(30)));

        // Someone steals it (e.g. it expired and was re-acquired): our release must not delete theirs.
        await nodes[1].StringSetAsync(first!.Key, "someone-else");
        Assert.False(await first.RenewAsync());
        Assert.True(first.LeaseLost.IsCancellationRequested);
        Assert.False(await first.ReleaseAsync());
        Assert.Equal("someone-else", (string?)await nodes[1].StringGetAsync(first.Key));
        await nodes[1].KeyDeleteAsync(first.Key);

        using (var sync = nodes[1].TryAcquireLease(key, TimeSpan.FromSeconds(30)))
            Assert.NotNull(sync);
        Assert.False(await nodes[1].KeyExistsAsync(first.Key));
    }
}

[Collection(RedisNodeCollection.Name)]
public sealed class GetOrSetOnNodeTests(RedisNodeFixture fixture, ITestOutputHelper output) : GetOrSetTests(new NodeTarget(fixture), output);

[Collection(RedisClusterCollection.Name)]
public sealed class GetOrSetOnClusterTests(RedisClusterFixture fixture, ITestOutputHelper output) : GetOrSetTests(new ClusterTarget(fixture), output);
