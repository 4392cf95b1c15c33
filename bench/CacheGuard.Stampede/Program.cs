using System.Diagnostics;
using CacheGuard;
using CacheGuard.Benchmarks;
using CacheGuard.Testing.Redis;
using StackExchange.Redis;

// Stampede: N concurrent callers spread over M "nodes" (one ConnectionMultiplexer and one cache
// instance each) on a cold key and on a hot key right after its expiry; the factory (the
// simulated database) takes 100 ms. Then SWR: continuous load across expiries.
// Usage: dotnet run -c Release --project bench/CacheGuard.Stampede -- [--quick] [--callers 100,1000] [--nodes 1,4]

var quick = args.Contains("--quick");
var callers = ArgList("--callers") ?? (quick ? new[] { 100, 1000 } : new[] { 100, 1000, 10_000 });
var nodeCounts = ArgList("--nodes") ?? new[] { 1, 4 };
var factoryTime = TimeSpan.FromMilliseconds(100);
var hotTtl = TimeSpan.FromSeconds(4); // CacheGuard's default stale window is half the TTL: 2 s to serve the burst
var caseTimeout = TimeSpan.FromSeconds(60);

await using var server = await RedisServerProcess.StartAsync();
Console.WriteLine($"redis-server on {server.Endpoint}; factory {factoryTime.TotalMilliseconds:N0} ms; hot-key TTL {hotTtl.TotalSeconds:N0} s; callers {string.Join("/", callers)}; nodes {string.Join("/", nodeCounts)}");
Console.WriteLine();

var contenders = new (string Name, Func<IConnectionMultiplexer, IContender> Create)[]
{
    ("Raw cache-aside", m => new RawCacheAside(m)),
    ("CacheGuard", m => new CacheGuardContender(m, jitter: 0)),
    ("FusionCache + Redis locker", m => new FusionContender(m, memoryLevel: true, distributedLocker: true)),
    ("HybridCache", m => new HybridContender(m, localLevel: true)),
};

var rows = new List<string[]>();
var caseNo = 0;
// Warm-up (JIT, connection pools, Lua script cache): one small case per contender, discarded.
foreach (var (name, create) in contenders)
{
    await RunCaseAsync(name, create, "cold", 100, 1, $"warm{caseNo++}");
    await RunCaseAsync(name, create, "cold", 100, 4, $"warm{caseNo++}");
}
foreach (var scenario in new[] { "cold", "hot@expiry" })
foreach (var m in nodeCounts)
foreach (var n in callers)
foreach (var (name, create) in contenders)
{
    var r = await RunCaseAsync(name, create, scenario, n, m, $"s{caseNo++}");
    rows.Add(r);
    Console.Error.WriteLine(string.Join("  ", r));
}

Console.WriteLine("## Stampede");
Console.WriteLine();
Console.WriteLine("Physical limit: 1 factory run per key per expiry; callers wait only the factory's 100 ms (cold) — and with stale-while-revalidate, 0 ms at expiry.");
Console.WriteLine();
Console.WriteLine("| Scenario | Nodes | Callers | Contender | Factory runs | Extra runs vs limit | p50 ms | p99 ms | max ms | p50 − 100 ms | Errors |");
Console.WriteLine("|---|---:|---:|---|---:|---:|---:|---:|---:|---:|---:|");
foreach (var r in rows) Console.WriteLine("| " + string.Join(" | ", r) + " |");

