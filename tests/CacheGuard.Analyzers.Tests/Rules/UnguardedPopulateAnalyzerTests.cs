using Microsoft.CodeAnalysis.CSharp;
using Verify = CacheGuard.Analyzers.Tests.Verifiers.CSharpVerifier<CacheGuard.Analyzers.Rules.UnguardedPopulateAnalyzer, CacheGuard.CodeFixes.UnguardedPopulateCodeFix>;

namespace CacheGuard.Analyzers.Tests.Rules;

public class UnguardedPopulateAnalyzerTests
{
    /// <summary>The GetOrSet rewrite's equivalence key (the per-key lock fix has its own).</summary>
    private const string GetOrSetFix = "UnguardedPopulateCodeFix";

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

        public class Post { public int Id { get; set; } public string Slug { get; set; } = ""; public string ToJson() => JsonSerializer.Serialize(this); }
        public interface IPostStore
        {
            Task<Post?> LoadAsync(int id);
            Task<Post?> LoadBySlugAsync(string slug);
            Post? Load(int id);
        }
        """;

    public static TheoryData<LanguageVersion> Versions => new() { LanguageVersion.Latest, LanguageVersion.CSharp9 };

    // ---- Flagged and rewritten ------------------------------------------------------------------

    [Theory]
    [MemberData(nameof(Versions))]
    public Task AsyncJson_EarlyReturnOnHit_IsRewrittenIntoGetOrSetAsync(LanguageVersion version) =>
        Verify.VerifyCodeFixAsync(Usings + """
            class PostReader
            {
                IDatabase _db = null!;
                IPostStore _store = null!;

                public async Task<Post?> GetAsync(int id)
                {
                    var raw = await {|CG0004:_db.StringGetAsync($"post:{id}")|};
                    if (!raw.IsNullOrEmpty) return JsonSerializer.Deserialize<Post>(raw.ToString());
                    var post = await _store.LoadAsync(id);
                    if (post is null) return null;
                    await _db.StringSetAsync($"post:{id}", JsonSerializer.Serialize(post), TimeSpan.FromMinutes(5));
                    return post;
                }
            }
            """ + Domain, FixedUsings + """
            class PostReader
            {
                IDatabase _db = null!;
                IPostStore _store = null!;

                public async Task<Post?> GetAsync(int id)
                {
                    return await _db.GetOrSetAsync<Post?>($"post:{id}", async ct =>
                    {
                        var post = await _store.LoadAsync(id);
                        if (post is null) return null;
                        return post;
                    }, TimeSpan.FromMinutes(5));
                }
            }
            """ + Domain, version);

    [Theory]
    [MemberData(nameof(Versions))]
    public Task SyncPrimitive_WithoutExpiry_IsRewrittenIntoGetOrSet_WithTheDefaultTtl(LanguageVersion version) =>
        Verify.VerifyCodeFixAsync(Usings + """
            class SlugIndex
            {
                IDatabase _db = null!;
                IPostStore _store = null!;

                public int? IdOf(string slug)
                {
                    var v = {|CG0004:_db.StringGet("slug:" + slug)|};
                    if (v.HasValue) return (int)v;
                    var post = _store.LoadBySlugAsync(slug).GetAwaiter().GetResult();
                    if (post is null) return null;
                    _db.StringSet("slug:" + slug, post.Id);
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
                    return _db.GetOrSet<int?>("slug:" + slug, ct =>
                    {
                        var post = _store.LoadBySlugAsync(slug).GetAwaiter().GetResult();
                        if (post is null) return null;
                        return post.Id;
                    }, TimeSpan.FromSeconds(300));
                }
            }
            """ + Domain, version);

    [Fact]
    public Task NegativeSentinel_BecomesNull_AndThePositiveTtlIsKept() =>
        Verify.VerifyCodeFixAsync(Usings + """
            class Authors
            {
                const string Missing = "<missing>";
                IDatabase _cache = null!;
                IPostStore _store = null!;

                public async Task<string?> SlugAsync(int id)
                {
                    var v = await {|CG0004:_cache.StringGetAsync("post-slug:" + id)|};
                    if (v == Missing) return null;
                    if (v.HasValue) return v.ToString();
                    var p = await _store.LoadAsync(id);
                    if (p is null)
                    {
                        await _cache.StringSetAsync("post-slug:" + id, Missing, TimeSpan.FromHours(1));
                        return null;
                    }
                    await _cache.StringSetAsync("post-slug:" + id, p.Slug, TimeSpan.FromMinutes(30) + TimeSpan.FromSeconds(Random.Shared.Next(90)));
                    return p.Slug;
                }
            }
            """ + Domain, FixedUsings + """
            class Authors
            {
                const string Missing = "<missing>";
                IDatabase _cache = null!;
                IPostStore _store = null!;

                public async Task<string?> SlugAsync(int id)
                {
                    return await _cache.GetOrSetAsync<string?>("post-slug:" + id, async ct =>
                    {
                        var p = await _store.LoadAsync(id);
                        if (p is null)
                        {
                            return null;
                        }
                        return p.Slug;
                    }, TimeSpan.FromMinutes(30) + TimeSpan.FromSeconds(Random.Shared.Next(90)));
                }
            }
            """ + Domain);

    [Theory]
    [MemberData(nameof(Versions))]
    public Task GenericHelper_WithADelegateFactory_IsFlaggedAndRewritten(LanguageVersion version) =>
        Verify.VerifyCodeFixAsync(Usings + """
            public class RedisCache
            {
                readonly IDatabase _db;
                public RedisCache(IDatabase db) => _db = db;

                public async Task<T> GetOrAddAsync<T>(string key, Func<Task<T>> factory, TimeSpan ttl)
                {
                    var cached = await {|CG0004:_db.StringGetAsync(key)|};
                    if (cached.HasValue) return JsonSerializer.Deserialize<T>(cached!)!;
                    var value = await factory();
                    await _db.StringSetAsync(key, JsonSerializer.Serialize(value), ttl);
                    return value;
                }
            }
            """, FixedUsings + """
            public class RedisCache
            {
                readonly IDatabase _db;
                public RedisCache(IDatabase db) => _db = db;

