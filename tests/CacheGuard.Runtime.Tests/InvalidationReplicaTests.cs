using CacheGuard.Testing.Redis;
using StackExchange.Redis;
using Xunit.Abstractions;

namespace CacheGuard.Runtime.Tests;

/// <summary>
/// <see cref="CacheGuardOptions.InvalidationReplicas"/> against a real replica (a second redis-server
/// started with --replicaof): the invalidation waits (Redis WAIT) for n replicas to acknowledge it,
/// and reports a failure when fewer can.
/// </summary>
public sealed class InvalidationReplicaTests(ITestOutputHelper output)
{
    [Fact]
    public async Task InvalidationReplicas_WaitsForARealReplica_AndFailsWhenTheReplicaCannotAcknowledge()
    {
        await using var primary = await RedisServerProcess.StartAsync();
        await using var replica = await RedisReplication.StartReplicaAsync(primary);
        await using var mux = await ConnectionMultiplexer.ConnectAsync(TestConnections.Options(primary.Endpoint));
        var db = mux.GetDatabase();
        // WAIT's timeout: short where the acknowledgement must fail (a frozen replica, more replicas than exist); generous
        // where the replica is up and must acknowledge (a busy machine can keep it from answering for 500 ms, twice).
        var mustFail = TimeSpan.FromMilliseconds(500);
        var mustAck = TimeSpan.FromSeconds(5); // below the connection's 10 s command timeout
        CacheGuardOptions Options(int replicas, TimeSpan replicaTimeout) => new()
        {
            InvalidationReplicas = replicas,
            InvalidationReplicaTimeout = replicaTimeout,
            InvalidationAttempts = 2,
            InvalidationRetryDelay = TimeSpan.FromMilliseconds(10),
        };
        CacheGuardDatabaseExtensions.Configure(mux, Options(1, mustAck));
        var key = Nodes.Key("wait-replica");
        var keys = new EntryKeys(key);
        Assert.Equal("v1", await db.GetOrSetAsync(key, ct => Task.FromResult("v1"), TimeSpan.FromMinutes(5)));

        // 1. The replica is up: the invalidation succeeds, and once it returned the replica already
        //    has the new fence and no longer has the value (WAIT returned after the replica's ack).
        var ok = await db.InvalidateAsync(key).Within();
        Assert.True(ok.Succeeded, ok.FailedKeys.FirstOrDefault()?.Error?.ToString());
        var fence = (string?)await db.StringGetAsync(keys.Fence);
        Assert.False(string.IsNullOrEmpty(fence));
        Assert.Contains(fence!, await replica.CommandAsync("GET", keys.Fence.ToString()));
        Assert.StartsWith("$-1", await replica.CommandAsync("GET", key));

        // 2. The replica is frozen (SIGSTOP): it cannot acknowledge, so with InvalidationReplicas = 1
        //    the invalidation is reported failed after its attempts (the primary has it; the caller is told).
        replica.Pause();
        try
        {
            CacheGuardDatabaseExtensions.Configure(mux, Options(1, mustFail));
            var failed = await db.InvalidateAsync(key).Within();
            Assert.False(failed.Succeeded);
            var k = Assert.Single(failed.FailedKeys);
            Assert.Equal(2, k.Attempts);
            Assert.IsType<TimeoutException>(k.Error);
            output.WriteLine("frozen replica: " + k.Error!.Message);
            Assert.NotEqual(fence, (string?)await db.StringGetAsync(keys.Fence)); // the primary took the new fence

            // The same invalidation without WAIT succeeds: it is the replica acknowledgement that failed.
            CacheGuardDatabaseExtensions.Configure(mux, Options(0, mustFail));
            Assert.True((await db.InvalidateAsync(key).Within()).Succeeded);
        }
        finally
        {
            replica.Resume();
        }

        // 3. Asking for more replicas than exist fails; asking for the one that exists succeeds again once it is back.
        CacheGuardDatabaseExtensions.Configure(mux, Options(2, mustFail));
        Assert.False((await db.InvalidateAsync(key).Within()).Succeeded);
        CacheGuardDatabaseExtensions.Configure(mux, Options(1, mustAck));
        var again = await db.InvalidateAsync(key).Within();
        Assert.True(again.Succeeded, again.FailedKeys.FirstOrDefault()?.Error?.ToString());
        Assert.Contains((string?)await db.StringGetAsync(keys.Fence) ?? "<no fence>", await replica.CommandAsync("GET", keys.Fence.ToString()));
    }
}
