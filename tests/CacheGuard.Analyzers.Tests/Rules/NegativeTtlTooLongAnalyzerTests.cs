using Microsoft.CodeAnalysis.CSharp;
using Verify = CacheGuard.Analyzers.Tests.Verifiers.CSharpVerifier<CacheGuard.Analyzers.Rules.NegativeTtlTooLongAnalyzer, CacheGuard.CodeFixes.NegativeTtlTooLongCodeFix>;

namespace CacheGuard.Analyzers.Tests.Rules;

public class NegativeTtlTooLongAnalyzerTests
{
    private const string Usings = """
        using System;
        using System.Text.Json;
        using System.Threading.Tasks;
        using StackExchange.Redis;

        """;

    private const string FixedUsings = """
        using System;
        using System.Text.Json;
        using System.Threading.Tasks;
        using CacheGuard;
        using StackExchange.Redis;

        """;

    private const string Domain = """

        public class User { public int Id { get; set; } public string Email { get; set; } = ""; }
        public interface IUserStore
        {
            Task<User?> FindAsync(int id);
            User? Find(int id);
            Task<bool> ExistsAsync(string email);
        }
        """;

    public static TheoryData<LanguageVersion> Versions => new() { LanguageVersion.Latest, LanguageVersion.CSharp9 };

    [Theory]
    [MemberData(nameof(Versions))]
    public Task ExplicitSentinel_InNotFoundBranch_IsFlagged_AndGetsNegativeTtl(LanguageVersion version) =>
        Verify.VerifyCodeFixAsync(Usings + """
            class Users
            {
                private const string Missing = "<missing>";
                private readonly IDatabase _db = null!;
                private readonly IUserStore _store = null!;

                public async Task<User?> GetAsync(int id)
                {
                    var user = await _store.FindAsync(id);
                    if (user is null)
                    {
                        await _db.StringSetAsync($"user:{id}", Missing, {|CG0005:TimeSpan.FromHours(1)|});
                        return null;
                    }
                    await _db.StringSetAsync($"user:{id}", JsonSerializer.Serialize(user), TimeSpan.FromMinutes(10));
                    return user;
                }
            }
            """ + Domain, FixedUsings + """
            class Users
            {
                private const string Missing = "<missing>";
                private readonly IDatabase _db = null!;
                private readonly IUserStore _store = null!;

                public async Task<User?> GetAsync(int id)
                {
                    var user = await _store.FindAsync(id);
                    if (user is null)
                    {
                        await _db.StringSetAsync($"user:{id}", Missing, CacheTtl.Negative());
                        return null;
                    }
                    await _db.StringSetAsync($"user:{id}", JsonSerializer.Serialize(user), TimeSpan.FromMinutes(10));
                    return user;
                }
            }
            """ + Domain, version);

    [Theory]
    [InlineData("\"\"", "user == null")]
    [InlineData("RedisValue.EmptyString", "user is null")]
    [InlineData("\"__NEGATIVE__\"", "!(user is { })")]
    [InlineData("\"null\"", "null == user")]
    [InlineData("JsonSerializer.Serialize(user)", "user is null")]
    [InlineData("JsonSerializer.Serialize<User?>(null)", "user is null")]
    [InlineData("0", "user is null")]
    public Task NegativeValues_InNotFoundBranch_AreFlagged(string value, string condition) =>
        Verify.VerifyAnalyzerAsync(Usings + $$"""
            class Users
            {
                private readonly IDatabase _db = null!;
                private readonly IUserStore _store = null!;

                public User? Get(int id)
                {
                    var user = _store.Find(id);
                    if ({{condition}})
                    {
                        _db.StringSet("user:" + id, {{value}}, {|CG0005:TimeSpan.FromMinutes(10)|}, When.Always);
                        return null;
                    }
                    return user;
                }
            }
            """ + Domain);

