using Microsoft.CodeAnalysis.CSharp;
using Verify = CacheGuard.Analyzers.Tests.Verifiers.CSharpVerifier<CacheGuard.Analyzers.Rules.PopulateWithoutExpiryAnalyzer, CacheGuard.CodeFixes.PopulateWithoutExpiryCodeFix>;

namespace CacheGuard.Analyzers.Tests.Rules;

public class PopulateWithoutExpiryAnalyzerTests
{
    private const string Usings = """
        using System;
        using System.Text.Json;
        using System.Threading;
        using System.Threading.Tasks;
        using StackExchange.Redis;

        """;

    private const string FixedUsings = """
        using System;
        using System.Text.Json;
        using System.Threading;
        using System.Threading.Tasks;
        using CacheGuard;
        using StackExchange.Redis;

        """;

    private const string Domain = """

        public class Post { public int Id { get; set; } public string Slug { get; set; } = ""; }
        public interface IPostStore
        {
            Task<Post?> LoadAsync(int id);
            Task<Post?> LoadBySlugAsync(string slug);
            Post? Load(int id);
        }
        """;

    public static TheoryData<LanguageVersion> Versions => new() { LanguageVersion.Latest, LanguageVersion.CSharp9 };

    [Theory]
    [MemberData(nameof(Versions))]
    public Task PopulateWithoutExpiry_GetsTheJitteredDefaultTtl(LanguageVersion version) =>
        Verify.VerifyCodeFixAsync(Usings + """
            class SlugIndex
            {
                IDatabase _db = null!;
                IPostStore _store = null!;
                public int? IdOf(string slug)
                {
                    var v = _db.StringGet("slug:" + slug);
                    if (v.HasValue) return (int)v;
                    var post = _store.LoadBySlugAsync(slug).GetAwaiter().GetResult();
                    if (post is null) return null;
                    {|CG0008:_db.StringSet("slug:" + slug, post.Id)|};
                    return post.Id;
                }
            }
            """ + Domain, FixedUsings + """
            class SlugIndex
            {
                IDatabase _db = null!;
                IPostStore _store = null!;
                public int? IdOf(string slug)
                {
                    var v = _db.StringGet("slug:" + slug);
                    if (v.HasValue) return (int)v;
                    var post = _store.LoadBySlugAsync(slug).GetAwaiter().GetResult();
                    if (post is null) return null;
                    _db.StringSet("slug:" + slug, post.Id, CacheTtl.Jitter(TimeSpan.FromSeconds(300)));
                    return post.Id;
                }
            }
            """ + Domain, version);

    [Theory]
    [InlineData("_db.StringSetAsync(key, json)", "_db.StringSetAsync(key, json, CacheTtl.Jitter(TimeSpan.FromSeconds(60)))")]
    [InlineData("_db.StringSetAsync(key, json, null, When.Always)", "_db.StringSetAsync(key, json, CacheTtl.Jitter(TimeSpan.FromSeconds(60)), When.Always)")]
    [InlineData("_db.StringSetAsync(key, json, default(TimeSpan?), false)", "_db.StringSetAsync(key, json, CacheTtl.Jitter(TimeSpan.FromSeconds(60)), false)")]
    [InlineData("_db.StringSetAsync(key, json, when: ValueCondition.Always)", "_db.StringSetAsync(key, json, when: ValueCondition.Always, expiry: CacheTtl.Jitter(TimeSpan.FromSeconds(60)))")]
    [InlineData("_db.StringSetAsync(key, json, flags: CommandFlags.None)", "_db.StringSetAsync(key, json, flags: CommandFlags.None, expiry: CacheTtl.Jitter(TimeSpan.FromSeconds(60)))")]
    public Task EveryOverload_GetsAnExpiryThatBinds(string write, string fixedWrite) =>
        Verify.VerifyCodeFixAsync(Usings + $$"""
            class C
            {
                IDatabase _db = null!;
                IPostStore _store = null!;
                public async Task<Post?> GetAsync(int id)
                {
                    var key = $"post:{id}";
                    var cached = await _db.StringGetAsync(key);
                    if (cached.HasValue) return JsonSerializer.Deserialize<Post>(cached.ToString());
                    var post = await _store.LoadAsync(id);
                    var json = JsonSerializer.Serialize(post);
                    await {|CG0008:{{write}}|};
                    return post;
                }
            }
            """ + Domain, FixedUsings + $$"""
            class C
            {
                IDatabase _db = null!;
                IPostStore _store = null!;
                public async Task<Post?> GetAsync(int id)
                {
                    var key = $"post:{id}";
                    var cached = await _db.StringGetAsync(key);
                    if (cached.HasValue) return JsonSerializer.Deserialize<Post>(cached.ToString());
                    var post = await _store.LoadAsync(id);
                    var json = JsonSerializer.Serialize(post);
                    await {{fixedWrite}};
                    return post;
                }
            }
            """ + Domain, editorConfig: "cacheguard.default_ttl_seconds = 60");

