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

    /// <summary>How long to wait for another node's factory run (null: derived from the lease and factory timeout).</summary>
    public TimeSpan? WaitDeadline { get; init; }

    /// <summary>What happens at the wait deadline.</summary>
    public WaitDeadlineBehavior? OnWaitDeadline { get; init; }

    /// <summary>Hard limit of one factory run; the factory's token is cancelled after it.</summary>
    public TimeSpan? FactoryTimeout { get; init; }

    /// <summary>Soft timeout: with a stale copy, wait this long for the refresh, then answer stale.</summary>
    public TimeSpan? FactorySoftTimeout { get; init; }

    /// <summary>TTL jitter share (0 to 1).</summary>
    public double? JitterFraction { get; init; }

    /// <summary>Options with only a fresh TTL set.</summary>
    public static CacheEntryOptions FromTtl(TimeSpan ttl) => new() { Ttl = ttl };
}

/// <summary>The merged options of one call.</summary>
internal readonly record struct ResolvedEntryOptions(
    TimeSpan Ttl, TimeSpan StaleWindow, TimeSpan NegativeTtl, bool CacheNegative, TimeSpan LeaseTtl,
    TimeSpan? WaitDeadline, WaitDeadlineBehavior OnWaitDeadline, TimeSpan FactoryTimeout, TimeSpan? SoftTimeout, double JitterFraction)
{
    /// <summary>The longest TTL (fresh or stale) CacheGuard accepts; longer ones would overflow TTL arithmetic.</summary>
    public static readonly TimeSpan MaxTtl = TimeSpan.FromDays(3650);

    /// <summary>Checks a TTL given directly to a public method.</summary>
    public static void ValidateTtl(TimeSpan ttl, string paramName)
    {
        if (ttl <= TimeSpan.Zero || ttl > MaxTtl)
            throw new ArgumentOutOfRangeException(paramName, ttl, $"A cache TTL must be positive and at most {MaxTtl.TotalDays} days.");
    }

    /// <summary>
    /// The wait deadline in effect: the explicit one, else the factory timeout plus one lease TTL
    /// (a live leader finishes or gives up within the first; a dead one's lease lapses within the second).
    /// </summary>
    public TimeSpan EffectiveWaitDeadline => WaitDeadline ?? FactoryTimeout + LeaseTtl;

    public static ResolvedEntryOptions Resolve(CacheGuardOptions d, CacheEntryOptions? o, string paramName = "options", TimeSpan? ttlOverride = null)
    {
        var ttl = o?.Ttl ?? ttlOverride ?? d.DefaultTtl;
        if (ttl <= TimeSpan.Zero || ttl > MaxTtl)
            throw new ArgumentOutOfRangeException(paramName, ttl, $"CacheEntryOptions.Ttl must be positive and at most {MaxTtl.TotalDays} days.");
        if (o?.StaleWindow is { } s && (s < TimeSpan.Zero || s > MaxTtl))
            throw new ArgumentOutOfRangeException(paramName, s, $"CacheEntryOptions.StaleWindow must be zero (no stale-while-revalidate) or positive, and at most {MaxTtl.TotalDays} days.");
        if (o?.NegativeTtl is { } n && n <= TimeSpan.Zero)
            throw new ArgumentOutOfRangeException(paramName, n, "CacheEntryOptions.NegativeTtl must be positive (set CacheNegativeResults = false to cache no negatives).");
        if (o?.LeaseTtl is { } l && l <= TimeSpan.Zero)
            throw new ArgumentOutOfRangeException(paramName, l, "CacheEntryOptions.LeaseTtl must be positive.");
        if (o?.WaitDeadline is { } w && w <= TimeSpan.Zero)
            throw new ArgumentOutOfRangeException(paramName, w, "CacheEntryOptions.WaitDeadline must be positive.");
        if (o?.OnWaitDeadline is { } b && !Enum.IsDefined(b))
            throw new ArgumentOutOfRangeException(paramName, b, "CacheEntryOptions.OnWaitDeadline is not a defined WaitDeadlineBehavior.");
        if (o?.FactorySoftTimeout is { } st && st <= TimeSpan.Zero)
            throw new ArgumentOutOfRangeException(paramName, st, "CacheEntryOptions.FactorySoftTimeout must be positive.");
        if (o?.JitterFraction is { } j && (double.IsNaN(j) || j < 0 || j > TtlJitter.MaxFraction))
            throw new ArgumentOutOfRangeException(paramName, j, $"CacheEntryOptions.JitterFraction must be between 0 and {TtlJitter.MaxFraction}.");
        var stale = o?.StaleWindow ?? TimeSpan.FromTicks((long)(ttl.Ticks * d.DefaultStaleRatio));
        var negative = o?.NegativeTtl ?? d.NegativeTtl;
        var negativeCap = TimeSpan.FromTicks((long)(ttl.Ticks * d.NegativeTtlMaxRatio));
        if (negative > negativeCap) negative = negativeCap;
        if (negative < TimeSpan.FromMilliseconds(1)) negative = TimeSpan.FromMilliseconds(1);
        var factoryTimeout = o?.FactoryTimeout ?? d.FactoryTimeout;
        if (factoryTimeout <= TimeSpan.Zero || factoryTimeout >= d.FenceTtl)
            throw new ArgumentOutOfRangeException(paramName, factoryTimeout, "FactoryTimeout must be positive and shorter than CacheGuardOptions.FenceTtl, or its populate would always be refused as too old.");
        return new ResolvedEntryOptions(
            ttl,
            stale < TimeSpan.Zero ? TimeSpan.Zero : stale > MaxTtl ? MaxTtl : stale,
            negative,
            o?.CacheNegativeResults ?? d.CacheNegativeResults,
            o?.LeaseTtl ?? d.LeaseTtl,
            o?.WaitDeadline ?? d.WaitDeadline,
            o?.OnWaitDeadline ?? d.OnWaitDeadline,
            factoryTimeout,
            o?.FactorySoftTimeout ?? d.FactorySoftTimeout,
            o?.JitterFraction ?? d.JitterFraction ?? TtlJitter.Shared.Fraction);
    }
}
