using Microsoft.CodeAnalysis.Testing;
using CG0001 = CacheGuard.Analyzers.Tests.Verifiers.CSharpVerifier<CacheGuard.Analyzers.Rules.FixedTtlAnalyzer, CacheGuard.CodeFixes.FixedTtlCodeFix>;
using CG0003 = CacheGuard.Analyzers.Tests.Verifiers.CSharpVerifier<CacheGuard.Analyzers.Rules.CreatePathMissingInvalidationAnalyzer, CacheGuard.CodeFixes.CreatePathMissingInvalidationCodeFix>;
using CG0004 = CacheGuard.Analyzers.Tests.Verifiers.CSharpVerifier<CacheGuard.Analyzers.Rules.UnguardedPopulateAnalyzer, CacheGuard.CodeFixes.UnguardedPopulateCodeFix>;
using CG0008 = CacheGuard.Analyzers.Tests.Verifiers.CSharpVerifier<CacheGuard.Analyzers.Rules.PopulateWithoutExpiryAnalyzer, CacheGuard.CodeFixes.PopulateWithoutExpiryFamiliesCodeFix>;

namespace CacheGuard.Analyzers.Tests.Rules;

/// <summary>
/// Fix gaps found on real code bases (issue 17, session 3): the textbook IDistributedCache cache-aside
/// with cancellation tokens (run-aspnetcore-microservices' CachedBasketRepository), CG0001 on HybridCache's
/// process-wide DefaultEntryOptions (food-delivery-microservices), Redis CG0003 without the runtime.
/// </summary>
public class RealCodeFixGapsTests
{
    private const string Basket = """
        using System.Text.Json;
        using System.Threading;
        using System.Threading.Tasks;
        using Microsoft.Extensions.Caching.Distributed;

        namespace Basket;

        public class ShoppingCart { public string UserName { get; set; } = ""; public int Items { get; set; } }
        public interface IBasketRepository
        {
            Task<ShoppingCart> GetBasket(string userName, CancellationToken cancellationToken = default);
            Task<ShoppingCart> StoreBasket(ShoppingCart basket, CancellationToken cancellationToken = default);
        }

        """;

    // ---- 2a: CG0004 over IDistributedCache with cancellation tokens ------------------------------

    [Fact]
    public Task CachedBasketRepository_GetBasket_BecomesGetOrSetJsonAsync_WithTheReadsToken() =>
        CG0004.VerifyCodeFixAsync(Basket + """
            public class CachedBasketRepository(IBasketRepository repository, IDistributedCache cache)
            {
                public async Task<ShoppingCart> GetBasket(string userName, CancellationToken cancellationToken = default)
                {
                    var cachedBasket = await {|CG0004:cache.GetStringAsync(userName, cancellationToken)|};
                    if (!string.IsNullOrEmpty(cachedBasket))
                        return JsonSerializer.Deserialize<ShoppingCart>(cachedBasket)!;

                    var basket = await repository.GetBasket(userName, cancellationToken);
                    await cache.SetStringAsync(userName, JsonSerializer.Serialize(basket), cancellationToken);
                    return basket;
                }
            }
            """, "using System;\n" + Basket.Replace("using Microsoft.Extensions.Caching.Distributed;", "using CacheGuard;\nusing Microsoft.Extensions.Caching.Distributed;") + """
            public class CachedBasketRepository(IBasketRepository repository, IDistributedCache cache)
            {
                public async Task<ShoppingCart> GetBasket(string userName, CancellationToken cancellationToken = default)
                {
                    return (await cache.GetOrSetJsonAsync<ShoppingCart>(userName, async ct =>
                    {
                        var basket = await repository.GetBasket(userName, cancellationToken);
                        return basket;
                    }, new DistributedCacheEntryOptions { AbsoluteExpirationRelativeToNow = TimeSpan.FromSeconds(300) }, cancellationToken: cancellationToken))!;
                }
            }
            """);

