using CacheGuard.Analyzers.Rules;
using CacheGuard.CodeFixes;
using Microsoft.CodeAnalysis.CSharp;
using Verify = CacheGuard.Analyzers.Tests.Verifiers.CSharpVerifier<CacheGuard.Analyzers.Rules.FixedTtlAnalyzer, CacheGuard.CodeFixes.FixedTtlCodeFix>;

namespace CacheGuard.Analyzers.Tests.Rules;

public class FixedTtlAnalyzerTests
{
    private const string Usings = """
        using System;
        using System.Threading.Tasks;
        using StackExchange.Redis;

        """;

    private const string FixedUsings = """
        using System;
        using System.Threading.Tasks;
        using CacheGuard;
        using StackExchange.Redis;

        """;

    public static TheoryData<LanguageVersion> Versions => new() { LanguageVersion.Latest, LanguageVersion.CSharp9 };

    [Theory]
    [MemberData(nameof(Versions))]
    public Task LiteralTtl_IsFlagged_AndJittered(LanguageVersion version) =>
        Verify.VerifyCodeFixAsync(Usings + """
            class C
            {
                IDatabase _db = null!;
                Task M(string json) => _db.StringSetAsync("tag-cloud", json, {|CG0001:TimeSpan.FromMinutes(15)|});
            }
            """, FixedUsings + """
            class C
            {
                IDatabase _db = null!;
                Task M(string json) => _db.StringSetAsync("tag-cloud", json, CacheTtl.Jitter(TimeSpan.FromMinutes(15)));
            }
            """, version);

    public static TheoryData<string, LanguageVersion> FixedOrigins_AreFlaggedCases()
    {
        var data = new TheoryData<string, LanguageVersion>();
        foreach (var version in new[] { LanguageVersion.Latest, LanguageVersion.CSharp9 })
        {
            data.Add("TimeSpan.FromSeconds(30)", version);
            data.Add("new TimeSpan(0, 5, 0)", version);
            data.Add("Ttl", version);
            data.Add("StaticTtl", version);
            data.Add("_options.Ttl", version);
            data.Add("TimeSpan.FromMinutes(Minutes)", version);
            data.Add("TimeSpan.FromSeconds(_options.Seconds * 2)", version);
            data.Add("ttl ?? TimeSpan.FromMinutes(5)", version);
            data.Add("TimeSpan.FromMinutes(5) + TimeSpan.FromSeconds(10)", version);
            data.Add("flag ? TimeSpan.FromMinutes(1) : TimeSpan.FromMinutes(2)", version);
            data.Add("local", version);
        }
        return data;
    }

    [Theory]
    [MemberData(nameof(FixedOrigins_AreFlaggedCases))]
    public Task FixedOrigins_AreFlagged(string expiry, LanguageVersion version) =>
        Verify.VerifyAnalyzerAsync(Usings + $$"""
            class Options { public TimeSpan Ttl { get; set; } public int Seconds { get; set; } }
            class C
            {
                const int Minutes = 5;
                static readonly TimeSpan Ttl = TimeSpan.FromMinutes(5);
                static TimeSpan StaticTtl = TimeSpan.FromMinutes(5);
                readonly Options _options = new();
                IDatabase _db = null!;
                void M(string key, string value, TimeSpan? ttl, bool flag)
                {
                    var local = TimeSpan.FromMinutes(10);
                    _db.StringSet(key, value, {|CG0001:{{expiry}}|});
                }
            }
            """, version);

    [Fact]
    public async Task Message_NamesTheOrigin()
    {
        var test = new Verify.Test
        {
            TestCode = Usings + """
                class C
                {
                    static readonly TimeSpan ProfileTtl = TimeSpan.FromMinutes(5);
                    IDatabase _db = null!;
                    void M(string key, string value) => _db.StringSet(key, value, {|#0:ProfileTtl|});
                }
                """,
            FixedCode = FixedUsings + """
                class C
                {
                    static readonly TimeSpan ProfileTtl = TimeSpan.FromMinutes(5);
                    IDatabase _db = null!;
                    void M(string key, string value) => _db.StringSet(key, value, CacheTtl.Jitter(ProfileTtl));
                }
                """,
        };
        test.ExpectedDiagnostics.Add(Verify.Diagnostic("CG0001").WithLocation(0).WithArguments("the TTL 'ProfileTtl' is a static field"));
        await test.RunAsync();
    }

