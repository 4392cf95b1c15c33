// TEMPORARY: the runtime API's shape, so code fixes can be written and tested against it while
// the runtime is built on its own branch. Replaced by the real implementation at merge.
using StackExchange.Redis;

namespace CacheGuard;

/// <summary>Options of one cache entry.</summary>
public sealed class CacheEntryOptions
{
    /// <summary>How long a value stays fresh (jittered on write).</summary>
    public TimeSpan Ttl { get; set; } = TimeSpan.FromMinutes(5);

    /// <summary>How long a "not found" result stays cached.</summary>
    public TimeSpan? NegativeTtl { get; set; }
}

/// <summary>The outcome of an invalidation.</summary>
public readonly record struct InvalidationResult(bool Succeeded, int Attempts, Exception? Error);

/// <summary>A held lease on a key.</summary>
public sealed class RedisLease : IDisposable, IAsyncDisposable
{
    private RedisLease() { }

    /// <inheritdoc />
    public void Dispose() => throw new NotImplementedException();

    /// <inheritdoc />
    public ValueTask DisposeAsync() => throw new NotImplementedException();
}

/// <summary>CacheGuard's operations over an <see cref="IDatabase"/>.</summary>
public static class CacheGuardDatabaseExtensions
{
    /// <summary>Gets the value of <paramref name="key"/>, or runs <paramref name="factory"/> once across all callers and caches it.</summary>
    public static Task<T> GetOrSetAsync<T>(this IDatabase db, RedisKey key, Func<CancellationToken, Task<T>> factory, TimeSpan ttl, CancellationToken cancellationToken = default) => throw new NotImplementedException();

    /// <summary>Gets the value of <paramref name="key"/>, or runs <paramref name="factory"/> once across all callers and caches it.</summary>
    public static Task<T> GetOrSetAsync<T>(this IDatabase db, RedisKey key, Func<CancellationToken, Task<T>> factory, CacheEntryOptions? options = null, CancellationToken cancellationToken = default) => throw new NotImplementedException();

    /// <summary>Gets the value of <paramref name="key"/>, or runs <paramref name="factory"/> once across all callers and caches it.</summary>
    public static T GetOrSet<T>(this IDatabase db, RedisKey key, Func<CancellationToken, T> factory, TimeSpan ttl, CancellationToken cancellationToken = default) => throw new NotImplementedException();

    /// <summary>Gets the value of <paramref name="key"/>, or runs <paramref name="factory"/> once across all callers and caches it.</summary>
    public static T GetOrSet<T>(this IDatabase db, RedisKey key, Func<CancellationToken, T> factory, CacheEntryOptions? options = null, CancellationToken cancellationToken = default) => throw new NotImplementedException();

    /// <summary>Removes and fences <paramref name="key"/> after a database write.</summary>
    public static Task<InvalidationResult> InvalidateAsync(this IDatabase db, RedisKey key, CancellationToken cancellationToken = default) => throw new NotImplementedException();

    /// <summary>Removes and fences <paramref name="keys"/> after a database write.</summary>
    public static Task<InvalidationResult> InvalidateAsync(this IDatabase db, RedisKey[] keys, CancellationToken cancellationToken = default) => throw new NotImplementedException();

    /// <summary>Removes and fences <paramref name="key"/> after a database write.</summary>
    public static InvalidationResult Invalidate(this IDatabase db, RedisKey key) => throw new NotImplementedException();

    /// <summary>Takes the lease on <paramref name="key"/>, or returns null when another caller holds it.</summary>
    public static Task<RedisLease?> TryAcquireLeaseAsync(this IDatabase db, RedisKey key, TimeSpan ttl, CancellationToken cancellationToken = default) => throw new NotImplementedException();

    /// <summary>Takes the lease on <paramref name="key"/>, or returns null when another caller holds it.</summary>
    public static RedisLease? TryAcquireLease(this IDatabase db, RedisKey key, TimeSpan ttl) => throw new NotImplementedException();
}
