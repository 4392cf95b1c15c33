namespace CacheGuard;

/// <summary>Per-call overrides of <see cref="CacheGuardOptions"/>; every unset property takes the connection's default.</summary>
public sealed class CacheEntryOptions
{
    /// <summary>Fresh TTL (before jitter).</summary>
    public TimeSpan? Ttl { get; init; }

    /// <summary>Stale window after the fresh TTL; <see cref="TimeSpan.Zero"/> turns stale-while-revalidate off.</summary>
    public TimeSpan? StaleWindow { get; init; }

    /// <summary>TTL of a negative entry (capped at a tenth of <see cref="Ttl"/> by default).</summary>
    public TimeSpan? NegativeTtl { get; init; }

    /// <summary>Whether a null result is cached as a negative entry.</summary>
    public bool? CacheNegativeResults { get; init; }

    /// <summary>TTL of the cross-process lease.</summary>
    public TimeSpan? LeaseTtl { get; init; }

    /// <summary>How long to wait for another node's factory run.</summary>
    public TimeSpan? WaitDeadline { get; init; }

    /// <summary>What happens at the wait deadline.</summary>
    public WaitDeadlineBehavior? OnWaitDeadline { get; init; }

    /// <summary>Hard limit of one factory run; the factory's token is cancelled after it.</summary>
    public TimeSpan? FactoryTimeout { get; init; }

    /// <summary>TTL jitter share (0 to 1).</summary>
    public double? JitterFraction { get; init; }

    /// <summary>Options with only a fresh TTL set.</summary>
    public static CacheEntryOptions FromTtl(TimeSpan ttl) => new() { Ttl = ttl };
}

/// <summary>The merged options of one call.</summary>
internal readonly record struct ResolvedEntryOptions(
    TimeSpan Ttl, TimeSpan StaleWindow, TimeSpan NegativeTtl, bool CacheNegative, TimeSpan LeaseTtl,
    TimeSpan WaitDeadline, WaitDeadlineBehavior OnWaitDeadline, TimeSpan FactoryTimeout, double JitterFraction)
{
    public static ResolvedEntryOptions Resolve(CacheGuardOptions d, CacheEntryOptions? o)
    {
        var ttl = o?.Ttl ?? d.DefaultTtl;
        if (ttl <= TimeSpan.Zero) throw new ArgumentOutOfRangeException(nameof(o), ttl, "A cache TTL must be positive.");
        var stale = o?.StaleWindow ?? TimeSpan.FromTicks((long)(ttl.Ticks * d.DefaultStaleRatio));
        var negative = o?.NegativeTtl ?? d.NegativeTtl;
        var negativeCap = TimeSpan.FromTicks((long)(ttl.Ticks * d.NegativeTtlMaxRatio));
        if (negative > negativeCap) negative = negativeCap;
        if (negative < TimeSpan.FromMilliseconds(1)) negative = TimeSpan.FromMilliseconds(1);
        var factoryTimeout = o?.FactoryTimeout ?? d.FactoryTimeout;
        if (factoryTimeout <= TimeSpan.Zero || factoryTimeout >= d.FenceTtl)
            throw new ArgumentOutOfRangeException(nameof(o), factoryTimeout, "FactoryTimeout must be positive and shorter than CacheGuardOptions.FenceTtl, or its populate would always be refused as too old.");
        return new ResolvedEntryOptions(
            ttl,
            stale < TimeSpan.Zero ? TimeSpan.Zero : stale,
            negative,
            o?.CacheNegativeResults ?? d.CacheNegativeResults,
            o?.LeaseTtl ?? d.LeaseTtl,
            o?.WaitDeadline ?? d.WaitDeadline,
            o?.OnWaitDeadline ?? d.OnWaitDeadline,
            factoryTimeout,
            o?.JitterFraction ?? d.JitterFraction ?? TtlJitter.Shared.Fraction);
    }
}
