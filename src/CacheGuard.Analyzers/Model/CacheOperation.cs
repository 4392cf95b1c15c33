using Microsoft.CodeAnalysis;
using Microsoft.CodeAnalysis.Operations;

namespace CacheGuard.Analyzers.Model;

/// <summary>What a call does to the cache, in the terms the rules use.</summary>
internal enum CacheOperationKind
{
    /// <summary>Reads a key's value (<c>StringGet</c>, <c>GetString</c>, <c>TryGetValue</c>).</summary>
    Read,
    /// <summary>Asks whether a key exists (<c>KeyExists</c>).</summary>
    Exists,
    /// <summary>Writes a value, with or without an expiry (<c>StringSet</c>, <c>SetString</c>).</summary>
    Write,
    /// <summary>Sets the expiry of an existing key (<c>KeyExpire</c>, <c>StringGetSetExpiry</c>).</summary>
    Expire,
    /// <summary>Removes a key (<c>KeyDelete</c>, <c>Remove</c>).</summary>
    Delete,
    /// <summary>Takes a lock or sets a flag only if absent (<c>LockTake</c>, <c>StringSet(..., When.NotExists)</c>).</summary>
    LockAcquire,
    /// <summary>Releases a lock with an ownership check (<c>LockRelease</c>).</summary>
    LockRelease,
    /// <summary>Counts (<c>StringIncrement</c>): a counter, never a cached value.</summary>
    Increment,
    /// <summary>Reads and, on a miss, runs a factory and writes (<c>IMemoryCache.GetOrCreate</c>).</summary>
    GetOrCreate,
}

/// <summary>The API family a cache operation belongs to.</summary>
internal enum CacheFamily
{
    Redis,
    DistributedCache,
    MemoryCache,
    HybridCache,
    Wrapper,
}

/// <summary>
/// One call that touches the cache: what it does, to which key, with which value and expiry.
/// Every rule reads these rather than looking at method names itself.
/// </summary>
internal sealed class CacheOperation
{
    public CacheOperation(
        IInvocationOperation invocation,
        CacheOperationKind kind,
        CacheFamily family,
        IOperation? key,
        IOperation? value,
        IArgumentOperation? expiry,
        bool onlyIfNotExists)
        : this(invocation, kind, family, key, value, expiry, onlyIfNotExists, options: null, factory: null, expiryElsewhere: false)
    {
    }

    /// <summary>An operation of an API that takes its expiry in an options object, an entry or a default.</summary>
    public CacheOperation(
        IInvocationOperation invocation,
        CacheOperationKind kind,
        CacheFamily family,
        IOperation? key,
        IOperation? value,
        IArgumentOperation? expiry,
        bool onlyIfNotExists,
        IArgumentOperation? options,
        IOperation? factory,
        bool expiryElsewhere)
    {
        Options = options;
        Factory = factory;
        ExpiryElsewhere = expiryElsewhere;
        Invocation = invocation;
        Kind = kind;
        Family = family;
        Key = key;
        Value = value;
        Expiry = expiry;
        OnlyIfNotExists = onlyIfNotExists;
    }

    public IInvocationOperation Invocation { get; }
    public CacheOperationKind Kind { get; }
    public CacheFamily Family { get; }

    /// <summary>The key expression, conversions stripped; null when the call takes many keys.</summary>
    public IOperation? Key { get; }

    /// <summary>The value written, conversions stripped (writes and lock acquisitions).</summary>
    public IOperation? Value { get; }

    /// <summary>
    /// The expiry argument as passed (explicit or defaulted). Null when the API has no expiry
    /// parameter at all. See <see cref="HasExpiry"/>.
    /// </summary>
    public IArgumentOperation? Expiry { get; }

    /// <summary>The write only happens when the key is absent (<c>When.NotExists</c>, <c>ValueCondition.NotExists</c>).</summary>
    public bool OnlyIfNotExists { get; }

    /// <summary>
    /// The entry-options argument (<c>DistributedCacheEntryOptions</c>, <c>MemoryCacheEntryOptions</c>,
    /// <c>HybridCacheEntryOptions</c>) as passed, or null when the call takes none. Its expiries are
    /// found by <see cref="EntryExpiries"/>.
    /// </summary>
    public IArgumentOperation? Options { get; }

    /// <summary>The factory delegate of a get-or-create (<c>IMemoryCache.GetOrCreate</c>, <c>HybridCache.GetOrCreateAsync</c>).</summary>
    public IOperation? Factory { get; }

    /// <summary>
    /// The entry gets an expiry other than through <see cref="Expiry"/>: options that set one, a
    /// factory that sets one on the entry, an API default (HybridCache), or a source we cannot see
    /// (options passed in, a wrapper's body) — assumed set, so that no rule reports a missing expiry on a guess.
    /// </summary>
    public bool ExpiryElsewhere { get; }

    /// <summary>A get-or-create that runs the factory once for concurrent misses (HybridCache); IMemoryCache's does not (dotnet/runtime#36500).</summary>
    public bool IsSingleFlight => Kind == CacheOperationKind.GetOrCreate && Family == CacheFamily.HybridCache;

    public bool IsAsync => Invocation.TargetMethod.Name.EndsWith("Async", System.StringComparison.Ordinal);

    public IMethodSymbol Method => Invocation.TargetMethod;

    public SyntaxNode Syntax => Invocation.Syntax;

    /// <summary>True when the call gives the entry an expiry (an explicit, non-null expiry argument, or <see cref="ExpiryElsewhere"/>).</summary>
    public bool HasExpiry =>
        (Expiry is { } e
         && e.ArgumentKind != ArgumentKind.DefaultValue
         && !OperationFacts.IsNullOrDefault(e.Value))
        || ExpiryElsewhere;

    /// <summary>
    /// <see cref="KeyPurpose.Of"/> of this operation, once computed (0: not yet; else the kind + 1). An int,
    /// so that a write racing another analyzer's is never torn; both write the same value.
    /// </summary>
    internal int PurposeMemo;

    /// <summary>
    /// <see cref="NegativeCacheWrites.Recognize"/> of this operation once computed (CG0003 and CG0005 both ask):
    /// the <see cref="NegativeCacheWrite"/>, <see cref="NotNegative"/>, or null when not yet asked.
    /// </summary>
    internal object? NegativeMemo;

    internal static readonly object NotNegative = new();

    public override string ToString() => $"{Kind} {Key?.Syntax}";
}
