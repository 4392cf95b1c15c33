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

    [Theory]
    [InlineData("TimeSpan.FromSeconds(30)")]
    [InlineData("new TimeSpan(0, 5, 0)")]
    [InlineData("Ttl")]
    [InlineData("StaticTtl")]
    [InlineData("_options.Ttl")]
    [InlineData("TimeSpan.FromMinutes(Minutes)")]
    [InlineData("TimeSpan.FromSeconds(_options.Seconds * 2)")]
    [InlineData("ttl ?? TimeSpan.FromMinutes(5)")]
    [InlineData("TimeSpan.FromMinutes(5) + TimeSpan.FromSeconds(10)")]
    [InlineData("flag ? TimeSpan.FromMinutes(1) : TimeSpan.FromMinutes(2)")]
    [InlineData("local")]
    public Task FixedOrigins_AreFlagged(string expiry) =>
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
            """);

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
        test.ExpectedDiagnostics.Add(Verify.Diagnostic("CG0001").WithLocation(0).WithArguments("the TTL 'ProfileTtl'"));
        await test.RunAsync();
    }

    [Theory]
    [InlineData("""_db.StringSet(key, value, {|CG0001:TimeSpan.FromMinutes(5)|}, When.Always)""")]
    [InlineData("""_db.StringSet(key, value, expiry: {|CG0001:TimeSpan.FromMinutes(5)|})""")]
    [InlineData("""_db.StringSet(value: value, expiry: {|CG0001:TimeSpan.FromMinutes(5)|}, key: key)""")]
    [InlineData("""_db.StringSet(key, value, {|CG0001:TimeSpan.FromMinutes(5)|}, false, When.Always, CommandFlags.None)""")]
    [InlineData("""_db.StringSet(key, value, {|CG0001:new Expiration(TimeSpan.FromMinutes(5))|})""")]
    [InlineData("""_db.StringSetAndGet(key, value, {|CG0001:TimeSpan.FromMinutes(5)|})""")]
    [InlineData("""_db.StringGetSetExpiry(key, {|CG0001:TimeSpan.FromMinutes(5)|})""")]
    [InlineData("""_db.CreateBatch().StringSetAsync(key, value, {|CG0001:TimeSpan.FromMinutes(5)|})""")]
    [InlineData("""_db.CreateTransaction().StringSetAsync(key, value, {|CG0001:TimeSpan.FromMinutes(5)|})""")]
    [InlineData("""((IDatabaseAsync)_db).StringSetAsync(key, value, {|CG0001:TimeSpan.FromMinutes(5)|})""")]
    public Task EveryWriteShape_IsFlagged(string call) =>
        Verify.VerifyAnalyzerAsync(Usings + $$"""
            class C
            {
                IDatabase _db = null!;
                void M(string key, string value) { {{call}}; }
            }
            """);

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
                Task M() => _cache.SetAsync("k", "v", TimeSpan.FromMinutes(5));
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
                Task M() => _cache.SetAsync("k", "v", TimeSpan.FromMinutes(5));
            }
            """);

    [Fact]
    public Task NullableParameter_UsesTheNullableOverload() =>
        Verify.VerifyCodeFixAsync(Usings + """
            class C
            {
                IDatabase _db = null!;
                bool M(string key, string value, TimeSpan? ttl = null) => _db.StringSet(key, value, {|CG0001:ttl|}, When.Always);
            }
            """, FixedUsings + """
            class C
            {
                IDatabase _db = null!;
                bool M(string key, string value, TimeSpan? ttl = null) => _db.StringSet(key, value, CacheTtl.Jitter(ttl), When.Always);
            }
            """);

    [Fact]
    public Task ConfiguredFraction_IsPassedByTheFix() =>
        Verify.VerifyCodeFixAsync(Usings + """
            class C
            {
                IDatabase _db = null!;
                void M(string key) => _db.StringSet(key, "v", {|CG0001:TimeSpan.FromMinutes(5)|});
            }
            """, FixedUsings + """
            class C
            {
                IDatabase _db = null!;
                void M(string key) => _db.StringSet(key, "v", CacheTtl.Jitter(TimeSpan.FromMinutes(5), 0.2));
            }
            """, editorConfig: "cacheguard.jitter_fraction = 0.2");

    [Fact]
    public Task FixAll_FixesEveryOccurrence_AndKeepsTrivia() =>
        Verify.VerifyCodeFixAsync(Usings + """
            class C
            {
                IDatabase _db = null!;
                async Task M(string key)
                {
                    await _db.StringSetAsync(key + ":a", "v", /* five */ {|CG0001:TimeSpan.FromMinutes(5)|});
                    await _db.StringSetAsync(key + ":b", "v",
                        {|CG0001:TimeSpan.FromMinutes(6)|} // six
                    );
                }
            }
            """, FixedUsings + """
            class C
            {
                IDatabase _db = null!;
                async Task M(string key)
                {
                    await _db.StringSetAsync(key + ":a", "v", /* five */ CacheTtl.Jitter(TimeSpan.FromMinutes(5)));
                    await _db.StringSetAsync(key + ":b", "v",
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
                void M(string key) => _db.StringSet(key, "v", {|CG0001:TimeSpan.FromMinutes(5)|});
            }
            """, "using CacheGuard;\n" + Usings + """
            class C
            {
                IDatabase _db = null!;
                void M(string key) => _db.StringSet(key, "v", CacheTtl.Jitter(TimeSpan.FromMinutes(5)));
            }
            """);

    [Theory]
    [InlineData("TimeSpan.FromSeconds(300 + Random.Shared.Next(30))")]
    [InlineData("TimeSpan.FromSeconds(600 * (1 + Random.Shared.NextDouble() * 0.1))")]
    [InlineData("jittered")]
    [InlineData("JitteredField")]
    [InlineData("NextTtl()")]
    [InlineData("TimeSpan.FromMinutes(5) + TimeSpan.FromSeconds(_random.Next(60))")]
    [InlineData("TimeSpan.FromSeconds(RandomNumberGenerator.GetInt32(300, 330))")]
    [InlineData("CacheTtl.Jitter(TimeSpan.FromMinutes(5))")]
    [InlineData("token.ExpiresAt - DateTimeOffset.UtcNow")]
    [InlineData("token.ExpiresAtUtc - DateTime.UtcNow")]
    [InlineData("token.ExpiresAt.Subtract(DateTimeOffset.UtcNow)")]
    [InlineData("default")]
    [InlineData("Expiration.KeepTtl")]
    [InlineData("Expiration.Persist")]
    [InlineData("unknownTtl")]
    public Task JitteredOrComputedTtls_AreNotFlagged(string expiry) =>
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
            """);

    [Theory]
    [InlineData("""_db.StringSet("lock:job", token, TimeSpan.FromSeconds(30), When.NotExists)""")]
    [InlineData("""_db.StringSet("lock:job", token, TimeSpan.FromSeconds(30), false, When.NotExists, CommandFlags.None)""")]
    [InlineData("""_db.StringSet("lock:job", token, TimeSpan.FromSeconds(30), ValueCondition.NotExists)""")]
    [InlineData("""_db.LockTake("lock:job", token, TimeSpan.FromSeconds(30))""")]
    [InlineData("""_db.StringSet("cooldown:" + user, true, TimeSpan.FromMinutes(1), When.NotExists)""")]
    [InlineData("""_db.StringSet("cooldown:" + user, true, TimeSpan.FromMinutes(1))""")]
    [InlineData("""_db.StringSet("k", "v")""")]
    [InlineData("""_db.StringSet("k", "v", null, When.Always)""")]
    public Task LocksFlagsAndNoExpiry_AreNotFlagged(string call) =>
        Verify.VerifyAnalyzerAsync(Usings + $$"""
            class C
            {
                IDatabase _db = null!;
                void M(string token, string user) { {{call}}; }
            }
            """);

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
                    void Save(string key) => _db.StringSet(key, "v", TimeSpan.FromMinutes(20));
                }
                class Other
                {
                    IDatabase _db = null!;
                    void Save(string key) => _db.StringSet(key, "v", {|CG0001:TimeSpan.FromMinutes(20)|});
                    void Skip(string key) => _db.StringSet(key, "v", TimeSpan.FromMinutes(20));
                }
            }
            """, editorConfig: "dotnet_diagnostic.CG0001.excluded_symbols = App.Sessions.SessionStore | Skip");

    [Fact]
    public Task AbsoluteDateTimeExpiry_IsNotFlagged() =>
        Verify.VerifyAnalyzerAsync(Usings + """
            class C
            {
                IDatabase _db = null!;
                async Task M(string key)
                {
                    await _db.StringSetAsync(key, "v");
                    await _db.KeyExpireAsync(key, DateTime.UtcNow.AddHours(1));
                }
            }
            """);

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
