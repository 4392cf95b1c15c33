using System.Diagnostics;
using CacheGuard;
using CacheGuard.Benchmarks;
using CacheGuard.Hybrid;
using CacheGuard.Testing.Redis;
using Microsoft.Extensions.Caching.Hybrid;
using StackExchange.Redis;

// Issue 19's numbers: (1) the memory-level hit, interleaved with FusionCache (memory + Redis),
// Microsoft's HybridCache (local + Redis) and the Redis-level hits, per call, with allocations;
// (2) the invalidation probe: how long after a change node B stops serving the old value.
//   dotnet run -c Release --project bench/CacheGuard.Benchmarks.Near -- [--rounds 40] [--block 250] [--probe-rounds 200] [--hits-only | --probe-only]
var rounds = Arg("--rounds", 40);
var block = Arg("--block", 250);
var probeRounds = Arg("--probe-rounds", 200);

await using var server = await RedisServerProcess.StartAsync();
await using var mux = await ConnectionMultiplexer.ConnectAsync(server.Endpoint);
await using var muxB = await ConnectionMultiplexer.ConnectAsync(server.Endpoint);
Console.WriteLine($"redis-server {server.Endpoint}; {Environment.ProcessorCount} cores; .NET {Environment.Version}");
Console.WriteLine();

if (!args.Contains("--probe-only")) await HitLatencyAsync();
if (!args.Contains("--hits-only")) await ProbeAsync();
return 0;

async Task HitLatencyAsync()
{
    var ttl = TimeSpan.FromHours(1);
    var factoryRuns = 0;
    Func<CancellationToken, Task<Product>> factory = _ => { Interlocked.Increment(ref factoryRuns); return Task.FromResult(Product.Sample(1)); };
    var nearCopy = new NearCache(mux, new NearCacheOptions());
    var nearShared = new NearCache(mux, new NearCacheOptions { ShareInstances = true });
    var hybrid = new CacheGuardHybridCache(mux);
    await nearCopy.WarmUpAsync();
    await nearShared.WarmUpAsync();
    await hybrid.Near!.WarmUpAsync();
    var contenders = new (string Name, IContender C, string Key)[]
    {
        ("Raw: StringGetAsync + Deserialize", new RawCacheAside(mux), "raw:p:1"),
        ("CacheGuard: GetOrSetAsync (Redis level)", new CacheGuardContender(mux), "cg:p:1"),
        ("CacheGuard near: memory hit, own copy per call", new NearContender(nearCopy), "nc:p:1"),
        ("CacheGuard near: memory hit, shared instance", new NearContender(nearShared), "ns:p:1"),
        ("CacheGuard HybridCache: memory hit (own copy)", new HybridCacheContender(hybrid), "ch:p:1"),
        ("FusionCache, memory + Redis", new FusionContender(mux, memoryLevel: true, distributedLocker: false), "fm:p:1"),
        ("HybridCache (Microsoft), local + Redis", new HybridContender(mux, localLevel: true), "hl:p:1"),
    };
    foreach (var (_, c, key) in contenders)
        for (var i = 0; i < 2000; i++) await c.GetAsync(key, factory, ttl); // populate, then warm the JIT (and memory levels)
    var afterWarm = factoryRuns;
    var localHits0 = nearCopy.Statistics.LocalHits + nearShared.Statistics.LocalHits + hybrid.Near.Statistics.LocalHits;

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
                await c.GetAsync(key, factory, ttl).ConfigureAwait(false);
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
    var localHits = nearCopy.Statistics.LocalHits + nearShared.Statistics.LocalHits + hybrid.Near.Statistics.LocalHits - localHits0;

    Console.WriteLine($"Hit path, per call: {rounds} rounds x {block} calls per contender, interleaved in shuffled order; factory runs after warm-up: {factoryRuns - afterWarm}; CacheGuard memory-level hits in the measured part: {localHits:N0} (of {3L * (rounds * block + 5000):N0} near calls)");
    Console.WriteLine();
    Console.WriteLine("| Contender | Calls | Mean µs | p50 µs | p90 µs | p99 µs | p50 vs FusionCache memory | Allocated B/call |");
    Console.WriteLine("|---|---:|---:|---:|---:|---:|---:|---:|");
    var fusion = Array.FindIndex(contenders, c => c.Name.StartsWith("FusionCache"));
    var fusionP50 = Pct(samples[fusion], 50);
    for (var ci = 0; ci < contenders.Length; ci++)
    {
        var s = samples[ci];
        var mean = s.Average() * 1e6 / Stopwatch.Frequency;
        Console.WriteLine($"| {contenders[ci].Name} | {s.Count:N0} | {mean:N2} | {Pct(s, 50):N2} | {Pct(s, 90):N2} | {Pct(s, 99):N2} | {Pct(s, 50) / fusionP50:N2} | {alloc[ci]:N0} |");
    }
    Console.WriteLine();
    foreach (var (_, c, _) in contenders) await c.DisposeAsync();
    await nearCopy.DisposeAsync();
    await nearShared.DisposeAsync();
    await hybrid.DisposeAsync();
}

