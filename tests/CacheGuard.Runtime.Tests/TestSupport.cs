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
    public static async Task UntilAsync(Func<Task<bool>> condition, string what, TimeSpan? timeout = null)
    {
        var deadline = DateTime.UtcNow + (timeout ?? Timeout);
        while (!await condition())
        {
            if (DateTime.UtcNow > deadline) throw new TimeoutException("Timed out waiting until " + what);
            await Task.Delay(20);
        }
    }
}

public sealed record Post(int Id, string Title);

/// <summary>
/// Scales the fault tests for longer runs: <c>CACHEGUARD_SOAK=20 dotnet test … --filter "FullyQualifiedName~FaultTests"</c>
/// multiplies the load of each phase and the number of outage cycles by 20. Unset (the normal suite) = 1.
/// </summary>
public static class Soak
{
    public static int Factor { get; } =
        int.TryParse(Environment.GetEnvironmentVariable("CACHEGUARD_SOAK"), System.Globalization.NumberStyles.Integer, System.Globalization.CultureInfo.InvariantCulture, out var f) && f > 1 ? f : 1;

    /// <summary>Bounded waits grow with the load so a soak run isn't failed by the normal-run timeout.</summary>
    public static TimeSpan Timeout => TimeSpan.FromTicks(Bounded.Timeout.Ticks * Factor);
}

/// <summary>A redis-server a fault test owns (kill, pause, restart it), with CacheGuard configured on its
/// connection for fast failure detection: breaker after 3 failures for 200 ms, 20 ms polls and retries.</summary>
public static class FaultNode
{
    public static async Task<CacheGuard.Testing.Redis.OwnRedisServer> StartAsync(Action<CacheGuardOptions>? configure = null, int timeoutMs = 1000, Action<ConfigurationOptions>? connection = null)
    {
        var own = await CacheGuard.Testing.Redis.OwnRedisServer.StartAsync(timeoutMs: timeoutMs, connection: connection);
        var options = new CacheGuardOptions
        {
            CircuitBreakerThreshold = 3,
            CircuitBreakerDuration = TimeSpan.FromMilliseconds(200),
            PollInterval = TimeSpan.FromMilliseconds(20),
            InvalidationRetryDelay = TimeSpan.FromMilliseconds(10),
        };
        configure?.Invoke(options);
        CacheGuardDatabaseExtensions.Configure(own.Mux, options);
        return own;
    }
}

/// <summary>An <see cref="Microsoft.Extensions.Logging.ILoggerProvider"/> that records the event id of every log entry.</summary>
public sealed class EventCapture(System.Collections.Concurrent.ConcurrentQueue<Microsoft.Extensions.Logging.EventId> events) : Microsoft.Extensions.Logging.ILoggerProvider
{
    public Microsoft.Extensions.Logging.ILogger CreateLogger(string categoryName) => new Logger(events);
    public void Dispose() { }

    private sealed class Logger(System.Collections.Concurrent.ConcurrentQueue<Microsoft.Extensions.Logging.EventId> events) : Microsoft.Extensions.Logging.ILogger
    {
        public IDisposable? BeginScope<TState>(TState state) where TState : notnull => null;
        public bool IsEnabled(Microsoft.Extensions.Logging.LogLevel logLevel) => true;
        public void Log<TState>(Microsoft.Extensions.Logging.LogLevel logLevel, Microsoft.Extensions.Logging.EventId eventId, TState state, Exception? exception, Func<TState, Exception?, string> formatter) => events.Enqueue(eventId);
    }
}
