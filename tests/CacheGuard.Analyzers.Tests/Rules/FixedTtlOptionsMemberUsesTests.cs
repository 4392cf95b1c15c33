using Microsoft.CodeAnalysis.CSharp;
using Verify = CacheGuard.Analyzers.Tests.Verifiers.CSharpVerifier<CacheGuard.Analyzers.Rules.FixedTtlAnalyzer, CacheGuard.CodeFixes.FixedTtlCodeFix>;

namespace CacheGuard.Analyzers.Tests.Rules;

/// <summary>
/// CG0001 on the expiry of an options class's property, decided by the writes elsewhere that pass that property
/// (openiddict-core's <c>AuthorizationRequestCachingPolicy</c>). Only a use written as an argument can be a write's
/// options, so a builder's <c>options.Policy = policy</c> is not bound for it; an argument in parentheses, through a
/// cast, <c>as</c> or <c>!</c> still is.
/// </summary>
public class FixedTtlOptionsMemberUsesTests
{
    // The options class (its expiry marked as CG0001's when `flagged`), a builder that assigns the policy, a record.
    private static string Shared(bool flagged) => $$"""
        using System;
        using System.Text.Json;
        using System.Threading.Tasks;
        using Microsoft.Extensions.Caching.Distributed;

        public sealed class ServerOptions
        {
            public DistributedCacheEntryOptions RequestCachingPolicy { get; set; } = new()
            {
                {{(flagged ? "{|CG0001:AbsoluteExpirationRelativeToNow = TimeSpan.FromHours(1)|}" : "AbsoluteExpirationRelativeToNow = TimeSpan.FromHours(1)")}},
            };
        }

        public sealed class ServerBuilder
        {
            private readonly ServerOptions _options = new();

            public ServerBuilder SetRequestCachingPolicy(DistributedCacheEntryOptions policy)
            {
                _options.RequestCachingPolicy = policy;
                return this;
            }
        }

        public sealed record Request(string Id, string Scope);

        """;

    public static TheoryData<string, LanguageVersion> PassedAsArgumentCases()
    {
        var data = new TheoryData<string, LanguageVersion>();
        foreach (var version in new[] { LanguageVersion.Latest, LanguageVersion.CSharp9 })
        {
            data.Add("_options.RequestCachingPolicy", version);
            data.Add("(_options.RequestCachingPolicy)", version);
            data.Add("(DistributedCacheEntryOptions)_options.RequestCachingPolicy", version);
            data.Add("_options.RequestCachingPolicy as DistributedCacheEntryOptions", version);
            data.Add("_options.RequestCachingPolicy!", version);
        }
        return data;
    }

    [Theory]
    [MemberData(nameof(PassedAsArgumentCases))]
    public Task EntryWrite_PassingThePolicy_FlagsItsExpiry(string argument, LanguageVersion version) =>
        Verify.VerifyAnalyzerAsync(Shared(flagged: true) + $$"""
            public sealed class RequestStore
            {
                private readonly IDistributedCache _cache;
                private readonly ServerOptions _options = new();

                public RequestStore(IDistributedCache cache) => _cache = cache;

                public Task SaveAsync(Request request) =>
                    _cache.SetStringAsync("request:" + request.Id, JsonSerializer.Serialize(request), {{argument}});
            }
            """, version);

    [Theory]
    [MemberData(nameof(Versions))]
    public Task OnlyMarkerWrites_PassThePolicy_NothingIsFlagged(LanguageVersion version) =>
        Verify.VerifyAnalyzerAsync(Shared(flagged: false) + """
            public sealed class RequestMarks
            {
                private readonly IDistributedCache _cache;
                private readonly ServerOptions _options = new();

                public RequestMarks(IDistributedCache cache) => _cache = cache;

                public Task MarkAsync(Request request) =>
                    _cache.SetAsync("seen:" + request.Id, new byte[1], (_options.RequestCachingPolicy));
            }
            """, version);

    // openiddict-core in a lenient build: the only call the policy is handed to is one the compilation cannot
    // resolve (its store's type is in a library the build lacks). Nothing shows the policy is a cached value's
    // lifetime, so nothing is reported; the compiler's own errors are not this test's subject.
    [Theory]
    [MemberData(nameof(Versions))]
    public Task OnlyUnresolvedCalls_ReceiveThePolicy_NothingIsFlagged(LanguageVersion version) =>
        VerifyBesideCompilerErrors(Shared(flagged: false) + """
                public sealed class RequestStore
                {
                    private readonly ITokenStore _store = null!;
                    private readonly ServerOptions _options = new();

                    public Task SaveAsync(Request request) =>
                        _store.SaveAsync("request:" + request.Id, JsonSerializer.Serialize(request), _options.RequestCachingPolicy);
                }
                """, version);

    // The same unresolved call beside a resolved entry write that passes the policy: the write decides.
    [Theory]
    [MemberData(nameof(Versions))]
    public Task AnUnresolvedCall_BesideAnEntryWrite_TheWriteDecides(LanguageVersion version) =>
        VerifyBesideCompilerErrors(Shared(flagged: true) + """
                public sealed class RequestStore
                {
                    private readonly ITokenStore _store = null!;
                    private readonly IDistributedCache _cache = null!;
                    private readonly ServerOptions _options = new();

                    public Task SaveAsync(Request request) =>
                        _store.SaveAsync("request:" + request.Id, JsonSerializer.Serialize(request), _options.RequestCachingPolicy);

                    public Task CacheAsync(Request request) =>
                        _cache.SetStringAsync("request:" + request.Id, JsonSerializer.Serialize(request), _options.RequestCachingPolicy);
                }
                """, version);

    // A resolved call of the project's that is no cache write itself (a wrapper taking the options): as before,
    // reported; which of the wrapper's callers write entries is not followed from here.
    [Theory]
    [MemberData(nameof(Versions))]
    public Task AResolvedWrapper_ReceivingThePolicy_IsFlagged(LanguageVersion version) =>
        Verify.VerifyAnalyzerAsync(Shared(flagged: true) + """
            public sealed class RequestStore
            {
                private readonly IDistributedCache _cache = null!;
                private readonly ServerOptions _options = new();

                public Task SaveAsync(Request request) => Put("request:" + request.Id, JsonSerializer.Serialize(request), _options.RequestCachingPolicy);

                private Task Put(string key, string json, DistributedCacheEntryOptions options) => _cache.SetStringAsync(key, json, options);
            }
            """, version);

    // The sources above call a type the compilation lacks (ITokenStore, as a lenient build lacks a library): the
    // compiler's errors about it are not the subject, CG0001's markup is.
    private static Task VerifyBesideCompilerErrors(string source, LanguageVersion version) =>
        new Verify.Test(version) { TestCode = source, CompilerDiagnostics = Microsoft.CodeAnalysis.Testing.CompilerDiagnostics.None }.RunAsync();

    public static TheoryData<LanguageVersion> Versions => new() { LanguageVersion.Latest, LanguageVersion.CSharp9 };
}
