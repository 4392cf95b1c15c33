using Microsoft.CodeAnalysis.CSharp;
using Verify = CacheGuard.Analyzers.Tests.Verifiers.CSharpVerifier<CacheGuard.Analyzers.Rules.InvalidateBeforeWriteAnalyzer, CacheGuard.CodeFixes.InvalidateBeforeWriteCodeFix>;

namespace CacheGuard.Analyzers.Tests.Rules;

public class InvalidateBeforeWriteAnalyzerTests
{
    private const string Usings = """
        using System;
        using System.Data.Common;
        using System.Threading.Tasks;
        using Dapper;
        using StackExchange.Redis;

        """;

    private const string FixedUsings = """
        using System;
        using System.Data.Common;
        using System.Threading.Tasks;
        using CacheGuard;
        using Dapper;
        using StackExchange.Redis;

        """;

    private const string Domain = """

        public class Post { public int Id { get; set; } public string Slug { get; set; } = ""; public string Body { get; set; } = ""; }
        public class BlogDb : Microsoft.EntityFrameworkCore.DbContext { public Microsoft.EntityFrameworkCore.DbSet<Post> Posts => Set<Post>(); }
        public interface IPostRepository { Task<Post?> GetAsync(int id); Task UpdateAsync(Post post); void Delete(int id); }
        public interface IPostStore { Task<Post?> LoadAsync(int id); Task EditAsync(Post post); }
        """;

    public static TheoryData<LanguageVersion> Versions => new() { LanguageVersion.Latest, LanguageVersion.CSharp9 };

    private static Task VerifyFix(string source, string fixedSource, LanguageVersion version = LanguageVersion.Latest) =>
        Verify.VerifyCodeFixAsync(Usings + source + Domain, FixedUsings + fixedSource + Domain, version);

    private static Task VerifyNoFix(string source) =>
        Verify.VerifyCodeFixAsync(Usings + source + Domain, Usings + source + Domain);

    private static Task VerifyNotFlagged(string source) =>
        Verify.VerifyAnalyzerAsync(Usings + source + Domain);

    // SimpleIdServer's OTP registration: the payload kept under the code the user typed is read, the code removed,
    // then the user is written. A one-time record consumed (the key is the code itself), not a cache invalidation.
    [Theory]
    [MemberData(nameof(Versions))]
    public Task AOneTimeCodeReadThenRemoved_BeforeTheWrite_IsNotFlagged(LanguageVersion version) =>
        Verify.VerifyAnalyzerAsync(Usings + """
            class Register
            {
                Microsoft.Extensions.Caching.Distributed.IDistributedCache _cache = null!;
                DbConnection _db = null!;
                public async Task ConfirmAsync(int enteredOtpCode, string name)
                {
                    var key = enteredOtpCode.ToString();
                    var email = await Microsoft.Extensions.Caching.Distributed.DistributedCacheExtensions.GetStringAsync(_cache, key);
                    await _cache.RemoveAsync(key);
                    await _db.ExecuteAsync("insert into users (name, email) values (@name, @email)", new { name, email });
                }
            }
            """ + Domain, version);

    // The same read-then-remove on a key with a prefix (a cached row) before its update is still CG0006.
    [Theory]
    [MemberData(nameof(Versions))]
    public Task ACachedRowReadThenRemoved_BeforeItsUpdate_IsFlagged(LanguageVersion version) =>
        Verify.VerifyAnalyzerAsync(Usings + """
            class Publisher
            {
                IDatabase _cache = null!;
                DbConnection _db = null!;
                public async Task RetitleAsync(int id, string body)
                {
                    var cached = await _cache.StringGetAsync($"post:{id}");
                    await {|CG0006:_cache.KeyDeleteAsync($"post:{id}")|};
                    await _db.ExecuteAsync("update posts set body = @body where id = @id", new { body, id, old = (string?)cached });
                }
            }
            """ + Domain, version);

