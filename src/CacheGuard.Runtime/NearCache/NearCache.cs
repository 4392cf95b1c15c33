using System.Collections.Concurrent;
using System.ComponentModel;
using System.Net;
using System.Reflection;
using System.Runtime.CompilerServices;
using System.Text;
using CacheGuard.NearCaching;
using StackExchange.Redis;

namespace CacheGuard;

/// <summary>
/// A coherent in-memory level in front of Redis. Values enter memory only from reads made on the
/// near cache's own connections, which have Redis server-assisted client-side caching
/// (<c>CLIENT TRACKING</c>, RESP3) turned on: whoever changes a key afterwards — this process,
/// another node, another service's raw <c>SET</c>/<c>DEL</c>, expiry, eviction, <c>FLUSHALL</c> —
/// the server pushes an invalidation and the entry leaves memory. Each read first puts an
/// in-flight placeholder in memory; an invalidation that arrives before the read's reply removes
/// it, and the reply is then returned but not kept. A lost, reconnected or unhealthy connection,
/// a failover or slot move flushes the node's entries. Where tracking is refused (old servers,
/// proxies) it falls back to a pub/sub backplane of CacheGuard's own invalidations (weaker; see
/// docs/runtime.md, "Near cache").
/// </summary>
public sealed class NearCache : IAsyncDisposable
{
    private readonly ConcurrentDictionary<string, Entry> _entries = new(StringComparer.Ordinal);
    private readonly ConcurrentDictionary<EndPoint, NodeTracker> _trackers = new();
    private readonly IConnectionMultiplexer _multiplexer;
    private readonly CacheEngine _engine; // the multiplexer's CacheGuard state: its current serializer, read once per hit
    private readonly object _evictGate = new();
    private readonly ISubscriber _subscriber;
    private readonly RedisChannel _channel;
    private long _count, _bytes;
    private int _disposed;
    private int _backplaneSubscribed;

    /// <summary>Creates a near cache over <paramref name="multiplexer"/>'s database <paramref name="database"/>.</summary>
    public NearCache(IConnectionMultiplexer multiplexer, NearCacheOptions? options = null, int database = -1)
    {
        ArgumentNullException.ThrowIfNull(multiplexer);
        Options = options ?? new NearCacheOptions();
        Options.Validate();
        _multiplexer = multiplexer;
        _engine = CacheEngine.For(multiplexer);
        Db = multiplexer.GetDatabase(database);
        Database = Db.Database;
        var config = Options.Connection ?? ConfigurationOptions.Parse(multiplexer.Configuration);
        User = config.User;
        Password = config.Password;
        Ssl = config.Ssl;
        SslHost = config.SslHost;
        ClientName = "CacheGuard.Near:" + Environment.ProcessId.ToString(System.Globalization.CultureInfo.InvariantCulture);
        _subscriber = multiplexer.GetSubscriber();
        _channel = RedisChannel.Literal(Options.BackplaneChannel);
        multiplexer.ConnectionFailed += OnMultiplexerChanged;
        multiplexer.ConnectionRestored += OnMultiplexerChanged;
        multiplexer.ConfigurationChangedBroadcast += OnMultiplexerEndpointChanged;
        multiplexer.HashSlotMoved += OnHashSlotMoved;
        multiplexer.ConfigurationChanged += OnMultiplexerEndpointChanged;
        if (Options.Mode == NearCacheMode.Backplane) _ = EnsureBackplaneAsync();
        var endpoints = multiplexer.GetEndPoints(configuredOnly: true);
        if (endpoints.Length == 1 && multiplexer.GetEndPoints().Length == 1 && !IsCluster(multiplexer, endpoints[0])) _singleEndpoint = endpoints[0];
    }

    private readonly EndPoint? _singleEndpoint;

    private static bool IsCluster(IConnectionMultiplexer mux, EndPoint ep)
    {
        try { return mux.GetServer(ep).ServerType == ServerType.Cluster; }
        catch (Exception ex) when (ex is RedisException or ArgumentException or InvalidOperationException) { return true; }
    }

    internal NearCacheOptions Options { get; }
    internal IDatabase Db { get; }
    internal int Database { get; }
    internal string? User { get; }
    internal string? Password { get; }
    internal bool Ssl { get; }
    internal string? SslHost { get; }
    internal string ClientName { get; }

