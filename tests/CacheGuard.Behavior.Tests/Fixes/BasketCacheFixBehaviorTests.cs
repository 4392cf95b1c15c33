using System.Collections.Immutable;
using System.Reflection;
using Microsoft.CodeAnalysis;
using Microsoft.Extensions.Caching.Distributed;
using Microsoft.Extensions.Caching.StackExchangeRedis;
using Microsoft.Extensions.Options;
using StackExchange.Redis;

namespace CacheGuard.Behavior.Tests.Fixes;

/// <summary>
/// The textbook IDistributedCache cache-aside, shaped as run-aspnetcore-microservices' CachedBasketRepository:
/// <c>GetStringAsync(key, token)</c>, <c>!string.IsNullOrEmpty</c>, a repository load and
/// <c>SetStringAsync(key, json, token)</c> without options (CG0004 + CG0008), beside a write-through
/// StoreBasket (CG0002, not applied here), a DeleteBasket and a raw reader of the same key. The CG0004 fix
/// (the runtime's GetOrSetJsonAsync) and the runtime-free CG0008 fix (entry options with an inline jittered
/// TTL) are applied through the code-fix API; original and fixed run on the Redis-backed RedisCache against a
/// real redis-server and must print the same lines. What differs is the hole: the fixed entry expires, and
/// concurrent misses load once.
/// </summary>
[Collection(RedisNodeCollection.Name)]
public sealed class BasketCacheFixBehaviorTests
{
    private const string Sample = """
        using System.Collections.Concurrent;
        using System.Collections.Generic;
        using System.Text.Json;
        using System.Threading;
        using System.Threading.Tasks;
        using Microsoft.Extensions.Caching.Distributed;

        namespace Basket;

        public class ShoppingCart
        {
            public string UserName { get; set; } = "";
            public List<string> Items { get; set; } = new();
        }

        public interface IBasketRepository
        {
            Task<ShoppingCart> GetBasket(string userName, CancellationToken cancellationToken = default);
            Task<ShoppingCart> StoreBasket(ShoppingCart basket, CancellationToken cancellationToken = default);
            Task<bool> DeleteBasket(string userName, CancellationToken cancellationToken = default);
        }

        /// <summary>The database; a test can hold loads on a gate.</summary>
        public sealed class BasketTable : IBasketRepository
        {
            private readonly ConcurrentDictionary<string, string> _rows = new();
            public int Loads;
            public System.Func<Task>? OnLoad;
            public async Task<ShoppingCart> GetBasket(string userName, CancellationToken cancellationToken = default)
            {
                Interlocked.Increment(ref Loads);
                if (OnLoad is { } gate) await gate();
                return _rows.TryGetValue(userName, out var json) ? JsonSerializer.Deserialize<ShoppingCart>(json)! : new ShoppingCart { UserName = userName };
            }
            public Task<ShoppingCart> StoreBasket(ShoppingCart basket, CancellationToken cancellationToken = default)
            {
                _rows[basket.UserName] = JsonSerializer.Serialize(basket);
                return Task.FromResult(basket);
            }
            public Task<bool> DeleteBasket(string userName, CancellationToken cancellationToken = default) => Task.FromResult(_rows.TryRemove(userName, out _));
        }

        public class CachedBasketRepository
            (IBasketRepository repository, IDistributedCache cache)
            : IBasketRepository
        {
            public async Task<ShoppingCart> GetBasket(string userName, CancellationToken cancellationToken = default)
            {
                var cachedBasket = await cache.GetStringAsync(userName, cancellationToken);
                if (!string.IsNullOrEmpty(cachedBasket))
                    return JsonSerializer.Deserialize<ShoppingCart>(cachedBasket)!;

                var basket = await repository.GetBasket(userName, cancellationToken);
                await cache.SetStringAsync(userName, JsonSerializer.Serialize(basket), cancellationToken);
                return basket;
            }

            public async Task<ShoppingCart> StoreBasket(ShoppingCart basket, CancellationToken cancellationToken = default)
            {
                await repository.StoreBasket(basket, cancellationToken);

                await cache.SetStringAsync(basket.UserName, JsonSerializer.Serialize(basket), cancellationToken);

                return basket;
            }

            public async Task<bool> DeleteBasket(string userName, CancellationToken cancellationToken = default)
            {
                await repository.DeleteBasket(userName, cancellationToken);

                await cache.RemoveAsync(userName, cancellationToken);

                return true;
            }
        }

        /// <summary>Another reader of the same key: the checkout page reads the cached basket raw.</summary>
        public sealed class BasketBadge(IDistributedCache cache)
        {
            public async Task<string> RenderAsync(string userName)
            {
                var json = await cache.GetStringAsync(userName);
                if (json is null) return "no badge";
                var basket = JsonSerializer.Deserialize<ShoppingCart>(json);
                return basket is null ? "no badge" : basket.UserName + ": " + string.Join(",", basket.Items);
            }
        }

        public static class Demo
        {
            public static async Task<List<string>> RunAsync(IDistributedCache cache, BasketTable table)
            {
                var baskets = new CachedBasketRepository(table, cache);
                var badge = new BasketBadge(cache);
                var lines = new List<string>();
                await table.StoreBasket(new ShoppingCart { UserName = "alice", Items = { "tea" } });
                lines.Add("badge before: " + await badge.RenderAsync("alice"));
                lines.Add("get alice: " + string.Join(",", (await baskets.GetBasket("alice")).Items));
                lines.Add("badge alice: " + await badge.RenderAsync("alice"));
                lines.Add("get alice again: " + string.Join(",", (await baskets.GetBasket("alice")).Items));
                await baskets.StoreBasket(new ShoppingCart { UserName = "alice", Items = { "tea", "cake" } });
                lines.Add("after store: " + string.Join(",", (await baskets.GetBasket("alice")).Items));
                lines.Add("badge after store: " + await badge.RenderAsync("alice"));
                // bob was cached by another service (the test harness), plain JSON.
                lines.Add("get bob: " + string.Join(",", (await baskets.GetBasket("bob")).Items));
                await baskets.DeleteBasket("alice");
                lines.Add("badge after delete: " + await badge.RenderAsync("alice"));
                lines.Add("get alice after delete: [" + string.Join(",", (await baskets.GetBasket("alice")).Items) + "]");
                using (var cancelled = new CancellationTokenSource())
                {
                    cancelled.Cancel();
                    try { await baskets.GetBasket("carol", cancelled.Token); lines.Add("cancelled: no"); }
                    catch (System.OperationCanceledException) { lines.Add("cancelled: yes"); }
                }
                lines.Add("loads: " + table.Loads);
                return lines;
            }
        }
        """;