    [Theory]
    [MemberData(nameof(Versions))]
    public Task EfCore_SyncDeleteInAsyncMethod_MovesAfterSaveChangesAsync(LanguageVersion version) =>
        VerifyFix("""
            class Publisher
            {
                BlogDb _db = null!;
                IDatabase _cache = null!;
                public async Task UpdateBodyAsync(int id, string body)
                {
                    {|CG0006:_cache.KeyDelete($"post:{id}")|}; // drop the cached copy
                    var post = (await _db.Posts.FindAsync(id))!;
                    post.Body = body;
                    await _db.SaveChangesAsync();
                }
            }
            """, """
            class Publisher
            {
                BlogDb _db = null!;
                IDatabase _cache = null!;
                public async Task UpdateBodyAsync(int id, string body)
                {
                    var post = (await _db.Posts.FindAsync(id))!;
                    post.Body = body;
                    await _db.SaveChangesAsync();
                    await _cache.InvalidateAsync($"post:{id}"); // drop the cached copy
                }
            }
            """, version);

    [Theory]
    [MemberData(nameof(Versions))]
    public Task EfCore_Sync_MovesAfterSaveChanges(LanguageVersion version) =>
        VerifyFix("""
            class Publisher
            {
                BlogDb _db = null!;
                IDatabase _cache = null!;
                public void UpdateBody(Post post, string body)
                {
                    {|CG0006:_cache.KeyDelete("post:" + post.Id)|};
                    post.Body = body;
                    _db.SaveChanges();
                }
            }
            """, """
            class Publisher
            {
                BlogDb _db = null!;
                IDatabase _cache = null!;
                public void UpdateBody(Post post, string body)
                {
                    post.Body = body;
                    _db.SaveChanges();
                    _cache.Invalidate("post:" + post.Id);
                }
            }
            """, version);

    [Fact]
    public Task Dapper_AwaitedDelete_MovesAfterExecuteAsync() =>
        VerifyFix("""
            class Publisher
            {
                DbConnection _conn = null!;
                IDatabase _cache = null!;
                public async Task UpdateBodyAsync(int id, string body)
                {
                    await {|CG0006:_cache.KeyDeleteAsync($"post:{id}")|}.ConfigureAwait(false);
                    await _conn.ExecuteAsync("update posts set body = @body where id = @id", new { id, body }).ConfigureAwait(false);
                }
            }
            """, """
            class Publisher
            {
                DbConnection _conn = null!;
                IDatabase _cache = null!;
                public async Task UpdateBodyAsync(int id, string body)
                {
                    await _conn.ExecuteAsync("update posts set body = @body where id = @id", new { id, body }).ConfigureAwait(false);
                    await _cache.InvalidateAsync($"post:{id}").ConfigureAwait(false);
                }
            }
            """);

    [Fact]
    public Task AdoNet_Sync_MovesAfterExecuteNonQuery() =>
        VerifyFix("""
            class Publisher
            {
                IDatabase _cache = null!;
                public int Delete(DbCommand command, int id)
                {
                    var key = $"post:{id}";
                    {|CG0006:_cache.KeyDelete(key)|};
                    command.CommandText = "delete from posts where id = @id";
                    var rows = command.ExecuteNonQuery();
                    return rows;
                }
            }
            """, """
            class Publisher
            {
                IDatabase _cache = null!;
                public int Delete(DbCommand command, int id)
                {
                    var key = $"post:{id}";
                    command.CommandText = "delete from posts where id = @id";
                    var rows = command.ExecuteNonQuery();
                    _cache.Invalidate(key);
                    return rows;
                }
            }
            """);

    [Theory]
    [MemberData(nameof(Versions))]
    public Task Repository_MovesAfterTheWrite(LanguageVersion version) =>
        VerifyFix("""
            class Publisher
            {
                IPostRepository _posts = null!;
                IDatabase _cache = null!;
                public async Task RewriteAsync(Post post, string body)
                {
                    await {|CG0006:_cache.KeyDeleteAsync($"post:{post.Id}")|};
                    post.Body = body;
                    await _posts.UpdateAsync(post);
                }
            }
            """, """
            class Publisher
            {
                IPostRepository _posts = null!;
                IDatabase _cache = null!;
                public async Task RewriteAsync(Post post, string body)
                {
                    post.Body = body;
                    await _posts.UpdateAsync(post);
                    await _cache.InvalidateAsync($"post:{post.Id}");
                }
            }
            """, version);

