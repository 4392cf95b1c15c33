using StackExchange.Redis;
using Xunit.Abstractions;

namespace CacheGuard.Runtime.Tests;

/// <summary>Bad input at the API boundary: clear exceptions before Redis is touched, nothing corrupted in Redis.</summary>
[Collection(RedisNodeCollection.Name)]
public sealed class BadInputTests(RedisNodeFixture fixture, ITestOutputHelper output)
{
    private async Task<IDatabase> DbAsync() => (await Nodes.StartAsync(new NodeTarget(fixture), 1))[0];

    /// <summary>Every key (value, lease, fence, outbox excluded) whose name contains <paramref name="marker"/>.</summary>
    private async Task<List<string>> KeysContainingAsync(IDatabase db, string marker)
    {
        var server = db.Multiplexer.GetServer(fixture.Server.Endpoint);
        var keys = new List<string>();
        await foreach (var k in server.KeysAsync(db.Database, $"*{marker}*", pageSize: 1000))
            keys.Add(((string)k!).Length > 120 ? ((string)k!)[..120] + "…" : (string)k!);
        return keys;
    }

    private static string Marker() => Guid.NewGuid().ToString("N");

    private static Task<Post> NeverRun(CancellationToken ct) => throw new InvalidOperationException("the factory must not run");

    [Fact]
    public async Task NullOrEmptyKey_EveryEntryPoint_ThrowsArgumentExceptionNamingKey()
    {
        var db = await DbAsync();
        foreach (var key in new[] { default(RedisKey), (RedisKey)"" })
        {
            var calls = new (string Name, Func<Task> Call)[]
            {
                ("GetOrSetAsync(ttl)", () => db.GetOrSetAsync(key, NeverRun, TimeSpan.FromMinutes(1))),
                ("GetOrSetAsync(options)", () => db.GetOrSetAsync(key, NeverRun)),
                ("GetOrSet", () => Task.Run(() => db.GetOrSet(key, _ => new Post(1, "x"), TimeSpan.FromMinutes(1)))),
                ("GetOrSetVersionedAsync", () => db.GetOrSetVersionedAsync(key, NeverRun, p => p.Id)),
                ("TryGetAsync", () => db.TryGetAsync<Post>(key)),
                ("SetAsync", () => db.SetAsync(key, new Post(1, "x"))),
                ("InvalidateAsync", () => db.InvalidateAsync(key)),
                ("InvalidateAsync[]", () => db.InvalidateAsync(new[] { key })),
                ("Invalidate", () => Task.Run(() => db.Invalidate(key))),
                ("TryAcquireLeaseAsync", () => db.TryAcquireLeaseAsync(key, TimeSpan.FromSeconds(5))),
                ("TryAcquireLease", () => Task.Run(() => db.TryAcquireLease(key, TimeSpan.FromSeconds(5)))),
                ("WriteBehindAsync", () => db.WriteBehindAsync(key, new Post(1, "x"))),
            };
            foreach (var (name, call) in calls)
            {
                var ex = await Assert.ThrowsAsync<ArgumentException>(call);
                Assert.True(ex.ParamName == "key", $"{name}: ParamName was '{ex.ParamName}'");
            }
        }
        // Nothing was written under the empty key or its derived keys.
        Assert.False(await db.KeyExistsAsync(""));
        Assert.False(await db.KeyExistsAsync("{}:cg:lease"));
        Assert.False(await db.KeyExistsAsync("{}:cg:fence"));
    }

    [Fact]
    public async Task NullArguments_ThrowArgumentNullExceptionNamingTheParameter()
    {
        var db = await DbAsync();
        Assert.Equal("factory", (await Assert.ThrowsAsync<ArgumentNullException>(() => db.GetOrSetAsync("k", (Func<CancellationToken, Task<Post>>)null!, TimeSpan.FromMinutes(1)))).ParamName);
        Assert.Equal("factory", (await Assert.ThrowsAsync<ArgumentNullException>(() => db.GetOrSetAsync("k", (Func<CancellationToken, Task<Post>>)null!))).ParamName);
        Assert.Equal("factory", Assert.Throws<ArgumentNullException>(() => db.GetOrSet("k", (Func<CancellationToken, Post>)null!, TimeSpan.FromMinutes(1))).ParamName);
        Assert.Equal("versionOf", (await Assert.ThrowsAsync<ArgumentNullException>(() => db.GetOrSetVersionedAsync("k", NeverRun, null!))).ParamName);
        Assert.Equal("keys", (await Assert.ThrowsAsync<ArgumentNullException>(() => db.InvalidateAsync((RedisKey[])null!))).ParamName);
        Assert.Equal("db", (await Assert.ThrowsAsync<ArgumentNullException>(() => ((IDatabase)null!).GetOrSetAsync("k", NeverRun))).ParamName);
        Assert.Equal("value", (await Assert.ThrowsAsync<ArgumentNullException>(() => db.WriteBehindAsync<Post?>("k", null))).ParamName);
    }

