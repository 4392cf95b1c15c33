namespace CacheGuard.Hybrid;

/// <summary>The HybridCache adapter's one script (constant text; keys through KEYS, data through ARGV).</summary>
internal static class HybridScripts
{
    /// <summary>KEYS[1] = tag set, ARGV[1] = member key, ARGV[2] = TTL ms: add, and make the set live at least that long.</summary>
    public const string AddToTag =
        "redis.call('SADD', KEYS[1], ARGV[1]) " +
        "local t = redis.call('PTTL', KEYS[1]) " +
        "if t == -1 or (t >= 0 and t < tonumber(ARGV[2])) then redis.call('PEXPIRE', KEYS[1], ARGV[2]) end " +
        "return 1";
}
