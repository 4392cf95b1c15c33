using System.Collections.Immutable;
using System.Reflection;
using Microsoft.CodeAnalysis;
using StackExchange.Redis;

namespace CacheGuard.Behavior.Tests.Fixes;

/// <summary>
/// CG0004 where GetOrSet can't take the pattern over (issue 17, session 4): the project's own cache wrapper
/// (Piranha's AliasService shape), a populate in a private helper, a hash populate. The fix locks the miss path
/// per key (the runtime's KeyLocks) and re-reads the key under the lock; what is read and written stays the same.
/// Original and fixed run against a real redis-server and must print the same lines, including another reader of
/// the same keys (a raw StringGet + JsonSerializer, a raw HashGet) and a key deleted by a writer. What differs is
/// the hole: 20 concurrent misses of a cold key load 20 times in the original and once when fixed.
/// </summary>
[Collection(RedisNodeCollection.Name)]
public sealed class KeyLockFixBehaviorTests
{
    private const string Sample = """
        using System;
        using System.Collections.Generic;
        using System.Text.Json;
        using System.Threading;
        using System.Threading.Tasks;
        using StackExchange.Redis;

        namespace Shop;

        public class Product { public int Id { get; set; } public string Name { get; set; } = ""; }

        /// <summary>The database; a test can hold loads on a gate.</summary>
        public sealed class Store
        {
            public int Loads;
            public Func<Task>? OnLoad;
            public readonly Dictionary<int, string> Names = new() { [1] = "tea", [2] = "cake" };
            public async Task<Product?> FindAsync(int id)
            {
                Interlocked.Increment(ref Loads);
                if (OnLoad is { } gate) await gate();
                lock (Names) return Names.TryGetValue(id, out var name) ? new Product { Id = id, Name = name } : null;
            }
            public async Task<List<string>> AliasesAsync(int site)
            {
                Interlocked.Increment(ref Loads);
                if (OnLoad is { } gate) await gate();
                return new List<string> { "/s" + site + "/home", "/s" + site + "/about" };
            }
        }

        public interface ICache
        {
            Task<T?> GetAsync<T>(string key);
            Task SetAsync<T>(string key, T value);
        }

        public sealed class RedisJsonCache : ICache
        {
            private readonly IDatabase _db;
            public RedisJsonCache(IDatabase db) => _db = db;
            public async Task<T?> GetAsync<T>(string key)
            {
                var value = await _db.StringGetAsync(key);
                return value.IsNull ? default : JsonSerializer.Deserialize<T>(value.ToString());
            }
            public Task SetAsync<T>(string key, T value) =>
                _db.StringSetAsync(key, JsonSerializer.Serialize(value), TimeSpan.FromSeconds(300 + Random.Shared.Next(60)));
        }

        public class AliasService
        {
            private readonly ICache? _cache;
            private readonly Store _repo;
            public AliasService(ICache? cache, Store repo) { _cache = cache; _repo = repo; }

            public async Task<List<string>?> GetAliasUrls(int siteId)
            {
                if (_cache != null)
                {
                    var aliasUrls = await _cache.GetAsync<List<string>>($"aliases:{siteId}").ConfigureAwait(false);

                    if (aliasUrls == null)
                    {
                        aliasUrls = await _repo.AliasesAsync(siteId).ConfigureAwait(false);

                        await _cache.SetAsync($"aliases:{siteId}", aliasUrls).ConfigureAwait(false);
                    }
                    return aliasUrls;
                }
                return null;
            }
        }

        public class ProductService
        {
            private readonly IDatabase _db;
            private readonly Store _store;
            public ProductService(IDatabase db, Store store) { _db = db; _store = store; }

            public async Task<Product?> GetAsync(int id)
            {
                var key = $"product:{id}";
                var cached = await _db.StringGetAsync(key);
                return cached.HasValue ? JsonSerializer.Deserialize<Product>(cached.ToString()) : await LoadAndCacheAsync(key, id);
            }

            private async Task<Product?> LoadAndCacheAsync(string key, int id)
            {
                var product = await _store.FindAsync(id);
                await _db.StringSetAsync(key, JsonSerializer.Serialize(product), TimeSpan.FromSeconds(300 + Random.Shared.Next(30)));
                return product;
            }
        }

        public class NameIndex
        {
            private readonly IDatabase _db;
            private readonly Store _store;
            public NameIndex(IDatabase db, Store store) { _db = db; _store = store; }

            public async Task<string?> NameAsync(int id)
            {
                var entries = await _db.HashGetAllAsync($"h:{id}");
                if (entries.Length > 0) return entries[0].Value;
                var product = await _store.FindAsync(id);
                await _db.HashSetAsync($"h:{id}", new[] { new HashEntry("name", product?.Name ?? "-") });
                await _db.KeyExpireAsync($"h:{id}", TimeSpan.FromSeconds(300 + Random.Shared.Next(30)));
                return product?.Name;
            }
        }

        /// <summary>Other readers of the same keys: raw reads, as another service would do them.</summary>
        public static class RawReaders
        {
            public static async Task<string> ProductAsync(IDatabase db, int id)
            {
                var raw = await db.StringGetAsync($"product:{id}");
                if (raw.IsNull) return "miss";
                var p = JsonSerializer.Deserialize<Product>(raw.ToString());
                return p is null ? "null" : p.Id + "=" + p.Name;
            }
            public static async Task<string> HashAsync(IDatabase db, int id) => (string?)await db.HashGetAsync($"h:{id}", "name") ?? "miss";
        }

        public static class Demo
        {
            public static async Task<List<string>> RunAsync(IDatabase db, Store store)
            {
                var lines = new List<string>();
                var aliases = new AliasService(new RedisJsonCache(db), store);
                var products = new ProductService(db, store);
                var names = new NameIndex(db, store);
                lines.Add("aliases 1: " + string.Join(",", (await aliases.GetAliasUrls(1))!));
                lines.Add("aliases 1 again: " + string.Join(",", (await aliases.GetAliasUrls(1))!));
                lines.Add("aliases 7 (another service): " + string.Join(",", (await aliases.GetAliasUrls(7))!));
                lines.Add("raw product 1 before: " + await RawReaders.ProductAsync(db, 1));
                lines.Add("product 1: " + (await products.GetAsync(1))?.Name);
                lines.Add("raw product 1: " + await RawReaders.ProductAsync(db, 1));
                lines.Add("product 1 again: " + (await products.GetAsync(1))?.Name);
                lines.Add("product 9: " + ((await products.GetAsync(9))?.Name ?? "not found"));
                lines.Add("raw product 9: " + await RawReaders.ProductAsync(db, 9));
                lines.Add("product 9 again: " + ((await products.GetAsync(9))?.Name ?? "not found"));
                lines.Add("name 2: " + await names.NameAsync(2));
                lines.Add("raw name 2: " + await RawReaders.HashAsync(db, 2));
                lines.Add("name 2 again: " + await names.NameAsync(2));
                lock (store.Names) store.Names[2] = "pie";
                await db.KeyDeleteAsync("h:2");
                lines.Add("name 2 after delete: " + await names.NameAsync(2));
                lines.Add("product 3 (another service): " + (await products.GetAsync(3))?.Name);
                lines.Add("loads: " + store.Loads);
                return lines;
            }
        }
        """;

