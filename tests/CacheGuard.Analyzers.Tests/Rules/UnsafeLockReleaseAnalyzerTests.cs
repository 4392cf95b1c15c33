using Microsoft.CodeAnalysis.CSharp;
using Verify = CacheGuard.Analyzers.Tests.Verifiers.CSharpVerifier<CacheGuard.Analyzers.Rules.UnsafeLockReleaseAnalyzer, CacheGuard.CodeFixes.UnsafeLockReleaseCodeFix>;

namespace CacheGuard.Analyzers.Tests.Rules;

public class UnsafeLockReleaseAnalyzerTests
{
    private const string Usings = """
        using System;
        using System.Threading.Tasks;
        using StackExchange.Redis;

        """;

    public static TheoryData<LanguageVersion> Versions => new() { LanguageVersion.Latest, LanguageVersion.CSharp9 };

    [Theory]
    [MemberData(nameof(Versions))]
    public Task SharedValue_GetsANewToken_AndLockRelease(LanguageVersion version) =>
        Verify.VerifyCodeFixAsync(Usings + """
            class SitemapJob
            {
                IDatabase _db = null!;
                public async Task RunAsync(Func<Task> build)
                {
                    if (!await _db.StringSetAsync("lock:sitemap", Environment.MachineName, TimeSpan.FromMinutes(2), When.NotExists)) return;
                    try { await build(); }
                    finally { await {|CG0007:_db.KeyDeleteAsync("lock:sitemap")|}; }
                }
            }
            """, Usings + """
            class SitemapJob
            {
                IDatabase _db = null!;
                public async Task RunAsync(Func<Task> build)
                {
                    var lockToken = Guid.NewGuid().ToString();
                    if (!await _db.StringSetAsync("lock:sitemap", lockToken, TimeSpan.FromMinutes(2), When.NotExists)) return;
                    try { await build(); }
                    finally { await _db.LockReleaseAsync("lock:sitemap", lockToken); }
                }
            }
            """, version);

    [Fact]
    public async Task Message_NamesTheLock()
    {
        var test = new Verify.Test
        {
            TestCode = Usings + """
                class Job
                {
                    IDatabase _db = null!;
                    public void Run(string id)
                    {
                        var lockKey = "lock:" + id;
                        if (!_db.StringSet("lock:static", "1", TimeSpan.FromSeconds(30), When.NotExists)) return;
                        if (!_db.StringSet(lockKey, "1", TimeSpan.FromSeconds(30), When.NotExists)) return;
                        {|#1:_db.KeyDelete(lockKey)|};
                        {|#0:_db.KeyDelete("lock:static")|};
                    }
                }
                """,
        };
        test.ExpectedDiagnostics.Add(Verify.Diagnostic("CG0007").WithLocation(1).WithArguments("lockKey").WithOptions(Microsoft.CodeAnalysis.Testing.DiagnosticOptions.IgnoreAdditionalLocations));
        test.ExpectedDiagnostics.Add(Verify.Diagnostic("CG0007").WithLocation(0).WithArguments("lock:static").WithOptions(Microsoft.CodeAnalysis.Testing.DiagnosticOptions.IgnoreAdditionalLocations));
        await test.RunAsync();
    }

    [Fact]
    public Task StableLocalToken_IsReleasedWithIt() =>
        Verify.VerifyCodeFixAsync(Usings + """
            class Job
            {
                IDatabase _db = null!;
                public void Run(string id, Action work)
                {
                    var key = $"lock:job:{id}";
                    var token = Guid.NewGuid().ToString();
                    if (_db.StringSet(key, token, TimeSpan.FromSeconds(30), When.NotExists))
                    {
                        try { work(); }
                        finally { {|CG0007:_db.KeyDelete(key)|}; }
                    }
                }
            }
            """, Usings + """
            class Job
            {
                IDatabase _db = null!;
                public void Run(string id, Action work)
                {
                    var key = $"lock:job:{id}";
                    var token = Guid.NewGuid().ToString();
                    if (_db.StringSet(key, token, TimeSpan.FromSeconds(30), When.NotExists))
                    {
                        try { work(); }
                        finally { _db.LockRelease(key, token); }
                    }
                }
            }
            """);

    [Fact]
    public Task ParameterToken_AndCommandFlags_AreKept() =>
        Verify.VerifyCodeFixAsync(Usings + """
            class Job
            {
                IDatabase _db = null!;
                public async Task RunAsync(string owner, Func<Task> work)
                {
                    if (!await _db.StringSetAsync("lock:x", owner, TimeSpan.FromSeconds(30), When.NotExists))
                        return;
                    try { await work(); }
                    finally { await {|CG0007:_db.KeyDeleteAsync("lock:x", CommandFlags.FireAndForget)|}; }
                }
            }
            """, Usings + """
            class Job
            {
                IDatabase _db = null!;
                public async Task RunAsync(string owner, Func<Task> work)
                {
                    if (!await _db.StringSetAsync("lock:x", owner, TimeSpan.FromSeconds(30), When.NotExists))
                        return;
                    try { await work(); }
                    finally { await _db.LockReleaseAsync("lock:x", owner, CommandFlags.FireAndForget); }
                }
            }
            """);

