using StackExchange.Redis;

namespace CacheGuard;

/// <summary>
/// The Redis keys of one cache entry. The value lives at the user's key itself (so a plain
/// <c>KeyDelete</c> still removes it); the lease, fence and outbox keys and the pub/sub channel
/// carry a hash tag that hashes exactly like the user's key, so one Lua script can touch them
/// all on Redis Cluster.
/// </summary>
internal readonly struct EntryKeys
{
    public EntryKeys(RedisKey key)
    {
        Value = key;
        var text = key.ToString() ?? "";
        var tag = HashTagOf(text);
        // A tag shared by several keys ("{user:1}:profile", "{user:1}:orders") or a precomputed
        // slot tag must not make their leases, fences and channels one: such keys get their own
        // suffix (the slot is decided by the leading tag alone).
        var own = tag.Length == text.Length + 2 && tag.AsSpan(1, text.Length).SequenceEqual(text) ? "" : ":" + text;
        Lease = tag + ":cg:lease" + own;
        Fence = tag + ":cg:fence" + own;
        Channel = tag + ":cg:ch" + own;
        Tag = tag;
    }

    public RedisKey Value { get; }
    public string Tag { get; }
    public RedisKey Lease { get; }
    public RedisKey Fence { get; }
    public string Channel { get; }

    /// <summary>
    /// A "{tag}" whose hash slot equals <paramref name="key"/>'s: the key's own non-empty tag, else
    /// the whole key in braces, else (when the key contains '}' and no tag, so it can't be wrapped)
    /// a short string precomputed to land in the same slot.
    /// </summary>
    public static string HashTagOf(string key)
    {
        var open = key.IndexOf('{');
        if (open >= 0)
        {
            var close = key.IndexOf('}', open + 1);
            if (close > open + 1)
                return string.Concat("{", key.AsSpan(open + 1, close - open - 1), "}");
        }
        if (!key.Contains('}'))
            return "{" + key + "}";
        return "{" + HashSlots.TagForSlot(HashSlots.Of(key)) + "}";
    }
}