    public static TheoryData<string, LanguageVersion> EveryWriteShape_IsFlaggedCases()
    {
        var data = new TheoryData<string, LanguageVersion>();
        foreach (var version in new[] { LanguageVersion.Latest, LanguageVersion.CSharp9 })
        {
            data.Add("""_db.StringSet(key, value, {|CG0001:TimeSpan.FromMinutes(5)|}, When.Always)""", version);
            data.Add("""_db.StringSet(key, value, expiry: {|CG0001:TimeSpan.FromMinutes(5)|})""", version);
            data.Add("""_db.StringSet(value: value, expiry: {|CG0001:TimeSpan.FromMinutes(5)|}, key: key)""", version);
            data.Add("""_db.StringSet(key, value, {|CG0001:TimeSpan.FromMinutes(5)|}, false, When.Always, CommandFlags.None)""", version);
            data.Add("""_db.StringSet(key, value, {|CG0001:new Expiration(TimeSpan.FromMinutes(5))|})""", version);
            data.Add("""_db.StringSetAndGet(key, value, {|CG0001:TimeSpan.FromMinutes(5)|})""", version);
            data.Add("""_db.StringGetSetExpiry(key, {|CG0001:TimeSpan.FromMinutes(5)|})""", version);
            data.Add("""_db.CreateBatch().StringSetAsync(key, value, {|CG0001:TimeSpan.FromMinutes(5)|})""", version);
            data.Add("""_db.CreateTransaction().StringSetAsync(key, value, {|CG0001:TimeSpan.FromMinutes(5)|})""", version);
            data.Add("""((IDatabaseAsync)_db).StringSetAsync(key, value, {|CG0001:TimeSpan.FromMinutes(5)|})""", version);
        }
        return data;
    }

    [Theory]
    [MemberData(nameof(EveryWriteShape_IsFlaggedCases))]
    public Task EveryWriteShape_IsFlagged(string call, LanguageVersion version) =>
        Verify.VerifyAnalyzerAsync(Usings + $$"""
            class C
            {
                IDatabase _db = null!;
                void M(string key, string value) { {{call}}; }
            }
            """, version);

    [Fact]
    public Task KeyExpire_OnAKeyTheMethodPopulated_IsFlagged() =>
        Verify.VerifyCodeFixAsync(Usings + """
            class C
            {
                IDatabase _db = null!;
                async Task M(string id, HashEntry[] fields)
                {
                    await _db.HashSetAsync($"user:{id}", fields);
                    await _db.KeyExpireAsync($"user:{id}", {|CG0001:TimeSpan.FromHours(1)|});
                }
            }
            """, FixedUsings + """
            class C
            {
                IDatabase _db = null!;
                async Task M(string id, HashEntry[] fields)
                {
                    await _db.HashSetAsync($"user:{id}", fields);
                    await _db.KeyExpireAsync($"user:{id}", CacheTtl.Jitter(TimeSpan.FromHours(1)));
                }
            }
            """);

    [Fact]
    public Task WrapperParameter_IsFlaggedInsideTheWrapper_AndFixedThere() =>
        Verify.VerifyCodeFixAsync(Usings + """
            class RedisCache
            {
                IDatabase _db = null!;
                public Task SetAsync(string key, string value, TimeSpan ttl) => _db.StringSetAsync(key, value, {|CG0001:ttl|});
            }
            class Caller
            {
                RedisCache _cache = null!;
                Task M(string json) => _cache.SetAsync("k", json, TimeSpan.FromMinutes(5));
            }
            """, FixedUsings + """
            class RedisCache
            {
                IDatabase _db = null!;
                public Task SetAsync(string key, string value, TimeSpan ttl) => _db.StringSetAsync(key, value, CacheTtl.Jitter(ttl));
            }
            class Caller
            {
                RedisCache _cache = null!;
                Task M(string json) => _cache.SetAsync("k", json, TimeSpan.FromMinutes(5));
            }
            """);

