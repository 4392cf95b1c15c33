using StackExchange.Redis;

namespace CacheGuard;

/// <summary>
/// The TTLs CacheGuard's code fixes write: every call returns a jittered TTL so entries written
/// together expire apart (hole 1 of the seed article: synchronized expiry).
/// </summary>
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

    /// <summary>
    /// Jitters a StackExchange.Redis <see cref="Expiration"/> built from a relative TTL; other
    /// forms (absolute, keep-TTL, persist, default) are returned unchanged.
    /// </summary>
    public static Expiration Jitter(Expiration expiration) => Jitter(expiration, TtlJitter.Shared.Fraction);

    /// <summary>Jitters a relative <see cref="Expiration"/> by at most <paramref name="fraction"/>.</summary>
    public static Expiration Jitter(Expiration expiration, double fraction)
    {
        // Expiration exposes no accessor for its value; its relative form prints as "EX n" / "PX n".
        var text = expiration.ToString();
        var parts = text.Split(' ');
        if (parts.Length == 2 && long.TryParse(parts[1], out var amount) && amount > 0)
        {
            var ttl = parts[0] switch
            {
                "EX" => TimeSpan.FromSeconds(amount),
                "PX" => TimeSpan.FromMilliseconds(amount),
                _ => (TimeSpan?)null,
            };
            if (ttl is { } relative)
                return new Expiration(TtlJitter.Shared.Apply(relative, fraction));
        }
        return expiration;
    }

    /// <summary>The jittered TTL of a negative ("not found") entry: <see cref="DefaultNegativeTtl"/> plus 0–10%.</summary>
    public static TimeSpan Negative() => TtlJitter.Shared.Apply(DefaultNegativeTtl);

    /// <summary>The jittered TTL of a negative entry of at most <paramref name="ttl"/> (plus jitter).</summary>
    public static TimeSpan Negative(TimeSpan ttl) => TtlJitter.Shared.Apply(ttl);
}
