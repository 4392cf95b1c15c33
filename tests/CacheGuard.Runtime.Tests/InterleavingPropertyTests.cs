using FsCheck;
using FsCheck.Fluent;
using StackExchange.Redis;

namespace CacheGuard.Runtime.Tests;

/// <summary>
/// Property: for any interleaving of reads (whose populates the test pauses and resumes), database
/// writes and invalidations from three nodes, once everything has finished the cache holds no value
/// older than the database.
/// </summary>
public abstract class InterleavingPropertyTests(IRedisTarget target)
{
    private enum Op { Read, Write, ResumeOldest, ResumeNewest }

    [Fact]
    public async Task AfterQuiescence_TheCacheNeverHoldsAValueOlderThanTheDatabase()
    {
        var nodes = await Nodes.StartAsync(target, 3, o =>
        {
            o.WaitDeadline = TimeSpan.FromMilliseconds(100); // a waiter behind a paused populate soon runs its own
            o.PollInterval = TimeSpan.FromMilliseconds(20);
        });

        var property = Prop.ForAll(ArbMap.Default.ArbFor<int[]>(), (int[] script) =>
        {
            var (ok, detail) = RunAsync(nodes, script).GetAwaiter().GetResult();
            return ok.Label(detail);
        });
        Check.One(Config.QuickThrowOnFailure.WithMaxTest(40).WithEndSize(30), property);
    }

    private static async Task<(bool, string)> RunAsync(IDatabase[] nodes, int[] script)
    {
        var key = Nodes.Key("prop");
        var db = 0;
        var paused = new List<TaskCompletionSource>();
        var pausedGate = new object();
        var reads = new List<Task<int>>();

        async Task<int> Factory(CancellationToken ct)
        {
            var value = Volatile.Read(ref db); // read the row, then be paused until the script says so
            var gate = new TaskCompletionSource(TaskCreationOptions.RunContinuationsAsynchronously);
            lock (pausedGate) paused.Add(gate);
            await gate.Task.WaitAsync(ct);
            return value;
        }

        void Resume(bool oldest)
        {
            lock (pausedGate)
            {
                if (paused.Count == 0) return;
                var i = oldest ? 0 : paused.Count - 1;
                paused[i].TrySetResult();
                paused.RemoveAt(i);
            }
        }

        var trace = new List<string>();
        foreach (var step in script)
        {
            var op = (Op)(Math.Abs(step % 4));
            var node = nodes[Math.Abs(step / 4 % nodes.Length)];
            trace.Add($"{op}@{Array.IndexOf(nodes, node)}");
            switch (op)
            {
                case Op.Read:
                    reads.Add(node.GetOrSetAsync(key, Factory, new CacheEntryOptions { Ttl = TimeSpan.FromMinutes(5), StaleWindow = TimeSpan.Zero }));
                    break;
                case Op.Write:
                    Interlocked.Increment(ref db);
                    var result = await node.InvalidateAsync(key);
                    if (!result.Succeeded) return (false, "invalidation failed: " + result.FailedKeys[0].Error);
                    break;
                case Op.ResumeOldest:
                    Resume(oldest: true);
                    break;
                case Op.ResumeNewest:
                    Resume(oldest: false);
                    break;
            }
            await Task.Yield();
        }

        // Quiesce: let every paused populate (and any a waiter starts later) finish.
        var all = Task.WhenAll(reads);
        var deadline = DateTime.UtcNow + Bounded.Timeout;
        while (!all.IsCompleted)
        {
            lock (pausedGate)
            {
                foreach (var g in paused) g.TrySetResult();
                paused.Clear();
            }
            await Task.WhenAny(all, Task.Delay(10));
            if (DateTime.UtcNow > deadline) return (false, "reads did not finish: " + string.Join(" ", trace));
        }
        await all;

        var cached = await nodes[0].TryGetAsync<int>(key);
        var ok = cached.IsMiss || cached.Value >= db;
        return (ok, $"cache={cached.Status}:{cached.Value} db={db} script={string.Join(" ", trace)}");
    }
}

[Collection(RedisNodeCollection.Name)]
public sealed class InterleavingPropertyOnNodeTests(RedisNodeFixture fixture) : InterleavingPropertyTests(new NodeTarget(fixture));

[Collection(RedisClusterCollection.Name)]
public sealed class InterleavingPropertyOnClusterTests(RedisClusterFixture fixture) : InterleavingPropertyTests(new ClusterTarget(fixture));