    private readonly RedisNode _redis;

    public BasketCacheFixBehaviorTests(RedisNode redis) => _redis = redis;

    [Fact]
    public async Task Cg0004Fix_GetOrSetJsonAsync_PrintsWhatTheOriginalPrints_AndTheEntryExpires()
    {
        Assert.Equal(new[] { "CG0004@49", "CG0008@54", "CG0002@62" }, await FixApplier.DiagnoseAsync(Sample, WithRuntime.Value));
        var result = await FixApplier.ApplyAsync(Sample, WithRuntime.Value, "CG0004");
        Assert.Contains("cache.GetOrSetJsonAsync<ShoppingCart>(userName, async ct =>", result.Source);
        Assert.Contains("cancellationToken: cancellationToken", result.Source);
        // The populate went with the rewrite (CG0008 with it); StoreBasket's write-through is another fix.
        var storeLine = result.Source.Replace("\r\n", "\n").Split('\n').ToList().FindIndex(l => l.Contains("await cache.SetStringAsync(basket.UserName")) + 1;
        Assert.Equal(new[] { $"CG0002@{storeLine}" }, result.Remaining);

        var original = await RunAsync(SampleCompiler.Compile(Sample, "Basket.Original.Cg0004", WithRuntime.Value));
        var fixedRun = await RunAsync(SampleCompiler.Compile(result.Source, "Basket.Fixed.Cg0004", WithRuntime.Value));
        Assert.Equal(Expected, original.Lines);
        Assert.Equal(original.Lines, fixedRun.Lines);
        Assert.Equal("none", original.Ttl);
        Assert.Equal("about 5 min", fixedRun.Ttl);
    }