// ---- SWR: continuous load across expiries ----
Console.WriteLine();
var swrDuration = quick ? TimeSpan.FromSeconds(3.5) : TimeSpan.FromSeconds(5.5);
var swrTtl = TimeSpan.FromSeconds(1);
var loopers = 32;
Console.WriteLine($"## Continuous load across expiries (SWR)");
Console.WriteLine();
Console.WriteLine($"{loopers} callers in a loop (1 ms pause between calls) for {swrDuration.TotalSeconds:N1} s, TTL {swrTtl.TotalSeconds:N0} s, factory 100 ms: the key expires ~{(int)(swrDuration / swrTtl)} times. 'Waited on a miss' = a call that took ≥ 50 ms (half the factory time) and was released by a factory run (it started before a factory run ended and ended after it); 'slow calls' = every call ≥ 50 ms, whatever the cause (on this loaded machine, scheduler stalls too).");
Console.WriteLine();
Console.WriteLine("| Nodes | Contender | Calls | Factory runs | Waited on a miss | Waited % | Slow calls (≥ 50 ms) | p50 ms | p99 ms | max ms | Errors |");
Console.WriteLine("|---:|---|---:|---:|---:|---:|---:|---:|---:|---:|---:|");
var swrContenders = contenders.Concat(new (string, Func<IConnectionMultiplexer, IContender>)[]
{
    ("FusionCache + locker, eager refresh at 50%", m => new FusionContender(m, memoryLevel: true, distributedLocker: true, eagerRefresh: TimeSpan.FromMilliseconds(500))),
}).ToArray();
foreach (var m in nodeCounts)
foreach (var (name, create) in swrContenders)
{
    var r = await RunSwrAsync(name, create, m, swrTtl, swrDuration, loopers, $"w{caseNo++}");
    Console.WriteLine("| " + string.Join(" | ", r) + " |");
}
return 0;

async Task<string[]> RunCaseAsync(string name, Func<IConnectionMultiplexer, IContender> create, string scenario, int n, int m, string id)
{
    var muxes = new List<ConnectionMultiplexer>();
    var nodes = new List<IContender>();
    for (var i = 0; i < m; i++)
    {
        var mux = await ConnectionMultiplexer.ConnectAsync(server.Endpoint);
        muxes.Add(mux);
        nodes.Add(create(mux));
    }
    var key = $"{id}:product:1";
    var runs = 0;
    Func<CancellationToken, Task<Product>> factory = async ct =>
    {
        Interlocked.Increment(ref runs);
        await Task.Delay(factoryTime, ct).ConfigureAwait(false);
        return Product.Sample(1);
    };
    try
    {
        var ttl = scenario == "cold" ? TimeSpan.FromMinutes(5) : hotTtl;
        if (scenario != "cold")
        {
            // Hot key: every node has read it (memory levels are warm), then its TTL runs out.
            foreach (var node in nodes) await node.GetAsync(key, factory, ttl);
            await Task.Delay(ttl + TimeSpan.FromMilliseconds(200));
            runs = 0;
        }
        var latencies = new double[n];
        var errors = 0;
        string? firstError = null;
        var gate = new TaskCompletionSource(TaskCreationOptions.RunContinuationsAsynchronously);
        var tasks = new Task[n];
        for (var i = 0; i < n; i++)
        {
            var node = nodes[i % m];
            var slot = i;
            tasks[i] = Task.Run(async () =>
            {
                await gate.Task.ConfigureAwait(false);
                var t0 = Stopwatch.GetTimestamp();
                try
                {
                    await node.GetAsync(key, factory, ttl).ConfigureAwait(false);
                    latencies[slot] = Stopwatch.GetElapsedTime(t0).TotalMilliseconds;
                }
                catch (Exception ex)
                {
                    latencies[slot] = double.NaN;
                    Interlocked.Increment(ref errors);
                    Interlocked.CompareExchange(ref firstError, ex.GetType().Name + ": " + ex.Message, null);
                }
            });
        }
        gate.SetResult();
        var all = Task.WhenAll(tasks);
        if (await Task.WhenAny(all, Task.Delay(caseTimeout)) != all)
            errors += tasks.Count(t => !t.IsCompleted);
        // Let background refreshes (stale-while-revalidate) start and finish before counting factory runs.
        await Task.Delay(factoryTime * 5);
        var ok = latencies.Where(l => !double.IsNaN(l) && l > 0).Order().ToArray();
        if (firstError is not null) Console.Error.WriteLine($"  {name} {scenario} n={n} m={m}: first error {firstError}");
        var p50 = P(ok, 50);
        return new[]
        {
            scenario, m.ToString(), n.ToString("N0"), name, runs.ToString("N0"), (runs - 1).ToString("+0;-0;0"),
            F(p50), F(P(ok, 99)), F(ok.Length == 0 ? double.NaN : ok[^1]), F(p50 - factoryTime.TotalMilliseconds), errors.ToString("N0"),
        };
    }
    finally
    {
        foreach (var node in nodes) await node.DisposeAsync();
        foreach (var mux in muxes) await mux.DisposeAsync();
    }
}

