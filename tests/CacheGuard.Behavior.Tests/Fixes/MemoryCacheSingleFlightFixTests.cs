using System.Collections.Immutable;
using System.Reflection;
using Microsoft.CodeAnalysis;
using Microsoft.Extensions.Caching.Memory;
using StackExchange.Redis;

namespace CacheGuard.Behavior.Tests.Fixes;

/// <summary>
/// CG0004's fix on <c>IMemoryCache.GetOrCreateAsync</c>, end to end on a real <c>MemoryCache</c>: the
/// fix (applied through the code-fix API) turns the call into the runtime's single-flight twin. 200
/// callers miss one key at once: the original runs the factory for many of them, the fixed code
/// once; every caller gets the same value either way, and the entry keeps the expiry its factory set.
/// </summary>
public sealed class MemoryCacheSingleFlightFixTests
{
    private const int Callers = 200;
    private const int OriginalRunsHeldFor = 20;

    private const string Sample = """
        using System;
        using System.Threading.Tasks;
        using Microsoft.Extensions.Caching.Memory;

        namespace Fx;

        public sealed class Rates
        {
            private readonly IMemoryCache _cache;
            private readonly Func<string, Task<decimal>> _fetch;
            public Rates(IMemoryCache cache, Func<string, Task<decimal>> fetch) { _cache = cache; _fetch = fetch; }

            public async Task<decimal> GetAsync(string pair) =>
                await _cache.GetOrCreateAsync("fx:" + pair, async entry =>
                {
                    entry.AbsoluteExpirationRelativeToNow = TimeSpan.FromSeconds(300 + Random.Shared.Next(30));
                    return await _fetch(pair);
                });
        }
        """;

    [Fact]
    public async Task Fix_RunsTheFactoryOnce_ForConcurrentMisses_AndReturnsTheSameValues()
    {
        var result = await FixApplier.ApplyAsync(Sample, References.Value, "CG0004");
        Assert.Contains("GetOrCreateSingleFlightAsync(", result.Source);
        Assert.Empty(result.Remaining);

        var before = await RunAsync(SampleCompiler.Compile(Sample, "Fx.Original", References.Value), singleFlight: false);
        var after = await RunAsync(SampleCompiler.Compile(result.Source, "Fx.Fixed", References.Value), singleFlight: true);

        Assert.True(before.Runs >= OriginalRunsHeldFor, $"the original ran the factory {before.Runs} times");
        Assert.Equal(1, after.Runs);
        Assert.All(before.Values, v => Assert.Equal(1.25m, v));
        Assert.All(after.Values, v => Assert.Equal(1.25m, v));
        Assert.Equal(Callers, after.Values.Count);
        Assert.Equal(1.25m, after.Cached);
        // A later call is a hit in both: no further runs.
        Assert.Equal(before.Runs, before.RunsAfterHit);
        Assert.Equal(1, after.RunsAfterHit);
    }

    private sealed record Outcome(int Runs, IReadOnlyList<decimal> Values, object? Cached, int RunsAfterHit);

    private static async Task<Outcome> RunAsync(Assembly assembly, bool singleFlight)
    {
        using var cache = new MemoryCache(new MemoryCacheOptions());
        var runs = 0;
        var gate = new TaskCompletionSource(TaskCreationOptions.RunContinuationsAsynchronously);
        var firstRun = new TaskCompletionSource(TaskCreationOptions.RunContinuationsAsynchronously);
        Func<string, Task<decimal>> fetch = async pair =>
        {
            var n = Interlocked.Increment(ref runs);
            if (n == 1)
                firstRun.TrySetResult();
            if (n == OriginalRunsHeldFor)
                gate.TrySetResult();
            await gate.Task;
            return 1.25m;
        };
        var type = assembly.GetType("Fx.Rates", throwOnError: true)!;
        var rates = Activator.CreateInstance(type, cache, fetch)!;
        var get = type.GetMethod("GetAsync")!;

        var started = 0;
        var allStarted = new TaskCompletionSource(TaskCreationOptions.RunContinuationsAsynchronously);
        var callers = Enumerable.Range(0, Callers).Select(_ => Task.Run(async () =>
        {
            if (Interlocked.Increment(ref started) == Callers)
                allStarted.TrySetResult();
            return await (Task<decimal>)get.Invoke(rates, new object[] { "EURUSD" })!;
        })).ToArray();
        if (singleFlight)
        {
            await allStarted.Task.WaitAsync(TimeSpan.FromSeconds(60));
            await firstRun.Task.WaitAsync(TimeSpan.FromSeconds(60));
            gate.TrySetResult();
        }
        var values = await Task.WhenAll(callers).WaitAsync(TimeSpan.FromSeconds(120));
        var runsBefore = runs;
        await (Task<decimal>)get.Invoke(rates, new object[] { "EURUSD" })!;
        return new Outcome(runsBefore, values, cache.Get("fx:EURUSD"), runs);
    }

    private static readonly Lazy<ImmutableArray<MetadataReference>> References = new(() =>
        SampleCompiler.ReferencesFor(typeof(IDatabase).Assembly, typeof(CacheGuardDatabaseExtensions).Assembly, typeof(MemoryCache).Assembly, typeof(IMemoryCache).Assembly));
}
