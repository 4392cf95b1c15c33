using Microsoft.CodeAnalysis.CSharp;
using Populate = CacheGuard.Analyzers.Tests.Verifiers.CSharpVerifier<CacheGuard.Analyzers.Rules.UnguardedPopulateAnalyzer, CacheGuard.CodeFixes.UnguardedPopulateCodeFix>;
using Release = CacheGuard.Analyzers.Tests.Verifiers.CSharpVerifier<CacheGuard.Analyzers.Rules.UnsafeLockReleaseAnalyzer, CacheGuard.CodeFixes.UnsafeLockReleaseCodeFix>;

namespace CacheGuard.Analyzers.Tests.Engine;

/// <summary>
/// Issue 14's "Reach" shapes: caching spread over calls on <c>this</c>, private helpers, wrappers over
/// wrappers, lock services and lock handles. Each shape has a positive case and correct code in the
/// same shape that must raise nothing, on two language versions.
/// </summary>
public class ReachTests
{
    private const string Usings = """
        using System;
        using System.Text.Json;
        using System.Threading;
        using System.Threading.Tasks;
        using StackExchange.Redis;

        """;

    private const string Domain = """

        public sealed class Product { public int Id { get; set; } }
        public interface IProductRepository { Task<Product?> FindAsync(int id); }
        """;

    /// <summary>A cache service over IDatabase: GetAsync reads, SetAsync writes (a wrapper).</summary>
    private const string CacheService = """

        public interface ICacheService
        {
            Task<T?> GetAsync<T>(string key) where T : class;
            Task SetAsync<T>(string key, T value, TimeSpan ttl);
        }

        public sealed class RedisCacheService : ICacheService
        {
            private readonly IDatabase _db;
            public RedisCacheService(IDatabase db) => _db = db;

            public async Task<T?> GetAsync<T>(string key) where T : class
            {
                var json = await _db.StringGetAsync(key);
                return json.IsNullOrEmpty ? null : JsonSerializer.Deserialize<T>(json.ToString());
            }

            public Task SetAsync<T>(string key, T value, TimeSpan ttl) =>
                _db.StringSetAsync(key, JsonSerializer.Serialize(value), ttl);
        }
        """;

    public static TheoryData<LanguageVersion> Versions => new() { LanguageVersion.Latest, LanguageVersion.CSharp9 };

    [Theory]
    [MemberData(nameof(Versions))]
    public Task GetOrSet_BuiltFromTheServicesOwnGetAndSet_IsFlagged(LanguageVersion version) =>
        Populate.VerifyAnalyzerAsync(Usings + """
            public sealed class CachingService
            {
                private readonly IDatabase _db;
                public CachingService(IDatabase db) => _db = db;

                public async Task<string?> GetAsync(string key)
                {
                    var value = await _db.StringGetAsync(key);
                    return value.HasValue ? value.ToString() : null;
                }

                public Task SetAsync(string key, string value, TimeSpan ttl) => _db.StringSetAsync(key, value, ttl);

                public async Task<string> GetOrSetAsync(string key, Func<Task<string>> factory, TimeSpan ttl)
                {
                    var cached = await {|CG0004:GetAsync(key)|};
                    if (cached is not null)
                        return cached;
                    var value = await factory();
                    await SetAsync(key, value, ttl);
                    return value;
                }
            }
            """, version);

    [Theory]
    [MemberData(nameof(Versions))]
    public Task GetOrSet_BuiltFromTheServicesOwnGetAndSet_UnderALockWithARecheck_IsNotFlagged(LanguageVersion version) =>
        Populate.VerifyAnalyzerAsync(Usings + """
            public sealed class CachingService
            {
                private readonly IDatabase _db;
                private readonly SemaphoreSlim _gate = new SemaphoreSlim(1, 1);
                public CachingService(IDatabase db) => _db = db;

                public async Task<string?> GetAsync(string key)
                {
                    var value = await _db.StringGetAsync(key);
                    return value.HasValue ? value.ToString() : null;
                }

                public Task SetAsync(string key, string value, TimeSpan ttl) => _db.StringSetAsync(key, value, ttl);

                public async Task<string> GetOrSetAsync(string key, Func<Task<string>> factory, TimeSpan ttl)
                {
                    var cached = await GetAsync(key);
                    if (cached is not null)
                        return cached;
                    await _gate.WaitAsync();
                    try
                    {
                        cached = await GetAsync(key);
                        if (cached is not null)
                            return cached;
                        var value = await factory();
                        await SetAsync(key, value, ttl);
                        return value;
                    }
                    finally
                    {
                        _gate.Release();
                    }
                }
            }
            """, version);

