using Microsoft.CodeAnalysis.CSharp;
using Verify = CacheGuard.Analyzers.Tests.Verifiers.CSharpVerifier<CacheGuard.Analyzers.Rules.SetOnWriteAnalyzer, CacheGuard.CodeFixes.SetOnWriteCodeFix>;

namespace CacheGuard.Analyzers.Tests.Rules;

public class SetOnWriteAnalyzerTests
{
    private const string Usings = """
        using System;
        using System.Data.Common;
        using System.Text.Json;
        using System.Threading.Tasks;
        using Dapper;
        using StackExchange.Redis;

        """;

    private const string FixedUsings = """
        using System;
        using System.Data.Common;
        using System.Text.Json;
        using System.Threading.Tasks;
        using CacheGuard;
        using Dapper;
        using StackExchange.Redis;

        """;

    /// <summary>The application's own types every sample uses.</summary>
    private const string Domain = """

        public class Post { public int Id { get; set; } public string Slug { get; set; } = ""; public string Title { get; set; } = ""; }
        public class BlogDb : Microsoft.EntityFrameworkCore.DbContext { public Microsoft.EntityFrameworkCore.DbSet<Post> Posts => Set<Post>(); }
        public interface IPostRepository { Task<Post?> GetAsync(int id); Task UpdateAsync(Post post); void Update(Post post); }
        public interface IPostStore { Task<Post?> LoadAsync(int id); Task EditAsync(Post post); Task LoadCommentsAsync(Post post); }
        """;

    public static TheoryData<LanguageVersion> Versions => new() { LanguageVersion.Latest, LanguageVersion.CSharp9 };

    private static Task VerifyFix(string source, string fixedSource, LanguageVersion version = LanguageVersion.Latest) =>
        Verify.VerifyCodeFixAsync(Usings + source + Domain, FixedUsings + fixedSource + Domain, version);

    private static Task VerifyNoFix(string source) =>
        Verify.VerifyCodeFixAsync(Usings + source + Domain, Usings + source + Domain);

    private static Task VerifyNotFlagged(string source) =>
        Verify.VerifyAnalyzerAsync(Usings + source + Domain);

    [Theory]
    [MemberData(nameof(Versions))]
    public Task EfCore_SetAfterSaveChangesAsync_IsReplacedInPlace(LanguageVersion version) =>
        VerifyFix("""
            class Editor
            {
                BlogDb _db = null!;
                IDatabase _cache = null!;
                public async Task RetitleAsync(Post post, string title)
                {
                    post.Title = title;
                    await _db.SaveChangesAsync();
                    await {|CG0002:_cache.StringSetAsync($"post:{post.Id}", JsonSerializer.Serialize(post), TimeSpan.FromMinutes(5))|}; // write-through
                }
            }
            """, """
            class Editor
            {
                BlogDb _db = null!;
                IDatabase _cache = null!;
                public async Task RetitleAsync(Post post, string title)
                {
                    post.Title = title;
                    await _db.SaveChangesAsync();
                    await _cache.InvalidateAsync($"post:{post.Id}"); // write-through
                }
            }
            """, version);

    [Theory]
    [MemberData(nameof(Versions))]
    public Task EfCore_Sync_SetBeforeSaveChanges_MovesAfterIt(LanguageVersion version) =>
        VerifyFix("""
            class Editor
            {
                BlogDb _db = null!;
                IDatabase _cache = null!;
                public void Retitle(Post post, string title)
                {
                    post.Title = title;
                    {|CG0002:_cache.StringSet("post:" + post.Id, JsonSerializer.Serialize(post))|};
                    _db.SaveChanges();
                }
            }
            """, """
            class Editor
            {
                BlogDb _db = null!;
                IDatabase _cache = null!;
                public void Retitle(Post post, string title)
                {
                    post.Title = title;
                    _db.SaveChanges();
                    _cache.Invalidate("post:" + post.Id);
                }
            }
            """, version);

