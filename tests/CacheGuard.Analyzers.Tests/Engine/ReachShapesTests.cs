using Microsoft.CodeAnalysis.CSharp;
using FixedTtl = CacheGuard.Analyzers.Tests.Verifiers.CSharpVerifier<CacheGuard.Analyzers.Rules.FixedTtlAnalyzer, CacheGuard.CodeFixes.FixedTtlCodeFix>;
using SetOnWrite = CacheGuard.Analyzers.Tests.Verifiers.CSharpVerifier<CacheGuard.Analyzers.Rules.SetOnWriteAnalyzer, CacheGuard.CodeFixes.SetOnWriteCodeFix>;
using Populate = CacheGuard.Analyzers.Tests.Verifiers.CSharpVerifier<CacheGuard.Analyzers.Rules.UnguardedPopulateAnalyzer, CacheGuard.CodeFixes.UnguardedPopulateCodeFix>;

namespace CacheGuard.Analyzers.Tests.Engine;

/// <summary>
/// The rest of issue 14's "Reach" list (ReachTests has wrappers, helpers, lock services and
/// handles): a cache manager that checks <c>KeyExists</c> and reads through a helper, hash and
/// sorted-set caches, TTLs picked by a <c>switch</c> or returned by a helper, <c>?? ""</c> miss
/// checks, tuple-returning <c>TryGet</c> helpers, and reads and writes each behind an
/// <c>if (cachingEnabled)</c>. Each shape: a positive case, and correct code in the same shape
/// that must raise nothing, on two language versions.
/// </summary>
public class ReachShapesTests
{
    private const string Usings = """
        using System;
        using System.Linq;
        using System.Text.Json;
        using System.Threading;
        using System.Threading.Tasks;
        using Microsoft.Extensions.Caching.Distributed;
        using StackExchange.Redis;

        """;

    private const string Domain = """

        public sealed class Product { public int Id { get; set; } public string Name { get; set; } = ""; }
        public enum Popularity { Hot, Normal, Cold }
        public interface IProductRepository
        {
            Task<Product?> FindAsync(int id);
            Task<Product[]> TopAsync(int count);
        }
        public sealed class CacheSettings { public bool Enabled { get; set; } }
        """;

    public static TheoryData<LanguageVersion> Versions => new() { LanguageVersion.Latest, LanguageVersion.CSharp9 };

    // ---- A cache manager: KeyExists, then the value through a helper -------------------------

    [Theory]
    [MemberData(nameof(Versions))]
    public Task CacheManager_KeyExistsThenHelperRead_IsFlagged(LanguageVersion version) =>
        Populate.VerifyAnalyzerAsync(Usings + """
            public sealed class CatalogCacheManager
            {
                private readonly IDatabase _db;
                private readonly IProductRepository _repository;
                public CatalogCacheManager(IDatabase db, IProductRepository repository) { _db = db; _repository = repository; }

                public async Task<Product?> GetProductAsync(int id)
                {
                    var key = $"product:{id}";
                    if (await {|CG0004:_db.KeyExistsAsync(key)|})
                        return await ReadAsync(key);
                    var product = await _repository.FindAsync(id);
                    await _db.StringSetAsync(key, JsonSerializer.Serialize(product), TimeSpan.FromMinutes(5));
                    return product;
                }

                private async Task<Product?> ReadAsync(string key)
                {
                    var json = await _db.StringGetAsync(key);
                    return JsonSerializer.Deserialize<Product>(json.ToString());
                }
            }
            """ + Domain, version);