    [Fact]
    public Task StoreShapedWrite_IsADatabaseWrite() =>
        VerifyFix("""
            class Publisher
            {
                IPostStore _store = null!;
                IDatabase _cache = null!;
                public async Task RewriteAsync(Post post)
                {
                    await {|CG0006:_cache.KeyDeleteAsync($"post:{post.Id}")|};
                    await _store.EditAsync(post);
                }
            }
            """, """
            class Publisher
            {
                IPostStore _store = null!;
                IDatabase _cache = null!;
                public async Task RewriteAsync(Post post)
                {
                    await _store.EditAsync(post);
                    await _cache.InvalidateAsync($"post:{post.Id}");
                }
            }
            """);

    [Fact]
    public Task RuntimeInvalidation_BeforeTheWrite_IsMovedAsIs() =>
        Verify.VerifyCodeFixAsync("using CacheGuard;\n" + Usings + """
            class Publisher
            {
                IPostRepository _posts = null!;
                IDatabase _cache = null!;
                public async Task RewriteAsync(Post post)
                {
                    await {|CG0006:_cache.InvalidateAsync($"post:{post.Id}")|};
                    await _posts.UpdateAsync(post);
                }
            }
            """ + Domain, "using CacheGuard;\n" + Usings + """
            class Publisher
            {
                IPostRepository _posts = null!;
                IDatabase _cache = null!;
                public async Task RewriteAsync(Post post)
                {
                    await _posts.UpdateAsync(post);
                    await _cache.InvalidateAsync($"post:{post.Id}");
                }
            }
            """ + Domain);

    [Fact]
    public Task EarlyReturnBeforeAnyWrite_StillFixes() =>
        VerifyFix("""
            class Publisher
            {
                BlogDb _db = null!;
                IDatabase _cache = null!;
                public async Task<bool> UpdateBodyAsync(int id, string body)
                {
                    await {|CG0006:_cache.KeyDeleteAsync($"post:{id}")|};
                    var post = await _db.Posts.FindAsync(id) ?? throw new InvalidOperationException("no post");
                    if (post.Body == body)
                        return false;
                    post.Body = body;
                    await _db.SaveChangesAsync();
                    return true;
                }
            }
            """, """
            class Publisher
            {
                BlogDb _db = null!;
                IDatabase _cache = null!;
                public async Task<bool> UpdateBodyAsync(int id, string body)
                {
                    var post = await _db.Posts.FindAsync(id) ?? throw new InvalidOperationException("no post");
                    if (post.Body == body)
                        return false;
                    post.Body = body;
                    await _db.SaveChangesAsync();
                    await _cache.InvalidateAsync($"post:{id}");
                    return true;
                }
            }
            """);

    [Fact]
    public Task FixAll_TwoDeletes_BothMovedInOrder() =>
        VerifyFix("""
            class Publisher
            {
                BlogDb _db = null!;
                IDatabase _cache = null!;
                public async Task RewriteAsync(int id, string slug, string body)
                {
                    await {|CG0006:_cache.KeyDeleteAsync($"post:{id}")|};
                    await {|CG0006:_cache.KeyDeleteAsync($"post:slug:{slug}")|};
                    var post = (await _db.Posts.FindAsync(id))!;
                    post.Body = body;
                    await _db.SaveChangesAsync();
                }
            }
            """, """
            class Publisher
            {
                BlogDb _db = null!;
                IDatabase _cache = null!;
                public async Task RewriteAsync(int id, string slug, string body)
                {
                    var post = (await _db.Posts.FindAsync(id))!;
                    post.Body = body;
                    await _db.SaveChangesAsync();
                    await _cache.InvalidateAsync($"post:{id}");
                    await _cache.InvalidateAsync($"post:slug:{slug}");
                }
            }
            """);

    [Fact]
    public Task LoopBody_DeleteAndWriteInTheSameIteration_IsFixedInsideTheLoop() =>
        VerifyFix("""
            using System.Collections.Generic;
            class Publisher
            {
                IPostRepository _posts = null!;
                IDatabase _cache = null!;
                public void DeleteAll(IEnumerable<int> ids)
                {
                    foreach (var id in ids)
                    {
                        {|CG0006:_cache.KeyDelete($"post:{id}")|};
                        _posts.Delete(id);
                    }
                }
            }
            """, """
            using System.Collections.Generic;
            class Publisher
            {
                IPostRepository _posts = null!;
                IDatabase _cache = null!;
                public void DeleteAll(IEnumerable<int> ids)
                {
                    foreach (var id in ids)
                    {
                        _posts.Delete(id);
                        _cache.Invalidate($"post:{id}");
                    }
                }
            }
            """);