    /// <summary>Counters (also on the CacheGuard meter as <c>cacheguard.near.*</c>).</summary>
    public NearCacheStatistics Statistics { get; } = new();

    /// <summary>Entries in memory (placeholders excluded).</summary>
    public long Count => Interlocked.Read(ref _count);

    /// <summary>
    /// Raised for every invalidation received and every flush, after memory was updated (the key
    /// is no longer served from memory when a handler runs). Handlers must be quick; they run on
    /// the connection's read loop.
    /// </summary>
    public event Action<NearCacheInvalidation>? Invalidated;

    /// <summary>
    /// Opens (or waits for) the tracked connections to every master the multiplexer knows, so the
    /// first reads are served through memory. Reads work without it: a node whose connection is not
    /// ready yet is read straight from Redis.
    /// </summary>
    public async Task WarmUpAsync(CancellationToken cancellationToken = default)
    {
        var tasks = new List<Task>();
        foreach (var ep in _multiplexer.GetEndPoints())
        {
            try
            {
                var server = _multiplexer.GetServer(ep);
                if (server.IsConnected && server.IsReplica) continue;
            }
            catch (ArgumentException)
            {
                // not (yet) a server the multiplexer knows: track it anyway
            }
            tasks.Add(TrackerFor(ep).Ready);
        }
        await Task.WhenAll(tasks).WaitAsync(cancellationToken).ConfigureAwait(false);
    }

    /// <summary>The mode each node ended in (for diagnostics).</summary>
    public IReadOnlyDictionary<EndPoint, string> NodeStates => _trackers.ToDictionary(kv => kv.Key, kv => kv.Value.State.ToString());

    // ---- Reads ----

    /// <summary>Reads <paramref name="key"/> from memory only.</summary>
    public bool TryGetLocal<T>(string key, out T? value)
    {
        if (_entries.TryGetValue(key, out var e) && e.Payload is not null)
        {
            if (IsLive(e))
            {
                value = Materialize<T>(e);
                e.LastAccess = Environment.TickCount64;
                Interlocked.Increment(ref Statistics._localHits);
                NearCacheTelemetry.Hits.Add(1, NearCacheTelemetry.Memory);
                return true;
            }
            Remove(key, e);
        }
        value = default;
        return false;
    }

    /// <summary>
    /// Reads <paramref name="key"/> from memory, else with one tracked read from Redis (kept in
    /// memory for at most <paramref name="localExpiration"/> and the key's Redis TTL). A miss is a
    /// miss in Redis too; <see cref="CacheLookupStatus.Miss"/> is also returned (with nothing read)
    /// when the key's node has no tracked connection yet — then Redis is read without keeping anything.
    /// </summary>
    public async ValueTask<CacheLookup<T>> TryGetAsync<T>(RedisKey key, TimeSpan? localExpiration = null, CancellationToken cancellationToken = default)
    {
        var text = KeyText(key);
        if (TryGetLocal<T>(text, out var local)) return new CacheLookup<T>(CacheLookupStatus.Hit, local, false);
        var read = await ReadTrackedAsync<T>(text, localExpiration, store: true, cancellationToken).ConfigureAwait(false);
        if (read.Found) return new CacheLookup<T>(CacheLookupStatus.Hit, read.Value, false);
        if (read.Tracked) return CacheLookup<T>.Miss;
        // No tracked connection to the key's node right now: read Redis the engine's way, keep nothing.
        return await Db.TryGetAsync<T>(key, cancellationToken).ConfigureAwait(false);
    }

    internal readonly record struct TrackedRead<T>(bool Found, bool Tracked, T? Value);

