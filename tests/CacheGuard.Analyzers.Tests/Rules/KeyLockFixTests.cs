using CG0004 = CacheGuard.Analyzers.Tests.Verifiers.CSharpVerifier<CacheGuard.Analyzers.Rules.UnguardedPopulateAnalyzer, CacheGuard.CodeFixes.UnguardedPopulateCodeFix>;

namespace CacheGuard.Analyzers.Tests.Rules;

/// <summary>
/// CG0004 where GetOrSet can't take the pattern over (issue 17, session 4): a populate in a private helper, a
/// hash populate, the project's own cache wrapper. The fix takes the runtime's per-key lock around the miss path
/// and reads the key again inside it; the reads and writes themselves stay as they were. The fixed code is
/// analyzed again by the verifier (no CG0004 left) and Fix All runs in document, project and solution scope.
/// </summary>
public class KeyLockFixTests
{
    private const string Usings = """
        using System;
        using System.Text.Json;
        using System.Threading.Tasks;
        using StackExchange.Redis;

        """;

    private const string UsingsFixed = """
        using System;
        using System.Text.Json;
        using System.Threading.Tasks;
        using CacheGuard;
        using StackExchange.Redis;

        """;

    private const string Store = """

        public class Product { public int Id { get; set; } public string Name { get; set; } = ""; }
        public interface IProductStore { Task<Product?> FindAsync(int id); Product? Find(int id); }
        """;

    [Fact]
    public Task PopulateInAPrivateHelper_TernaryHit_IsLockedWithAReRead() =>
        CG0004.VerifyCodeFixAsync(Usings + """
            public class ProductService
            {
                private readonly IDatabase _db;
                private readonly IProductStore _store;
                public ProductService(IDatabase db, IProductStore store) { _db = db; _store = store; }

                public async Task<Product?> GetAsync(int id)
                {
                    var key = $"product:{id}";
                    var cached = await {|CG0004:_db.StringGetAsync(key)|};
                    return cached.HasValue ? JsonSerializer.Deserialize<Product>(cached.ToString()) : await LoadAndCacheAsync(key, id);
                }

                private async Task<Product?> LoadAndCacheAsync(string key, int id)
                {
                    var product = await _store.FindAsync(id);
                    await _db.StringSetAsync(key, JsonSerializer.Serialize(product), TimeSpan.FromSeconds(300 + Random.Shared.Next(30)));
                    return product;
                }
            }
            """ + Store, UsingsFixed + """
            public class ProductService
            {
                private readonly IDatabase _db;
                private readonly IProductStore _store;
                public ProductService(IDatabase db, IProductStore store) { _db = db; _store = store; }

                public async Task<Product?> GetAsync(int id)
                {
                    var key = $"product:{id}";
                    var cached = await _db.StringGetAsync(key);
                    if (cached.HasValue)
                        return JsonSerializer.Deserialize<Product>(cached.ToString());
                    using (await KeyLocks.LockAsync(key))
                    {
                        cached = await _db.StringGetAsync(key);
                        return cached.HasValue ? JsonSerializer.Deserialize<Product>(cached.ToString()) : await LoadAndCacheAsync(key, id);
                    }
                }

                private async Task<Product?> LoadAndCacheAsync(string key, int id)
                {
                    var product = await _store.FindAsync(id);
                    await _db.StringSetAsync(key, JsonSerializer.Serialize(product), TimeSpan.FromSeconds(300 + Random.Shared.Next(30)));
                    return product;
                }
            }
            """ + Store);

