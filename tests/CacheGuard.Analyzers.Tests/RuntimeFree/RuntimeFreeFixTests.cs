using Microsoft.CodeAnalysis.CSharp;
using CG0001 = CacheGuard.Analyzers.Tests.Verifiers.CSharpVerifier<CacheGuard.Analyzers.Rules.FixedTtlAnalyzer, CacheGuard.CodeFixes.FixedTtlCodeFix>;
using CG0002 = CacheGuard.Analyzers.Tests.Verifiers.CSharpVerifier<CacheGuard.Analyzers.Rules.SetOnWriteAnalyzer, CacheGuard.CodeFixes.SetOnWriteCodeFix>;
using CG0004 = CacheGuard.Analyzers.Tests.Verifiers.CSharpVerifier<CacheGuard.Analyzers.Rules.UnguardedPopulateAnalyzer, CacheGuard.CodeFixes.UnguardedPopulateCodeFix>;
using CG0006 = CacheGuard.Analyzers.Tests.Verifiers.CSharpVerifier<CacheGuard.Analyzers.Rules.InvalidateBeforeWriteAnalyzer, CacheGuard.CodeFixes.InvalidateBeforeWriteCodeFix>;
using CG0007 = CacheGuard.Analyzers.Tests.Verifiers.CSharpVerifier<CacheGuard.Analyzers.Rules.UnsafeLockReleaseAnalyzer, CacheGuard.CodeFixes.UnsafeLockReleaseCodeFix>;
using CG0008 = CacheGuard.Analyzers.Tests.Verifiers.CSharpVerifier<CacheGuard.Analyzers.Rules.PopulateWithoutExpiryAnalyzer, CacheGuard.CodeFixes.PopulateWithoutExpiryCodeFix>;

namespace CacheGuard.Analyzers.Tests.RuntimeFree;

/// <summary>
/// The fixes a project gets with only the CacheGuard.Analyzers package (no CacheGuard.Runtime):
/// each compiles (the verifier compiles the fixed code) and does what the runtime variant does
/// without the runtime. The netstandard2.0 random source (no Random.Shared) is proved by the
/// end-to-end netstandard2.0 consumer, which compiles after `dotnet format`.
/// </summary>
public class RuntimeFreeFixTests
{
    private const string Usings = """
        using System;
        using System.Data.Common;
        using System.Threading.Tasks;
        using Dapper;
        using StackExchange.Redis;

        """;

    private const string Domain = """

        public class Post { public int Id { get; set; } public string Slug { get; set; } = ""; public string Title { get; set; } = ""; public string Body { get; set; } = ""; }
        public class BlogDb : Microsoft.EntityFrameworkCore.DbContext { public Microsoft.EntityFrameworkCore.DbSet<Post> Posts => Set<Post>(); }
        public interface IPostStore { Task<Post?> LoadAsync(int id); Task EditAsync(Post post); Post? Load(int id); Task<Post> CreateAsync(Post post); }
        """;

    public static TheoryData<LanguageVersion> Versions => new() { LanguageVersion.Latest, LanguageVersion.CSharp9 };

    [Theory]
    [MemberData(nameof(Versions))]
    public Task CG0001_LiteralTtl_GetsInlineJitter_FromRandomShared(LanguageVersion version) =>
        CG0001.VerifyCodeFixWithoutRuntimeAsync(Usings + """
            class C
            {
                IDatabase _db = null!;
                Task M(string json) => _db.StringSetAsync("tag-cloud", json, {|CG0001:TimeSpan.FromMinutes(15)|});
            }
            """, Usings + """
            class C
            {
                IDatabase _db = null!;
                Task M(string json) => _db.StringSetAsync("tag-cloud", json, TimeSpan.FromTicks((long)(TimeSpan.FromMinutes(15).Ticks * (1 + 0.1 * Random.Shared.NextDouble()))));
            }
            """, version);

    [Fact]
    public Task CG0001_CompoundTtl_IsParenthesized_AndTheConfiguredFractionUsed() =>
        CG0001.VerifyCodeFixWithoutRuntimeAsync(Usings + """
            class C
            {
                static readonly TimeSpan Base = TimeSpan.FromMinutes(5);
                IDatabase _db = null!;
                void M(string json) => _db.StringSet("tag-cloud", json, {|CG0001:Base + TimeSpan.FromSeconds(10)|});
            }
            """, Usings + """
            class C
            {
                static readonly TimeSpan Base = TimeSpan.FromMinutes(5);
                IDatabase _db = null!;
                void M(string json) => _db.StringSet("tag-cloud", json, TimeSpan.FromTicks((long)((Base + TimeSpan.FromSeconds(10)).Ticks * (1 + 0.25 * Random.Shared.NextDouble()))));
            }
            """, editorConfig: "cacheguard.jitter_fraction = 0.25");