    [Theory]
    [MemberData(nameof(Versions))]
    public Task ReadAndPopulate_InPrivateHelpers_IsFlagged(LanguageVersion version) =>
        Populate.VerifyAnalyzerAsync(Usings + """
            public sealed class ProductService
            {
                private readonly IDatabase _db;
                private readonly IProductRepository _repository;
                public ProductService(IDatabase db, IProductRepository repository) { _db = db; _repository = repository; }

                public async Task<Product?> GetAsync(int id)
                {
                    var key = $"product:{id}";
                    var cached = await {|CG0004:ReadCachedAsync(key)|};
                    if (cached is not null)
                        return cached;
                    var product = await _repository.FindAsync(id);
                    if (product is not null)
                        await WriteCachedAsync(key, product);
                    return product;
                }

                private async Task<Product?> ReadCachedAsync(string key)
                {
                    var json = await _db.StringGetAsync(key);
                    return json.IsNullOrEmpty ? null : JsonSerializer.Deserialize<Product>(json.ToString());
                }

                private Task WriteCachedAsync(string key, Product product) =>
                    _db.StringSetAsync(key, JsonSerializer.Serialize(product), TimeSpan.FromMinutes(5));
            }
            """ + Domain, version);

    [Theory]
    [MemberData(nameof(Versions))]
    public Task ReadHelper_WithoutAPopulate_IsNotFlagged(LanguageVersion version) =>
        Populate.VerifyAnalyzerAsync(Usings + """
            public sealed class ProductService
            {
                private readonly IDatabase _db;
                private readonly IProductRepository _repository;
                public ProductService(IDatabase db, IProductRepository repository) { _db = db; _repository = repository; }

                // Read-through to the database on a miss, never writing back: nothing to single-flight.
                public async Task<Product?> GetAsync(int id)
                {
                    var cached = await ReadCachedAsync($"product:{id}");
                    return cached ?? await _repository.FindAsync(id);
                }

                private async Task<Product?> ReadCachedAsync(string key)
                {
                    var json = await _db.StringGetAsync(key);
                    return json.IsNullOrEmpty ? null : JsonSerializer.Deserialize<Product>(json.ToString());
                }
            }
            """ + Domain, version);

    [Theory]
    [MemberData(nameof(Versions))]
    public Task WrapperOverAWrapper_IsFollowed(LanguageVersion version) =>
        Populate.VerifyAnalyzerAsync(Usings + """
            public sealed class ProductCache
            {
                private readonly ICacheService _cache;
                public ProductCache(ICacheService cache) => _cache = cache;
                public Task<Product?> GetAsync(string key) => _cache.GetAsync<Product>(key);
                public Task SetAsync(string key, Product product) => _cache.SetAsync(key, product, TimeSpan.FromMinutes(10));
            }

            public sealed class ProductsController
            {
                private readonly ProductCache _products;
                private readonly IProductRepository _repository;
                public ProductsController(ProductCache products, IProductRepository repository) { _products = products; _repository = repository; }

                public async Task<Product?> Get(int id)
                {
                    var key = "product:" + id;
                    var cached = await {|CG0004:_products.GetAsync(key)|};
                    if (cached is not null)
                        return cached;
                    var product = await _repository.FindAsync(id);
                    if (product is not null)
                        await _products.SetAsync(key, product);
                    return product;
                }
            }
            """ + CacheService + Domain, version);

