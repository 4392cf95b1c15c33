using CacheGuard.Testing.Redis;
using StackExchange.Redis;

namespace CacheGuard.Behavior.Tests;

/// <summary>One real redis-server (from CacheGuard.Testing.Redis) shared by the behavioural tests.</summary>
public sealed class RedisNode : IAsyncLifetime
{
    private RedisServerProcess? _server;

    public ConnectionMultiplexer Connection { get; private set; } = null!;

    public IDatabase Database => Connection.GetDatabase();

    public async Task InitializeAsync()
    {
        _server = await RedisServerProcess.StartAsync();
        var options = ConfigurationOptions.Parse(_server.Endpoint);
        options.AbortOnConnectFail = false;
        options.AllowAdmin = true;
        Connection = await ConnectionMultiplexer.ConnectAsync(options);
    }

    public async Task DisposeAsync()
    {
        if (Connection is not null)
            await Connection.DisposeAsync();
        if (_server is not null)
            await _server.DisposeAsync();
    }
}

[CollectionDefinition(Name)]
public sealed class RedisNodeCollection : ICollectionFixture<RedisNode>
{
    public const string Name = "redis-node";
}