    [Theory]
    [MemberData(nameof(Versions))]
    public Task CacheManager_KeyExistsThenHelperRead_UnderALockWithARecheck_IsNotFlagged(LanguageVersion version) =>
        Populate.VerifyAnalyzerAsync(Usings + """
            public sealed class CatalogCacheManager
            {
                private static readonly SemaphoreSlim Gate = new SemaphoreSlim(1, 1);
                private readonly IDatabase _db;
                private readonly IProductRepository _repository;
                public CatalogCacheManager(IDatabase db, IProductRepository repository) { _db = db; _repository = repository; }

                public async Task<Product?> GetProductAsync(int id)
                {
                    var key = $"product:{id}";
                    if (await _db.KeyExistsAsync(key))
                        return await ReadAsync(key);
                    await Gate.WaitAsync();
                    try
                    {
                        if (await _db.KeyExistsAsync(key))
                            return await ReadAsync(key);
                        var product = await _repository.FindAsync(id);
                        await _db.StringSetAsync(key, JsonSerializer.Serialize(product), TimeSpan.FromMinutes(5));
                        return product;
                    }
                    finally
                    {
                        Gate.Release();
                    }
                }

                private async Task<Product?> ReadAsync(string key)
                {
                    var json = await _db.StringGetAsync(key);
                    return JsonSerializer.Deserialize<Product>(json.ToString());
                }
            }
            """ + Domain, version);

    // ---- Hash and sorted-set caches ----------------------------------------------------------

    [Theory]
    [MemberData(nameof(Versions))]
    public Task HashCache_GetThenPopulate_IsFlagged(LanguageVersion version) =>
        Populate.VerifyAnalyzerAsync(Usings + """
            public sealed class ProductHashCache
            {
                private readonly IDatabase _db;
                private readonly IProductRepository _repository;
                public ProductHashCache(IDatabase db, IProductRepository repository) { _db = db; _repository = repository; }

                public async Task<string?> GetNameAsync(int id)
                {
                    var key = $"product:{id}";
                    var name = await {|CG0004:_db.HashGetAsync(key, "name")|};
                    if (!name.IsNull)
                        return name.ToString();
                    var product = await _repository.FindAsync(id);
                    if (product is null)
                        return null;
                    await _db.HashSetAsync(key, new[] { new HashEntry("name", product.Name) });
                    await _db.KeyExpireAsync(key, TimeSpan.FromMinutes(10));
                    return product.Name;
                }
            }
            """ + Domain, version);

    [Theory]
    [MemberData(nameof(Versions))]
    public Task HashStore_WithoutALoadOnMiss_IsNotFlagged(LanguageVersion version) =>
        Populate.VerifyAnalyzerAsync(Usings + """
            public sealed class CartStore
            {
                private readonly IDatabase _db;
                public CartStore(IDatabase db) => _db = db;

                // Redis is the cart's only home: a miss is an empty cart, nothing is loaded.
                public async Task<int> QuantityAsync(string cartId, int productId)
                {
                    var quantity = await _db.HashGetAsync($"cart:{cartId}", productId.ToString());
                    return quantity.IsNull ? 0 : (int)quantity;
                }

                public Task AddAsync(string cartId, int productId, int quantity) =>
                    _db.HashSetAsync($"cart:{cartId}", new[] { new HashEntry(productId.ToString(), quantity) });
            }
            """ + Domain, version);

    [Theory]
    [MemberData(nameof(Versions))]
    public Task SortedSetCache_GetThenPopulate_IsFlagged(LanguageVersion version) =>
        Populate.VerifyAnalyzerAsync(Usings + """
            public sealed class TopProductsCache
            {
                private readonly IDatabase _db;
                private readonly IProductRepository _repository;
                public TopProductsCache(IDatabase db, IProductRepository repository) { _db = db; _repository = repository; }

                public async Task<int[]> TopIdsAsync()
                {
                    const string key = "products:top";
                    var cached = await {|CG0004:_db.SortedSetRangeByRankAsync(key, 0, 9, Order.Descending)|};
                    if (cached.Length > 0)
                        return cached.Select(v => (int)v).ToArray();
                    var top = await _repository.TopAsync(10);
                    await _db.SortedSetAddAsync(key, top.Select((p, i) => new SortedSetEntry(p.Id, 10 - i)).ToArray());
                    await _db.KeyExpireAsync(key, TimeSpan.FromMinutes(10));
                    return top.Select(p => p.Id).ToArray();
                }
            }
            """ + Domain, version);

