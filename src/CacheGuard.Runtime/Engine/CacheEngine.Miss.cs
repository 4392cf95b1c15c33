using System.Diagnostics;
using StackExchange.Redis;

namespace CacheGuard;

internal sealed partial class CacheEngine
{
    /// <summary>One get-or-set call that missed: everything the miss path needs, built once.</summary>
    internal sealed class Call<T>(KeyTarget target, EntryKeys keys, Func<CancellationToken, Task<T>> factory, ResolvedEntryOptions o, Func<T, long?>? versionOf, CircuitBreaker breaker)
    {
        public KeyTarget Target { get; } = target;
        public EntryKeys Keys { get; } = keys;
        public Func<CancellationToken, Task<T>> Factory { get; } = factory;
        public ResolvedEntryOptions O { get; } = o;
        public Func<T, long?>? VersionOf { get; } = versionOf;
        public CircuitBreaker Breaker { get; } = breaker;
        public FlightKey FlightKey => new(Target.Db.Database, Target.Text, typeof(T));
    }

    private readonly record struct MissReply(char Kind, RedisValue A, RedisValue B);

    private Call<T> NewCall<T>(KeyTarget target, Func<CancellationToken, Task<T>> factory, TimeSpan? ttl, CacheEntryOptions? entryOptions, Func<T, long?>? versionOf) =>
        new(target, new EntryKeys(target.Key), factory, ResolvedEntryOptions.Resolve(Options, entryOptions, ttlOverride: ttl), versionOf, Breakers.For(target.Db, target.Key));

    /// <summary>The miss path: one in-process flight per key, then the cross-process single-flight.</summary>
    private Task<T> MissAsync<T>(KeyTarget target, Func<CancellationToken, Task<T>> factory, TimeSpan? ttl, CacheEntryOptions? entryOptions, Func<T, long?>? versionOf, CancellationToken cancellationToken)
    {
        var call = NewCall(target, factory, ttl, entryOptions, versionOf);
        return Flights.RunAsync(call.FlightKey, token => ResolveAsync(call, token), cancellationToken);
    }

    private async Task<T> FallbackAsync<T>(KeyTarget target, Func<CancellationToken, Task<T>> factory, TimeSpan? ttl, CacheEntryOptions? entryOptions, RedisUnavailableException ex, CancellationToken cancellationToken)
    {
        if (Options.ThrowOnRedisFailure)
            throw ex.InnerException ?? ex;
        var call = NewCall(target, factory, ttl, entryOptions, null);
        return await Flights.RunAsync(call.FlightKey, token => FallbackAsync(call, ex, token), cancellationToken).ConfigureAwait(false);
    }

    private async Task<MissReply> MissScriptAsync<T>(Call<T> call, string leaseToken, bool takeOverStale, bool ignoreValue)
    {
        var k = call.Keys;
        var r = (RedisResult[])(await RedisAsync(call.Breaker, () => call.Target.Db.ScriptEvaluateAsync(LuaScripts.Miss,
            new[] { k.Value, k.Negative, k.Stale, k.Lease, k.Fence },
            new RedisValue[]
            {
                leaseToken, (long)call.O.LeaseTtl.TotalMilliseconds, RedisLease.NewToken(), (long)Options.FenceTtl.TotalMilliseconds,
                takeOverStale ? "1" : "0", ignoreValue ? "1" : "0",
            })).ConfigureAwait(false))!;
        var kind = ((string?)r[0])![0];
        return new MissReply(kind, r.Length > 1 ? (RedisValue)r[1] : RedisValue.Null, r.Length > 2 ? (RedisValue)r[2] : RedisValue.Null);
    }

