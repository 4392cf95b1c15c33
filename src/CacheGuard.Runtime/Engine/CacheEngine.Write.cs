using StackExchange.Redis;

namespace CacheGuard;

internal sealed partial class CacheEngine
{
    /// <summary>A direct write (null writes a "not found") that moves the fence.</summary>
    public async Task<bool> SetAsync<T>(IDatabase db, RedisKey key, T value, TimeSpan? ttl, CacheEntryOptions? entryOptions, long? version)
    {
        var target = KeyTarget.Of(db, key);
        var o = ResolvedEntryOptions.Resolve(Options, entryOptions, ttlOverride: ttl);
        if (version < 0) throw new ArgumentOutOfRangeException(nameof(version), version, "Versions are non-negative.");
        var bytes = value is null ? null : Serialize(value, target.Text);
        var fresh = value is null ? CacheTtl.Jitter(o.NegativeTtl, o.JitterFraction) : CacheTtl.Jitter(o.Ttl, o.JitterFraction);
        var staleMs = value is null || o.StaleWindow <= TimeSpan.Zero ? 0L : (long)(fresh + o.StaleWindow).TotalMilliseconds;
        var k = new EntryKeys(target.Key);
        var result = (long)await target.Db.ScriptEvaluateAsync(LuaScripts.Set,
            new[] { k.Value, k.Stale, k.Negative, k.Version, k.Fence },
            new RedisValue[]
            {
                value is null ? "n" : "v", bytes ?? Array.Empty<byte>(), Math.Max(1L, (long)fresh.TotalMilliseconds), staleMs,
                version is { } v ? v : RedisValue.EmptyString, RedisLease.NewToken(), (long)Options.FenceTtl.TotalMilliseconds, k.Channel,
                (long)o.StaleWindow.TotalMilliseconds,
            }).ConfigureAwait(false);
        if (result == -3) throw await WrongTypeAsync(target).ConfigureAwait(false);
        Flights.Detach(target.Db.Database, target.Text);
        if (result == 1)
            LastKnown.Written(target.Db.Database, target.Text, bytes, value is null ? fresh : fresh + o.StaleWindow);
        return result == 1;
    }

    /// <summary>Write-behind: the cache write and the outbox append in one script; returns the outbox entry id.</summary>
    public async Task<string> WriteBehindAsync<T>(IDatabase db, RedisKey key, T value, TimeSpan? ttl, CacheEntryOptions? entryOptions, string? idempotencyKey)
    {
        if (value is null) throw new ArgumentNullException(nameof(value), "Write-behind needs a value; delete through the database and invalidate instead.");
        var target = KeyTarget.Of(db, key);
        var o = ResolvedEntryOptions.Resolve(Options, entryOptions, ttlOverride: ttl);
        var bytes = Serialize(value, target.Text);
        var fresh = CacheTtl.Jitter(o.Ttl, o.JitterFraction);
        var staleMs = o.StaleWindow <= TimeSpan.Zero ? 0L : (long)(fresh + o.StaleWindow).TotalMilliseconds;
        var k = new EntryKeys(target.Key);
        var stream = OutboxStreams.ForTag(k.Tag);

        // Registered on every write (not once per process): the registry may be lost (FLUSHALL, a
        // restart without persistence, a failover) while this process lives; the replayer also scans.
        var register = target.Db.SetAddAsync(OutboxStreams.RegistryKey, stream);
        var id = await target.Db.ScriptEvaluateAsync(LuaScripts.WriteBehind,
            new RedisKey[] { k.Value, k.Stale, k.Negative, k.Version, k.Fence, stream },
            new RedisValue[]
            {
                bytes, Math.Max(1L, (long)fresh.TotalMilliseconds), staleMs, RedisLease.NewToken(), (long)Options.FenceTtl.TotalMilliseconds,
                k.Channel, target.Text, idempotencyKey ?? "", (long)o.StaleWindow.TotalMilliseconds,
            }).ConfigureAwait(false);
        await register.ConfigureAwait(false);
        var entryId = (string?)id;
        if (entryId == "-3") throw await WrongTypeAsync(target).ConfigureAwait(false);
        Flights.Detach(target.Db.Database, target.Text);
        LastKnown.Written(target.Db.Database, target.Text, bytes, fresh + o.StaleWindow);
        return entryId!;
    }
}