    [Fact]
    public Task HashPopulate_EarlyHitReturn_RestGoesUnderTheLock() =>
        CG0004.VerifyCodeFixAsync(Usings + """
            public class SkuIndex
            {
                private readonly IDatabase _db;
                private readonly IProductStore _store;
                public SkuIndex(IDatabase db, IProductStore store) { _db = db; _store = store; }

                public async Task<string?> NameAsync(int id)
                {
                    var entries = await {|CG0004:_db.HashGetAllAsync($"h:{id}")|};
                    if (entries.Length > 0) return entries[0].Value;
                    // load and cache
                    var product = await _store.FindAsync(id);
                    await _db.HashSetAsync($"h:{id}", new[] { new HashEntry("name", product?.Name) });
                    await _db.KeyExpireAsync($"h:{id}", TimeSpan.FromSeconds(300 + Random.Shared.Next(30)));
                    return product?.Name;
                }
            }
            """ + Store, UsingsFixed + """
            public class SkuIndex
            {
                private readonly IDatabase _db;
                private readonly IProductStore _store;
                public SkuIndex(IDatabase db, IProductStore store) { _db = db; _store = store; }

                public async Task<string?> NameAsync(int id)
                {
                    var entries = await _db.HashGetAllAsync($"h:{id}");
                    if (entries.Length > 0) return entries[0].Value;
                    using (await KeyLocks.LockAsync($"h:{id}"))
                    {
                        entries = await _db.HashGetAllAsync($"h:{id}");
                        if (entries.Length > 0) return entries[0].Value;
                        // load and cache
                        var product = await _store.FindAsync(id);
                        await _db.HashSetAsync($"h:{id}", new[] { new HashEntry("name", product?.Name) });
                        await _db.KeyExpireAsync($"h:{id}", TimeSpan.FromSeconds(300 + Random.Shared.Next(30)));
                        return product?.Name;
                    }
                }
            }
            """ + Store);

    private const string Wrapper = """

        public interface ICache
        {
            Task<T?> GetAsync<T>(string key);
            Task SetAsync<T>(string key, T value);
        }

        public sealed class RedisCacheWrapper : ICache
        {
            private readonly IDatabase _db;
            public RedisCacheWrapper(IDatabase db) => _db = db;
            public async Task<T?> GetAsync<T>(string key)
            {
                var value = await _db.StringGetAsync(key);
                return value.IsNull ? default : JsonSerializer.Deserialize<T>(value.ToString());
            }
            public Task SetAsync<T>(string key, T value) => _db.StringSetAsync(key, JsonSerializer.Serialize(value), TimeSpan.FromSeconds(300 + Random.Shared.Next(60)));
        }

        public interface ISiteRepository { Task<System.Collections.Generic.List<string>> GetAll(Guid siteId); }
        """;

    [Fact]
    public Task ProjectWrapper_MissBlock_ConfigureAwaitKept_IsLockedInsideTheMissBlock() =>
        CG0004.VerifyCodeFixAsync(Usings + """
            public class AliasService
            {
                private readonly ICache? _cache;
                private readonly ISiteRepository _repo;
                public AliasService(ICache? cache, ISiteRepository repo) { _cache = cache; _repo = repo; }

                public async Task<System.Collections.Generic.List<string>?> GetAliasUrls(Guid siteId)
                {
                    if (_cache != null)
                    {
                        var aliasUrls = await {|CG0004:_cache.GetAsync<System.Collections.Generic.List<string>>($"Piranha_AliasUrls_{siteId}")|}.ConfigureAwait(false);

                        if (aliasUrls == null)
                        {
                            aliasUrls = await _repo.GetAll(siteId).ConfigureAwait(false);

                            await _cache.SetAsync($"Piranha_AliasUrls_{siteId}", aliasUrls).ConfigureAwait(false);
                        }
                        return aliasUrls;
                    }
                    return null;
                }
            }
            """ + Wrapper, UsingsFixed + """
            public class AliasService
            {
                private readonly ICache? _cache;
                private readonly ISiteRepository _repo;
                public AliasService(ICache? cache, ISiteRepository repo) { _cache = cache; _repo = repo; }

                public async Task<System.Collections.Generic.List<string>?> GetAliasUrls(Guid siteId)
                {
                    if (_cache != null)
                    {
                        var aliasUrls = await _cache.GetAsync<System.Collections.Generic.List<string>>($"Piranha_AliasUrls_{siteId}").ConfigureAwait(false);

                        if (aliasUrls == null)
                        {
                            using (await KeyLocks.LockAsync($"Piranha_AliasUrls_{siteId}").ConfigureAwait(false))
                            {
                                aliasUrls = await _cache.GetAsync<System.Collections.Generic.List<string>>($"Piranha_AliasUrls_{siteId}").ConfigureAwait(false);
                                if (aliasUrls == null)
                                {
                                    aliasUrls = await _repo.GetAll(siteId).ConfigureAwait(false);

                                    await _cache.SetAsync($"Piranha_AliasUrls_{siteId}", aliasUrls).ConfigureAwait(false);
                                }
                            }
                        }
                        return aliasUrls;
                    }
                    return null;
                }
            }
            """ + Wrapper);

