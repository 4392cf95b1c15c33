using StackExchange.Redis;

namespace CacheGuard;

/// <summary>
/// CacheGuard's operations as extension methods over <see cref="IDatabase"/>, so existing
/// <c>_db.StringGet…/StringSet…</c> call sites can be rewritten in place. Coordination state
/// (in-process flights, circuit breaker, fail-safe memory, options) is shared per
/// <see cref="IConnectionMultiplexer"/>.
/// </summary>
public static class CacheGuardDatabaseExtensions
{
    /// <summary>Sets the options every CacheGuard call on <paramref name="multiplexer"/> uses (call once at startup).</summary>
    public static void Configure(IConnectionMultiplexer multiplexer, CacheGuardOptions options) => CacheEngine.Configure(multiplexer, options);

    /// <summary>The options in effect for <paramref name="multiplexer"/>.</summary>
    public static CacheGuardOptions GetOptions(IConnectionMultiplexer multiplexer) => CacheEngine.For(multiplexer).Options;

    /// <summary>
    /// Returns the cached value of <paramref name="key"/>, or runs <paramref name="factory"/> exactly
    /// once across all callers and nodes, caches its result for <paramref name="ttl"/> (jittered) and returns it.
    /// A null result is cached as a short negative entry.
    /// </summary>
    /// <example><code>var post = await _db.GetOrSetAsync($"post:{id}", async ct => await _store.LoadAsync(id), TimeSpan.FromMinutes(5));</code></example>
    /// <exception cref="ArgumentException"><paramref name="key"/> is null or empty.</exception>
    /// <exception cref="ArgumentNullException"><paramref name="db"/> or <paramref name="factory"/> is null.</exception>
    /// <exception cref="ArgumentOutOfRangeException"><paramref name="ttl"/> is zero, negative or longer than ten years.</exception>
    /// <exception cref="CacheSerializationException">The factory's value can't be serialized (nothing is written).</exception>
    public static Task<T> GetOrSetAsync<T>(this IDatabase db, RedisKey key, Func<CancellationToken, Task<T>> factory, TimeSpan ttl, CancellationToken cancellationToken = default)
    {
        ResolvedEntryOptions.ValidateTtl(ttl, nameof(ttl));
        return CacheEngine.For(db).GetOrSetAsync(db, key, factory, ttl, null, null, cancellationToken);
    }

    /// <summary>As <see cref="GetOrSetAsync{T}(IDatabase, RedisKey, Func{CancellationToken, Task{T}}, TimeSpan, CancellationToken)"/>, with per-call options.</summary>
    public static Task<T> GetOrSetAsync<T>(this IDatabase db, RedisKey key, Func<CancellationToken, Task<T>> factory, CacheEntryOptions? options = null, CancellationToken cancellationToken = default) =>
        CacheEngine.For(db).GetOrSetAsync(db, key, factory, null, options, null, cancellationToken);

    /// <summary>
    /// Get-or-set whose populate lands only if <paramref name="versionOf"/> of the new value is
    /// newer than the version of the value cached (a row version read with the data).
    /// </summary>
    public static Task<T> GetOrSetVersionedAsync<T>(this IDatabase db, RedisKey key, Func<CancellationToken, Task<T>> factory, Func<T, long?> versionOf, CacheEntryOptions? options = null, CancellationToken cancellationToken = default)
    {
        ArgumentNullException.ThrowIfNull(versionOf);
        return CacheEngine.For(db).GetOrSetAsync(db, key, factory, null, options, versionOf, cancellationToken);
    }

    /// <summary>
    /// Synchronous get-or-set for synchronous call sites (blocks the calling thread while Redis
    /// answers). The factory runs on the thread pool, so <see cref="CacheGuardOptions.FactoryTimeout"/> holds for it.
    /// </summary>
    public static T GetOrSet<T>(this IDatabase db, RedisKey key, Func<CancellationToken, T> factory, TimeSpan ttl, CancellationToken cancellationToken = default)
    {
        ResolvedEntryOptions.ValidateTtl(ttl, nameof(ttl));
        ArgumentNullException.ThrowIfNull(factory);
        return CacheEngine.For(db).GetOrSetAsync(db, key, ct => Task.FromResult(factory(ct)), ttl, null, null, cancellationToken).GetAwaiter().GetResult();
    }

    /// <summary>Synchronous get-or-set with per-call options.</summary>
    public static T GetOrSet<T>(this IDatabase db, RedisKey key, Func<CancellationToken, T> factory, CacheEntryOptions? options = null, CancellationToken cancellationToken = default)
    {
        ArgumentNullException.ThrowIfNull(factory);
        return CacheEngine.For(db).GetOrSetAsync(db, key, ct => Task.FromResult(factory(ct)), null, options, null, cancellationToken).GetAwaiter().GetResult();
    }

    /// <summary>Reads an entry: a value (fresh, or <see cref="CacheLookup{T}.IsStale"/> inside the stale window) (<see cref="CacheLookupStatus.Hit"/>), a cached "not found" (<see cref="CacheLookupStatus.Negative"/>) or nothing.</summary>
    /// <exception cref="RedisException">Redis failed (reads without a factory have nothing to fall back to).</exception>
    /// <exception cref="RedisUnavailableException">The circuit breaker is open.</exception>
    /// <exception cref="CacheKeyTypeException">The key holds another Redis type.</exception>
    public static async Task<CacheLookup<T>> TryGetAsync<T>(this IDatabase db, RedisKey key, CancellationToken cancellationToken = default)
    {
        cancellationToken.ThrowIfCancellationRequested();
        try
        {
            return await CacheEngine.For(db).TryGetAsync<T>(db, key).ConfigureAwait(false);
        }
        catch (RedisUnavailableException ex) when (ex.InnerException is not null)
        {
            System.Runtime.ExceptionServices.ExceptionDispatchInfo.Throw(ex.InnerException);
            throw;
        }
    }

