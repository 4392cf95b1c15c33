namespace CacheGuard;

/// <summary>
/// One in-process lock per cache key, for cache-aside code that cannot move onto <c>GetOrSet</c> (a project's
/// own cache wrapper, a populate in a helper, a hash): CG0004's code fix takes it around the miss path and reads
/// the key again inside it, so concurrent misses of a key in this process run the factory once and the others
/// read what it wrote. What is read and written, and where, does not change. Not re-entrant: a factory that
/// asks for its own key again waits for itself (the original code recursed without end there). Per-key state is
/// dropped when its last holder leaves. In-process only; across processes use <c>GetOrSet(Async)</c>.
/// </summary>
public static class KeyLocks
{
    private static readonly KeyedGate<string> Gates = new(StringComparer.Ordinal);

    /// <summary>Waits for the key's lock; dispose the result to release it.</summary>
    /// <example><code>using (await KeyLocks.LockAsync(key)) { value = await _cache.GetAsync(key); if (value is null) { ... } }</code></example>
    public static async Task<IDisposable> LockAsync(string key, CancellationToken cancellationToken = default)
    {
        ArgumentNullException.ThrowIfNull(key);
        return await Gates.EnterAsync(key, cancellationToken).ConfigureAwait(false);
    }

    /// <summary>Blocks until the key's lock is free; dispose the result to release it.</summary>
    public static IDisposable Lock(string key)
    {
        ArgumentNullException.ThrowIfNull(key);
        return Gates.Enter(key);
    }

    /// <summary>Keys locked or waited on right now (for tests and diagnostics).</summary>
    public static int Count => Gates.Count;
}
