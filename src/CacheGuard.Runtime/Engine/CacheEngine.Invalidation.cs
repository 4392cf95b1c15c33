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
        var redisDb = db;
        for (var i = 0; i < keys.Length; i++)
        {
            var target = KeyTarget.Of(db, keys[i]);
            redisDb = target.Db;
            entries[i] = (keys[i], target.Text, new EntryKeys(target.Key));
        }
        db = redisDb;

        var outcomes = new KeyInvalidation[keys.Length];
        var groups = Breakers.IsCluster()
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
                Log.InvalidationFailed(Logger, LogKey((string)failed.Key!), failed.Attempts, failed.Error!);
            activity?.SetStatus(System.Diagnostics.ActivityStatusCode.Error);
            if (o.ThrowOnInvalidationFailure)
                throw new CacheInvalidationException(result);
        }
        return result;
    }

    private async Task InvalidateGroupAsync(IDatabase db, (RedisKey Key, string Text, EntryKeys Keys)[] entries, int[] group,
        KeyInvalidation[] outcomes, CacheGuardOptions o, CancellationToken cancellationToken)
    {
        var redisKeys = new RedisKey[group.Length * 5];
        var args = new RedisValue[2 + group.Length];
        args[0] = RedisLease.NewToken();
        args[1] = (long)o.FenceTtl.TotalMilliseconds;
        for (var j = 0; j < group.Length; j++)
        {
            var e = entries[group[j]];
            redisKeys[5 * j] = e.Keys.Value;
            redisKeys[5 * j + 1] = e.Keys.Stale;
            redisKeys[5 * j + 2] = e.Keys.Negative;
            redisKeys[5 * j + 3] = e.Keys.Version;
            redisKeys[5 * j + 4] = e.Keys.Fence;
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
                Breakers.For(db, redisKeys[0]).Success(probe: false);
                if (o.InvalidationReplicas > 0)
                    await WaitForReplicasAsync(db, redisKeys[4], o).ConfigureAwait(false);
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
                        Log.InvalidationRetry(Logger, LogKey(entries[i].Text), attempt, o.InvalidationAttempts, ex);
                    await Task.Delay(delay, cancellationToken).ConfigureAwait(false);
                    delay += delay;
                }
            }
        }
        foreach (var i in group)
            outcomes[i] = new KeyInvalidation(entries[i].Key, false, attempt, last);
    }

    /// <summary>
    /// Redis WAIT on the connection that sent the invalidation: it returns once that many replicas
    /// acknowledged every write sent on it so far (the fence included), or at the timeout.
    /// </summary>
    private async Task WaitForReplicasAsync(IDatabase db, RedisKey slotKey, CacheGuardOptions o)
    {
        var endpoint = await db.IdentifyEndpointAsync(slotKey).ConfigureAwait(false);
        var server = endpoint is null ? Multiplexer.GetServers().First(s => !s.IsReplica) : Multiplexer.GetServer(endpoint);
        var acked = (long)await server.ExecuteAsync("WAIT", o.InvalidationReplicas, (long)o.InvalidationReplicaTimeout.TotalMilliseconds).ConfigureAwait(false);
        if (acked < o.InvalidationReplicas)
            throw new TimeoutException($"Only {acked} of {o.InvalidationReplicas} replicas acknowledged the invalidation within {o.InvalidationReplicaTimeout}.");
    }
}
