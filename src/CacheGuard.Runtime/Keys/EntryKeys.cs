using StackExchange.Redis;

namespace CacheGuard;

/// <summary>
/// The Redis names of one cache entry, derived from the key Redis sees (a key prefix included).
/// The value lives at that key itself as the serializer's plain bytes; everything else lives in
/// sibling keys in the same hash slot (so one Lua script can touch them all on Redis Cluster).
/// Built only on the miss/write paths: a fresh hit never needs them. See docs/runtime.md "Wire format".
/// </summary>
internal readonly struct EntryKeys
{
    public EntryKeys(RedisKey key)
    {
        Value = key;
        var text = key.ToString() ?? "";
        Tag = HashTagOf(text);
        var stem = StemOf(text, Tag);
        Stale = stem + ":cg:stale";
        Negative = stem + ":cg:neg";
        Version = stem + ":cg:ver";
        Fence = stem + ":cg:fence";
        Lease = stem + ":cg:lease";
        Channel = stem + ":cg:ch";
    }

    /// <summary>The key itself: the plain serialized value, PX = the fresh TTL.</summary>
    public RedisKey Value { get; }
    /// <summary>"{...}" whose slot equals the key's.</summary>
    public string Tag { get; }
    /// <summary>A copy of the value kept for the stale window (PX = fresh + stale).</summary>
    public RedisKey Stale { get; }
    /// <summary>A cached "not found" (never stored at the key itself).</summary>
    public RedisKey Negative { get; }
    /// <summary>The version of the cached value, when one was given.</summary>
    public RedisKey Version { get; }
    /// <summary>The fence token a populate must still find.</summary>
    public RedisKey Fence { get; }
    /// <summary>The single-flight lease.</summary>
    public RedisKey Lease { get; }
    /// <summary>The pub/sub channel waiters listen on.</summary>
    public string Channel { get; }

    /// <summary>
    /// The prefix of every sibling: the key itself when it carries a valid hash tag, "{key}" when it
    /// has no '}', else a precomputed slot tag plus the key (so siblings never collide across keys).
    /// </summary>
    private static string StemOf(string key, string tag)
    {
        if (HasValidTag(key)) return key;
        if (!key.Contains('}')) return tag;
        return tag + ":" + key;
    }

    private static bool HasValidTag(string key)
    {
        var open = key.IndexOf('{');
        if (open < 0) return false;
        var close = key.IndexOf('}', open + 1);
        return close > open + 1;
    }

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
