using Microsoft.CodeAnalysis.CSharp;
using Verify = CacheGuard.Analyzers.Tests.Verifiers.CSharpVerifier<CacheGuard.Analyzers.Rules.FixedTtlAnalyzer, CacheGuard.CodeFixes.FixedTtlCodeFix>;

namespace CacheGuard.Analyzers.Tests.Engine;

/// <summary>
/// How the engine finds the bodies worth analyzing: a body is marked from the tokens at its candidate words
/// (the tree's text scan), each followed to the call or assignment it names. Each case is a body whose only
/// cache member is named in a shape the token-to-call step must follow.
/// </summary>
public class MarkingTests
{
    private const string Usings = """
        using System;
        using System.Threading.Tasks;
        using Microsoft.Extensions.Caching.Distributed;
        using Microsoft.Extensions.Caching.Memory;
        using StackExchange.Redis;

        """;

    public static TheoryData<LanguageVersion> Versions => new() { LanguageVersion.Latest, LanguageVersion.CSharp9 };

    public static TheoryData<string, LanguageVersion> CallShapes()
    {
        var data = new TheoryData<string, LanguageVersion>();
        foreach (var version in new[] { LanguageVersion.Latest, LanguageVersion.CSharp9 })
        {
            // Reached only through ?. (a member binding, the receiver is the conditional access's expression).
            data.Add("""_db?.StringSetAsync(key, json, {|CG0001:TimeSpan.FromMinutes(5)|})""", version);
            data.Add("""Holder.Db?.StringSetAsync(key, json, {|CG0001:TimeSpan.FromMinutes(5)|})""", version);
            // An escaped identifier (the recorded word is the backslash; the token's value is the name).
            data.Add("""_db.\u0053tringSetAsync(key, json, {|CG0001:TimeSpan.FromMinutes(5)|})""", version);
            data.Add("""_db.StringSet\u0041sync(key, json, {|CG0001:TimeSpan.FromMinutes(5)|})""", version);
            // A verbatim identifier.
            data.Add("""_db.@StringSetAsync(key, json, {|CG0001:TimeSpan.FromMinutes(5)|})""", version);
            // A parenthesized or cast receiver, a call in an argument of a call that is no candidate.
            data.Add("""((IDatabaseAsync)_db).StringSetAsync(key, json, {|CG0001:TimeSpan.FromMinutes(5)|})""", version);
            data.Add("""Task.Run(() => _db.StringSetAsync(key, json, {|CG0001:TimeSpan.FromMinutes(5)|}))""", version);
            // The name run into a number in a comment before it, and a non-ASCII word next to it.
            data.Add("""/*1StringSetAsync*/ _db.StringSetAsync(key, json, {|CG0001:TimeSpan.FromMinutes(5)|}) /* café */""", version);
        }
        return data;
    }

    [Theory]
    [MemberData(nameof(CallShapes))]
    public Task CacheCall_InEachShape_MarksItsBody(string call, LanguageVersion version) =>
        Verify.VerifyAnalyzerAsync(Usings + $$"""
            static class Holder { public static IDatabase? Db; }
            class C
            {
                IDatabase? _db;
                Task? M(string key, string json) => {{call}};
            }
            """, version);

    [Theory]
    [MemberData(nameof(Versions))]
    public Task GenericCacheCall_MarksItsBody(LanguageVersion version) =>
        Verify.VerifyAnalyzerAsync(Usings + """
            class C
            {
                IMemoryCache _cache = null!;
                void M(string key, string value) => _cache.Set<string>(key, value, {|CG0001:TimeSpan.FromMinutes(5)|});
            }
            """, version);

    [Theory]
    [MemberData(nameof(Versions))]
    public Task ExtensionCall_InStaticForm_MarksItsBody(LanguageVersion version) =>
        Verify.VerifyAnalyzerAsync(Usings + """
            class C
            {
                IMemoryCache _cache = null!;
                void M(string key, string value) => CacheExtensions.Set(_cache, key, value, {|CG0001:TimeSpan.FromMinutes(5)|});
            }
            """, version);

    [Theory]
    [MemberData(nameof(Versions))]
    public Task ObjectInitializerExpiry_IsTheOnlyCandidate_InAFieldInitializer(LanguageVersion version) =>
        Verify.VerifyAnalyzerAsync(Usings + """
            class C
            {
                static readonly DistributedCacheEntryOptions Options = new DistributedCacheEntryOptions { {|CG0001:AbsoluteExpirationRelativeToNow = TimeSpan.FromMinutes(20)|} };
                IDistributedCache _cache = null!;
                void M(string key, byte[] data) => _cache.Set(key, data, Options);
            }
            """, version);

    [Theory]
    [MemberData(nameof(Versions))]
    public Task ExpiryAssignedThroughThis_IsTheOnlyCandidate(LanguageVersion version) =>
        Verify.VerifyAnalyzerAsync(Usings + """
            class Settings : DistributedCacheEntryOptions
            {
                public Settings() { {|CG0001:this.AbsoluteExpirationRelativeToNow = TimeSpan.FromMinutes(20)|}; }
            }
            class C
            {
                IDistributedCache _cache = null!;
                void M(string key, byte[] data) => _cache.Set(key, data, new Settings());
            }
            """, version);

    [Theory]
    [MemberData(nameof(Versions))]
    public Task SameNames_OnOtherTypes_MarkNothing(LanguageVersion version) =>
        // StringSetAsync and Set are candidate words, but here they name the project's own methods and a
        // local; a constant TTL passed to them is no cache entry's.
        Verify.VerifyAnalyzerAsync(Usings + """
            class Store
            {
                public Task StringSetAsync(string key, string value, TimeSpan ttl) => Task.CompletedTask;
                public void Set(string key, string value, TimeSpan ttl) { }
            }
            class C
            {
                Store _store = new Store();
                Task M(string key, string json)
                {
                    var Set = TimeSpan.FromMinutes(5);
                    _store.Set(key, json, Set);
                    return _store.StringSetAsync(key, json, TimeSpan.FromMinutes(5));
                }
            }
            """, version);
}