    private async Task<T> ResolveAsync<T>(Call<T> call, CancellationToken token)
    {
        // The caller's own get_or_set activity (started on the hit path when sampled), if this flight runs under it.
        var activity = System.Diagnostics.Activity.Current is { OperationName: "cacheguard.get_or_set" } a && a.Source == CacheGuardTelemetry.ActivitySource ? a : null;
        var o = call.O;
        WakeUp? wakeUp = null;
        var ignoreValue = false;
        RedisValue holder = RedisValue.Null;
        long deadline = 0;
        try
        {
            while (true)
            {
                MissReply r;
                var leaseToken = RedisLease.NewToken();
                try
                {
                    r = await MissScriptAsync(call, leaseToken, takeOverStale: false, ignoreValue).ConfigureAwait(false);
                }
                catch (RedisUnavailableException ex)
                {
                    return await FallbackAsync(call, ex, token).ConfigureAwait(false);
                }
                switch (r.Kind)
                {
                    case 'T':
                        throw new CacheKeyTypeException(call.Target.Text, (string)r.A!);
                    case 'v':
                        if (TryDeserialize<T>(((ReadOnlyMemory<byte>)r.A).Span, call.Target.Text, out var raced))
                        {
                            CacheGuardTelemetry.Hits.Add(1);
                            activity?.SetTag("cacheguard.outcome", "hit");
                            if (LastKnown.Observe(call.Target.Db.Database, call.Target.Text, ((ReadOnlyMemory<byte>)r.A).Span, o.Ttl + o.StaleWindow) is { } generation)
                                LastKnownValues.Tighten(generation, (long)o.Ttl.TotalMilliseconds, o.StaleWindow); // just written by another node
                            return raced;
                        }
                        ignoreValue = true; // unreadable as T: replace it
                        continue;
                    case 'n':
                        CacheGuardTelemetry.Hits.Add(1);
                        activity?.SetTag("cacheguard.outcome", "negative");
                        return default!;
                    case 's':
                        if (TryDeserialize<T>(((ReadOnlyMemory<byte>)r.A).Span, call.Target.Text, out var stale))
                        {
                            activity?.SetTag("cacheguard.outcome", "stale");
                            return await ServeStaleAsync(call, stale).ConfigureAwait(false);
                        }
                        ignoreValue = true;
                        continue;
                    case 'l':
                        CacheGuardTelemetry.Misses.Add(1);
                        activity?.SetTag("cacheguard.outcome", "miss");
                        return await LeadAsync(call, leaseToken, (string)r.A!, token).ConfigureAwait(false);
                }

                // 'w': another holder. Wait for it while it lives; a new holder restarts the derived deadline.
                ignoreValue = false; // the holder may be replacing an unreadable value: read what it writes
                var now = Environment.TickCount64;
                if (wakeUp is null)
                {
                    // Subscribe before the next read: a populate after the read is then never missed.
                    CacheGuardTelemetry.LeaseWaits.Add(1);
                    holder = r.A;
                    deadline = now + (long)o.EffectiveWaitDeadline.TotalMilliseconds;
                    try
                    {
                        wakeUp = await WakeUp.SubscribeAsync(this, call.Breaker, call.Keys.Channel).ConfigureAwait(false);
                    }
                    catch (RedisUnavailableException ex)
                    {
                        return await FallbackAsync(call, ex, token).ConfigureAwait(false);
                    }
                    continue;
                }
                if (o.WaitDeadline is null && r.A != holder)
                {
                    holder = r.A;
                    deadline = now + (long)o.EffectiveWaitDeadline.TotalMilliseconds;
                }
                var remaining = deadline - now;
                if (remaining <= 0)
                    return await DeadlineAsync(call, r.B, token).ConfigureAwait(false);
                var poll = (long)(Options.PollInterval.TotalMilliseconds * (0.5 + Random.Shared.NextDouble()));
                await wakeUp.WaitAsync(TimeSpan.FromMilliseconds(Math.Max(1, Math.Min(poll, remaining))), token).ConfigureAwait(false);
            }
        }
        finally
        {
            if (wakeUp is not null)
                await wakeUp.DisposeAsync().ConfigureAwait(false);
        }
    }

    /// <summary>This caller holds the lease (and the fence it created or found): run the factory and populate.</summary>
    private async Task<T> LeadAsync<T>(Call<T> call, string leaseToken, string fence, CancellationToken token)
    {
        var lease = RedisLease.Adopt(call.Target.Db, call.Target.Key, call.Keys, leaseToken, call.O.LeaseTtl);
        await using var _ = lease.ConfigureAwait(false);
        using var lost = lease.LeaseLost.Register(static s => { var (l, k) = ((Microsoft.Extensions.Logging.ILogger, string))s!; Log.LeaseLost(l, k); }, (Logger, LogKey(call.Target.Text)));
        var populated = false;
        try
        {
            var value = await RunFactoryAsync(call, token).ConfigureAwait(false);
            await PopulateAsync(call, value, lease, fence).ConfigureAwait(false);
            populated = true;
            return value;
        }
        finally
        {
            if (!populated)
                await AbandonLeaseAsync(call, lease, fence).ConfigureAwait(false);
        }
    }

    private async Task AbandonLeaseAsync<T>(Call<T> call, RedisLease lease, string fence)
    {
        lease.MarkReleased();
        try
        {
            await call.Target.Db.ScriptEvaluateAsync(LuaScripts.Abandon, new[] { call.Keys.Lease, call.Keys.Fence }, new RedisValue[] { lease.Token, fence, call.Keys.Channel }).ConfigureAwait(false);
        }
        catch (Exception ex) when (IsRedisFailure(ex))
        {
            // The lease lapses within its TTL.
        }
    }

