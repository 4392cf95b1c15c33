using Microsoft.Extensions.Logging;
using Microsoft.Extensions.Logging.Abstractions;
using StackExchange.Redis;

namespace CacheGuard;

/// <summary>
/// Replays the write-behind outbox into the database. Per outbox stream, one replayer at a time
/// (a lease on the stream) reads the entries in stream order and applies them with the user's
/// idempotent <see cref="IOutboxWriter"/>, deleting each only after the writer returned. Per key,
/// order is kept: a failed entry holds back every later entry of its key until it succeeds or,
/// after <see cref="OutboxOptions.MaxAttempts"/>, moves to the dead-letter stream. One failing stream
/// never stops the others. Streams are found through the registry set and, when it is empty or
/// lost, by scanning the masters.
/// </summary>
public sealed class OutboxReplayer
{
    private readonly IConnectionMultiplexer _multiplexer;
    private readonly IOutboxWriter _writer;
    private readonly OutboxOptions _options;
    private readonly ILogger _logger;
    private readonly HashSet<string> _known = new();
    private bool _scanned;
    private long _lag = -1;

    /// <summary>Creates a replayer.</summary>
    public OutboxReplayer(IConnectionMultiplexer multiplexer, IOutboxWriter writer, OutboxOptions? options = null, ILogger? logger = null)
    {
        _multiplexer = multiplexer ?? throw new ArgumentNullException(nameof(multiplexer));
        _writer = writer ?? throw new ArgumentNullException(nameof(writer));
        _options = options ?? new OutboxOptions();
        if (_options.MaxAttempts < 1) throw new ArgumentOutOfRangeException(nameof(options), _options.MaxAttempts, "OutboxOptions.MaxAttempts must be at least 1.");
        _logger = logger ?? NullLogger.Instance;
    }

    /// <summary>
    /// Outbox entries not yet applied (dead letters excluded), as measured at the end of the last
    /// completed pass; null before the first pass completes. Also the <c>cacheguard.outbox.lag</c> gauge.
    /// </summary>
    public long? Lag => Interlocked.Read(ref _lag) is var lag and >= 0 ? lag : null;

    /// <summary>One pass over every outbox stream; then measure the lag.</summary>
    /// <returns>How many entries were applied.</returns>
    public async Task<int> ReplayOnceAsync(CancellationToken cancellationToken = default)
    {
        using var activity = CacheGuardTelemetry.ActivitySource.StartActivity("cacheguard.outbox.replay");
        var db = _multiplexer.GetDatabase(_options.Database ?? -1);
        var streams = await StreamsAsync(db).ConfigureAwait(false);
        var applied = 0;
        long lag = 0;
        foreach (var stream in streams)
        {
            cancellationToken.ThrowIfCancellationRequested();
            try
            {
                applied += await ReplayStreamAsync(db, stream, cancellationToken).ConfigureAwait(false);
                lag += await db.StreamLengthAsync(stream).ConfigureAwait(false);
            }
            catch (OperationCanceledException) when (cancellationToken.IsCancellationRequested)
            {
                throw;
            }
            catch (Exception ex)
            {
                // One broken stream (another type at its key, a failed node) must not stop the others.
                Log.OutboxStreamFailed(_logger, stream, ex);
            }
        }
        Interlocked.Exchange(ref _lag, lag);
        CacheGuardTelemetry.SetOutboxLag(lag);
        activity?.SetTag("cacheguard.applied", applied);
        return applied;
    }

    private async Task<List<string>> StreamsAsync(IDatabase db)
    {
        var registered = await db.SetMembersAsync(OutboxStreams.RegistryKey).ConfigureAwait(false);
        foreach (var s in registered)
            _known.Add((string)s!);
        if (!_scanned || registered.Length == 0)
        {
            // The registry may have been lost (FLUSHALL, restart, failover): find the streams themselves.
            foreach (var server in _multiplexer.GetServers())
            {
                if (!server.IsConnected || server.IsReplica) continue;
                await foreach (var key in server.KeysAsync(db.Database, "*:cg:outbox", pageSize: 1000).ConfigureAwait(false))
                {
                    var name = (string)key!;
                    if (_known.Add(name) || registered.Length == 0)
                        await db.SetAddAsync(OutboxStreams.RegistryKey, name).ConfigureAwait(false);
                }
            }
            _scanned = true;
        }
        return _known.ToList();
    }