    [Fact]
    public Task EfCore_ExecuteUpdateAsync_IsADatabaseWrite() =>
        VerifyFix("""
            using Microsoft.EntityFrameworkCore;
            class Editor
            {
                BlogDb _db = null!;
                IDatabase _cache = null!;
                public async Task RetitleAsync(int id, string title)
                {
                    await _db.Posts.Where(p => p.Id == id).ExecuteUpdateAsync(s => s.SetProperty(p => p.Title, title));
                    await {|CG0002:_cache.StringSetAsync($"post:{id}:title", title)|};
                }
            }
            """.Replace("using Microsoft.EntityFrameworkCore;\n", "using System.Linq;\nusing Microsoft.EntityFrameworkCore;\n"), """
            using Microsoft.EntityFrameworkCore;
            class Editor
            {
                BlogDb _db = null!;
                IDatabase _cache = null!;
                public async Task RetitleAsync(int id, string title)
                {
                    await _db.Posts.Where(p => p.Id == id).ExecuteUpdateAsync(s => s.SetProperty(p => p.Title, title));
                    await _cache.InvalidateAsync($"post:{id}:title");
                }
            }
            """.Replace("using Microsoft.EntityFrameworkCore;\n", "using System.Linq;\nusing Microsoft.EntityFrameworkCore;\n"));

    [Theory]
    [MemberData(nameof(Versions))]
    public Task Dapper_SetBeforeExecuteAsync_MovesAfterIt_KeepingConfigureAwait(LanguageVersion version) =>
        VerifyFix("""
            class Editor
            {
                DbConnection _conn = null!;
                IDatabase _cache = null!;
                public async Task RetitleAsync(int id, string title)
                {
                    var key = $"post:{id}";
                    await {|CG0002:_cache.StringSetAsync(key, title)|}.ConfigureAwait(false);
                    await _conn.ExecuteAsync("update posts set title = @title where id = @id", new { id, title }).ConfigureAwait(false);
                }
            }
            """, """
            class Editor
            {
                DbConnection _conn = null!;
                IDatabase _cache = null!;
                public async Task RetitleAsync(int id, string title)
                {
                    var key = $"post:{id}";
                    await _conn.ExecuteAsync("update posts set title = @title where id = @id", new { id, title }).ConfigureAwait(false);
                    await _cache.InvalidateAsync(key).ConfigureAwait(false);
                }
            }
            """, version);

    [Fact]
    public Task AdoNet_SyncExecuteNonQuery_SetAfter_IsReplaced() =>
        VerifyFix("""
            class Editor
            {
                IDatabase _cache = null!;
                public void Retitle(DbCommand command, int id, string title)
                {
                    command.CommandText = "update posts set title = @title where id = @id";
                    command.ExecuteNonQuery();
                    {|CG0002:_cache.StringSet($"post:{id}:title", title, TimeSpan.FromMinutes(5), When.Always)|};
                }
            }
            """, """
            class Editor
            {
                IDatabase _cache = null!;
                public void Retitle(DbCommand command, int id, string title)
                {
                    command.CommandText = "update posts set title = @title where id = @id";
                    command.ExecuteNonQuery();
                    _cache.Invalidate($"post:{id}:title");
                }
            }
            """);

    [Fact]
    public Task AdoNet_ExecuteNonQueryAsync_SetBefore_Moves() =>
        VerifyFix("""
            class Editor
            {
                IDatabase _cache = null!;
                public async Task RetitleAsync(DbCommand command, int id, string title)
                {
                    {|CG0002:_cache.StringSet($"post:{id}:title", title)|};
                    await command.ExecuteNonQueryAsync();
                }
            }
            """, """
            class Editor
            {
                IDatabase _cache = null!;
                public async Task RetitleAsync(DbCommand command, int id, string title)
                {
                    await command.ExecuteNonQueryAsync();
                    await _cache.InvalidateAsync($"post:{id}:title");
                }
            }
            """);