    [Theory]
    [MemberData(nameof(Versions))]
    public Task SortedSetLeaderboard_WithoutALoadOnMiss_IsNotFlagged(LanguageVersion version) =>
        Populate.VerifyAnalyzerAsync(Usings + """
            public sealed class Leaderboard
            {
                private readonly IDatabase _db;
                public Leaderboard(IDatabase db) => _db = db;

                public async Task<double> ScoreAsync(string player)
                {
                    var score = await _db.SortedSetScoreAsync("leaderboard", player);
                    if (score is null)
                    {
                        await _db.SortedSetAddAsync("leaderboard", player, 0);
                        return 0;
                    }
                    return score.Value;
                }
            }
            """ + Domain, version);

    [Theory]
    [MemberData(nameof(Versions))]
    public Task SortedSetLeaderboard_UpdatedAfterTheDatabaseWrite_IsNoWriteThrough(LanguageVersion version) =>
        SetOnWrite.VerifyAnalyzerAsync(Usings + """
            public sealed class Score { public string Player { get; set; } = ""; public double Points { get; set; } }
            public interface IScoreRepository { Task SaveAsync(Score score); }

            public sealed class ScoreService
            {
                private readonly IDatabase _db;
                private readonly IScoreRepository _scores;
                public ScoreService(IDatabase db, IScoreRepository scores) { _db = db; _scores = scores; }

                // The leaderboard lives only in Redis (no load on a miss): updating it is not a write-through.
                public async Task RecordAsync(Score score)
                {
                    await _scores.SaveAsync(score);
                    await _db.SortedSetAddAsync("leaderboard", score.Player, score.Points);
                }

                public Task<SortedSetEntry[]> TopAsync() =>
                    _db.SortedSetRangeByRankWithScoresAsync("leaderboard", 0, 9, Order.Descending);
            }
            """ + Domain, version);

    // ---- TTLs picked by a switch over constants, or returned by a helper -----------------------

    private const string SwitchTtlTemplate = """
        public sealed class ProductCache
        {
            private readonly IDatabase _db;
            private readonly IProductRepository _repository;
            public ProductCache(IDatabase db, IProductRepository repository) { _db = db; _repository = repository; }

            public async Task<Product?> GetAsync(int id, Popularity popularity)
            {
                var key = $"product:{id}";
                var json = await _db.StringGetAsync(key);
                if (!json.IsNullOrEmpty)
                    return JsonSerializer.Deserialize<Product>(json.ToString());
                var product = await _repository.FindAsync(id);
                TTL_DECLARATION
                await _db.StringSetAsync(key, JsonSerializer.Serialize(product), TTL_USE);
                return product;
            }
            HELPER
        }
        """;

    private static string SwitchTtl(string declaration, string use, string helper = "") =>
        Usings + SwitchTtlTemplate.Replace("TTL_DECLARATION", declaration).Replace("TTL_USE", use).Replace("HELPER", helper) + Domain;

    [Theory]
    [MemberData(nameof(Versions))]
    public Task Ttl_FromASwitchOverConstants_IsFlagged(LanguageVersion version) =>
        FixedTtl.VerifyAnalyzerAsync(SwitchTtl(
            """
            var ttl = popularity switch
                            {
                                Popularity.Hot => TimeSpan.FromMinutes(1),
                                Popularity.Normal => TimeSpan.FromMinutes(10),
                                _ => TimeSpan.FromHours(1),
                            };
            """,
            "{|CG0001:ttl|}"), version);

