using CacheGuard.Testing.Redis;
using StackExchange.Redis;
using Xunit.Abstractions;

namespace CacheGuard.Behavior.Tests.WritePath;

/// <summary>One redis-server for the class; each test gets its own database and connection.</summary>
public sealed class RedisServerFixture : IAsyncLifetime
{
    public RedisServerProcess Server { get; private set; } = null!;

    public async Task InitializeAsync() => Server = await RedisServerProcess.StartAsync();

    public async Task DisposeAsync() => await Server.DisposeAsync();
}

/// <summary>
/// Hole 2 end to end (CG0002): a write path that sets the new value into the cache against the
/// same code after CacheGuard's fixes (CG0002's and CG0004's, applied through the code-fix API), with concurrent writers and readers on a real redis-server
/// and a real SQLite database. A read is stale when it returns a version older than one a writer
/// had already committed and returned before the read started.
/// </summary>
public sealed class WritePathConsistencyTests(RedisServerFixture redis, ITestOutputHelper output) : IClassFixture<RedisServerFixture>, IAsyncLifetime
{
    private static readonly TimeSpan Bound = TimeSpan.FromSeconds(60);
    private const int PostId = 1;

    private ConnectionMultiplexer _connection = null!;
    private PostTable _posts = null!;

    public async Task InitializeAsync()
    {
        var options = ConfigurationOptions.Parse(redis.Server.Endpoint);
        options.AllowAdmin = true;
        _connection = await ConnectionMultiplexer.ConnectAsync(options);
        CacheGuardDatabaseExtensions.Configure(_connection, new CacheGuardOptions
        {
            PollInterval = TimeSpan.FromMilliseconds(20),
            WaitDeadline = TimeSpan.FromSeconds(30),
        });
        await _connection.GetServers()[0].FlushDatabaseAsync();
        _posts = await PostTable.CreateAsync(PostId, "first");
    }

    public async Task DisposeAsync()
    {
        await _connection.DisposeAsync();
        _posts.Dispose();
    }

    private async Task<IPostService> Service(bool fixedCode)
    {
        var sample = await WritePathSample.BuildAsync();
        return WritePathSample.Create(fixedCode ? sample.Fixed : sample.Original, _connection.GetDatabase(), _posts);
    }

    /// <summary>The fixed sample is what CacheGuard's fixes produce: the write path invalidates after the commit, the read path is GetOrSet.</summary>
    [Fact]
    public async Task FixedSample_IsTheCodeFixesOutput()
    {
        var (_, _, fixedSource) = await WritePathSample.BuildAsync();
        output.WriteLine(fixedSource);
        Assert.Contains("""
                    await afterCommit(version);
                    await _cache.InvalidateAsync($"post:{id}");
                    return version;
            """.Replace("\r\n", "\n"), fixedSource.Replace("\r\n", "\n"));
        Assert.Contains("GetOrSetAsync", fixedSource);
        Assert.DoesNotContain("StringSetAsync", fixedSource);
    }

    /// <summary>
    /// Writer A commits, pauses; writer B commits a newer version, updates the cache and returns;
    /// A resumes and returns. Set-on-write leaves A's older value in the cache for every later
    /// reader; invalidating after the commit leaves the committed row.
    /// </summary>
    [Theory]
    [InlineData(false)]
    [InlineData(true)]
    public async Task TwoWriters_OneDelayedAfterItsCommit(bool fixedCode)
    {
        var service = await Service(fixedCode);
        Assert.Equal(1, (await service.GetAsync(PostId))!.Version); // cached before the writes

        var aCommitted = new TaskCompletionSource(TaskCreationOptions.RunContinuationsAsynchronously);
        var bReturned = new TaskCompletionSource(TaskCreationOptions.RunContinuationsAsynchronously);
        var writerA = service.RetitleAsync(PostId, "from A", async _ =>
        {
            aCommitted.SetResult();
            await bReturned.Task;
        });
        await aCommitted.Task.WaitAsync(Bound);
        var versionB = await service.RetitleAsync(PostId, "from B", _ => Task.CompletedTask).WaitAsync(Bound);
        bReturned.SetResult();
        var versionA = await writerA.WaitAsync(Bound);
        Assert.True(versionB > versionA);

        var read = await service.GetAsync(PostId);
        var committed = await _posts.LoadAsync(PostId);
        output.WriteLine($"{(fixedCode ? "fixed" : "set-on-write")}: committed v{committed!.Version} '{committed.Title}', read v{read!.Version} '{read.Title}'");
        if (fixedCode)
        {
            Assert.Equal(committed, read);
        }
        else
        {
            Assert.Equal(versionA, read.Version); // stale: the older write landed last in the cache
            Assert.True(read.Version < committed.Version);
        }
    }