    [Fact]
    public Task DistributedCache_StringValue_WhoseHitCheckTakesEmptyForAMiss_HasNoGetOrSetFix()
    {
        // The replaced code reloads "" on every read; GetOrSetString would serve a stored "" as a hit.
        const string source = Basket + """
            public class Titles(IBasketRepository repository, IDistributedCache cache)
            {
                public async Task<string> NameAsync(string userName, CancellationToken cancellationToken)
                {
                    var name = await {|CG0004:cache.GetStringAsync("name:" + userName, cancellationToken)|};
                    if (!string.IsNullOrEmpty(name))
                        return name;
                    var basket = await repository.GetBasket(userName, cancellationToken);
                    await cache.SetStringAsync("name:" + userName, basket.UserName, cancellationToken);
                    return basket.UserName;
                }
            }
            """;
        return CG0004.VerifyCodeFixAsync(source, source, equivalenceKey: "UnguardedPopulateCodeFix"); // the per-key lock keeps the check: offered
    }

    [Fact]
    public Task DistributedCache_ReadWithAComputedToken_HasNoFix()
    {
        // The token expression would move into the GetOrSet call (or be evaluated again by the per-key lock's re-read): only side-effect-free ones do.
        const string source = Basket + """
            public class Baskets(IBasketRepository repository, IDistributedCache cache)
            {
                static CancellationToken NewToken() => new CancellationTokenSource(1000).Token;
                public async Task<ShoppingCart?> GetAsync(string userName)
                {
                    var json = await {|CG0004:cache.GetStringAsync(userName, NewToken())|};
                    if (json is not null) return JsonSerializer.Deserialize<ShoppingCart>(json);
                    var basket = await repository.GetBasket(userName);
                    await cache.SetStringAsync(userName, JsonSerializer.Serialize(basket));
                    return basket;
                }
            }
            """;
        return CG0004.VerifyCodeFixAsync(source, source);
    }

    // ---- 2a: CG0008 over IDistributedCache with a token, with and without the runtime ------------

    private const string BasketWithoutExpiry = """
        public class CachedBasketRepository(IBasketRepository repository, IDistributedCache cache)
        {
            public async Task<ShoppingCart> GetBasket(string userName, CancellationToken cancellationToken = default)
            {
                var cachedBasket = await cache.GetStringAsync(userName, cancellationToken);
                if (!string.IsNullOrEmpty(cachedBasket))
                    return JsonSerializer.Deserialize<ShoppingCart>(cachedBasket)!;

                var basket = await repository.GetBasket(userName, cancellationToken);
                await {|CG0008:cache.SetStringAsync(userName, JsonSerializer.Serialize(basket), cancellationToken)|};
                return basket;
            }
        }
        """;

    [Fact]
    public Task CachedBasketRepository_SetStringAsyncWithAToken_GetsOptionsBeforeTheToken_WithoutTheRuntime() =>
        CG0008.VerifyCodeFixWithoutRuntimeAsync(Basket + BasketWithoutExpiry,
            "using System;\n" + Basket + BasketWithoutExpiry
                .Replace("{|CG0008:", "").Replace(")|};", ");")
                .Replace("JsonSerializer.Serialize(basket), cancellationToken)",
                    "JsonSerializer.Serialize(basket), new DistributedCacheEntryOptions { AbsoluteExpirationRelativeToNow = TimeSpan.FromSeconds(300 * (1 + 0.1 * Random.Shared.NextDouble())) }, cancellationToken)"));

    [Fact]
    public Task CachedBasketRepository_SetStringAsyncWithAToken_GetsOptionsBeforeTheToken_WithTheRuntime() =>
        CG0008.VerifyCodeFixAsync(Basket + BasketWithoutExpiry,
            "using System;\n" + Basket.Replace("using Microsoft.Extensions.Caching.Distributed;", "using CacheGuard;\nusing Microsoft.Extensions.Caching.Distributed;") + BasketWithoutExpiry
                .Replace("{|CG0008:", "").Replace(")|};", ");")
                .Replace("JsonSerializer.Serialize(basket), cancellationToken)",
                    "JsonSerializer.Serialize(basket), new DistributedCacheEntryOptions { AbsoluteExpirationRelativeToNow = CacheTtl.Jitter(TimeSpan.FromSeconds(300)) }, cancellationToken)"));

