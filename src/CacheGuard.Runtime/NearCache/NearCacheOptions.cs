using StackExchange.Redis;

namespace CacheGuard;

/// <summary>How the near cache learns that a key changed.</summary>
public enum NearCacheMode
{
    /// <summary>Redis server-assisted client-side caching when the server supports it (Redis 6+ with RESP3 and CLIENT TRACKING); the pub/sub backplane otherwise.</summary>
    Auto = 0,

    /// <summary>Only server-assisted tracking: a node whose server refuses it serves nothing from memory.</summary>
    Tracking = 1,

    /// <summary>Only CacheGuard's own pub/sub backplane (weaker: writes by other clients are not seen; entries live up to their local expiration).</summary>
    Backplane = 2,
}

/// <summary>Options of the in-memory (near) level. See docs/runtime.md, "Near cache".</summary>
public sealed class NearCacheOptions
{
    /// <summary>How invalidations reach this process. Default <see cref="NearCacheMode.Auto"/>.</summary>
    public NearCacheMode Mode { get; set; } = NearCacheMode.Auto;

    /// <summary>Most entries kept in memory; the least recently used (sampled) are evicted past it. Default 10,000.</summary>
    public int MaxEntries { get; set; } = 10_000;

    /// <summary>Most payload bytes kept in memory (the serialized size). Default 64 MiB.</summary>
    public long MaxBytes { get; set; } = 64L * 1024 * 1024;

    /// <summary>Longest an entry stays in memory, also bounded by its Redis TTL. Default 5 minutes.</summary>
    public TimeSpan DefaultLocalExpiration { get; set; } = TimeSpan.FromMinutes(5);

    /// <summary>
    /// Return the same deserialized instance to every caller (as FusionCache does by default; a
    /// caller that mutates it changes what later hits return). Off by default, as in Microsoft's
    /// HybridCache: each hit deserializes its own copy unless the type is immutable by Microsoft's
    /// rule (string, or a sealed class or a struct marked <c>[ImmutableObject(true)]</c>) or a
    /// struct without references (primitives, enums: each caller gets a copy by value anyway).
    /// </summary>
    public bool ShareInstances { get; set; }

    /// <summary>How often each tracked connection is pinged. Default 1 s.</summary>
    public TimeSpan HealthCheckInterval { get; set; } = TimeSpan.FromSeconds(1);

    /// <summary>A ping unanswered this long closes the connection and flushes its entries. Default 3 s.</summary>
    public TimeSpan HealthCheckTimeout { get; set; } = TimeSpan.FromSeconds(3);

    /// <summary>Connect timeout of the tracked connections. Default 5 s.</summary>
    public TimeSpan ConnectTimeout { get; set; } = TimeSpan.FromSeconds(5);

    /// <summary>The pub/sub channel of the backplane. Default <c>cacheguard:near:invalidate</c>.</summary>
    public string BackplaneChannel { get; set; } = "cacheguard:near:invalidate";

    /// <summary>
    /// Credentials/TLS for the tracked connections. Default: taken from the multiplexer's own
    /// configuration (user, password, TLS and TLS host).
    /// </summary>
    public ConfigurationOptions? Connection { get; set; }

    /// <summary>Throws <see cref="ArgumentException"/> for an invalid option.</summary>
    public void Validate()
    {
        if (!Enum.IsDefined(Mode)) throw new ArgumentException("Mode is not a defined NearCacheMode.", nameof(Mode));
        if (MaxEntries < 1) throw new ArgumentException("MaxEntries must be at least 1.", nameof(MaxEntries));
        if (MaxBytes < 1) throw new ArgumentException("MaxBytes must be at least 1.", nameof(MaxBytes));
        if (DefaultLocalExpiration <= TimeSpan.Zero) throw new ArgumentException("DefaultLocalExpiration must be positive.", nameof(DefaultLocalExpiration));
        if (HealthCheckInterval <= TimeSpan.Zero) throw new ArgumentException("HealthCheckInterval must be positive.", nameof(HealthCheckInterval));
        if (HealthCheckTimeout <= TimeSpan.Zero) throw new ArgumentException("HealthCheckTimeout must be positive.", nameof(HealthCheckTimeout));
        if (ConnectTimeout <= TimeSpan.Zero) throw new ArgumentException("ConnectTimeout must be positive.", nameof(ConnectTimeout));
        if (string.IsNullOrEmpty(BackplaneChannel)) throw new ArgumentException("BackplaneChannel is required.", nameof(BackplaneChannel));
    }
}

/// <summary>What the near cache was told, raised as <see cref="NearCache.Invalidated"/>.</summary>
/// <param name="Key">The key, or null when a whole node (or everything) was flushed.</param>
/// <param name="Reason">Why.</param>
public readonly record struct NearCacheInvalidation(string? Key, NearCacheInvalidationReason Reason);

/// <summary>Why entries left the near cache.</summary>
public enum NearCacheInvalidationReason
{
    /// <summary>The server's tracking said the key changed (any client's write, expiry, eviction).</summary>
    Tracking,
    /// <summary>The server's tracking said the whole database changed (FLUSHALL/FLUSHDB).</summary>
    TrackingFlush,
    /// <summary>A CacheGuard backplane message (fallback mode).</summary>
    Backplane,
    /// <summary>This process removed the key.</summary>
    Local,
    /// <summary>A tracked connection was lost, failed its health check or reconnected; or the multiplexer reported a failover or slot move.</summary>
    ConnectionLost,
}

/// <summary>Counters of one near cache (also published as metrics on the CacheGuard meter).</summary>
public sealed class NearCacheStatistics
{
    internal long _localHits, _redisHits, _misses, _invalidations, _flushes, _evictions, _unavailable;

    /// <summary>Reads answered from memory.</summary>
    public long LocalHits => Interlocked.Read(ref _localHits);
    /// <summary>Reads answered by a tracked Redis read (then kept in memory).</summary>
    public long RedisHits => Interlocked.Read(ref _redisHits);
    /// <summary>Tracked reads that found no fresh value.</summary>
    public long Misses => Interlocked.Read(ref _misses);
    /// <summary>Keys invalidated by tracking or the backplane.</summary>
    public long InvalidationsReceived => Interlocked.Read(ref _invalidations);
    /// <summary>Whole-node flushes (connection lost or restored, failover, FLUSHALL).</summary>
    public long Flushes => Interlocked.Read(ref _flushes);
    /// <summary>Entries evicted by the size limits.</summary>
    public long Evictions => Interlocked.Read(ref _evictions);
    /// <summary>Reads that bypassed memory because the key's node had no tracked connection yet.</summary>
    public long Bypassed => Interlocked.Read(ref _unavailable);
}