    [Theory]
    [MemberData(nameof(Versions))]
    public Task Repository_WriteVerb_SetAfter_IsReplaced(LanguageVersion version) =>
        VerifyFix("""
            class Editor
            {
                IPostRepository _posts = null!;
                IDatabase _db = null!;
                public async Task RetitleAsync(Post post)
                {
                    await _posts.UpdateAsync(post);
                    await {|CG0002:_db.StringSetAsync($"post:{post.Id}", JsonSerializer.Serialize(post), TimeSpan.FromSeconds(300 + Random.Shared.Next(30)))|};
                }
            }
            """, """
            class Editor
            {
                IPostRepository _posts = null!;
                IDatabase _db = null!;
                public async Task RetitleAsync(Post post)
                {
                    await _posts.UpdateAsync(post);
                    await _db.InvalidateAsync($"post:{post.Id}");
                }
            }
            """, version);

    [Fact]
    public Task Repository_SyncWrite_SetBefore_Moves() =>
        VerifyFix("""
            class Editor
            {
                IPostRepository _posts = null!;
                IDatabase _db = null!;
                public void Retitle(Post post)
                {
                    {|CG0002:_db.StringSet($"post:{post.Id}", JsonSerializer.Serialize(post))|};
                    _posts.Update(post);
                }
            }
            """, """
            class Editor
            {
                IPostRepository _posts = null!;
                IDatabase _db = null!;
                public void Retitle(Post post)
                {
                    _posts.Update(post);
                    _db.Invalidate($"post:{post.Id}");
                }
            }
            """);

    [Fact]
    public Task StoreShapedWrite_WithoutAWriteVerb_IsADatabaseWrite() =>
        VerifyFix("""
            class Editor
            {
                IPostStore _store = null!;
                IDatabase _db = null!;
                public async Task RetitleAsync(Post post, string title)
                {
                    post.Title = title;
                    await _store.EditAsync(post);
                    await {|CG0002:_db.StringSetAsync($"post:{post.Id}", JsonSerializer.Serialize(post))|};
                }
            }
            """, """
            class Editor
            {
                IPostStore _store = null!;
                IDatabase _db = null!;
                public async Task RetitleAsync(Post post, string title)
                {
                    post.Title = title;
                    await _store.EditAsync(post);
                    await _db.InvalidateAsync($"post:{post.Id}");
                }
            }
            """);

    [Theory]
    [MemberData(nameof(Versions))]
    public Task ReturnedSetInATaskMethod_ReturnsTheInvalidation(LanguageVersion version) =>
        VerifyFix("""
            class Editor
            {
                IPostRepository _posts = null!;
                IDatabase _db = null!;
                public Task RetitleAsync(Post post)
                {
                    _posts.Update(post);
                    return {|CG0002:_db.StringSetAsync($"post:{post.Id}", JsonSerializer.Serialize(post))|};
                }
            }
            """, """
            class Editor
            {
                IPostRepository _posts = null!;
                IDatabase _db = null!;
                public Task RetitleAsync(Post post)
                {
                    _posts.Update(post);
                    return _db.InvalidateAsync($"post:{post.Id}");
                }
            }
            """, version);

    [Fact]
    public Task ReturnedSetInATaskOfBoolMethod_IsReportedWithoutFix() =>
        VerifyNoFix("""
            class Editor
            {
                IPostRepository _posts = null!;
                IDatabase _db = null!;
                public Task<bool> RetitleAsync(Post post)
                {
                    _posts.Update(post);
                    return {|CG0002:_db.StringSetAsync($"post:{post.Id}", JsonSerializer.Serialize(post))|};
                }
            }
            """);

    [Fact]
    public Task SetBetweenTwoWrites_MovesAfterTheLast() =>
        VerifyFix("""
            class Editor
            {
                IPostRepository _posts = null!;
                BlogDb _ef = null!;
                IDatabase _db = null!;
                public async Task RetitleAsync(Post post)
                {
                    await _posts.UpdateAsync(post);
                    await {|CG0002:_db.StringSetAsync($"post:{post.Id}", JsonSerializer.Serialize(post))|};
                    post.Title = post.Title.Trim();
                    await _ef.SaveChangesAsync();
                }
            }
            """, """
            class Editor
            {
                IPostRepository _posts = null!;
                BlogDb _ef = null!;
                IDatabase _db = null!;
                public async Task RetitleAsync(Post post)
                {
                    await _posts.UpdateAsync(post);
                    post.Title = post.Title.Trim();
                    await _ef.SaveChangesAsync();
                    await _db.InvalidateAsync($"post:{post.Id}");
                }
            }
            """);

