namespace CacheGuard;

/// <summary>One write waiting in the outbox.</summary>
/// <param name="Stream">The outbox stream holding it.</param>
/// <param name="EntryId">The stream entry id.</param>
/// <param name="Key">The cache key written.</param>
/// <param name="Payload">The serialized value.</param>
/// <param name="IdempotencyKey">Unique per write: the database write must apply each key at most once.</param>
public sealed record OutboxEntry(string Stream, string EntryId, string Key, ReadOnlyMemory<byte> Payload, string IdempotencyKey)
{
    /// <summary>Deserializes the payload as <typeparamref name="T"/> (System.Text.Json unless given).</summary>
    public T? Deserialize<T>(ICacheSerializer? serializer = null) => (serializer ?? SystemTextJsonCacheSerializer.Default).Deserialize<T>(Payload.Span);
}

/// <summary>
/// Applies outbox entries to the database. Must be idempotent on <see cref="OutboxEntry.IdempotencyKey"/>:
/// replay is at-least-once (an entry whose writer died after the database write is delivered again).
/// </summary>
public interface IOutboxWriter
{
    /// <summary>Writes the entry to the database; returns only after the write is durable.</summary>
    Task ApplyAsync(OutboxEntry entry, CancellationToken cancellationToken);
}

/// <summary>Options of the outbox replayer.</summary>
public sealed class OutboxOptions
{
    /// <summary>The consumer group every replayer joins. Default "cacheguard-outbox".</summary>
    public string ConsumerGroup { get; set; } = "cacheguard-outbox";

    /// <summary>This replayer's consumer name; unique per process by default.</summary>
    public string ConsumerName { get; set; } = $"{Environment.MachineName}-{Environment.ProcessId}-{Guid.NewGuid():N}";

    /// <summary>Entries read per stream per pass. Default 100.</summary>
    public int BatchSize { get; set; } = 100;

    /// <summary>Pause between passes that found nothing. Default 500 ms.</summary>
    public TimeSpan PollInterval { get; set; } = TimeSpan.FromMilliseconds(500);

    /// <summary>An entry delivered but unacknowledged this long is reclaimed from its (presumed dead) consumer. Default 30 s.</summary>
    public TimeSpan ClaimIdle { get; set; } = TimeSpan.FromSeconds(30);
}