    [Theory]
    [InlineData(0L)]
    [InlineData(-1L)]
    [InlineData(long.MinValue)]
    [InlineData(long.MaxValue)]
    public async Task ZeroNegativeOrHugeTtl_ThrowsArgumentOutOfRange_NamingTtl_FactoryNeverRuns(long ticks)
    {
        var db = await DbAsync();
        var marker = Marker();
        var ttl = TimeSpan.FromTicks(ticks);
        Assert.Equal("ttl", (await Assert.ThrowsAsync<ArgumentOutOfRangeException>(() => db.GetOrSetAsync(marker, NeverRun, ttl))).ParamName);
        Assert.Equal("ttl", Assert.Throws<ArgumentOutOfRangeException>(() => db.GetOrSet<Post>(marker, _ => throw new InvalidOperationException("ran"), ttl)).ParamName);
        Assert.Equal("options", (await Assert.ThrowsAsync<ArgumentOutOfRangeException>(() => db.GetOrSetAsync(marker, NeverRun, new CacheEntryOptions { Ttl = ttl }))).ParamName);
        Assert.Equal("options", (await Assert.ThrowsAsync<ArgumentOutOfRangeException>(() => db.SetAsync(marker, new Post(1, "x"), new CacheEntryOptions { Ttl = ttl }))).ParamName);
        Assert.Equal("options", (await Assert.ThrowsAsync<ArgumentOutOfRangeException>(() => db.WriteBehindAsync(marker, new Post(1, "x"), new CacheEntryOptions { Ttl = ttl }))).ParamName);
        if (ticks <= 0)
            Assert.Equal("ttl", (await Assert.ThrowsAsync<ArgumentOutOfRangeException>(() => db.TryAcquireLeaseAsync(marker, ttl))).ParamName);
        Assert.Empty(await KeysContainingAsync(db, marker));
    }

    public static TheoryData<string> BadEntryOptions => new()
    {
        "StaleWindow=-1ms", "NegativeTtl=0", "NegativeTtl=-1s", "LeaseTtl=0", "LeaseTtl=-1s", "WaitDeadline=0", "WaitDeadline=-1s",
        "FactoryTimeout=0", "FactoryTimeout=FenceTtl", "JitterFraction=NaN", "JitterFraction=-0.1", "JitterFraction=2", "OnWaitDeadline=42",
    };

    private static CacheEntryOptions Parse(string bad) => bad switch
    {
        "StaleWindow=-1ms" => new() { StaleWindow = TimeSpan.FromMilliseconds(-1) },
        "NegativeTtl=0" => new() { NegativeTtl = TimeSpan.Zero },
        "NegativeTtl=-1s" => new() { NegativeTtl = TimeSpan.FromSeconds(-1) },
        "LeaseTtl=0" => new() { LeaseTtl = TimeSpan.Zero },
        "LeaseTtl=-1s" => new() { LeaseTtl = TimeSpan.FromSeconds(-1) },
        "WaitDeadline=0" => new() { WaitDeadline = TimeSpan.Zero },
        "WaitDeadline=-1s" => new() { WaitDeadline = TimeSpan.FromSeconds(-1) },
        "FactoryTimeout=0" => new() { FactoryTimeout = TimeSpan.Zero },
        "FactoryTimeout=FenceTtl" => new() { FactoryTimeout = TimeSpan.FromMinutes(2) },
        "JitterFraction=NaN" => new() { JitterFraction = double.NaN },
        "JitterFraction=-0.1" => new() { JitterFraction = -0.1 },
        "JitterFraction=2" => new() { JitterFraction = 2 },
        "OnWaitDeadline=42" => new() { OnWaitDeadline = (WaitDeadlineBehavior)42 },
        _ => throw new ArgumentException(bad),
    };