    [Theory]
    [MemberData(nameof(Versions))]
    public Task Ttl_ReturnedByAHelperOfConstants_IsFlagged(LanguageVersion version) =>
        FixedTtl.VerifyAnalyzerAsync(SwitchTtl(
            "",
            "{|CG0001:TtlFor(popularity)|}",
            """
            private static TimeSpan TtlFor(Popularity popularity)
                {
                    switch (popularity)
                    {
                        case Popularity.Hot: return TimeSpan.FromMinutes(1);
                        case Popularity.Normal: return TimeSpan.FromMinutes(10);
                        default: return TimeSpan.FromHours(1);
                    }
                }
            """), version);

    [Theory]
    [MemberData(nameof(Versions))]
    public Task Ttl_ReturnedByAHelperThatAddsJitter_IsNotFlagged(LanguageVersion version) =>
        FixedTtl.VerifyAnalyzerAsync(SwitchTtl(
            "",
            "TtlFor(popularity)",
            """
            private static TimeSpan TtlFor(Popularity popularity)
                {
                    var baseTtl = popularity switch
                    {
                        Popularity.Hot => TimeSpan.FromMinutes(1),
                        _ => TimeSpan.FromMinutes(10),
                    };
                    return baseTtl + TimeSpan.FromMilliseconds(Random.Shared.Next(0, 30_000));
                }
            """), version);

    // ---- `GetStringAsync(k) ?? ""`, then string.IsNullOrEmpty --------------------------------

    [Theory]
    [MemberData(nameof(Versions))]
    public Task DistributedCache_CoalescedToEmptyThenIsNullOrEmpty_IsFlagged(LanguageVersion version) =>
        Populate.VerifyAnalyzerAsync(Usings + """
            public sealed class ProductReader
            {
                private readonly IDistributedCache _cache;
                private readonly IProductRepository _repository;
                public ProductReader(IDistributedCache cache, IProductRepository repository) { _cache = cache; _repository = repository; }

                public async Task<Product?> GetAsync(int id)
                {
                    var key = $"product:{id}";
                    var json = await {|CG0004:_cache.GetStringAsync(key)|} ?? "";
                    if (!string.IsNullOrEmpty(json))
                        return JsonSerializer.Deserialize<Product>(json);
                    var product = await _repository.FindAsync(id);
                    await _cache.SetStringAsync(key, JsonSerializer.Serialize(product),
                        new DistributedCacheEntryOptions { AbsoluteExpirationRelativeToNow = TimeSpan.FromMinutes(5) });
                    return product;
                }
            }
            """ + Domain, version);

    [Theory]
    [MemberData(nameof(Versions))]
    public Task DistributedCache_CoalescedToEmpty_ReadOnly_IsNotFlagged(LanguageVersion version) =>
        Populate.VerifyAnalyzerAsync(Usings + """
            public sealed class ProductReader
            {
                private readonly IDistributedCache _cache;
                private readonly IProductRepository _repository;
                public ProductReader(IDistributedCache cache, IProductRepository repository) { _cache = cache; _repository = repository; }

                // Falls back to the database on a miss but never writes back: no populate to guard.
                public async Task<Product?> GetAsync(int id)
                {
                    var json = await _cache.GetStringAsync($"product:{id}") ?? "";
                    if (!string.IsNullOrEmpty(json))
                        return JsonSerializer.Deserialize<Product>(json);
                    return await _repository.FindAsync(id);
                }
            }
            """ + Domain, version);

    // ---- A tuple-returning TryGet helper --------------------------------------------------------

    private const string TryGetHelper = """

            private async Task<(bool Found, Product? Value)> TryGetAsync(string key)
            {
                var json = await _db.StringGetAsync(key);
                return json.IsNullOrEmpty ? (false, null) : (true, JsonSerializer.Deserialize<Product>(json.ToString()));
            }
        """;

