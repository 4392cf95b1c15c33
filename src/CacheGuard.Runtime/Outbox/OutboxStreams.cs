namespace CacheGuard;

/// <summary>
/// Outbox layout: one Redis Stream per hash slot in use, <c>{slot-tag}:cg:outbox</c>, so the cache
/// write and the append share a slot and run in one script on Redis Cluster; the set
/// <see cref="RegistryKey"/> lists the streams for the replayer.
/// </summary>
internal static class OutboxStreams
{
    public const string RegistryKey = "cg:outbox:streams";

    /// <summary>The ack + delete script: KEYS stream; ARGV group, entry id.</summary>
    public const string AckAndDelete = """
        local n = redis.call('XACK', KEYS[1], ARGV[1], ARGV[2])
        redis.call('XDEL', KEYS[1], ARGV[2])
        return n
        """;

    public static string ForTag(string tag) => "{" + HashSlots.TagForSlot(HashSlots.Of(tag)) + "}:cg:outbox";
}