async Task ProbeAsync()
{
    // Two nodes (two multiplexers, two near caches) and a third client that knows nothing of CacheGuard.
    await using var a = new CacheGuardHybridCache(mux);
    await using var b = new CacheGuardHybridCache(muxB);
    await a.Near!.WarmUpAsync();
    await b.Near!.WarmUpAsync();
    var raw = mux.GetDatabase();
    var options = new HybridCacheEntryOptions { Expiration = TimeSpan.FromMinutes(10) };
    var scenarios = new (string Name, Func<string, string, Task> Change)[]
    {
        ("node A RemoveAsync", async (key, _) => await a.RemoveAsync(key)),
        ("another client's raw SET", async (key, _) => await raw.StringSetAsync(key, "\"raw\"")),
        ("another client's raw DEL", async (key, _) => await raw.KeyDeleteAsync(key)),
        ("node A RemoveByTagAsync", async (_, tag) => await a.RemoveByTagAsync(tag)),
    };
    Console.WriteLine($"Invalidation probe: {probeRounds} changes per scenario. 'acked' = from the change's call start to node B's memory no longer holding the key; 'after ack' = from the change's reply to that moment (negative: B knew before the writer's await returned).");
    Console.WriteLine();
    Console.WriteLine("| Change | Rounds | p50 ms | p99 ms | max ms | p50 after ack ms | max after ack ms | never arrived |");
    Console.WriteLine("|---|---:|---:|---:|---:|---:|---:|---:|");
    foreach (var (name, change) in scenarios)
    {
        var total = new List<double>();
        var afterAck = new List<double>();
        var missing = 0;
        for (var i = 0; i < probeRounds; i++)
        {
            var key = "probe:" + Guid.NewGuid().ToString("N")[..10];
            var tag = "tag:" + key;
            var tags = new[] { tag };
            await b.GetOrCreateAsync(key, _ => ValueTask.FromResult("v1"), options, tags);
            await b.GetOrCreateAsync(key, _ => ValueTask.FromResult("v1"), options, tags); // tracked read, kept in B's memory
            if (!b.Near.TryGetLocal<string>(key, out _)) { missing++; continue; }
            var seen = new TaskCompletionSource<long>(TaskCreationOptions.RunContinuationsAsynchronously);
            void Handler(NearCacheInvalidation e) { if (e.Key == key && e.Reason != NearCacheInvalidationReason.Local) seen.TrySetResult(Stopwatch.GetTimestamp()); }
            b.Near.Invalidated += Handler;
            var t0 = Stopwatch.GetTimestamp();
            await change(key, tag);
            var tAck = Stopwatch.GetTimestamp();
            var done = await Task.WhenAny(seen.Task, Task.Delay(5000));
            b.Near.Invalidated -= Handler;
            if (done != seen.Task) { missing++; continue; }
            var tSeen = seen.Task.Result;
            total.Add((tSeen - t0) * 1000.0 / Stopwatch.Frequency);
            afterAck.Add((tSeen - tAck) * 1000.0 / Stopwatch.Frequency);
        }
        Console.WriteLine($"| {name} | {total.Count} | {PctD(total, 50):N3} | {PctD(total, 99):N3} | {(total.Count > 0 ? total.Max() : double.NaN):N3} | {PctD(afterAck, 50):N3} | {(afterAck.Count > 0 ? afterAck.Max() : double.NaN):N3} | {missing} |");
    }
    Console.WriteLine();
    Console.WriteLine($"Node B statistics: memory hits {b.Near.Statistics.LocalHits:N0}, tracked reads {b.Near.Statistics.RedisHits:N0}, invalidations received {b.Near.Statistics.InvalidationsReceived:N0}, flushes {b.Near.Statistics.Flushes:N0}");
}

static double Pct(List<long> ticks, double p)
{
    var sorted = ticks.Order().ToArray();
    var idx = (int)Math.Clamp(Math.Ceiling(p / 100 * sorted.Length) - 1, 0, sorted.Length - 1);
    return sorted[idx] * 1e6 / Stopwatch.Frequency;
}

static double PctD(List<double> values, double p)
{
    if (values.Count == 0) return double.NaN;
    var sorted = values.Order().ToArray();
    return sorted[(int)Math.Clamp(Math.Ceiling(p / 100 * sorted.Length) - 1, 0, sorted.Length - 1)];
}

int Arg(string name, int fallback)
{
    var i = Array.IndexOf(args, name);
    return i >= 0 && i + 1 < args.Length && int.TryParse(args[i + 1], out var v) ? v : fallback;
}

/// <summary>CacheGuard's near cache: memory, then a tracked read, then GetOrSetAsync.</summary>
sealed class NearContender(NearCache near) : IContender
{
    public Task<Product> GetAsync(string key, Func<CancellationToken, Task<Product>> factory, TimeSpan ttl) =>
        near.GetOrSetAsync(key, factory, CacheEntryOptions.FromTtl(ttl), ttl);

    public ValueTask DisposeAsync() => ValueTask.CompletedTask;
}

/// <summary>CacheGuard registered as HybridCache.</summary>
sealed class HybridCacheContender(CacheGuardHybridCache cache) : IContender
{
    public async Task<Product> GetAsync(string key, Func<CancellationToken, Task<Product>> factory, TimeSpan ttl) =>
        await cache.GetOrCreateAsync(key, factory, static (f, ct) => new ValueTask<Product>(f(ct)),
            new HybridCacheEntryOptions { Expiration = ttl, LocalCacheExpiration = ttl }).ConfigureAwait(false);

    public ValueTask DisposeAsync() => ValueTask.CompletedTask;
}