    private static readonly string[] Expected =
    {
        "aliases 1: /s1/home,/s1/about",
        "aliases 1 again: /s1/home,/s1/about",
        "aliases 7 (another service): /cached/by/another/service",
        "raw product 1 before: miss",
        "product 1: tea",
        "raw product 1: 1=tea",
        "product 1 again: tea",
        "product 9: not found",
        "raw product 9: null",
        "product 9 again: not found",
        "name 2: cake",
        "raw name 2: cake",
        "name 2 again: cake",
        "name 2 after delete: pie",
        "product 3 (another service): scone",
        "loads: 5",
    };

    private readonly RedisNode _redis;

    public KeyLockFixBehaviorTests(RedisNode redis) => _redis = redis;

    [Fact]
    public async Task KeyLockFix_OnWrapperHelperAndHash_PrintsWhatTheOriginalPrints()
    {
        Assert.Equal(new[] { "CG0004@61", "CG0004@84", "CG0004@104" }, await FixApplier.DiagnoseAsync(Sample, References.Value));
        var result = await FixApplier.ApplyAsync(Sample, References.Value, "CG0004");
        Assert.Equal(3, result.Applied.Count);
        Assert.All(result.Applied, a => Assert.Contains("KeyLocks", a));
        Assert.Empty(result.Remaining);
        Assert.Contains("using (await KeyLocks.LockAsync($\"aliases:{siteId}\").ConfigureAwait(false))", result.Source);
        Assert.Contains("using (await KeyLocks.LockAsync(key))", result.Source);
        Assert.Contains("using (await KeyLocks.LockAsync($\"h:{id}\"))", result.Source);

        var original = await RunAsync(SampleCompiler.Compile(Sample, "KeyLock.Original", References.Value));
        var fixedRun = await RunAsync(SampleCompiler.Compile(result.Source, "KeyLock.Fixed", References.Value));
        Assert.Equal(Expected, original);
        Assert.Equal(original, fixedRun);
    }