    [Theory]
    [MemberData(nameof(Versions))]
    public Task WrapperOverAWrapper_UsedAsAStore_IsNotFlagged(LanguageVersion version) =>
        Populate.VerifyAnalyzerAsync(Usings + """
            public sealed class ProductCache
            {
                private readonly ICacheService _cache;
                public ProductCache(ICacheService cache) => _cache = cache;
                public Task<Product?> GetAsync(string key) => _cache.GetAsync<Product>(key);
                public Task SetAsync(string key, Product product) => _cache.SetAsync(key, product, TimeSpan.FromMinutes(10));
            }

            public sealed class ProductsController
            {
                private readonly ProductCache _products;
                public ProductsController(ProductCache products) => _products = products;

                // A draft kept only in the cache: no load on a miss.
                public Task<Product?> Draft(int id) => _products.GetAsync("draft:" + id);
                public Task SaveDraft(Product product) => _products.SetAsync("draft:" + product.Id, product);
            }
            """ + CacheService + Domain, version);

    private const string LockServiceAcquire = """
        public sealed class RedisLockService
        {
            private readonly IDatabase _db;
            public RedisLockService(IDatabase db) => _db = db;

            public Task<bool> AcquireAsync(string resource, string owner, TimeSpan lease) =>
                _db.StringSetAsync(resource, owner, lease, When.NotExists);

        """;

    [Theory]
    [MemberData(nameof(Versions))]
    public Task LockService_ReleaseByPlainDelete_IsFlagged(LanguageVersion version) =>
        Release.VerifyAnalyzerAsync(Usings + LockServiceAcquire + """
                public Task ReleaseAsync(string resource) => {|CG0007:_db.KeyDeleteAsync(resource)|};
            }
            """, version);

    [Theory]
    [MemberData(nameof(Versions))]
    public Task LockService_ReleaseWithTheOwnerToken_IsNotFlagged(LanguageVersion version) =>
        Release.VerifyAnalyzerAsync(Usings + LockServiceAcquire + """
                public Task<bool> ReleaseAsync(string resource, string owner) => _db.LockReleaseAsync(resource, owner);
            }
            """, version);

    [Theory]
    [MemberData(nameof(Versions))]
    public Task CacheWithSetIfAbsentAndRemove_IsNoLockService(LanguageVersion version) =>
        Release.VerifyAnalyzerAsync(Usings + """
            public sealed class DraftCache
            {
                private readonly IDatabase _db;
                public DraftCache(IDatabase db) => _db = db;
                public Task<bool> AddIfAbsentAsync(string key, string json) => _db.StringSetAsync(key, json, TimeSpan.FromMinutes(5), When.NotExists);
                public Task RemoveAsync(string key) => _db.KeyDeleteAsync(key);
            }
            """, version);

    private const string HandleAcquirer = """
        public sealed class RedisLockProvider
        {
            private readonly IDatabase _db;
            public RedisLockProvider(IDatabase db) => _db = db;

            public async Task<RedisLockHandle?> AcquireAsync(string name)
            {
                var key = "lock:" + name;
                var token = Guid.NewGuid().ToString();
                if (!await _db.StringSetAsync(key, token, TimeSpan.FromSeconds(30), When.NotExists))
                    return null;
                return new RedisLockHandle(_db, key, token);
            }
        }

        """;

    [Theory]
    [MemberData(nameof(Versions))]
    public Task LockHandle_ReleasedInDisposeAsyncByPlainDelete_IsFlagged(LanguageVersion version) =>
        Release.VerifyAnalyzerAsync(Usings + HandleAcquirer + """
            public sealed class RedisLockHandle : IAsyncDisposable
            {
                private readonly IDatabase _db;
                private readonly string _key;
                private readonly string _token;
                public RedisLockHandle(IDatabase db, string key, string token) { _db = db; _key = key; _token = token; }
                public async ValueTask DisposeAsync() => await {|CG0007:_db.KeyDeleteAsync(_key)|};
            }
            """, version);

    [Theory]
    [MemberData(nameof(Versions))]
    public Task LockHandle_ReleasedWithItsToken_IsNotFlagged(LanguageVersion version) =>
        Release.VerifyAnalyzerAsync(Usings + HandleAcquirer + """
            public sealed class RedisLockHandle : IAsyncDisposable
            {
                private readonly IDatabase _db;
                private readonly string _key;
                private readonly string _token;
                public RedisLockHandle(IDatabase db, string key, string token) { _db = db; _key = key; _token = token; }
                public async ValueTask DisposeAsync() => await _db.LockReleaseAsync(_key, _token);
            }
            """, version);
}