    /// <summary>
    /// Writes a value (null writes a negative entry) and moves the key's fence, so no populate that
    /// started earlier can overwrite it. With <paramref name="version"/>, the write lands only if
    /// newer than the cached version. Prefer <see cref="InvalidateAsync(IDatabase, RedisKey, CancellationToken)"/> after a database write.
    /// </summary>
    /// <returns>False when a version was given and the cache already holds the same or a newer one.</returns>
    public static Task<bool> SetAsync<T>(this IDatabase db, RedisKey key, T value, CacheEntryOptions? options = null, long? version = null, CancellationToken cancellationToken = default)
    {
        cancellationToken.ThrowIfCancellationRequested();
        return CacheEngine.For(db).SetAsync(db, key, value, null, options, version);
    }

    /// <summary>As <see cref="SetAsync{T}(IDatabase, RedisKey, T, CacheEntryOptions?, long?, CancellationToken)"/> with a fresh TTL.</summary>
    public static Task<bool> SetAsync<T>(this IDatabase db, RedisKey key, T value, TimeSpan ttl, long? version = null, CancellationToken cancellationToken = default)
    {
        ResolvedEntryOptions.ValidateTtl(ttl, nameof(ttl));
        cancellationToken.ThrowIfCancellationRequested();
        return CacheEngine.For(db).SetAsync(db, key, value, ttl, null, version);
    }

    /// <summary>
    /// Removes the entry so the next read repopulates from the committed row, and fences it so a
    /// populate whose factory started before this call can't land afterwards. Call it after the
    /// database commit on the update path and on the create path (it clears negative entries).
    /// Failures are retried, then reported in the result (never thrown unless configured).
    /// </summary>
    public static Task<InvalidationResult> InvalidateAsync(this IDatabase db, RedisKey key, CancellationToken cancellationToken = default) =>
        CacheEngine.For(db).InvalidateAsync(db, new[] { key }, cancellationToken);

    /// <summary>Invalidates several keys: one round trip per hash slot, a per-key outcome in the result.</summary>
    public static Task<InvalidationResult> InvalidateAsync(this IDatabase db, RedisKey[] keys, CancellationToken cancellationToken = default) =>
        CacheEngine.For(db).InvalidateAsync(db, keys, cancellationToken);

    /// <summary>Synchronous <see cref="InvalidateAsync(IDatabase, RedisKey, CancellationToken)"/>.</summary>
    public static InvalidationResult Invalidate(this IDatabase db, RedisKey key) =>
        CacheEngine.For(db).InvalidateAsync(db, new[] { key }, CancellationToken.None).GetAwaiter().GetResult();

    /// <summary>
    /// Tries to take the cross-process lease on <paramref name="key"/>; null when another holder has it.
    /// The lease renews itself every third of <paramref name="ttl"/> until it is released or disposed;
    /// watch <see cref="RedisLease.LeaseLost"/> for a takeover.
    /// </summary>
    public static async Task<RedisLease?> TryAcquireLeaseAsync(this IDatabase db, RedisKey key, TimeSpan ttl, CancellationToken cancellationToken = default)
    {
        ArgumentNullException.ThrowIfNull(db);
        cancellationToken.ThrowIfCancellationRequested();
        var target = KeyTarget.Of(db, key);
        return await RedisLease.TryAcquireAsync(target.Db, target.Key, ttl).ConfigureAwait(false);
    }

    /// <summary>Synchronous <see cref="TryAcquireLeaseAsync"/>.</summary>
    public static RedisLease? TryAcquireLease(this IDatabase db, RedisKey key, TimeSpan ttl)
    {
        ArgumentNullException.ThrowIfNull(db);
        var target = KeyTarget.Of(db, key);
        return RedisLease.TryAcquire(target.Db, target.Key, ttl);
    }

    /// <summary>
    /// Write-behind: writes the value to the cache and appends it to the durable outbox in one
    /// atomic step; <see cref="OutboxReplayer"/> later applies it to the database through an
    /// idempotent <see cref="IOutboxWriter"/>. Use only when the database may lag the cache.
    /// </summary>
    /// <returns>The outbox entry's id in its stream (<see cref="OutboxEntry.EntryId"/>; unique within the stream). Without
    /// <paramref name="idempotencyKey"/> the entry's idempotency key is <c>&lt;stream&gt;/&lt;entry id&gt;</c>.</returns>
    public static Task<string> WriteBehindAsync<T>(this IDatabase db, RedisKey key, T value, CacheEntryOptions? options = null, string? idempotencyKey = null, CancellationToken cancellationToken = default)
    {
        cancellationToken.ThrowIfCancellationRequested();
        return CacheEngine.For(db).WriteBehindAsync(db, key, value, null, options, idempotencyKey);
    }

    /// <summary>As <see cref="WriteBehindAsync{T}(IDatabase, RedisKey, T, CacheEntryOptions?, string?, CancellationToken)"/> with a fresh TTL.</summary>
    public static Task<string> WriteBehindAsync<T>(this IDatabase db, RedisKey key, T value, TimeSpan ttl, string? idempotencyKey = null, CancellationToken cancellationToken = default)
    {
        ResolvedEntryOptions.ValidateTtl(ttl, nameof(ttl));
        cancellationToken.ThrowIfCancellationRequested();
        return CacheEngine.For(db).WriteBehindAsync(db, key, value, ttl, null, idempotencyKey);
    }
}