    internal async ValueTask<TrackedRead<T>> ReadTrackedAsync<T>(string key, TimeSpan? localExpiration, bool store, CancellationToken cancellationToken)
    {
        cancellationToken.ThrowIfCancellationRequested();
        // Share a read already in flight for this key (in-process single-flight of tracked reads).
        if (_entries.TryGetValue(key, out var existing) && existing.Flight is { } shared && existing.Epoch == existing.Tracker.Epoch)
        {
            var r = await shared.WaitAsync(cancellationToken).ConfigureAwait(false);
            if (r.Payload is null) return new TrackedRead<T>(false, r.Tracked, default);
            return new TrackedRead<T>(true, r.Tracked, Deserialize<T>(r.Payload));
        }
        var tracker = TrackerForKey(key);
        if (tracker is null || !tracker.CanServe)
        {
            Interlocked.Increment(ref Statistics._unavailable);
            return new TrackedRead<T>(false, false, default);
        }
        var flight = new TaskCompletionSource<ReadOutcome>(TaskCreationOptions.RunContinuationsAsynchronously);
        // The placeholder goes in before the read is sent (the epoch is re-checked when it is kept).
        var placeholder = new Entry(tracker, tracker.Epoch) { Flight = flight.Task };
        if (store) Put(key, placeholder);
        var pending = tracker.Read(Encoding.UTF8.GetBytes(key), placeholder.MarkReplySeen);
        if (pending is not { } p || p.Epoch != placeholder.Epoch)
        {
            RemovePlaceholder(key, placeholder);
            flight.TrySetResult(new ReadOutcome(false, null, 0));
            Interlocked.Increment(ref Statistics._unavailable);
            return new TrackedRead<T>(false, false, default);
        }
        ReadOutcome outcome;
        try
        {
            var get = await p.Get.ConfigureAwait(false);
            var pttl = await p.Pttl.ConfigureAwait(false);
            outcome = Interpret(get, pttl);
        }
        catch (Exception ex)
        {
            RemovePlaceholder(key, placeholder);
            flight.TrySetException(ex);
            Interlocked.Increment(ref Statistics._unavailable);
            return new TrackedRead<T>(false, false, default);
        }
        flight.TrySetResult(outcome);
        if (!outcome.Tracked || outcome.Payload is null)
        {
            RemovePlaceholder(key, placeholder);
            if (!outcome.Tracked) Interlocked.Increment(ref Statistics._unavailable);
            else { Interlocked.Increment(ref Statistics._misses); NearCacheTelemetry.Misses.Add(1); }
            return new TrackedRead<T>(false, outcome.Tracked, default);
        }
        var value = Deserialize<T>(outcome.Payload);
        Interlocked.Increment(ref Statistics._redisHits);
        NearCacheTelemetry.Hits.Add(1, NearCacheTelemetry.Redis);
        if (store && value is not null)
        {
            var life = (long)(localExpiration ?? Options.DefaultLocalExpiration).TotalMilliseconds;
            if (outcome.FreshForMs >= 0) life = Math.Min(life, outcome.FreshForMs);
            var entry = new Entry(tracker, p.Epoch)
            {
                Payload = outcome.Payload,
                Shared = Options.ShareInstances || Immutable<T>.Is ? value : null,
                ExpiresAt = Environment.TickCount64 + life,
                LastAccess = Environment.TickCount64,
            };
            // Kept only if nothing invalidated the key (or flushed the node) since the placeholder went in.
            if (life > 0 && p.Epoch == tracker.Epoch && _entries.TryUpdate(key, entry, placeholder))
            {
                Interlocked.Increment(ref _count);
                Interlocked.Add(ref _bytes, entry.Payload.Length);
                EvictIfNeeded();
            }
            else
            {
                RemovePlaceholder(key, placeholder);
            }
        }
        else if (store)
        {
            RemovePlaceholder(key, placeholder);
        }
        return new TrackedRead<T>(true, true, value);
    }

    private static ReadOutcome Interpret(RespValue get, RespValue pttl)
    {
        // -MOVED/-ASK (slot moved), -WRONGTYPE, -NOAUTH...: not ours to keep; the caller reads Redis its own way.
        if (get.IsError || pttl.IsError) return new ReadOutcome(false, null, 0);
        if (get.IsNull || get.Bulk is null) return new ReadOutcome(true, null, 0);
        if (!StoredFormat.TryGetFresh(get.Bulk, pttl.Integer, out var payload, out var freshFor)) return new ReadOutcome(true, null, 0);
        return new ReadOutcome(true, payload.ToArray(), freshFor);
    }