    [Fact]
    public Task ExistenceFlag_WrittenWhenNotFound_IsFlagged() =>
        Verify.VerifyCodeFixAsync(Usings + """
            class Emails
            {
                private readonly IDatabase _db = null!;
                private readonly IUserStore _store = null!;

                public async Task<bool> IsTakenAsync(string email)
                {
                    var exists = await _store.ExistsAsync(email);
                    if (!exists)
                        await _db.StringSetAsync($"email-exists:{email}", false, {|CG0005:TimeSpan.FromMinutes(15)|});
                    return exists;
                }
            }
            """ + Domain, FixedUsings + """
            class Emails
            {
                private readonly IDatabase _db = null!;
                private readonly IUserStore _store = null!;

                public async Task<bool> IsTakenAsync(string email)
                {
                    var exists = await _store.ExistsAsync(email);
                    if (!exists)
                        await _db.StringSetAsync($"email-exists:{email}", false, CacheTtl.Negative());
                    return exists;
                }
            }
            """ + Domain);

    [Fact]
    public Task AfterEarlyReturnOnFound_IsFlagged() =>
        Verify.VerifyAnalyzerAsync(Usings + """
            class Users
            {
                private readonly IDatabase _db = null!;
                private readonly IUserStore _store = null!;

                public async Task<User?> GetAsync(int id)
                {
                    var user = await _store.FindAsync(id);
                    if (user != null)
                    {
                        await _db.StringSetAsync($"user:{id}", JsonSerializer.Serialize(user), TimeSpan.FromMinutes(10));
                        return user;
                    }
                    await _db.StringSetAsync($"user:{id}", "", {|CG0005:NegativeTtl|});
                    return null;
                }

                private static readonly TimeSpan NegativeTtl = TimeSpan.FromMinutes(5);
            }
            """ + Domain);

    [Theory]
    [MemberData(nameof(Versions))]
    public Task Implicit_NullableResultSerializedWithPositiveTtl_IsSplit(LanguageVersion version) =>
        Verify.VerifyCodeFixAsync(Usings + """
            class Users
            {
                private readonly IDatabase _db = null!;
                private readonly IUserStore _store = null!;

                public async Task<User?> GetAsync(int id)
                {
                    var cached = await _db.StringGetAsync($"user:{id}");
                    if (cached.HasValue)
                        return JsonSerializer.Deserialize<User>(cached.ToString());
                    var user = await _store.FindAsync(id);
                    await _db.StringSetAsync($"user:{id}", JsonSerializer.Serialize(user), {|CG0005:TimeSpan.FromMinutes(10)|});
                    return user;
                }
            }
            """ + Domain, FixedUsings + """
            class Users
            {
                private readonly IDatabase _db = null!;
                private readonly IUserStore _store = null!;

                public async Task<User?> GetAsync(int id)
                {
                    var cached = await _db.StringGetAsync($"user:{id}");
                    if (cached.HasValue)
                        return JsonSerializer.Deserialize<User>(cached.ToString());
                    var user = await _store.FindAsync(id);
                    await _db.StringSetAsync($"user:{id}", JsonSerializer.Serialize(user), user is null ? CacheTtl.Negative() : TimeSpan.FromMinutes(10));
                    return user;
                }
            }
            """ + Domain, version);

    [Fact]
    public Task Implicit_ConditionalValueWithOneTtl_IsSplit() =>
        Verify.VerifyCodeFixAsync(Usings + """
            class Users
            {
                private static readonly TimeSpan Ttl = TimeSpan.FromMinutes(20);
                private readonly IDatabase _db = null!;
                private readonly IUserStore _store = null!;

                public User? Get(int id)
                {
                    var user = _store.Find(id);
                    _db.StringSet("user:" + id, user is null ? "" : JsonSerializer.Serialize(user), {|CG0005:Ttl|}, When.Always);
                    return user;
                }
            }
            """ + Domain, FixedUsings + """
            class Users
            {
                private static readonly TimeSpan Ttl = TimeSpan.FromMinutes(20);
                private readonly IDatabase _db = null!;
                private readonly IUserStore _store = null!;

                public User? Get(int id)
                {
                    var user = _store.Find(id);
                    _db.StringSet("user:" + id, user is null ? "" : JsonSerializer.Serialize(user), user is null ? CacheTtl.Negative() : Ttl, When.Always);
                    return user;
                }
            }
            """ + Domain);