    [Fact]
    public Task NullableParameter_UsesTheNullableOverload() =>
        Verify.VerifyCodeFixAsync(Usings + """
            class C
            {
                IDatabase _db = null!;
                bool M(string key, string value, TimeSpan? ttl = null) => _db.StringSet(key, value, {|CG0001:ttl|}, When.Always);
                bool Caller(string json) => M("k", json, TimeSpan.FromMinutes(5));
            }
            """, FixedUsings + """
            class C
            {
                IDatabase _db = null!;
                bool M(string key, string value, TimeSpan? ttl = null) => _db.StringSet(key, value, CacheTtl.Jitter(ttl), When.Always);
                bool Caller(string json) => M("k", json, TimeSpan.FromMinutes(5));
            }
            """);

    [Fact]
    public Task ConfiguredFraction_IsPassedByTheFix() =>
        Verify.VerifyCodeFixAsync(Usings + """
            class C
            {
                IDatabase _db = null!;
                void M(string key, string json) => _db.StringSet(key, json, {|CG0001:TimeSpan.FromMinutes(5)|});
            }
            """, FixedUsings + """
            class C
            {
                IDatabase _db = null!;
                void M(string key, string json) => _db.StringSet(key, json, CacheTtl.Jitter(TimeSpan.FromMinutes(5), 0.2));
            }
            """, editorConfig: "cacheguard.jitter_fraction = 0.2");

    [Fact]
    public Task FixAll_FixesEveryOccurrence_AndKeepsTrivia() =>
        Verify.VerifyCodeFixAsync(Usings + """
            class C
            {
                IDatabase _db = null!;
                async Task M(string key, string json)
                {
                    await _db.StringSetAsync(key + ":a", json, /* five */ {|CG0001:TimeSpan.FromMinutes(5)|});
                    await _db.StringSetAsync(key + ":b", json,
                        {|CG0001:TimeSpan.FromMinutes(6)|} // six
                    );
                }
            }
            """, FixedUsings + """
            class C
            {
                IDatabase _db = null!;
                async Task M(string key, string json)
                {
                    await _db.StringSetAsync(key + ":a", json, /* five */ CacheTtl.Jitter(TimeSpan.FromMinutes(5)));
                    await _db.StringSetAsync(key + ":b", json,
                        CacheTtl.Jitter(TimeSpan.FromMinutes(6)) // six
                    );
                }
            }
            """);

    [Fact]
    public Task ExistingUsing_IsNotDuplicated() =>
        Verify.VerifyCodeFixAsync("using CacheGuard;\n" + Usings + """
            class C
            {
                IDatabase _db = null!;
                void M(string key, string json) => _db.StringSet(key, json, {|CG0001:TimeSpan.FromMinutes(5)|});
            }
            """, "using CacheGuard;\n" + Usings + """
            class C
            {
                IDatabase _db = null!;
                void M(string key, string json) => _db.StringSet(key, json, CacheTtl.Jitter(TimeSpan.FromMinutes(5)));
            }
            """);

    public static TheoryData<string, LanguageVersion> JitteredOrComputedTtls_AreNotFlaggedCases()
    {
        var data = new TheoryData<string, LanguageVersion>();
        foreach (var version in new[] { LanguageVersion.Latest, LanguageVersion.CSharp9 })
        {
            data.Add("TimeSpan.FromSeconds(300 + Random.Shared.Next(30))", version);
            data.Add("TimeSpan.FromSeconds(600 * (1 + Random.Shared.NextDouble() * 0.1))", version);
            data.Add("jittered", version);
            data.Add("JitteredField", version);
            data.Add("NextTtl()", version);
            data.Add("TimeSpan.FromMinutes(5) + TimeSpan.FromSeconds(_random.Next(60))", version);
            data.Add("TimeSpan.FromSeconds(RandomNumberGenerator.GetInt32(300, 330))", version);
            data.Add("CacheTtl.Jitter(TimeSpan.FromMinutes(5))", version);
            data.Add("token.ExpiresAt - DateTimeOffset.UtcNow", version);
            data.Add("token.ExpiresAtUtc - DateTime.UtcNow", version);
            data.Add("token.ExpiresAt.Subtract(DateTimeOffset.UtcNow)", version);
            data.Add("default", version);
            data.Add("Expiration.KeepTtl", version);
            data.Add("Expiration.Persist", version);
            data.Add("unknownTtl", version);
        }
        return data;
    }