    internal sealed record ReadOutcome(bool Tracked, byte[]? Payload, long FreshForMs);

    // ---- Get-or-set over the engine ----

    /// <summary>
    /// Memory, then a tracked Redis read, then CacheGuard's single-flight <c>GetOrSetAsync</c> on a
    /// miss (jitter, negative caching, the fence, exactly-once across nodes). The value the factory
    /// produced enters memory on the next read, through the tracked connection.
    /// </summary>
    public async Task<T> GetOrSetAsync<T>(RedisKey key, Func<CancellationToken, Task<T>> factory, CacheEntryOptions? options = null, TimeSpan? localExpiration = null, CancellationToken cancellationToken = default)
    {
        ArgumentNullException.ThrowIfNull(factory);
        var text = KeyText(key);
        if (TryGetLocal<T>(text, out var local)) return local!;
        var read = await ReadTrackedAsync<T>(text, localExpiration, store: true, cancellationToken).ConfigureAwait(false);
        if (read.Found) return read.Value!;
        return await Db.GetOrSetAsync(key, factory, options, cancellationToken).ConfigureAwait(false);
    }

    /// <summary>Fenced invalidation of <paramref name="key"/> in Redis (every node's memory follows through tracking), and of this process's memory at once.</summary>
    public async Task<InvalidationResult> InvalidateAsync(RedisKey key, CancellationToken cancellationToken = default)
    {
        var text = KeyText(key);
        RemoveLocal(text);
        try
        {
            return await Db.InvalidateAsync(key, cancellationToken).ConfigureAwait(false);
        }
        finally
        {
            RemoveLocal(text);
            await PublishIfBackplaneAsync(text).ConfigureAwait(false);
        }
    }

    /// <summary>Removes <paramref name="key"/> from this process's memory only (and cancels the keeping of a read in flight).</summary>
    public void RemoveLocal(string key)
    {
        if (_entries.TryRemove(key, out var e)) Account(e);
        Invalidated?.Invoke(new NearCacheInvalidation(key, NearCacheInvalidationReason.Local));
    }

    /// <summary>Empties this process's memory.</summary>
    public void Clear()
    {
        foreach (var t in _trackers.Values) t.Flush();
        foreach (var kv in _entries)
            if (_entries.TryRemove(kv)) Account(kv.Value);
    }

    internal async Task PublishIfBackplaneAsync(string key)
    {
        if (Volatile.Read(ref _backplaneSubscribed) == 0) return;
        try { await _subscriber.PublishAsync(_channel, key).ConfigureAwait(false); }
        catch (Exception ex) when (ex is RedisException or TimeoutException) { /* entries still end at their local expiration */ }
    }

    // ---- Invalidation plumbing ----

    internal void InvalidateFromServer(string key, NearCacheInvalidationReason reason, NodeTracker? from = null)
    {
        // A push that arrives on a read's own connection before that read's reply was produced
        // before the read ran: the read saw the write, so its placeholder stays. Anything else
        // (a push after the reply, another connection's news, the backplane) removes the entry.
        while (_entries.TryGetValue(key, out var e))
        {
            if (e.Payload is null && from is not null && ReferenceEquals(e.Tracker, from) && !e.ReplySeen) break;
            if (_entries.TryRemove(new KeyValuePair<string, Entry>(key, e))) { Account(e); break; }
        }
        Interlocked.Increment(ref Statistics._invalidations);
        NearCacheTelemetry.Invalidations.Add(1, reason == NearCacheInvalidationReason.Backplane ? NearCacheTelemetry.Backplane : NearCacheTelemetry.Tracking);
        Invalidated?.Invoke(new NearCacheInvalidation(key, reason));
    }

    internal void Flushed(NodeTracker tracker, NearCacheInvalidationReason reason)
    {
        Interlocked.Increment(ref Statistics._flushes);
        NearCacheTelemetry.Flushes.Add(1);
        foreach (var kv in _entries)
            if (ReferenceEquals(kv.Value.Tracker, tracker) && _entries.TryRemove(kv)) Account(kv.Value);
        Invalidated?.Invoke(new NearCacheInvalidation(null, reason));
    }

    internal Task TrackerReadyAsync(NodeTracker tracker) =>
        tracker.State == TrackerState.Backplane ? EnsureBackplaneAsync() : Task.CompletedTask;