    [Theory]
    [InlineData("TimeSpan.FromMinutes(10) + TimeSpan.FromSeconds(Random.Shared.Next(30))")]
    [InlineData("CacheGuard.CacheTtl.Jitter(TimeSpan.FromMinutes(5))")]
    [InlineData("new TimeSpan(0, 2, 0)")]
    [InlineData("TimeSpan.FromSeconds(Seconds)")]
    [InlineData("local")]
    public Task KnownTtls_OverTheLimit_AreFlagged(string expiry) =>
        Verify.VerifyAnalyzerAsync(Usings + $$"""
            class Users
            {
                private const int Seconds = 45;
                private readonly IDatabase _db = null!;
                private readonly IUserStore _store = null!;

                public void Cache(int id)
                {
                    var local = TimeSpan.FromMinutes(1);
                    var user = _store.Find(id);
                    if (user is null)
                        _db.StringSet($"user:{id}", "<none>", {|CG0005:{{expiry}}|}, When.Always);
                }
            }
            """ + Domain);

    [Fact]
    public Task UnambiguousMarker_OutsideABranch_IsFlagged() =>
        Verify.VerifyAnalyzerAsync(Usings + """
            class Users
            {
                private const string NotFound = "n/a";
                private readonly IDatabase _db = null!;

                public void MarkMissing(int id) => _db.StringSet($"user:{id}", "__NEGATIVE__", {|CG0005:TimeSpan.FromMinutes(5)|}, When.Always);

                public void MarkMissingByName(int id) => _db.StringSet($"user:{id}", NotFound, {|CG0005:TimeSpan.FromMinutes(5)|}, When.Always);
            }
            """ + Domain);

    [Fact]
    public Task ConfiguredLimit_IsUsed_ByAnalyzerAndFix() =>
        Verify.VerifyCodeFixAsync(Usings + """
            class Users
            {
                private readonly IDatabase _db = null!;
                private readonly IUserStore _store = null!;

                public void Cache(int id)
                {
                    var user = _store.Find(id);
                    if (user is null)
                        _db.StringSet($"user:{id}", "", {|CG0005:TimeSpan.FromSeconds(20)|}, When.Always);
                }
            }
            """ + Domain, FixedUsings + """
            class Users
            {
                private readonly IDatabase _db = null!;
                private readonly IUserStore _store = null!;

                public void Cache(int id)
                {
                    var user = _store.Find(id);
                    if (user is null)
                        _db.StringSet($"user:{id}", "", CacheTtl.Negative(TimeSpan.FromSeconds(10)), When.Always);
                }
            }
            """ + Domain, editorConfig: "cacheguard.negative_ttl_limit_seconds = 10");

    [Fact]
    public Task Message_NamesTtlAndLimit()
    {
        var source = Usings + """
                class Users
                {
                    private readonly IDatabase _db = null!;
                    private readonly IUserStore _store = null!;

                    public void Cache(int id)
                    {
                        var user = _store.Find(id);
                        if (user is null)
                            _db.StringSet($"user:{id}", "", {|#0:TimeSpan.FromHours(1)|}, When.Always);
                    }
                }
                """ + Domain;
        var test = new Verify.Test { TestCode = source };
        test.ExpectedDiagnostics.Add(Verify.Diagnostic("CG0005").WithLocation(0).WithArguments("1 h", "30 s"));
        test.FixedCode = source.Replace("{|#0:TimeSpan.FromHours(1)|}", "CacheTtl.Negative()").Replace("using StackExchange.Redis;", "using CacheGuard;\nusing StackExchange.Redis;");
        return test.RunAsync();
    }

