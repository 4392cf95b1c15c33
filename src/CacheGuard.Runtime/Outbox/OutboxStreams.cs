namespace CacheGuard;

/// <summary>
/// Outbox layout: one Redis Stream per hash slot in use, <c>{slot-tag}:cg:outbox</c>, so the cache
/// write and the append share a slot and run in one script on Redis Cluster; the set
/// <see cref="RegistryKey"/> lists the streams for the replayer.
/// </summary>
internal static class OutboxStreams
{
    public const string RegistryKey = "cg:outbox:streams";

    /// <summary>After the writer returned: KEYS stream, attempts hash; ARGV entry id.</summary>
    public const string Applied = """
        redis.call('HDEL', KEYS[2], ARGV[1])
        return redis.call('XDEL', KEYS[1], ARGV[1])
        """;

    /// <summary>
    /// After the writer failed: KEYS stream, attempts hash, dead-letter stream; ARGV entry id, max
    /// attempts, error text. Counts the attempt; at the limit moves the entry to the dead letters.
    /// Returns { attempts, 1 when dead-lettered }.
    /// </summary>
    public const string Failed = """
        local n = redis.call('HINCRBY', KEYS[2], ARGV[1], 1)
        if n < tonumber(ARGV[2]) then return { n, 0 } end
        local e = redis.call('XRANGE', KEYS[1], ARGV[1], ARGV[1])
        if #e == 1 then
          local f = e[1][2]
          table.insert(f, 'id'); table.insert(f, ARGV[1])
          table.insert(f, 'attempts'); table.insert(f, tostring(n))
          table.insert(f, 'error'); table.insert(f, ARGV[3])
          redis.call('XADD', KEYS[3], '*', unpack(f))
        end
        redis.call('XDEL', KEYS[1], ARGV[1])
        redis.call('HDEL', KEYS[2], ARGV[1])
        return { n, 1 }
        """;

    /// <summary>Entry ids are unique within a stream only: the default idempotency key names the stream too.</summary>
    public static string DefaultIdempotencyKey(string stream, string entryId) => stream + "/" + entryId;

    public static string AttemptsOf(string stream) => stream + ":attempts";

    public static string DeadLetterOf(string stream) => stream + ":dead";

    public static string ForTag(string tag) => "{" + HashSlots.TagForSlot(HashSlots.Of(tag)) + "}:cg:outbox";
}