    [Fact]
    public Task CG0001_WithoutUsingSystem_AddsIt() =>
        CG0001.VerifyCodeFixWithoutRuntimeAsync("""
            using System.Threading.Tasks;
            using StackExchange.Redis;

            class C
            {
                IDatabase _db = null!;
                Task M(string json) => _db.StringSetAsync("tag-cloud", json, {|CG0001:System.TimeSpan.FromMinutes(15)|});
            }
            """, """
            using System;
            using System.Threading.Tasks;
            using StackExchange.Redis;

            class C
            {
                IDatabase _db = null!;
                Task M(string json) => _db.StringSetAsync("tag-cloud", json, TimeSpan.FromTicks((long)(System.TimeSpan.FromMinutes(15).Ticks * (1 + 0.1 * Random.Shared.NextDouble()))));
            }
            """);

    [Fact]
    public Task CG0001_MemoryCache_SetAndEntry_GetInlineJitter() =>
        CG0001.VerifyCodeFixWithoutRuntimeAsync("""
            using System;
            using Microsoft.Extensions.Caching.Memory;

            class PriceCache
            {
                IMemoryCache _cache = null!;
                void Remember(string sku, decimal price) => _cache.Set("price:" + sku, price, {|CG0001:TimeSpan.FromMinutes(10)|});
                decimal Get(string sku, Func<decimal> load) =>
                    _cache.GetOrCreate("stock:" + sku, entry =>
                    {
                        {|CG0001:entry.AbsoluteExpirationRelativeToNow = TimeSpan.FromMinutes(5)|};
                        return load();
                    });
            }
            """, """
            using System;
            using Microsoft.Extensions.Caching.Memory;

            class PriceCache
            {
                IMemoryCache _cache = null!;
                void Remember(string sku, decimal price) => _cache.Set("price:" + sku, price, TimeSpan.FromTicks((long)(TimeSpan.FromMinutes(10).Ticks * (1 + 0.1 * Random.Shared.NextDouble()))));
                decimal Get(string sku, Func<decimal> load) =>
                    _cache.GetOrCreate("stock:" + sku, entry =>
                    {
                        entry.AbsoluteExpirationRelativeToNow = TimeSpan.FromTicks((long)(TimeSpan.FromMinutes(5).Ticks * (1 + 0.1 * Random.Shared.NextDouble())));
                        return load();
                    });
            }
            """);

    [Fact]
    public Task CG0001_Redis3Expiration_JittersItsTimeSpan_WithoutTheRuntime() =>
        CG0001.VerifyCodeFixWithoutRuntimeAsync(Usings + """
            class C
            {
                IDatabase _db = null!;
                void M(string json) => _db.StringSet("tag-cloud", json, {|CG0001:new Expiration(TimeSpan.FromMinutes(5))|});
            }
            """, Usings + """
            class C
            {
                IDatabase _db = null!;
                void M(string json) => _db.StringSet("tag-cloud", json, new Expiration(TimeSpan.FromTicks((long)(TimeSpan.FromMinutes(5).Ticks * (1 + 0.1 * Random.Shared.NextDouble())))));
            }
            """);

    [Fact]
    public Task CG0001_Redis3Expiration_JittersItsTimeSpan_WithTheRuntime() =>
        CG0001.VerifyCodeFixAsync(Usings + """
            class C
            {
                IDatabase _db = null!;
                void M(string json) => _db.StringSet("tag-cloud", json, {|CG0001:new Expiration(TimeSpan.FromMinutes(5))|});
            }
            """, """
            using System;
            using System.Data.Common;
            using System.Threading.Tasks;
            using CacheGuard;
            using Dapper;
            using StackExchange.Redis;
            class C
            {
                IDatabase _db = null!;
                void M(string json) => _db.StringSet("tag-cloud", json, new Expiration(CacheTtl.Jitter(TimeSpan.FromMinutes(5))));
            }
            """);

    [Theory]
    [MemberData(nameof(Versions))]
    public Task CG0002_SetAfterTheWrite_BecomesADelete(LanguageVersion version) =>
        CG0002.VerifyCodeFixWithoutRuntimeAsync(Usings + """
            class Editor
            {
                BlogDb _db = null!;
                IDatabase _cache = null!;
                public async Task RetitleAsync(Post post, string title)
                {
                    post.Title = title;
                    await _db.SaveChangesAsync();
                    await {|CG0002:_cache.StringSetAsync($"post:{post.Id}", System.Text.Json.JsonSerializer.Serialize(post), TimeSpan.FromMinutes(5))|}; // write-through
                }
            }
            """ + Domain, Usings + """
            class Editor
            {
                BlogDb _db = null!;
                IDatabase _cache = null!;
                public async Task RetitleAsync(Post post, string title)
                {
                    post.Title = title;
                    await _db.SaveChangesAsync();
                    await _cache.KeyDeleteAsync($"post:{post.Id}"); // write-through
                }
            }
            """ + Domain, version);

