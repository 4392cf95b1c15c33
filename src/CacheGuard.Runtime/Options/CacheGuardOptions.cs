using Microsoft.Extensions.Logging;

namespace CacheGuard;

/// <summary>What a caller gets when the wait for another node's factory run passes its deadline.</summary>
public enum WaitDeadlineBehavior
{
    /// <summary>Run the factory in this process (its populate is still fenced). The default: an answer beats an error.</summary>
    RunFactoryLocally = 0,

    /// <summary>Throw <see cref="CacheWaitTimeoutException"/>: protects a fragile database at the cost of failing the call.</summary>
    Throw = 1,
}

/// <summary>
/// Defaults for every CacheGuard operation on one connection. Configure with
/// <c>services.AddCacheGuard(o =&gt; ...)</c> or <see cref="CacheGuardDatabaseExtensions.Configure"/>;
/// <see cref="CacheEntryOptions"/> overrides them per call. See docs/runtime.md for why each default is what it is.
/// </summary>
public sealed class CacheGuardOptions
{
    /// <summary>Fresh TTL when a call gives none. Default 5 minutes.</summary>
    public TimeSpan DefaultTtl { get; set; } = TimeSpan.FromMinutes(5);

    /// <summary>
    /// The stale window as a share of the fresh TTL when a call gives none: an entry is served
    /// fresh for its TTL, then served stale (with one background refresh) for this share of it.
    /// Default 0.5; 0 turns stale-while-revalidate off.
    /// </summary>
    public double DefaultStaleRatio { get; set; } = 0.5;

    /// <summary>TTL of a negative ("not found") entry. Default <see cref="CacheTtl.DefaultNegativeTtl"/> (30 s).</summary>
    public TimeSpan NegativeTtl { get; set; } = CacheTtl.DefaultNegativeTtl;

    /// <summary>A negative entry lives at most this share of the positive TTL. Default 0.1.</summary>
    public double NegativeTtlMaxRatio { get; set; } = 0.1;

    /// <summary>Whether a factory returning <c>null</c> is cached as a negative entry. Default true.</summary>
    public bool CacheNegativeResults { get; set; } = true;

    /// <summary>TTL of the cross-process lease; renewed every third of it while the factory runs. Default 10 s.</summary>
    public TimeSpan LeaseTtl { get; set; } = TimeSpan.FromSeconds(10);

    /// <summary>
    /// How long a caller without a stale value waits for another node's factory run. Default null:
    /// derived, <see cref="FactoryTimeout"/> + <see cref="LeaseTtl"/> counted from when the current
    /// lease holder was first seen (a new holder restarts it), so a caller never gives up on a leader
    /// that is alive and renewing. Set it only to fail (or run locally) sooner on purpose.
    /// </summary>
    public TimeSpan? WaitDeadline { get; set; }

    /// <summary>What happens at <see cref="WaitDeadline"/>. Default <see cref="WaitDeadlineBehavior.RunFactoryLocally"/>.</summary>
    public WaitDeadlineBehavior OnWaitDeadline { get; set; } = WaitDeadlineBehavior.RunFactoryLocally;

    /// <summary>
    /// The hard timeout: a factory still running after this is cancelled through its token and
    /// abandoned (the caller gets <see cref="CacheFactoryTimeoutException"/>; the abandoned run is
    /// observed and logged, event 1010). Held for synchronous factories and for async ones that
    /// block before their first await. Default 30 s.
    /// </summary>
    public TimeSpan FactoryTimeout { get; set; } = TimeSpan.FromSeconds(30);

    /// <summary>
    /// The soft timeout: when a stale copy exists, the caller waits this long for the refresh,
    /// then gets the stale value while the refresh finishes in the background (up to
    /// <see cref="FactoryTimeout"/>) and populates. Default null: a stale entry is answered at once
    /// and refreshed in the background (stale-while-revalidate).
    /// </summary>
    public TimeSpan? FactorySoftTimeout { get; set; }

    /// <summary>Average interval of the waiters' polling fallback (jittered ±50%). Default 100 ms.</summary>
    public TimeSpan PollInterval { get; set; } = TimeSpan.FromMilliseconds(100);

    /// <summary>TTL jitter share applied to every write; null uses <see cref="TtlJitter.Shared"/> (10%).</summary>
    public double? JitterFraction { get; set; }

    /// <summary>
    /// How long an invalidation fence lives; a populate whose factory started longer ago than this
    /// is discarded. Must exceed <see cref="FactoryTimeout"/>. Default 2 minutes.
    /// </summary>
    public TimeSpan FenceTtl { get; set; } = TimeSpan.FromMinutes(2);

    /// <summary>
    /// Serve the last value this process saw when Redis fails (never on a factory failure or
    /// timeout, never written back to Redis). A generation is served at most its fresh + stale life
    /// after this process first saw it; a "not found" at most its negative TTL. Default true.
    /// </summary>
    public bool FailSafe { get; set; } = true;

    /// <summary>How many last-known values the fail-safe keeps in memory. Default 10,000.</summary>
    public int FailSafeMaxEntries { get; set; } = 10_000;

    /// <summary>Throw Redis failures to the caller instead of falling back. Default false.</summary>
    public bool ThrowOnRedisFailure { get; set; }

    /// <summary>Consecutive Redis failures that open the circuit breaker. Default 5.</summary>
    public int CircuitBreakerThreshold { get; set; } = 5;

    /// <summary>How long an open breaker skips Redis before one probe call is let through. Default 5 s.</summary>
    public TimeSpan CircuitBreakerDuration { get; set; } = TimeSpan.FromSeconds(5);