    [Fact]
    public Task FixAll_MovesEveryWrite_InSourceOrder_AndMergesTheSameKey() =>
        VerifyFix("""
            class Editor
            {
                BlogDb _ef = null!;
                IDatabase _db = null!;
                public async Task RetitleAsync(Post post)
                {
                    // the post and its slug lookup
                    await {|CG0002:_db.StringSetAsync($"post:{post.Id}", JsonSerializer.Serialize(post))|};
                    await {|CG0002:_db.StringSetAsync($"post:slug:{post.Slug}", post.Id)|};
                    await _ef.SaveChangesAsync();
                    await {|CG0002:_db.StringSetAsync($"post:{post.Id}", JsonSerializer.Serialize(post))|};
                }
            }
            """, """
            class Editor
            {
                BlogDb _ef = null!;
                IDatabase _db = null!;
                public async Task RetitleAsync(Post post)
                {
                    await _ef.SaveChangesAsync();
                    // the post and its slug lookup
                    await _db.InvalidateAsync($"post:{post.Id}");
                    await _db.InvalidateAsync($"post:slug:{post.Slug}");
                    await _db.InvalidateAsync($"post:{post.Id}");
                }
            }
            """);

    [Fact]
    public Task SetInALambda_WithTheWriteInIt_IsFixedInsideTheLambda() =>
        VerifyFix("""
            class Editor
            {
                BlogDb _ef = null!;
                IDatabase _db = null!;
                public Func<Post, Task> Handler() => async post =>
                {
                    await _ef.SaveChangesAsync();
                    await {|CG0002:_db.StringSetAsync($"post:{post.Id}", JsonSerializer.Serialize(post))|};
                };
            }
            """, """
            class Editor
            {
                BlogDb _ef = null!;
                IDatabase _db = null!;
                public Func<Post, Task> Handler() => async post =>
                {
                    await _ef.SaveChangesAsync();
                    await _db.InvalidateAsync($"post:{post.Id}");
                };
            }
            """);

    [Fact]
    public Task ExistingUsing_IsNotDuplicated() =>
        Verify.VerifyCodeFixAsync("using CacheGuard;\n" + Usings + """
            class Editor
            {
                BlogDb _ef = null!;
                IDatabase _db = null!;
                public void Save(Post post)
                {
                    _ef.SaveChanges();
                    {|CG0002:_db.StringSet($"post:{post.Id}", JsonSerializer.Serialize(post))|};
                }
            }
            """ + Domain, "using CacheGuard;\n" + Usings + """
            class Editor
            {
                BlogDb _ef = null!;
                IDatabase _db = null!;
                public void Save(Post post)
                {
                    _ef.SaveChanges();
                    _db.Invalidate($"post:{post.Id}");
                }
            }
            """ + Domain);

    [Fact]
    public async Task Message_NamesTheKey()
    {
        var test = new Verify.Test
        {
            TestCode = Usings + """
                class Editor
                {
                    BlogDb _ef = null!;
                    IDatabase _db = null!;
                    public void Save(Post post)
                    {
                        _ef.SaveChanges();
                        {|#0:_db.StringSet($"post:{post.Id}", post.Title)|};
                    }
                }
                """ + Domain,
            FixedCode = FixedUsings + """
                class Editor
                {
                    BlogDb _ef = null!;
                    IDatabase _db = null!;
                    public void Save(Post post)
                    {
                        _ef.SaveChanges();
                        _db.Invalidate($"post:{post.Id}");
                    }
                }
                """ + Domain,
        };
        test.ExpectedDiagnostics.Add(Verify.Diagnostic("CG0002").WithLocation(0).WithArguments("$\"post:{post.Id}\"", "'_ef.SaveChanges()'"));
        await test.RunAsync();
    }

