using Microsoft.CodeAnalysis.CSharp;
using FixedTtl = CacheGuard.Analyzers.Tests.Verifiers.CSharpVerifier<CacheGuard.Analyzers.Rules.FixedTtlAnalyzer, CacheGuard.CodeFixes.FixedTtlCodeFix>;
using SetOnWrite = CacheGuard.Analyzers.Tests.Verifiers.CSharpVerifier<CacheGuard.Analyzers.Rules.SetOnWriteAnalyzer, CacheGuard.CodeFixes.SetOnWriteCodeFix>;

namespace CacheGuard.Analyzers.Tests.Rules;

/// <summary>
/// RULES.md, "What is a cache entry": a constant value is a flag or marker, not a copy of data, so a write of one
/// carries neither CG0001 nor CG0002. The exception is a constant written after a read of the same key (a populate
/// on a miss: the entry stands for what the constant says), and a "not found" sentinel (CG0005's negative entry).
/// From the real-code review: Practical.CleanArchitecture's HomeController writes "Test" under "Test" in an action
/// that then adds a product.
/// </summary>
public class ConstantValueMarkerTests
{
    private const string Usings = """
        using System;
        using System.Threading.Tasks;
        using Microsoft.Extensions.Caching.Distributed;
        using StackExchange.Redis;

        """;

    private const string Domain = """

        public class Product { public int Id { get; set; } public string Name { get; set; } = ""; }
        public interface IProductService { Task AddAsync(Product product); Task<Product?> GetAsync(int id); }
        """;

    public static TheoryData<LanguageVersion> Versions => new() { LanguageVersion.Latest, LanguageVersion.CSharp9 };

    [Theory]
    [MemberData(nameof(Versions))]
    public Task AConstantWrittenBesideADatabaseWrite_IsAMarker_NotCG0002(LanguageVersion version) =>
        SetOnWrite.VerifyAnalyzerAsync(Usings + """
            class HomeController
            {
                IDistributedCache _cache = null!;
                IProductService _products = null!;
                public async Task Index()
                {
                    _cache.SetString("Test", "Test");
                    await _products.AddAsync(new Product { Name = "Test" });
                }
            }
            """ + Domain, version);

    [Theory]
    [MemberData(nameof(Versions))]
    public Task TheProductItselfWrittenBesideTheSameDatabaseWrite_IsCG0002(LanguageVersion version) =>
        SetOnWrite.VerifyAnalyzerAsync(Usings + """
            class HomeController
            {
                IDistributedCache _cache = null!;
                IProductService _products = null!;
                public async Task Add(Product product)
                {
                    await _products.AddAsync(product);
                    {|CG0002:_cache.SetString($"product:{product.Id}", product.Name)|};
                }
            }
            """ + Domain, version);

    [Theory]
    [MemberData(nameof(Versions))]
    public Task AConstantStatusWithAFixedTtl_IsAMarker_NotCG0001(LanguageVersion version) =>
        FixedTtl.VerifyAnalyzerAsync(Usings + """
            class Importer
            {
                const string Done = "done";
                IDatabase _db = null!;
                public Task MarkAsync(int batch) => _db.StringSetAsync($"import:{batch}", Done, TimeSpan.FromHours(6));
                public Task MarkNumberAsync(int batch) => _db.StringSetAsync($"import:{batch}:count", 42, TimeSpan.FromHours(6));
            }
            """, version);

    [Theory]
    [MemberData(nameof(Versions))]
    public Task AConstantPopulatedAfterAMissOfTheSameKey_IsAnEntry_AndCG0001(LanguageVersion version) =>
        FixedTtl.VerifyAnalyzerAsync(Usings + """
            class Flags
            {
                IDatabase _db = null!;
                public async Task<string> ModeAsync(int tenant)
                {
                    var hit = await _db.StringGetAsync($"mode:{tenant}");
                    if (hit.HasValue) return hit!;
                    await _db.StringSetAsync($"mode:{tenant}", "legacy", {|CG0001:TimeSpan.FromMinutes(10)|});
                    return "legacy";
                }
            }
            """, version);

    [Theory]
    [MemberData(nameof(Versions))]
    public Task AWrapperWhoseOnlyCallerPassesAConstant_IsNotReported_OneThatIsPassedDataIs(LanguageVersion version) =>
        FixedTtl.VerifyAnalyzerAsync(Usings + """
            class MarkerStore
            {
                IDatabase _db = null!;
                public Task SetAsync(string key, string value, TimeSpan ttl) => _db.StringSetAsync(key, value, ttl);
            }
            class ProfileCache
            {
                IDatabase _db = null!;
                public Task SetAsync(string key, string value, TimeSpan ttl) => _db.StringSetAsync(key, value, {|CG0001:ttl|});
            }
            class Callers
            {
                MarkerStore _markers = null!;
                ProfileCache _profiles = null!;
                Task Seen(int id) => _markers.SetAsync($"seen:{id}", "yes", TimeSpan.FromDays(1));
                Task Profile(int id, string json) => _profiles.SetAsync($"profile:{id}", json, TimeSpan.FromMinutes(30));
            }
            """, version);
}
