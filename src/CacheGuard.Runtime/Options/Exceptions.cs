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