    [Fact]
    public async Task Cg0008Fix_WithoutTheRuntime_PrintsWhatTheOriginalPrints_AndTheEntryExpires()
    {
        var result = await FixApplier.ApplyAsync(Sample, WithoutRuntime.Value, "CG0008");
        Assert.Contains("JsonSerializer.Serialize(basket), new DistributedCacheEntryOptions { AbsoluteExpirationRelativeToNow = TimeSpan.FromSeconds(300 * (1 + 0.1 * Random.Shared.NextDouble())) }, cancellationToken);", result.Source);
        Assert.DoesNotContain("CacheGuard", result.Source);
        Assert.DoesNotContain(result.Remaining, d => d.StartsWith("CG0008"));

        var original = await RunAsync(SampleCompiler.Compile(Sample, "Basket.Original.Cg0008", WithoutRuntime.Value));
        var fixedRun = await RunAsync(SampleCompiler.Compile(result.Source, "Basket.Fixed.Cg0008", WithoutRuntime.Value));
        Assert.Equal(Expected, original.Lines);
        Assert.Equal(original.Lines, fixedRun.Lines);
        Assert.Equal("none", original.Ttl);
        Assert.Equal("about 5 min", fixedRun.Ttl);
    }

    /// <summary>
    /// The stampede: 20 concurrent GetBasket of a cold key. The original runs the load for every caller
    /// (the gate opens only once all 20 are inside it, which the fixed code never reaches); the fixed code
    /// runs it once (the gate opens when the first load and every caller have started).
    /// </summary>
    [Theory]
    [InlineData(false)]
    [InlineData(true)]
    public async Task ConcurrentMisses_LoadOncePerProcess_OnlyWhenFixed(bool fixedCode)
    {
        const int callers = 20;
        var assembly = fixedCode ? FixedCg0004.Value : OriginalAssembly.Value;
        await _redis.Connection.GetServers()[0].FlushDatabaseAsync();
        var (cache, table, tableType) = Create(assembly);
        var loads = tableType.GetField("Loads")!;
        var gate = new TaskCompletionSource(TaskCreationOptions.RunContinuationsAsynchronously);
        var firstLoad = new TaskCompletionSource(TaskCreationOptions.RunContinuationsAsynchronously);
        var allLoading = new TaskCompletionSource(TaskCreationOptions.RunContinuationsAsynchronously);
        Func<Task> onLoad = () =>
        {
            firstLoad.TrySetResult();
            if ((int)loads.GetValue(table)! == callers)
                allLoading.TrySetResult();
            return gate.Task;
        };
        tableType.GetField("OnLoad")!.SetValue(table, onLoad);
        var repository = Activator.CreateInstance(assembly.GetType("Basket.CachedBasketRepository", true)!, table, cache)!;
        var getBasket = repository.GetType().GetMethod("GetBasket")!;
        var started = 0;
        var allStarted = new TaskCompletionSource(TaskCreationOptions.RunContinuationsAsynchronously);
        var tasks = Enumerable.Range(0, callers).Select(_ => Task.Run(async () =>
        {
            if (Interlocked.Increment(ref started) == callers)
                allStarted.TrySetResult();
            var task = (Task)getBasket.Invoke(repository, new object[] { "dave", CancellationToken.None })!;
            await task;
            var basket = task.GetType().GetProperty("Result")!.GetValue(task)!;
            return (string)basket.GetType().GetProperty("UserName")!.GetValue(basket)!;
        })).ToArray();
        await allStarted.Task.WaitAsync(TimeSpan.FromSeconds(60));
        if (fixedCode)
            await firstLoad.Task.WaitAsync(TimeSpan.FromSeconds(60));
        else
            await allLoading.Task.WaitAsync(TimeSpan.FromSeconds(60));
        gate.TrySetResult();
        var names = await Task.WhenAll(tasks).WaitAsync(TimeSpan.FromSeconds(120));

        Assert.All(names, n => Assert.Equal("dave", n));
        Assert.Equal(fixedCode ? 1 : callers, (int)loads.GetValue(table)!);
    }

