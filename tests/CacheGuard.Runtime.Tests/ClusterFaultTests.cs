using System.Collections.Concurrent;
using CacheGuard.Testing.Redis;
using StackExchange.Redis;
using Xunit.Abstractions;

namespace CacheGuard.Runtime.Tests;

/// <summary>A master of a dedicated local cluster dies under load; its replica takes over.</summary>
public class ClusterFaultTests(ITestOutputHelper output)
{
    [Fact]
    public async Task ClusterMasterKilledMidRun_CallersGetAnswersThroughout_AndRedisIsUsedAgainAfterFailover()
    {
        await using var cluster = await RedisClusterProcess.StartAsync();
        await using var mux = await ConnectionMultiplexer.ConnectAsync(TestConnections.Options(cluster.ConfigurationString, timeoutMs: 1000));
        CacheGuardDatabaseExtensions.Configure(mux, new CacheGuardOptions
        {
            CircuitBreakerThreshold = 3,
            CircuitBreakerDuration = TimeSpan.FromMilliseconds(200),
            PollInterval = TimeSpan.FromMilliseconds(20),
        });
        var db = mux.GetDatabase();
        var prefix = Guid.NewGuid().ToString("N");
        var errors = new ConcurrentQueue<Exception>();
        var answered = 0;
        using var stop = new CancellationTokenSource();
        var workers = Enumerable.Range(0, 8).Select(w => Task.Run(async () =>
        {
            var i = w;
            while (!stop.IsCancellationRequested)
            {
                var id = i++ % 30;
                try
                {
                    var v = await db.GetOrSetAsync($"{prefix}:{id}", ct => Task.FromResult(id), TimeSpan.FromMinutes(5));
                    if (v != id) throw new InvalidOperationException($"wrong value {v} for {id}");
                    Interlocked.Increment(ref answered);
                }
                catch (Exception ex)
                {
                    errors.Enqueue(ex);
                }
            }
        })).ToArray();

        async Task AnsweredAtLeast(int more, string phase)
        {
            var target = Volatile.Read(ref answered) + more;
            await Bounded.UntilAsync(() => Task.FromResult(Volatile.Read(ref answered) >= target), phase, Soak.Timeout);
        }

        await AnsweredAtLeast(300 * Soak.Factor, "answers before the failure");
        var victimKey = $"{prefix}:0";
        // The master owning key 0. Under load the client's slot map can still be loading (no endpoint
        // yet, or a throw), so ask until it knows. IdentifyEndpoint, not GetServer(RedisKey): the
        // runtime is tested against StackExchange.Redis 2.7, which has no GetServer(RedisKey).
        System.Net.IPEndPoint? victimEndpoint = null;
        await Bounded.UntilAsync(() =>
        {
            try
            {
                victimEndpoint = mux.GetDatabase().IdentifyEndpoint((RedisKey)victimKey) as System.Net.IPEndPoint;
                return Task.FromResult(victimEndpoint is not null);
            }
            catch (Exception ex) when (ex is InvalidOperationException or RedisException or TimeoutException)
            {
                // With eight callers busy on two cores, one IdentifyEndpoint can outlast the 1 s timeout
                // (RedisTimeoutException is a TimeoutException): not known yet, ask again.
                return Task.FromResult(false);
            }
        }, "the client knows which master owns key 0");
        var victim = cluster.Nodes.Single(n => n.Port == victimEndpoint!.Port);
        victim.Kill();
        var killed = System.Diagnostics.Stopwatch.StartNew();
        var beforeKill = Volatile.Read(ref answered);
        await AnsweredAtLeast(300 * Soak.Factor, "answers while a master is down");
        var duringOutage = Volatile.Read(ref answered) - beforeKill;

        Exception? lastError = null;
        // After failover, a new key in the dead master's slot is written to the promoted replica.
        var probe = 0;
        await Bounded.UntilAsync(async () =>
        {
            try
            {
                var probeKey = $"{{{victimKey}}}:probe:{probe++}";
                await db.GetOrSetAsync(probeKey, ct => Task.FromResult(1), TimeSpan.FromMinutes(5));
                return (await db.TryGetAsync<int>(probeKey)).IsHit;
            }
            catch (Exception ex) when (ex is RedisException or TimeoutException or InvalidOperationException)
            {
                lastError = ex;
                return false;
            }
        }, "the replica was promoted and key 0 is cached again").ContinueWith(async t =>
        {
            if (t.IsFaulted)
            {
                var nodes = await cluster.Nodes.First(n => n.IsRunning).CommandAsync("CLUSTER", "NODES");
                throw new TimeoutException($"{t.Exception!.InnerException!.Message}; victim {victim.Port}; key 0 maps to {OwnerOrError(mux, victimKey)}; cluster nodes: {nodes}; SE.Redis sees: {string.Join(" | ", mux.GetServers().Select(x => $"{x.EndPoint} connected={x.IsConnected} replica={x.IsReplica}"))}; last error: {lastError}");
            }
        }).Unwrap();
        var failoverSeconds = killed.Elapsed.TotalSeconds;
        await AnsweredAtLeast(300 * Soak.Factor, "answers after failover");
        stop.Cancel();
        await Task.WhenAll(workers).Within();
        var crossSlot = errors.Count(e => e.ToString().Contains("CROSSSLOT", StringComparison.Ordinal));
        output.WriteLine($"callers served {answered} ({duringOutage} while the master was down); errors {errors.Count}; CROSSSLOT {crossSlot}; seconds from kill to the promoted replica caching the dead master's slot: {failoverSeconds:F2}");

        Assert.Empty(errors);
    }

