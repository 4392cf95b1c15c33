using System.Diagnostics.Metrics;

namespace CacheGuard.NearCaching;

/// <summary>Near-cache instruments on the CacheGuard meter. The <c>level</c> tag of hits is <c>memory</c> or <c>redis</c>.</summary>
internal static class NearCacheTelemetry
{
    public static readonly Counter<long> Hits = CacheGuardTelemetry.Meter.CreateCounter<long>("cacheguard.near.hits", description: "Near-cache reads answered, tagged by level (memory, redis).");
    public static readonly Counter<long> Misses = CacheGuardTelemetry.Meter.CreateCounter<long>("cacheguard.near.misses", description: "Near-cache tracked reads that found no fresh value.");
    public static readonly Counter<long> Invalidations = CacheGuardTelemetry.Meter.CreateCounter<long>("cacheguard.near.invalidations", description: "Invalidations received, tagged by source (tracking, backplane).");
    public static readonly Counter<long> Flushes = CacheGuardTelemetry.Meter.CreateCounter<long>("cacheguard.near.flushes", description: "Whole-node flushes of the near cache (connection lost/restored, failover, FLUSHALL).");
    public static readonly Counter<long> Evictions = CacheGuardTelemetry.Meter.CreateCounter<long>("cacheguard.near.evictions", description: "Near-cache entries evicted by the size limits.");

    public static readonly KeyValuePair<string, object?> Memory = new("level", "memory");
    public static readonly KeyValuePair<string, object?> Redis = new("level", "redis");
    public static readonly KeyValuePair<string, object?> Tracking = new("source", "tracking");
    public static readonly KeyValuePair<string, object?> Backplane = new("source", "backplane");
}
