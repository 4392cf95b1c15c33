using System.Collections.Concurrent;
using CacheGuard.Testing.Redis;
using Microsoft.Extensions.Logging;
using StackExchange.Redis;

namespace CacheGuard.Runtime.Tests;

/// <summary>Redis dies under the callers: each test owns its redis-server so it can kill it.</summary>
public class FaultTests
{
    private static async Task<(RedisServerProcess Server, ConnectionMultiplexer Mux, IDatabase Db)> StartAsync(Action<CacheGuardOptions>? configure = null)
    {
        var server = await RedisServerProcess.StartAsync();
        var mux = await ConnectionMultiplexer.ConnectAsync(TestConnections.Options(server.Endpoint, timeoutMs: 1000));
        var options = new CacheGuardOptions
        {
            CircuitBreakerThreshold = 3,
            CircuitBreakerDuration = TimeSpan.FromMilliseconds(200),
            PollInterval = TimeSpan.FromMilliseconds(20),
            InvalidationRetryDelay = TimeSpan.FromMilliseconds(10),
        };
        configure?.Invoke(options);
        CacheGuardDatabaseExtensions.Configure(mux, options);
        return (server, mux, mux.GetDatabase());
    }

    [Fact]
    public async Task RedisStoppedAndRestartedMidRun_CallersGetAnswersThroughout_NothingThrows()
    {
        var (server, mux, db) = await StartAsync();
        await using var _ = server;
        await using var __ = mux;
        var prefix = Guid.NewGuid().ToString("N");
        var errors = new ConcurrentQueue<Exception>();
        var answered = 0;
        var wrong = 0;
        using var stop = new CancellationTokenSource();

        var workers = Enumerable.Range(0, 8).Select(w => Task.Run(async () =>
        {
            var i = w;
            while (!stop.IsCancellationRequested)
            {
                var id = i++ % 20;
                try
                {
                    var post = await db.GetOrSetAsync($"{prefix}:{id}", ct => Task.FromResult(new Post(id, "db")), TimeSpan.FromMinutes(5));
                    if (post.Id != id) Interlocked.Increment(ref wrong);
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
            await Bounded.UntilAsync(() => Task.FromResult(Volatile.Read(ref answered) >= target), phase);
        }

        await AnsweredAtLeast(500, "answers before the outage");
        server.Kill();
        await AnsweredAtLeast(500, "answers while Redis is down");
        Assert.True(CacheEngine.For(mux).AnyBreakerOpen || !mux.IsConnected);
        await server.RestartAsync(); // empty: persistence is off
        await Bounded.UntilAsync(async () => mux.IsConnected && await db.KeyExistsAsync($"{prefix}:0"), "entries are written to the restarted Redis");
        await AnsweredAtLeast(500, "answers after the restart");
        stop.Cancel();
        await Task.WhenAll(workers).Within();

        Assert.Empty(errors);
        Assert.Equal(0, wrong);
        Assert.False(CacheEngine.For(mux).AnyBreakerOpen);
    }

    [Fact]
    public async Task RedisPaused_CallsTimeOut_BreakerOpens_AnswersContinueFromLastKnownValues()
    {
        var (server, mux, db) = await StartAsync();
        await using var _ = server;
        await using var __ = mux;
        var key = Nodes.Key("paused");
        var runs = 0;
        Task<Post> Factory(CancellationToken ct) { Interlocked.Increment(ref runs); return Task.FromResult(new Post(runs, "db")); }
        Assert.Equal(1, (await db.GetOrSetAsync(key, Factory, TimeSpan.FromMinutes(5))).Id);

        server.Pause();
        try
        {
            // Timeouts until the breaker opens, then no Redis at all: every answer is the last known value.
            for (var i = 0; i < 5; i++)
                Assert.Equal(1, (await db.GetOrSetAsync(key, Factory, TimeSpan.FromMinutes(5)).Within()).Id);
            Assert.True(CacheEngine.For(mux).AnyBreakerOpen);
            Assert.Equal(1, runs);
        }
        finally
        {
            server.Resume();
        }
    }

    [Fact]
    public async Task ThrowOnRedisFailure_SurfacesTheRedisError()
    {
        var (server, mux, db) = await StartAsync(o => o.ThrowOnRedisFailure = true);
        await using var _ = server;
        await using var __ = mux;
        server.Kill();
        await Assert.ThrowsAnyAsync<RedisException>(() => db.GetOrSetAsync(Nodes.Key("throw"), ct => Task.FromResult(1), TimeSpan.FromMinutes(1))).Within();
    }

    [Fact]
    public async Task InvalidationAgainstADeadRedis_IsRetriedThenReported_LoggedAndOptionallyThrown()
    {
        var logs = new ConcurrentQueue<EventId>();
        using var loggerFactory = LoggerFactory.Create(b => b.AddProvider(new CapturingLoggerProvider(logs)).SetMinimumLevel(LogLevel.Debug));
        var (server, mux, db) = await StartAsync(o => o.LoggerFactory = loggerFactory);
        await using var _ = server;
        await using var __ = mux;
        server.Kill();

        var result = await db.InvalidateAsync(new RedisKey[] { "a:1", "b:2" }).Within();

        Assert.False(result.Succeeded);
        Assert.Equal(2, result.FailedKeys.Count);
        Assert.All(result.FailedKeys, k => { Assert.Equal(3, k.Attempts); Assert.NotNull(k.Error); });
        Assert.Contains(logs, e => e.Id == 2001);
        Assert.Equal(2, logs.Count(e => e.Id == 2002));

        CacheGuardDatabaseExtensions.Configure(mux, new CacheGuardOptions { ThrowOnInvalidationFailure = true, InvalidationAttempts = 1 });
        var thrown = await Assert.ThrowsAsync<CacheInvalidationException>(() => db.InvalidateAsync("a:1")).Within();
        Assert.False(thrown.Result.Succeeded);
    }

    private sealed class CapturingLoggerProvider(ConcurrentQueue<EventId> events) : ILoggerProvider
    {
        public ILogger CreateLogger(string categoryName) => new Logger(events);
        public void Dispose() { }

        private sealed class Logger(ConcurrentQueue<EventId> events) : ILogger
        {
            public IDisposable? BeginScope<TState>(TState state) where TState : notnull => null;
            public bool IsEnabled(LogLevel logLevel) => true;
            public void Log<TState>(LogLevel logLevel, EventId eventId, TState state, Exception? exception, Func<TState, Exception?, string> formatter) => events.Enqueue(eventId);
        }
    }
}
