using System.Collections.Concurrent;
using System.Diagnostics;
using System.Runtime.CompilerServices;
using Microsoft.Extensions.Logging;
using Microsoft.Extensions.Logging.Abstractions;
using StackExchange.Redis;

namespace CacheGuard;

/// <summary>
/// The coordination state of one <see cref="IConnectionMultiplexer"/>: in-process flights, the
/// circuit breaker, the fail-safe memory and the options. One per connection, shared by every
/// call site (extension methods and the DI service alike).
/// </summary>
internal sealed partial class CacheEngine
{
    private static readonly ConditionalWeakTable<IConnectionMultiplexer, CacheEngine> Engines = new();

    private CacheGuardOptions _options;
    private readonly ConcurrentDictionary<FlightKey, byte> _refreshing = new();

    private CacheEngine(IConnectionMultiplexer multiplexer, CacheGuardOptions options)
    {
        Multiplexer = multiplexer;
        _options = options;
        Logger = options.LoggerFactory?.CreateLogger("CacheGuard") ?? NullLogger.Instance;
        Breaker = new CircuitBreaker(() => Options, () => Logger);
        LastKnown = new LastKnownValues(() => Options);
    }

    public IConnectionMultiplexer Multiplexer { get; }
    public CacheGuardOptions Options => Volatile.Read(ref _options);
    public ILogger Logger { get; private set; }
    /// <summary>The breaker of a single-node connection (and the fallback when a key's node is unknown).</summary>
    public CircuitBreaker Breaker { get; }

    /// <summary>Whether any breaker of this connection is open.</summary>
    public bool AnyBreakerOpen => Breaker.IsOpen || _nodeBreakers.Values.Any(b => b.IsOpen);

    private readonly ConcurrentDictionary<System.Net.EndPoint, CircuitBreaker> _nodeBreakers = new();

    /// <summary>
    /// On Redis Cluster each master gets its own breaker: one dead master must not send the keys
    /// of the healthy ones to the fallback. Finding a key's node is a local slot-map lookup.
    /// </summary>
    internal CircuitBreaker BreakerFor(IDatabase db, RedisKey key)
    {
        if (!IsClusterConnection()) return Breaker;
        System.Net.EndPoint? endpoint;
        try
        {
            endpoint = db.IdentifyEndpoint(key);
        }
        catch (Exception ex) when (IsRedisFailure(ex))
        {
            return Breaker;
        }
        return endpoint is null ? Breaker : _nodeBreakers.GetOrAdd(endpoint, _ => new CircuitBreaker(() => Options, () => Logger, RefreshTopology));
    }

    private long _lastTopologyRefresh;

    /// <summary>
    /// A master's breaker opened: its slots may have failed over to a replica. With the breaker
    /// open nothing is sent there, so no MOVED reply would ever teach the connection the new
    /// owner; ask for the topology instead (at most once per breaker period).
    /// </summary>
    private void RefreshTopology()
    {
        var now = Environment.TickCount64;
        var last = Interlocked.Read(ref _lastTopologyRefresh);
        if (now - last < (long)Options.CircuitBreakerDuration.TotalMilliseconds || Interlocked.CompareExchange(ref _lastTopologyRefresh, now, last) != last)
            return;
        _ = Task.Run(async () =>
        {
            try
            {
                await Multiplexer.ConfigureAsync().ConfigureAwait(false);
            }
            catch (Exception ex) when (IsRedisFailure(ex))
            {
                // The next opening tries again.
            }
        });
    }

    private int _isCluster = -1;

    private bool IsClusterConnection()
    {
        var known = Volatile.Read(ref _isCluster);
        if (known >= 0) return known == 1;
        var servers = Multiplexer.GetServers();
        if (servers.Length == 0 || !servers.Any(s => s.IsConnected)) return false; // not known yet; ask again later
        var cluster = servers.Any(s => s.ServerType == ServerType.Cluster);
        Volatile.Write(ref _isCluster, cluster ? 1 : 0);
        return cluster;
    }
    public LastKnownValues LastKnown { get; }
    public FlightTable Flights { get; } = new();

