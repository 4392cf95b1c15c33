using Microsoft.CodeAnalysis.CSharp;
using MemoryVerify = CacheGuard.Analyzers.Tests.Verifiers.CSharpVerifier<CacheGuard.Analyzers.Rules.UnguardedPopulateAnalyzer, CacheGuard.CodeFixes.MemoryGetThenSetCodeFix>;
using PopulateVerify = CacheGuard.Analyzers.Tests.Verifiers.CSharpVerifier<CacheGuard.Analyzers.Rules.UnguardedPopulateAnalyzer, CacheGuard.CodeFixes.UnguardedPopulateCodeFix>;
using ExpiryVerify = CacheGuard.Analyzers.Tests.Verifiers.CSharpVerifier<CacheGuard.Analyzers.Rules.PopulateWithoutExpiryAnalyzer, CacheGuard.CodeFixes.PopulateWithoutExpiryFamiliesCodeFix>;

namespace CacheGuard.Analyzers.Tests.Rules;

/// <summary>The fixes over IMemoryCache and IDistributedCache: CG0004's get-then-set rewrite, CG0008's default TTL.</summary>
public class FamilyFixesTests
{
    private const string Usings = """
        using System;
        using System.Collections.Generic;
        using System.Text.Json;
        using System.Threading.Tasks;
        using Microsoft.Extensions.Caching.Distributed;
        using Microsoft.Extensions.Caching.Memory;

        """;

    private const string FixedUsings = """
        using System;
        using System.Collections.Generic;
        using System.Text.Json;
        using System.Threading.Tasks;
        using CacheGuard;
        using Microsoft.Extensions.Caching.Distributed;
        using Microsoft.Extensions.Caching.Memory;

        """;

    private const string Domain = """

        public class Post { public int Id { get; set; } public string Title { get; set; } = ""; }
        public interface IPosts { Task<Post?> LoadAsync(int id); Post? Load(int id); Task<List<Post>> AllAsync(); }
        """;

    public static TheoryData<LanguageVersion> Versions => new() { LanguageVersion.Latest, LanguageVersion.CSharp9 };

    [Theory]
    [MemberData(nameof(Versions))]
    public Task MemoryCache_TryGetValueThenSet_BecomesGetOrCreateSingleFlight(LanguageVersion version) =>
        MemoryVerify.VerifyCodeFixAsync(Usings + """
            class Posts
            {
                IMemoryCache _cache = null!;
                IPosts _posts = null!;
                public async Task<Post?> GetAsync(int id)
                {
                    if ({|CG0004:_cache.TryGetValue($"post:{id}", out Post? hit)|}) return hit;
                    var post = await _posts.LoadAsync(id);
                    _cache.Set($"post:{id}", post, TimeSpan.FromSeconds(300 + Random.Shared.Next(30)));
                    return post;
                }

                public async Task<List<Post>> AllAsync()
                {
                    if (!{|CG0004:_cache.TryGetValue("posts:all", out List<Post>? all)|})
                    {
                        all = await _posts.AllAsync();
                        _cache.Set("posts:all", all, new MemoryCacheEntryOptions { SlidingExpiration = TimeSpan.FromMinutes(2) });
                    }
                    return all;
                }

                public Post? Get(int id)
                {
                    if ({|CG0004:_cache.TryGetValue($"p:{id}", out Post? hit)|}) return hit;
                    var post = _posts.Load(id);
                    _cache.Set($"p:{id}", post);
                    return post;
                }
            }
            """ + Domain, FixedUsings + """
            class Posts
            {
                IMemoryCache _cache = null!;
                IPosts _posts = null!;
                public async Task<Post?> GetAsync(int id)
                {
                    return await _cache.GetOrCreateSingleFlightAsync<Post?>($"post:{id}", async entry =>
                    {
                        var post = await _posts.LoadAsync(id);
                        entry.AbsoluteExpirationRelativeToNow = TimeSpan.FromSeconds(300 + Random.Shared.Next(30));
                        return post;
                    });
                }

                public async Task<List<Post>> AllAsync()
                {
                    return await _cache.GetOrCreateSingleFlightAsync<List<Post>?>("posts:all", async entry =>
                    {
                        List<Post>? all = await _posts.AllAsync();
                        entry.SetOptions(new MemoryCacheEntryOptions { SlidingExpiration = TimeSpan.FromMinutes(2) });
                        return all;
                    });
                }

                public Post? Get(int id)
                {
                    return _cache.GetOrCreateSingleFlight<Post?>($"p:{id}", _ =>
                    {
                        var post = _posts.Load(id);
                        return post;
                    });
                }
            }
            """ + Domain, version);

    [Fact]
    public Task MemoryCache_MissPathWithASideEffect_OrAReturnThatCachesNothing_HasNoFix()
    {
        var source = Usings + """
            class Posts
            {
                IMemoryCache _cache = null!;
                IPosts _posts = null!;
                List<int> _audit = new();
                public async Task<Post?> GetAsync(int id)
                {
                    if ({|CG0004:_cache.TryGetValue($"post:{id}", out Post? hit)|}) return hit;
                    var post = await _posts.LoadAsync(id);
                    if (post is null) return null;
                    _cache.Set($"post:{id}", post, TimeSpan.FromSeconds(300 + Random.Shared.Next(30)));
                    return post;
                }
                public async Task<Post?> GetAuditedAsync(int id)
                {
                    if ({|CG0004:_cache.TryGetValue($"a:{id}", out Post? hit)|}) return hit;
                    var post = await _posts.LoadAsync(id);
                    _audit.Add(id);
                    _cache.Set($"a:{id}", post, TimeSpan.FromSeconds(300 + Random.Shared.Next(30)));
                    return post;
                }
            }
            """ + Domain;
        return MemoryVerify.VerifyCodeFixAsync(source, source);
    }

