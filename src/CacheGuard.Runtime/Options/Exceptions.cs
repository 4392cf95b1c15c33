namespace CacheGuard;

/// <summary>Thrown when a caller waited <see cref="CacheGuardOptions.WaitDeadline"/> for another node's factory run and the options say fail fast.</summary>
public sealed class CacheWaitTimeoutException : TimeoutException
{
    /// <summary>Creates the exception.</summary>
    public CacheWaitTimeoutException(string message) : base(message) { }
}

/// <summary>Thrown when a factory ran past <see cref="CacheGuardOptions.FactoryTimeout"/> and was cancelled.</summary>
public sealed class CacheFactoryTimeoutException : TimeoutException
{
    /// <summary>Creates the exception.</summary>
    public CacheFactoryTimeoutException(string message) : base(message) { }
}

/// <summary>Thrown by invalidation only when <see cref="CacheGuardOptions.ThrowOnInvalidationFailure"/> is set.</summary>
public sealed class CacheInvalidationException : Exception
{
    /// <summary>Creates the exception.</summary>
    public CacheInvalidationException(InvalidationResult result)
        : base($"Cache invalidation failed for {result.FailedKeys.Count} key(s): {string.Join(", ", result.FailedKeys.Select(k => (string?)k.Key))}", result.FailedKeys.FirstOrDefault()?.Error)
        => Result = result;

    /// <summary>The per-key outcome.</summary>
    public InvalidationResult Result { get; }
}

/// <summary>
/// Thrown when <see cref="CacheGuardOptions.Serializer"/> can't serialize a value (an object cycle,
/// a property that throws, an unsupported type). Nothing was written to Redis.
/// </summary>
public sealed class CacheSerializationException : Exception
{
    /// <summary>Creates the exception.</summary>
    public CacheSerializationException(string message, Exception innerException) : base(message, innerException) { }
}

/// <summary>
/// Thrown when the cache key holds a Redis type other than a string (a hash, list, set, ...):
/// another part of the application uses the key for something else. CacheGuard never reads it
/// as a miss and never overwrites it.
/// </summary>
public sealed class CacheKeyTypeException : InvalidOperationException
{
    /// <summary>Creates the exception.</summary>
    public CacheKeyTypeException(string key, string redisType)
        : base($"Cache key '{(key.Length <= 200 ? key : string.Concat(key.AsSpan(0, 200), "…"))}' holds a Redis {redisType}, not a string; CacheGuard leaves it untouched. Use another key for the cache entry.")
    {
        Key = key;
        RedisType = redisType;
    }

    /// <summary>The key (as Redis sees it).</summary>
    public string Key { get; }

    /// <summary>The Redis type found at the key.</summary>
    public string RedisType { get; }
}
