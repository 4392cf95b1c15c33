using Microsoft.CodeAnalysis.CSharp;
using FixedTtl = CacheGuard.Analyzers.Tests.Verifiers.CSharpVerifier<CacheGuard.Analyzers.Rules.FixedTtlAnalyzer, CacheGuard.CodeFixes.FixedTtlCodeFix>;
using SetOnWrite = CacheGuard.Analyzers.Tests.Verifiers.CSharpVerifier<CacheGuard.Analyzers.Rules.SetOnWriteAnalyzer, CacheGuard.CodeFixes.SetOnWriteCodeFix>;

namespace CacheGuard.Analyzers.Tests.Rules;

/// <summary>
/// A key minted in the same body (RULES.md: a temporary store, not a cache entry) through a chain of members:
/// openiddict-core's <c>context.Request.RequestId = Base64UrlEncoder.Encode(CreateRandomArray(256))</c>, then a write
/// under <c>"request:" + context.Request.RequestId</c>. The assignment counts only when it is to the same member of
/// the same path (<c>context.Request</c>, not <c>other.Request</c>) and from a random source.
/// </summary>
public class FreshKeyMemberChainTests
{
    private const string Usings = """
        using System;
        using System.Security.Cryptography;
        using System.Threading.Tasks;
        using Microsoft.Extensions.Caching.Distributed;
        using StackExchange.Redis;

        """;

    private const string Domain = """

        public sealed class AuthorizationRequest { public string? RequestId { get; set; } public string Scope { get; set; } = ""; }
        public sealed class HandlerContext { public AuthorizationRequest Request { get; } = new(); public string Payload { get; set; } = ""; }
        public interface IRequests { Task SaveAsync(AuthorizationRequest request); }
        """;

    public static TheoryData<LanguageVersion> Versions => new() { LanguageVersion.Latest, LanguageVersion.CSharp9 };

    [Theory]
    [MemberData(nameof(Versions))]
    public Task AKeyMintedThroughAMemberChain_IsTemporary_NotCG0001(LanguageVersion version) =>
        FixedTtl.VerifyAnalyzerAsync(Usings + """
            class CacheRequest
            {
                IDistributedCache _cache = null!;
                IDatabase _db = null!;
                public async Task HandleAsync(HandlerContext context)
                {
                    context.Request.RequestId = Convert.ToBase64String(RandomNumberGenerator.GetBytes(32));
                    await _cache.SetStringAsync("request:" + context.Request.RequestId, context.Payload,
                        new DistributedCacheEntryOptions { AbsoluteExpirationRelativeToNow = TimeSpan.FromHours(1) });
                    await _db.StringSetAsync($"redirect:{context.Request.RequestId}", context.Payload, TimeSpan.FromMinutes(5));
                }
            }
            """ + Domain, version);

    [Theory]
    [MemberData(nameof(Versions))]
    public Task AMemberChainAssignedData_IsAnEntry_AndCG0001(LanguageVersion version) =>
        FixedTtl.VerifyAnalyzerAsync(Usings + """
            class CacheRequest
            {
                IDatabase _db = null!;
                public async Task HandleAsync(HandlerContext context, string id)
                {
                    context.Request.RequestId = id;
                    await _db.StringSetAsync($"request:{context.Request.RequestId}", context.Payload, {|CG0001:TimeSpan.FromMinutes(5)|});
                }
            }
            """ + Domain, version);

    [Theory]
    [MemberData(nameof(Versions))]
    public Task AMintOnAnotherPath_DoesNotMakeTheKeyFresh(LanguageVersion version) =>
        FixedTtl.VerifyAnalyzerAsync(Usings + """
            class CacheRequest
            {
                IDatabase _db = null!;
                public async Task HandleAsync(HandlerContext context, HandlerContext other)
                {
                    other.Request.RequestId = Guid.NewGuid().ToString("N");
                    await _db.StringSetAsync($"request:{context.Request.RequestId}", context.Payload, {|CG0001:TimeSpan.FromMinutes(5)|});
                }
            }
            """ + Domain, version);

    [Theory]
    [MemberData(nameof(Versions))]
    public Task AMintedKeyThroughAMemberChain_BesideADatabaseWrite_IsNotCG0002(LanguageVersion version) =>
        SetOnWrite.VerifyAnalyzerAsync(Usings + """
            class CacheRequest
            {
                IDatabase _db = null!;
                IRequests _requests = null!;
                public async Task HandleAsync(HandlerContext context)
                {
                    context.Request.RequestId = Guid.NewGuid().ToString("N");
                    await _requests.SaveAsync(context.Request);
                    await _db.StringSetAsync($"request:{context.Request.RequestId}", context.Payload);
                }
            }
            """ + Domain, version);

    [Theory]
    [MemberData(nameof(Versions))]
    public Task TheSameChainAssignedData_BesideADatabaseWrite_IsCG0002(LanguageVersion version) =>
        SetOnWrite.VerifyAnalyzerAsync(Usings + """
            class CacheRequest
            {
                IDatabase _db = null!;
                IRequests _requests = null!;
                public async Task HandleAsync(HandlerContext context, string id)
                {
                    context.Request.RequestId = id;
                    await _requests.SaveAsync(context.Request);
                    await {|CG0002:_db.StringSetAsync($"request:{context.Request.RequestId}", context.Payload)|};
                }
            }
            """ + Domain, version);
}
