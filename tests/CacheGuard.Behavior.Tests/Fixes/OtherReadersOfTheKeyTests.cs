using System.Collections.Immutable;
using System.Reflection;
using Microsoft.CodeAnalysis;
using StackExchange.Redis;

namespace CacheGuard.Behavior.Tests.Fixes;

/// <summary>
/// Issue 17's two-class program. <c>ProductCache</c> populates <c>product:{id}</c> with
/// StringGetAsync … StringSetAsync(…, 10 min) (CG0004 + CG0001); <c>ProductBadge</c> reads the same
/// key raw with StringGetAsync + JsonSerializer.Deserialize. Both fixes are applied through the
/// code-fix API (in either order), the original and the fixed program are compiled and run against
/// a real redis-server from an empty database, and must print the same lines: a fix must not break
/// another reader of the key, nor a value another writer put there.
/// </summary>
[Collection(RedisNodeCollection.Name)]
public sealed class OtherReadersOfTheKeyTests
{
    private const string Sample = """
        using System;
        using System.Collections.Generic;
        using System.Text.Json;
        using System.Threading.Tasks;
        using StackExchange.Redis;

        namespace Shop;

        public sealed class Product
        {
            public int Id { get; set; }
            public string Name { get; set; } = "";
            public decimal Price { get; set; }
        }

        public interface IProductStore { Task<Product> FindAsync(int id); }

        public sealed class ProductTable : IProductStore
        {
            public int Loads;
            public Task<Product> FindAsync(int id)
            {
                Loads++;
                return Task.FromResult(new Product { Id = id, Name = "product-" + id, Price = id * 1.5m });
            }
        }

        public sealed class ProductCache
        {
            private readonly IDatabase _db;
            private readonly IProductStore _store;
            public ProductCache(IDatabase db, IProductStore store) { _db = db; _store = store; }

            public async Task<Product?> GetAsync(int id)
            {
                var cached = await _db.StringGetAsync($"product:{id}");
                if (cached.HasValue) return JsonSerializer.Deserialize<Product>(cached.ToString());
                var product = await _store.FindAsync(id);
                await _db.StringSetAsync($"product:{id}", JsonSerializer.Serialize(product), TimeSpan.FromMinutes(10));
                return product;
            }
        }

        public sealed class ProductBadge
        {
            private readonly IDatabase _db;
            public ProductBadge(IDatabase db) => _db = db;

            public async Task<string> RenderAsync(int id)
            {
                var raw = await _db.StringGetAsync($"product:{id}");
                if (raw.IsNullOrEmpty) return "no badge";
                var product = JsonSerializer.Deserialize<Product>(raw.ToString());
                return product is null ? "no badge" : $"{product.Name} {product.Price:0.00}";
            }
        }

        public static class Demo
        {
            public static async Task<List<string>> RunAsync(IDatabase db)
            {
                var table = new ProductTable();
                var cache = new ProductCache(db, table);
                var badge = new ProductBadge(db);
                var lines = new List<string>();
                lines.Add("badge before: " + await badge.RenderAsync(1));
                lines.Add("cache 1: " + (await cache.GetAsync(1))?.Name);
                lines.Add("badge 1: " + await badge.RenderAsync(1));
                lines.Add("cache 1 again: " + (await cache.GetAsync(1))?.Name);
                lines.Add("cache 2: " + (await cache.GetAsync(2))?.Price);
                lines.Add("badge 2: " + await badge.RenderAsync(2));
                // product:7 was written by another service (the test harness), plain JSON.
                lines.Add("cache 7: " + (await cache.GetAsync(7))?.Name);
                lines.Add("badge 7: " + await badge.RenderAsync(7));
                lines.Add("loads: " + table.Loads);
                return lines;
            }
        }
        """;

    private readonly RedisNode _redis;

    public OtherReadersOfTheKeyTests(RedisNode redis) => _redis = redis;

    [Theory]
    [InlineData("CG0004", "CG0001")]
    [InlineData("CG0001", "CG0004")]
    public async Task FixedProgram_PrintsWhatTheOriginalPrints(string first, string second)
    {
        Assert.Equal(new[] { "CG0004@36", "CG0001@39" }, await FixApplier.DiagnoseAsync(Sample, References.Value));

        var result = await FixApplier.ApplyAsync(Sample, References.Value, first, second);
        Assert.Contains("GetOrSetAsync<Product?>", result.Source);
        Assert.DoesNotContain("StringSetAsync", result.Source);
        Assert.Empty(result.Remaining);

        var original = await RunAsync(SampleCompiler.Compile(Sample, "Shop.Original." + first, References.Value));
        var fixedRun = await RunAsync(SampleCompiler.Compile(result.Source, "Shop.Fixed." + first, References.Value));

        Assert.Equal(new[]
        {
            "badge before: no badge",
            "cache 1: product-1",
            "badge 1: product-1 1.50",
            "cache 1 again: product-1",
            "cache 2: 3.0",
            "badge 2: product-2 3.00",
            "cache 7: seven",
            "badge 7: seven 7.00",
            "loads: 2",
            "ttl product:1: about 10 min",
        }, original);
        Assert.Equal(original, fixedRun);
    }