    [Theory]
    [MemberData(nameof(BadEntryOptions))]
    public async Task InvalidEntryOptions_ThrowArgumentOutOfRange_NamingOptions_BeforeTheFactoryOrRedis(string bad)
    {
        var db = await DbAsync();
        var marker = Marker();
        var options = Parse(bad);
        var runs = 0;
        Task<Post> Factory(CancellationToken ct) { Interlocked.Increment(ref runs); return Task.FromResult(new Post(1, "x")); }

        var ex = await Assert.ThrowsAsync<ArgumentOutOfRangeException>(() => db.GetOrSetAsync(marker, Factory, options));
        Assert.Equal("options", ex.ParamName);
        Assert.Contains(bad.Split('=')[0], ex.Message);
        Assert.Equal("options", (await Assert.ThrowsAsync<ArgumentOutOfRangeException>(() => db.SetAsync(marker, new Post(1, "x"), options))).ParamName);
        Assert.Equal(0, runs);
        Assert.Empty(await KeysContainingAsync(db, marker));
    }

    public static TheoryData<string, string> BadConnectionOptions => new()
    {
        { "NegativeTtlMaxRatio=NaN", nameof(CacheGuardOptions.NegativeTtlMaxRatio) },
        { "DefaultStaleRatio=Infinity", nameof(CacheGuardOptions.DefaultStaleRatio) },
        { "DefaultStaleRatio=NaN", nameof(CacheGuardOptions.DefaultStaleRatio) },
        { "JitterFraction=NaN", nameof(CacheGuardOptions.JitterFraction) },
        { "JitterFraction=1.5", nameof(CacheGuardOptions.JitterFraction) },
        { "FailSafeMaxEntries=-1", nameof(CacheGuardOptions.FailSafeMaxEntries) },
        { "InvalidationRetryDelay=-1ms", nameof(CacheGuardOptions.InvalidationRetryDelay) },
        { "DefaultTtl=Max", nameof(CacheGuardOptions.DefaultTtl) },
        { "DefaultTtl=0", nameof(CacheGuardOptions.DefaultTtl) },
        { "OnWaitDeadline=42", nameof(CacheGuardOptions.OnWaitDeadline) },
        { "FenceTtl=0", nameof(CacheGuardOptions.FenceTtl) },
    };

    [Theory]
    [MemberData(nameof(BadConnectionOptions))]
    public async Task InvalidConnectionOptions_AreRejectedByConfigure_NamingTheProperty_PreviousOptionsStay(string bad, string property)
    {
        var db = await DbAsync();
        var before = CacheGuardDatabaseExtensions.GetOptions(db.Multiplexer);
        var o = new CacheGuardOptions();
        switch (bad)
        {
            case "NegativeTtlMaxRatio=NaN": o.NegativeTtlMaxRatio = double.NaN; break;
            case "DefaultStaleRatio=Infinity": o.DefaultStaleRatio = double.PositiveInfinity; break;
            case "DefaultStaleRatio=NaN": o.DefaultStaleRatio = double.NaN; break;
            case "JitterFraction=NaN": o.JitterFraction = double.NaN; break;
            case "JitterFraction=1.5": o.JitterFraction = 1.5; break;
            case "FailSafeMaxEntries=-1": o.FailSafeMaxEntries = -1; break;
            case "InvalidationRetryDelay=-1ms": o.InvalidationRetryDelay = TimeSpan.FromMilliseconds(-1); break;
            case "DefaultTtl=Max": o.DefaultTtl = TimeSpan.MaxValue; break;
            case "DefaultTtl=0": o.DefaultTtl = TimeSpan.Zero; break;
            case "OnWaitDeadline=42": o.OnWaitDeadline = (WaitDeadlineBehavior)42; break;
            case "FenceTtl=0": o.FenceTtl = TimeSpan.Zero; break;
        }
        var ex = Assert.ThrowsAny<ArgumentException>(() => CacheGuardDatabaseExtensions.Configure(db.Multiplexer, o));
        Assert.Equal(property, ex.ParamName);
        Assert.Same(before, CacheGuardDatabaseExtensions.GetOptions(db.Multiplexer));
        Assert.Equal(property, Assert.ThrowsAny<ArgumentException>(() => new CacheGuardCache(db.Multiplexer, o)).ParamName);
    }