    internal void TrackerLost(NodeTracker tracker) => Flushed(tracker, NearCacheInvalidationReason.ConnectionLost);

    private void FlushAll()
    {
        foreach (var t in _trackers.Values)
        {
            t.Flush();
            Flushed(t, NearCacheInvalidationReason.ConnectionLost);
        }
    }

    private void OnMultiplexerChanged(object? sender, ConnectionFailedEventArgs e) => FlushAll();

    private void OnMultiplexerEndpointChanged(object? sender, EndPointEventArgs e) => FlushAll();

    private void OnHashSlotMoved(object? sender, HashSlotMovedEventArgs e) => FlushAll();

    private Task? _backplane;

    private Task EnsureBackplaneAsync()
    {
        lock (_evictGate)
        {
            return _backplane ??= SubscribeAsync();
        }

        async Task SubscribeAsync()
        {
            try
            {
                await _subscriber.SubscribeAsync(_channel, (_, message) =>
                {
                    var key = (string?)message;
                    if (key is null) return;
                    InvalidateFromServer(key, NearCacheInvalidationReason.Backplane);
                }).ConfigureAwait(false);
                Volatile.Write(ref _backplaneSubscribed, 1);
            }
            catch
            {
                lock (_evictGate) _backplane = null; // the tracker's next connect tries again
                throw;
            }
        }
    }

    // ---- Memory ----

    private sealed class Entry(NodeTracker tracker, long epoch)
    {
        public NodeTracker Tracker { get; } = tracker;
        public long Epoch { get; } = epoch;
        public byte[]? Payload { get; init; }
        public object? Shared { get; init; }
        public long ExpiresAt { get; init; }
        public long LastAccess;
        public Task<ReadOutcome>? Flight { get; init; }
        private volatile bool _replySeen;
        public bool ReplySeen => _replySeen;
        public void MarkReplySeen() => _replySeen = true;
    }

    private static bool IsLive(Entry e) => e.Epoch == e.Tracker.Epoch && Environment.TickCount64 < e.ExpiresAt && e.Tracker.CanServe;

    private T? Materialize<T>(Entry e)
    {
        if (e.Shared is T shared) return shared;
        return Deserialize<T>(e.Payload!);
    }

    private T? Deserialize<T>(byte[] payload)
    {
        if (typeof(T) == typeof(byte[])) return (T)(object)payload.AsSpan().ToArray();
        return _engine.Options.Serializer.Deserialize<T>(payload);
    }

    private void Put(string key, Entry placeholder)
    {
        while (true)
        {
            if (_entries.TryGetValue(key, out var old))
            {
                if (_entries.TryUpdate(key, placeholder, old)) { Account(old); return; }
            }
            else if (_entries.TryAdd(key, placeholder)) return;
        }
    }

    private void RemovePlaceholder(string key, Entry placeholder) => _entries.TryRemove(new KeyValuePair<string, Entry>(key, placeholder));

    private void Remove(string key, Entry e)
    {
        if (_entries.TryRemove(new KeyValuePair<string, Entry>(key, e))) Account(e);
    }

    private void Account(Entry removed)
    {
        if (removed.Payload is null) return;
        Interlocked.Decrement(ref _count);
        Interlocked.Add(ref _bytes, -removed.Payload.Length);
    }

    private void EvictIfNeeded()
    {
        if (Interlocked.Read(ref _count) <= Options.MaxEntries && Interlocked.Read(ref _bytes) <= Options.MaxBytes) return;
        if (!Monitor.TryEnter(_evictGate)) return;
        try
        {
            while (Interlocked.Read(ref _count) > Options.MaxEntries || Interlocked.Read(ref _bytes) > Options.MaxBytes)
            {
                // Approximate LRU, as Redis does it: sample some entries, evict the least recently used.
                KeyValuePair<string, Entry>? victim = null;
                var sampled = 0;
                var now = Environment.TickCount64;
                foreach (var kv in _entries)
                {
                    if (kv.Value.Payload is null) continue;
                    if (!IsLive(kv.Value) || kv.Value.ExpiresAt <= now) { victim = kv; break; }
                    if (victim is null || kv.Value.LastAccess < victim.Value.Value.LastAccess) victim = kv;
                    if (++sampled >= 16) break;
                }
                if (victim is not { } v) break;
                if (_entries.TryRemove(v))
                {
                    Account(v.Value);
                    Interlocked.Increment(ref Statistics._evictions);
                    NearCacheTelemetry.Evictions.Add(1);
                }
            }
        }
        finally
        {
            Monitor.Exit(_evictGate);
        }
    }