async Task<string[]> RunSwrAsync(string name, Func<IConnectionMultiplexer, IContender> create, int m, TimeSpan ttl, TimeSpan duration, int loopers, string id)
{
    var muxes = new List<ConnectionMultiplexer>();
    var nodes = new List<IContender>();
    for (var i = 0; i < m; i++)
    {
        var mux = await ConnectionMultiplexer.ConnectAsync(server.Endpoint);
        muxes.Add(mux);
        nodes.Add(create(mux));
    }
    var key = $"{id}:product:1";
    var runs = 0;
    var factoryEnds = new System.Collections.Concurrent.ConcurrentBag<long>();
    Func<CancellationToken, Task<Product>> factory = async ct =>
    {
        Interlocked.Increment(ref runs);
        await Task.Delay(factoryTime, ct).ConfigureAwait(false);
        factoryEnds.Add(Stopwatch.GetTimestamp());
        return Product.Sample(1);
    };
    try
    {
        foreach (var node in nodes) await node.GetAsync(key, factory, ttl);
        runs = 0;
        factoryEnds.Clear();
        var latencies = new List<double>[loopers];
        var spans = new List<(long Start, long End)>[loopers];
        var errors = 0;
        var stop = Stopwatch.StartNew();
        var tasks = Enumerable.Range(0, loopers).Select(l => Task.Run(async () =>
        {
            var mine = latencies[l] = new List<double>();
            var mySpans = spans[l] = new List<(long, long)>();
            var node = nodes[l % m];
            while (stop.Elapsed < duration)
            {
                var t0 = Stopwatch.GetTimestamp();
                try
                {
                    await node.GetAsync(key, factory, ttl).ConfigureAwait(false);
                    var t1 = Stopwatch.GetTimestamp();
                    mine.Add(Stopwatch.GetElapsedTime(t0, t1).TotalMilliseconds);
                    mySpans.Add((t0, t1));
                }
                catch (Exception)
                {
                    Interlocked.Increment(ref errors);
                }
                await Task.Delay(1).ConfigureAwait(false);
            }
        })).ToArray();
        await Task.WhenAll(tasks);
        var all = latencies.SelectMany(x => x).Order().ToArray();
        var slow = all.Count(l => l >= factoryTime.TotalMilliseconds / 2);
        // Waited on a miss: slow, and released by a factory run (started before a factory run ended, ended after it).
        var ends = factoryEnds.Order().ToArray();
        var halfFactory = (long)(factoryTime.TotalSeconds / 2 * Stopwatch.Frequency);
        var waited = spans.SelectMany(x => x).Count(c => c.End - c.Start >= halfFactory && ends.Any(e => c.Start < e && c.End >= e));
        return new[]
        {
            m.ToString(), name, all.Length.ToString("N0"), runs.ToString("N0"), waited.ToString("N0"),
            (100.0 * waited / Math.Max(1, all.Length)).ToString("N2") + "%", slow.ToString("N0"), F(P(all, 50)), F(P(all, 99)), F(all.Length == 0 ? double.NaN : all[^1]), errors.ToString("N0"),
        };
    }
    finally
    {
        foreach (var node in nodes) await node.DisposeAsync();
        foreach (var mux in muxes) await mux.DisposeAsync();
    }
}

static double P(double[] sorted, double p) =>
    sorted.Length == 0 ? double.NaN : sorted[(int)Math.Clamp(Math.Ceiling(p / 100 * sorted.Length) - 1, 0, sorted.Length - 1)];

static string F(double ms) => double.IsNaN(ms) ? "—" : ms.ToString("N1");

int[]? ArgList(string name)
{
    var i = Array.IndexOf(args, name);
    return i >= 0 && i + 1 < args.Length ? args[i + 1].Split(',').Select(int.Parse).ToArray() : null;
}