    [Fact]
    public async Task Message_NamesTheKey()
    {
        var test = new Verify.Test
        {
            TestCode = Usings + """
                class C
                {
                    IDatabase _db = null!;
                    IPostStore _store = null!;
                    public string? M(int id)
                    {
                        var v = _db.StringGet($"slug-of:{id}");
                        if (!v.IsNullOrEmpty) return v.ToString();
                        var slug = _store.Load(id)?.Slug;
                        {|#0:_db.StringSet($"slug-of:{id}", slug)|};
                        return slug;
                    }
                }
                """ + Domain,
        };
        test.ExpectedDiagnostics.Add(Verify.Diagnostic("CG0008").WithLocation(0).WithArguments("$\"slug-of:{id}\""));
        await test.RunAsync();
    }

    [Fact]
    public Task GuardedPopulateWithoutExpiry_IsStillFlagged() =>
        Verify.VerifyAnalyzerAsync(Usings + """
            class C
            {
                readonly object _sync = new();
                IDatabase _db = null!;
                IPostStore _store = null!;
                public string? Get(int id)
                {
                    lock (_sync)
                    {
                        var v = _db.StringGet("slug:" + id);
                        if (v.HasValue) return v.ToString();
                        var post = _store.Load(id);
                        {|CG0008:_db.StringSet("slug:" + id, post?.Slug)|};
                        return post?.Slug;
                    }
                }
            }
            """ + Domain);

    [Fact]
    public Task HelperPopulateWithoutExpiry_IsFlaggedInTheHelper_AndHashesWithKeyExpireAreNot() =>
        Verify.VerifyAnalyzerAsync(Usings + """
            class C
            {
                IDatabase _db = null!;
                IPostStore _store = null!;
                public async Task<Post?> GetAsync(int id)
                {
                    var cached = await _db.StringGetAsync($"post:{id}");
                    if (cached.HasValue) return JsonSerializer.Deserialize<Post>(cached.ToString());
                    return await LoadAsync(id);
                }
                private async Task<Post?> LoadAsync(int id)
                {
                    var post = await _store.LoadAsync(id);
                    await {|CG0008:_db.StringSetAsync($"post:{id}", JsonSerializer.Serialize(post))|};
                    return post;
                }
                public async Task<string?> HashAsync(int id)
                {
                    var entries = await _db.HashGetAllAsync($"h:{id}");
                    if (entries.Length > 0) return entries[0].Value;
                    var post = await _store.LoadAsync(id);
                    await _db.HashSetAsync($"h:{id}", new[] { new HashEntry("slug", post?.Slug) });
                    await _db.KeyExpireAsync($"h:{id}", TimeSpan.FromSeconds(300 + Random.Shared.Next(30)));
                    return post?.Slug;
                }
            }
            """ + Domain);

    [Fact]
    public Task StoresAndPopulatesWithAnExpiry_AreNotFlagged() =>
        Verify.VerifyAnalyzerAsync(Usings + """
            class C
            {
                IDatabase _db = null!;
                IPostStore _store = null!;
                public async Task SaveAsync(Post post) =>
                    await _db.StringSetAsync($"post:{post.Id}", JsonSerializer.Serialize(post));
                public void Append(string user, string item)
                {
                    var v = _db.StringGet("cart:" + user);
                    _db.StringSet("cart:" + user, v.HasValue ? v.ToString() + "," + item : item);
                }
                public async Task<Post?> GetAsync(int id)
                {
                    var cached = await _db.StringGetAsync($"post:{id}");
                    if (cached.HasValue) return JsonSerializer.Deserialize<Post>(cached.ToString());
                    var post = await _store.LoadAsync(id);
                    await _db.StringSetAsync($"post:{id}", JsonSerializer.Serialize(post), TimeSpan.FromSeconds(300 + Random.Shared.Next(30)));
                    return post;
                }
            }
            """ + Domain);
}
