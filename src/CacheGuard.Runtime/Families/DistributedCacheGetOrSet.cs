using System.Runtime.CompilerServices;
using System.Text;
using System.Text.Json;
using Microsoft.Extensions.Caching.Distributed;

namespace CacheGuard;

/// <summary>
/// Cache-aside over <c>IDistributedCache</c> without its holes: one factory run per key per process
/// at a time (concurrent misses wait and read what it cached), the entry's relative TTL jittered on
/// every write, and "not found" cached only briefly, beside the entry.
/// <para>
/// What is stored at <c>key</c> is exactly what the code these replace stored: the UTF-8 of
/// <c>JsonSerializer.Serialize(value, jsonOptions)</c> (as <c>SetStringAsync(key, JsonSerializer.Serialize(value))</c>),
/// or the string itself (as <c>SetStringAsync(key, value)</c>). Other readers and writers of the key
/// keep working; a value another writer stored there is a hit. A "not found" is never stored at
/// <c>key</c>: it is the sibling <c>key + ":cg:neg"</c> (value <c>1</c>) for the negative TTL.
/// </para>
/// </summary>
public static class DistributedCacheGetOrSet
{
    /// <summary>The suffix of the sibling key that records a cached "not found".</summary>
    public const string NegativeSuffix = ":cg:neg";

    private static readonly ConditionalWeakTable<IDistributedCache, KeyedGate<string>> Gates = new();
    private static readonly byte[] NegativeMarker = "1"u8.ToArray();

    /// <summary>
    /// Returns the JSON value cached at <paramref name="key"/>, or runs <paramref name="factory"/>
    /// (once per key in this process at a time), stores its JSON with <paramref name="options"/>
    /// (relative TTL jittered) and returns it. A null result is cached as "not found" for
    /// <paramref name="negativeTtl"/> when one is given, else not cached.
    /// </summary>
    /// <example><code>var post = await _cache.GetOrSetJsonAsync($"post:{id}", ct => _posts.LoadAsync(id), new DistributedCacheEntryOptions { AbsoluteExpirationRelativeToNow = TimeSpan.FromMinutes(5) });</code></example>
    public static Task<T?> GetOrSetJsonAsync<T>(this IDistributedCache cache, string key, Func<CancellationToken, Task<T>> factory,
        DistributedCacheEntryOptions? options = null, TimeSpan? negativeTtl = null, JsonSerializerOptions? jsonOptions = null, CancellationToken cancellationToken = default) =>
        GetOrSetCoreAsync(cache, key, factory, options, negativeTtl,
            bytes => JsonSerializer.Deserialize<T>(bytes, jsonOptions),
            value => Encoding.UTF8.GetBytes(JsonSerializer.Serialize(value, jsonOptions)),
            cancellationToken);

    /// <summary>As <see cref="GetOrSetJsonAsync{T}"/> for a string stored as itself (UTF-8), as <c>SetStringAsync</c> stores it.</summary>
    public static Task<string?> GetOrSetStringAsync(this IDistributedCache cache, string key, Func<CancellationToken, Task<string?>> factory,
        DistributedCacheEntryOptions? options = null, TimeSpan? negativeTtl = null, CancellationToken cancellationToken = default) =>
        GetOrSetCoreAsync(cache, key, factory, options, negativeTtl, bytes => Encoding.UTF8.GetString(bytes), value => Encoding.UTF8.GetBytes(value!), cancellationToken);

    /// <summary>Synchronous <see cref="GetOrSetJsonAsync{T}"/> for synchronous call sites (blocks while the cache answers).</summary>
    public static T? GetOrSetJson<T>(this IDistributedCache cache, string key, Func<CancellationToken, T> factory,
        DistributedCacheEntryOptions? options = null, TimeSpan? negativeTtl = null, JsonSerializerOptions? jsonOptions = null, CancellationToken cancellationToken = default)
    {
        ArgumentNullException.ThrowIfNull(factory);
        return GetOrSetCore(cache, key, factory, options, negativeTtl,
            bytes => JsonSerializer.Deserialize<T>(bytes, jsonOptions),
            value => Encoding.UTF8.GetBytes(JsonSerializer.Serialize(value, jsonOptions)),
            cancellationToken);
    }

    /// <summary>Synchronous <see cref="GetOrSetStringAsync"/>.</summary>
    public static string? GetOrSetString(this IDistributedCache cache, string key, Func<CancellationToken, string?> factory,
        DistributedCacheEntryOptions? options = null, TimeSpan? negativeTtl = null, CancellationToken cancellationToken = default)
    {
        ArgumentNullException.ThrowIfNull(factory);
        return GetOrSetCore(cache, key, factory, options, negativeTtl, bytes => Encoding.UTF8.GetString(bytes), value => Encoding.UTF8.GetBytes(value!), cancellationToken);
    }