    public static CacheEngine For(IDatabase db)
    {
        ArgumentNullException.ThrowIfNull(db);
        return For(db.Multiplexer);
    }

    public static CacheEngine For(IConnectionMultiplexer multiplexer) =>
        Engines.GetValue(multiplexer, m => new CacheEngine(m, new CacheGuardOptions()));

    public static CacheEngine Configure(IConnectionMultiplexer multiplexer, CacheGuardOptions options)
    {
        ArgumentNullException.ThrowIfNull(multiplexer);
        ArgumentNullException.ThrowIfNull(options);
        options.Validate();
        var engine = For(multiplexer);
        Volatile.Write(ref engine._options, options);
        engine.Logger = options.LoggerFactory?.CreateLogger("CacheGuard") ?? NullLogger.Instance;
        return engine;
    }

    // ---- Redis access through the breaker ----

    private async Task<TResult> RedisAsync<TResult>(CircuitBreaker breaker, Func<Task<TResult>> call)
    {
        if (!breaker.TryEnter(out var probe))
            throw new RedisUnavailableException("The CacheGuard circuit breaker is open.", null);
        try
        {
            var result = await call().ConfigureAwait(false);
            breaker.Success(probe);
            return result;
        }
        catch (Exception ex) when (IsRedisFailure(ex))
        {
            CacheGuardTelemetry.Errors.Add(1);
            breaker.Failure(probe);
            throw new RedisUnavailableException("Redis failed: " + ex.Message, ex);
        }
        catch
        {
            breaker.Abandon(probe);
            throw;
        }
    }

    internal static bool IsRedisFailure(Exception ex) =>
        ex is RedisException or TimeoutException or ObjectDisposedException && ex is not CacheFactoryTimeoutException and not CacheWaitTimeoutException;

    // ---- Reads ----

    internal readonly record struct ReadResult(RedisValue Raw, long Pttl, string Fence, long ServerMs);

    internal Task<ReadResult> ReadAsync(IDatabase db, EntryKeys keys) => RedisAsync(BreakerFor(db, keys.Value), async () =>
    {
        var r = (RedisResult[])(await db.ScriptEvaluateAsync(LuaScripts.Read, new[] { keys.Value, keys.Fence }).ConfigureAwait(false))!;
        return new ReadResult((RedisValue)r[0], (long)r[1], (string?)r[2] ?? "", (long)r[3]);
    });

    internal CacheLookup<T> Decode<T>(ReadResult read, string key)
    {
        var raw = (ReadOnlyMemory<byte>)read.Raw;
        if (raw.Length == 0 || !CacheEntryCodec.TryDecode(raw, out var entry))
            return CacheLookup<T>.Miss;
        var stale = read.Pttl >= 0 && read.Pttl <= entry.StaleMs;
        if (entry.Kind == EntryKind.Negative)
            return new CacheLookup<T>(CacheLookupStatus.Negative, default, stale);
        try
        {
            var value = Options.Serializer.Deserialize<T>(entry.Payload.Span);
            if (value is null) return CacheLookup<T>.Miss;
            return new CacheLookup<T>(CacheLookupStatus.Hit, value, stale);
        }
        catch (Exception ex) when (ex is System.Text.Json.JsonException or NotSupportedException or InvalidOperationException or FormatException)
        {
            Log.UnreadableEntry(Logger, key, typeof(T).Name);
            return CacheLookup<T>.Miss;
        }
    }

    public async Task<CacheLookup<T>> TryGetAsync<T>(IDatabase db, RedisKey key)
    {
        var text = KeyText(key); // before Redis is touched
        var keys = new EntryKeys(key);
        var read = await ReadAsync(db, keys).ConfigureAwait(false);
        return Decode<T>(read, text);
    }

    internal static string KeyText(RedisKey key)
    {
        var text = (string?)key;
        if (string.IsNullOrEmpty(text)) throw new ArgumentException("A cache key must not be empty.", nameof(key));
        return text;
    }

    // ---- Get-or-set ----