    [Fact]
    public Task CG0002_SyncSetBeforeTheWrite_MovesAfterIt_AsADelete() =>
        CG0002.VerifyCodeFixWithoutRuntimeAsync(Usings + """
            class Editor
            {
                BlogDb _db = null!;
                IDatabase _cache = null!;
                public void Retitle(Post post, string title)
                {
                    post.Title = title;
                    {|CG0002:_cache.StringSet($"post:{post.Id}", System.Text.Json.JsonSerializer.Serialize(post))|};
                    _db.SaveChanges();
                }
            }
            """ + Domain, Usings + """
            class Editor
            {
                BlogDb _db = null!;
                IDatabase _cache = null!;
                public void Retitle(Post post, string title)
                {
                    post.Title = title;
                    _db.SaveChanges();
                    _cache.KeyDelete($"post:{post.Id}");
                }
            }
            """ + Domain);

    [Theory]
    [MemberData(nameof(Versions))]
    public Task CG0006_DeleteBeforeTheWrite_IsMovedAfterIt(LanguageVersion version) =>
        CG0006.VerifyCodeFixWithoutRuntimeAsync(Usings + """
            class Publisher
            {
                BlogDb _db = null!;
                IDatabase _cache = null!;
                public async Task UpdateBodyAsync(int id, string body)
                {
                    await {|CG0006:_cache.KeyDeleteAsync($"post:{id}")|}; // drop the cached copy
                    var post = (await _db.Posts.FindAsync(id))!;
                    post.Body = body;
                    await _db.SaveChangesAsync();
                }
            }
            """ + Domain, Usings + """
            class Publisher
            {
                BlogDb _db = null!;
                IDatabase _cache = null!;
                public async Task UpdateBodyAsync(int id, string body)
                {
                    var post = (await _db.Posts.FindAsync(id))!;
                    post.Body = body;
                    await _db.SaveChangesAsync();
                    await _cache.KeyDeleteAsync($"post:{id}"); // drop the cached copy
                }
            }
            """ + Domain, version);

    [Fact]
    public Task CG0007_SharedValue_GetsATokenAndLockRelease_WithoutTheRuntime() =>
        CG0007.VerifyCodeFixWithoutRuntimeAsync(Usings + """
            class Job
            {
                IDatabase _db = null!;
                public async Task RunAsync()
                {
                    if (!await _db.LockTakeAsync("lock:job", "1", TimeSpan.FromSeconds(30)))
                        return;
                    try { await Task.Delay(1); }
                    finally { await {|CG0007:_db.KeyDeleteAsync("lock:job")|}; }
                }
            }
            """, Usings + """
            class Job
            {
                IDatabase _db = null!;
                public async Task RunAsync()
                {
                    var lockToken = Guid.NewGuid().ToString();
                    if (!await _db.LockTakeAsync("lock:job", lockToken, TimeSpan.FromSeconds(30)))
                        return;
                    try { await Task.Delay(1); }
                    finally { await _db.LockReleaseAsync("lock:job", lockToken); }
                }
            }
            """);

    [Theory]
    [MemberData(nameof(Versions))]
    public Task CG0008_PopulateWithoutExpiry_GetsAnInlineJitteredDefault(LanguageVersion version) =>
        CG0008.VerifyCodeFixWithoutRuntimeAsync(Usings + """
            class SlugIndex
            {
                IDatabase _db = null!;
                IPostStore _store = null!;
                public int? IdOf(int id)
                {
                    var v = _db.StringGet("post-id:" + id);
                    if (v.HasValue) return (int)v;
                    var post = _store.Load(id);
                    if (post is null) return null;
                    {|CG0008:_db.StringSet("post-id:" + id, post.Id)|};
                    return post.Id;
                }
            }
            """ + Domain, Usings + """
            class SlugIndex
            {
                IDatabase _db = null!;
                IPostStore _store = null!;
                public int? IdOf(int id)
                {
                    var v = _db.StringGet("post-id:" + id);
                    if (v.HasValue) return (int)v;
                    var post = _store.Load(id);
                    if (post is null) return null;
                    _db.StringSet("post-id:" + id, post.Id, TimeSpan.FromSeconds(300 * (1 + 0.1 * Random.Shared.NextDouble())));
                    return post.Id;
                }
            }
            """ + Domain, version);

    [Fact]
    public Task CG0004_NeedsTheRuntime_NoFixWithoutIt()
    {
        const string source = Usings + """
            class Reader
            {
                IDatabase _db = null!;
                IPostStore _store = null!;
                public async Task<string?> TitleAsync(int id)
                {
                    var cached = await {|CG0004:_db.StringGetAsync("title:" + id)|};
                    if (cached.HasValue) return cached;
                    var post = await _store.LoadAsync(id);
                    var title = post?.Title;
                    await _db.StringSetAsync("title:" + id, title, TimeSpan.FromMinutes(5));
                    return title;
                }
            }
            """ + Domain;
        return CG0004.VerifyCodeFixWithoutRuntimeAsync(source, source);
    }
}