    /// <summary>
    /// The same program with a <c>string</c> value: <c>SlugCache</c> stores the slug as text
    /// (<c>StringSetAsync(key, slug, ttl)</c>), <c>SlugLink</c> reads it raw as a string. The runtime
    /// must store the text itself (not JSON-quoted), and read text another writer put there.
    /// </summary>
    private const string StringSample = """
        using System;
        using System.Collections.Generic;
        using System.Threading.Tasks;
        using StackExchange.Redis;

        namespace Blog;

        public interface ISlugStore { Task<string> SlugAsync(int id); }

        public sealed class SlugTable : ISlugStore
        {
            public int Loads;
            public Task<string> SlugAsync(int id)
            {
                Loads++;
                // Characters JSON would escape or quote: a raw reader must see exactly these.
                return Task.FromResult("caf\u00e9 \"best\" \\ " + id);
            }
        }

        public sealed class SlugCache
        {
            private readonly IDatabase _db;
            private readonly ISlugStore _store;
            public SlugCache(IDatabase db, ISlugStore store) { _db = db; _store = store; }

            public async Task<string?> GetAsync(int id)
            {
                var cached = await _db.StringGetAsync($"slug:{id}");
                if (cached.HasValue) return cached.ToString();
                var slug = await _store.SlugAsync(id);
                await _db.StringSetAsync($"slug:{id}", slug, TimeSpan.FromMinutes(10));
                return slug;
            }
        }

        public sealed class SlugLink
        {
            private readonly IDatabase _db;
            public SlugLink(IDatabase db) => _db = db;

            public async Task<string> RenderAsync(int id)
            {
                string? raw = await _db.StringGetAsync($"slug:{id}");
                return raw is null ? "no link" : "/posts/" + raw + " (" + raw.Length + ")";
            }
        }

        public static class Demo
        {
            public static async Task<List<string>> RunAsync(IDatabase db)
            {
                var table = new SlugTable();
                var cache = new SlugCache(db, table);
                var link = new SlugLink(db);
                var lines = new List<string>();
                lines.Add("link before: " + await link.RenderAsync(1));
                lines.Add("cache 1: " + await cache.GetAsync(1));
                lines.Add("link 1: " + await link.RenderAsync(1));
                lines.Add("cache 1 again: " + await cache.GetAsync(1));
                // slug:7 was written by another service (the test harness), as text.
                lines.Add("cache 7: " + await cache.GetAsync(7));
                lines.Add("link 7: " + await link.RenderAsync(7));
                lines.Add("loads: " + table.Loads);
                return lines;
            }
        }
        """;

    [Theory]
    [InlineData("CG0004", "CG0001")]
    [InlineData("CG0001", "CG0004")]
    public async Task StringValue_FixedProgram_PrintsWhatTheOriginalPrints(string first, string second)
    {
        Assert.Equal(new[] { "CG0004@29", "CG0001@32" }, await FixApplier.DiagnoseAsync(StringSample, References.Value));

        var result = await FixApplier.ApplyAsync(StringSample, References.Value, first, second);
        Assert.Contains("GetOrSetAsync<string?>", result.Source);
        Assert.DoesNotContain("StringSetAsync", result.Source);
        Assert.Empty(result.Remaining);

        var original = await RunAsync(SampleCompiler.Compile(StringSample, "Blog.Original." + first, References.Value), "Blog.Demo", "slug");
        var fixedRun = await RunAsync(SampleCompiler.Compile(result.Source, "Blog.Fixed." + first, References.Value), "Blog.Demo", "slug");

        Assert.Equal(new[]
        {
            "link before: no link",
            "cache 1: caf\u00e9 \"best\" \\ 1",
            "link 1: /posts/caf\u00e9 \"best\" \\ 1 (15)",
            "cache 1 again: caf\u00e9 \"best\" \\ 1",
            "cache 7: seven \"raw\"",
            "link 7: /posts/seven \"raw\" (11)",
            "loads: 1",
            "ttl slug:1: about 10 min",
            "raw slug:1: caf\u00e9 \"best\" \\ 1",
        }, original);
        Assert.Equal(original, fixedRun);
    }

    /// <summary>Runs Demo.RunAsync from an empty database with product:7 written raw by "another service"; adds the TTL of product:1.</summary>
    private async Task<List<string>> RunAsync(Assembly assembly, string demo = "Shop.Demo", string prefix = "product")
    {
        var db = _redis.Database;
        await _redis.Connection.GetServers()[0].FlushDatabaseAsync();
        if (prefix == "product")
            await db.StringSetAsync("product:7", """{"Id":7,"Name":"seven","Price":7.00}""", TimeSpan.FromMinutes(10));
        else
            await db.StringSetAsync($"{prefix}:7", "seven \"raw\"", TimeSpan.FromMinutes(10));

        var run = assembly.GetType(demo, throwOnError: true)!.GetMethod("RunAsync")!;
        var lines = await (Task<List<string>>)run.Invoke(null, new object[] { db })!;
        var ttl = await db.KeyTimeToLiveAsync($"{prefix}:1");
        lines.Add($"ttl {prefix}:1: " + (ttl is { } t && t > TimeSpan.FromMinutes(9) && t <= TimeSpan.FromMinutes(11.5) ? "about 10 min" : ttl?.ToString() ?? "none"));
        if (prefix != "product")
            lines.Add($"raw {prefix}:1: " + (string?)await db.StringGetAsync($"{prefix}:1"));
        return lines;
    }

    private static readonly Lazy<ImmutableArray<MetadataReference>> References = new(() =>
        SampleCompiler.ReferencesFor(typeof(IDatabase).Assembly, typeof(CacheGuardDatabaseExtensions).Assembly));
}