    public Task<T> GetOrSetAsync<T>(IDatabase db, RedisKey key, Func<CancellationToken, Task<T>> factory, CacheEntryOptions? entryOptions, Func<T, long?>? versionOf, CancellationToken cancellationToken)
    {
        ArgumentNullException.ThrowIfNull(factory);
        var text = KeyText(key);
        var o = ResolvedEntryOptions.Resolve(Options, entryOptions);
        var call = new Call<T>(db, key, new EntryKeys(key), text, factory, o, versionOf);
        return Flights.RunAsync(new FlightKey(db.Database, text, typeof(T)), token => ResolveAsync(call, token), cancellationToken);
    }

    internal sealed record Call<T>(IDatabase Db, RedisKey Key, EntryKeys Keys, string Text, Func<CancellationToken, Task<T>> Factory, ResolvedEntryOptions O, Func<T, long?>? VersionOf);

    private async Task<T> ResolveAsync<T>(Call<T> call, CancellationToken token)
    {
        using var activity = CacheGuardTelemetry.ActivitySource.StartActivity("cacheguard.get_or_set");
        activity?.SetTag("cacheguard.key", call.Text);
        ReadResult read;
        try
        {
            read = await ReadAsync(call.Db, call.Keys).ConfigureAwait(false);
        }
        catch (RedisUnavailableException ex)
        {
            return await FallbackAsync(call, ex, token).ConfigureAwait(false);
        }
        if (TryAnswer(call, read, out var answer, activity))
            return answer;
        CacheGuardTelemetry.Misses.Add(1);
        activity?.SetTag("cacheguard.outcome", "miss");
        return await MissAsync(call, read, token).ConfigureAwait(false);
    }

    /// <summary>A fresh entry answers; a stale one answers and starts one background refresh.</summary>
    private bool TryAnswer<T>(Call<T> call, ReadResult read, out T value, Activity? activity = null)
    {
        var lookup = Decode<T>(read, call.Text);
        value = lookup.Value!;
        if (lookup.IsMiss) return false;
        if (lookup.IsStale)
        {
            CacheGuardTelemetry.StaleServed.Add(1);
            activity?.SetTag("cacheguard.outcome", "stale");
            TriggerRefresh(call);
        }
        else
        {
            CacheGuardTelemetry.Hits.Add(1);
            activity?.SetTag("cacheguard.outcome", lookup.IsNegative ? "negative" : "hit");
        }
        LastKnown.Set(call.Db.Database, call.Text, lookup.IsNegative ? null : value, call.O.Ttl + call.O.StaleWindow);
        return true;
    }

    private async Task<T> MissAsync<T>(Call<T> call, ReadResult read, CancellationToken token)
    {
        var deadline = Environment.TickCount64 + (long)call.O.WaitDeadline.TotalMilliseconds;
        WakeUp? wakeUp = null;
        try
        {
            while (true)
            {
                RedisLease? lease;
                try
                {
                    lease = await RedisAsync(BreakerFor(call.Db, call.Key), () => RedisLease.TryAcquireAsync(call.Db, call.Key, call.O.LeaseTtl)).ConfigureAwait(false);
                }
                catch (RedisUnavailableException ex)
                {
                    return await FallbackAsync(call, ex, token).ConfigureAwait(false);
                }
                if (lease is not null)
                    return await LeadAsync(call, lease, token).ConfigureAwait(false);

                if (wakeUp is null)
                {
                    // Subscribe before the next read: a populate after the read is then never missed.
                    CacheGuardTelemetry.LeaseWaits.Add(1);
                    try
                    {
                        wakeUp = await WakeUp.SubscribeAsync(this, BreakerFor(call.Db, call.Key), call.Keys.Channel).ConfigureAwait(false);
                    }
                    catch (RedisUnavailableException ex)
                    {
                        return await FallbackAsync(call, ex, token).ConfigureAwait(false);
                    }
                }
                else
                {
                    var remaining = deadline - Environment.TickCount64;
                    if (remaining <= 0)
                        return await DeadlineAsync(call, read, token).ConfigureAwait(false);
                    var poll = (long)(Options.PollInterval.TotalMilliseconds * (0.5 + Random.Shared.NextDouble()));
                    await wakeUp.WaitAsync(TimeSpan.FromMilliseconds(Math.Max(1, Math.Min(poll, remaining))), token).ConfigureAwait(false);
                }

                try
                {
                    read = await ReadAsync(call.Db, call.Keys).ConfigureAwait(false);
                }
                catch (RedisUnavailableException ex)
                {
                    return await FallbackAsync(call, ex, token).ConfigureAwait(false);
                }
                if (TryAnswer(call, read, out var answer))
                    return answer;
            }
        }
        finally
        {
            if (wakeUp is not null)
                await wakeUp.DisposeAsync().ConfigureAwait(false);
        }
    }