    [Fact]
    public Task ExplicitTransaction_MovesAfterTheCommit() =>
        VerifyFix("""
            using Microsoft.EntityFrameworkCore;
            class Publisher
            {
                BlogDb _db = null!;
                IDatabase _cache = null!;
                public async Task UpdateBodyAsync(Post post, string body)
                {
                    await using var transaction = await _db.Database.BeginTransactionAsync();
                    await {|CG0006:_cache.KeyDeleteAsync($"post:{post.Id}")|};
                    post.Body = body;
                    await _db.SaveChangesAsync();
                    await transaction.CommitAsync();
                }
            }
            """, """
            using Microsoft.EntityFrameworkCore;
            class Publisher
            {
                BlogDb _db = null!;
                IDatabase _cache = null!;
                public async Task UpdateBodyAsync(Post post, string body)
                {
                    await using var transaction = await _db.Database.BeginTransactionAsync();
                    post.Body = body;
                    await _db.SaveChangesAsync();
                    await transaction.CommitAsync();
                    await _cache.InvalidateAsync($"post:{post.Id}");
                }
            }
            """);

    [Fact]
    public async Task Message_NamesTheKey()
    {
        var test = new Verify.Test
        {
            TestCode = Usings + """
                class Publisher
                {
                    BlogDb _db = null!;
                    IDatabase _cache = null!;
                    public void Save(int id)
                    {
                        {|#0:_cache.KeyDelete($"post:{id}")|};
                        _db.SaveChanges();
                    }
                }
                """ + Domain,
            FixedCode = FixedUsings + """
                class Publisher
                {
                    BlogDb _db = null!;
                    IDatabase _cache = null!;
                    public void Save(int id)
                    {
                        _db.SaveChanges();
                        _cache.Invalidate($"post:{id}");
                    }
                }
                """ + Domain,
        };
        test.ExpectedDiagnostics.Add(Verify.Diagnostic("CG0006").WithLocation(0).WithArguments("$\"post:{id}\""));
        await test.RunAsync();
    }

    [Fact]
    public Task OtherCacheFamilies_RemoveBeforeTheWrite_MovesAfterIt() =>
        Verify.VerifyCodeFixAsync(Usings + """
            using Microsoft.Extensions.Caching.Distributed;
            using Microsoft.Extensions.Caching.Hybrid;
            using Microsoft.Extensions.Caching.Memory;
            class Publisher
            {
                BlogDb _ef = null!;
                IDistributedCache _distributed = null!;
                IMemoryCache _memory = null!;
                HybridCache _hybrid = null!;
                public async Task SaveAsync(Post post)
                {
                    await {|CG0006:_distributed.RemoveAsync($"post:{post.Id}")|};
                    {|CG0006:_memory.Remove($"post-local:{post.Id}")|};
                    await {|CG0006:_hybrid.RemoveAsync($"post-h:{post.Id}")|};
                    await _ef.SaveChangesAsync();
                }
            }
            """ + Domain, Usings + """
            using Microsoft.Extensions.Caching.Distributed;
            using Microsoft.Extensions.Caching.Hybrid;
            using Microsoft.Extensions.Caching.Memory;
            class Publisher
            {
                BlogDb _ef = null!;
                IDistributedCache _distributed = null!;
                IMemoryCache _memory = null!;
                HybridCache _hybrid = null!;
                public async Task SaveAsync(Post post)
                {
                    await _ef.SaveChangesAsync();
                    await _distributed.RemoveAsync($"post:{post.Id}");
                    _memory.Remove($"post-local:{post.Id}");
                    await _hybrid.RemoveAsync($"post-h:{post.Id}");
                }
            }
            """ + Domain);

    // ---- not flagged ----

