using System.Collections.Immutable;
using System.Reflection;
using Microsoft.CodeAnalysis;
using Microsoft.Extensions.Caching.Distributed;
using Microsoft.Extensions.Caching.StackExchangeRedis;
using Microsoft.Extensions.Options;
using StackExchange.Redis;

namespace CacheGuard.Behavior.Tests.Fixes;

/// <summary>
/// CG0002 and CG0006 over <c>IDistributedCache</c>, end to end on the real Redis-backed
/// <c>RedisCache</c> (Microsoft.Extensions.Caching.StackExchangeRedis) and a real redis-server. The
/// fixes (applied through the code-fix API) write the family's own <c>RemoveAsync</c> after the last
/// database write. Sequential edits read back the same in both versions; the interleavings the rules
/// are about leave the original serving a row the database no longer has, and the fixed code the
/// committed row. Interleavings are forced with gates inside the fake table, never with sleeps.
/// </summary>
[Collection(RedisNodeCollection.Name)]
public sealed class DistributedCacheWritePathFixTests
{
    private const string Sample = """
        using System;
        using System.Collections.Concurrent;
        using System.Text.Json;
        using System.Threading.Tasks;
        using Microsoft.Extensions.Caching.Distributed;

        namespace Blog;

        public sealed class Post { public int Id { get; set; } public string Title { get; set; } = ""; }

        public interface IPostTable { Task<Post?> LoadAsync(int id); Task UpdateAsync(Post post); }

        /// <summary>The database; a test can hold a write (after it committed, or before) on a gate.</summary>
        public sealed class PostTable : IPostTable
        {
            private readonly ConcurrentDictionary<int, string> _rows = new();
            public Func<Post, Task>? AfterCommit;
            public Func<Post, Task>? BeforeCommit;
            public Task<Post?> LoadAsync(int id) =>
                Task.FromResult(_rows.TryGetValue(id, out var t) ? new Post { Id = id, Title = t } : null);
            public async Task UpdateAsync(Post post)
            {
                if (BeforeCommit is { } before) await before(post);
                _rows[post.Id] = post.Title;
                if (AfterCommit is { } after) await after(post);
            }
        }

        public sealed class PostReader
        {
            private readonly IDistributedCache _cache;
            private readonly IPostTable _table;
            public PostReader(IDistributedCache cache, IPostTable table) { _cache = cache; _table = table; }

            public async Task<string?> TitleAsync(int id)
            {
                var json = await _cache.GetStringAsync($"post:{id}");
                if (json is not null) return JsonSerializer.Deserialize<Post>(json)?.Title;
                var post = await _table.LoadAsync(id);
                if (post is null) return null;
                await _cache.SetStringAsync($"post:{id}", JsonSerializer.Serialize(post), new DistributedCacheEntryOptions { AbsoluteExpirationRelativeToNow = TimeSpan.FromSeconds(300 + Random.Shared.Next(30)) });
                return post.Title;
            }
        }

        public sealed class PostEditor
        {
            private readonly IDistributedCache _cache;
            private readonly IPostTable _table;
            public PostEditor(IDistributedCache cache, IPostTable table) { _cache = cache; _table = table; }

            public async Task RetitleAsync(Post post)
            {
                await _table.UpdateAsync(post);
                await _cache.SetStringAsync($"post:{post.Id}", JsonSerializer.Serialize(post), new DistributedCacheEntryOptions { AbsoluteExpirationRelativeToNow = TimeSpan.FromSeconds(300 + Random.Shared.Next(30)) });
            }

            public async Task RenameAsync(Post post)
            {
                await _cache.RemoveAsync($"post:{post.Id}");
                await _table.UpdateAsync(post);
            }
        }
        """;

    private readonly RedisNode _redis;

    public DistributedCacheWritePathFixTests(RedisNode redis) => _redis = redis;