    [Theory]
    [MemberData(nameof(Versions))]
    public Task OtherCacheFamilies_WriteThrough_BecomesTheFamilysOwnRemove(LanguageVersion version) =>
        Verify.VerifyCodeFixAsync(Usings + """
            using Microsoft.Extensions.Caching.Distributed;
            using Microsoft.Extensions.Caching.Hybrid;
            using Microsoft.Extensions.Caching.Memory;
            class Editor
            {
                BlogDb _ef = null!;
                IDistributedCache _distributed = null!;
                IMemoryCache _memory = null!;
                HybridCache _hybrid = null!;
                public async Task SaveAsync(Post post)
                {
                    await _ef.SaveChangesAsync();
                    await {|CG0002:_distributed.SetStringAsync($"post:{post.Id}", JsonSerializer.Serialize(post))|};
                    {|CG0002:_memory.Set($"post:{post.Id}", post)|};
                    await {|CG0002:_hybrid.SetAsync($"post:{post.Id}", post)|};
                }
                public void Save(Post post)
                {
                    _ef.SaveChanges();
                    {|CG0002:_distributed.SetString($"post:{post.Id}", JsonSerializer.Serialize(post))|};
                }
            }
            """ + Domain, Usings + """
            using Microsoft.Extensions.Caching.Distributed;
            using Microsoft.Extensions.Caching.Hybrid;
            using Microsoft.Extensions.Caching.Memory;
            class Editor
            {
                BlogDb _ef = null!;
                IDistributedCache _distributed = null!;
                IMemoryCache _memory = null!;
                HybridCache _hybrid = null!;
                public async Task SaveAsync(Post post)
                {
                    await _ef.SaveChangesAsync();
                    await _distributed.RemoveAsync($"post:{post.Id}");
                    _memory.Remove($"post:{post.Id}");
                    await _hybrid.RemoveAsync($"post:{post.Id}");
                }
                public void Save(Post post)
                {
                    _ef.SaveChanges();
                    _distributed.Remove($"post:{post.Id}");
                }
            }
            """ + Domain, version);

    [Fact]
    public Task OtherCacheFamilies_SetBeforeTheWrite_MovesAfterIt() =>
        Verify.VerifyCodeFixAsync(Usings + """
            using Microsoft.Extensions.Caching.Distributed;
            class Editor
            {
                BlogDb _ef = null!;
                IDistributedCache _distributed = null!;
                public async Task SaveAsync(Post post)
                {
                    await {|CG0002:_distributed.SetStringAsync($"post:{post.Id}", JsonSerializer.Serialize(post))|};
                    _ef.Posts.Update(post);
                    await _ef.SaveChangesAsync();
                }
            }
            """ + Domain, Usings + """
            using Microsoft.Extensions.Caching.Distributed;
            class Editor
            {
                BlogDb _ef = null!;
                IDistributedCache _distributed = null!;
                public async Task SaveAsync(Post post)
                {
                    _ef.Posts.Update(post);
                    await _ef.SaveChangesAsync();
                    await _distributed.RemoveAsync($"post:{post.Id}");
                }
            }
            """ + Domain);

    [Fact]
    public Task HybridCache_InASynchronousMethod_HasNoFix() =>
        VerifyNoFix("""
            using Microsoft.Extensions.Caching.Hybrid;
            class Editor
            {
                BlogDb _ef = null!;
                HybridCache _hybrid = null!;
                public void Save(Post post)
                {
                    _ef.SaveChanges();
                    _ = {|CG0002:_hybrid.SetAsync($"post:{post.Id}", post)|};
                }
            }
            """);

    // ---- not flagged ----

