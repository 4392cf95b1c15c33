using StackExchange.Redis;

namespace CacheGuard;

internal sealed partial class CacheEngine
{
    /// <summary>
    /// Get-or-set. A fresh hit is one plain GET of the key and one deserialize: no script, no
    /// flight, no derived key names, no options object, no activity. Anything else (nothing at the
    /// key, Redis unavailable) goes to <see cref="MissAsync{T}"/>.
    /// </summary>
    public async Task<T> GetOrSetAsync<T>(IDatabase db, RedisKey key, Func<CancellationToken, Task<T>> factory, TimeSpan? ttl, CacheEntryOptions? entryOptions,
        Func<T, long?>? versionOf, CancellationToken cancellationToken)
    {
        ArgumentNullException.ThrowIfNull(factory);
        cancellationToken.ThrowIfCancellationRequested();
        var target = KeyTarget.Of(db, key);
        // An Activity only when someone listens and samples it (no allocation otherwise).
        using var activity = CacheGuardTelemetry.ActivitySource.HasListeners() ? StartActivity(target) : null;
        var breaker = Breakers.For(target.Db, target.Key);
        if (breaker.TryEnter(out var probe))
        {
            RedisValue raw;
            try
            {
                raw = await target.Db.StringGetAsync(target.Key).ConfigureAwait(false);
                breaker.Success(probe);
            }
            catch (RedisServerException ex) when (IsWrongType(ex))
            {
                breaker.Success(probe);
                throw await WrongTypeAsync(target).ConfigureAwait(false);
            }
            catch (Exception ex) when (IsRedisFailure(ex))
            {
                CacheGuardTelemetry.Errors.Add(1);
                breaker.Failure(probe);
                return await FallbackAsync(target, factory, ttl, entryOptions, new RedisUnavailableException("Redis failed: " + ex.Message, ex), cancellationToken).ConfigureAwait(false);
            }
            catch
            {
                breaker.Abandon(probe);
                throw;
            }
            if (!raw.IsNull)
            {
                var bytes = (ReadOnlyMemory<byte>)raw;
                if (TryDeserialize<T>(bytes.Span, target.Text, out var value))
                {
                    CacheGuardTelemetry.Hits.Add(1);
                    activity?.SetTag("cacheguard.outcome", "hit");
                    if (LastKnown.Observe(target.Db.Database, target.Text, bytes.Span, LifeOf(ttl, entryOptions)) is { } generation)
                        _ = ProbeLifeAsync(target, generation, ttl, entryOptions);
                    return value;
                }
            }
        }
        else
        {
            return await FallbackAsync(target, factory, ttl, entryOptions, new RedisUnavailableException("The CacheGuard circuit breaker is open.", null), cancellationToken).ConfigureAwait(false);
        }
        return await MissAsync(target, factory, ttl, entryOptions, versionOf, cancellationToken).ConfigureAwait(false);
    }

    private System.Diagnostics.Activity? StartActivity(KeyTarget target)
    {
        var activity = CacheGuardTelemetry.ActivitySource.StartActivity("cacheguard.get_or_set");
        if (activity is not null && Options.TraceKeys) activity.SetTag("cacheguard.key", Shorten(target.Text));
        return activity;
    }

    /// <summary>Once per generation per process: the fail-safe life of what a hit returned, from the key's PTTL.</summary>
    private async Task ProbeLifeAsync(KeyTarget target, LastKnownValues.Entry generation, TimeSpan? ttl, CacheEntryOptions? entryOptions)
    {
        long pttl = -1;
        try
        {
            var left = await target.Db.KeyTimeToLiveAsync(target.Key).ConfigureAwait(false);
            if (left is { } l) pttl = (long)l.TotalMilliseconds;
        }
        catch (Exception ex) when (IsRedisFailure(ex))
        {
            // Keep the first-sight life.
        }
        LastKnownValues.Tighten(generation, pttl, LifeOf(ttl, entryOptions) - (entryOptions?.Ttl ?? ttl ?? Options.DefaultTtl));
    }

    /// <summary>Reads an entry without a factory: a value, a cached "not found", or nothing.</summary>
    public async Task<CacheLookup<T>> TryGetAsync<T>(IDatabase db, RedisKey key)
    {
        var target = KeyTarget.Of(db, key);
        var breaker = Breakers.For(target.Db, target.Key);
        RedisValue raw;
        try
        {
            raw = await RedisAsync(breaker, () => target.Db.StringGetAsync(target.Key)).ConfigureAwait(false);
        }
        catch (RedisServerException ex) when (IsWrongType(ex))
        {
            throw await WrongTypeAsync(target).ConfigureAwait(false);
        }
        if (!raw.IsNull && TryDeserialize<T>(((ReadOnlyMemory<byte>)raw).Span, target.Text, out var value))
            return new CacheLookup<T>(CacheLookupStatus.Hit, value, false);
        var keys = new EntryKeys(target.Key);
        var r = (RedisResult[])(await RedisAsync(breaker, () => target.Db.ScriptEvaluateAsync(LuaScripts.Peek, new[] { keys.Value, keys.Negative, keys.Stale })).ConfigureAwait(false))!;
        switch ((string?)r[0])
        {
            case "T":
                throw new CacheKeyTypeException(target.Text, (string)r[1]!);
            case "v" when TryDeserialize<T>(((ReadOnlyMemory<byte>)(RedisValue)r[1]).Span, target.Text, out var raced):
                return new CacheLookup<T>(CacheLookupStatus.Hit, raced, false);
            case "n":
                return new CacheLookup<T>(CacheLookupStatus.Negative, default, false);
            case "s" when TryDeserialize<T>(((ReadOnlyMemory<byte>)(RedisValue)r[1]).Span, target.Text, out var stale):
                return new CacheLookup<T>(CacheLookupStatus.Hit, stale, true);
            default:
                return CacheLookup<T>.Miss;
        }
    }

    private async Task<CacheKeyTypeException> WrongTypeAsync(KeyTarget target)
    {
        string type;
        try
        {
            type = (await target.Db.KeyTypeAsync(target.Key).ConfigureAwait(false)).ToString().ToLowerInvariant();
        }
        catch (Exception ex) when (IsRedisFailure(ex))
        {
            type = "non-string type";
        }
        return new CacheKeyTypeException(target.Text, type);
    }
}