    [Theory]
    [MemberData(nameof(Versions))]
    public Task PopulatesWithoutExpiry_GetTheJitteredDefaultTtl(LanguageVersion version) =>
        ExpiryVerify.VerifyCodeFixAsync(Usings + """
            class Posts
            {
                IMemoryCache _memory = null!;
                IDistributedCache _cache = null!;
                IPosts _posts = null!;
                public async Task<Post?> GetAsync(int id)
                {
                    var json = await _cache.GetStringAsync($"post:{id}");
                    if (json is not null) return JsonSerializer.Deserialize<Post>(json);
                    var post = await _posts.LoadAsync(id);
                    await {|CG0008:_cache.SetStringAsync($"post:{id}", JsonSerializer.Serialize(post))|};
                    return post;
                }
                public async Task<Post?> GetEmptyOptionsAsync(int id)
                {
                    var json = await _cache.GetStringAsync($"e:{id}");
                    if (json is not null) return JsonSerializer.Deserialize<Post>(json);
                    var post = await _posts.LoadAsync(id);
                    await {|CG0008:_cache.SetStringAsync($"e:{id}", JsonSerializer.Serialize(post), new DistributedCacheEntryOptions())|};
                    return post;
                }
                public async Task<Post?> GetLocalAsync(int id)
                {
                    if (_memory.TryGetValue($"m:{id}", out Post? hit)) return hit;
                    var post = await _posts.LoadAsync(id);
                    {|CG0008:_memory.Set($"m:{id}", post)|};
                    return post;
                }
            }
            """ + Domain, FixedUsings + """
            class Posts
            {
                IMemoryCache _memory = null!;
                IDistributedCache _cache = null!;
                IPosts _posts = null!;
                public async Task<Post?> GetAsync(int id)
                {
                    var json = await _cache.GetStringAsync($"post:{id}");
                    if (json is not null) return JsonSerializer.Deserialize<Post>(json);
                    var post = await _posts.LoadAsync(id);
                    await _cache.SetStringAsync($"post:{id}", JsonSerializer.Serialize(post), new DistributedCacheEntryOptions { AbsoluteExpirationRelativeToNow = CacheTtl.Jitter(TimeSpan.FromSeconds(300)) });
                    return post;
                }
                public async Task<Post?> GetEmptyOptionsAsync(int id)
                {
                    var json = await _cache.GetStringAsync($"e:{id}");
                    if (json is not null) return JsonSerializer.Deserialize<Post>(json);
                    var post = await _posts.LoadAsync(id);
                    await _cache.SetStringAsync($"e:{id}", JsonSerializer.Serialize(post), new DistributedCacheEntryOptions { AbsoluteExpirationRelativeToNow = CacheTtl.Jitter(TimeSpan.FromSeconds(300)) });
                    return post;
                }
                public async Task<Post?> GetLocalAsync(int id)
                {
                    if (_memory.TryGetValue($"m:{id}", out Post? hit)) return hit;
                    var post = await _posts.LoadAsync(id);
                    _memory.Set($"m:{id}", post, CacheTtl.Jitter(TimeSpan.FromSeconds(300)));
                    return post;
                }
            }
            """ + Domain, version);

    [Theory]
    [MemberData(nameof(Versions))]
    public Task DistributedCache_CacheAside_BecomesGetOrSetJsonAsync(LanguageVersion version) =>
        PopulateVerify.VerifyCodeFixAsync(Usings + """
            class Posts
            {
                IDistributedCache _cache = null!;
                IPosts _posts = null!;
                static readonly DistributedCacheEntryOptions Ttl = new() { AbsoluteExpirationRelativeToNow = TimeSpan.FromMinutes(5) };
                public async Task<Post?> GetAsync(int id)
                {
                    var json = await {|CG0004:_cache.GetStringAsync($"post:{id}")|};
                    if (json is not null) return JsonSerializer.Deserialize<Post>(json);
                    var post = await _posts.LoadAsync(id);
                    if (post is null) return null;
                    await _cache.SetStringAsync($"post:{id}", JsonSerializer.Serialize(post), Ttl);
                    return post;
                }
                public string? Title(int id)
                {
                    var title = {|CG0004:_cache.GetString($"title:{id}")|};
                    if (title != null) return title;
                    var post = _posts.Load(id);
                    if (post is null) return null;
                    _cache.SetString($"title:{id}", post.Title);
                    return post.Title;
                }
            }
            """ + Domain, FixedUsings + """
            class Posts
            {
                IDistributedCache _cache = null!;
                IPosts _posts = null!;
                static readonly DistributedCacheEntryOptions Ttl = new() { AbsoluteExpirationRelativeToNow = TimeSpan.FromMinutes(5) };
                public async Task<Post?> GetAsync(int id)
                {
                    return await _cache.GetOrSetJsonAsync<Post?>($"post:{id}", async ct =>
                    {
                        var post = await _posts.LoadAsync(id);
                        if (post is null) return null;
                        return post;
                    }, Ttl);
                }
                public string? Title(int id)
                {
                    return _cache.GetOrSetString($"title:{id}", ct =>
                    {
                        var post = _posts.Load(id);
                        if (post is null) return null;
                        return post.Title;
                    }, new DistributedCacheEntryOptions { AbsoluteExpirationRelativeToNow = TimeSpan.FromSeconds(300) });
                }
            }
            """ + Domain, version);
}