                public async Task<T> GetOrAddAsync<T>(string key, Func<Task<T>> factory, TimeSpan ttl)
                {
                    return await _db.GetOrSetAsync<T>(key, async ct =>
                    {
                        var value = await factory();
                        return value;
                    }, ttl);
                }
            }
            """, version);

    [Fact]
    public Task MissBlock_ThenReturnOfTheDecodedValue_IsRewritten() =>
        Verify.VerifyCodeFixAsync(Usings + """
            class C
            {
                IDatabase _db = null!;
                IPostStore _store = null!;

                public Post? Get(int id)
                {
                    var key = $"post:{id}";
                    var json = {|CG0004:_db.StringGet(key)|};
                    if (json.IsNull)
                    {
                        // cold: load and remember
                        var post = _store.Load(id);
                        if (post == null) return null;
                        _db.StringSet(key, JsonSerializer.Serialize(post), TimeSpan.FromMinutes(10));
                        return post;
                    }
                    return JsonSerializer.Deserialize<Post>((string)json!);
                }
            }
            """ + Domain, FixedUsings + """
            class C
            {
                IDatabase _db = null!;
                IPostStore _store = null!;

                public Post? Get(int id)
                {
                    var key = $"post:{id}";
                    return _db.GetOrSet<Post?>(key, ct =>
                    {
                        // cold: load and remember
                        var post = _store.Load(id);
                        if (post == null) return null;
                        return post;
                    }, TimeSpan.FromMinutes(10));
                }
            }
            """ + Domain);

    [Fact]
    public Task StringHolder_NullCheckAfterConversion_ConfigureAwait_AndCancellationToken_AreKept() =>
        Verify.VerifyCodeFixAsync(Usings + """
            class C
            {
                IDatabase _db = null!;
                IPostStore _store = null!;

                public async Task<Post?> GetAsync(int id, CancellationToken cancellationToken)
                {
                    string? json = await {|CG0004:_db.StringGetAsync("post:" + id)|}.ConfigureAwait(false);
                    if (json is not null) return JsonSerializer.Deserialize<Post>(json);
                    cancellationToken.ThrowIfCancellationRequested();
                    var post = await _store.LoadAsync(id).ConfigureAwait(false);
                    await _db.StringSetAsync("post:" + id, JsonSerializer.Serialize(post), TimeSpan.FromMinutes(1)).ConfigureAwait(false);
                    return post;
                }
            }
            """ + Domain, FixedUsings + """
            class C
            {
                IDatabase _db = null!;
                IPostStore _store = null!;

                public async Task<Post?> GetAsync(int id, CancellationToken cancellationToken)
                {
                    return await _db.GetOrSetAsync<Post?>("post:" + id, async ct =>
                    {
                        cancellationToken.ThrowIfCancellationRequested();
                        var post = await _store.LoadAsync(id).ConfigureAwait(false);
                        return post;
                    }, TimeSpan.FromMinutes(1), cancellationToken).ConfigureAwait(false);
                }
            }
            """ + Domain);

    [Fact]
    public Task AsyncRead_WithASynchronousFactory_ReturnsCompletedTasks() =>
        Verify.VerifyCodeFixAsync(Usings + """
            class C
            {
                IDatabase _db = null!;
                IPostStore _store = null!;

                public async Task<string?> SlugAsync(int id)
                {
                    var v = await {|CG0004:_db.StringGetAsync($"slug-of:{id}")|};
                    if (!v.IsNull) return (string?)v;
                    var post = _store.Load(id);
                    if (post is null) return null;
                    await _db.StringSetAsync($"slug-of:{id}", post.Slug, TimeSpan.FromMinutes(2));
                    return post.Slug;
                }
            }
            """ + Domain, FixedUsings + """
            class C
            {
                IDatabase _db = null!;
                IPostStore _store = null!;

                public async Task<string?> SlugAsync(int id)
                {
                    return await _db.GetOrSetAsync<string?>($"slug-of:{id}", async ct =>
                    {
                        var post = _store.Load(id);
                        if (post is null) return null;
                        return post.Slug;
                    }, TimeSpan.FromMinutes(2));
                }
            }
            """ + Domain);

    [Fact]
    public Task JitteredTtl_IsPassedUnjittered_TheRuntimeJitters() =>
        Verify.VerifyCodeFixAsync("using CacheGuard;\n" + Usings + """
            class C
            {
                IDatabase _db = null!;
                IPostStore _store = null!;

                public Post? Get(int id)
                {
                    var v = {|CG0004:_db.StringGet("p:" + id)|};
                    if (v.HasValue) return JsonSerializer.Deserialize<Post>(v.ToString());
                    var post = _store.Load(id);
                    _db.StringSet("p:" + id, JsonSerializer.Serialize(post), CacheTtl.Jitter(TimeSpan.FromMinutes(3)));
                    return post;
                }
            }
            """ + Domain, "using CacheGuard;\n" + Usings + """
            class C
            {
                IDatabase _db = null!;
                IPostStore _store = null!;

                public Post? Get(int id)
                {
                    return _db.GetOrSet<Post?>("p:" + id, ct =>
                    {
                        var post = _store.Load(id);
                        return post;
                    }, TimeSpan.FromMinutes(3));
                }
            }
            """ + Domain);

    [Fact]
    public Task FixAll_RewritesEveryMethod() =>
        Verify.VerifyCodeFixAsync(Usings + """
            class C
            {
                IDatabase _db = null!;
                IPostStore _store = null!;

                public Post? A(int id)
                {
                    var v = {|CG0004:_db.StringGet("a:" + id)|};
                    if (v.HasValue) return JsonSerializer.Deserialize<Post>(v.ToString());
                    var post = _store.Load(id);
                    _db.StringSet("a:" + id, JsonSerializer.Serialize(post), TimeSpan.FromMinutes(1));
                    return post;
                }

                public Post? B(int id)
                {
                    var v = {|CG0004:_db.StringGet("b:" + id)|};
                    if (v.HasValue) return JsonSerializer.Deserialize<Post>(v.ToString());
                    var post = _store.Load(id);
                    _db.StringSet("b:" + id, JsonSerializer.Serialize(post), TimeSpan.FromMinutes(2));
                    return post;
                }
            }
            """ + Domain, FixedUsings + """
            class C
            {
                IDatabase _db = null!;
                IPostStore _store = null!;