    [Fact]
    public Task MemoryCache_SetWithoutExpiry_GetsAnInlineJitteredTtl_WithoutTheRuntime() =>
        CG0008.VerifyCodeFixWithoutRuntimeAsync("""
            using System;
            using System.Threading.Tasks;
            using Microsoft.Extensions.Caching.Memory;

            public class Rate { public decimal Value { get; set; } }
            public interface IRates { Task<Rate> LoadAsync(string pair); }
            public class Rates(IMemoryCache cache, IRates rates)
            {
                public async Task<Rate> GetAsync(string pair)
                {
                    if (cache.TryGetValue("fx:" + pair, out Rate? hit) && hit is not null) return hit;
                    var rate = await rates.LoadAsync(pair);
                    {|CG0008:cache.Set("fx:" + pair, rate)|}; // keep this comment
                    return rate;
                }
            }
            """, """
            using System;
            using System.Threading.Tasks;
            using Microsoft.Extensions.Caching.Memory;

            public class Rate { public decimal Value { get; set; } }
            public interface IRates { Task<Rate> LoadAsync(string pair); }
            public class Rates(IMemoryCache cache, IRates rates)
            {
                public async Task<Rate> GetAsync(string pair)
                {
                    if (cache.TryGetValue("fx:" + pair, out Rate? hit) && hit is not null) return hit;
                    var rate = await rates.LoadAsync(pair);
                    cache.Set("fx:" + pair, rate, TimeSpan.FromSeconds(300 * (1 + 0.1 * Random.Shared.NextDouble()))); // keep this comment
                    return rate;
                }
            }
            """);

    [Fact]
    public Task RelativeTtl_HandedToTheRuntimesDistributedGetOrSet_IsJitteredThere_NotAFixedTtl() =>
        // What CG0004's fix writes must not raise CG0001: the runtime jitters AbsoluteExpirationRelativeToNow
        // on each write. The same options given to SetStringAsync (the control) are a fixed TTL.
        CG0001.VerifyAnalyzerAsync(Basket.Replace("using Microsoft.Extensions.Caching.Distributed;", "using System;\nusing CacheGuard;\nusing Microsoft.Extensions.Caching.Distributed;") + """
            public class CachedBasketRepository(IBasketRepository repository, IDistributedCache cache)
            {
                public async Task<ShoppingCart> GetBasket(string userName, CancellationToken cancellationToken = default)
                {
                    return (await cache.GetOrSetJsonAsync<ShoppingCart>(userName, async ct =>
                    {
                        var basket = await repository.GetBasket(userName, cancellationToken);
                        return basket;
                    }, new DistributedCacheEntryOptions { AbsoluteExpirationRelativeToNow = TimeSpan.FromSeconds(300) }, cancellationToken: cancellationToken))!;
                }

                public async Task<ShoppingCart> GetFluent(string userName)
                {
                    return (await cache.GetOrSetJsonAsync<ShoppingCart>("f:" + userName, async ct =>
                    {
                        var basket = await repository.GetBasket(userName, ct);
                        return basket;
                    }, new DistributedCacheEntryOptions().SetAbsoluteExpiration(TimeSpan.FromMinutes(5))))!;
                }

                public async Task<ShoppingCart> GetRaw(string userName)
                {
                    var json = await cache.GetStringAsync("r:" + userName);
                    if (json is not null) return JsonSerializer.Deserialize<ShoppingCart>(json)!;
                    var basket = await repository.GetBasket(userName);
                    await cache.SetStringAsync("r:" + userName, JsonSerializer.Serialize(basket), new DistributedCacheEntryOptions { {|CG0001:AbsoluteExpirationRelativeToNow = TimeSpan.FromSeconds(300)|} });
                    return basket;
                }
            }
            """);

    // ---- 2b: CG0001 on HybridCache's DefaultEntryOptions: stored once per process, no fix -----------

    private const string HybridUsings = """
        using System;
        using Microsoft.Extensions.Caching.Hybrid;
        using Microsoft.Extensions.DependencyInjection;

        public class CacheOptions { public int ExpirationTimeInMinute { get; set; } = 5; }

        """;

