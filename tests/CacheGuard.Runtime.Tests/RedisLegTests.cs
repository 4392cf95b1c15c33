using System.Reflection;
using StackExchange.Redis;

namespace CacheGuard.Runtime.Tests;

/// <summary>
/// The suite runs in two legs (eng/test.sh): on the StackExchange.Redis floor the runtime is
/// compiled against, and on the newest served (-p:CacheGuardRedisTestVersion=3.4.35). A leg that
/// silently resolved another version would prove nothing, so the loaded StackExchange.Redis must be
/// the one the build asked for, and the runtime must still work on it.
/// </summary>
[Collection(RedisNodeCollection.Name)]
public class RedisLegTests(RedisNodeFixture fixture)
{
    [Fact]
    public void LoadedStackExchangeRedis_IsTheLegsVersion()
    {
        var expected = typeof(RedisLegTests).Assembly.GetCustomAttributes<AssemblyMetadataAttribute>()
            .Single(a => a.Key == "CacheGuardRedisTestVersion").Value;
        Assert.False(string.IsNullOrEmpty(expected));
        var loaded = typeof(ConnectionMultiplexer).Assembly
            .GetCustomAttribute<AssemblyInformationalVersionAttribute>()!.InformationalVersion;
        // "3.4.35+<commit>"
        Assert.Equal(expected, loaded.Split('+')[0]);
    }

    [Fact]
    public async Task GetOrSet_OnThisLeg_RunsTheFactoryOnce_AndRawReadersSeeTheBytes()
    {
        await using var mux = await fixture.ConnectAsync();
        var db = mux.GetDatabase();
        var key = "leg:" + Guid.NewGuid().ToString("N");
        var runs = 0;
        for (var i = 0; i < 3; i++)
        {
            var v = await db.GetOrSetAsync(key, _ => { Interlocked.Increment(ref runs); return Task.FromResult(new Post(7, "seven")); }, TimeSpan.FromMinutes(1));
            Assert.Equal(new Post(7, "seven"), v);
        }
        Assert.Equal(1, runs);
        Assert.Equal("{\"Id\":7,\"Title\":\"seven\"}", (string?)await db.StringGetAsync(key));
    }
}
