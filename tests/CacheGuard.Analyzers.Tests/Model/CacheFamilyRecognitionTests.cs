using System.Collections.Immutable;
using CacheGuard.Analyzers.Model;
using CacheGuard.Analyzers.Tests.Verifiers;
using Microsoft.CodeAnalysis;
using Microsoft.CodeAnalysis.CSharp;
using Microsoft.CodeAnalysis.CSharp.Syntax;

namespace CacheGuard.Analyzers.Tests.Model;

/// <summary>
/// What the shared model sees in each API family: kind, family, key, value and whether the entry
/// expires. Every rule reads these, so a wrong answer here is a wrong answer in every rule.
/// </summary>
public class CacheFamilyRecognitionTests
{
    private const string Usings = """
        using System;
        using System.Threading;
        using System.Threading.Tasks;
        using Microsoft.Extensions.Caching.Distributed;
        using Microsoft.Extensions.Caching.Hybrid;
        using Microsoft.Extensions.Caching.Memory;
        using StackExchange.Redis;

        """;

    [Fact]
    public void DistributedCache_ReadsWritesRemovesAndRefresh()
    {
        var ops = Recognize("""
            class C
            {
                IDistributedCache _cache = null!;
                static readonly DistributedCacheEntryOptions Shared = new() { AbsoluteExpirationRelativeToNow = TimeSpan.FromMinutes(5) };
                async Task M(string key, byte[] data, DistributedCacheEntryOptions passed)
                {
                    await _cache.GetStringAsync(key);
                    _cache.Get(key);
                    await _cache.SetStringAsync(key, "v");
                    _cache.SetString(key, "v", new DistributedCacheEntryOptions());
                    _cache.Set(key, data, new DistributedCacheEntryOptions { SlidingExpiration = TimeSpan.FromMinutes(1) });
                    await _cache.SetAsync(key, data, new DistributedCacheEntryOptions().SetAbsoluteExpiration(TimeSpan.FromMinutes(1)));
                    _cache.SetString(key, "v", Shared);
                    _cache.SetString(key, "v", passed);
                    var local = new DistributedCacheEntryOptions();
                    local.AbsoluteExpirationRelativeToNow = TimeSpan.FromMinutes(1);
                    _cache.SetString(key, "v", local);
                    await _cache.RefreshAsync(key);
                    await _cache.RemoveAsync(key);
                }
            }
            """);
        Assert.Equal(new[]
        {
            "Read DistributedCache key=key",
            "Read DistributedCache key=key",
            "Write DistributedCache key=key value=\"v\" expiry=no",
            "Write DistributedCache key=key value=\"v\" expiry=no",
            "Write DistributedCache key=key value=data expiry=yes",
            "Write DistributedCache key=key value=data expiry=yes",
            "Write DistributedCache key=key value=\"v\" expiry=yes",
            "Write DistributedCache key=key value=\"v\" expiry=yes",
            "Write DistributedCache key=key value=\"v\" expiry=yes",
            "Expire DistributedCache key=key",
            "Delete DistributedCache key=key",
        }, ops);
    }