    [Fact]
    public Task DeleteAfterTheWrite_IsNotFlagged() =>
        VerifyNotFlagged("""
            class Publisher
            {
                IPostStore _store = null!;
                IDatabase _db = null!;
                public async Task EditAsync(Post p)
                {
                    await _store.EditAsync(p);
                    await _db.KeyDeleteAsync($"post:{p.Id}");
                }
            }
            """);

    [Fact]
    public Task DoubleDelete_AroundTheWrite_IsNotFlagged() =>
        VerifyNotFlagged("""
            class Publisher
            {
                BlogDb _ef = null!;
                IDatabase _db = null!;
                public async Task EditAsync(Post p)
                {
                    await _db.KeyDeleteAsync($"post:{p.Id}");
                    await _ef.SaveChangesAsync();
                    await _db.KeyDeleteAsync($"post:{p.Id}");
                }
            }
            """);

    [Fact]
    public Task DeleteWithNoDatabaseWrite_IsNotFlagged() =>
        VerifyNotFlagged("""
            class Publisher
            {
                IPostRepository _posts = null!;
                IDatabase _db = null!;
                public async Task<Post?> RefreshAsync(int id)
                {
                    await _db.KeyDeleteAsync($"post:{id}");
                    return await _posts.GetAsync(id);
                }
            }
            """);

    [Fact]
    public Task LockReleaseAndCounterReset_AreNotInvalidations() =>
        VerifyNotFlagged("""
            class Job
            {
                BlogDb _ef = null!;
                IDatabase _db = null!;
                public async Task RunAsync(string token)
                {
                    if (!await _db.StringSetAsync("lock:reindex", token, TimeSpan.FromSeconds(30), When.NotExists))
                        return;
                    try { await Task.Delay(1); }
                    finally { await _db.KeyDeleteAsync("lock:reindex"); }
                    await _db.StringIncrementAsync("reindex:runs");
                    await _db.KeyDeleteAsync("reindex:runs");
                    await _ef.SaveChangesAsync();
                }
            }
            """);

    [Fact]
    public Task DeleteOnAPathThatNeverWrites_IsNotFlagged() =>
        VerifyNotFlagged("""
            class Publisher
            {
                IPostRepository _posts = null!;
                IDatabase _cache = null!;
                public async Task SaveAsync(Post post, bool evictOnly, int mode)
                {
                    if (evictOnly)
                    {
                        await _cache.KeyDeleteAsync($"post:{post.Id}");
                        return;
                    }
                    switch (mode)
                    {
                        case 2:
                            await _cache.KeyDeleteAsync($"post:{post.Id}:preview");
                            break;
                        case 3:
                            await _posts.UpdateAsync(post);
                            break;
                    }
                }

                public async Task PublishAsync(Post post, int mode)
                {
                    if (mode == 1)
                        await _cache.KeyDeleteAsync($"post:{post.Id}:draft");
                    else
                        await _posts.UpdateAsync(post);
                }
            }
            """);

    [Fact]
    public Task BookkeepingKeys_AreNotInvalidations() =>
        VerifyNotFlagged("""
            class Checkout
            {
                IPostRepository _posts = null!;
                IDatabase _db = null!;
                public async Task CompleteAsync(Post post, string sessionId)
                {
                    await _db.KeyDeleteAsync($"session:{sessionId}");
                    await _db.KeyDeleteAsync("idempotency:" + post.Id);
                    await _posts.UpdateAsync(post);
                }
            }
            """);

    [Fact]
    public Task SiblingLambdas_DoNotShareAWritePath() =>
        VerifyNotFlagged("""
            class Endpoints
            {
                public void Map(Action<string, Delegate> map, IDatabase db, IPostRepository posts)
                {
                    map("POST /posts/{id}/refresh", async (int id) => await db.KeyDeleteAsync($"post:{id}"));
                    map("PUT /posts/{id}", async (Post post) => await posts.UpdateAsync(post));
                }
            }
            """);

    // ---- flagged, but no fix ----

    [Fact]
    public Task WriteInALoop_IsReportedWithoutFix() =>
        VerifyNoFix("""
            using System.Collections.Generic;
            class Publisher
            {
                IPostRepository _posts = null!;
                IDatabase _cache = null!;
                public async Task SaveAllAsync(int listId, IEnumerable<Post> posts)
                {
                    await {|CG0006:_cache.KeyDeleteAsync($"list:{listId}")|};
                    foreach (var post in posts)
                        await _posts.UpdateAsync(post);
                }
            }
            """);