    [Fact]
    public async Task CancelledToken_EveryEntryPoint_ThrowsOperationCanceled_NothingWritten()
    {
        var db = await DbAsync();
        var marker = Marker();
        using var cts = new CancellationTokenSource();
        cts.Cancel();
        var calls = new (string Name, Func<Task> Call)[]
        {
            ("GetOrSetAsync", () => db.GetOrSetAsync(marker, NeverRun, TimeSpan.FromMinutes(1), cts.Token)),
            ("GetOrSet", () => Task.Run(() => db.GetOrSet<Post>(marker, _ => throw new InvalidOperationException("ran"), TimeSpan.FromMinutes(1), cts.Token))),
            ("TryGetAsync", () => db.TryGetAsync<Post>(marker, cts.Token)),
            ("SetAsync", () => db.SetAsync(marker, new Post(1, "x"), cancellationToken: cts.Token)),
            ("InvalidateAsync", () => db.InvalidateAsync(marker, cts.Token)),
            ("TryAcquireLeaseAsync", () => db.TryAcquireLeaseAsync(marker, TimeSpan.FromSeconds(5), cts.Token)),
            ("WriteBehindAsync", () => db.WriteBehindAsync(marker, new Post(1, "x"), cancellationToken: cts.Token)),
        };
        foreach (var (name, call) in calls)
        {
            var ex = await Record.ExceptionAsync(call);
            Assert.True(ex is OperationCanceledException, $"{name}: {ex?.GetType().Name ?? "no exception"}");
        }
        // SetAsync would have written the value, InvalidateAsync a fence, the lease its key.
        Assert.Empty(await KeysContainingAsync(db, marker));
    }

    [Fact]
    public async Task HugeKey1MB_AndHugeValue20MB_RoundTrip_AndInvalidateCleanly()
    {
        var db = await DbAsync();
        var marker = Marker();
        var hugeKey = marker + ":" + new string('k', 1 << 20);
        var runs = 0;
        var r1 = await db.GetOrSetAsync(hugeKey, ct => { Interlocked.Increment(ref runs); return Task.FromResult(new Post(1, "small")); }, TimeSpan.FromMinutes(5)).Within();
        var r2 = await db.GetOrSetAsync(hugeKey, NeverRun, TimeSpan.FromMinutes(5)).Within();
        Assert.Equal(r1, r2);
        Assert.True((await db.InvalidateAsync(hugeKey).Within()).Succeeded);
        Assert.Equal(CacheLookupStatus.Miss, (await db.TryGetAsync<Post>(hugeKey)).Status);

        var bigValueKey = Nodes.Key(marker);
        var title = new string('v', 20 << 20);
        var v1 = await db.GetOrSetAsync(bigValueKey, ct => { Interlocked.Increment(ref runs); return Task.FromResult(new Post(2, title)); }, TimeSpan.FromMinutes(5)).Within();
        var lookup = await db.TryGetAsync<Post>(bigValueKey).Within();
        Assert.Equal(CacheLookupStatus.Hit, lookup.Status);
        Assert.Equal(title.Length, lookup.Value!.Title.Length);
        Assert.Equal(title, lookup.Value.Title);
        Assert.Same(title, v1.Title);
        Assert.Equal(2, runs);
        var stored = (long)await db.ExecuteAsync("STRLEN", bigValueKey);
        output.WriteLine($"1 MB key round-tripped; 20 MB value stored as {stored} bytes and read back intact");
        Assert.True(stored > 20 << 20);
    }

    [Theory]
    [InlineData("{")]
    [InlineData("}")]
    [InlineData("{}")]
    [InlineData("}{")]
    [InlineData("{{x}}")]
    [InlineData("a{b}c{d}")]
    public async Task KeysWithTheirOwnBraces_RoundTrip_InvalidateAndFence_WithoutTouchingOtherKeys(string braces)
    {
        var db = await DbAsync();
        var marker = Marker();
        foreach (var key in new[] { braces + marker, marker + braces, marker + braces + marker })
        {
            var keys = new EntryKeys(key);
            Assert.Equal(HashSlots.Of(key), HashSlots.Of((string)keys.Lease!));
            Assert.Equal(HashSlots.Of(key), HashSlots.Of((string)keys.Fence!));
            var runs = 0;
            Task<Post> Factory(CancellationToken ct) => Task.FromResult(new Post(Interlocked.Increment(ref runs), key));
            Assert.Equal(1, (await db.GetOrSetAsync(key, Factory, TimeSpan.FromMinutes(5)).Within()).Id);
            Assert.Equal(1, (await db.GetOrSetAsync(key, Factory, TimeSpan.FromMinutes(5)).Within()).Id);
            Assert.True((await db.InvalidateAsync(key).Within()).Succeeded);
            Assert.Equal(2, (await db.GetOrSetAsync(key, Factory, TimeSpan.FromMinutes(5)).Within()).Id);
            Assert.False(await db.KeyExistsAsync(keys.Lease)); // released
        }
    }

