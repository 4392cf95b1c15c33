using StackExchange.Redis;

namespace CacheGuard;

/// <summary>The outcome of invalidating one key.</summary>
/// <param name="Key">The key.</param>
/// <param name="Succeeded">Whether the entry was deleted and fenced.</param>
/// <param name="Attempts">How many attempts were made.</param>
/// <param name="Error">The last error when it failed.</param>
public sealed record KeyInvalidation(RedisKey Key, bool Succeeded, int Attempts, Exception? Error);

/// <summary>
/// The outcome of an invalidation: per key, whether it was deleted and fenced. A failed key keeps
/// its old entry until its TTL; the failure was logged (event 2002) and counted
/// (<c>cacheguard.invalidation_failures</c>).
/// </summary>
public sealed class InvalidationResult
{
    internal InvalidationResult(IReadOnlyList<KeyInvalidation> keys)
    {
        Keys = keys;
        FailedKeys = keys.Where(k => !k.Succeeded).ToList();
    }

    /// <summary>Every key's outcome, in the order given.</summary>
    public IReadOnlyList<KeyInvalidation> Keys { get; }

    /// <summary>The keys that could not be invalidated.</summary>
    public IReadOnlyList<KeyInvalidation> FailedKeys { get; }

    /// <summary>True when every key was invalidated.</summary>
    public bool Succeeded => FailedKeys.Count == 0;
}
