namespace CacheGuard;

/// <summary>What a cache read found.</summary>
public enum CacheLookupStatus
{
    /// <summary>Nothing usable: no entry, an entry CacheGuard didn't write, or one unreadable as the requested type.</summary>
    Miss = 0,

    /// <summary>A cached value.</summary>
    Hit = 1,

    /// <summary>A cached "not found" (negative entry).</summary>
    Negative = 2,
}

/// <summary>The result of <see cref="CacheGuardDatabaseExtensions.TryGetAsync{T}"/>.</summary>
/// <typeparam name="T">The value type.</typeparam>
public readonly record struct CacheLookup<T>(CacheLookupStatus Status, T? Value, bool IsStale)
{
    /// <summary>True for <see cref="CacheLookupStatus.Hit"/>.</summary>
    public bool IsHit => Status == CacheLookupStatus.Hit;

    /// <summary>True for <see cref="CacheLookupStatus.Negative"/>.</summary>
    public bool IsNegative => Status == CacheLookupStatus.Negative;

    /// <summary>True for <see cref="CacheLookupStatus.Miss"/>.</summary>
    public bool IsMiss => Status == CacheLookupStatus.Miss;

    internal static CacheLookup<T> Miss => new(CacheLookupStatus.Miss, default, false);
}