    [Theory]
    // food-delivery-microservices' AddCustomCaching: a block lambda assigning DefaultEntryOptions.
    [InlineData("""
        services.AddHybridCache(options =>
        {
            options.MaximumPayloadBytes = 1024 * 1024;
            options.DefaultEntryOptions = new HybridCacheEntryOptions
            {
                {|CG0001:Expiration = TimeSpan.FromMinutes(ExpirationTimeInMinute)|},
            };
        });
        """)]
    // An expression lambda: the lambda runs once, when the options are built.
    [InlineData("""
        services.AddHybridCache(o => o.DefaultEntryOptions = new HybridCacheEntryOptions { {|CG0001:Expiration = TimeSpan.FromMinutes(10)|} });
        """)]
    // Configure<HybridCacheOptions>, the options pattern's spelling of the same.
    [InlineData("""
        services.Configure<HybridCacheOptions>(o => o.DefaultEntryOptions = new() { {|CG0001:Expiration = TimeSpan.FromMinutes(10)|} });
        """)]
    // A nested object initializer: the entry options are stored in the HybridCacheOptions object.
    [InlineData("""
        var options = new HybridCacheOptions { DefaultEntryOptions = new HybridCacheEntryOptions { {|CG0001:Expiration = TimeSpan.FromMinutes(10)|} } };
        services.AddSingleton(options);
        """)]
    public Task HybridDefaultEntryOptions_AreProcessWide_NoJitterFix(string registration)
    {
        var source = HybridUsings + $$"""
            public static class Registration
            {
                const int ExpirationTimeInMinute = 5;
                public static IServiceCollection AddCustomCaching(this IServiceCollection services, CacheOptions config)
                {
                    {{registration}}
                    return services;
                }
            }
            """;
        return CG0001.VerifyCodeFixAsync(source, source);
    }

    // ---- 2c: Redis CG0003 without the runtime: the negative entry's own KeyDelete ------------------

    private const string AuthorsDomain = """
        using System.Threading.Tasks;

        namespace App
        {
            public class Author { public int Id { get; set; } public string Handle { get; set; } = ""; }
            public interface IAuthorStore { Task<Author?> ByHandleAsync(string handle); Author? ByHandle(string handle); Task CreateAsync(Author author); void Create(Author author); }
        }
        """;

    private const string RedisAuthors = """
        using System;
        using System.Threading.Tasks;
        using StackExchange.Redis;

        namespace App
        {
        public class Authors
        {
            private const string Missing = "<missing>";
            private readonly IDatabase _cache;
            private readonly IAuthorStore _store;
            public Authors(IDatabase cache, IAuthorStore store) { _cache = cache; _store = store; }

            public async Task<string?> HandleAsync(string handle)
            {
                var v = await _cache.StringGetAsync("author:" + handle);
                if (v == Missing) return null;
                if (v.HasValue) return v.ToString();
                var a = await _store.ByHandleAsync(handle);
                if (a is null)
                {
                    await _cache.StringSetAsync("author:" + handle, Missing, TimeSpan.FromSeconds(10));
                    return null;
                }
                await _cache.StringSetAsync("author:" + handle, a.Handle, TimeSpan.FromMinutes(30));
                return a.Handle;
            }

            public async Task {|CG0003:CreateAsync|}(Author author)
            {
                await _store.CreateAsync(author); // the insert
            }

            public void {|CG0003:Create|}(Author author)
            {
                _store.Create(author);
            }
        }
        }
        """;

    [Fact]
    public async Task Redis_CreatePath_WithoutTheRuntime_DeletesTheNegativeKeyAfterTheInsert()
    {
        var test = new CG0003.Test(withRuntime: false) { CodeFixTestBehaviors = CodeFixTestBehaviors.SkipLocalDiagnosticCheck };
        test.TestState.Sources.Add(("/0/Domain.cs", AuthorsDomain));
        test.TestState.Sources.Add(("/0/Authors.cs", RedisAuthors));
        test.FixedState.Sources.Add(("/0/Domain.cs", AuthorsDomain));
        test.FixedState.Sources.Add(("/0/Authors.cs", RedisAuthors
            .Replace("{|CG0003:CreateAsync|}", "CreateAsync").Replace("{|CG0003:Create|}", "Create")
            .Replace("await _store.CreateAsync(author); // the insert\n", "await _store.CreateAsync(author); // the insert\n        await _cache.KeyDeleteAsync(\"author:\" + author.Handle);\n")
            .Replace("_store.Create(author);\n", "_store.Create(author);\n        _cache.KeyDelete(\"author:\" + author.Handle);\n")));
        await test.RunAsync();
    }
}