    private async Task<int> ReplayStreamAsync(IDatabase db, string stream, CancellationToken cancellationToken)
    {
        if (!await db.KeyExistsAsync(stream).ConfigureAwait(false)) return 0;
        var lease = await RedisLease.TryAcquireAsync(db, stream + ":" + _options.ConsumerGroup, _options.ClaimIdle).ConfigureAwait(false);
        if (lease is null) return 0; // another replayer owns this stream now
        await using var _ = lease.ConfigureAwait(false);
        var entries = await db.StreamRangeAsync(stream, "-", "+", _options.BatchSize).ConfigureAwait(false);
        var heldBack = new HashSet<string>(StringComparer.Ordinal);
        var applied = 0;
        foreach (var e in entries)
        {
            cancellationToken.ThrowIfCancellationRequested();
            if (!lease.IsHeld) break; // paused past the lease: another replayer owns the stream now
            var entry = new OutboxEntry(stream, e.Id!, (string?)e["k"] ?? "", (byte[]?)e["v"] ?? Array.Empty<byte>(), (string?)e["i"] ?? OutboxStreams.DefaultIdempotencyKey(stream, e.Id!));
            if (heldBack.Contains(entry.Key)) continue; // an earlier write of this key has not been applied yet
            try
            {
                await _writer.ApplyAsync(entry, cancellationToken).ConfigureAwait(false);
            }
            catch (OperationCanceledException) when (cancellationToken.IsCancellationRequested)
            {
                throw; // stays in the stream; the next replayer applies it again (idempotently)
            }
            catch (Exception ex)
            {
                var r = (RedisResult[])(await db.ScriptEvaluateAsync(OutboxStreams.Failed,
                    new RedisKey[] { stream, OutboxStreams.AttemptsOf(stream), OutboxStreams.DeadLetterOf(stream) },
                    new RedisValue[] { entry.EntryId, _options.MaxAttempts, ex.GetType().Name + ": " + ex.Message }).ConfigureAwait(false))!;
                var attempts = (int)r[0];
                if ((int)r[1] == 1)
                {
                    CacheGuardTelemetry.OutboxDeadLettered.Add(1);
                    Log.OutboxDeadLettered(_logger, entry.EntryId, stream, attempts, OutboxStreams.DeadLetterOf(stream), ex);
                }
                else
                {
                    heldBack.Add(entry.Key);
                    Log.OutboxApplyFailed(_logger, entry.EntryId, stream, ex);
                }
                continue;
            }
            // Only now, after the database write, is the entry removed.
            await db.ScriptEvaluateAsync(OutboxStreams.Applied, new RedisKey[] { stream, OutboxStreams.AttemptsOf(stream) }, new RedisValue[] { e.Id }).ConfigureAwait(false);
            CacheGuardTelemetry.OutboxApplied.Add(1);
            applied++;
        }
        return applied;
    }

    /// <summary>Replays until <paramref name="cancellationToken"/> is cancelled.</summary>
    public async Task RunAsync(CancellationToken cancellationToken)
    {
        while (!cancellationToken.IsCancellationRequested)
        {
            int applied;
            try
            {
                applied = await ReplayOnceAsync(cancellationToken).ConfigureAwait(false);
            }
            catch (OperationCanceledException) when (cancellationToken.IsCancellationRequested)
            {
                return;
            }
            catch (Exception ex) when (ex is not OperationCanceledException)
            {
                // A hosted service that dies stops replaying for good (or stops the host): log and go on.
                Log.OutboxLoopFailed(_logger, ex);
                applied = 0;
            }
            if (applied == 0)
            {
                try
                {
                    await Task.Delay(_options.PollInterval, cancellationToken).ConfigureAwait(false);
                }
                catch (OperationCanceledException)
                {
                    return;
                }
            }
        }
    }
}
