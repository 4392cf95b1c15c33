namespace CacheGuard;

/// <summary>
/// The TTLs CacheGuard's code fixes write: every call returns a jittered TTL so entries written
/// together expire apart (hole 1 of the seed article: synchronized expiry).
/// </summary>
/// <remarks>
/// StackExchange.Redis 3.x's <c>Expiration</c> converts from a <see cref="TimeSpan"/>: pass
/// <c>CacheTtl.Jitter(ttl)</c> where an <c>Expiration</c> is expected, or write
/// <c>new Expiration(CacheTtl.Jitter(ttl))</c>. There is no <c>Jitter(Expiration)</c> overload:
/// the runtime is compiled against StackExchange.Redis 2.7, which has no such type, so that
/// 2.x consumers keep compiling.
/// </remarks>
public static class CacheTtl
{
    /// <summary>
    /// The default TTL of a negative ("not found") entry: 30 seconds, long enough to absorb a scan
    /// of missing ids, short enough that a create is visible quickly.
    /// </summary>
    public static readonly TimeSpan DefaultNegativeTtl = TimeSpan.FromSeconds(30);

    /// <summary>Returns <paramref name="ttl"/> plus 0–10% (or <see cref="TtlJitter.Shared"/>'s fraction).</summary>
    public static TimeSpan Jitter(TimeSpan ttl) => TtlJitter.Shared.Apply(ttl);

    /// <summary>Returns <paramref name="ttl"/> plus a random share of at most <paramref name="fraction"/> (0 to 1).</summary>
    public static TimeSpan Jitter(TimeSpan ttl, double fraction) => TtlJitter.Shared.Apply(ttl, fraction);

    /// <summary>Jitters a TTL that may be absent: <c>null</c> (no expiry) stays <c>null</c>.</summary>
    public static TimeSpan? Jitter(TimeSpan? ttl) => ttl is { } t ? TtlJitter.Shared.Apply(t) : null;

    /// <summary>Jitters a TTL that may be absent: <c>null</c> (no expiry) stays <c>null</c>.</summary>
    public static TimeSpan? Jitter(TimeSpan? ttl, double fraction) => ttl is { } t ? TtlJitter.Shared.Apply(t, fraction) : null;

    /// <summary>The jittered TTL of a negative ("not found") entry: <see cref="DefaultNegativeTtl"/> plus 0–10%.</summary>
    public static TimeSpan Negative() => TtlJitter.Shared.Apply(DefaultNegativeTtl);

    /// <summary>The jittered TTL of a negative entry of at most <paramref name="ttl"/> (plus jitter).</summary>
    public static TimeSpan Negative(TimeSpan ttl) => TtlJitter.Shared.Apply(ttl);
}
