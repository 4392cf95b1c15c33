namespace CacheGuard;

/// <summary>
/// Proportional TTL jitter: a TTL of <c>t</c> becomes a uniformly drawn value in
/// <c>[t, t * (1 + fraction)]</c>, so entries written together stop expiring together.
/// </summary>
/// <remarks>
/// Jitter only ever lengthens a TTL: a caller who picked five minutes as "fresh enough" never
/// gets an entry that lives less. Thread-safe; the randomness is injectable for tests.
/// </remarks>
public sealed class TtlJitter
{
    /// <summary>The fraction used when none is given: +0–10%.</summary>
    public const double DefaultFraction = 0.10;

    /// <summary>The largest accepted fraction (doubling the TTL at most).</summary>
    public const double MaxFraction = 1.0;

    private static TtlJitter _shared = new(DefaultFraction);

    private readonly Func<double> _nextUnit;

    /// <summary>Creates a jitter of <paramref name="fraction"/> (0 to 1).</summary>
    /// <param name="fraction">The largest share of the TTL added: 0.1 adds up to 10%.</param>
    /// <param name="nextUnit">A source of uniform doubles in [0, 1); <see cref="Random.Shared"/> when null.</param>
    public TtlJitter(double fraction, Func<double>? nextUnit = null)
    {
        ValidateFraction(fraction);
        Fraction = fraction;
        _nextUnit = nextUnit ?? Random.Shared.NextDouble;
    }

    /// <summary>The jitter every <see cref="CacheTtl"/> call uses; replace it to change the default process-wide.</summary>
    public static TtlJitter Shared
    {
        get => Volatile.Read(ref _shared);
        set => Volatile.Write(ref _shared, value ?? throw new ArgumentNullException(nameof(value)));
    }

    /// <summary>The largest share of a TTL this jitter adds.</summary>
    public double Fraction { get; }

    /// <summary>Returns <paramref name="ttl"/> lengthened by a random share of at most <see cref="Fraction"/>.</summary>
    /// <exception cref="ArgumentOutOfRangeException">The TTL is zero or negative.</exception>
    public TimeSpan Apply(TimeSpan ttl) => Apply(ttl, Fraction);

    /// <summary>Returns <paramref name="ttl"/> lengthened by a random share of at most <paramref name="fraction"/>.</summary>
    /// <exception cref="ArgumentOutOfRangeException">The TTL is zero or negative, or the fraction is outside [0, 1].</exception>
    public TimeSpan Apply(TimeSpan ttl, double fraction)
    {
        if (ttl <= TimeSpan.Zero)
            throw new ArgumentOutOfRangeException(nameof(ttl), ttl, "A cache TTL must be positive.");
        ValidateFraction(fraction);

        var unit = _nextUnit();
        if (!(unit >= 0.0 && unit < 1.0))
            throw new InvalidOperationException($"The jitter's random source returned {unit}; it must return values in [0, 1).");

        // Work in ticks so sub-millisecond TTLs and very long ones both keep their precision;
        // clamp rather than overflow for TTLs near TimeSpan.MaxValue.
        var extra = ttl.Ticks * fraction * unit;
        var ticks = ttl.Ticks + extra;
        return ticks >= TimeSpan.MaxValue.Ticks ? TimeSpan.MaxValue : TimeSpan.FromTicks((long)ticks);
    }

    private static void ValidateFraction(double fraction)
    {
        if (double.IsNaN(fraction) || fraction < 0 || fraction > MaxFraction)
            throw new ArgumentOutOfRangeException(nameof(fraction), fraction, $"The jitter fraction must be between 0 and {MaxFraction}.");
    }
}
