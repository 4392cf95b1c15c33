using System.Collections.Concurrent;
using StackExchange.Redis;
using Xunit.Abstractions;

namespace CacheGuard.Runtime.Tests;

/// <summary>Write-behind: the replayer is stopped mid-batch and another one takes over.</summary>
public abstract class OutboxTests(IRedisTarget target, ITestOutputHelper output)
{
    /// <summary>The "database": applies each idempotency key once, counts redeliveries.</summary>
    private sealed class IdempotentDb
    {
        public readonly ConcurrentDictionary<string, Post> Rows = new();
        public readonly ConcurrentDictionary<string, int> Applied = new();
        public int Redeliveries;

        public void Apply(OutboxEntry entry)
        {
            if (Applied.TryAdd(entry.IdempotencyKey, 1))
                Rows[entry.Key] = entry.Deserialize<Post>()!;
            else
                Interlocked.Increment(ref Redeliveries);
        }
    }

    private sealed class Writer(IdempotentDb db, string prefix, int dieAfter, TaskCompletionSource died) : IOutboxWriter
    {
        private int _count;

        public async Task ApplyAsync(OutboxEntry entry, CancellationToken cancellationToken)
        {
            if (!entry.Key.StartsWith(prefix, StringComparison.Ordinal)) { db.Apply(entry); return; } // another test's leftovers
            db.Apply(entry); // the database write commits...
            if (Interlocked.Increment(ref _count) == dieAfter)
            {
                died.TrySetResult();
                await Task.Delay(Timeout.Infinite, cancellationToken); // ...and the process dies before the ack
            }
        }
    }

    [Fact]
    public async Task ReplayerKilledMidBatchAndRestarted_EveryWriteReachesTheDatabaseExactlyOnce_LagReturnsToZero()
    {
        var nodes = await Nodes.StartAsync(target, 1);
        var mux = nodes[0].Multiplexer;
        var prefix = "wb:" + Guid.NewGuid().ToString("N");
        const int writes = 60;
        var expected = new Dictionary<string, string>();
        for (var i = 0; i < writes; i++)
        {
            var id = await nodes[0].WriteBehindAsync($"{prefix}:{i}", new Post(i, "v" + i), TimeSpan.FromMinutes(5) is var t ? new CacheEntryOptions { Ttl = t } : null);
            // The default idempotency key: the entry's stream and id (ids are unique within a stream only).
            expected[OutboxStreams.DefaultIdempotencyKey(OutboxStreams.ForTag(new EntryKeys($"{prefix}:{i}").Tag), id)] = $"{prefix}:{i}";
        }

        // Reads are served from the cache at once, before the database has the rows.
        Assert.Equal("v7", (await nodes[0].TryGetAsync<Post>($"{prefix}:7")).Value!.Title);

        var db = new IdempotentDb();
        var group = "g-" + Guid.NewGuid().ToString("N");
        OutboxOptions Options(string consumer) => new() { ConsumerGroup = group, ConsumerName = consumer, BatchSize = 10, ClaimIdle = TimeSpan.FromMilliseconds(200), PollInterval = TimeSpan.FromMilliseconds(20) };

        var died = new TaskCompletionSource(TaskCreationOptions.RunContinuationsAsynchronously);
        var first = new OutboxReplayerService(new OutboxReplayer(mux, new Writer(db, prefix, dieAfter: 25, died), Options("first")));
        await first.StartAsync(CancellationToken.None);
        await died.Task.Within();
        await first.StopAsync(CancellationToken.None).Within(); // killed mid-batch: entry 25 is in the database but not acknowledged
        first.Dispose();
        Assert.True(db.Applied.Keys.Count(expected.ContainsKey) < writes);

        var second = new OutboxReplayer(mux, new Writer(db, prefix, dieAfter: int.MaxValue, died), Options("second"));
        var secondService = new OutboxReplayerService(second);
        var appliedBeforeRestart = db.Applied.Keys.Count(expected.ContainsKey);
        var restarted = System.Diagnostics.Stopwatch.StartNew();
        await secondService.StartAsync(CancellationToken.None);
        await Bounded.UntilAsync(() => Task.FromResult(expected.Keys.All(db.Applied.ContainsKey) && second.Lag == 0), "every write applied and the lag back to 0");
        await secondService.StopAsync(CancellationToken.None).Within();
        secondService.Dispose();

        Assert.All(expected, e => Assert.Equal(1, db.Applied[e.Key]));
        Assert.All(expected, e => Assert.Equal(e.Value, $"{prefix}:{db.Rows[e.Value].Id}"));
        Assert.True(db.Redeliveries >= 1, "the unacknowledged entry is delivered again and absorbed by the idempotent writer");
        Assert.Equal(0, second.Lag);
        output.WriteLine($"{writes} writes; {appliedBeforeRestart} applied before the replayer died; {db.Redeliveries} redelivered and absorbed; 0 lost, 0 applied twice; seconds from restart to lag 0: {restarted.Elapsed.TotalSeconds:F2}");
    }

    [Fact]
    public async Task WriteBehind_MovesTheFence_SoAnOlderPopulateCannotOverwriteIt()
    {
        var nodes = await Nodes.StartAsync(target, 1);
        var key = Nodes.Key("wb-fence");
        var read = new TaskCompletionSource(TaskCreationOptions.RunContinuationsAsynchronously);
        var resume = new Gate();
        var populate = nodes[0].GetOrSetAsync(key, async ct => { read.TrySetResult(); await resume.WaitAsync(ct); return new Post(1, "old row"); }, TimeSpan.FromMinutes(5));
        await read.Task.Within();
        await nodes[0].WriteBehindAsync(key, new Post(2, "written behind"));
        resume.Open();
        await populate.Within();
        Assert.Equal("written behind", (await nodes[0].TryGetAsync<Post>(key)).Value!.Title);
    }
}

[Collection(RedisNodeCollection.Name)]
public sealed class OutboxOnNodeTests(RedisNodeFixture fixture, ITestOutputHelper output) : OutboxTests(new NodeTarget(fixture), output);

[Collection(RedisClusterCollection.Name)]
public sealed class OutboxOnClusterTests(RedisClusterFixture fixture, ITestOutputHelper output) : OutboxTests(new ClusterTarget(fixture), output);