    [Fact]
    public void ExpiriesReachingAWrite_AreFoundThroughOptionsLocalsAndFactories()
    {
        var ops = Recognize("""
            class C
            {
                IDistributedCache _cache = null!;
                IMemoryCache _memory = null!;
                async Task M(string key, DistributedCacheEntryOptions passed, Func<Task<string>> load)
                {
                    await _cache.SetStringAsync(key, "a", new DistributedCacheEntryOptions { AbsoluteExpirationRelativeToNow = TimeSpan.FromSeconds(30), SlidingExpiration = TimeSpan.FromSeconds(5) });
                    await _cache.SetStringAsync(key, "b", new DistributedCacheEntryOptions().SetSlidingExpiration(TimeSpan.FromSeconds(5)).SetAbsoluteExpiration(TimeSpan.FromMinutes(1)));
                    var options = new DistributedCacheEntryOptions();
                    options.AbsoluteExpirationRelativeToNow = TimeSpan.FromHours(1);
                    await _cache.SetStringAsync(key, "c", options);
                    await _cache.SetStringAsync(key, "d", passed);
                    await _memory.GetOrCreateAsync(key, entry => { entry.SetAbsoluteExpiration(TimeSpan.FromMinutes(2)); return load(); });
                }
            }
            """, describe: o =>
            {
                var api = CacheApiOf(o);
                return " reaching=" + string.Join("|", EntryExpiries.Reaching(o, api).Select(e => e.Member + ":" + e.Value.Syntax));
            });
        Assert.Equal(new[]
        {
            "Write DistributedCache key=key value=\"a\" expiry=yes reaching=AbsoluteExpirationRelativeToNow:TimeSpan.FromSeconds(30)|SlidingExpiration:TimeSpan.FromSeconds(5)",
            "Write DistributedCache key=key value=\"b\" expiry=yes reaching=SetAbsoluteExpiration:TimeSpan.FromMinutes(1)|SetSlidingExpiration:TimeSpan.FromSeconds(5)",
            "Write DistributedCache key=key value=\"c\" expiry=yes reaching=AbsoluteExpirationRelativeToNow:TimeSpan.FromHours(1)",
            "Write DistributedCache key=key value=\"d\" expiry=yes reaching=",
            "GetOrCreate MemoryCache key=key expiry=yes reaching=SetAbsoluteExpiration:TimeSpan.FromMinutes(2)",
        }, ops);
    }

    [Fact]
    public void MemoryCache_GetOrCreate_IsNotSingleFlight()
    {
        var ops = Recognize("""
            class C
            {
                IMemoryCache _cache = null!;
                async Task M(string key, Func<Task<string>> load)
                {
                    _cache.TryGetValue(key, out string? hit);
                    _cache.Get<string>(key);
                    _cache.Set(key, "v");
                    _cache.Set(key, "v", TimeSpan.FromMinutes(5));
                    _cache.Set(key, "v", new MemoryCacheEntryOptions { SlidingExpiration = TimeSpan.FromMinutes(1) });
                    await _cache.GetOrCreateAsync(key, entry => load());
                    await _cache.GetOrCreateAsync(key, entry => { entry.SetAbsoluteExpiration(TimeSpan.FromMinutes(1)); return load(); });
                    _cache.Remove(key);
                }
            }
            """, describe: o => o.Kind == CacheOperationKind.GetOrCreate ? $" singleFlight={o.IsSingleFlight} factory={o.Factory is not null}" : "");
        Assert.Equal(new[]
        {
            "Read MemoryCache key=key",
            "Read MemoryCache key=key",
            "Write MemoryCache key=key value=\"v\" expiry=no",
            "Write MemoryCache key=key value=\"v\" expiry=yes",
            "Write MemoryCache key=key value=\"v\" expiry=yes",
            "GetOrCreate MemoryCache key=key expiry=no singleFlight=False factory=True",
            "GetOrCreate MemoryCache key=key expiry=yes singleFlight=False factory=True",
            "Delete MemoryCache key=key",
        }, ops);
    }

    [Fact]
    public void HybridCache_GetOrCreate_IsSingleFlight_AndAlwaysExpires()
    {
        var ops = Recognize("""
            class C
            {
                HybridCache _cache = null!;
                async Task M(string key, Func<CancellationToken, ValueTask<string>> load)
                {
                    await _cache.GetOrCreateAsync(key, load);
                    await _cache.GetOrCreateAsync($"post:{key}", load, new HybridCacheEntryOptions { Expiration = TimeSpan.FromMinutes(1) });
                    await _cache.SetAsync(key, "v");
                    await _cache.RemoveAsync(key);
                    await _cache.RemoveAsync(new[] { key, key });
                    await _cache.RemoveByTagAsync("tag");
                }
            }
            """, describe: o => o.Kind == CacheOperationKind.GetOrCreate ? $" singleFlight={o.IsSingleFlight}" : "");
        Assert.Equal(new[]
        {
            "GetOrCreate HybridCache key=key expiry=yes singleFlight=True",
            "GetOrCreate HybridCache key=$\"post:{key}\" expiry=yes singleFlight=True",
            "Write HybridCache key=key value=\"v\" expiry=yes",
            "Delete HybridCache key=key",
        }, ops);
    }

