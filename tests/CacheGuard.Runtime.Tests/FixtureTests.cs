using CacheGuard.Testing.Redis;
using StackExchange.Redis;

namespace CacheGuard.Runtime.Tests;

[Collection(RedisClusterCollection.Name)]
public class FixtureTests(RedisClusterFixture cluster)
{
    [Fact]
    public async Task SingleServer_CanBeKilledAndRestartedOnTheSamePort()
    {
        await using var server = await RedisServerProcess.StartAsync();
        var port = server.Port;
        Assert.StartsWith("+PONG", await server.CommandAsync("PING"));
        server.Kill();
        Assert.False(server.IsRunning);
        await server.RestartAsync();
        Assert.Equal(port, server.Port);
        Assert.StartsWith("+PONG", await server.CommandAsync("PING"));
    }

    [Fact]
    public async Task Cluster_HasThreeMastersCoveringEverySlot()
    {
        var mux = await cluster.ConnectAsync();
        var masters = mux.GetServers().Where(s => s.IsConnected && !s.IsReplica).ToList();
        Assert.Equal(3, masters.Count);
        Assert.Equal(ServerType.Cluster, masters[0].ServerType);
        var db = mux.GetDatabase();
        for (var i = 0; i < 20; i++)
            await db.StringSetAsync("fixture:" + i, i);
        Assert.Equal(7, (int)await db.StringGetAsync("fixture:7"));
    }
}