    /// <summary>
    /// 20 concurrent misses of each cold key. The original's load is held until all 20 callers are inside it
    /// (which the fixed code never reaches); the fixed code's until the first load has started.
    /// </summary>
    [Theory]
    [InlineData(false, "aliases")]
    [InlineData(true, "aliases")]
    [InlineData(false, "product")]
    [InlineData(true, "product")]
    [InlineData(false, "hash")]
    [InlineData(true, "hash")]
    public async Task ConcurrentMisses_LoadOncePerProcess_OnlyWhenFixed(bool fixedCode, string shape)
    {
        const int callers = 20;
        var assembly = fixedCode ? FixedAssembly.Value : OriginalAssembly.Value;
        await _redis.Connection.GetServers()[0].FlushDatabaseAsync();
        var storeType = assembly.GetType("Shop.Store", true)!;
        var store = Activator.CreateInstance(storeType)!;
        var loads = storeType.GetField("Loads")!;
        var gate = new TaskCompletionSource(TaskCreationOptions.RunContinuationsAsynchronously);
        var firstLoad = new TaskCompletionSource(TaskCreationOptions.RunContinuationsAsynchronously);
        var allLoading = new TaskCompletionSource(TaskCreationOptions.RunContinuationsAsynchronously);
        Func<Task> onLoad = () =>
        {
            firstLoad.TrySetResult();
            if ((int)loads.GetValue(store)! == callers)
                allLoading.TrySetResult();
            return gate.Task;
        };
        storeType.GetField("OnLoad")!.SetValue(store, onLoad);
        Func<Task<string>> call = shape switch
        {
            "aliases" => Invoker(assembly, "Shop.AliasService", "GetAliasUrls", new object[] { Activator.CreateInstance(assembly.GetType("Shop.RedisJsonCache", true)!, _redis.Database)!, store }, 4,
                r => string.Join(",", (IEnumerable<string>)r!)),
            "product" => Invoker(assembly, "Shop.ProductService", "GetAsync", new object[] { _redis.Database, store }, 1,
                r => (string)r!.GetType().GetProperty("Name")!.GetValue(r)!),
            _ => Invoker(assembly, "Shop.NameIndex", "NameAsync", new object[] { _redis.Database, store }, 1, r => (string)r!),
        };
        var started = 0;
        var allStarted = new TaskCompletionSource(TaskCreationOptions.RunContinuationsAsynchronously);
        var tasks = Enumerable.Range(0, callers).Select(_ => Task.Run(async () =>
        {
            if (Interlocked.Increment(ref started) == callers)
                allStarted.TrySetResult();
            return await call();
        })).ToArray();
        await allStarted.Task.WaitAsync(TimeSpan.FromSeconds(60));
        if (fixedCode)
            await firstLoad.Task.WaitAsync(TimeSpan.FromSeconds(60));
        else
            await allLoading.Task.WaitAsync(TimeSpan.FromSeconds(60));
        gate.TrySetResult();
        var results = await Task.WhenAll(tasks).WaitAsync(TimeSpan.FromSeconds(120));

        Assert.Single(results.Distinct());
        Assert.Equal(fixedCode ? 1 : callers, (int)loads.GetValue(store)!);
    }

    private static Func<Task<string>> Invoker(Assembly assembly, string typeName, string method, object[] constructorArguments, int argument, Func<object?, string> show)
    {
        var instance = Activator.CreateInstance(assembly.GetType(typeName, true)!, constructorArguments)!;
        var target = instance.GetType().GetMethod(method)!;
        return async () =>
        {
            var task = (Task)target.Invoke(instance, new object[] { argument })!;
            await task;
            return show(task.GetType().GetProperty("Result")!.GetValue(task));
        };
    }

    /// <summary>Runs Demo.RunAsync from an empty database, with two entries written raw by "another service".</summary>
    private async Task<List<string>> RunAsync(Assembly assembly)
    {
        await _redis.Connection.GetServers()[0].FlushDatabaseAsync();
        await _redis.Database.StringSetAsync("aliases:7", """["/cached/by/another/service"]""", TimeSpan.FromMinutes(5));
        await _redis.Database.StringSetAsync("product:3", """{"Id":3,"Name":"scone"}""", TimeSpan.FromMinutes(5));
        var store = Activator.CreateInstance(assembly.GetType("Shop.Store", true)!)!;
        var run = assembly.GetType("Shop.Demo", throwOnError: true)!.GetMethod("RunAsync")!;
        return await (Task<List<string>>)run.Invoke(null, new[] { _redis.Database, store })!;
    }

    private static readonly Lazy<ImmutableArray<MetadataReference>> References = new(() =>
        SampleCompiler.ReferencesFor(typeof(CacheGuardDatabaseExtensions).Assembly, typeof(IDatabase).Assembly, typeof(System.Text.Json.JsonSerializer).Assembly));

    private static readonly Lazy<Assembly> OriginalAssembly = new(() => SampleCompiler.Compile(Sample, "KeyLock.Original.Stampede", References.Value));

    private static readonly Lazy<Assembly> FixedAssembly = new(() =>
        SampleCompiler.Compile(FixApplier.ApplyAsync(Sample, References.Value, "CG0004").GetAwaiter().GetResult().Source, "KeyLock.Fixed.Stampede", References.Value));
}
