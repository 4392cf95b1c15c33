using Microsoft.CodeAnalysis;

namespace CacheGuard.Analyzers.Model;

/// <summary>
/// The types every rule talks about, resolved once per compilation. <see cref="TryCreate"/> returns
/// null when the compilation references no cache API at all, so no rule does any work there.
/// </summary>
internal sealed class CacheApi
{
    private CacheApi(Compilation compilation)
    {
        Compilation = compilation;
        RedisDatabase = compilation.GetTypeByMetadataName("StackExchange.Redis.IDatabase");
        RedisDatabaseAsync = compilation.GetTypeByMetadataName("StackExchange.Redis.IDatabaseAsync");
        RedisKey = compilation.GetTypeByMetadataName("StackExchange.Redis.RedisKey");
        RedisValue = compilation.GetTypeByMetadataName("StackExchange.Redis.RedisValue");
        RedisWhen = compilation.GetTypeByMetadataName("StackExchange.Redis.When");
        RedisValueCondition = compilation.GetTypeByMetadataName("StackExchange.Redis.ValueCondition");
        RedisExpiration = compilation.GetTypeByMetadataName("StackExchange.Redis.Expiration");

        DistributedCache = compilation.GetTypeByMetadataName("Microsoft.Extensions.Caching.Distributed.IDistributedCache");
        DistributedCacheExtensions = compilation.GetTypeByMetadataName("Microsoft.Extensions.Caching.Distributed.DistributedCacheExtensions");
        DistributedCacheEntryOptions = compilation.GetTypeByMetadataName("Microsoft.Extensions.Caching.Distributed.DistributedCacheEntryOptions");
        DistributedCacheEntryExtensions = compilation.GetTypeByMetadataName("Microsoft.Extensions.Caching.Distributed.DistributedCacheEntryExtensions");
        MemoryCache = compilation.GetTypeByMetadataName("Microsoft.Extensions.Caching.Memory.IMemoryCache");
        MemoryCacheExtensions = compilation.GetTypeByMetadataName("Microsoft.Extensions.Caching.Memory.CacheExtensions");
        HybridCache = compilation.GetTypeByMetadataName("Microsoft.Extensions.Caching.Hybrid.HybridCache");
        BufferDistributedCache = compilation.GetTypeByMetadataName("Microsoft.Extensions.Caching.Distributed.IBufferDistributedCache");
        MemoryCacheEntry = compilation.GetTypeByMetadataName("Microsoft.Extensions.Caching.Memory.ICacheEntry");
        MemoryCacheEntryOptions = compilation.GetTypeByMetadataName("Microsoft.Extensions.Caching.Memory.MemoryCacheEntryOptions");
        MemoryCacheEntryExtensions = compilation.GetTypeByMetadataName("Microsoft.Extensions.Caching.Memory.MemoryCacheEntryExtensions");
        MemoryCacheEntryFluentExtensions = compilation.GetTypeByMetadataName("Microsoft.Extensions.Caching.Memory.CacheEntryExtensions");
        HybridCacheEntryOptions = compilation.GetTypeByMetadataName("Microsoft.Extensions.Caching.Hybrid.HybridCacheEntryOptions");
        RedisConnection = compilation.GetTypeByMetadataName("StackExchange.Redis.IConnectionMultiplexer");
        _wrappers = new System.Lazy<WrapperCatalog>(() => WrapperCatalog.For(this));

        DbContext = compilation.GetTypeByMetadataName("Microsoft.EntityFrameworkCore.DbContext");
        DbSet = compilation.GetTypeByMetadataName("Microsoft.EntityFrameworkCore.DbSet`1");
        DapperSqlMapper = compilation.GetTypeByMetadataName("Dapper.SqlMapper");
        AdoDbCommand = compilation.GetTypeByMetadataName("System.Data.Common.DbCommand");
        AdoIDbCommand = compilation.GetTypeByMetadataName("System.Data.IDbCommand");

        TimeSpan = compilation.GetTypeByMetadataName("System.TimeSpan");
        DateTime = compilation.GetSpecialType(SpecialType.System_DateTime);
        DateTimeOffset = compilation.GetTypeByMetadataName("System.DateTimeOffset");
        Random = compilation.GetTypeByMetadataName("System.Random");
        RandomNumberGenerator = compilation.GetTypeByMetadataName("System.Security.Cryptography.RandomNumberGenerator");
        Guid = compilation.GetTypeByMetadataName("System.Guid");
        IEnumerable = compilation.GetSpecialType(SpecialType.System_Collections_IEnumerable);

        RuntimeCacheTtl = compilation.GetTypeByMetadataName("CacheGuard.CacheTtl");
        RuntimeExtensions = compilation.GetTypeByMetadataName("CacheGuard.CacheGuardDatabaseExtensions");
    }

    public Compilation Compilation { get; }