    [Fact]
    public Task CacheAsideReadPath_ReadsTheDatabaseAndPopulates_IsNotFlagged() =>
        VerifyNotFlagged("""
            class Reader
            {
                IPostRepository _posts = null!;
                IPostStore _store = null!;
                IDatabase _db = null!;
                public async Task<Post?> GetAsync(int id)
                {
                    var raw = await _db.StringGetAsync($"post:{id}");
                    if (!raw.IsNullOrEmpty) return JsonSerializer.Deserialize<Post>(raw.ToString());
                    var post = await _posts.GetAsync(id) ?? await _store.LoadAsync(id);
                    if (post is null) return null;
                    await _store.LoadCommentsAsync(post);
                    await _db.StringSetAsync($"post:{id}", JsonSerializer.Serialize(post), TimeSpan.FromMinutes(5));
                    return post;
                }
            }
            """);

    [Fact]
    public Task EventDrivenProjection_WithNoDatabaseWrite_IsNotFlagged() =>
        VerifyNotFlagged("""
            record PostRetitled(int Id, string Title);
            class Projection
            {
                IDatabase _db = null!;
                public Task HandleAsync(PostRetitled e) => _db.StringSetAsync($"post:{e.Id}:title", e.Title);
            }
            """);

    [Theory]
    [InlineData("""await _db.StringSetAsync("lock:reindex", token, TimeSpan.FromSeconds(30), When.NotExists);""")]
    [InlineData("""await _db.LockTakeAsync("lock:reindex", token, TimeSpan.FromSeconds(30));""")]
    [InlineData("""await _db.StringIncrementAsync($"posts:{post.Id}:edits");""")]
    [InlineData("""await _db.StringSetAsync($"edited:{post.Id}", true, TimeSpan.FromMinutes(1));""")]
    [InlineData("""await _db.StringSetAsync($"session:{Guid.NewGuid()}", post.Id, TimeSpan.FromMinutes(20));""")]
    [InlineData("""var sid = Guid.NewGuid().ToString("N"); await _db.StringSetAsync("session:" + sid, post.Id);""")]
    [InlineData("""await _db.KeyDeleteAsync($"post:{post.Id}");""")]
    [InlineData("""await _db.InvalidateAsync($"post:{post.Id}");""")]
    public Task LocksCountersFlagsSessionsAndInvalidations_AreNotFlagged(string call) =>
        Verify.VerifyAnalyzerAsync("using CacheGuard;\n" + Usings + $$"""
            class Editor
            {
                BlogDb _ef = null!;
                IDatabase _db = null!;
                public async Task SaveAsync(Post post, string token)
                {
                    await _ef.SaveChangesAsync();
                    {{call}}
                }
            }
            """ + Domain);

    [Theory]
    [InlineData("$\"idempotency:{requestId}\"")]
    [InlineData("\"user-session:\" + requestId")]
    [InlineData("RateKey")]
    [InlineData("key")]
    public Task BookkeepingKeys_AreNotCachedRows(string key) =>
        VerifyNotFlagged($$"""
            class Orders
            {
                const string RateKey = "ratelimit:orders";
                IPostRepository _posts = null!;
                IDatabase _db = null!;
                public async Task PlaceAsync(Post post, string requestId)
                {
                    var key = $"outbox:{post.Id}";
                    await _posts.UpdateAsync(post);
                    await _db.StringSetAsync({{key}}, post.Id, TimeSpan.FromHours(24));
                }
            }
            """);

    [Fact]
    public Task CacheAsidePopulate_InAMethodThatAlsoWritesAnAuditRow_IsNotFlagged() =>
        VerifyNotFlagged("""
            class Reader
            {
                BlogDb _ef = null!;
                IDatabase _db = null!;
                public async Task<Post?> GetAsync(int id)
                {
                    var raw = await _db.StringGetAsync($"post:{id}");
                    if (raw.HasValue) return JsonSerializer.Deserialize<Post>(raw.ToString());
                    var post = await _ef.Posts.FindAsync(id);
                    await _ef.SaveChangesAsync(); // an audit row, a view count
                    await _db.StringSetAsync($"post:{id}", JsonSerializer.Serialize(post), TimeSpan.FromSeconds(300 + Random.Shared.Next(30)));
                    return post;
                }
            }
            """);