    private async Task<T> LeadAsync<T>(Call<T> call, RedisLease lease, CancellationToken token)
    {
        await using var _ = lease.ConfigureAwait(false);
        ReadResult read;
        try
        {
            // Re-check: another node may have populated between our miss and our acquire.
            read = await ReadAsync(call.Db, call.Keys).ConfigureAwait(false);
        }
        catch (RedisUnavailableException ex)
        {
            return await FallbackAsync(call, ex, token).ConfigureAwait(false);
        }
        var lookup = Decode<T>(read, call.Text);
        if (!lookup.IsMiss && !lookup.IsStale)
        {
            CacheGuardTelemetry.Hits.Add(1);
            return lookup.Value!;
        }
        using var lost = lease.LeaseLost.Register(static s => { var (l, k) = ((ILogger, string))s!; Log.LeaseLost(l, k); }, (Logger, call.Text));
        var value = await RunFactoryAsync(call, token).ConfigureAwait(false);
        await PopulateAsync(call, value, read, lease).ConfigureAwait(false);
        return value;
    }

    /// <summary>The deadline ladder's last rung: run locally (fenced populate) or fail fast.</summary>
    private async Task<T> DeadlineAsync<T>(Call<T> call, ReadResult read, CancellationToken token)
    {
        if (call.O.OnWaitDeadline == WaitDeadlineBehavior.Throw)
        {
            Log.WaitDeadlinePassed(Logger, call.O.WaitDeadline, call.Text, "failing fast");
            throw new CacheWaitTimeoutException($"Waited {call.O.WaitDeadline} for another node to populate '{call.Text}'.");
        }
        Log.WaitDeadlinePassed(Logger, call.O.WaitDeadline, call.Text, "running the factory locally");
        var value = await RunFactoryAsync(call, token).ConfigureAwait(false);
        await PopulateAsync(call, value, read, lease: null).ConfigureAwait(false);
        return value;
    }

    private async Task<T> FallbackAsync<T>(Call<T> call, RedisUnavailableException ex, CancellationToken token)
    {
        var o = Options;
        if (o.ThrowOnRedisFailure)
            throw ex.InnerException ?? ex;
        CacheGuardTelemetry.Fallbacks.Add(1);
        if (LastKnown.TryGet<T>(call.Db.Database, call.Text, out var known))
        {
            Log.RedisFallback(Logger, call.Text, "last known value", ex);
            return known;
        }
        Log.RedisFallback(Logger, call.Text, "factory", ex);
        var value = await RunFactoryAsync(call, token).ConfigureAwait(false);
        LastKnown.Set(call.Db.Database, call.Text, value, call.O.Ttl + call.O.StaleWindow);
        return value;
    }

    /// <summary>Runs the factory under the hard timeout; a hung factory's token is cancelled.</summary>
    private async Task<T> RunFactoryAsync<T>(Call<T> call, CancellationToken token)
    {
        CacheGuardTelemetry.FactoryRuns.Add(1);
        using var timeout = CancellationTokenSource.CreateLinkedTokenSource(token);
        timeout.CancelAfter(call.O.FactoryTimeout);
        try
        {
            return await call.Factory(timeout.Token).WaitAsync(timeout.Token).ConfigureAwait(false);
        }
        catch (OperationCanceledException) when (timeout.IsCancellationRequested && !token.IsCancellationRequested)
        {
            Log.FactoryTimedOut(Logger, call.Text, call.O.FactoryTimeout);
            if (LastKnown.TryGet<T>(call.Db.Database, call.Text, out var known))
                return known;
            throw new CacheFactoryTimeoutException($"The factory for '{call.Text}' ran past {call.O.FactoryTimeout} and was cancelled.");
        }
    }

