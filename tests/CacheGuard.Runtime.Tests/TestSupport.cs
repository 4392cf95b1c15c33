using StackExchange.Redis;

namespace CacheGuard.Runtime.Tests;

/// <summary>Connects "nodes" (separate multiplexers) to either fixture and configures CacheGuard on each.</summary>
public interface IRedisTarget
{
    Task<ConnectionMultiplexer> ConnectAsync();
    bool IsCluster { get; }
}

public sealed class NodeTarget(RedisNodeFixture fixture) : IRedisTarget
{
    public Task<ConnectionMultiplexer> ConnectAsync() => fixture.ConnectAsync();
    public bool IsCluster => false;
}

public sealed class ClusterTarget(RedisClusterFixture fixture) : IRedisTarget
{
    public Task<ConnectionMultiplexer> ConnectAsync() => fixture.ConnectAsync();
    public bool IsCluster => true;
}

public static class Nodes
{
    public static async Task<IDatabase[]> StartAsync(IRedisTarget target, int count, Action<CacheGuardOptions>? configure = null)
    {
        var dbs = new IDatabase[count];
        for (var i = 0; i < count; i++)
        {
            var mux = await target.ConnectAsync();
            var options = new CacheGuardOptions
            {
                // Fast enough for tests; each test that depends on a value sets it explicitly.
                PollInterval = TimeSpan.FromMilliseconds(50),
                WaitDeadline = TimeSpan.FromSeconds(30),
            };
            configure?.Invoke(options);
            CacheGuardDatabaseExtensions.Configure(mux, options);
            dbs[i] = mux.GetDatabase();
        }
        return dbs;
    }

    public static string Key(string name) => $"test:{name}:{Guid.NewGuid():N}";
}

/// <summary>A gate the test opens; bounded waits only as failure timeouts.</summary>
public sealed class Gate
{
    private readonly TaskCompletionSource _open = new(TaskCreationOptions.RunContinuationsAsynchronously);
    public void Open() => _open.TrySetResult();
    public Task WaitAsync(CancellationToken ct = default) => _open.Task.WaitAsync(ct);
}

public static class Bounded
{
    public static readonly TimeSpan Timeout = TimeSpan.FromSeconds(30);

    public static Task<T> Within<T>(this Task<T> task) => task.WaitAsync(Timeout);
    public static Task Within(this Task task) => task.WaitAsync(Timeout);

    /// <summary>Polls a condition that depends on something outside the test's control (Redis expiry); fails after the timeout.</summary>
    public static async Task UntilAsync(Func<Task<bool>> condition, string what)
    {
        var deadline = DateTime.UtcNow + Timeout;
        while (!await condition())
        {
            if (DateTime.UtcNow > deadline) throw new TimeoutException("Timed out waiting until " + what);
            await Task.Delay(20);
        }
    }
}

public sealed record Post(int Id, string Title);