    [Theory]
    [InlineData("TimeSpan.FromSeconds(30)")]
    [InlineData("TimeSpan.FromSeconds(5)")]
    [InlineData("CacheGuard.CacheTtl.Negative()")]
    [InlineData("CacheGuard.CacheTtl.DefaultNegativeTtl")]
    [InlineData("ttl")]
    [InlineData("_options.NegativeTtl")]
    [InlineData("TimeSpan.FromSeconds(_options.Seconds)")]
    [InlineData("null")]
    public Task ShortOrUnknownNegativeTtls_AreNotFlagged(string expiry) =>
        Verify.VerifyAnalyzerAsync(Usings + $$"""
            class Options { public TimeSpan NegativeTtl { get; set; } public int Seconds { get; set; } }
            class Users
            {
                private readonly Options _options = new();
                private readonly IDatabase _db = null!;
                private readonly IUserStore _store = null!;

                public void Cache(int id, TimeSpan ttl)
                {
                    var user = _store.Find(id);
                    if (user is null)
                        _db.StringSet($"user:{id}", "", {{expiry}}, When.Always);
                }
            }
            """ + Domain);

    [Fact]
    public Task PositiveWrites_AreNotFlagged() =>
        Verify.VerifyAnalyzerAsync(Usings + """
            class Users
            {
                private readonly IDatabase _db = null!;
                private readonly IUserStore _store = null!;

                public async Task<User?> GetAsync(int id)
                {
                    var cached = await _db.StringGetAsync($"user:{id}");
                    if (cached.IsNull)
                    {
                        var user = await _store.FindAsync(id);
                        if (user is null)
                            return null;
                        await _db.StringSetAsync($"user:{id}", JsonSerializer.Serialize(user), TimeSpan.FromMinutes(10));
                        return user;
                    }
                    return JsonSerializer.Deserialize<User>(cached.ToString());
                }

                public async Task<User?> GetOtherAsync(int id)
                {
                    var user = await _store.FindAsync(id);
                    if (user is not null)
                        await _db.StringSetAsync($"user:{id}", JsonSerializer.Serialize(user), TimeSpan.FromMinutes(10));
                    return user;
                }

                // Cache-miss branches write what was fetched, not "not found".
                public async Task<string> GetNameAsync(int id)
                {
                    var cached = await _db.StringGetAsync($"name:{id}");
                    if (cached.IsNullOrEmpty)
                    {
                        var name = "n" + id;
                        await _db.StringSetAsync($"name:{id}", name, TimeSpan.FromMinutes(10));
                        return name;
                    }
                    return cached.ToString();
                }

                // A value that is never null: serializing it is a positive write.
                public Task SaveAsync(User user) =>
                    _db.StringSetAsync($"user:{user.Id}", JsonSerializer.Serialize(user), TimeSpan.FromMinutes(10));

                // A lockout flag written when a check fails is not a cached "does not exist".
                public async Task ThrottleAsync(string ip)
                {
                    var allowed = await _store.ExistsAsync(ip);
                    if (!allowed)
                        await _db.StringSetAsync($"blocked:{ip}", "1", TimeSpan.FromMinutes(15));
                }

                public async Task ThrottleOtherAsync(string ip)
                {
                    var allowed = await CheckAsync(ip);
                    if (!allowed)
                        await _db.StringSetAsync($"blocked:{ip}", "0", TimeSpan.FromMinutes(15));
                }

                private Task<bool> CheckAsync(string ip) => Task.FromResult(ip.Length > 0);

                // "none" is a real value of a status key, not a marker.
                public void Status(int id) => _db.StringSet($"status:{id}", "none", TimeSpan.FromHours(1), When.Always);

                // A long negative TTL the team configured on purpose.
                public void Remember(int id)
                {
                    var user = _store.Find(id);
                    if (user is null)
                        _db.StringSet($"user:{id}", "", TimeSpan.FromMinutes(1), When.Always);
                }
            }
            """ + Domain, editorConfig: "dotnet_diagnostic.CG0005.negative_ttl_limit_seconds = 120");

