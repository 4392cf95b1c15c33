using StackExchange.Redis;

namespace CacheGuard;

/// <summary>
/// The injectable form of CacheGuard (registered by <c>services.AddCacheGuard()</c>): the
/// <see cref="CacheGuardDatabaseExtensions"/> operations bound to one database
/// (<see cref="CacheGuardOptions.Database"/>, else the connection's default). It holds no state of
/// its own: it and the extension methods forward to the same per-connection engine, so flights,
/// breakers and fail-safe memory are shared between both surfaces.
/// </summary>
public interface ICacheGuard
{
    /// <summary>The database the operations run on.</summary>
    IDatabase Database { get; }

    /// <summary>See <see cref="CacheGuardDatabaseExtensions.GetOrSetAsync{T}(IDatabase, RedisKey, Func{CancellationToken, Task{T}}, CacheEntryOptions?, CancellationToken)"/>.</summary>
    Task<T> GetOrSetAsync<T>(RedisKey key, Func<CancellationToken, Task<T>> factory, CacheEntryOptions? options = null, CancellationToken cancellationToken = default);

    /// <summary>See <see cref="CacheGuardDatabaseExtensions.GetOrSetAsync{T}(IDatabase, RedisKey, Func{CancellationToken, Task{T}}, TimeSpan, CancellationToken)"/>.</summary>
    Task<T> GetOrSetAsync<T>(RedisKey key, Func<CancellationToken, Task<T>> factory, TimeSpan ttl, CancellationToken cancellationToken = default);

    /// <summary>See <see cref="CacheGuardDatabaseExtensions.GetOrSet{T}(IDatabase, RedisKey, Func{CancellationToken, T}, CacheEntryOptions?, CancellationToken)"/>.</summary>
    T GetOrSet<T>(RedisKey key, Func<CancellationToken, T> factory, CacheEntryOptions? options = null, CancellationToken cancellationToken = default);

    /// <summary>See <see cref="CacheGuardDatabaseExtensions.GetOrSet{T}(IDatabase, RedisKey, Func{CancellationToken, T}, TimeSpan, CancellationToken)"/>.</summary>
    T GetOrSet<T>(RedisKey key, Func<CancellationToken, T> factory, TimeSpan ttl, CancellationToken cancellationToken = default);

    /// <summary>See <see cref="CacheGuardDatabaseExtensions.TryGetAsync{T}"/>.</summary>
    Task<CacheLookup<T>> TryGetAsync<T>(RedisKey key, CancellationToken cancellationToken = default);

    /// <summary>See <see cref="CacheGuardDatabaseExtensions.SetAsync{T}(IDatabase, RedisKey, T, CacheEntryOptions?, long?, CancellationToken)"/>.</summary>
    Task<bool> SetAsync<T>(RedisKey key, T value, CacheEntryOptions? options = null, long? version = null, CancellationToken cancellationToken = default);

    /// <summary>See <see cref="CacheGuardDatabaseExtensions.SetAsync{T}(IDatabase, RedisKey, T, TimeSpan, long?, CancellationToken)"/>.</summary>
    Task<bool> SetAsync<T>(RedisKey key, T value, TimeSpan ttl, long? version = null, CancellationToken cancellationToken = default);

    /// <summary>See <see cref="CacheGuardDatabaseExtensions.InvalidateAsync(IDatabase, RedisKey, CancellationToken)"/>.</summary>
    Task<InvalidationResult> InvalidateAsync(RedisKey key, CancellationToken cancellationToken = default);

    /// <summary>See <see cref="CacheGuardDatabaseExtensions.InvalidateAsync(IDatabase, RedisKey[], CancellationToken)"/>.</summary>
    Task<InvalidationResult> InvalidateAsync(RedisKey[] keys, CancellationToken cancellationToken = default);

    /// <summary>See <see cref="CacheGuardDatabaseExtensions.Invalidate"/>.</summary>
    InvalidationResult Invalidate(RedisKey key);