    [Fact]
    public Task EarlyReturnAfterAWrite_IsReportedWithoutFix() =>
        VerifyNoFix("""
            class Publisher
            {
                IPostRepository _posts = null!;
                BlogDb _ef = null!;
                IDatabase _cache = null!;
                public async Task SaveAsync(Post post, bool alsoTrack)
                {
                    await _posts.UpdateAsync(post);
                    await {|CG0006:_cache.KeyDeleteAsync($"post:{post.Id}")|};
                    if (!alsoTrack) return;
                    await _ef.SaveChangesAsync();
                }
            }
            """);

    [Fact]
    public Task WriteInsideTryFinally_IsReportedWithoutFix() =>
        VerifyNoFix("""
            class Publisher
            {
                BlogDb _ef = null!;
                IDatabase _cache = null!;
                public async Task SaveAsync(Post post, Action done)
                {
                    await {|CG0006:_cache.KeyDeleteAsync($"post:{post.Id}")|};
                    try { await _ef.SaveChangesAsync(); }
                    finally { done(); }
                }
            }
            """);

    [Fact]
    public Task WriteInsideALambda_IsReportedWithoutFix() =>
        VerifyNoFix("""
            class Publisher
            {
                BlogDb _ef = null!;
                IDatabase _cache = null!;
                public async Task SaveAsync(Post post, Func<Func<Task>, Task> retry)
                {
                    await {|CG0006:_cache.KeyDeleteAsync($"post:{post.Id}")|};
                    await retry(() => _ef.SaveChangesAsync());
                }
            }
            """);

    [Fact]
    public Task DeleteResultUsed_OrKeyChanged_IsReportedWithoutFix() =>
        VerifyNoFix("""
            class Publisher
            {
                BlogDb _ef = null!;
                IDatabase _cache = null!;
                public async Task<bool> SaveAsync(Post post, string slug)
                {
                    var key = $"post:slug:{post.Slug}";
                    var existed = await {|CG0006:_cache.KeyDeleteAsync($"post:{post.Id}")|};
                    {|CG0006:_cache.KeyDelete(key)|};
                    key = $"post:slug:{slug}";
                    post.Slug = slug;
                    await _ef.SaveChangesAsync();
                    return existed;
                }
            }
            """);

    [Fact]
    public Task DeleteInsideAnIf_WithTheWriteOutside_IsReportedWithoutFix() =>
        VerifyNoFix("""
            class Publisher
            {
                BlogDb _ef = null!;
                IDatabase _cache = null!;
                public async Task SaveAsync(Post post, bool changed)
                {
                    if (changed)
                    {
                        await {|CG0006:_cache.KeyDeleteAsync($"post:{post.Id}")|};
                    }
                    await _ef.SaveChangesAsync();
                }
            }
            """);

    // Calls into the project's own services: only a call whose every body just clears keys is an
    // invalidation. A service method that writes the database and then clears its own keys is a
    // write path of its own (issue 18: grandnode2, Exceptionless).
    private const string LabelServices = """

        public sealed class Label { public string Id { get; set; } = ""; public string Name { get; set; } = ""; }
        public interface ILabelRepository { Task InsertAsync(Label label); Task UpdateUsageAsync(string labelId, int delta); }
        public interface ITicketRepository { Task RemoveLabelAsync(string ticketId, string labelId); }
        public interface ILabelCache { Task RemoveAsync(string key); }
        public sealed class LabelCache(IDatabase db) : ILabelCache
        {
            public async Task RemoveAsync(string key) => await db.KeyDeleteAsync(key);
        }
        public interface ILabelService
        {
            Task DetachLabelAsync(string labelId, string ticketId);
            Task ForgetLabelAsync(string labelId);
        }
        public class LabelService(ILabelRepository labels, ITicketRepository tickets, ILabelCache cache) : ILabelService
        {
            public virtual async Task DetachLabelAsync(string labelId, string ticketId)
            {
                await tickets.RemoveLabelAsync(ticketId, labelId);
                await labels.UpdateUsageAsync(labelId, -1);
                await cache.RemoveAsync($"ticket:{ticketId}");
                await cache.RemoveAsync($"label-usage:{labelId}");
            }

            public virtual Task ForgetLabelAsync(string labelId) => cache.RemoveAsync($"label:{labelId}");
        }
        """;