    private static readonly string[] Expected =
    {
        "badge before: no badge",
        "get alice: tea",
        "badge alice: alice: tea",
        "get alice again: tea",
        "after store: tea,cake",
        "badge after store: alice: tea,cake",
        "get bob: from-another-service",
        "badge after delete: no badge",
        "get alice after delete: []",
        "cancelled: yes",
        "loads: 2",
    };

    private sealed record Run(List<string> Lines, string Ttl);

    /// <summary>Runs Demo.RunAsync from an empty database with bob's basket cached raw by "another service"; then alice's TTL after a reload.</summary>
    private async Task<Run> RunAsync(Assembly assembly)
    {
        await _redis.Connection.GetServers()[0].FlushDatabaseAsync();
        var (cache, table, _) = Create(assembly);
        await cache.SetStringAsync("bob", """{"UserName":"bob","Items":["from-another-service"]}""");
        var run = assembly.GetType("Basket.Demo", throwOnError: true)!.GetMethod("RunAsync")!;
        var lines = await (Task<List<string>>)run.Invoke(null, new[] { cache, table })!;
        // RedisCache keeps an entry as a hash at the key: its TTL is the key's.
        var ttl = await _redis.Database.KeyTimeToLiveAsync("alice");
        var ttlText = ttl is null ? "none" : ttl.Value > TimeSpan.FromMinutes(4.9) && ttl.Value <= TimeSpan.FromMinutes(5.6) ? "about 5 min" : ttl.Value.ToString();
        return new Run(lines, ttlText);
    }

    private (IDistributedCache Cache, object Table, Type TableType) Create(Assembly assembly)
    {
        var cache = new RedisCache(Options.Create(new RedisCacheOptions
        {
            ConnectionMultiplexerFactory = () => Task.FromResult<IConnectionMultiplexer>(_redis.Connection),
        }));
        var tableType = assembly.GetType("Basket.BasketTable", true)!;
        return (cache, Activator.CreateInstance(tableType)!, tableType);
    }

    private static readonly Lazy<ImmutableArray<MetadataReference>> WithRuntime = new(() =>
        SampleCompiler.ReferencesFor(typeof(CacheGuardDatabaseExtensions).Assembly, typeof(IDistributedCache).Assembly));

    /// <summary>A project with only the CacheGuard.Analyzers package: no CacheGuard.Runtime reference.</summary>
    private static readonly Lazy<ImmutableArray<MetadataReference>> WithoutRuntime = new(() =>
        SampleCompiler.ReferencesFor(typeof(IDistributedCache).Assembly, typeof(System.Text.Json.JsonSerializer).Assembly));

    private static readonly Lazy<Assembly> OriginalAssembly = new(() => SampleCompiler.Compile(Sample, "Basket.Original.Stampede", WithRuntime.Value));

    private static readonly Lazy<Assembly> FixedCg0004 = new(() =>
        SampleCompiler.Compile(FixApplier.ApplyAsync(Sample, WithRuntime.Value, "CG0004").GetAwaiter().GetResult().Source, "Basket.Fixed.Stampede", WithRuntime.Value));
}