    /// <summary>The fenced populate; Redis failures here are logged, never thrown (the caller has its value).</summary>
    private async Task PopulateAsync<T>(Call<T> call, T value, ReadResult startedAt, RedisLease? lease)
    {
        var o = call.O;
        if (value is null && !o.CacheNegative)
        {
            if (lease is not null)
            {
                try { await lease.ReleaseAsync().ConfigureAwait(false); }
                catch (Exception ex) when (IsRedisFailure(ex)) { }
            }
            return;
        }
        var version = value is null ? null : call.VersionOf?.Invoke(value);
        var (entry, ttl) = Encode(value, o, version, call.Text);
        try
        {
            var result = (long)await RedisAsync(BreakerFor(call.Db, call.Key), () => call.Db.ScriptEvaluateAsync(LuaScripts.Populate,
                new[] { call.Keys.Value, call.Keys.Fence, call.Keys.Lease },
                new RedisValue[]
                {
                    startedAt.Fence, startedAt.ServerMs, (long)Options.FenceTtl.TotalMilliseconds, entry,
                    Math.Max(1L, (long)ttl.TotalMilliseconds), version is { } v ? v : RedisValue.EmptyString,
                    lease?.Token ?? "", call.Keys.Channel,
                })).ConfigureAwait(false);
            lease?.MarkReleased();
            switch (result)
            {
                case 1:
                    LastKnown.Set(call.Db.Database, call.Text, value, o.Ttl + o.StaleWindow);
                    break;
                case 0 or -1:
                    CacheGuardTelemetry.Fenced.Add(1);
                    Log.PopulateRefused(Logger, call.Text, result == 0 ? "invalidated since the factory started" : "factory outlived the fence");
                    break;
                default:
                    Log.PopulateRefused(Logger, call.Text, "the cache holds a newer version");
                    break;
            }
        }
        catch (RedisUnavailableException ex)
        {
            Log.RedisFallback(Logger, call.Text, "populate skipped", ex);
            LastKnown.Set(call.Db.Database, call.Text, value, o.Ttl + o.StaleWindow);
        }
    }

    /// <summary>One background refresh per key per process; across processes the lease decides.</summary>
    private void TriggerRefresh<T>(Call<T> call)
    {
        var flightKey = new FlightKey(call.Db.Database, call.Text, typeof(T));
        if (!_refreshing.TryAdd(flightKey, 0)) return;
        _ = Task.Run(async () =>
        {
            try
            {
                var lease = await RedisAsync(BreakerFor(call.Db, call.Key), () => RedisLease.TryAcquireAsync(call.Db, call.Key, call.O.LeaseTtl)).ConfigureAwait(false);
                if (lease is null) return; // another node is refreshing
                await using var _ = lease.ConfigureAwait(false);
                var read = await ReadAsync(call.Db, call.Keys).ConfigureAwait(false);
                var lookup = Decode<T>(read, call.Text);
                if (!lookup.IsMiss && !lookup.IsStale) return;
                var value = await RunFactoryAsync(call, CancellationToken.None).ConfigureAwait(false);
                await PopulateAsync(call, value, read, lease).ConfigureAwait(false);
            }
            catch (Exception ex)
            {
                Log.RefreshFailed(Logger, call.Text, ex);
            }
            finally
            {
                _refreshing.TryRemove(flightKey, out _);
            }
        });
    }

    // ---- Set ----

