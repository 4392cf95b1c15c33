#if NET10_0_OR_GREATER
using System.Collections.Concurrent;
using Microsoft.Extensions.Caching.Hybrid;
using StackExchange.Redis;

namespace CacheGuard.Hybrid;

/// <summary>Options of <see cref="CacheGuardHybridCache"/> (<c>services.AddCacheGuardHybridCache(o =&gt; ...)</c>).</summary>
public sealed class CacheGuardHybridCacheOptions
{
    /// <summary>
    /// Prepended to every HybridCache key to make the Redis key (default none: the Redis key is the
    /// HybridCache key, so other services can read and delete it with plain GET/DEL).
    /// </summary>
    public string? KeyPrefix { get; set; }

    /// <summary>Entry options used when a call passes none, or leaves a field unset. Default: Expiration 5 minutes, LocalCacheExpiration = Expiration.</summary>
    public HybridCacheEntryOptions? DefaultEntryOptions { get; set; }

    /// <summary>The Redis database (default: the multiplexer's default database).</summary>
    public int Database { get; set; } = -1;

    /// <summary>Keep an in-memory level kept coherent by Redis tracking (default true). Off: every hit reads Redis.</summary>
    public bool UseNearCache { get; set; } = true;

    /// <summary>Options of the in-memory level.</summary>
    public NearCacheOptions NearCache { get; set; } = new();

    /// <summary>
    /// CacheGuard's stale-while-revalidate window for entries written through HybridCache. Default
    /// zero, as HybridCache has no stale serving: once the key is gone from Redis (expired,
    /// <c>RemoveAsync</c>, or another service's raw <c>DEL</c>) the next call runs the factory. Set it
    /// to serve the old value while one caller refreshes.
    /// </summary>
    public TimeSpan StaleWindow { get; set; } = TimeSpan.Zero;

    /// <summary>How long a tag's key set is kept past the longest entry written with that tag. Default 1 hour.</summary>
    public TimeSpan TagIndexSlack { get; set; } = TimeSpan.FromHours(1);
}

/// <summary>
/// CacheGuard as the app's <see cref="HybridCache"/>: Redis is the shared level, read and written
/// at exactly the HybridCache key (plus <see cref="CacheGuardHybridCacheOptions.KeyPrefix"/>) in
/// CacheGuard's stored format (a plain GET + the serializer reads it); misses go through
/// CacheGuard's single-flight get-or-set (exactly one factory run across nodes, jittered TTL,
/// negative caching, fenced invalidation); the in-memory level is a <see cref="CacheGuard.NearCache"/>,
/// which Redis invalidates whoever changes a key. Tags are Redis sets of keys, so
/// <see cref="RemoveByTagAsync(string, CancellationToken)"/> removes the entries in Redis and thus
/// from every node's memory.
/// </summary>
public sealed class CacheGuardHybridCache : HybridCache, IAsyncDisposable
{
    private static readonly TimeSpan DefaultExpiration = TimeSpan.FromMinutes(5);

    private readonly IDatabase _db;
    private readonly CacheGuardHybridCacheOptions _options;
    private readonly ConcurrentDictionary<string, LocalOnly> _localOnly = new(StringComparer.Ordinal);
    private readonly ConcurrentDictionary<string, Task<object?>> _flights = new(StringComparer.Ordinal);
    private readonly string _prefix;

    /// <summary>Creates the cache over <paramref name="multiplexer"/> (CacheGuard's options come from <see cref="CacheGuardDatabaseExtensions.Configure"/> / AddCacheGuard).</summary>
    public CacheGuardHybridCache(IConnectionMultiplexer multiplexer, CacheGuardHybridCacheOptions? options = null)
    {
        ArgumentNullException.ThrowIfNull(multiplexer);
        _options = options ?? new CacheGuardHybridCacheOptions();
        _db = multiplexer.GetDatabase(_options.Database);
        _prefix = _options.KeyPrefix ?? "";
        Near = _options.UseNearCache ? new NearCache(multiplexer, _options.NearCache, _db.Database) : null;
    }

    /// <summary>The in-memory level (null when <see cref="CacheGuardHybridCacheOptions.UseNearCache"/> is off).</summary>
    public NearCache? Near { get; }

    /// <inheritdoc />
    public override ValueTask<T> GetOrCreateAsync<TState, T>(string key, TState state, Func<TState, CancellationToken, ValueTask<T>> factory,
        HybridCacheEntryOptions? options = null, IEnumerable<string>? tags = null, CancellationToken cancellationToken = default)
    {
        ArgumentNullException.ThrowIfNull(key);
        ArgumentNullException.ThrowIfNull(factory);
        cancellationToken.ThrowIfCancellationRequested();
        var k = _prefix.Length == 0 ? key : _prefix + key;
        var flags = Flags(options);
        // The memory hit completes synchronously, without an async state machine.
        if (Near is { } near && (flags & HybridCacheEntryFlags.DisableLocalCacheRead) == 0)
        {
            if (near.TryGetLocal<T>(k, out var hit)) return new ValueTask<T>(hit!);
            if (TryLocalOnly<T>(k, out var lo)) return new ValueTask<T>(lo!);
        }
        return GetOrCreateSlowAsync(k, flags, state, factory, options, tags, cancellationToken);
    }

