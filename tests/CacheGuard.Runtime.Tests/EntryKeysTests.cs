using StackExchange.Redis;

namespace CacheGuard.Runtime.Tests;

[Collection(RedisClusterCollection.Name)]
public class EntryKeysTests(RedisClusterFixture cluster)
{
    public static TheoryData<string> Keys => new()
    {
        "post:1", "{user:1}:profile", "a{user:1}b{x}", "a{}b", "{}{abc}", "x}y", "}{", "{", "}", "{a", "a}", "café:ü", "{{a}}", "{a}}",
    };

    [Theory]
    [MemberData(nameof(Keys))]
    public async Task DerivedKeys_HashToTheValueKeysSlot_AsRedisComputesIt(string key)
    {
        var mux = await cluster.ConnectAsync();
        var server = mux.GetServers().First(s => s.IsConnected);
        var expected = (long)await server.ExecuteAsync("CLUSTER", "KEYSLOT", key);
        var keys = new EntryKeys(key);

        Assert.Equal(expected, HashSlots.Of(key));
        foreach (var derived in new[] { (string)keys.Lease!, (string)keys.Fence!, (string)keys.Stale!, (string)keys.Negative!, (string)keys.Version!, keys.Channel, CacheGuard.OutboxStreams.ForTag(keys.Tag) })
            Assert.Equal(expected, (long)await server.ExecuteAsync("CLUSTER", "KEYSLOT", derived));
    }

    [Fact]
    public void TagOfAKeyWithATag_IsThatTag_ElseTheWholeKey()
    {
        Assert.Equal("{post:1}", EntryKeys.HashTagOf("post:1"));
        Assert.Equal("{user:1}", EntryKeys.HashTagOf("{user:1}:profile"));
        Assert.Equal("{post:1}:cg:lease", (string)new EntryKeys("post:1").Lease!);
        // '}' in a tag-less key can't be wrapped in braces: a precomputed same-slot tag is used.
        Assert.StartsWith("{cg", EntryKeys.HashTagOf("a{}b"));
    }
}