    public async Task<bool> SetAsync<T>(IDatabase db, RedisKey key, T value, CacheEntryOptions? entryOptions, long? version)
    {
        var text = KeyText(key);
        var keys = new EntryKeys(key);
        var o = ResolvedEntryOptions.Resolve(Options, entryOptions);
        if (version < 0) throw new ArgumentOutOfRangeException(nameof(version), version, "Versions are non-negative.");
        var (entry, ttl) = Encode(value, o, version, text);
        var stored = (long)await db.ScriptEvaluateAsync(LuaScripts.Set,
            new[] { keys.Value, keys.Fence },
            new RedisValue[]
            {
                entry, Math.Max(1L, (long)ttl.TotalMilliseconds), version is { } v ? v : RedisValue.EmptyString,
                Guid.NewGuid().ToString("N"), (long)Options.FenceTtl.TotalMilliseconds, keys.Channel,
            }).ConfigureAwait(false) == 1;
        Flights.Detach(db.Database, text);
        if (stored)
            LastKnown.Set(db.Database, text, value, o.Ttl + o.StaleWindow);
        return stored;
    }

    private (byte[] Entry, TimeSpan Ttl) Encode<T>(T value, ResolvedEntryOptions o, long? version, string key) =>
        value is null
            ? (CacheEntryCodec.Encode(EntryKind.Negative, 0, null, ReadOnlySpan<byte>.Empty), CacheTtl.Jitter(o.NegativeTtl, o.JitterFraction))
            : (CacheEntryCodec.Encode(EntryKind.Value, (long)o.StaleWindow.TotalMilliseconds, version, Serialize(value, key)),
               CacheTtl.Jitter(o.Ttl, o.JitterFraction) + o.StaleWindow);

    /// <summary>Serializes before anything is sent to Redis; a failure is one clear exception naming the key and type.</summary>
    internal byte[] Serialize<T>(T value, string key)
    {
        try
        {
            return Options.Serializer.Serialize(value);
        }
        catch (Exception ex) when (ex is not OutOfMemoryException)
        {
            throw new CacheSerializationException($"The value for cache key '{Shorten(key)}' (type {value!.GetType().FullName}) could not be serialized; nothing was written to Redis. {Shorten(ex.Message)}", ex);
        }
    }

    private static string Shorten(string key) => key.Length <= 200 ? key : string.Concat(key.AsSpan(0, 200), "…");

    /// <summary>Waits for a pub/sub wake-up on one channel, or a poll interval, whichever comes first.</summary>
    private sealed class WakeUp : IAsyncDisposable
    {
        private readonly CacheEngine _engine;
        private readonly RedisChannel _channel;
        private readonly Action<RedisChannel, RedisValue> _handler;
        private TaskCompletionSource _signal = new(TaskCreationOptions.RunContinuationsAsynchronously);

        private WakeUp(CacheEngine engine, string channel)
        {
            _engine = engine;
            _channel = RedisChannel.Literal(channel);
            _handler = (_, _) =>
            {
                if (_engine.Options.Hooks.DropWakeUp?.Invoke() == true) return;
                Volatile.Read(ref _signal).TrySetResult();
            };
        }

        public static async Task<WakeUp> SubscribeAsync(CacheEngine engine, CircuitBreaker breaker, string channel)
        {
            var w = new WakeUp(engine, channel);
            await engine.RedisAsync(breaker, async () =>
            {
                await engine.Multiplexer.GetSubscriber().SubscribeAsync(w._channel, w._handler).ConfigureAwait(false);
                return true;
            }).ConfigureAwait(false);
            return w;
        }

        public async Task WaitAsync(TimeSpan poll, CancellationToken token)
        {
            var signal = Volatile.Read(ref _signal);
            try
            {
                await signal.Task.WaitAsync(poll, token).ConfigureAwait(false);
            }
            catch (TimeoutException)
            {
                // The polling fallback: a lost message costs one interval, never a hang.
            }
            if (signal.Task.IsCompleted)
                Interlocked.CompareExchange(ref _signal, new TaskCompletionSource(TaskCreationOptions.RunContinuationsAsynchronously), signal);
        }

        public async ValueTask DisposeAsync()
        {
            try
            {
                await _engine.Multiplexer.GetSubscriber().UnsubscribeAsync(_channel, _handler).ConfigureAwait(false);
            }
            catch (Exception ex) when (IsRedisFailure(ex))
            {
                // The subscription dies with the connection.
            }
        }
    }
}