    [Fact]
    public async Task Fixes_WriteRemoveAsyncAfterTheWrite()
    {
        var result = await FixApplier.ApplyAsync(Sample, References.Value, "CG0002", "CG0006");
        Assert.Equal(2, result.Applied.Count);
        Assert.DoesNotContain(result.Remaining, d => d.StartsWith("CG0002") || d.StartsWith("CG0006"));
        Assert.Contains("""
                    await _table.UpdateAsync(post);
                    await _cache.RemoveAsync($"post:{post.Id}");
                }

                public async Task RenameAsync(Post post)
                {
                    await _table.UpdateAsync(post);
                    await _cache.RemoveAsync($"post:{post.Id}");
                }
            """.Replace("\r\n", "\n"), result.Source.Replace("\r\n", "\n"));
    }

    [Theory]
    [InlineData(false)]
    [InlineData(true)]
    public async Task SequentialEdits_ReadBackTheSame(bool fixedCode)
    {
        var (reader, editor, table) = await CreateAsync(fixedCode);
        await Update(table, 1, "first");
        Assert.Equal("first", await reader.TitleAsync(1));
        await editor.RetitleAsync(1, "second");
        Assert.Equal("second", await reader.TitleAsync(1));
        await editor.RenameAsync(1, "third");
        Assert.Equal("third", await reader.TitleAsync(1));
        Assert.Equal("third", await reader.TitleAsync(1));
    }

    /// <summary>CG0002: writer A commits "a" and stalls; writer B commits "b" and caches it; A then caches "a".</summary>
    [Theory]
    [InlineData(false, "a")]
    [InlineData(true, "b")]
    public async Task TwoWritersRacing_LeaveTheCommittedRowReadable_OnlyWhenFixed(bool fixedCode, string expectedRead)
    {
        var (reader, editor, table) = await CreateAsync(fixedCode);
        await Update(table, 2, "start");
        var aCommitted = new TaskCompletionSource(TaskCreationOptions.RunContinuationsAsynchronously);
        var releaseA = new TaskCompletionSource(TaskCreationOptions.RunContinuationsAsynchronously);
        table.SetAfterCommit(async post =>
        {
            if (post.Title != "a") return;
            aCommitted.TrySetResult();
            await releaseA.Task;
        });
        var a = editor.RetitleAsync(2, "a");
        await aCommitted.Task.WaitAsync(TimeSpan.FromSeconds(30));
        await editor.RetitleAsync(2, "b");
        releaseA.TrySetResult();
        await a.WaitAsync(TimeSpan.FromSeconds(30));

        Assert.Equal("b", (await table.LoadTitleAsync(2)));
        Assert.Equal(expectedRead, await reader.TitleAsync(2));
    }

    /// <summary>CG0006: the editor removes the key, a reader repopulates the old row before the write commits.</summary>
    [Theory]
    [InlineData(false, "old")]
    [InlineData(true, "new")]
    public async Task ReaderBetweenRemoveAndWrite_KeepsTheOldRow_OnlyInTheOriginal(bool fixedCode, string expectedRead)
    {
        var (reader, editor, table) = await CreateAsync(fixedCode);
        await Update(table, 3, "old");
        Assert.Equal("old", await reader.TitleAsync(3));
        var writing = new TaskCompletionSource(TaskCreationOptions.RunContinuationsAsynchronously);
        var commit = new TaskCompletionSource(TaskCreationOptions.RunContinuationsAsynchronously);
        table.SetBeforeCommit(async post =>
        {
            writing.TrySetResult();
            await commit.Task;
        });
        var rename = editor.RenameAsync(3, "new");
        await writing.Task.WaitAsync(TimeSpan.FromSeconds(30));
        Assert.Equal("old", await reader.TitleAsync(3)); // the write has not committed: old is right, now
        commit.TrySetResult();
        await rename.WaitAsync(TimeSpan.FromSeconds(30));

        Assert.Equal(expectedRead, await reader.TitleAsync(3));
    }

    private static Task Update(Table table, int id, string title) => table.UpdateAsync(id, title);