    [Theory]
    [MemberData(nameof(Versions))]
    public Task TupleTryGetHelper_ThenPopulate_IsFlagged(LanguageVersion version) =>
        Populate.VerifyAnalyzerAsync(Usings + """
            public sealed class ProductService
            {
                private readonly IDatabase _db;
                private readonly IProductRepository _repository;
                public ProductService(IDatabase db, IProductRepository repository) { _db = db; _repository = repository; }

                public async Task<Product?> GetAsync(int id)
                {
                    var key = $"product:{id}";
                    var (found, cached) = await {|CG0004:TryGetAsync(key)|};
                    if (found)
                        return cached;
                    var product = await _repository.FindAsync(id);
                    await _db.StringSetAsync(key, JsonSerializer.Serialize(product), TimeSpan.FromMinutes(5));
                    return product;
                }
            """ + TryGetHelper + """

            }
            """ + Domain, version);

    [Theory]
    [MemberData(nameof(Versions))]
    public Task TupleTryGetHelper_WithoutAPopulate_IsNotFlagged(LanguageVersion version) =>
        Populate.VerifyAnalyzerAsync(Usings + """
            public sealed class ProductService
            {
                private readonly IDatabase _db;
                private readonly IProductRepository _repository;
                public ProductService(IDatabase db, IProductRepository repository) { _db = db; _repository = repository; }

                public async Task<Product?> GetAsync(int id)
                {
                    var (found, cached) = await TryGetAsync($"product:{id}");
                    return found ? cached : await _repository.FindAsync(id);
                }
            """ + TryGetHelper + """

            }
            """ + Domain, version);

    // ---- Reads and writes each behind an `if (cachingEnabled)` ---------------------------------

    [Theory]
    [MemberData(nameof(Versions))]
    public Task ReadAndWrite_EachBehindASwitch_IsFlagged(LanguageVersion version) =>
        Populate.VerifyAnalyzerAsync(Usings + """
            public sealed class ProductService
            {
                private readonly IDatabase _db;
                private readonly IProductRepository _repository;
                private readonly CacheSettings _settings;
                public ProductService(IDatabase db, IProductRepository repository, CacheSettings settings)
                { _db = db; _repository = repository; _settings = settings; }

                public async Task<Product?> GetAsync(int id)
                {
                    var key = $"product:{id}";
                    if (_settings.Enabled)
                    {
                        var json = await {|CG0004:_db.StringGetAsync(key)|};
                        if (!json.IsNullOrEmpty)
                            return JsonSerializer.Deserialize<Product>(json.ToString());
                    }
                    var product = await _repository.FindAsync(id);
                    if (_settings.Enabled)
                        await _db.StringSetAsync(key, JsonSerializer.Serialize(product), TimeSpan.FromMinutes(5));
                    return product;
                }
            }
            """ + Domain, version);

    [Theory]
    [MemberData(nameof(Versions))]
    public Task ReadAndWrite_EachBehindASwitch_UnderALockWithARecheck_IsNotFlagged(LanguageVersion version) =>
        Populate.VerifyAnalyzerAsync(Usings + """
            public sealed class ProductService
            {
                private static readonly SemaphoreSlim Gate = new SemaphoreSlim(1, 1);
                private readonly IDatabase _db;
                private readonly IProductRepository _repository;
                private readonly CacheSettings _settings;
                public ProductService(IDatabase db, IProductRepository repository, CacheSettings settings)
                { _db = db; _repository = repository; _settings = settings; }

                public async Task<Product?> GetAsync(int id)
                {
                    var key = $"product:{id}";
                    if (!_settings.Enabled)
                        return await _repository.FindAsync(id);
                    var json = await _db.StringGetAsync(key);
                    if (!json.IsNullOrEmpty)
                        return JsonSerializer.Deserialize<Product>(json.ToString());
                    await Gate.WaitAsync();
                    try
                    {
                        json = await _db.StringGetAsync(key);
                        if (!json.IsNullOrEmpty)
                            return JsonSerializer.Deserialize<Product>(json.ToString());
                        var product = await _repository.FindAsync(id);
                        await _db.StringSetAsync(key, JsonSerializer.Serialize(product), TimeSpan.FromMinutes(5));
                        return product;
                    }
                    finally
                    {
                        Gate.Release();
                    }
                }
            }
            """ + Domain, version);
}