    [Fact]
    public async Task KeysSharingAHashTag_DoNotShareALease()
    {
        // Before: "{t}:a" and "{t}:b" both used "{t}:cg:lease", so one key's slow factory blocked the other key.
        var db = await DbAsync();
        var tag = "{" + Marker() + "}";
        var gate = new Gate();
        var started = new TaskCompletionSource(TaskCreationOptions.RunContinuationsAsynchronously);
        var slow = db.GetOrSetAsync(tag + ":a", async ct => { started.TrySetResult(); await gate.WaitAsync(ct); return new Post(1, "a"); }, TimeSpan.FromMinutes(5));
        await started.Task.Within();
        var other = await db.GetOrSetAsync(tag + ":b", ct => Task.FromResult(new Post(2, "b")),
            new CacheEntryOptions { Ttl = TimeSpan.FromMinutes(5), WaitDeadline = TimeSpan.FromMinutes(5), OnWaitDeadline = WaitDeadlineBehavior.Throw }).Within();
        Assert.Equal(2, other.Id);
        Assert.False(slow.IsCompleted);
        gate.Open();
        Assert.Equal(1, (await slow.Within()).Id);
        Assert.NotEqual(new EntryKeys(tag + ":a").Fence, new EntryKeys(tag + ":b").Fence);
    }

    private sealed class Node
    {
        public int Id { get; set; }
        public Node? Next { get; set; }
    }

    private sealed class Throwing
    {
        public int Id { get; set; } = 1;
        public string Secret => throw new InvalidOperationException("getter failed");
    }

    [Fact]
    public async Task UnserializableValues_ThrowCacheSerializationException_NothingWrittenToRedis_LeaseReleased()
    {
        var db = await DbAsync();
        var marker = Marker();
        var cycle = new Node { Id = 1 };
        cycle.Next = cycle;
        var key = "cycle:" + marker;

        var ex = await Assert.ThrowsAsync<CacheSerializationException>(() => db.GetOrSetAsync(key, ct => Task.FromResult(cycle), TimeSpan.FromMinutes(5))).Within();
        Assert.Contains(key, ex.Message);
        Assert.Contains(nameof(Node), ex.Message);
        Assert.NotNull(ex.InnerException);
        output.WriteLine(ex.Message);

        await Assert.ThrowsAsync<CacheSerializationException>(() => db.GetOrSetAsync("throwing:" + marker, ct => Task.FromResult(new Throwing()), TimeSpan.FromMinutes(5))).Within();
        await Assert.ThrowsAsync<CacheSerializationException>(() => Task.Run(() => db.GetOrSet("sync:" + marker, _ => cycle, TimeSpan.FromMinutes(5)))).Within();
        await Assert.ThrowsAsync<CacheSerializationException>(() => db.SetAsync("set:" + marker, cycle)).Within();
        await Assert.ThrowsAsync<CacheSerializationException>(() => db.WriteBehindAsync("wb:" + marker, new Throwing())).Within();

        // No value, no lease left behind, no fence, no outbox entry naming the key.
        Assert.Empty(await KeysContainingAsync(db, marker));
        var server = db.Multiplexer.GetServer(fixture.Server.Endpoint);
        await foreach (var stream in server.KeysAsync(db.Database, "*:cg:outbox"))
            foreach (var e in await db.StreamRangeAsync(stream))
                Assert.DoesNotContain(e.Values, v => ((string?)v.Value ?? "").Contains(marker, StringComparison.Ordinal));

        // The key still works with a serializable value.
        Assert.Equal(7, (await db.GetOrSetAsync(key, ct => Task.FromResult(new Node { Id = 7 }), TimeSpan.FromMinutes(5)).Within()).Id);
    }
}