                public Post? A(int id)
                {
                    return _db.GetOrSet<Post?>("a:" + id, ct =>
                    {
                        var post = _store.Load(id);
                        return post;
                    }, TimeSpan.FromMinutes(1));
                }

                public Post? B(int id)
                {
                    return _db.GetOrSet<Post?>("b:" + id, ct =>
                    {
                        var post = _store.Load(id);
                        return post;
                    }, TimeSpan.FromMinutes(2));
                }
            }
            """ + Domain);

    [Fact]
    public Task DbContextQuery_IsTheFactory() =>
        Verify.VerifyCodeFixAsync("using Microsoft.EntityFrameworkCore;\n" + Usings + """
            class BlogDb : DbContext { public DbSet<Post> Posts => Set<Post>(); }
            class C
            {
                IDatabase _db = null!;
                BlogDb _ctx = null!;

                public async Task<Post?> GetAsync(int id)
                {
                    var v = await {|CG0004:_db.StringGetAsync($"post:{id}")|};
                    if (v.HasValue) return JsonSerializer.Deserialize<Post>(v.ToString());
                    var post = await _ctx.Posts.FirstOrDefaultAsync(p => p.Id == id);
                    await _db.StringSetAsync($"post:{id}", JsonSerializer.Serialize(post), TimeSpan.FromMinutes(5));
                    return post;
                }
            }
            """ + Domain, "using Microsoft.EntityFrameworkCore;\n" + Usings + "using CacheGuard;\n" + """
            class BlogDb : DbContext { public DbSet<Post> Posts => Set<Post>(); }
            class C
            {
                IDatabase _db = null!;
                BlogDb _ctx = null!;

                public async Task<Post?> GetAsync(int id)
                {
                    return await _db.GetOrSetAsync<Post?>($"post:{id}", async ct =>
                    {
                        var post = await _ctx.Posts.FirstOrDefaultAsync(p => p.Id == id);
                        return post;
                    }, TimeSpan.FromMinutes(5));
                }
            }
            """ + Domain);

    [Fact]
    public Task SerializedLocal_HitBlockLocal_AndFireAndForget_AreRewritten() =>
        Verify.VerifyCodeFixAsync(Usings + """
            class C
            {
                IDatabase _db = null!;
                IPostStore _store = null!;

                public async Task<Post?> GetAsync(int id)
                {
                    var cached = await {|CG0004:_db.StringGetAsync($"post:{id}")|};
                    if (cached.HasValue)
                    {
                        var hit = JsonSerializer.Deserialize<Post>(cached!);
                        return hit;
                    }
                    var post = await _store.LoadAsync(id);
                    var json = JsonSerializer.Serialize(post);
                    _ = _db.StringSetAsync($"post:{id}", json, TimeSpan.FromMinutes(5), flags: CommandFlags.FireAndForget);
                    return post;
                }
            }
            """ + Domain, FixedUsings + """
            class C
            {
                IDatabase _db = null!;
                IPostStore _store = null!;

                public async Task<Post?> GetAsync(int id)
                {
                    return await _db.GetOrSetAsync<Post?>($"post:{id}", async ct =>
                    {
                        var post = await _store.LoadAsync(id);
                        return post;
                    }, TimeSpan.FromMinutes(5));
                }
            }
            """ + Domain);

    [Fact]
    public Task FilterAroundNext_AndInterceptorAroundProceed_AreFlagged() =>
        Verify.VerifyAnalyzerAsync(Usings + """
            public interface IInvocation { void Proceed(); object? ReturnValue { get; set; } string Key { get; } }
            public class ExecutedContext { public object? Result { get; set; } }
            public class ObjectResult { public object? Value { get; set; } }
            class CachingFilter
            {
                IDatabase _db = null!;
                public async Task<object?> OnExecutionAsync(string path, Func<Task<ExecutedContext>> next)
                {
                    var cached = await {|CG0004:_db.StringGetAsync("page:" + path)|};
                    if (cached.HasValue) return cached.ToString();
                    var executed = await next();
                    if (executed.Result is ObjectResult result)
                        await _db.StringSetAsync("page:" + path, JsonSerializer.Serialize(result.Value), TimeSpan.FromMinutes(1));
                    return executed.Result;
                }
            }
            class CachingInterceptor
            {
                IDatabase _db = null!;
                public void Intercept(IInvocation invocation)
                {
                    var cached = {|CG0004:_db.StringGetWithExpiry(invocation.Key)|};
                    if (cached.Value.HasValue) { invocation.ReturnValue = cached.Value.ToString(); return; }
                    invocation.Proceed();
                    _db.StringSet(invocation.Key, JsonSerializer.Serialize(invocation.ReturnValue), TimeSpan.FromMinutes(1));
                }
            }
            """);

    [Theory]
    [MemberData(nameof(Versions))]
    public Task KeyExistsThenStringGet_IsRewritten(LanguageVersion version) =>
        Verify.VerifyCodeFixAsync(Usings + """
            class C
            {
                IDatabase _db = null!;
                IPostStore _store = null!;

                public async Task<string?> SlugAsync(int id)
                {
                    if (await {|CG0004:_db.KeyExistsAsync($"slug:{id}")|})
                        return await _db.StringGetAsync($"slug:{id}");
                    var post = await _store.LoadAsync(id);
                    await _db.StringSetAsync($"slug:{id}", post?.Slug, TimeSpan.FromMinutes(5));
                    return post?.Slug;
                }

                public Post? Get(int id)
                {
                    if (!{|CG0004:_db.KeyExists("post:" + id)|})
                    {
                        var post = _store.Load(id);
                        _db.StringSet("post:" + id, JsonSerializer.Serialize(post), TimeSpan.FromMinutes(5));
                        return post;
                    }
                    return JsonSerializer.Deserialize<Post>(_db.StringGet("post:" + id).ToString());
                }
            }
            """ + Domain, FixedUsings + """
            class C
            {
                IDatabase _db = null!;
                IPostStore _store = null!;

                public async Task<string?> SlugAsync(int id)
                {
                    return await _db.GetOrSetAsync<string?>($"slug:{id}", async ct =>
                    {
                        var post = await _store.LoadAsync(id);
                        return post?.Slug;
                    }, TimeSpan.FromMinutes(5));
                }

