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

    public static TheoryData<LanguageVersion> Versions => new() { LanguageVersion.Latest, LanguageVersion.CSharp9 };
}