    private async ValueTask<T> GetOrCreateSlowAsync<TState, T>(string k, HybridCacheEntryFlags flags, TState state, Func<TState, CancellationToken, ValueTask<T>> factory,
        HybridCacheEntryOptions? options, IEnumerable<string>? tags, CancellationToken cancellationToken)
    {
        var near = Near;
        var localWrite = near is not null && !flags.HasFlag(HybridCacheEntryFlags.DisableLocalCacheWrite);
        var remoteRead = !flags.HasFlag(HybridCacheEntryFlags.DisableDistributedCacheRead);
        var remoteWrite = !flags.HasFlag(HybridCacheEntryFlags.DisableDistributedCacheWrite);
        var localExpiration = LocalExpiration(options);

        if (remoteRead)
        {
            if (near is not null)
            {
                var read = await near.ReadTrackedAsync<T>(k, localExpiration, store: localWrite, cancellationToken).ConfigureAwait(false);
                if (read.Found) return read.Value!;
                if (!read.Tracked)
                {
                    var lookup = await _db.TryGetAsync<T>(k, cancellationToken).ConfigureAwait(false);
                    if (lookup.IsHit) return lookup.Value!;
                }
            }
            else
            {
                var lookup = await _db.TryGetAsync<T>(k, cancellationToken).ConfigureAwait(false);
                if (lookup.IsHit) return lookup.Value!;
            }
        }
        if (flags.HasFlag(HybridCacheEntryFlags.DisableUnderlyingData))
            return default!;

        var tagList = Tags(tags);
        var expiration = Expiration(options);
        if (remoteRead && remoteWrite)
        {
            // The shared path: CacheGuard's single-flight get-or-set (in process and across nodes).
            // Tags are indexed before the factory runs, so a RemoveByTagAsync that starts after
            // the factory started sees the key and fences the populate.
            return await _db.GetOrSetAsync<T>(k, async ct =>
            {
                await IndexTagsAsync(k, tagList, expiration).ConfigureAwait(false);
                return await factory(state, ct).ConfigureAwait(false);
            }, EntryOptions(expiration), cancellationToken).ConfigureAwait(false);
        }

        // Reads or writes of the distributed level are turned off for this call: run the factory
        // once per key in this process, then write where allowed.
        var value = await RunLocalFlightAsync(k, state, factory, cancellationToken).ConfigureAwait(false);
        if (remoteWrite)
        {
            await IndexTagsAsync(k, tagList, expiration).ConfigureAwait(false);
            await _db.SetAsync(k, value, EntryOptions(expiration), cancellationToken: cancellationToken).ConfigureAwait(false);
            near?.RemoveLocal(k);
        }
        else if (localWrite && value is not null)
        {
            _localOnly[k] = new LocalOnly(value, Environment.TickCount64 + (long)(localExpiration ?? expiration).TotalMilliseconds, tagList);
        }
        return value;
    }

    /// <inheritdoc />
    public override async ValueTask SetAsync<T>(string key, T value, HybridCacheEntryOptions? options = null, IEnumerable<string>? tags = null, CancellationToken cancellationToken = default)
    {
        ArgumentNullException.ThrowIfNull(key);
        cancellationToken.ThrowIfCancellationRequested();
        var k = _prefix + key;
        var flags = Flags(options);
        var expiration = Expiration(options);
        var tagList = Tags(tags);
        _localOnly.TryRemove(k, out _);
        if (!flags.HasFlag(HybridCacheEntryFlags.DisableDistributedCacheWrite))
        {
            await IndexTagsAsync(k, tagList, expiration).ConfigureAwait(false);
            await _db.SetAsync(k, value, EntryOptions(expiration), cancellationToken: cancellationToken).ConfigureAwait(false);
            if (Near is { } near)
            {
                near.RemoveLocal(k);
                await near.PublishIfBackplaneAsync(k).ConfigureAwait(false);
            }
        }
        else if (Near is not null && !flags.HasFlag(HybridCacheEntryFlags.DisableLocalCacheWrite) && value is not null)
        {
            _localOnly[k] = new LocalOnly(value, Environment.TickCount64 + (long)(LocalExpiration(options) ?? expiration).TotalMilliseconds, tagList);
        }
    }

    /// <inheritdoc />
    public override async ValueTask RemoveAsync(string key, CancellationToken cancellationToken = default)
    {
        ArgumentNullException.ThrowIfNull(key);
        var k = _prefix + key;
        _localOnly.TryRemove(k, out _);
        var result = Near is { } near
            ? await near.InvalidateAsync(k, cancellationToken).ConfigureAwait(false)
            : await _db.InvalidateAsync(k, cancellationToken).ConfigureAwait(false);
        ThrowIfFailed(result);
    }