    [Fact]
    public Task SetOnABranchThatNeverWrites_IsNotFlagged() =>
        VerifyNotFlagged("""
            class Editor
            {
                IPostRepository _posts = null!;
                IDatabase _db = null!;
                public async Task SaveAsync(Post post, bool previewOnly)
                {
                    if (previewOnly)
                    {
                        await _db.StringSetAsync($"preview:{post.Id}", JsonSerializer.Serialize(post), TimeSpan.FromSeconds(60 + Random.Shared.Next(6)));
                        return;
                    }
                    await _posts.UpdateAsync(post);
                }
            }
            """);

    [Fact]
    public Task SiblingEndpointLambdas_DoNotShareAWritePath() =>
        VerifyNotFlagged("""
            class Endpoints
            {
                public void Map(Action<string, Delegate> map, IDatabase db, BlogDb ef, IPostRepository posts)
                {
                    map("GET /posts/{id}", async (int id) =>
                    {
                        var post = await posts.GetAsync(id);
                        await db.StringSetAsync($"post:{id}", JsonSerializer.Serialize(post));
                        return post;
                    });
                    map("PUT /posts/{id}", async (Post post) =>
                    {
                        await posts.UpdateAsync(post);
                        await db.KeyDeleteAsync($"post:{post.Id}");
                    });
                }
            }
            """);

    [Fact]
    public Task CollectionsAndChangeTrackingAlone_AreNotDatabaseWrites() =>
        VerifyNotFlagged("""
            using System.Collections.Generic;
            class Builder
            {
                IDatabase _db = null!;
                readonly List<Post> _pending = new();
                public void Remember(Post post)
                {
                    _pending.Add(post);
                    _db.StringSet($"post:{post.Id}", JsonSerializer.Serialize(post));
                }
            }
            """);

    // ---- flagged, but no fix ----

    [Fact]
    public Task KeyReassignedBeforeTheWrite_IsReportedWithoutFix() =>
        VerifyNoFix("""
            class Editor
            {
                BlogDb _ef = null!;
                IDatabase _db = null!;
                public async Task SaveAsync(Post post)
                {
                    var key = $"post:{post.Id}";
                    await {|CG0002:_db.StringSetAsync(key, JsonSerializer.Serialize(post))|};
                    key = $"post:slug:{post.Slug}";
                    await _ef.SaveChangesAsync();
                }
            }
            """);

    [Fact]
    public Task WriteInsideALambda_IsReportedWithoutFix() =>
        VerifyNoFix("""
            class Editor
            {
                BlogDb _ef = null!;
                IDatabase _db = null!;
                public async Task SaveAsync(Post post, Func<Func<Task>, Task> retry)
                {
                    await retry(() => _ef.SaveChangesAsync());
                    await {|CG0002:_db.StringSetAsync($"post:{post.Id}", JsonSerializer.Serialize(post))|};
                }
            }
            """);

    [Fact]
    public Task WriteInALoop_AfterTheSet_IsReportedWithoutFix() =>
        VerifyNoFix("""
            using System.Collections.Generic;
            class Editor
            {
                IPostRepository _posts = null!;
                IDatabase _db = null!;
                public async Task SaveAsync(Post post, IEnumerable<Post> related)
                {
                    await {|CG0002:_db.StringSetAsync($"post:{post.Id}", JsonSerializer.Serialize(post))|};
                    foreach (var p in related)
                        await _posts.UpdateAsync(p);
                }
            }
            """);

    [Fact]
    public Task EarlyReturnAfterAWrite_IsReportedWithoutFix() =>
        VerifyNoFix("""
            class Editor
            {
                IPostRepository _posts = null!;
                BlogDb _ef = null!;
                IDatabase _db = null!;
                public async Task SaveAsync(Post post, bool alsoTrack)
                {
                    await _posts.UpdateAsync(post);
                    await {|CG0002:_db.StringSetAsync($"post:{post.Id}", JsonSerializer.Serialize(post))|};
                    if (!alsoTrack) return;
                    await _ef.SaveChangesAsync();
                }
            }
            """);