    [Fact]
    public Task ReadonlyFieldToken_IsReleasedWithIt() =>
        Verify.VerifyCodeFixAsync(Usings + """
            class Worker
            {
                readonly string _instanceId = Guid.NewGuid().ToString("N");
                IDatabase _db = null!;
                public void Tick(Action work)
                {
                    if (!_db.StringSet("lock:tick", _instanceId, TimeSpan.FromSeconds(10), When.NotExists)) return;
                    work();
                    {|CG0007:_db.KeyDelete("lock:tick")|};
                }
            }
            """, Usings + """
            class Worker
            {
                readonly string _instanceId = Guid.NewGuid().ToString("N");
                IDatabase _db = null!;
                public void Tick(Action work)
                {
                    if (!_db.StringSet("lock:tick", _instanceId, TimeSpan.FromSeconds(10), When.NotExists)) return;
                    work();
                    _db.LockRelease("lock:tick", _instanceId);
                }
            }
            """);

    [Theory]
    [InlineData("\"1\"")]
    [InlineData("1")]
    [InlineData("true")]
    [InlineData("Guid.NewGuid().ToString()")]
    [InlineData("Owner")]
    [InlineData("MachineOwner")]
    [InlineData("owner")]
    public Task ConstantsAndSharedValues_GetANewToken(string value) =>
        Verify.VerifyCodeFixAsync(Usings + $$"""
            class Job
            {
                const string Owner = "me";
                static readonly string MachineOwner = Environment.MachineName;
                IDatabase _db = null!;
                public async Task RunAsync(Func<Task> work)
                {
                    var owner = "worker";
                    // take the lock
                    var taken = await _db.StringSetAsync("lock:y", {{value}}, TimeSpan.FromSeconds(30), When.NotExists);
                    if (!taken) return;
                    try { await work(); }
                    finally { await {|CG0007:_db.KeyDeleteAsync("lock:y")|}; }
                }
            }
            """, Usings + """
            class Job
            {
                const string Owner = "me";
                static readonly string MachineOwner = Environment.MachineName;
                IDatabase _db = null!;
                public async Task RunAsync(Func<Task> work)
                {
                    var owner = "worker";
                    // take the lock
                    var lockToken = Guid.NewGuid().ToString();
                    var taken = await _db.StringSetAsync("lock:y", lockToken, TimeSpan.FromSeconds(30), When.NotExists);
                    if (!taken) return;
                    try { await work(); }
                    finally { await _db.LockReleaseAsync("lock:y", lockToken); }
                }
            }
            """);

    [Fact]
    public Task ValueConditionAndExpiration_Overload_IsRecognized() =>
        Verify.VerifyAnalyzerAsync(Usings + """
            class Job
            {
                IDatabase _db = null!;
                public async Task RunAsync(Func<Task> work)
                {
                    if (!await _db.StringSetAsync("lock:z", "1", new Expiration(TimeSpan.FromSeconds(30)), ValueCondition.NotExists)) return;
                    try { await work(); }
                    finally { await {|CG0007:_db.KeyDeleteAsync("lock:z")|}; }
                }
            }
            """);

    [Fact]
    public Task LockTake_ReleasedWithKeyDelete_IsFlagged_AndFixedWithItsToken() =>
        Verify.VerifyCodeFixAsync(Usings + """
            class Job
            {
                IDatabase _db = null!;
                public void Run(string token, Action work)
                {
                    if (!_db.LockTake("lock:t", token, TimeSpan.FromSeconds(30))) return;
                    try { work(); }
                    finally { {|CG0007:_db.KeyDelete("lock:t")|}; }
                }
            }
            """, Usings + """
            class Job
            {
                IDatabase _db = null!;
                public void Run(string token, Action work)
                {
                    if (!_db.LockTake("lock:t", token, TimeSpan.FromSeconds(30))) return;
                    try { work(); }
                    finally { _db.LockRelease("lock:t", token); }
                }
            }
            """);

