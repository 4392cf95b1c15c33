using CacheGuard.Testing.Redis;
using StackExchange.Redis;

namespace CacheGuard.Runtime.Tests;

/// <summary>One redis-server shared by a test collection.</summary>
public sealed class RedisNodeFixture : IAsyncLifetime
{
    private readonly List<ConnectionMultiplexer> _connections = new();

    public RedisServerProcess Server { get; private set; } = null!;

    public async Task InitializeAsync() => Server = await RedisServerProcess.StartAsync();

    /// <summary>A new multiplexer ("node"); disposed with the fixture.</summary>
    public async Task<ConnectionMultiplexer> ConnectAsync()
    {
        var mux = await ConnectionMultiplexer.ConnectAsync(TestConnections.Options(Server.Endpoint));
        lock (_connections) _connections.Add(mux);
        return mux;
    }

    public async Task DisposeAsync()
    {
        foreach (var c in _connections) await c.DisposeAsync();
        await Server.DisposeAsync();
    }
}

/// <summary>A local 3-master / 3-replica Redis Cluster shared by a test collection.</summary>
public sealed class RedisClusterFixture : IAsyncLifetime
{
    private readonly List<ConnectionMultiplexer> _connections = new();

    public RedisClusterProcess Cluster { get; private set; } = null!;

    public async Task InitializeAsync() => Cluster = await RedisClusterProcess.StartAsync();

    public async Task<ConnectionMultiplexer> ConnectAsync()
    {
        var mux = await ConnectionMultiplexer.ConnectAsync(TestConnections.Options(Cluster.ConfigurationString));
        lock (_connections) _connections.Add(mux);
        return mux;
    }

    public async Task DisposeAsync()
    {
        foreach (var c in _connections) await c.DisposeAsync();
        await Cluster.DisposeAsync();
    }
}

public static class TestConnections
{
    /// <inheritdoc cref="RedisConnections.Options"/>
    public static ConfigurationOptions Options(string endpoints, int timeoutMs = 10_000) => RedisConnections.Options(endpoints, timeoutMs);
}

[CollectionDefinition(Name)]
public sealed class RedisNodeCollection : ICollectionFixture<RedisNodeFixture>
{
    public const string Name = "redis-node";
}

[CollectionDefinition(Name)]
public sealed class RedisClusterCollection : ICollectionFixture<RedisClusterFixture>
{
    public const string Name = "redis-cluster";
}
