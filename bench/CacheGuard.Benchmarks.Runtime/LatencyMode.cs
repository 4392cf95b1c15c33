using System.Diagnostics;
using CacheGuard.Testing.Redis;
using StackExchange.Redis;

namespace CacheGuard.Benchmarks;

/// <summary>
/// Per-call latency percentiles of the hit path (BenchmarkDotNet's percentiles are over iteration
/// means, not calls). The contenders run interleaved, in blocks, in a shuffled order each round,
/// so that the machine's changing load falls on all of them alike. Allocations per call are
/// measured separately (process-wide allocated bytes over a quiet block of calls).
/// </summary>
public static class LatencyMode
{
    public static async Task<int> RunAsync(string[] args)
    {
        var rounds = Arg(args, "--rounds", 40);
        var block = Arg(args, "--block", 250);
        // --blocking: wait on each call with GetAwaiter().GetResult(), as BenchmarkDotNet's harness does.
        var blocking = args.Contains("--blocking");
        await using var server = await RedisServerProcess.StartAsync();
        await using var mux = await ConnectionMultiplexer.ConnectAsync(server.Endpoint);
        var ttl = TimeSpan.FromHours(1);
        var factoryRuns = 0;
        Func<CancellationToken, Task<Product>> factory = _ => { Interlocked.Increment(ref factoryRuns); return Task.FromResult(Product.Sample(1)); };
        var contenders = new (string Name, IContender C, string Key)[]
        {
            ("Raw: StringGetAsync + Deserialize", new RawCacheAside(mux), "raw:p:1"),
            ("CacheGuard: GetOrSetAsync", new CacheGuardContender(mux), "cg:p:1"),
            ("FusionCache, Redis only", new FusionContender(mux, memoryLevel: false, distributedLocker: false), "fd:p:1"),
            ("FusionCache, memory + Redis", new FusionContender(mux, memoryLevel: true, distributedLocker: false), "fm:p:1"),
            ("HybridCache, Redis only", new HybridContender(mux, localLevel: false), "hd:p:1"),
            ("HybridCache, local + Redis", new HybridContender(mux, localLevel: true), "hl:p:1"),
        };
        foreach (var (_, c, key) in contenders)
            for (var i = 0; i < 2000; i++) await c.GetAsync(key, factory, ttl); // populate + warm the JIT
        var afterWarm = factoryRuns;
        // Correctness before speed: every contender answers the cached product, and CacheGuard's
        // key holds the serializer's plain bytes (a fresh hit must be one GET + deserialize).
        foreach (var (name, c, key) in contenders)
        {
            var p = await c.GetAsync(key, factory, ttl);
            if (p.Id != 1 || p.Tags.Count != 5) throw new InvalidOperationException(name + " answered a wrong value");
        }
        var cgRaw = (byte[]?)await mux.GetDatabase().StringGetAsync("cg:p:1");
        if (cgRaw is null || System.Text.Json.JsonSerializer.Deserialize<Product>(cgRaw, Json.Options)?.Id != 1)
            throw new InvalidOperationException("CacheGuard's key is not readable with a raw StringGet + deserialize");
        if (factoryRuns != afterWarm) throw new InvalidOperationException("a factory ran after warm-up: the keys are not hits");

        var samples = contenders.Select(_ => new List<long>(rounds * block)).ToArray();
        var order = Enumerable.Range(0, contenders.Length).ToArray();
        var rng = new Random(42);
        for (var r = 0; r < rounds; r++)
        {
            rng.Shuffle(order);
            foreach (var ci in order)
            {
                var (_, c, key) = contenders[ci];
                for (var i = 0; i < block; i++)
                {
                    var t0 = Stopwatch.GetTimestamp();
                    if (blocking) c.GetAsync(key, factory, ttl).GetAwaiter().GetResult();
                    else await c.GetAsync(key, factory, ttl).ConfigureAwait(false);
                    samples[ci].Add(Stopwatch.GetTimestamp() - t0);
                }
            }
        }

        var alloc = new double[contenders.Length];
        for (var ci = 0; ci < contenders.Length; ci++)
        {
            var (_, c, key) = contenders[ci];
            GC.Collect();
            var a0 = GC.GetTotalAllocatedBytes(precise: true);
            const int n = 5000;
            for (var i = 0; i < n; i++) await c.GetAsync(key, factory, ttl).ConfigureAwait(false);
            alloc[ci] = (GC.GetTotalAllocatedBytes(precise: true) - a0) / (double)n;
        }

        if (factoryRuns != afterWarm) Console.WriteLine($"// WARNING: {factoryRuns - afterWarm} factory runs during measurement: not a pure hit-path run");
        Console.WriteLine($"Hit path, per call: {rounds} rounds x {block} calls per contender, interleaved{(blocking ? ", each call waited with GetAwaiter().GetResult()" : "")}; factory runs after warm-up: {factoryRuns - afterWarm}");
        Console.WriteLine();
        Console.WriteLine("| Contender | Calls | Mean µs | p50 µs | p90 µs | p99 µs | p99.9 µs | p50 vs raw | mean vs raw | Allocated B/call |");
        Console.WriteLine("|---|---:|---:|---:|---:|---:|---:|---:|---:|---:|");
        var rawP50 = Pct(samples[0], 50);
        var rawMean = samples[0].Average() * 1e6 / Stopwatch.Frequency;
        for (var ci = 0; ci < contenders.Length; ci++)
        {
            var s = samples[ci];
            var mean = s.Average() * 1e6 / Stopwatch.Frequency;
            Console.WriteLine($"| {contenders[ci].Name} | {s.Count:N0} | {mean:N1} | {Pct(s, 50):N1} | {Pct(s, 90):N1} | {Pct(s, 99):N1} | {Pct(s, 99.9):N1} | {Pct(s, 50) / rawP50:N2} | {mean / rawMean:N2} | {alloc[ci]:N0} |");
        }
        foreach (var (_, c, _) in contenders) await c.DisposeAsync();
        return 0;
    }

    private static double Pct(List<long> ticks, double p)
    {
        var sorted = ticks.Order().ToArray();
        var idx = (int)Math.Clamp(Math.Ceiling(p / 100 * sorted.Length) - 1, 0, sorted.Length - 1);
        return sorted[idx] * 1e6 / Stopwatch.Frequency;
    }

    private static int Arg(string[] args, string name, int fallback)
    {
        var i = Array.IndexOf(args, name);
        return i >= 0 && i + 1 < args.Length && int.TryParse(args[i + 1], out var v) ? v : fallback;
    }
}