    private async Task<(Reader, Editor, Table)> CreateAsync(bool fixedCode)
    {
        await _redis.Connection.GetServers()[0].FlushDatabaseAsync();
        var assembly = fixedCode ? FixedAssembly.Value : OriginalAssembly.Value;
        var cache = new RedisCache(Options.Create(new RedisCacheOptions
        {
            ConnectionMultiplexerFactory = () => Task.FromResult<IConnectionMultiplexer>(_redis.Connection),
        }));
        var table = new Table(assembly);
        var reader = new Reader(Activator.CreateInstance(assembly.GetType("Blog.PostReader", true)!, cache, table.Instance)!);
        var editor = new Editor(Activator.CreateInstance(assembly.GetType("Blog.PostEditor", true)!, cache, table.Instance)!, assembly);
        return (reader, editor, table);
    }

    private sealed class Table
    {
        private readonly Assembly _assembly;
        public Table(Assembly assembly)
        {
            _assembly = assembly;
            Instance = Activator.CreateInstance(assembly.GetType("Blog.PostTable", true)!)!;
        }

        public object Instance { get; }

        public Task UpdateAsync(int id, string title) => (Task)Instance.GetType().GetMethod("UpdateAsync")!.Invoke(Instance, new[] { NewPost(_assembly, id, title) })!;

        public async Task<string?> LoadTitleAsync(int id)
        {
            var task = (Task)Instance.GetType().GetMethod("LoadAsync")!.Invoke(Instance, new object[] { id })!;
            await task;
            var post = task.GetType().GetProperty("Result")!.GetValue(task);
            return (string?)post?.GetType().GetProperty("Title")!.GetValue(post);
        }

        public void SetAfterCommit(Func<Post, Task> hook) => Set("AfterCommit", hook);
        public void SetBeforeCommit(Func<Post, Task> hook) => Set("BeforeCommit", hook);

        private void Set(string field, Func<Post, Task> hook)
        {
            var postType = _assembly.GetType("Blog.Post", true)!;
            Func<object, Task> adapter = p => hook(new Post((string)postType.GetProperty("Title")!.GetValue(p)!));
            // Func<Blog.Post, Task> from Func<object, Task> (contravariant).
            Instance.GetType().GetField(field)!.SetValue(Instance, adapter);
        }
    }

    public sealed record Post(string Title);

    private sealed class Reader
    {
        private readonly object _reader;
        public Reader(object reader) => _reader = reader;
        public Task<string?> TitleAsync(int id) => (Task<string?>)_reader.GetType().GetMethod("TitleAsync")!.Invoke(_reader, new object[] { id })!;
    }

    private sealed class Editor
    {
        private readonly object _editor;
        private readonly Assembly _assembly;
        public Editor(object editor, Assembly assembly) { _editor = editor; _assembly = assembly; }
        public Task RetitleAsync(int id, string title) => (Task)_editor.GetType().GetMethod("RetitleAsync")!.Invoke(_editor, new[] { NewPost(_assembly, id, title) })!;
        public Task RenameAsync(int id, string title) => (Task)_editor.GetType().GetMethod("RenameAsync")!.Invoke(_editor, new[] { NewPost(_assembly, id, title) })!;
    }

    private static object NewPost(Assembly assembly, int id, string title)
    {
        var post = Activator.CreateInstance(assembly.GetType("Blog.Post", true)!)!;
        post.GetType().GetProperty("Id")!.SetValue(post, id);
        post.GetType().GetProperty("Title")!.SetValue(post, title);
        return post;
    }

    private static readonly Lazy<ImmutableArray<MetadataReference>> References = new(() =>
        SampleCompiler.ReferencesFor(typeof(IDatabase).Assembly, typeof(CacheGuardDatabaseExtensions).Assembly, typeof(IDistributedCache).Assembly));

    private static readonly Lazy<Assembly> OriginalAssembly = new(() => SampleCompiler.Compile(Sample, "Blog.Distributed.Original", References.Value));

    private static readonly Lazy<Assembly> FixedAssembly = new(() =>
        SampleCompiler.Compile(FixApplier.ApplyAsync(Sample, References.Value, "CG0002", "CG0006").GetAwaiter().GetResult().Source, "Blog.Distributed.Fixed", References.Value));
}
