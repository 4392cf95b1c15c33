using System.Diagnostics;
using System.Diagnostics.Metrics;

namespace CacheGuard;

/// <summary>The <see cref="Meter"/> and <see cref="ActivitySource"/> named "CacheGuard" and their instruments.</summary>
public static class CacheGuardTelemetry
{
    /// <summary>The name of the meter and the activity source.</summary>
    public const string Name = "CacheGuard";

    /// <summary>The activity source: one activity per get-or-set, invalidation and outbox batch.</summary>
    public static readonly ActivitySource ActivitySource = new(Name);

    /// <summary>The meter.</summary>
    public static readonly Meter Meter = new(Name);

    internal static readonly Counter<long> Hits = Meter.CreateCounter<long>("cacheguard.hits", description: "Reads answered by a fresh entry (positive or negative).");
    internal static readonly Counter<long> Misses = Meter.CreateCounter<long>("cacheguard.misses", description: "Reads that found no usable entry.");
    internal static readonly Counter<long> StaleServed = Meter.CreateCounter<long>("cacheguard.stale_served", description: "Reads answered by a stale entry while it is refreshed.");
    internal static readonly Counter<long> FactoryRuns = Meter.CreateCounter<long>("cacheguard.factory_runs", description: "Factory invocations.");
    internal static readonly Counter<long> LeaseWaits = Meter.CreateCounter<long>("cacheguard.lease_waits", description: "Times a caller waited for another node's factory run.");
    internal static readonly Counter<long> LeaseLost = Meter.CreateCounter<long>("cacheguard.lease_lost", description: "Leases that expired or were taken over while held.");
    internal static readonly Counter<long> Fallbacks = Meter.CreateCounter<long>("cacheguard.fallbacks", description: "Answers given without Redis (factory or last known value).");
    internal static readonly Counter<long> Errors = Meter.CreateCounter<long>("cacheguard.errors", description: "Redis errors seen.");
    internal static readonly Counter<long> Fenced = Meter.CreateCounter<long>("cacheguard.populates_fenced", description: "Populates refused because an invalidation happened after their factory started.");
    internal static readonly Counter<long> InvalidationFailures = Meter.CreateCounter<long>("cacheguard.invalidation_failures", description: "Keys whose invalidation failed after every retry.");
    internal static readonly Counter<long> OutboxApplied = Meter.CreateCounter<long>("cacheguard.outbox.applied", description: "Outbox entries applied to the database and acknowledged.");

    internal static readonly Counter<long> FactoryTimeouts = Meter.CreateCounter<long>("cacheguard.factory_timeouts", description: "Factory runs abandoned at the hard timeout.");
    internal static readonly Counter<long> OutboxDeadLettered = Meter.CreateCounter<long>("cacheguard.outbox.dead_lettered", description: "Outbox entries moved to the dead-letter stream after too many failed attempts.");

    private static long _outboxLag;

    internal static readonly ObservableGauge<long> OutboxLag = Meter.CreateObservableGauge("cacheguard.outbox.lag", () => Interlocked.Read(ref _outboxLag), description: "Outbox entries not yet applied to the database.");

    internal static void SetOutboxLag(long lag) => Interlocked.Exchange(ref _outboxLag, lag);
}
