using StackExchange.Redis;

namespace CacheGuard;

internal sealed partial class CacheEngine
{
    /// <summary>
    /// Fenced invalidation: deletes each entry and replaces its fence token, so a populate whose
    /// factory started earlier is refused. Keys sharing a slot go in one script call (one round
    /// trip); groups run concurrently; each group is retried, then reported per key.
    /// </summary>
    public async Task<InvalidationResult> InvalidateAsync(IDatabase db, RedisKey[] keys, CancellationToken cancellationToken)
    {
        ArgumentNullException.ThrowIfNull(keys);
        cancellationToken.ThrowIfCancellationRequested();
        using var activity = CacheGuardTelemetry.ActivitySource.StartActivity("cacheguard.invalidate");
        activity?.SetTag("cacheguard.keys", keys.Length);
        var o = Options;
        var entries = new (RedisKey Key, string Text, EntryKeys Keys)[keys.Length];
        for (var i = 0; i < keys.Length; i++)
            entries[i] = (keys[i], KeyText(keys[i]), new EntryKeys(keys[i]));

        var outcomes = new KeyInvalidation[keys.Length];
        var groups = IsClusterConnection()
            ? Enumerable.Range(0, keys.Length).GroupBy(i => HashSlots.Of(entries[i].Keys.Tag)).Select(g => g.ToArray()).ToList()
            : new List<int[]> { Enumerable.Range(0, keys.Length).ToArray() };

        await Task.WhenAll(groups.Select(g => InvalidateGroupAsync(db, entries, g, outcomes, o, cancellationToken))).ConfigureAwait(false);

        for (var i = 0; i < entries.Length; i++)
        {
            // New local callers must not join a flight that read the database before this invalidation.
            Flights.Detach(db.Database, entries[i].Text);
            LastKnown.Remove(db.Database, entries[i].Text);
        }

        var result = new InvalidationResult(outcomes);
        if (!result.Succeeded)
        {
            CacheGuardTelemetry.InvalidationFailures.Add(result.FailedKeys.Count);
            foreach (var failed in result.FailedKeys)
                Log.InvalidationFailed(Logger, (string)failed.Key!, failed.Attempts, failed.Error!);
            activity?.SetStatus(System.Diagnostics.ActivityStatusCode.Error);
            if (o.ThrowOnInvalidationFailure)
                throw new CacheInvalidationException(result);
        }
        return result;
    }

    private async Task InvalidateGroupAsync(IDatabase db, (RedisKey Key, string Text, EntryKeys Keys)[] entries, int[] group,
        KeyInvalidation[] outcomes, CacheGuardOptions o, CancellationToken cancellationToken)
    {
        var redisKeys = new RedisKey[group.Length * 2];
        var args = new RedisValue[2 + group.Length];
        args[0] = Guid.NewGuid().ToString("N");
        args[1] = (long)o.FenceTtl.TotalMilliseconds;
        for (var j = 0; j < group.Length; j++)
        {
            var e = entries[group[j]];
            redisKeys[2 * j] = e.Keys.Value;
            redisKeys[2 * j + 1] = e.Keys.Fence;
            args[2 + j] = e.Keys.Channel;
        }

        Exception? last = null;
        var attempt = 0;
        var delay = o.InvalidationRetryDelay;
        while (attempt < o.InvalidationAttempts)
        {
            attempt++;
            try
            {
                // Invalidations bypass the open breaker: they are worth the attempt even when reads are skipping Redis.
                await db.ScriptEvaluateAsync(LuaScripts.Invalidate, redisKeys, args).ConfigureAwait(false);
                BreakerFor(db, redisKeys[0]).Success(probe: false);
                foreach (var i in group)
                    outcomes[i] = new KeyInvalidation(entries[i].Key, true, attempt, null);
                return;
            }
            catch (Exception ex) when (IsRedisFailure(ex))
            {
                last = ex;
                CacheGuardTelemetry.Errors.Add(1);
                if (attempt < o.InvalidationAttempts)
                {
                    foreach (var i in group)
                        Log.InvalidationRetry(Logger, entries[i].Text, attempt, o.InvalidationAttempts, ex);
                    await Task.Delay(delay, cancellationToken).ConfigureAwait(false);
                    delay += delay;
                }
            }
        }
        foreach (var i in group)
            outcomes[i] = new KeyInvalidation(entries[i].Key, false, attempt, last);
    }
}