    [Fact]
    public Task CheckThenDelete_IsStillFlagged_BecauseGetAndDelIsNotAtomic() =>
        Verify.VerifyCodeFixAsync(Usings + """
            class Job
            {
                IDatabase _db = null!;
                public async Task RunAsync(string key, Func<Task> work)
                {
                    var token = Guid.NewGuid().ToString();
                    if (!await _db.StringSetAsync(key, token, TimeSpan.FromSeconds(30), When.NotExists)) return;
                    try { await work(); }
                    finally
                    {
                        if (await _db.StringGetAsync(key) == token)
                            await {|CG0007:_db.KeyDeleteAsync(key)|};
                    }
                }
            }
            """, Usings + """
            class Job
            {
                IDatabase _db = null!;
                public async Task RunAsync(string key, Func<Task> work)
                {
                    var token = Guid.NewGuid().ToString();
                    if (!await _db.StringSetAsync(key, token, TimeSpan.FromSeconds(30), When.NotExists)) return;
                    try { await work(); }
                    finally
                    {
                        if (await _db.StringGetAsync(key) == token)
                            await _db.LockReleaseAsync(key, token);
                    }
                }
            }
            """);

    [Fact]
    public Task TwoReleasesOfOneLock_AreFixedTogether_WithOneToken() =>
        Verify.VerifyCodeFixAsync(Usings + """
            class Job
            {
                IDatabase _db = null!;
                public async Task<bool> RunAsync(Func<Task<bool>> work)
                {
                    if (!await _db.StringSetAsync("lock:w", "busy", TimeSpan.FromSeconds(30), When.NotExists))
                        return false;
                    bool ok;
                    try { ok = await work(); }
                    catch
                    {
                        await {|CG0007:_db.KeyDeleteAsync("lock:w")|};
                        throw;
                    }
                    await {|CG0007:_db.KeyDeleteAsync("lock:w")|};
                    return ok;
                }
            }
            """, Usings + """
            class Job
            {
                IDatabase _db = null!;
                public async Task<bool> RunAsync(Func<Task<bool>> work)
                {
                    var lockToken = Guid.NewGuid().ToString();
                    if (!await _db.StringSetAsync("lock:w", lockToken, TimeSpan.FromSeconds(30), When.NotExists))
                        return false;
                    bool ok;
                    try { ok = await work(); }
                    catch
                    {
                        await _db.LockReleaseAsync("lock:w", lockToken);
                        throw;
                    }
                    await _db.LockReleaseAsync("lock:w", lockToken);
                    return ok;
                }
            }
            """);

    [Fact]
    public Task TwoLocksInOneMethod_GetDistinctTokens_UnderFixAll() =>
        Verify.VerifyCodeFixAsync(Usings + """
            class Job
            {
                IDatabase _db = null!;
                public void Run(Action work)
                {
                    if (!_db.StringSet("lock:a", "1", TimeSpan.FromSeconds(30), When.NotExists)) return;
                    try
                    {
                        if (!_db.StringSet("lock:b", "1", TimeSpan.FromSeconds(30), When.NotExists)) return;
                        try { work(); }
                        finally { {|CG0007:_db.KeyDelete("lock:b")|}; }
                    }
                    finally { {|CG0007:_db.KeyDelete("lock:a")|}; }
                }
            }
            """, Usings + """
            class Job
            {
                IDatabase _db = null!;
                public void Run(Action work)
                {
                    var lockToken2 = Guid.NewGuid().ToString();
                    if (!_db.StringSet("lock:a", lockToken2, TimeSpan.FromSeconds(30), When.NotExists)) return;
                    try
                    {
                        var lockToken = Guid.NewGuid().ToString();
                        if (!_db.StringSet("lock:b", lockToken, TimeSpan.FromSeconds(30), When.NotExists)) return;
                        try { work(); }
                        finally { _db.LockRelease("lock:b", lockToken); }
                    }
                    finally { _db.LockRelease("lock:a", lockToken2); }
                }
            }
            """);

    [Fact]
    public Task ExistingName_IsNotReused_AndUsingSystemIsAdded() =>
        Verify.VerifyCodeFixAsync("""
            using System.Threading.Tasks;
            using StackExchange.Redis;

            class Job
            {
                IDatabase _db = null!;
                string lockToken = "";
                public async Task RunAsync()
                {
                    if (await _db.StringSetAsync("lock:n", "1", null, When.NotExists))
                    {
                        try { await Task.Yield(); }
                        finally { await {|CG0007:_db.KeyDeleteAsync(key: "lock:n")|}; }
                    }
                }
            }
            """, """
            using System;
            using System.Threading.Tasks;
            using StackExchange.Redis;

            class Job
            {
                IDatabase _db = null!;
                string lockToken = "";
                public async Task RunAsync()
                {
                    var lockToken2 = Guid.NewGuid().ToString();
                    if (await _db.StringSetAsync("lock:n", lockToken2, null, When.NotExists))
                    {
                        try { await Task.Yield(); }
                        finally { await _db.LockReleaseAsync(key: "lock:n", value: lockToken2); }
                    }
                }
            }
            """);