    /// <summary>
    /// The wait passed its deadline (only an explicit <see cref="CacheGuardOptions.WaitDeadline"/>
    /// or a holder stuck past factory timeout + lease TTL gets here): fail fast, or run locally.
    /// A local run holds no lease; its populate lands only if the fence it saw is still there unchanged.
    /// </summary>
    private async Task<T> DeadlineAsync<T>(Call<T> call, RedisValue fenceSeen, CancellationToken token)
    {
        if (call.O.OnWaitDeadline == WaitDeadlineBehavior.Throw)
        {
            Log.WaitDeadlinePassed(Logger, call.O.EffectiveWaitDeadline, LogKey(call.Target.Text), "failing fast");
            throw new CacheWaitTimeoutException($"Waited {call.O.EffectiveWaitDeadline} for another node to populate '{Shorten(call.Target.Text)}'.");
        }
        Log.WaitDeadlinePassed(Logger, call.O.EffectiveWaitDeadline, LogKey(call.Target.Text), "running the factory locally");
        var value = await RunFactoryAsync(call, token).ConfigureAwait(false);
        if (!fenceSeen.IsNullOrEmpty)
            await PopulateAsync(call, value, lease: null, (string)fenceSeen!).ConfigureAwait(false);
        return value;
    }

    private async Task<T> FallbackAsync<T>(Call<T> call, RedisUnavailableException ex, CancellationToken token)
    {
        if (Options.ThrowOnRedisFailure)
            throw ex.InnerException ?? ex;
        CacheGuardTelemetry.Fallbacks.Add(1);
        var db = call.Target.Db.Database;
        if (LastKnown.TryGet(db, call.Target.Text, out var bytes))
        {
            if (bytes is null && default(T) is null)
            {
                Log.RedisFallback(Logger, LogKey(call.Target.Text), "last known \"not found\"", ex);
                return default!;
            }
            if (bytes is not null && TryDeserialize<T>(bytes, call.Target.Text, out var known))
            {
                Log.RedisFallback(Logger, LogKey(call.Target.Text), "last known value", ex);
                return known;
            }
        }
        Log.RedisFallback(Logger, LogKey(call.Target.Text), "factory", ex);
        var value = await RunFactoryAsync(call, token).ConfigureAwait(false);
        if (value is null)
            LastKnown.Written(db, call.Target.Text, null, call.O.NegativeTtl);
        else
            LastKnown.Written(db, call.Target.Text, Serialize(value, call.Target.Text), call.O.Ttl + call.O.StaleWindow);
        return value;
    }

    /// <summary>The fenced populate; Redis failures here are logged, never thrown (the caller has its value).</summary>
    private async Task PopulateAsync<T>(Call<T> call, T value, RedisLease? lease, string fence)
    {
        var o = call.O;
        var text = call.Target.Text;
        if (value is null && !o.CacheNegative)
        {
            if (lease is not null) await AbandonLeaseAsync(call, lease, fence).ConfigureAwait(false);
            return;
        }
        var bytes = value is null ? null : Serialize(value, text);
        var version = value is null ? null : call.VersionOf?.Invoke(value);
        if (version < 0) throw new ArgumentOutOfRangeException(nameof(value), version, "Versions are non-negative.");
        var fresh = value is null ? CacheTtl.Jitter(o.NegativeTtl, o.JitterFraction) : CacheTtl.Jitter(o.Ttl, o.JitterFraction);
        var staleMs = value is null || o.StaleWindow <= TimeSpan.Zero ? 0L : (long)(fresh + o.StaleWindow).TotalMilliseconds;
        var k = call.Keys;
        try
        {
            var result = (long)await RedisAsync(call.Breaker, () => call.Target.Db.ScriptEvaluateAsync(LuaScripts.Populate,
                new[] { k.Value, k.Stale, k.Negative, k.Version, k.Fence, k.Lease },
                new RedisValue[]
                {
                    fence, lease?.Token ?? "", value is null ? "n" : "v", bytes ?? Array.Empty<byte>(),
                    Math.Max(1L, (long)fresh.TotalMilliseconds), staleMs, version is { } v ? v : RedisValue.EmptyString, k.Channel,
                    (long)o.StaleWindow.TotalMilliseconds,
                })).ConfigureAwait(false);
            lease?.MarkReleased();
            switch (result)
            {
                case 1:
                    LastKnown.Written(call.Target.Db.Database, text, bytes, value is null ? fresh : fresh + o.StaleWindow);
                    break;
                case 0 or -1:
                    CacheGuardTelemetry.Fenced.Add(1);
                    Log.PopulateRefused(Logger, LogKey(text), result == 0 ? "invalidated, written or lost since the lease was taken" : "the lease was lost");
                    break;
                case -3:
                    throw new CacheKeyTypeException(text, "non-string type");
                default:
                    Log.PopulateRefused(Logger, LogKey(text), "the cache holds a newer version");
                    break;
            }
        }
        catch (RedisUnavailableException ex)
        {
            Log.RedisFallback(Logger, LogKey(text), "populate skipped", ex);
            LastKnown.Written(call.Target.Db.Database, text, bytes, value is null ? o.NegativeTtl : o.Ttl + o.StaleWindow);
        }
    }
}
