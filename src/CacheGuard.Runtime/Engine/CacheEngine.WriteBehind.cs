using System.Collections.Concurrent;
using StackExchange.Redis;

namespace CacheGuard;

internal sealed partial class CacheEngine
{
    private readonly ConcurrentDictionary<string, byte> _registeredStreams = new();

    public async Task<string> WriteBehindAsync<T>(IDatabase db, RedisKey key, T value, CacheEntryOptions? entryOptions, string? idempotencyKey)
    {
        if (value is null) throw new ArgumentNullException(nameof(value), "Write-behind needs a value; delete through the database and invalidate instead.");
        var text = KeyText(key);
        var keys = new EntryKeys(key);
        var o = ResolvedEntryOptions.Resolve(Options, entryOptions);
        var payload = Serialize(value, text);
        var entry = CacheEntryCodec.Encode(EntryKind.Value, (long)o.StaleWindow.TotalMilliseconds, null, payload);
        var ttl = CacheTtl.Jitter(o.Ttl, o.JitterFraction) + o.StaleWindow;
        var stream = OutboxStreams.ForTag(keys.Tag);
        var idempotency = idempotencyKey ?? Guid.NewGuid().ToString("N");

        // Registering first means the replayer can only ever over-list streams, never miss one.
        if (!_registeredStreams.ContainsKey(stream))
        {
            await db.SetAddAsync(OutboxStreams.RegistryKey, stream).ConfigureAwait(false);
            _registeredStreams.TryAdd(stream, 0);
        }

        await db.ScriptEvaluateAsync(LuaScripts.WriteBehind,
            new RedisKey[] { keys.Value, keys.Fence, stream },
            new RedisValue[]
            {
                entry, Math.Max(1L, (long)ttl.TotalMilliseconds), Guid.NewGuid().ToString("N"), (long)Options.FenceTtl.TotalMilliseconds,
                keys.Channel, text, payload, idempotency,
            }).ConfigureAwait(false);
        Flights.Detach(db.Database, text);
        LastKnown.Set(db.Database, text, value, o.Ttl + o.StaleWindow);
        return idempotency;
    }
}