    [Fact]
    public Task SyncHelper_TakesTheBlockingLock() =>
        CG0004.VerifyCodeFixAsync(Usings + """
            public class ProductService
            {
                private readonly IDatabase _db;
                private readonly IProductStore _store;
                public ProductService(IDatabase db, IProductStore store) { _db = db; _store = store; }

                public Product? Get(int id)
                {
                    RedisKey key = "p:" + id;
                    var cached = {|CG0004:_db.StringGet(key)|};
                    if (!cached.HasValue)
                        return Load(key, id);
                    return JsonSerializer.Deserialize<Product>(cached.ToString());
                }

                private Product? Load(RedisKey key, int id)
                {
                    var product = _store.Find(id);
                    _db.StringSet(key, JsonSerializer.Serialize(product), TimeSpan.FromSeconds(300 + Random.Shared.Next(30)));
                    return product;
                }
            }
            """ + Store, UsingsFixed + """
            public class ProductService
            {
                private readonly IDatabase _db;
                private readonly IProductStore _store;
                public ProductService(IDatabase db, IProductStore store) { _db = db; _store = store; }

                public Product? Get(int id)
                {
                    RedisKey key = "p:" + id;
                    var cached = _db.StringGet(key);
                    if (!cached.HasValue)
                    {
                        using (KeyLocks.Lock(key.ToString()))
                        {
                            cached = _db.StringGet(key);
                            if (!cached.HasValue)
                                return Load(key, id);
                        }
                    }
                    return JsonSerializer.Deserialize<Product>(cached.ToString());
                }

                private Product? Load(RedisKey key, int id)
                {
                    var product = _store.Find(id);
                    _db.StringSet(key, JsonSerializer.Serialize(product), TimeSpan.FromSeconds(300 + Random.Shared.Next(30)));
                    return product;
                }
            }
            """ + Store);

    [Fact]
    public Task CheckThatDeclaresAVariable_HasNoLockFix()
    {
        // `is string s` declares s in the enclosing block: a second copy of the check under the lock can't compile.
        const string source = Usings + """
            public class Names
            {
                private readonly IDatabase _db;
                private readonly IProductStore _store;
                public Names(IDatabase db, IProductStore store) { _db = db; _store = store; }

                public async Task<string?> NameAsync(int id)
                {
                    string? cached = await {|CG0004:_db.StringGetAsync("n:" + id)|};
                    if (cached is string s) return s;
                    return await LoadAsync(id);
                }

                private async Task<string?> LoadAsync(int id)
                {
                    var product = await _store.FindAsync(id);
                    await _db.StringSetAsync("n:" + id, product?.Name, TimeSpan.FromSeconds(300 + Random.Shared.Next(30)));
                    return product?.Name;
                }
            }
            """ + Store;
        return CG0004.VerifyCodeFixAsync(source, source);
    }