    [Theory]
    [MemberData(nameof(JitteredOrComputedTtls_AreNotFlaggedCases))]
    public Task JitteredOrComputedTtls_AreNotFlagged(string expiry, LanguageVersion version) =>
        Verify.VerifyAnalyzerAsync("using System.Security.Cryptography;\nusing CacheGuard;\n" + Usings + $$"""
            class Token { public DateTimeOffset ExpiresAt { get; set; } public DateTime ExpiresAtUtc { get; set; } }
            class C
            {
                static readonly TimeSpan JitteredField = TimeSpan.FromSeconds(300 + Random.Shared.Next(30));
                readonly Random _random = new();
                IDatabase _db = null!;
                static TimeSpan NextTtl() => TimeSpan.FromSeconds(300 + Random.Shared.Next(0, 30));
                void M(string key, string value, Token token, Func<TimeSpan> source)
                {
                    var jittered = TimeSpan.FromMinutes(5);
                    jittered += TimeSpan.FromSeconds(Random.Shared.Next(30));
                    var unknownTtl = source();
                    _db.StringSet(key, value, {{expiry}});
                }
            }
            """, version);

    public static TheoryData<string, LanguageVersion> LocksFlagsAndNoExpiry_AreNotFlaggedCases()
    {
        var data = new TheoryData<string, LanguageVersion>();
        foreach (var version in new[] { LanguageVersion.Latest, LanguageVersion.CSharp9 })
        {
            data.Add("""_db.StringSet("lock:job", token, TimeSpan.FromSeconds(30), When.NotExists)""", version);
            data.Add("""_db.StringSet("lock:job", token, TimeSpan.FromSeconds(30), false, When.NotExists, CommandFlags.None)""", version);
            data.Add("""_db.StringSet("lock:job", token, TimeSpan.FromSeconds(30), ValueCondition.NotExists)""", version);
            data.Add("""_db.LockTake("lock:job", token, TimeSpan.FromSeconds(30))""", version);
            data.Add("""_db.StringSet("cooldown:" + user, true, TimeSpan.FromMinutes(1), When.NotExists)""", version);
            data.Add("""_db.StringSet("cooldown:" + user, true, TimeSpan.FromMinutes(1))""", version);
            data.Add("""_db.StringSet("k", "v")""", version);
            data.Add("""_db.StringSet("k", "v", null, When.Always)""", version);
        }
        return data;
    }

    [Theory]
    [MemberData(nameof(LocksFlagsAndNoExpiry_AreNotFlaggedCases))]
    public Task LocksFlagsAndNoExpiry_AreNotFlagged(string call, LanguageVersion version) =>
        Verify.VerifyAnalyzerAsync(Usings + $$"""
            class C
            {
                IDatabase _db = null!;
                void M(string token, string user) { {{call}}; }
            }
            """, version);

    [Fact]
    public Task CounterWindow_IsNotFlagged() =>
        Verify.VerifyAnalyzerAsync(Usings + """
            class C
            {
                IDatabase _db = null!;
                async Task<bool> AllowAsync(string user)
                {
                    var key = $"rate:{user}";
                    var count = await _db.StringIncrementAsync(key);
                    if (count == 1)
                        await _db.KeyExpireAsync(key, TimeSpan.FromMinutes(1));
                    return count <= 100;
                }
            }
            """);

    [Fact]
    public Task KeyExpire_OnAKeyTheMethodDidNotWrite_IsNotFlagged() =>
        Verify.VerifyAnalyzerAsync(Usings + """
            class C
            {
                IDatabase _db = null!;
                Task<bool> TouchAsync(string key) => _db.KeyExpireAsync(key, TimeSpan.FromMinutes(1));
            }
            """);

