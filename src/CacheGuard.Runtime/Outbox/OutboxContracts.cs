namespace CacheGuard;

/// <summary>One write waiting in the outbox.</summary>
/// <param name="Stream">The outbox stream holding it.</param>
/// <param name="EntryId">The stream entry id.</param>
/// <param name="Key">The cache key written.</param>
/// <param name="Payload">The serialized value.</param>
/// <param name="IdempotencyKey">Unique per write: the one given to <c>WriteBehindAsync</c>, else
/// <c>&lt;stream&gt;/&lt;entry id&gt;</c> (entry ids are unique within their stream only). The database
/// write must apply each idempotency key at most once.</param>
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
    /// <summary>
    /// The replayer group: replayers with the same group share the outbox (one of them owns a
    /// stream at a time, through a lease on it). Default "cacheguard-outbox".
    /// </summary>
    public string ConsumerGroup { get; set; } = "cacheguard-outbox";

    /// <summary>This replayer's name (logs); unique per process by default.</summary>
    public string ConsumerName { get; set; } = $"{Environment.MachineName}-{Environment.ProcessId}-{Guid.NewGuid():N}";

    /// <summary>The database the outbox lives in (the one <c>WriteBehindAsync</c> was called on); null = the connection's default.</summary>
    public int? Database { get; set; }

    /// <summary>Entries read per stream per pass. Default 100.</summary>
    public int BatchSize { get; set; } = 100;

    /// <summary>Pause between passes that found nothing. Default 500 ms.</summary>
    public TimeSpan PollInterval { get; set; } = TimeSpan.FromMilliseconds(500);

    /// <summary>
    /// TTL of a replayer's lease on a stream (renewed every third of it while the replayer works):
    /// a replayer that died or paused this long loses the stream to another one. Default 30 s.
    /// </summary>
    public TimeSpan ClaimIdle { get; set; } = TimeSpan.FromSeconds(30);

    /// <summary>
    /// Failed attempts after which an entry is moved to the stream's dead-letter stream
    /// (<c>{slot}:cg:outbox:dead</c>), logged (3004) and counted (<c>cacheguard.outbox.dead_lettered</c>);
    /// later writes of its key then proceed. Default 10.
    /// </summary>
    public int MaxAttempts { get; set; } = 10;
}