    [Fact]
    public void Wrapper_CallsFromOutside_AreReadsWritesAndDeletes()
    {
        var ops = Recognize("""
            interface ICacheService
            {
                Task<T?> GetAsync<T>(string key);
                Task SetAsync<T>(string key, T value, TimeSpan ttl);
                Task RemoveAsync(string key);
            }
            sealed class RedisCacheService : ICacheService
            {
                private readonly IConnectionMultiplexer _redis;
                public RedisCacheService(IConnectionMultiplexer redis) => _redis = redis;
                public async Task<T?> GetAsync<T>(string key)
                {
                    var db = _redis.GetDatabase();
                    var json = await db.StringGetAsync(key);
                    return json.IsNull ? default : System.Text.Json.JsonSerializer.Deserialize<T>(json.ToString());
                }
                public Task SetAsync<T>(string key, T value, TimeSpan ttl) =>
                    _redis.GetDatabase().StringSetAsync(key, System.Text.Json.JsonSerializer.Serialize(value), ttl);
                public Task RemoveAsync(string key) => _redis.GetDatabase().KeyDeleteAsync(key);
                public async Task<T> GetOrSetAsync<T>(string key, Func<Task<T>> factory)
                {
                    var hit = await GetAsync<T>(key);
                    if (hit is not null) return hit;
                    var value = await factory();
                    await SetAsync(key, value, TimeSpan.FromMinutes(5));
                    return value;
                }
            }
            class PostCache(IDistributedCache cache)
            {
                public Task<string?> ReadAsync(string cacheKey) => cache.GetStringAsync(cacheKey);
                public Task WriteAsync(string cacheKey, string json) => cache.SetStringAsync(cacheKey, json);
            }
            class C
            {
                ICacheService _service = null!;
                RedisCacheService _concrete = null!;
                PostCache _posts = null!;
                async Task M(int id)
                {
                    var post = await _service.GetAsync<string>($"post:{id}");
                    await _service.SetAsync($"post:{id}", "p", TimeSpan.FromMinutes(5));
                    await _concrete.RemoveAsync($"post:{id}");
                    await _posts.ReadAsync("k");
                    await _posts.WriteAsync("k", "json");
                    await _concrete.GetOrSetAsync("k", () => Task.FromResult(1));
                }
            }
            """, describe: o => o.Expiry is { } e ? $" ttl={e.Value.Syntax}" : "");
        Assert.Equal(new[]
        {
            "Read Wrapper key=$\"post:{id}\"",
            "Write Wrapper key=$\"post:{id}\" value=\"p\" expiry=yes ttl=TimeSpan.FromMinutes(5)",
            "Delete Wrapper key=$\"post:{id}\"",
            "Read Wrapper key=\"k\"",
            "Write Wrapper key=\"k\" value=\"json\" expiry=yes",
        }, ops);
    }

    [Fact]
    public void Wrapper_ExtensionMethodsOverACache_AreReadsAndWrites()
    {
        var ops = Recognize("""
            static class DistributedCacheJson
            {
                public static async Task<T?> GetObjectAsync<T>(this IDistributedCache cache, string key)
                {
                    var json = await cache.GetStringAsync(key);
                    return json is null ? default : System.Text.Json.JsonSerializer.Deserialize<T>(json);
                }
                public static Task SetObjectAsync<T>(this IDistributedCache cache, string key, T value, DistributedCacheEntryOptions options) =>
                    cache.SetStringAsync(key, System.Text.Json.JsonSerializer.Serialize(value), options);
                public static string Describe(this IDistributedCache cache, string key) => key;
            }
            class C
            {
                IDistributedCache _cache = null!;
                async Task M(int id)
                {
                    var post = await _cache.GetObjectAsync<string>($"post:{id}");
                    await _cache.SetObjectAsync($"post:{id}", "p", new DistributedCacheEntryOptions());
                    _cache.Describe("k");
                }
            }
            """);
        Assert.Equal(new[]
        {
            "Read Wrapper key=$\"post:{id}\"",
            "Write Wrapper key=$\"post:{id}\" value=\"p\" expiry=yes",
        }, ops);
    }