    /// <summary>
    /// HybridCache's removals return nothing, so a removal that did not reach Redis must throw (as
    /// Microsoft's does when Redis fails) instead of looking done; CacheGuard's own API returns the result.
    /// </summary>
    private static void ThrowIfFailed(InvalidationResult result)
    {
        if (!result.Succeeded) throw new CacheInvalidationException(result);
    }

    /// <inheritdoc />
    public override async ValueTask RemoveByTagAsync(string tag, CancellationToken cancellationToken = default)
    {
        ArgumentException.ThrowIfNullOrEmpty(tag);
        if (tag == "*")
            throw new NotSupportedException("CacheGuardHybridCache does not support the \"*\" (everything) tag: remove by key or by a tag of your own.");
        foreach (var kv in _localOnly)
            if (kv.Value.Tags.Contains(tag)) _localOnly.TryRemove(kv);
        var tagKey = TagKey(tag);
        var members = await _db.SetMembersAsync(tagKey).ConfigureAwait(false);
        if (members.Length == 0) return;
        var keys = members.Select(m => (RedisKey)(string)m!).ToArray();
        foreach (var k in keys) Near?.RemoveLocal((string)k!);
        var result = await _db.InvalidateAsync(keys, cancellationToken).ConfigureAwait(false);
        foreach (var k in keys)
        {
            Near?.RemoveLocal((string)k!);
            if (Near is { } near) await near.PublishIfBackplaneAsync((string)k!).ConfigureAwait(false);
        }
        ThrowIfFailed(result); // the tag keeps its members: a retry removes them
        await _db.SetRemoveAsync(tagKey, members).ConfigureAwait(false);
    }

    /// <summary>Closes the in-memory level's connections.</summary>
    public ValueTask DisposeAsync() => Near?.DisposeAsync() ?? ValueTask.CompletedTask;

    // ---- helpers ----

    private CacheEntryOptions EntryOptions(TimeSpan expiration) => new() { Ttl = expiration, StaleWindow = _options.StaleWindow };

    private RedisKey TagKey(string tag) => "cg:tag:" + _prefix + tag;

    private async Task IndexTagsAsync(string key, string[] tags, TimeSpan expiration)
    {
        if (tags.Length == 0) return;
        var ttl = (long)(expiration + _options.TagIndexSlack).TotalMilliseconds;
        foreach (var tag in tags)
            await _db.ScriptEvaluateAsync(HybridScripts.AddToTag, new[] { TagKey(tag) }, new RedisValue[] { key, ttl }).ConfigureAwait(false);
    }

    private static string[] Tags(IEnumerable<string>? tags)
    {
        if (tags is null) return Array.Empty<string>();
        var list = tags.Distinct(StringComparer.Ordinal).ToArray();
        foreach (var t in list)
        {
            if (string.IsNullOrEmpty(t)) throw new ArgumentException("A tag must not be empty.", nameof(tags));
            if (t == "*") throw new ArgumentException("\"*\" is reserved and cannot be used as a tag.", nameof(tags));
        }
        return list;
    }

    private HybridCacheEntryFlags Flags(HybridCacheEntryOptions? options) =>
        options?.Flags ?? _options.DefaultEntryOptions?.Flags ?? HybridCacheEntryFlags.None;

    private TimeSpan Expiration(HybridCacheEntryOptions? options) =>
        options?.Expiration ?? _options.DefaultEntryOptions?.Expiration ?? DefaultExpiration;

    private TimeSpan? LocalExpiration(HybridCacheEntryOptions? options) =>
        options?.LocalCacheExpiration ?? _options.DefaultEntryOptions?.LocalCacheExpiration ?? options?.Expiration ?? _options.DefaultEntryOptions?.Expiration;

    private bool TryLocalOnly<T>(string key, out T? value)
    {
        value = default;
        if (_localOnly.IsEmpty || !_localOnly.TryGetValue(key, out var e)) return false;
        if (Environment.TickCount64 >= e.ExpiresAt) { _localOnly.TryRemove(new KeyValuePair<string, LocalOnly>(key, e)); return false; }
        if (e.Value is not T t) return false;
        value = t;
        return true;
    }

    private async ValueTask<T> RunLocalFlightAsync<TState, T>(string key, TState state, Func<TState, CancellationToken, ValueTask<T>> factory, CancellationToken cancellationToken)
    {
        var mine = new TaskCompletionSource<object?>(TaskCreationOptions.RunContinuationsAsynchronously);
        var flight = _flights.GetOrAdd(key, mine.Task);
        if (flight != mine.Task)
            return (T)(await flight.WaitAsync(cancellationToken).ConfigureAwait(false))!;
        try
        {
            var value = await factory(state, cancellationToken).ConfigureAwait(false);
            mine.TrySetResult(value);
            return value;
        }
        catch (Exception ex)
        {
            mine.TrySetException(ex);
            throw;
        }
        finally
        {
            _flights.TryRemove(new KeyValuePair<string, Task<object?>>(key, mine.Task));
        }
    }

    private sealed record LocalOnly(object Value, long ExpiresAt, string[] Tags);
}
#endif