    [Fact]
    public Task ExcludedSymbols_AreNotAnalyzed() =>
        Verify.VerifyAnalyzerAsync(Usings + """
            namespace App.Sessions
            {
                class SessionStore
                {
                    IDatabase _db = null!;
                    void Save(string key, string json) => _db.StringSet(key, json, TimeSpan.FromMinutes(20));
                }
                class Other
                {
                    IDatabase _db = null!;
                    void Save(string key, string json) => _db.StringSet(key, json, {|CG0001:TimeSpan.FromMinutes(20)|});
                    void Skip(string key, string json) => _db.StringSet(key, json, TimeSpan.FromMinutes(20));
                }
            }
            """, editorConfig: "dotnet_diagnostic.CG0001.excluded_symbols = App.Sessions.SessionStore | Skip");

    // Issue 18 (CacheManager RedisCacheHandle): a compare-and-set update (a transaction guarded by
    // AddCondition) does not populate the key, so a KeyExpire after it renews an existing entry's expiry.
    [Fact]
    public Task KeyExpire_AfterAConditionalTransactionUpdate_IsNotFlagged() =>
        Verify.VerifyAnalyzerAsync(Usings + """
            class C
            {
                IDatabase _db = null!;
                bool Replace(string key, string expected, string value, TimeSpan timeout)
                {
                    var transaction = _db.CreateTransaction();
                    transaction.AddCondition(Condition.HashEqual(key, "value", expected));
                    _ = transaction.HashSetAsync(key, "value", value);
                    if (!transaction.Execute())
                        return false;
                    _db.KeyExpire(key, TimeSpan.FromMinutes(10));
                    return true;
                }
            }
            """);

    // The same transaction without a condition populates the key: its KeyExpire is still a fixed TTL.
    [Fact]
    public Task KeyExpire_AfterAnUnconditionalTransactionWrite_IsFlagged() =>
        Verify.VerifyAnalyzerAsync(Usings + """
            class C
            {
                IDatabase _db = null!;
                bool Store(string key, string value)
                {
                    var transaction = _db.CreateTransaction();
                    _ = transaction.HashSetAsync(key, "value", value);
                    if (!transaction.Execute())
                        return false;
                    _db.KeyExpire(key, {|CG0001:TimeSpan.FromMinutes(10)|});
                    return true;
                }
            }
            """);

    // An instant an hour from now is a one-hour TTL for every key expired at the same moment (RULES.md, CG0001); it was read
    // as a deadline before 2026-12-03. The fix jitters the hour.
    [Theory]
    [MemberData(nameof(Versions))]
    public Task AbsoluteExpiry_NowPlusAConstant_IsFlagged_AndTheOffsetJittered(LanguageVersion version) =>
        Verify.VerifyCodeFixAsync(Usings + """
            class C
            {
                IDatabase _db = null!;
                async Task M(string key, string json)
                {
                    await _db.StringSetAsync(key, json);
                    await _db.KeyExpireAsync(key, {|CG0001:DateTime.UtcNow.AddHours(1)|});
                }
            }
            """, FixedUsings + """
            class C
            {
                IDatabase _db = null!;
                async Task M(string key, string json)
                {
                    await _db.StringSetAsync(key, json);
                    await _db.KeyExpireAsync(key, DateTime.UtcNow.Add(CacheTtl.Jitter(TimeSpan.FromHours(1))));
                }
            }
            """, version);

    [Theory]
    [MemberData(nameof(Versions))]
    public Task AbsoluteExpiry_TheDatasOwnDeadline_IsNotFlagged(LanguageVersion version) =>
        Verify.VerifyAnalyzerAsync(Usings + """
            class Token { public string Value { get; set; } = ""; public DateTimeOffset ExpiresAt { get; set; } }
            class C
            {
                IDatabase _db = null!;
                async Task M(string key, Token token)
                {
                    await _db.StringSetAsync(key, token.Value);
                    await _db.KeyExpireAsync(key, token.ExpiresAt.UtcDateTime);
                    await _db.KeyExpireAsync(key, token.ExpiresAt.AddMinutes(-1).UtcDateTime);
                }
            }
            """, version);

    [Fact]
    public Task NoRedisReference_NothingRuns() =>
        new Verifiers.CSharpVerifier<FixedTtlAnalyzer, FixedTtlCodeFix>.Test
        {
            TestCode = """
                using System;
                class IDatabase { public void StringSet(string k, string v, TimeSpan t) { } }
                class C { void M(IDatabase db) => db.StringSet("k", "v", TimeSpan.FromMinutes(5)); }
                """,
        }.RunAsync();
}