    [Fact]
    public void Wrapper_OwnCalls_AndNonCacheClasses_AreNotWrapperOperations()
    {
        var ops = Recognize("""
            class Repository
            {
                public Task<string?> GetAsync(string key) => Task.FromResult<string?>(null);
                public Task SetAsync(string key, string value) => Task.CompletedTask;
            }
            class C
            {
                Repository _repo = null!;
                async Task M()
                {
                    await _repo.GetAsync("k");
                    await _repo.SetAsync("k", "v");
                }
            }
            """);
        Assert.Empty(ops);
    }

    [Fact]
    public void Redis_IsUnchanged()
    {
        var ops = Recognize("""
            class C
            {
                IDatabase _db = null!;
                void M(string key)
                {
                    _db.StringGet(key);
                    _db.StringSet(key, "v", TimeSpan.FromMinutes(1));
                    _db.StringSet(key, "1", TimeSpan.FromMinutes(1), When.NotExists);
                    _db.KeyDelete(key);
                }
            }
            """);
        Assert.Equal(new[]
        {
            "Read Redis key=key",
            "Write Redis key=key value=\"v\" expiry=yes",
            "LockAcquire Redis key=key value=\"1\" expiry=yes",
            "Delete Redis key=key",
        }, ops);
    }

    private static CacheApi CacheApiOf(CacheOperation operation) =>
        CacheApi.TryCreate(operation.Invocation.SemanticModel!.Compilation)!;

    /// <summary>The cache operations of method <c>M</c> of class <c>C</c>, one line each.</summary>
    private static string[] Recognize(string source, Func<CacheOperation, string>? describe = null)
    {
        var tree = CSharpSyntaxTree.ParseText(Usings + source, new CSharpParseOptions(LanguageVersion.Latest));
        var compilation = CSharpCompilation.Create(
            "Recognition",
            new[] { tree },
            References.All,
            new CSharpCompilationOptions(OutputKind.DynamicallyLinkedLibrary, nullableContextOptions: NullableContextOptions.Enable));
        var errors = compilation.GetDiagnostics().Where(d => d.Severity == DiagnosticSeverity.Error).ToList();
        Assert.True(errors.Count == 0, string.Join(Environment.NewLine, errors));

        var model = compilation.GetSemanticModel(tree);
        var api = CacheApi.TryCreate(compilation)!;
        var method = tree.GetRoot().DescendantNodes().OfType<ClassDeclarationSyntax>().Single(c => c.Identifier.ValueText == "C")
            .Members.OfType<MethodDeclarationSyntax>().Single(m => m.Identifier.ValueText == "M");
        var symbol = model.GetDeclaredSymbol(method)!;
        var body = model.GetOperation(method)!;
        var facts = MethodCacheFacts.Build(symbol, ImmutableArray.Create(body), api, DatabaseWrites.DefaultVerbs);

        return facts.CacheOperations.Select(o =>
        {
            var text = $"{o.Kind} {o.Family} key={o.Key?.Syntax}";
            if (o.Value is { } value)
                text += $" value={value.Syntax}";
            if (o.Kind is CacheOperationKind.Write or CacheOperationKind.LockAcquire or CacheOperationKind.GetOrCreate)
                text += o.HasExpiry ? " expiry=yes" : " expiry=no";
            return text + (describe?.Invoke(o) ?? "");
        }).ToArray();
    }
}