                public Post? Get(int id)
                {
                    return _db.GetOrSet<Post?>("post:" + id, ct =>
                    {
                        var post = _store.Load(id);
                        return post;
                    }, TimeSpan.FromMinutes(5));
                }
            }
            """ + Domain, version);

    [Fact]
    public Task Lambda_IsRewritten_WithItsInferredType() =>
        Verify.VerifyCodeFixAsync(Usings + """
            class Endpoints
            {
                public static Func<IDatabase, IPostStore, int, Task<string?>> SlugOf => async (db, store, id) =>
                {
                    var v = await {|CG0004:db.StringGetAsync($"slug:{id}")|};
                    if (v.HasValue) return v.ToString();
                    var post = await store.LoadAsync(id);
                    await db.StringSetAsync($"slug:{id}", post?.Slug, TimeSpan.FromMinutes(1));
                    return post?.Slug;
                };
            }
            """ + Domain, FixedUsings + """
            class Endpoints
            {
                public static Func<IDatabase, IPostStore, int, Task<string?>> SlugOf => async (db, store, id) =>
                {
                    return await db.GetOrSetAsync<string?>($"slug:{id}", async ct =>
                    {
                        var post = await store.LoadAsync(id);
                        return post?.Slug;
                    }, TimeSpan.FromMinutes(1));
                };
            }
            """ + Domain);

    [Theory]
    [MemberData(nameof(Versions))]
    public Task PopulateGuardedByANullCheck_ThenReturn_IsRewritten(LanguageVersion version) =>
        Verify.VerifyCodeFixAsync(Usings + """
            class C
            {
                IDatabase _db = null!;
                IPostStore _store = null!;

                public async Task<Post?> GetAsync(int id)
                {
                    var cacheKey = $"post:{id}";
                    var cached = await {|CG0004:_db.StringGetAsync(cacheKey)|};
                    if (cached.HasValue)
                    {
                        return JsonSerializer.Deserialize<Post>(cached.ToString());
                    }
                    var post = await _store.LoadAsync(id);
                    if (post != null)
                    {
                        await _db.StringSetAsync(cacheKey, JsonSerializer.Serialize(post), TimeSpan.FromMinutes(10));
                    }
                    return post;
                }

                public string? Slug(int id)
                {
                    var cached = {|CG0004:_db.StringGet("slug:" + id)|};
                    if (!cached.IsNull) return cached.ToString();
                    var slug = _store.Load(id)?.Slug;
                    if (slug is not null) _db.StringSet("slug:" + id, slug, TimeSpan.FromMinutes(10));
                    return slug;
                }
            }
            """ + Domain, FixedUsings + """
            class C
            {
                IDatabase _db = null!;
                IPostStore _store = null!;

                public async Task<Post?> GetAsync(int id)
                {
                    var cacheKey = $"post:{id}";
                    return await _db.GetOrSetAsync<Post?>(cacheKey, async ct =>
                    {
                        var post = await _store.LoadAsync(id);
                        return post;
                    }, TimeSpan.FromMinutes(10));
                }