    private static async Task<T?> GetOrSetCoreAsync<T>(IDistributedCache cache, string key, Func<CancellationToken, Task<T>> factory,
        DistributedCacheEntryOptions? options, TimeSpan? negativeTtl, Func<byte[], T?> decode, Func<T, byte[]> encode, CancellationToken cancellationToken)
    {
        Validate(cache, key, factory, negativeTtl);
        var (found, value) = await TryReadAsync(cache, key, decode, cancellationToken).ConfigureAwait(false);
        if (found)
            return value;
        using (await GatesOf(cache).EnterAsync(key, cancellationToken).ConfigureAwait(false))
        {
            (found, value) = await TryReadAsync(cache, key, decode, cancellationToken).ConfigureAwait(false);
            if (found)
                return value;
            var loaded = await factory(cancellationToken).ConfigureAwait(false);
            if (loaded is null)
            {
                if (negativeTtl is { } ttl)
                    await cache.SetAsync(key + NegativeSuffix, NegativeMarker, new DistributedCacheEntryOptions { AbsoluteExpirationRelativeToNow = CacheTtl.Jitter(ttl) }, cancellationToken).ConfigureAwait(false);
                return default;
            }
            await cache.SetAsync(key, encode(loaded), Jittered(options), cancellationToken).ConfigureAwait(false);
            return loaded;
        }
    }

    private static T? GetOrSetCore<T>(IDistributedCache cache, string key, Func<CancellationToken, T> factory,
        DistributedCacheEntryOptions? options, TimeSpan? negativeTtl, Func<byte[], T?> decode, Func<T, byte[]> encode, CancellationToken cancellationToken)
    {
        Validate(cache, key, factory, negativeTtl);
        var (found, value) = TryRead(cache, key, decode);
        if (found)
            return value;
        using (GatesOf(cache).Enter(key))
        {
            (found, value) = TryRead(cache, key, decode);
            if (found)
                return value;
            cancellationToken.ThrowIfCancellationRequested();
            var loaded = factory(cancellationToken);
            if (loaded is null)
            {
                if (negativeTtl is { } ttl)
                    cache.Set(key + NegativeSuffix, NegativeMarker, new DistributedCacheEntryOptions { AbsoluteExpirationRelativeToNow = CacheTtl.Jitter(ttl) });
                return default;
            }
            cache.Set(key, encode(loaded), Jittered(options));
            return loaded;
        }
    }

    private static async Task<(bool Found, T? Value)> TryReadAsync<T>(IDistributedCache cache, string key, Func<byte[], T?> decode, CancellationToken cancellationToken)
    {
        var bytes = await cache.GetAsync(key, cancellationToken).ConfigureAwait(false);
        if (bytes is not null)
            return (true, decode(bytes));
        return (await cache.GetAsync(key + NegativeSuffix, cancellationToken).ConfigureAwait(false) is not null, default);
    }

    private static (bool Found, T? Value) TryRead<T>(IDistributedCache cache, string key, Func<byte[], T?> decode)
    {
        var bytes = cache.Get(key);
        if (bytes is not null)
            return (true, decode(bytes));
        return (cache.Get(key + NegativeSuffix) is not null, default);
    }

    /// <summary>A copy of the options whose relative TTL is jittered (absolute instants and sliding windows stay as they are).</summary>
    internal static DistributedCacheEntryOptions Jittered(DistributedCacheEntryOptions? options)
    {
        if (options is null)
            return new DistributedCacheEntryOptions();
        return new DistributedCacheEntryOptions
        {
            AbsoluteExpiration = options.AbsoluteExpiration,
            AbsoluteExpirationRelativeToNow = options.AbsoluteExpirationRelativeToNow is { } ttl ? CacheTtl.Jitter(ttl) : null,
            SlidingExpiration = options.SlidingExpiration,
        };
    }

    private static void Validate(IDistributedCache cache, string key, Delegate factory, TimeSpan? negativeTtl)
    {
        ArgumentNullException.ThrowIfNull(cache);
        ArgumentException.ThrowIfNullOrEmpty(key);
        ArgumentNullException.ThrowIfNull(factory);
        if (negativeTtl is { } n && n <= TimeSpan.Zero)
            throw new ArgumentOutOfRangeException(nameof(negativeTtl), n, "A negative TTL must be positive.");
    }

    private static KeyedGate<string> GatesOf(IDistributedCache cache) => Gates.GetValue(cache, _ => new KeyedGate<string>(StringComparer.Ordinal));
}