    /// <summary>Attempts per invalidation before it is reported as failed. Default 3.</summary>
    public int InvalidationAttempts { get; set; } = 3;

    /// <summary>Delay before the first invalidation retry, doubled each retry. Default 50 ms.</summary>
    public TimeSpan InvalidationRetryDelay { get; set; } = TimeSpan.FromMilliseconds(50);

    /// <summary>Throw <see cref="CacheInvalidationException"/> when an invalidation finally fails. Default false (inspect the result).</summary>
    public bool ThrowOnInvalidationFailure { get; set; }

    /// <summary>
    /// Replicas that must acknowledge an invalidation (Redis <c>WAIT</c>) before it counts as
    /// succeeded; 0 (default) waits for none. Narrows, but can't close, the window in which a
    /// failover to a replica that missed the fence lets an older populate land (docs/runtime.md).
    /// </summary>
    public int InvalidationReplicas { get; set; }

    /// <summary>How long an invalidation waits for <see cref="InvalidationReplicas"/>. Default 1 s.</summary>
    public TimeSpan InvalidationReplicaTimeout { get; set; } = TimeSpan.FromSeconds(1);

    /// <summary>The database <see cref="ICacheGuard"/> uses; null (default) is the connection's default database.</summary>
    public int? Database { get; set; }

    /// <summary>Put the cache key in trace tags (<c>cacheguard.key</c>). Default false: keys can carry personal data.</summary>
    public bool TraceKeys { get; set; }

    /// <summary>The payload serializer. Default <see cref="SystemTextJsonCacheSerializer"/>.</summary>
    public ICacheSerializer Serializer { get; set; } = SystemTextJsonCacheSerializer.Default;

    /// <summary>Where log events go; none when null.</summary>
    public ILoggerFactory? LoggerFactory { get; set; }

    internal TestHooks Hooks { get; } = new();

    /// <summary>Checks the options for values that would break the guarantees.</summary>
    /// <exception cref="ArgumentException">An option is out of range.</exception>
    public void Validate()
    {
        Positive(DefaultTtl, nameof(DefaultTtl));
        Positive(NegativeTtl, nameof(NegativeTtl));
        Positive(LeaseTtl, nameof(LeaseTtl));
        if (WaitDeadline is { } w) Positive(w, nameof(WaitDeadline));
        if (FactorySoftTimeout is { } soft) Positive(soft, nameof(FactorySoftTimeout));
        if (InvalidationReplicas < 0) throw new ArgumentException("InvalidationReplicas must be 0 or more.", nameof(InvalidationReplicas));
        Positive(InvalidationReplicaTimeout, nameof(InvalidationReplicaTimeout));
        Positive(FactoryTimeout, nameof(FactoryTimeout));
        Positive(PollInterval, nameof(PollInterval));
        Positive(CircuitBreakerDuration, nameof(CircuitBreakerDuration));
        if (DefaultTtl > ResolvedEntryOptions.MaxTtl) throw new ArgumentException($"DefaultTtl must be at most {ResolvedEntryOptions.MaxTtl.TotalDays} days.", nameof(DefaultTtl));
        Positive(FenceTtl, nameof(FenceTtl));
        if (InvalidationRetryDelay < TimeSpan.Zero) throw new ArgumentException("InvalidationRetryDelay must be zero or positive.", nameof(InvalidationRetryDelay));
        if (!double.IsFinite(DefaultStaleRatio) || DefaultStaleRatio < 0) throw new ArgumentException("DefaultStaleRatio must be a finite number, 0 or more.", nameof(DefaultStaleRatio));
        if (JitterFraction is { } j && (double.IsNaN(j) || j < 0 || j > TtlJitter.MaxFraction)) throw new ArgumentException($"JitterFraction must be between 0 and {TtlJitter.MaxFraction}.", nameof(JitterFraction));
        if (!Enum.IsDefined(OnWaitDeadline)) throw new ArgumentException("OnWaitDeadline is not a defined WaitDeadlineBehavior.", nameof(OnWaitDeadline));
        if (FailSafeMaxEntries < 0) throw new ArgumentException("FailSafeMaxEntries must be 0 or more.", nameof(FailSafeMaxEntries));
        if (double.IsNaN(NegativeTtlMaxRatio) || NegativeTtlMaxRatio <= 0 || NegativeTtlMaxRatio > 1) throw new ArgumentException("NegativeTtlMaxRatio must be in (0, 1].", nameof(NegativeTtlMaxRatio));
        if (FenceTtl <= FactoryTimeout) throw new ArgumentException("FenceTtl must outlive FactoryTimeout, or a slow populate could land after its fence expired.", nameof(FenceTtl));
        if (InvalidationAttempts < 1) throw new ArgumentException("InvalidationAttempts must be at least 1.", nameof(InvalidationAttempts));
        if (CircuitBreakerThreshold < 1) throw new ArgumentException("CircuitBreakerThreshold must be at least 1.", nameof(CircuitBreakerThreshold));
        if (Serializer is null) throw new ArgumentException("Serializer is required.", nameof(Serializer));
    }

    private static void Positive(TimeSpan value, string name)
    {
        if (value <= TimeSpan.Zero) throw new ArgumentException($"{name} must be positive.", name);
    }
}

/// <summary>Seams the tests use to inject faults; not public API.</summary>
internal sealed class TestHooks
{
    /// <summary>When it returns true, a pub/sub wake-up is dropped (simulates a lost message).</summary>
    public Func<bool>? DropWakeUp { get; set; }
}