    /// <summary>
    /// Writers and readers at once. Each writer pauses a little after its commit (now and then
    /// until another writer has committed something newer and returned, the interleaving that
    /// makes set-on-write go back in time). The fixed code never returns a version older than one
    /// a writer had returned before the read began; set-on-write does.
    /// </summary>
    [Theory]
    [InlineData(false)]
    [InlineData(true)]
    public async Task ConcurrentReadersAndWriters_StaleReadsAfterTheWriterReturned(bool fixedCode)
    {
        const int writers = 4, writesPerWriter = 60, readers = 4;
        var service = await Service(fixedCode);
        long returned = 0, reads = 0, stale = 0;
        var writersDone = new CancellationTokenSource();

        async Task WriteAsync(int writer)
        {
            var random = new Random(writer);
            for (var i = 0; i < writesPerWriter; i++)
            {
                var version = await service.RetitleAsync(PostId, $"w{writer}-{i}", async committed =>
                {
                    if (writer == 0 && i % 5 == 0)
                    {
                        // Hold until a newer commit has been returned by another writer (bounded: they may be done).
                        var deadline = DateTime.UtcNow + TimeSpan.FromSeconds(2);
                        while (Interlocked.Read(ref returned) <= committed && DateTime.UtcNow < deadline)
                            await Task.Delay(1);
                    }
                    else if (random.Next(3) == 0)
                    {
                        await Task.Delay(random.Next(1, 4));
                    }
                });
                // The newest version any writer has returned.
                long seen;
                while ((seen = Interlocked.Read(ref returned)) < version && Interlocked.CompareExchange(ref returned, version, seen) != seen)
                {
                }
            }
        }

        async Task ReadAsync()
        {
            while (!writersDone.IsCancellationRequested)
            {
                var floor = Interlocked.Read(ref returned);
                var post = await service.GetAsync(PostId);
                Interlocked.Increment(ref reads);
                if (post!.Version < floor)
                    Interlocked.Increment(ref stale);
            }
        }

        var readerTasks = Enumerable.Range(0, readers).Select(_ => Task.Run(ReadAsync)).ToArray();
        await Task.WhenAll(Enumerable.Range(0, writers).Select(w => Task.Run(() => WriteAsync(w)))).WaitAsync(Bound);
        writersDone.Cancel();
        await Task.WhenAll(readerTasks).WaitAsync(Bound);

        // After everything returned, one more read against the committed row.
        var final = await service.GetAsync(PostId);
        var committed = await _posts.LoadAsync(PostId);
        Assert.Equal(1 + writers * writesPerWriter, committed!.Version);
        var finalStale = final!.Version < committed.Version;
        output.WriteLine($"{(fixedCode ? "fixed" : "set-on-write")}: {reads} reads during {writers * writesPerWriter} writes, {stale} stale after the writer returned; final read v{final.Version} of committed v{committed.Version}");

        Assert.True(reads > 0);
        if (fixedCode)
        {
            Assert.Equal(0, stale);
            Assert.False(finalStale);
        }
        else
        {
            Assert.True(stale > 0, "set-on-write under held interleavings should have served an older version");
        }
    }
}