    // ---- Nodes ----

    private NodeTracker? TrackerForKey(string key)
    {
        if (Volatile.Read(ref _disposed) != 0) return null;
        // One configured server and no cluster: that server, even while the multiplexer itself is
        // reconnecting. Otherwise the master the multiplexer's slot map names for the key.
        var single = _singleEndpoint;
        if (single is not null) return TrackerFor(single);
        EndPoint? ep;
        try { ep = Db.IdentifyEndpoint(key); }
        catch (RedisException) { return null; }
        return ep is null ? null : TrackerFor(ep);
    }

    private NodeTracker TrackerFor(EndPoint ep) => _trackers.GetOrAdd(ep, e => new NodeTracker(this, e));

    internal NodeTracker? TrackerOf(string key) => TrackerForKey(key);

    internal IEnumerable<NodeTracker> Trackers => _trackers.Values;

    /// <summary>
    /// Waits for one round trip on every tracked connection: afterwards, every write to Redis that
    /// completed before the call has been applied to this process's memory (or its node was flushed).
    /// </summary>
    public Task BarrierAsync() => Task.WhenAll(_trackers.Values.Select(t => t.BarrierAsync()));

    private static string KeyText(RedisKey key)
    {
        var text = (string?)key;
        if (string.IsNullOrEmpty(text)) throw new ArgumentException("A cache key must not be empty.", nameof(key));
        return text;
    }

    /// <summary>Closes the tracked connections and empties memory.</summary>
    public async ValueTask DisposeAsync()
    {
        if (Interlocked.Exchange(ref _disposed, 1) != 0) return;
        _multiplexer.ConnectionFailed -= OnMultiplexerChanged;
        _multiplexer.ConnectionRestored -= OnMultiplexerChanged;
        _multiplexer.ConfigurationChangedBroadcast -= OnMultiplexerEndpointChanged;
        _multiplexer.HashSlotMoved -= OnHashSlotMoved;
        _multiplexer.ConfigurationChanged -= OnMultiplexerEndpointChanged;
        if (Volatile.Read(ref _backplaneSubscribed) != 0)
        {
            try { await _subscriber.UnsubscribeAsync(_channel).ConfigureAwait(false); } catch (Exception) { /* closing */ }
        }
        foreach (var t in _trackers.Values) await t.DisposeAsync().ConfigureAwait(false);
        _entries.Clear();
        Interlocked.Exchange(ref _count, 0);
        Interlocked.Exchange(ref _bytes, 0);
    }

    /// <summary>
    /// Whether one deserialized instance may be handed to every caller without changing what they
    /// can observe. Microsoft's HybridCache rule (string; a value type or a sealed class marked
    /// <c>[ImmutableObject(true)]</c>), plus types where sharing is a copy anyway: primitives, enums
    /// and other structs without references (unboxing copies them whole), and the immutable BCL
    /// value types. A record is not immutable by this rule unless it is sealed and marked.
    /// </summary>
    internal static class Immutable<T>
    {
        public static readonly bool Is = Compute(typeof(T)) || (typeof(T).IsValueType && !RuntimeHelpers.IsReferenceOrContainsReferences<T>());

        private static bool Compute(Type t)
        {
            t = Nullable.GetUnderlyingType(t) ?? t;
            if (t == typeof(string) || t.IsPrimitive || t.IsEnum || t == typeof(decimal) || t == typeof(DateTime) || t == typeof(DateTimeOffset) || t == typeof(TimeSpan) || t == typeof(Guid))
                return true;
            if (t.IsValueType || (t.IsClass && t.IsSealed))
                return t.GetCustomAttribute<ImmutableObjectAttribute>() is { Immutable: true };
            return false;
        }
    }
}