    [Fact]
    public Task InvalidationOnlyServiceMethod_CalledThroughItsInterface_BeforeTheWrite_IsReported() =>
        Verify.VerifyAnalyzerAsync(Usings + """
            public sealed class Renamer(ILabelService service, ILabelRepository labels)
            {
                public async Task RenameAsync(Label label, string name)
                {
                    await {|CG0006:service.ForgetLabelAsync(label.Id)|};
                    label.Name = name;
                    await labels.InsertAsync(label);
                }
            }
            """ + LabelServices);

    [Fact]
    public Task ServiceMethodThatWritesThenClearsItsKeys_CalledThroughItsInterface_BeforeAnotherWrite_IsNotReported() =>
        VerifyNotFlagged("""
            public sealed class Relabeler(ILabelService service, ILabelRepository labels)
            {
                public async Task RelabelAsync(string ticketId, string oldLabelId, string newName)
                {
                    await service.DetachLabelAsync(oldLabelId, ticketId);
                    await labels.InsertAsync(new Label { Id = Guid.NewGuid().ToString("N"), Name = newName });
                }
            }
            """ + LabelServices);

    [Fact]
    public Task InterfaceMember_WithOneImplementationThatWritesFirst_IsNotReported() =>
        VerifyNotFlagged("""
            public interface IShelfService { Task ClearShelfAsync(string shelfId); }
            public sealed class CachedShelves(IDatabase db) : IShelfService
            {
                public async Task ClearShelfAsync(string shelfId) => await db.KeyDeleteAsync($"shelf:{shelfId}");
            }
            public sealed class StoredShelves(IDatabase db, ILabelRepository labels) : IShelfService
            {
                public async Task ClearShelfAsync(string shelfId)
                {
                    await labels.UpdateUsageAsync(shelfId, 0);
                    await labels.InsertAsync(new Label { Id = shelfId });
                    await db.KeyDeleteAsync($"shelf:{shelfId}");
                }
            }
            public sealed class Restocker(IShelfService shelves, ILabelRepository labels)
            {
                public async Task RestockAsync(string shelfId, Label label)
                {
                    await shelves.ClearShelfAsync(shelfId);
                    await labels.InsertAsync(label);
                }
            }
            """ + LabelServices);

    [Fact]
    public Task InvalidationOnlyHelper_LoopingOverKeys_BeforeTheWrite_IsReported() =>
        Verify.VerifyAnalyzerAsync(Usings + """
            public sealed class Archiver(ILabelCache cache, ILabelRepository labels)
            {
                public async Task ArchiveAsync(Label label, string[] tickets)
                {
                    await {|CG0006:ForgetTicketsAsync(label.Id, tickets)|};
                    await labels.InsertAsync(label);
                }

                private async Task ForgetTicketsAsync(string labelId, string[] tickets)
                {
                    foreach (var ticket in tickets)
                        await cache.RemoveAsync($"ticket:{ticket}:{labelId}");
                }
            }
            """ + LabelServices);

    [Fact]
    public Task HelperWhoseCacheCallsDoNotBind_IsNotReported() =>
        // Unresolved types (a missing package): the helper's delete is seen only by the syntax catalog,
        // not by the semantic model, so nothing shows it is an invalidation only.
        Verify.VerifyAnalyzerAsync(Usings + """
            public sealed class Cleanup(ILabelService service, ILabelRepository labels, IPagedSource source)
            {
                public async Task RemoveAsync(string organizationId, Label label)
                {
                    await ForgetAllAsync(organizationId);
                    await labels.InsertAsync(label);
                }

                private async Task ForgetAllAsync(string organizationId)
                {
                    var page = await source.PageAsync(organizationId);
                    foreach (var item in page.Items)
                        await service.ForgetLabelAsync(item.Id);
                }
            }
            public interface IPagedSource { Task<{|CS0246:PagedResults<Label>|}> PageAsync(string organizationId); }
            """ + LabelServices);
}