    [Fact]
    public Task ResultUsed_OrBatch_IsReportedWithoutFix() =>
        VerifyNoFix("""
            class Editor
            {
                BlogDb _ef = null!;
                IDatabase _db = null!;
                public async Task<bool> SaveAsync(Post post)
                {
                    await _ef.SaveChangesAsync();
                    var batch = _db.CreateBatch();
                    var queued = {|CG0002:batch.StringSetAsync($"post:{post.Id}:title", post.Title)|};
                    batch.Execute();
                    await queued;
                    return await {|CG0002:_db.StringSetAsync($"post:{post.Id}", JsonSerializer.Serialize(post))|};
                }
            }
            """);

    // Fresh-corpus review (BTCPay Server): a call named like a repository write into a method of this compilation that
    // only changes memory (a dictionary) is no database write; the control's callee saves through EF Core and stays one.
    [Theory]
    [MemberData(nameof(Versions))]
    public Task VerbCallIntoAnInMemorySourceMethod_IsNoDatabaseWrite(LanguageVersion version) =>
        Verify.VerifyAnalyzerAsync(Usings + """
            class Listener
            {
                readonly System.Collections.Concurrent.ConcurrentDictionary<int, Post> _posts = new();
                public bool AddListened(Post post) => Track(post.Id, post);
                bool Track(int id, Post post) => _posts.TryAdd(id, post);
            }
            class Warmer
            {
                Listener _listener = new Listener();
                IDatabase _cache = null!;
                public async Task WarmAsync(Post post)
                {
                    await _cache.StringSetAsync($"post:{post.Id}", JsonSerializer.Serialize(post), TimeSpan.FromMinutes(5));
                    _listener.AddListened(post);
                }
            }
            """ + Domain, version);

    [Theory]
    [MemberData(nameof(Versions))]
    public Task VerbCallIntoASourceMethodThatSaves_IsADatabaseWrite(LanguageVersion version) =>
        Verify.VerifyAnalyzerAsync(Usings + """
            class PostWriter
            {
                BlogDb _db = null!;
                public async Task AddAsync(Post post) { _db.Posts.Add(post); await _db.SaveChangesAsync(); }
            }
            class Publisher
            {
                PostWriter _writer = new PostWriter();
                IDatabase _cache = null!;
                public async Task PublishAsync(Post post)
                {
                    await _writer.AddAsync(post);
                    await {|CG0002:_cache.StringSetAsync($"post:{post.Id}", JsonSerializer.Serialize(post), TimeSpan.FromMinutes(5))|};
                }
            }
            """ + Domain, version);

    // Held-out review (Cliptok): a job stamps when it last ran (the clock's reading, through a unix-time helper) and then
    // prunes rows: the stamp is a marker, not the new value of a row. The control, a row's JSON written after the save,
    // is EfCore_SetAfterSaveChangesAsync_IsReplacedInPlace.
    [Theory]
    [MemberData(nameof(Versions))]
    public Task LastRunStampFromTheClock_BeforeAPrune_IsNotAWriteThrough(LanguageVersion version) =>
        Verify.VerifyAnalyzerAsync(Usings + """
            static class TimeHelpers { public static long ToUnixTimestamp(DateTime at) => new DateTimeOffset(at).ToUnixTimeSeconds(); }
            class Pruner
            {
                BlogDb _db = null!;
                IDatabase _redis = null!;
                public async Task PruneAsync()
                {
                    await _redis.StringSetAsync("lastPrune", TimeHelpers.ToUnixTimestamp(DateTime.UtcNow));
                    await _redis.StringSetAsync("lastPruneTicks", DateTimeOffset.UtcNow.Ticks);
                    _db.Posts.RemoveRange(_db.Posts);
                    await _db.SaveChangesAsync();
                }
            }
            """ + Domain, version);
}
