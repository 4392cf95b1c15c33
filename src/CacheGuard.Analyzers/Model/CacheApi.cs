using System;
using System.Collections.Generic;
using Microsoft.CodeAnalysis;

namespace CacheGuard.Analyzers.Model;

/// <summary>
/// The types every rule talks about, resolved once per compilation. <see cref="TryCreate"/> returns
/// null when the compilation references no cache API at all, so no rule does any work there.
/// </summary>
internal sealed class CacheApi
{
    private CacheApi(Compilation compilation, TypeLookup types)
    {
        Compilation = compilation;
        RedisDatabase = types.Find("StackExchange.Redis.IDatabase");
        RedisDatabaseAsync = types.Find("StackExchange.Redis.IDatabaseAsync");
        RedisKey = types.Find("StackExchange.Redis.RedisKey");
        RedisValue = types.Find("StackExchange.Redis.RedisValue");
        RedisWhen = types.Find("StackExchange.Redis.When");
        RedisValueCondition = types.Find("StackExchange.Redis.ValueCondition");
        RedisExpiration = types.Find("StackExchange.Redis.Expiration");

        DistributedCache = types.Find("Microsoft.Extensions.Caching.Distributed.IDistributedCache");
        DistributedCacheExtensions = types.Find("Microsoft.Extensions.Caching.Distributed.DistributedCacheExtensions");
        DistributedCacheEntryOptions = types.Find("Microsoft.Extensions.Caching.Distributed.DistributedCacheEntryOptions");
        DistributedCacheEntryExtensions = types.Find("Microsoft.Extensions.Caching.Distributed.DistributedCacheEntryExtensions");
        MemoryCache = types.Find("Microsoft.Extensions.Caching.Memory.IMemoryCache");
        MemoryCacheExtensions = types.Find("Microsoft.Extensions.Caching.Memory.CacheExtensions");
        HybridCache = types.Find("Microsoft.Extensions.Caching.Hybrid.HybridCache");
        BufferDistributedCache = types.Find("Microsoft.Extensions.Caching.Distributed.IBufferDistributedCache");
        MemoryCacheEntry = types.Find("Microsoft.Extensions.Caching.Memory.ICacheEntry");
        MemoryCacheEntryOptions = types.Find("Microsoft.Extensions.Caching.Memory.MemoryCacheEntryOptions");
        MemoryCacheEntryExtensions = types.Find("Microsoft.Extensions.Caching.Memory.MemoryCacheEntryExtensions");
        MemoryCacheEntryFluentExtensions = types.Find("Microsoft.Extensions.Caching.Memory.CacheEntryExtensions");
        HybridCacheEntryOptions = types.Find("Microsoft.Extensions.Caching.Hybrid.HybridCacheEntryOptions");
        RedisConnection = types.Find("StackExchange.Redis.IConnectionMultiplexer");
        _wrappers = new Lazy<WrapperCatalog>(() => WrapperCatalog.For(this));

        DbContext = types.Find("Microsoft.EntityFrameworkCore.DbContext");
        DbSet = types.Find("Microsoft.EntityFrameworkCore.DbSet`1");
        DapperSqlMapper = types.Find("Dapper.SqlMapper");
        AdoDbCommand = types.Find("System.Data.Common.DbCommand");
        AdoIDbCommand = types.Find("System.Data.IDbCommand");

        TimeSpan = types.Find("System.TimeSpan");
        DateTime = compilation.GetSpecialType(SpecialType.System_DateTime);
        DateTimeOffset = types.Find("System.DateTimeOffset");
        Random = types.Find("System.Random");
        RandomNumberGenerator = types.Find("System.Security.Cryptography.RandomNumberGenerator");
        Guid = types.Find("System.Guid");
        IEnumerable = compilation.GetSpecialType(SpecialType.System_Collections_IEnumerable);

        RuntimeCacheTtl = types.Find("CacheGuard.CacheTtl");
        RuntimeExtensions = types.Find("CacheGuard.CacheGuardDatabaseExtensions");
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

    private readonly Lazy<WrapperCatalog> _wrappers;

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
        var types = new TypeLookup(compilation);
        // Most projects of a solution reference no cache API: four lookups say so before the other thirty.
        if (types.Find("StackExchange.Redis.IDatabaseAsync") is null
            && types.Find("Microsoft.Extensions.Caching.Distributed.IDistributedCache") is null
            && types.Find("Microsoft.Extensions.Caching.Memory.IMemoryCache") is null
            && types.Find("Microsoft.Extensions.Caching.Hybrid.HybridCache") is null)
        {
            return null;
        }
        var api = new CacheApi(compilation, types);
        return api.HasRedis || api.DistributedCache is not null || api.MemoryCache is not null || api.HybridCache is not null
            ? api
            : null;
    }

    /// <summary>
    /// <see cref="Compilation.GetTypeByMetadataName"/>'s answer for a top-level type, looked up in the
    /// compilation's global namespace: the compilation asks each of its referenced assemblies (often
    /// hundreds) for each name, the namespace holds only those that declare it, and its members are
    /// mostly cached already by the compiler's own binding. The global namespace spans the same
    /// assemblies (the source assembly and every reference without an extern alias), so no candidate
    /// means null; one public type of a referenced assembly is the answer; anything else (a type declared
    /// in source, several candidates, one that is not public) is left to the compilation's own rules.
    /// </summary>
    private sealed class TypeLookup
    {
        private readonly Compilation _compilation;
        private readonly Dictionary<string, INamespaceSymbol?> _namespaces = new(StringComparer.Ordinal);

        public TypeLookup(Compilation compilation) => _compilation = compilation;

        public INamedTypeSymbol? Find(string metadataName)
        {
            var dot = metadataName.LastIndexOf('.');
            if (Namespace(dot < 0 ? "" : metadataName.Substring(0, dot)) is not { } ns)
                return null;
            var typeName = metadataName.Substring(dot + 1);
            var tick = typeName.IndexOf('`');
            var name = tick < 0 ? typeName : typeName.Substring(0, tick);
            var arity = tick < 0 ? 0 : int.Parse(typeName.Substring(tick + 1), System.Globalization.CultureInfo.InvariantCulture);
            INamedTypeSymbol? found = null;
            foreach (var type in ns.GetTypeMembers(name, arity))
            {
                if (type.MetadataName != typeName)
                    continue;
                if (found is not null || type.DeclaredAccessibility != Accessibility.Public
                    || SymbolEqualityComparer.Default.Equals(type.ContainingAssembly, _compilation.Assembly))
                {
                    return _compilation.GetTypeByMetadataName(metadataName);
                }
                found = type;
            }
            return found;
        }

        private INamespaceSymbol? Namespace(string name)
        {
            if (_namespaces.TryGetValue(name, out var known))
                return known;
            INamespaceSymbol? ns;
            if (name.Length == 0)
            {
                ns = _compilation.GlobalNamespace;
            }
            else
            {
                var dot = name.LastIndexOf('.');
                ns = null;
                if (Namespace(dot < 0 ? "" : name.Substring(0, dot)) is { } parent)
                {
                    foreach (var member in parent.GetMembers(name.Substring(dot + 1)))
                    {
                        if (member is INamespaceSymbol child)
                        {
                            ns = child;
                            break;
                        }
                    }
                }
            }
            _namespaces[name] = ns;
            return ns;
        }
    }

    /// <summary>True for a type, or a method's containing type, that belongs to CacheGuard.Runtime.</summary>
    public static bool IsRuntimeSymbol(ISymbol? symbol) =>
        symbol?.ContainingAssembly?.Name == "CacheGuard.Runtime";
}