    [Fact]
    public async Task MultiKeyInvalidation_WithAMasterDown_FailsExactlyTheKeysOfItsSlots_WithPerKeyErrors()
    {
        await using var cluster = await RedisClusterProcess.StartAsync(masters: 3, replicasPerMaster: 0);
        // The default (generous) command timeout: the live masters' keys must be invalidated at the first attempt, and with
        // 1 s one stalled script took a retry (Attempts 2) or three (a failed key). The dead master's keys still fail at
        // once: no connection to it, and the connection fails fast (BacklogPolicy.FailFast).
        await using var mux = await ConnectionMultiplexer.ConnectAsync(TestConnections.Options(cluster.ConfigurationString));
        CacheGuardDatabaseExtensions.Configure(mux, new CacheGuardOptions { InvalidationRetryDelay = TimeSpan.FromMilliseconds(10) });
        var db = mux.GetDatabase();
        var prefix = Guid.NewGuid().ToString("N");
        RedisKey[] keys = Enumerable.Range(0, 30).Select(i => (RedisKey)$"{prefix}:{i}").ToArray();
        // Which master owns each key. Right after the cluster is created the client's slot map can still be loading
        // (no endpoint yet, a throw, or a timeout on a busy machine), so ask until it knows every key.
        var owner = new Dictionary<string, int>();
        await Bounded.UntilAsync(() =>
        {
            try
            {
                foreach (var k in keys)
                    if (!owner.ContainsKey(k!) && mux.GetDatabase().IdentifyEndpoint(k) is System.Net.IPEndPoint endpoint)
                        owner[k!] = endpoint.Port;
            }
            catch (Exception ex) when (ex is InvalidOperationException or RedisException or TimeoutException)
            {
                // Not known yet: ask again.
            }
            return Task.FromResult(owner.Count == keys.Length);
        }, "the client knows which master owns every key");
        var victim = cluster.Nodes.First(n => owner.ContainsValue(n.Port));
        var expectedFailed = owner.Where(o => o.Value == victim.Port).Select(o => o.Key).ToHashSet();
        Assert.NotEmpty(expectedFailed);
        Assert.NotEqual(keys.Length, expectedFailed.Count);

        victim.Kill();
        var result = await db.InvalidateAsync(keys).Within();

        Assert.False(result.Succeeded);
        Assert.Equal(keys, result.Keys.Select(k => k.Key));
        Assert.Equal(expectedFailed, result.FailedKeys.Select(k => (string)k.Key!).ToHashSet());
        Assert.All(result.FailedKeys, k => { Assert.NotNull(k.Error); Assert.Equal(3, k.Attempts); });
        Assert.All(result.Keys.Where(k => k.Succeeded), k => Assert.Equal(1, k.Attempts));
    }

    /// <summary>For a failure message: the master the client maps <paramref name="key"/> to, or why it could not say.</summary>
    private static string OwnerOrError(IConnectionMultiplexer mux, string key)
    {
        try
        {
            return mux.GetDatabase().IdentifyEndpoint((RedisKey)key)?.ToString() ?? "(unknown)";
        }
        catch (Exception ex) when (ex is InvalidOperationException or RedisException or TimeoutException)
        {
            return $"(could not ask: {ex.GetType().Name})";
        }
    }
}