    [Fact]
    public Task Implicit_WithNullableDisabled_IsNotFlagged() =>
        Verify.VerifyAnalyzerAsync(Usings + """
            #nullable disable
            class Users
            {
                private readonly IDatabase _db = null;
                private readonly ILegacyStore _store = null;

                public async Task<LegacyUser> GetAsync(int id)
                {
                    var user = await _store.FindAsync(id);
                    await _db.StringSetAsync($"user:{id}", JsonSerializer.Serialize(user), TimeSpan.FromMinutes(10));
                    return user;
                }
            }
            public class LegacyUser { public int Id { get; set; } }
            public interface ILegacyStore { Task<LegacyUser> FindAsync(int id); }
            """);

    [Fact]
    public Task Implicit_WithNullableDisabled_UsesTheLookupsDeclaredReturnType() =>
        Verify.VerifyAnalyzerAsync(Usings + """
            #nullable disable
            class Users
            {
                private readonly IDatabase _db = null;
                private readonly IUserStore _store = null;

                public async Task<User> GetAsync(int id)
                {
                    var user = await _store.FindAsync(id);
                    await _db.StringSetAsync($"user:{id}", JsonSerializer.Serialize(user), {|CG0005:TimeSpan.FromMinutes(10)|});
                    return user;
                }

                public async Task<User> GetCheckedAsync(int id)
                {
                    var user = await _store.FindAsync(id);
                    if (user == null)
                        return null;
                    await _db.StringSetAsync($"user:{id}", JsonSerializer.Serialize(user), TimeSpan.FromMinutes(10));
                    return user;
                }
            }
            #nullable restore
            """ + Domain);

    [Fact]
    public Task FixAll_FixesEveryNegativeWrite() =>
        Verify.VerifyCodeFixAsync(Usings + """
            class Users
            {
                private readonly IDatabase _db = null!;
                private readonly IUserStore _store = null!;

                public void A(int id)
                {
                    var user = _store.Find(id);
                    if (user is null)
                        _db.StringSet($"a:{id}", "", {|CG0005:TimeSpan.FromMinutes(5)|}, When.Always);
                }

                public void B(int id)
                {
                    var user = _store.Find(id);
                    if (user is null)
                        _db.StringSet($"b:{id}", "", {|CG0005:TimeSpan.FromMinutes(7)|}, When.Always);
                }
            }
            """ + Domain, FixedUsings + """
            class Users
            {
                private readonly IDatabase _db = null!;
                private readonly IUserStore _store = null!;

                public void A(int id)
                {
                    var user = _store.Find(id);
                    if (user is null)
                        _db.StringSet($"a:{id}", "", CacheTtl.Negative(), When.Always);
                }

                public void B(int id)
                {
                    var user = _store.Find(id);
                    if (user is null)
                        _db.StringSet($"b:{id}", "", CacheTtl.Negative(), When.Always);
                }
            }
            """ + Domain);

    [Theory]
    [MemberData(nameof(Versions))]
    public Task DistributedCache_NegativeSentinel_WithALongOptionsTtl_IsFlaggedOnTheAssignment_WithoutAFix(LanguageVersion version) =>
        Verify.VerifyAnalyzerAsync("""
            using System;
            using System.Threading.Tasks;
            using Microsoft.Extensions.Caching.Distributed;

            public class User { public int Id { get; set; } }
            public interface IUserStore { Task<User?> FindAsync(int id); }

            public class Users
            {
                private const string Missing = "<missing>";
                private readonly IDistributedCache _cache = null!;
                private readonly IUserStore _store = null!;

                public async Task<User?> GetAsync(int id)
                {
                    var user = await _store.FindAsync(id);
                    if (user is null)
                    {
                        await _cache.SetStringAsync("user:" + id, Missing, new DistributedCacheEntryOptions { {|CG0005:AbsoluteExpirationRelativeToNow = TimeSpan.FromHours(1)|} });
                        return null;
                    }
                    return user;
                }

                public async Task<User?> GetShortAsync(int id)
                {
                    var user = await _store.FindAsync(id);
                    if (user is null)
                    {
                        await _cache.SetStringAsync("user:" + id, Missing, new DistributedCacheEntryOptions { AbsoluteExpirationRelativeToNow = TimeSpan.FromSeconds(10) });
                        return null;
                    }
                    return user;
                }
            }
            """, version);
}