    [Fact]
    public Task ExpressionBodiedOrLambdaAcquisition_IsFlagged_WithoutAFix()
    {
        var source = Usings + """
            class Job
            {
                IDatabase _db = null!;
                public void Run(Action work)
                {
                    Func<bool> take = () => _db.StringSet("lock:l", "1", TimeSpan.FromSeconds(30), When.NotExists);
                    if (!take()) return;
                    try { work(); }
                    finally { {|CG0007:_db.KeyDelete("lock:l")|}; }
                }
            }
            """;
        return Verify.VerifyCodeFixAsync(source, source);
    }

    [Fact]
    public Task TwoAcquisitionsOfTheKey_AreAmbiguous_NoFix()
    {
        var source = Usings + """
            class Job
            {
                IDatabase _db = null!;
                public void Run(bool retry, Action work)
                {
                    var ok = _db.StringSet("lock:r", "1", TimeSpan.FromSeconds(30), When.NotExists);
                    if (!ok && retry)
                        ok = _db.StringSet("lock:r", "2", TimeSpan.FromSeconds(30), When.NotExists);
                    if (!ok) return;
                    try { work(); }
                    finally { {|CG0007:_db.KeyDelete("lock:r")|}; }
                }
            }
            """;
        return Verify.VerifyCodeFixAsync(source, source);
    }

    [Theory]
    [InlineData("_db.LockRelease(key, token)")]
    [InlineData("_db.ScriptEvaluate(\"if redis.call('get', KEYS[1]) == ARGV[1] then return redis.call('del', KEYS[1]) else return 0 end\", new RedisKey[] { key }, new RedisValue[] { token })")]
    [InlineData("_db.KeyDelete(\"other:\" + key)")]
    public Task SafeReleases_AreNotFlagged(string release) =>
        Verify.VerifyAnalyzerAsync(Usings + $$"""
            class Job
            {
                IDatabase _db = null!;
                public void Run(string key, Action work)
                {
                    var token = Guid.NewGuid().ToString();
                    if (!_db.StringSet(key, token, TimeSpan.FromSeconds(30), When.NotExists)) return;
                    try { work(); }
                    finally { {{release}}; }
                }
            }
            """);

    [Fact]
    public Task TransactionWithCondition_IsACompareAndDelete_NotFlagged() =>
        Verify.VerifyAnalyzerAsync(Usings + """
            class Job
            {
                IDatabase _db = null!;
                public async Task RunAsync(string key, Func<Task> work)
                {
                    var token = Guid.NewGuid().ToString();
                    if (!await _db.StringSetAsync(key, token, TimeSpan.FromSeconds(30), When.NotExists)) return;
                    try { await work(); }
                    finally
                    {
                        var tran = _db.CreateTransaction();
                        tran.AddCondition(Condition.StringEqual(key, token));
                        _ = tran.KeyDeleteAsync(key);
                        await tran.ExecuteAsync();
                    }
                }
            }
            """);

    [Fact]
    public Task DeleteWithoutAcquisition_OrBeforeIt_IsNotFlagged() =>
        Verify.VerifyAnalyzerAsync(Usings + """
            class Locks
            {
                IDatabase _db = null!;
                public void ClearStale(string key)
                {
                    _db.KeyDelete(key);
                    _db.StringSet(key, Guid.NewGuid().ToString(), TimeSpan.FromSeconds(30), When.NotExists);
                }
                // A lock service's Acquire/Release pair is followed (RULES.md: "follow them"): see ReachTests.
                public void Invalidate(string key)
                {
                    _db.StringSet(key, "v", TimeSpan.FromSeconds(30));
                    _db.KeyDelete(key);
                }
            }
            """);

    [Fact]
    public Task RuntimeLease_IsNotFlagged() =>
        Verify.VerifyAnalyzerAsync("using CacheGuard;\n" + Usings + """
            class Job
            {
                IDatabase _db = null!;
                public async Task RunAsync(Func<Task> work)
                {
                    await using var lease = await _db.TryAcquireLeaseAsync("lock:job", TimeSpan.FromSeconds(30));
                    if (lease is null) return;
                    await work();
                }
            }
            """);

    [Fact]
    public Task OtherFamilies_RemoveIsNeverALockRelease() =>
        Verify.VerifyAnalyzerAsync("""
            using System;
            using System.Threading.Tasks;
            using Microsoft.Extensions.Caching.Distributed;
            using Microsoft.Extensions.Caching.Memory;
            using StackExchange.Redis;

            class Job
            {
                IDistributedCache _distributed = null!;
                IMemoryCache _memory = null!;
                IDatabase _db = null!;
                public async Task RunAsync(string key, Func<Task> work)
                {
                    await _db.StringSetAsync("lock:" + key, "1", TimeSpan.FromSeconds(30), When.NotExists);
                    await work();
                    await _distributed.RemoveAsync("lock:" + key);
                    _memory.Remove("lock:" + key);
                }
            }
            """);
}
