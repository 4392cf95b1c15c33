using CacheGuard.Testing.Redis;
using StackExchange.Redis;

namespace CacheGuard.Behavior.Tests;

/// <summary>
/// CG0007 against a real redis-server: a lock taken with SET NX and released with a plain DEL lets a
/// third worker in once a slow holder's lease has lapsed; the code fix's release (LockRelease with the
/// caller's token) does not. The lease lapses on Redis's own clock; the test waits for Redis's
/// "expired" keyspace event, not for time to pass.
/// </summary>
public sealed class UnsafeLockReleaseBehaviorTests : IAsyncLifetime
{
    private static readonly TimeSpan Bound = TimeSpan.FromSeconds(30);   // failure timeout only
    private static readonly TimeSpan ShortLease = TimeSpan.FromMilliseconds(200);
    private static readonly TimeSpan LongLease = TimeSpan.FromMinutes(5);

    private RedisServerProcess _server = null!;
    private ConnectionMultiplexer _mux = null!;

    public async Task InitializeAsync()
    {
        _server = await RedisServerProcess.StartAsync(extraArgs: new[] { "--notify-keyspace-events", "Ex" });
        _mux = await ConnectionMultiplexer.ConnectAsync(new ConfigurationOptions { EndPoints = { _server.Endpoint }, AbortOnConnectFail = false });
    }

    public async Task DisposeAsync()
    {
        await _mux.DisposeAsync();
        await _server.DisposeAsync();
    }

    [Fact]
    public async Task FlaggedRelease_FreesTheNextHoldersLock_AndAThirdWorkerGetsIn()
    {
        var key = "lock:sitemap:" + Guid.NewGuid().ToString("N");
        var db = _mux.GetDatabase();
        var outcome = await RaceAsync(key, lease => new FlaggedSitemapJob(db, key, lease));

        Assert.True(outcome.SecondAcquired, "the second worker takes the lock once the first one's lease lapsed");
        Assert.True(outcome.FirstReleased);
        Assert.True(outcome.ThirdAcquired, "the first worker's plain DEL freed the second worker's lock, so a third got in");
        Assert.True(outcome.SecondStillWorking, "two workers inside the critical section at once");
    }

    [Fact]
    public async Task FixedRelease_LeavesTheNextHoldersLock_AndNobodyElseGetsIn()
    {
        var key = "lock:sitemap:" + Guid.NewGuid().ToString("N");
        var db = _mux.GetDatabase();
        var outcome = await RaceAsync(key, lease => new FixedSitemapJob(db, key, lease));

        Assert.True(outcome.SecondAcquired, "the second worker takes the lock once the first one's lease lapsed");
        Assert.True(outcome.FirstReleased);
        Assert.False(outcome.ThirdAcquired, "LockRelease with the first worker's token leaves the second worker's lock alone");
        Assert.True(outcome.SecondStillWorking);
        Assert.True(outcome.LockHeldAfterThirdTried, "the second worker still holds the lock");
    }

    private sealed record Outcome(bool SecondAcquired, bool FirstReleased, bool ThirdAcquired, bool SecondStillWorking, bool LockHeldAfterThirdTried);

    /// <summary>
    /// First worker: short lease, blocks inside the lock until the test lets it go. Its lease lapses
    /// (Redis's expired event). Second worker takes the lock and stays inside. The first finishes and
    /// releases. A third worker then tries.
    /// </summary>
    private async Task<Outcome> RaceAsync(string key, Func<TimeSpan, ISitemapJob> job)
    {
        var expired = new TaskCompletionSource(TaskCreationOptions.RunContinuationsAsynchronously);
        var subscriber = _mux.GetSubscriber();
        var channel = RedisChannel.Literal("__keyevent@0__:expired");
        await subscriber.SubscribeAsync(channel, (_, message) =>
        {
            if (message == key)
                expired.TrySetResult();
        });

        try
        {
            var firstInside = new Gate();
            var firstMayFinish = new Gate();
            var first = job(ShortLease).RunAsync(async () =>
            {
                firstInside.Open();
                await firstMayFinish.WaitAsync();
            });
            await firstInside.WaitAsync().WaitAsync(Bound);
            await expired.Task.WaitAsync(Bound);               // the first worker's lease has lapsed mid-work

            var secondInside = new Gate();
            var secondMayFinish = new Gate();
            var second = job(LongLease).RunAsync(async () =>
            {
                secondInside.Open();
                await secondMayFinish.WaitAsync();
            });
            var secondAcquired = await Task.WhenAny(secondInside.WaitAsync(), second).WaitAsync(Bound) != second || await second;

            firstMayFinish.Open();
            var firstReleased = await first.WaitAsync(Bound);  // ran its work and its release

            var thirdAcquired = await job(LongLease).RunAsync(() => Task.CompletedTask).WaitAsync(Bound);
            var secondStillWorking = !second.IsCompleted;
            var lockHeld = await _mux.GetDatabase().KeyExistsAsync(key);

            secondMayFinish.Open();
            await second.WaitAsync(Bound);
            return new Outcome(secondAcquired, firstReleased, thirdAcquired, secondStillWorking, lockHeld);
        }
        finally
        {
            await subscriber.UnsubscribeAsync(channel);
        }
    }

    private sealed class Gate
    {
        private readonly TaskCompletionSource _open = new(TaskCreationOptions.RunContinuationsAsynchronously);
        public void Open() => _open.TrySetResult();
        public Task WaitAsync() => _open.Task;
    }
}

/// <summary>Runs the work under the lock; false when another worker holds it.</summary>
internal interface ISitemapJob
{
    Task<bool> RunAsync(Func<Task> build);
}

/// <summary>The shape CG0007 flags (the public case p06): SET NX with a shared value, plain DEL.</summary>
internal sealed class FlaggedSitemapJob(IDatabase db, string key, TimeSpan lease) : ISitemapJob
{
    public async Task<bool> RunAsync(Func<Task> build)
    {
        if (!await db.StringSetAsync(key, Environment.MachineName, lease, When.NotExists)) return false;
        try { await build(); }
        finally { await db.KeyDeleteAsync(key); }
        return true;
    }
}

/// <summary>The same method after CG0007's code fix: a fresh token, released with LockReleaseAsync.</summary>
internal sealed class FixedSitemapJob(IDatabase db, string key, TimeSpan lease) : ISitemapJob
{
    public async Task<bool> RunAsync(Func<Task> build)
    {
        var lockToken = Guid.NewGuid().ToString();
        if (!await db.StringSetAsync(key, lockToken, lease, When.NotExists)) return false;
        try { await build(); }
        finally { await db.LockReleaseAsync(key, lockToken); }
        return true;
    }
}