    [Theory]
    [InlineData("")]
    [InlineData(".ConfigureAwait(false)")]
    public Task WrapperReadAndPopulate_UnderKeyLocksWithAReRead_IsGuarded(string configureAwait) =>
        CG0004.VerifyAnalyzerAsync(UsingsFixed + """
            public class AliasService
            {
                private readonly ICache _cache;
                private readonly ISiteRepository _repo;
                public AliasService(ICache cache, ISiteRepository repo) { _cache = cache; _repo = repo; }

                public async Task<System.Collections.Generic.List<string>?> GetAliasUrls(Guid siteId)
                {
                    var aliasUrls = await _cache.GetAsync<System.Collections.Generic.List<string>>($"a:{siteId}");
                    if (aliasUrls == null)
                    {
                        using (await KeyLocks.LockAsync($"a:{siteId}")CA)
                        {
                            aliasUrls = await _cache.GetAsync<System.Collections.Generic.List<string>>($"a:{siteId}");
                            if (aliasUrls == null)
                            {
                                aliasUrls = await _repo.GetAll(siteId);
                                await _cache.SetAsync($"a:{siteId}", aliasUrls);
                            }
                        }
                    }
                    return aliasUrls;
                }
            }
            """.Replace("CA", configureAwait) + Wrapper);

    [Fact]
    public Task RedisReadAndPopulate_UnderKeyLocksWithoutAReRead_IsStillReported() =>
        CG0004.VerifyAnalyzerAsync(UsingsFixed + """
            public class Names
            {
                private readonly IDatabase _db;
                private readonly IProductStore _store;
                public Names(IDatabase db, IProductStore store) { _db = db; _store = store; }

                public async Task<string?> NameAsync(int id)
                {
                    var cached = await {|CG0004:_db.StringGetAsync("n:" + id)|};
                    if (cached.HasValue) return cached.ToString();
                    using (await KeyLocks.LockAsync("n:" + id))
                    {
                        var product = await _store.FindAsync(id);
                        await _db.StringSetAsync("n:" + id, product?.Name, TimeSpan.FromSeconds(300 + Random.Shared.Next(30)));
                        return product?.Name;
                    }
                }
            }
            """ + Store);

    [Fact]
    public Task MissPathWithASideEffect_KeepsItUnderTheLock() =>
        CG0004.VerifyCodeFixAsync(Usings + """
            public interface IAudit { void Record(int id); }
            public class C
            {
                private readonly IDatabase _db;
                private readonly IProductStore _store;
                private readonly IAudit _audit;
                public C(IDatabase db, IProductStore store, IAudit audit) { _db = db; _store = store; _audit = audit; }

                public async Task<Product?> GetAsync(int id)
                {
                    var key = "product:" + id;
                    var v = await {|CG0004:_db.StringGetAsync(key)|};
                    if (v.HasValue)
                    {
                        return JsonSerializer.Deserialize<Product>(v.ToString());
                    }
                    var product = await _store.FindAsync(id);
                    _audit.Record(id);
                    await _db.StringSetAsync(key, JsonSerializer.Serialize(product), TimeSpan.FromMinutes(1) + TimeSpan.FromSeconds(Random.Shared.Next(30)));
                    return product;
                }
            }
            """ + Store, UsingsFixed + """
            public interface IAudit { void Record(int id); }
            public class C
            {
                private readonly IDatabase _db;
                private readonly IProductStore _store;
                private readonly IAudit _audit;
                public C(IDatabase db, IProductStore store, IAudit audit) { _db = db; _store = store; _audit = audit; }

                public async Task<Product?> GetAsync(int id)
                {
                    var key = "product:" + id;
                    var v = await _db.StringGetAsync(key);
                    if (v.HasValue)
                    {
                        return JsonSerializer.Deserialize<Product>(v.ToString());
                    }
                    using (await KeyLocks.LockAsync(key))
                    {
                        v = await _db.StringGetAsync(key);
                        if (v.HasValue)
                        {
                            return JsonSerializer.Deserialize<Product>(v.ToString());
                        }
                        var product = await _store.FindAsync(id);
                        _audit.Record(id);
                        await _db.StringSetAsync(key, JsonSerializer.Serialize(product), TimeSpan.FromMinutes(1) + TimeSpan.FromSeconds(Random.Shared.Next(30)));
                        return product;
                    }
                }
            }
            """ + Store);
}