    public INamedTypeSymbol? RedisDatabase { get; }
    public INamedTypeSymbol? RedisDatabaseAsync { get; }
    public INamedTypeSymbol? RedisKey { get; }
    public INamedTypeSymbol? RedisValue { get; }
    public INamedTypeSymbol? RedisWhen { get; }
    public INamedTypeSymbol? RedisValueCondition { get; }
    public INamedTypeSymbol? RedisExpiration { get; }

    public INamedTypeSymbol? DistributedCache { get; }
    public INamedTypeSymbol? DistributedCacheExtensions { get; }
    public INamedTypeSymbol? DistributedCacheEntryOptions { get; }
    public INamedTypeSymbol? DistributedCacheEntryExtensions { get; }
    public INamedTypeSymbol? MemoryCache { get; }
    public INamedTypeSymbol? MemoryCacheExtensions { get; }
    public INamedTypeSymbol? HybridCache { get; }

    /// <summary><c>IBufferDistributedCache</c>: the span-based <c>IDistributedCache</c> (<c>TryGet</c>, <c>Set</c> of a sequence).</summary>
    public INamedTypeSymbol? BufferDistributedCache { get; }
    /// <summary><c>ICacheEntry</c>: the entry an <c>IMemoryCache.GetOrCreate</c> factory or <c>CreateEntry</c> configures.</summary>
    public INamedTypeSymbol? MemoryCacheEntry { get; }
    public INamedTypeSymbol? MemoryCacheEntryOptions { get; }
    /// <summary><c>MemoryCacheEntryExtensions</c>: <c>SetAbsoluteExpiration</c>/<c>SetSlidingExpiration</c> on <c>MemoryCacheEntryOptions</c>.</summary>
    public INamedTypeSymbol? MemoryCacheEntryExtensions { get; }
    /// <summary><c>CacheEntryExtensions</c>: <c>SetAbsoluteExpiration</c>/<c>SetSlidingExpiration</c> on <c>ICacheEntry</c>.</summary>
    public INamedTypeSymbol? MemoryCacheEntryFluentExtensions { get; }
    public INamedTypeSymbol? HybridCacheEntryOptions { get; }
    public INamedTypeSymbol? RedisConnection { get; }

    private readonly System.Lazy<WrapperCatalog> _wrappers;

    /// <summary>The project's own cache wrapper classes, found on first use.</summary>
    public WrapperCatalog Wrappers => _wrappers.Value;

    public INamedTypeSymbol? DbContext { get; }
    public INamedTypeSymbol? DbSet { get; }
    public INamedTypeSymbol? DapperSqlMapper { get; }
    public INamedTypeSymbol? AdoDbCommand { get; }
    public INamedTypeSymbol? AdoIDbCommand { get; }

    public INamedTypeSymbol? TimeSpan { get; }
    public INamedTypeSymbol DateTime { get; }
    public INamedTypeSymbol? DateTimeOffset { get; }
    public INamedTypeSymbol? Random { get; }
    public INamedTypeSymbol? RandomNumberGenerator { get; }
    public INamedTypeSymbol? Guid { get; }
    public INamedTypeSymbol IEnumerable { get; }

    /// <summary><c>CacheGuard.CacheTtl</c> from CacheGuard.Runtime: present means fixes into the runtime compile.</summary>
    public INamedTypeSymbol? RuntimeCacheTtl { get; }

    /// <summary><c>CacheGuard.CacheGuardDatabaseExtensions</c>: GetOrSet, Invalidate, leases.</summary>
    public INamedTypeSymbol? RuntimeExtensions { get; }

    public bool HasRedis => RedisDatabaseAsync is not null;

    /// <summary>The cache APIs for this compilation, or null when it references none of them.</summary>
    public static CacheApi? TryCreate(Compilation compilation)
    {
        // Most projects of a solution reference no cache API: four lookups say so before the other thirty.
        if (compilation.GetTypeByMetadataName("StackExchange.Redis.IDatabaseAsync") is null
            && compilation.GetTypeByMetadataName("Microsoft.Extensions.Caching.Distributed.IDistributedCache") is null
            && compilation.GetTypeByMetadataName("Microsoft.Extensions.Caching.Memory.IMemoryCache") is null
            && compilation.GetTypeByMetadataName("Microsoft.Extensions.Caching.Hybrid.HybridCache") is null)
        {
            return null;
        }
        var api = new CacheApi(compilation);
        return api.HasRedis || api.DistributedCache is not null || api.MemoryCache is not null || api.HybridCache is not null
            ? api
            : null;
    }

    /// <summary>True for a type, or a method's containing type, that belongs to CacheGuard.Runtime.</summary>
    public static bool IsRuntimeSymbol(ISymbol? symbol) =>
        symbol?.ContainingAssembly?.Name == "CacheGuard.Runtime";
}
