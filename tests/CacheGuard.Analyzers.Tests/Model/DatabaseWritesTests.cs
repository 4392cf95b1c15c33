using System.Collections.Immutable;
using CacheGuard.Analyzers.Model;
using CacheGuard.Analyzers.Rules;
using CacheGuard.Analyzers.Tests.Verifiers;
using Microsoft.CodeAnalysis;
using Microsoft.CodeAnalysis.CSharp;
using Microsoft.CodeAnalysis.CSharp.Syntax;
using Microsoft.CodeAnalysis.Diagnostics;
using Microsoft.CodeAnalysis.Operations;

namespace CacheGuard.Analyzers.Tests.Model;

public class DatabaseWritesTests
{
    private const string Source = """
        using System.Collections.Generic;
        using System.Data.Common;
        using System.Threading.Tasks;
        using Dapper;
        using Microsoft.EntityFrameworkCore;
        using StackExchange.Redis;

        public class Post { public int Id { get; set; } }
        public class PostQuery { public string Text { get; set; } = ""; }
        public class BlogDb : DbContext { public DbSet<Post> Posts => Set<Post>(); }
        public interface IPostStore
        {
            Task<Post?> LoadAsync(int id);
            Task<Post?> ByHandleAsync(string handle);
            Task EditAsync(Post post);
            Task LoadCommentsAsync(Post post);
            Task ValidateAsync(Post post);
            Task SearchAsync(PostQuery query);
            void Publish(int id);
        }
        public interface IPostRepository { Task ArchiveAsync(Post post); Task<int> UpdateAsync(Post post); }
        public interface IUnitOfWork { Task CommitAsync(); }
        public class PostService { public Task EditAsync(Post post) => Task.CompletedTask; }
        public class PostCacheStore { public Task EditAsync(Post post) => Task.CompletedTask; }

        class Calls
        {
            void Run(IPostStore store, IPostRepository repo, IUnitOfWork uow, PostService service, PostCacheStore cacheStore,
                BlogDb db, DbConnection conn, DbCommand command, IDatabase redis, List<Post> list, Post post,
                DbTransaction transaction, Microsoft.EntityFrameworkCore.Storage.IDbContextTransaction efTransaction)
            {
                CALL;
            }
        }
        """;

    [Theory]
    [InlineData("store.EditAsync(post)", "Edit")]
    [InlineData("repo.ArchiveAsync(post)", "Archive")]
    [InlineData("repo.UpdateAsync(post)", "Update")]
    [InlineData("uow.CommitAsync()", "Commit")]
    [InlineData("db.SaveChangesAsync()", "SaveChangesAsync")]
    [InlineData("db.SaveChanges()", "SaveChanges")]
    [InlineData("db.Posts.ExecuteDeleteAsync()", "ExecuteDeleteAsync")]
    [InlineData("conn.ExecuteAsync(\"delete from posts\")", "ExecuteAsync")]
    [InlineData("command.ExecuteNonQueryAsync()", "ExecuteNonQueryAsync")]
    [InlineData("transaction.Commit()", "Commit")]
    [InlineData("efTransaction.CommitAsync()", "CommitAsync")]
    public void Writes_AreRecognized(string call, string verb) =>
        Assert.Equal(verb, Recognize(call)?.Verb);

    [Theory]
    [InlineData("store.LoadAsync(1)")]
    [InlineData("store.ByHandleAsync(\"h\")")]
    [InlineData("store.LoadCommentsAsync(post)")]
    [InlineData("store.ValidateAsync(post)")]
    [InlineData("store.SearchAsync(new PostQuery())")]
    [InlineData("store.Publish(1)")]
    [InlineData("service.EditAsync(post)")]
    [InlineData("cacheStore.EditAsync(post)")]
    [InlineData("list.Add(post)")]
    [InlineData("db.Posts.Add(post)")]
    [InlineData("conn.QueryAsync<Post>(\"select * from posts\")")]
    [InlineData("redis.StringSetAsync(\"k\", \"v\")")]
    public void ReadsCollectionsAndCaches_AreNotWrites(string call) =>
        Assert.Null(Recognize(call));

    [Fact]
    public async Task OneLine_CarriesBothCG0001_AndCG0002()
    {
        var tree = CSharpSyntaxTree.ParseText("""
            using System;
            using System.Threading.Tasks;
            using StackExchange.Redis;
            public class Post { public int Id { get; set; } }
            public interface IPostRepository { Task UpdateAsync(Post post); }
            class Editor
            {
                IPostRepository _posts = null!;
                IDatabase _db = null!;
                async Task SaveAsync(Post post)
                {
                    await _posts.UpdateAsync(post);
                    await _db.StringSetAsync($"post:{post.Id}", post.ToString(), TimeSpan.FromMinutes(5));
                }
            }
            """);
        var compilation = CSharpCompilation.Create("t", new[] { tree }, References.All, new CSharpCompilationOptions(OutputKind.DynamicallyLinkedLibrary, nullableContextOptions: NullableContextOptions.Enable));
        var analyzers = ImmutableArray.Create<DiagnosticAnalyzer>(new FixedTtlAnalyzer(), new SetOnWriteAnalyzer(), new InvalidateBeforeWriteAnalyzer());
        var diagnostics = await compilation.WithAnalyzers(analyzers).GetAnalyzerDiagnosticsAsync();
        Assert.Equal(new[] { "CG0001", "CG0002" }, diagnostics.Select(d => d.Id).OrderBy(id => id));
        Assert.Single(diagnostics.Select(d => d.Location.GetLineSpan().StartLinePosition.Line).Distinct());
    }

    private static DatabaseWrite? Recognize(string call)
    {
        var tree = CSharpSyntaxTree.ParseText(Source.Replace("CALL", call));
        var compilation = CSharpCompilation.Create("t", new[] { tree }, References.All, new CSharpCompilationOptions(OutputKind.DynamicallyLinkedLibrary, nullableContextOptions: NullableContextOptions.Enable));
        var errors = compilation.GetDiagnostics().Where(d => d.Severity == DiagnosticSeverity.Error).ToList();
        Assert.Empty(errors);
        var model = compilation.GetSemanticModel(tree);
        var run = tree.GetRoot().DescendantNodes().OfType<MethodDeclarationSyntax>().Single(m => m.Identifier.ValueText == "Run");
        var invocation = (InvocationExpressionSyntax)((ExpressionStatementSyntax)run.Body!.Statements.Single()).Expression;
        var operation = (IInvocationOperation)model.GetOperation(invocation)!;
        return DatabaseWrites.Recognize(operation, CacheApi.TryCreate(compilation)!, DatabaseWrites.DefaultVerbs);
    }
}