    /// <summary>See <see cref="CacheGuardDatabaseExtensions.TryAcquireLeaseAsync"/>.</summary>
    Task<RedisLease?> TryAcquireLeaseAsync(RedisKey key, TimeSpan ttl, CancellationToken cancellationToken = default);

    /// <summary>See <see cref="CacheGuardDatabaseExtensions.WriteBehindAsync{T}(IDatabase, RedisKey, T, CacheEntryOptions?, string?, CancellationToken)"/>.</summary>
    Task<string> WriteBehindAsync<T>(RedisKey key, T value, CacheEntryOptions? options = null, string? idempotencyKey = null, CancellationToken cancellationToken = default);
}

/// <summary>The default <see cref="ICacheGuard"/>.</summary>
public sealed class CacheGuardCache : ICacheGuard
{
    /// <summary>Creates the service and applies <paramref name="options"/> to the connection.</summary>
    public CacheGuardCache(IConnectionMultiplexer multiplexer, CacheGuardOptions options)
    {
        ArgumentNullException.ThrowIfNull(multiplexer);
        CacheEngine.Configure(multiplexer, options);
        Database = multiplexer.GetDatabase(options.Database ?? -1);
    }

    /// <inheritdoc />
    public IDatabase Database { get; }

    /// <inheritdoc />
    public Task<T> GetOrSetAsync<T>(RedisKey key, Func<CancellationToken, Task<T>> factory, CacheEntryOptions? options = null, CancellationToken cancellationToken = default) =>
        Database.GetOrSetAsync(key, factory, options, cancellationToken);

    /// <inheritdoc />
    public Task<T> GetOrSetAsync<T>(RedisKey key, Func<CancellationToken, Task<T>> factory, TimeSpan ttl, CancellationToken cancellationToken = default) =>
        Database.GetOrSetAsync(key, factory, ttl, cancellationToken);

    /// <inheritdoc />
    public T GetOrSet<T>(RedisKey key, Func<CancellationToken, T> factory, CacheEntryOptions? options = null, CancellationToken cancellationToken = default) =>
        Database.GetOrSet(key, factory, options, cancellationToken);

    /// <inheritdoc />
    public T GetOrSet<T>(RedisKey key, Func<CancellationToken, T> factory, TimeSpan ttl, CancellationToken cancellationToken = default) =>
        Database.GetOrSet(key, factory, ttl, cancellationToken);

    /// <inheritdoc />
    public Task<bool> SetAsync<T>(RedisKey key, T value, TimeSpan ttl, long? version = null, CancellationToken cancellationToken = default) =>
        Database.SetAsync(key, value, ttl, version, cancellationToken);

    /// <inheritdoc />
    public Task<CacheLookup<T>> TryGetAsync<T>(RedisKey key, CancellationToken cancellationToken = default) => Database.TryGetAsync<T>(key, cancellationToken);

    /// <inheritdoc />
    public Task<bool> SetAsync<T>(RedisKey key, T value, CacheEntryOptions? options = null, long? version = null, CancellationToken cancellationToken = default) =>
        Database.SetAsync(key, value, options, version, cancellationToken);

    /// <inheritdoc />
    public Task<InvalidationResult> InvalidateAsync(RedisKey key, CancellationToken cancellationToken = default) => Database.InvalidateAsync(key, cancellationToken);

    /// <inheritdoc />
    public Task<InvalidationResult> InvalidateAsync(RedisKey[] keys, CancellationToken cancellationToken = default) => Database.InvalidateAsync(keys, cancellationToken);

    /// <inheritdoc />
    public InvalidationResult Invalidate(RedisKey key) => Database.Invalidate(key);

    /// <inheritdoc />
    public Task<RedisLease?> TryAcquireLeaseAsync(RedisKey key, TimeSpan ttl, CancellationToken cancellationToken = default) => Database.TryAcquireLeaseAsync(key, ttl, cancellationToken);

    /// <inheritdoc />
    public Task<string> WriteBehindAsync<T>(RedisKey key, T value, CacheEntryOptions? options = null, string? idempotencyKey = null, CancellationToken cancellationToken = default) =>
        Database.WriteBehindAsync(key, value, options, idempotencyKey, cancellationToken);
}
