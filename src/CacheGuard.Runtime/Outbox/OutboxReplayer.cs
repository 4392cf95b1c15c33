using System.Collections.Concurrent;
using Microsoft.Extensions.Logging;
using Microsoft.Extensions.Logging.Abstractions;
using StackExchange.Redis;

namespace CacheGuard;

/// <summary>
/// Replays the write-behind outbox into the database: reads each outbox stream through a
/// consumer group, applies entries with the user's idempotent <see cref="IOutboxWriter"/>, and
/// acknowledges (and deletes) an entry only after the writer returned. Entries left pending by a
/// dead consumer are reclaimed after <see cref="OutboxOptions.ClaimIdle"/>.
/// </summary>
public sealed class OutboxReplayer
{
    private readonly IConnectionMultiplexer _multiplexer;
    private readonly IOutboxWriter _writer;
    private readonly OutboxOptions _options;
    private readonly ILogger _logger;
    private readonly ConcurrentDictionary<string, byte> _groups = new();
    private long _lag = -1;

    /// <summary>Creates a replayer.</summary>
    public OutboxReplayer(IConnectionMultiplexer multiplexer, IOutboxWriter writer, OutboxOptions? options = null, ILogger? logger = null)
    {
        _multiplexer = multiplexer ?? throw new ArgumentNullException(nameof(multiplexer));
        _writer = writer ?? throw new ArgumentNullException(nameof(writer));
        _options = options ?? new OutboxOptions();
        _logger = logger ?? NullLogger.Instance;
    }

    /// <summary>
    /// Outbox entries not yet applied (pending ones included), as measured at the end of the last
    /// completed pass; null before the first pass completes. Also the <c>cacheguard.outbox.lag</c> gauge.
    /// </summary>
    public long? Lag => Interlocked.Read(ref _lag) is var lag and >= 0 ? lag : null;

    /// <summary>One pass over every outbox stream: reclaim, read, apply, acknowledge; then measure the lag.</summary>
    /// <returns>How many entries were applied and acknowledged.</returns>
    public async Task<int> ReplayOnceAsync(CancellationToken cancellationToken = default)
    {
        using var activity = CacheGuardTelemetry.ActivitySource.StartActivity("cacheguard.outbox.replay");
        var db = _multiplexer.GetDatabase();
        var streams = await db.SetMembersAsync(OutboxStreams.RegistryKey).ConfigureAwait(false);
        var applied = 0;
        long lag = 0;
        foreach (var s in streams)
        {
            cancellationToken.ThrowIfCancellationRequested();
            var stream = (string)s!;
            await EnsureGroupAsync(db, stream).ConfigureAwait(false);

            var claimed = await db.StreamAutoClaimAsync(stream, _options.ConsumerGroup, _options.ConsumerName,
                (long)_options.ClaimIdle.TotalMilliseconds, "0-0", _options.BatchSize).ConfigureAwait(false);
            if (claimed.ClaimedEntries.Length > 0)
                Log.OutboxReclaimed(_logger, claimed.ClaimedEntries.Length, stream);
            applied += await ApplyAsync(db, stream, claimed.ClaimedEntries, cancellationToken).ConfigureAwait(false);

            var fresh = await db.StreamReadGroupAsync(stream, _options.ConsumerGroup, _options.ConsumerName, StreamPosition.NewMessages, _options.BatchSize).ConfigureAwait(false);
            applied += await ApplyAsync(db, stream, fresh, cancellationToken).ConfigureAwait(false);

            lag += await db.StreamLengthAsync(stream).ConfigureAwait(false);
        }
        Interlocked.Exchange(ref _lag, lag);
        CacheGuardTelemetry.SetOutboxLag(lag);
        activity?.SetTag("cacheguard.applied", applied);
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

    private async Task<int> ApplyAsync(IDatabase db, string stream, StreamEntry[] entries, CancellationToken cancellationToken)
    {
        var applied = 0;
        foreach (var e in entries)
        {
            if (e.IsNull) continue; // deleted while pending
            var entry = new OutboxEntry(stream, e.Id!, (string?)e["k"] ?? "", (byte[]?)e["v"] ?? Array.Empty<byte>(), (string?)e["i"] ?? e.Id!);
            try
            {
                await _writer.ApplyAsync(entry, cancellationToken).ConfigureAwait(false);
            }
            catch (OperationCanceledException) when (cancellationToken.IsCancellationRequested)
            {
                throw; // stays pending; reclaimed by the next replayer
            }
            catch (Exception ex)
            {
                Log.OutboxApplyFailed(_logger, entry.EntryId, stream, ex);
                continue; // stays pending; reclaimed after ClaimIdle
            }
            // Only now, after the database write, is the entry acknowledged.
            await db.ScriptEvaluateAsync(OutboxStreams.AckAndDelete, new RedisKey[] { stream }, new RedisValue[] { _options.ConsumerGroup, e.Id }).ConfigureAwait(false);
            CacheGuardTelemetry.OutboxApplied.Add(1);
            applied++;
        }
        return applied;
    }

    private async Task EnsureGroupAsync(IDatabase db, string stream)
    {
        if (_groups.ContainsKey(stream)) return;
        try
        {
            await db.StreamCreateConsumerGroupAsync(stream, _options.ConsumerGroup, "0-0", createStream: true).ConfigureAwait(false);
        }
        catch (RedisServerException ex) when (ex.Message.Contains("BUSYGROUP", StringComparison.Ordinal))
        {
            // Another replayer created it.
        }
        _groups.TryAdd(stream, 0);
    }
}