                public string? Slug(int id)
                {
                    return _db.GetOrSet<string?>("slug:" + id, ct =>
                    {
                        var slug = _store.Load(id)?.Slug;
                        return slug;
                    }, TimeSpan.FromMinutes(10));
                }
            }
            """ + Domain, version);

    // ---- The message names the factory ---------------------------------------------------------

    [Fact]
    public async Task Message_NamesTheKeyAndTheFactory_PopulateIsAnAdditionalLocation()
    {
        var test = new Verify.Test
        {
            TestCode = Usings + """
                class Behavior
                {
                    IDatabase _db = null!;
                    public async Task<string> Handle(string key, Func<Task<string>> next)
                    {
                        var cached = await {|#0:_db.StringGetAsync(key)|};
                        if (cached.HasValue) return cached.ToString();
                        var response = await next();
                        await {|#1:_db.StringSetAsync(key, response, TimeSpan.FromMinutes(1))|};
                        return response;
                    }
                }
                """,
        };
        test.FixedCode = FixedUsings + """
            class Behavior
            {
                IDatabase _db = null!;
                public async Task<string> Handle(string key, Func<Task<string>> next)
                {
                    return await _db.GetOrSetAsync<string>(key, async ct =>
                    {
                        var response = await next();
                        return response;
                    }, TimeSpan.FromMinutes(1));
                }
            }
            """;
        test.ExpectedDiagnostics.Add(Verify.Diagnostic("CG0004").WithLocation(0).WithLocation(1).WithArguments("key", "the delegate 'next'"));
        await test.RunAsync();
    }

    [Fact]
    public async Task Message_NamesARepositoryCall()
    {
        var test = new Verify.Test
        {
            TestCode = Usings + """
                class C
                {
                    IDatabase _db = null!;
                    IPostStore _store = null!;
                    public async Task M(int id)
                    {
                        var v = await {|#0:_db.StringGetAsync($"post:{id}")|};
                        if (v.IsNull)
                        {
                            var post = await _store.LoadAsync(id);
                            await {|#1:_db.StringSetAsync($"post:{id}", JsonSerializer.Serialize(post))|};
                        }
                    }
                }
                """ + Domain,
        };
        test.ExpectedDiagnostics.Add(Verify.Diagnostic("CG0004").WithLocation(0).WithLocation(1).WithArguments("$\"post:{id}\"", "'_store.LoadAsync(id)'"));
        await test.RunAsync();
    }

    // ---- Flagged: every miss check --------------------------------------------------------------

    [Theory]
    [InlineData("var v = {|CG0004:_db.StringGet(key)|}; if (v.HasValue) return (string?)v;")]
    [InlineData("var v = {|CG0004:_db.StringGet(key)|}; if (!v.IsNull) return (string?)v;")]
    [InlineData("var v = {|CG0004:_db.StringGet(key)|}; if (!v.IsNullOrEmpty) return (string?)v;")]
    [InlineData("var v = {|CG0004:_db.StringGet(key)|}; if (v != RedisValue.Null) return (string?)v;")]
    [InlineData("var v = {|CG0004:_db.StringGet(key)|}; if (v.HasValue == true) return (string?)v;")]
    [InlineData("string? s = {|CG0004:_db.StringGet(key)|}; if (!string.IsNullOrEmpty(s)) return s;")]
    [InlineData("string? s = {|CG0004:_db.StringGet(key)|}; if (s != null) return s;")]
    [InlineData("var s = (string?){|CG0004:_db.StringGet(key)|}; if (s is { }) return s;")]
    [InlineData("var v = {|CG0004:_db.StringGet(key)|}; var s = (string?)v; if (s is string hit) return hit;")]
    [InlineData("var v = {|CG0004:_db.StringGet(key)|}; if (v.HasValue && !refresh) return (string?)v;")]
    [InlineData("if ({|CG0004:_db.KeyExists(key)|}) return _db.StringGet(key);")]
    [InlineData("var v = {|CG0004:_db.StringGet(key)|}; if (v.HasValue) { return (string?)v; } else { }")]
    public Task MissChecks_AreRecognized(string readAndHit) =>
        Verify.VerifyAnalyzerAsync(Usings + $$"""
            class C
            {
                IDatabase _db = null!;
                IPostStore _store = null!;
                public string? M(string key, int id, bool refresh)
                {
                    {{readAndHit}}
                    var post = _store.Load(id);
                    _db.StringSet(key, post?.Slug, TimeSpan.FromMinutes(1));
                    return post?.Slug;
                }
            }
            """ + Domain);

    [Theory]
    [InlineData("if (v.IsNullOrEmpty) { var p = _store.Load(id); _db.StringSet(key, p?.Slug); return p?.Slug; }")]
    [InlineData("if (v == RedisValue.Null) { var p = _store.Load(id); _db.StringSet(key, p?.Slug); return p?.Slug; }")]
    [InlineData("if (!v.HasValue || refresh) { var p = _store.Load(id); _db.StringSet(key, p?.Slug); return p?.Slug; }")]
    [InlineData("if (v.HasValue) return (string?)v; else { var p = _store.Load(id); _db.StringSet(key, p?.Slug); return p?.Slug; }")]
    public Task MissBranches_AreRecognized(string missBranch) =>
        Verify.VerifyAnalyzerAsync(Usings + $$"""
            class C
            {
                IDatabase _db = null!;
                IPostStore _store = null!;
                public string? M(string key, int id, bool refresh)
                {
                    var v = {|CG0004:_db.StringGet(key)|};
                    {{missBranch}}
                    return (string?)v;
                }
            }
            """ + Domain);

    [Theory]
    [InlineData("factory()")]
    [InlineData("acquire()")]
    [InlineData("factory.Invoke()")]
    [InlineData("_store.Load(id)?.Slug")]
    [InlineData("Fetch(id)")]
    [InlineData("await FetchAsync(id)")]
    [InlineData("await _http.GetStringAsync(\"https://example.com/\" + id)")]
    [InlineData("await Task.Run(() => factory())")]
    public Task Factories_AreRecognized(string factory) =>
        Verify.VerifyAnalyzerAsync("using System.Net.Http;\n" + Usings + $$"""
            class C
            {
                IDatabase _db = null!;
                IPostStore _store = null!;
                HttpClient _http = null!;
                string? Fetch(int id) => null;
                static Task<string?> FetchAsync(int id) => Task.FromResult<string?>(null);
                public async Task<string?> M(string key, int id, Func<string?> factory, Func<string?> acquire)
                {
                    var v = await {|CG0004:_db.StringGetAsync(key)|};
                    if (v.HasValue) return v.ToString();
                    var value = {{factory}};
                    await _db.StringSetAsync(key, value, TimeSpan.FromMinutes(1));
                    return value;
                }
            }
            """ + Domain);

    [Fact]
    public Task KeysBuiltByTheSameBuilder_AreTheSameKey() =>
        Verify.VerifyAnalyzerAsync(Usings + """
            static class CacheKeys { public static string Post(int id) => $"post:{id}"; }
            class C
            {
                IDatabase _db = null!;
                IPostStore _store = null!;
                public async Task<Post?> M(int id)
                {
                    var v = await {|CG0004:_db.StringGetAsync(CacheKeys.Post(id))|};
                    if (v.HasValue) return JsonSerializer.Deserialize<Post>(v.ToString());
                    var post = await _store.LoadAsync(id);
                    await _db.StringSetAsync(CacheKeys.Post(id), JsonSerializer.Serialize(post), TimeSpan.FromMinutes(1));
                    return post;
                }
            }
            """ + Domain);

    [Fact]
    public Task PopulateInAPrivateHelper_IsFlagged_WithoutAGetOrSetFix() => // the per-key lock fix: KeyLockFixTests
        Verify.VerifyCodeFixAsync(Usings + """
            class C
            {
                IDatabase _db = null!;
                IPostStore _store = null!;
                public async Task<Post?> GetAsync(int id)
                {
                    var key = $"post:{id}";
                    var cached = await {|CG0004:_db.StringGetAsync(key)|};
                    if (cached.HasValue) return JsonSerializer.Deserialize<Post>(cached.ToString());
                    return await LoadAndCacheAsync(key, id);
                }
                private async Task<Post?> LoadAndCacheAsync(string key, int id)
                {
                    var post = await _store.LoadAsync(id);
                    await _db.StringSetAsync(key, JsonSerializer.Serialize(post), TimeSpan.FromMinutes(5));
                    return post;
                }
                public async Task<Post?> BySlugAsync(string slug)
                {
                    var cached = await {|CG0004:_db.StringGetAsync("slug:" + slug)|};
                    return cached.HasValue ? JsonSerializer.Deserialize<Post>(cached.ToString()) : await RememberAsync(slug);
                }
                private async Task<Post?> RememberAsync(string slug)
                {
                    var post = await _store.LoadBySlugAsync(slug);
                    await _db.StringSetAsync("slug:" + slug, JsonSerializer.Serialize(post), TimeSpan.FromMinutes(5));
                    return post;
                }
                public async Task<Post?> ValuePassedInAsync(int id)
                {
                    var cached = await {|CG0004:_db.StringGetAsync($"p:{id}")|};
                    if (cached.HasValue) return JsonSerializer.Deserialize<Post>(cached.ToString());
                    var post = await _store.LoadAsync(id);
                    await StoreAsync($"p:{id}", post);
                    return post;
                }
                private Task StoreAsync(string key, Post? post) => _db.StringSetAsync(key, JsonSerializer.Serialize(post), TimeSpan.FromMinutes(5));
            }
            """ + Domain, Usings + """
            class C
            {
                IDatabase _db = null!;
                IPostStore _store = null!;
                public async Task<Post?> GetAsync(int id)
                {
                    var key = $"post:{id}";
                    var cached = await {|CG0004:_db.StringGetAsync(key)|};
                    if (cached.HasValue) return JsonSerializer.Deserialize<Post>(cached.ToString());
                    return await LoadAndCacheAsync(key, id);
                }
                private async Task<Post?> LoadAndCacheAsync(string key, int id)
                {
                    var post = await _store.LoadAsync(id);
                    await _db.StringSetAsync(key, JsonSerializer.Serialize(post), TimeSpan.FromMinutes(5));
                    return post;
                }
                public async Task<Post?> BySlugAsync(string slug)
                {
                    var cached = await {|CG0004:_db.StringGetAsync("slug:" + slug)|};
                    return cached.HasValue ? JsonSerializer.Deserialize<Post>(cached.ToString()) : await RememberAsync(slug);
                }
                private async Task<Post?> RememberAsync(string slug)
                {
                    var post = await _store.LoadBySlugAsync(slug);
                    await _db.StringSetAsync("slug:" + slug, JsonSerializer.Serialize(post), TimeSpan.FromMinutes(5));
                    return post;
                }
                public async Task<Post?> ValuePassedInAsync(int id)
                {
                    var cached = await {|CG0004:_db.StringGetAsync($"p:{id}")|};
                    if (cached.HasValue) return JsonSerializer.Deserialize<Post>(cached.ToString());
                    var post = await _store.LoadAsync(id);
                    await StoreAsync($"p:{id}", post);
                    return post;
                }
                private Task StoreAsync(string key, Post? post) => _db.StringSetAsync(key, JsonSerializer.Serialize(post), TimeSpan.FromMinutes(5));
            }
            """ + Domain, equivalenceKey: GetOrSetFix);

    [Fact]
    public Task InsideALambda_IsFlagged() =>
        Verify.VerifyAnalyzerAsync(Usings + """
            class C
            {
                IPostStore _store = null!;
                public Func<IDatabase, int, Task<string?>> Handler => async (db, id) =>
                {
                    var v = await {|CG0004:db.StringGetAsync($"slug:{id}")|};
                    if (v.HasValue) return v.ToString();
                    var post = await _store.LoadAsync(id);
                    await db.StringSetAsync($"slug:{id}", post?.Slug, TimeSpan.FromMinutes(1));
                    return post?.Slug;
                };
            }
            """ + Domain);

    [Fact]
    public Task BlockingLockWithoutARecheck_IsStillFlagged() =>
        Verify.VerifyAnalyzerAsync(Usings + """
            class C
            {
                static readonly SemaphoreSlim Gate = new(1, 1);
                IDatabase _db = null!;
                IPostStore _store = null!;
                public async Task<Post?> GetAsync(int id)
                {
                    var v = await {|CG0004:_db.StringGetAsync($"post:{id}")|};
                    if (v.HasValue) return JsonSerializer.Deserialize<Post>(v.ToString());
                    await Gate.WaitAsync();
                    try
                    {
                        // every waiter runs the query in turn: no re-check after the wait
                        var post = await _store.LoadAsync(id);
                        await _db.StringSetAsync($"post:{id}", JsonSerializer.Serialize(post), TimeSpan.FromMinutes(1));
                        return post;
                    }
                    finally { Gate.Release(); }
                }
            }
            """ + Domain);

    // ---- Flagged, but no faithful GetOrSet rewrite (the per-key lock fix covers these: KeyLockFixTests) ----

    [Theory]
    [InlineData("_audit.Record(id);")]                                                          // a side effect per miss
    [InlineData("await _db.StringSetAsync(\"last-miss\", id);")]                               // another cache write
    [InlineData("if (post is { Slug: \"draft\" }) return post;")]                               // a value returned but not cached
    [InlineData("await _db.KeyExpireAsync(key, TimeSpan.FromMinutes(1));")]                    // something else done to the key
    public Task MissPathsThatCannotBeMapped_GetNoGetOrSetFix(string extra)
    {
        var source = Usings + $$"""
            interface IAudit { void Record(int id); }
            class C
            {
                IDatabase _db = null!;
                IPostStore _store = null!;
                IAudit _audit = null!;
                public async Task<Post?> GetAsync(int id)
                {
                    var key = "post:" + id;
                    var v = await {|CG0004:_db.StringGetAsync(key)|};
                    if (v.HasValue) return JsonSerializer.Deserialize<Post>(v.ToString());
                    var post = await _store.LoadAsync(id);
                    {{extra}}
                    await _db.StringSetAsync(key, JsonSerializer.Serialize(post), TimeSpan.FromMinutes(1));
                    return post;
                }
            }
            """ + Domain;
        return Verify.VerifyCodeFixAsync(source, source, equivalenceKey: GetOrSetFix);
    }

    [Theory]
    [InlineData("JsonSerializer.Deserialize<Post>(v.ToString(), Options)", "JsonSerializer.Serialize(post, Options)", "TimeSpan.FromMinutes(1)")] // custom serializer options
    [InlineData("JsonSerializer.Deserialize<Post>(v.ToString())", "JsonSerializer.Serialize(post)", "TimeSpan.FromMinutes(1), When.Always, CommandFlags.DemandMaster")] // flags that change where it goes
    [InlineData("JsonSerializer.Deserialize<Post>(v.ToString())", "JsonSerializer.Serialize(post)", "maybeTtl, When.Always")] // a TimeSpan? TTL
    [InlineData("JsonSerializer.Deserialize<Post>(v.ToString())", "JsonSerializer.Serialize(post.Slug)", "TimeSpan.FromMinutes(1)")] // writes something else than it returns
    public Task EncodingsAndWritesThatCannotBeMapped_GetNoGetOrSetFix(string decode, string encode, string rest)
    {
        var source = Usings + $$"""
            class C
            {
                static readonly JsonSerializerOptions Options = new(JsonSerializerDefaults.Web);
                IDatabase _db = null!;
                IPostStore _store = null!;
                public async Task<Post?> GetAsync(int id, TimeSpan? maybeTtl)
                {
                    var v = await {|CG0004:_db.StringGetAsync("post:" + id)|};
                    if (v.HasValue) return {{decode}};
                    var post = (await _store.LoadAsync(id))!;
                    await _db.StringSetAsync("post:" + id, {{encode}}, {{rest}});
                    return post;
                }
            }
            """ + Domain;
        return Verify.VerifyCodeFixAsync(source, source, equivalenceKey: GetOrSetFix);
    }

    [Fact]
    public Task OutParameter_GetsNoGetOrSetFix()
    {
        var source = Usings + """
            class C
            {
                IDatabase _db = null!;
                IPostStore _store = null!;
                public Post? Get(int id, out bool fromCache)
                {
                    var v = {|CG0004:_db.StringGet("post:" + id)|};
                    if (v.HasValue) { fromCache = true; return JsonSerializer.Deserialize<Post>(v.ToString()); }
                    fromCache = false;
                    var post = _store.Load(id);
                    _db.StringSet("post:" + id, JsonSerializer.Serialize(post), TimeSpan.FromMinutes(1));
                    return post;
                }
            }
            """ + Domain;
        return Verify.VerifyCodeFixAsync(source, source, equivalenceKey: GetOrSetFix);
    }

    // A string the code stores as JSON ("\"abc\"") would be stored raw (abc) by the runtime's serializer:
    // other readers of the key would lose the quotes. No fix.
    [Fact]
    public Task StringStoredAsJson_GetsNoGetOrSetFix()
    {
        var source = Usings + """
            class C
            {
                IDatabase _db = null!;
                IPostStore _store = null!;
                public async Task<string?> SlugAsync(int id)
                {
                    var v = await {|CG0004:_db.StringGetAsync("slug:" + id)|};
                    if (v.HasValue) return JsonSerializer.Deserialize<string>(v.ToString());
                    var slug = (await _store.LoadAsync(id))?.Slug;
                    await _db.StringSetAsync("slug:" + id, JsonSerializer.Serialize(slug), TimeSpan.FromMinutes(1));
                    return slug;
                }
            }
            """ + Domain;
        return Verify.VerifyCodeFixAsync(source, source, equivalenceKey: GetOrSetFix);
    }

    // ---- Not flagged ----------------------------------------------------------------------------

    [Fact]
    public Task SemaphoreWithARecheck_IsNotFlagged() =>
        Verify.VerifyAnalyzerAsync(Usings + """
            class C
            {
                static readonly SemaphoreSlim Gate = new(1, 1);
                IDatabase _db = null!;
                IPostStore _store = null!;
                public async Task<Post?> GetAsync(int id)
                {
                    var key = $"post:{id}";
                    var v = await _db.StringGetAsync(key);
                    if (v.HasValue) return JsonSerializer.Deserialize<Post>(v.ToString());
                    await Gate.WaitAsync();
                    try
                    {
                        v = await _db.StringGetAsync(key);
                        if (v.HasValue) return JsonSerializer.Deserialize<Post>(v.ToString());
                        var post = await _store.LoadAsync(id);
                        await _db.StringSetAsync(key, JsonSerializer.Serialize(post), TimeSpan.FromSeconds(300 + Random.Shared.Next(30)));
                        return post;
                    }
                    finally { Gate.Release(); }
                }
            }
            """ + Domain);

    [Fact]
    public Task LockStatementWithACheckInside_IsNotFlagged() =>
        Verify.VerifyAnalyzerAsync(Usings + """
            class C
            {
                readonly object _sync = new();
                IDatabase _db = null!;
                IPostStore _store = null!;
                public string? Get(int id)
                {
                    var v = _db.StringGet("slug:" + id);
                    if (v.HasValue) return v.ToString();
                    lock (_sync)
                    {
                        var again = _db.StringGet("slug:" + id);
                        if (again.HasValue) return again.ToString();
                        var post = _store.Load(id);
                        _db.StringSet("slug:" + id, post?.Slug, TimeSpan.FromSeconds(300 + Random.Shared.Next(30)));
                        return post?.Slug;
                    }
                }
            }
            """ + Domain);

    [Fact]
    public Task PerKeyGateFromAConcurrentDictionary_IsNotFlagged() =>
        Verify.VerifyAnalyzerAsync("using System.Collections.Concurrent;\n" + Usings + """
            class C
            {
                static readonly ConcurrentDictionary<string, SemaphoreSlim> Gates = new();
                IDatabase _db = null!;
                IPostStore _store = null!;
                public async Task<string?> GetAsync(int id)
                {
                    var key = $"slug:{id}";
                    var v = await _db.StringGetAsync(key);
                    if (v.HasValue) return v.ToString();
                    var gate = Gates.GetOrAdd(key, _ => new SemaphoreSlim(1, 1));
                    await gate.WaitAsync();
                    try
                    {
                        var again = await _db.StringGetAsync(key);
                        if (again.HasValue) return again.ToString();
                        var post = await _store.LoadAsync(id);
                        await _db.StringSetAsync(key, post?.Slug, TimeSpan.FromSeconds(300 + Random.Shared.Next(30)));
                        return post?.Slug;
                    }
                    finally { gate.Release(); }
                }
            }
            """ + Domain);

    [Fact]
    public Task LazyTaskSingleFlight_IsNotFlagged() =>
        Verify.VerifyAnalyzerAsync("using System.Collections.Concurrent;\n" + Usings + """
            class C
            {
                static readonly ConcurrentDictionary<string, Lazy<Task<Post?>>> InFlight = new();
                IDatabase _db = null!;
                IPostStore _store = null!;
                public async Task<Post?> GetAsync(int id)
                {
                    var key = $"post:{id}";
                    var v = await _db.StringGetAsync(key);
                    if (v.HasValue) return JsonSerializer.Deserialize<Post>(v.ToString());
                    var lazy = InFlight.GetOrAdd(key, k => new Lazy<Task<Post?>>(async () =>
                    {
                        var post = await _store.LoadAsync(id);
                        await _db.StringSetAsync(k, JsonSerializer.Serialize(post), TimeSpan.FromSeconds(300 + Random.Shared.Next(30)));
                        return post;
                    }));
                    try { return await lazy.Value; }
                    finally { InFlight.TryRemove(key, out _); }
                }
            }
            """ + Domain);

    [Theory]
    [InlineData("await _db.StringSetAsync(lockKey, token, TimeSpan.FromSeconds(10), When.NotExists)")]
    [InlineData("await _db.LockTakeAsync(lockKey, token, TimeSpan.FromSeconds(10))")]
    public Task RedisLock_IsNotFlagged(string acquire) =>
        Verify.VerifyAnalyzerAsync(Usings + $$"""
            class C
            {
                IDatabase _db = null!;
                IPostStore _store = null!;
                public async Task<string?> GetAsync(int id)
                {
                    var key = $"slug:{id}";
                    var v = await _db.StringGetAsync(key);
                    if (v.HasValue) return v.ToString();
                    var lockKey = "lock:" + key;
                    var token = Guid.NewGuid().ToString();
                    if ({{acquire}})
                    {
                        try
                        {
                            var post = await _store.LoadAsync(id);
                            await _db.StringSetAsync(key, post?.Slug, TimeSpan.FromSeconds(300 + Random.Shared.Next(30)));
                            return post?.Slug;
                        }
                        finally { await _db.LockReleaseAsync(lockKey, token); }
                    }
                    for (var i = 0; i < 100; i++)
                    {
                        await Task.Delay(50);
                        v = await _db.StringGetAsync(key);
                        if (v.HasValue) return v.ToString();
                    }
                    return (await _store.LoadAsync(id))?.Slug;
                }
            }
            """ + Domain);

    [Fact]
    public Task RuntimeGetOrSet_IsNotFlagged() =>
        Verify.VerifyAnalyzerAsync("using CacheGuard;\n" + Usings + """
            class C
            {
                IDatabase _db = null!;
                IPostStore _store = null!;
                public Task<Post?> GetAsync(int id) =>
                    _db.GetOrSetAsync<Post?>($"post:{id}", ct => _store.LoadAsync(id), TimeSpan.FromMinutes(5));
            }
            """ + Domain);

    [Fact]
    public Task ReadsWithoutPopulate_WritesWithoutRead_AndStores_AreNotFlagged() =>
        Verify.VerifyAnalyzerAsync(Usings + """
            class C
            {
                IDatabase _db = null!;
                IPostStore _store = null!;

                // A read with no populate.
                public async Task<Post?> PeekAsync(int id)
                {
                    var v = await _db.StringGetAsync($"post:{id}");
                    return v.HasValue ? JsonSerializer.Deserialize<Post>(v.ToString()) : await _store.LoadAsync(id);
                }

                // A write with no read.
                public async Task WarmAsync(int id)
                {
                    var post = await _store.LoadAsync(id);
                    await _db.StringSetAsync($"post:{id}", JsonSerializer.Serialize(post), TimeSpan.FromSeconds(300 + Random.Shared.Next(30)));
                }

                // Redis as a store: read-modify-write on every path.
                public void Append(string user, string item)
                {
                    var v = _db.StringGet("cart:" + user);
                    var cart = v.HasValue ? v.ToString() + "," + item : item;
                    _db.StringSet("cart:" + user, cart);
                }

                // A default written on a miss, no factory.
                public long Counter(string name)
                {
                    var v = _db.StringGet("counter:" + name);
                    if (v.IsNull) { _db.StringSet("counter:" + name, 0); return 0; }
                    return (long)v;
                }

                // Written only on a hit: a refresh, not a populate.
                public async Task TouchAsync(int id)
                {
                    var v = await _db.StringGetAsync($"post:{id}");
                    if (v.IsNull) return;
                    var post = await _store.LoadAsync(id);
                    await _db.StringSetAsync($"post:{id}", JsonSerializer.Serialize(post), TimeSpan.FromSeconds(300 + Random.Shared.Next(30)));
                }

                // KeyExists without reading the value: a one-off seed, not a cache-aside read.
                public async Task SeedAsync(int id)
                {
                    if (!await _db.KeyExistsAsync("seed:" + id))
                        await _db.StringSetAsync("seed:" + id, JsonSerializer.Serialize(await _store.LoadAsync(id)));
                }

                // Written if absent from what the caller handed in: a store, not a cache-aside read.
                public void SaveIfAbsent(Post post)
                {
                    var v = _db.StringGet($"post:{post.Id}");
                    if (v.IsNull)
                        _db.StringSet($"post:{post.Id}", post.ToJson(), TimeSpan.FromSeconds(300 + Random.Shared.Next(30)));
                }

                // A miss on one key populates another.
                public async Task<Post?> OtherKeyAsync(int id)
                {
                    var v = await _db.StringGetAsync($"post:{id}");
                    if (v.HasValue) return JsonSerializer.Deserialize<Post>(v.ToString());
                    var post = await _store.LoadAsync(id);
                    await _db.StringSetAsync($"post-copy:{id}", JsonSerializer.Serialize(post), TimeSpan.FromSeconds(300 + Random.Shared.Next(30)));
                    return post;
                }
            }
            """ + Domain);

    [Fact]
    public Task ExcludedSymbols_AreNotAnalyzed() =>
        Verify.VerifyAnalyzerAsync(Usings + """
            class C
            {
                IDatabase _db = null!;
                IPostStore _store = null!;
                public async Task<Post?> GetAsync(int id)
                {
                    var v = await _db.StringGetAsync($"post:{id}");
                    if (v.HasValue) return JsonSerializer.Deserialize<Post>(v.ToString());
                    var post = await _store.LoadAsync(id);
                    await _db.StringSetAsync($"post:{id}", JsonSerializer.Serialize(post), TimeSpan.FromMinutes(1));
                    return post;
                }
            }
            """ + Domain, editorConfig: "dotnet_diagnostic.CG0004.excluded_symbols = C");

    [Fact]
    public Task BrokenCode_DoesNotCrash() =>
        new Verify.Test
        {
            TestCode = Usings + """
                class C
                {
                    IDatabase _db = null!;
                    public string? M(string key)
                    {
                        var v = _db.StringGet(key);
                        if (v.HasValue) return v.ToString();
                        var value = {|CS0103:Missing|}();
                        _db.StringSet(key, value);
                        return value;
                    }
                }
                """,
        }.RunAsync();
}
