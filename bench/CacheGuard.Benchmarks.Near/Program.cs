using System.Diagnostics;
using CacheGuard;
using CacheGuard.Benchmarks;
using CacheGuard.Hybrid;
using CacheGuard.Testing.Redis;
using Microsoft.Extensions.Caching.Hybrid;
using Microsoft.Extensions.DependencyInjection;
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
Console.WriteLine($"redis-server {server.Endpoint}; {Environment.ProcessorCount} cores; .NET {Environment.Version}");
Console.WriteLine();

if (args.Contains("--copy-profile")) { await CopyProfileAsync(); return 0; }
if (!args.Contains("--probe-only")) await HitLatencyAsync();
if (!args.Contains("--hits-only")) await ProbeAsync();
return 0;

async Task HitLatencyAsync()
{
    var ttl = TimeSpan.FromHours(1);
    var factoryRuns = 0;
    Func<CancellationToken, Task<Product>> factory = _ => { Interlocked.Increment(ref factoryRuns); return Task.FromResult(Product.Sample(1)); };
    Func<CancellationToken, Task<ImmutableProduct>> immutableFactory = _ => { Interlocked.Increment(ref factoryRuns); return Task.FromResult(ImmutableProduct.Sample(1)); };
    var nearCopy = new NearCache(mux, new NearCacheOptions());
    var nearShared = new NearCache(mux, new NearCacheOptions { ShareInstances = true });
    var hybrid = new CacheGuardHybridCache(mux);
    await nearCopy.WarmUpAsync();
    await nearShared.WarmUpAsync();
    await hybrid.Near!.WarmUpAsync();
    var fusion = new FusionContender(mux, memoryLevel: true, distributedLocker: false);
    var microsoft = new HybridContender(mux, localLevel: true);
    var microsoftImmutable = new MicrosoftImmutableContender(mux);
    var cgHybrid = new HybridCacheContender(hybrid);
    var raw = new RawCacheAside(mux);
    var redisLevel = new CacheGuardContender(mux);
    var nearCopyC = new NearContender(nearCopy);
    var nearSharedC = new NearContender(nearShared);
    const string Fusion = "FusionCache, memory + Redis (returns its cached instance: no copy)";
    const string Microsoft = "HybridCache (Microsoft), local + Redis (a copy per call: Product is mutable)";
    const string MicrosoftImmutable = "HybridCache (Microsoft), local + Redis, immutable type (shared instance)";
    // Each row names the row it is compared with: the one with the same semantics on a memory hit.
    var rows = new (string Name, string? Versus, Func<Task> Call)[]
    {
        ("Raw: StringGetAsync + Deserialize (Redis round trip)", null, () => raw.GetAsync("raw:p:1", factory, ttl)),
        ("CacheGuard: GetOrSetAsync (Redis level)", null, () => redisLevel.GetAsync("cg:p:1", factory, ttl)),
        ("CacheGuard near: memory hit, ShareInstances = true (FusionCache's semantics)", Fusion, () => nearSharedC.GetAsync("ns:p:1", factory, ttl)),
        (Fusion, null, () => fusion.GetAsync("fm:p:1", factory, ttl)),
        ("CacheGuard near: memory hit, default (a copy per call, Microsoft's semantics)", Microsoft, () => nearCopyC.GetAsync("nc:p:1", factory, ttl)),
        ("CacheGuard HybridCache: memory hit, default (a copy per call)", Microsoft, () => cgHybrid.GetAsync("ch:p:1", factory, ttl)),
        (Microsoft, null, () => microsoft.GetAsync("hl:p:1", factory, ttl)),
        ("CacheGuard HybridCache: memory hit, immutable type (shared by the rule)", MicrosoftImmutable, () => cgHybrid.GetImmutableAsync("chi:p:1", immutableFactory, ttl)),
        (MicrosoftImmutable, null, () => microsoftImmutable.GetAsync("hli:p:1", immutableFactory, ttl)),
    };
    foreach (var row in rows)
        for (var i = 0; i < 2000; i++) await row.Call(); // populate, then warm the JIT (and memory levels)
    // Let tiered compilation settle: repeat warm-up passes until no method is compiled during one.
    var passes = 0;
    long lastPassCompiled = -1;
    while (lastPassCompiled != 0 && passes < 10)
    {
        var before = System.Runtime.JitInfo.GetCompiledMethodCount();
        await Task.Delay(300);
        foreach (var row in rows)
            for (var i = 0; i < 500; i++) await row.Call();
        lastPassCompiled = System.Runtime.JitInfo.GetCompiledMethodCount() - before;
        passes++;
    }
    var jit = lastPassCompiled == 0 ? $"JIT settled after {passes} extra warm-up pass(es)" : $"JIT still compiling after {passes} extra warm-up passes ({lastPassCompiled} methods in the last, background timers included)";
    var afterWarm = factoryRuns;
    var localHits0 = nearCopy.Statistics.LocalHits + nearShared.Statistics.LocalHits + hybrid.Near.Statistics.LocalHits;

    var samples = rows.Select(_ => new List<long>(rounds * block)).ToArray();
    var order = Enumerable.Range(0, rows.Length).ToArray();
    var rng = new Random(42);
    for (var r = 0; r < rounds; r++)
    {
        rng.Shuffle(order);
        foreach (var ri in order)
        {
            var call = rows[ri].Call;
            for (var i = 0; i < block; i++)
            {
                var t0 = Stopwatch.GetTimestamp();
                await call().ConfigureAwait(false);
                samples[ri].Add(Stopwatch.GetTimestamp() - t0);
            }
        }
    }
    var alloc = new double[rows.Length];
    for (var ri = 0; ri < rows.Length; ri++)
    {
        var call = rows[ri].Call;
        GC.Collect();
        var a0 = GC.GetTotalAllocatedBytes(precise: true);
        const int n = 5000;
        for (var i = 0; i < n; i++) await call().ConfigureAwait(false);
        alloc[ri] = (GC.GetTotalAllocatedBytes(precise: true) - a0) / (double)n;
    }
    var localHits = nearCopy.Statistics.LocalHits + nearShared.Statistics.LocalHits + hybrid.Near.Statistics.LocalHits - localHits0;
    var nearCalls = 4L * (rounds * block + 5000);

    Console.WriteLine($"Hit path, per call: {rounds} rounds x {block} calls per row, interleaved in shuffled order; {jit}; factory runs after warm-up: {factoryRuns - afterWarm}; CacheGuard memory-level hits in the measured part: {localHits:N0} (of {nearCalls:N0} near calls)");
    Console.WriteLine();
    Console.WriteLine("| Row | Calls | Mean µs | p50 µs | p90 µs | p99 µs | Allocated B/call | Compared with | p50 ratio | B/call ratio |");
    Console.WriteLine("|---|---:|---:|---:|---:|---:|---:|---|---:|---:|");
    int IndexOf(string name) => Array.FindIndex(rows, r => r.Name == name);
    for (var ri = 0; ri < rows.Length; ri++)
    {
        var s = samples[ri];
        var mean = s.Average() * 1e6 / Stopwatch.Frequency;
        var versus = rows[ri].Versus is { } v ? IndexOf(v) : -1;
        var cmp = versus < 0 ? "| — | | " : $"| {ShortName(rows[versus].Name)} | {Pct(s, 50) / Pct(samples[versus], 50):N2} | {alloc[ri] / alloc[versus]:N2} ";
        Console.WriteLine($"| {rows[ri].Name} | {s.Count:N0} | {mean:N2} | {Pct(s, 50):N2} | {Pct(s, 90):N2} | {Pct(s, 99):N2} | {alloc[ri]:N0} {cmp}|");
    }
    Console.WriteLine();
    // The issue's literal target is against FusionCache; say how each CacheGuard memory row stands against it too.
    var f = IndexOf(Fusion);
    Console.WriteLine("Issue 19 target (p50 <= FusionCache memory+Redis and B/call <= FusionCache's):");
    for (var ri = 0; ri < rows.Length; ri++)
    {
        if (!rows[ri].Name.StartsWith("CacheGuard near") && !rows[ri].Name.StartsWith("CacheGuard HybridCache")) continue;
        var p = Pct(samples[ri], 50) / Pct(samples[f], 50);
        var a = alloc[ri] / alloc[f];
        Console.WriteLine($"- {rows[ri].Name}: p50 {p:N2}x, B/call {a:N2}x FusionCache -> {(p <= 1 && a <= 1 ? "meets" : "does not meet")}");
    }
    Console.WriteLine();
    await fusion.DisposeAsync();
    await microsoft.DisposeAsync();
    await microsoftImmutable.DisposeAsync();
    await nearCopy.DisposeAsync();
    await nearShared.DisposeAsync();
    await hybrid.DisposeAsync();
}

static string ShortName(string name) => name.IndexOf(" (", StringComparison.Ordinal) is var i and > 0 ? name[..i] + (name.Contains("immutable") ? ", immutable type" : "") : name;

async Task ProbeAsync()
{
    // Two nodes (two multiplexers, two near caches) and a third client that knows nothing of CacheGuard.
    // Fresh multiplexers: disposing the hit-path contenders closed `mux` (RedisCache disposes the
    // multiplexer its factory handed it), and a probe on a closed multiplexer waits out every round.
    await using var muxA = await ConnectionMultiplexer.ConnectAsync(server.Endpoint);
    await using var muxB2 = await ConnectionMultiplexer.ConnectAsync(server.Endpoint);
    await using var a = new CacheGuardHybridCache(muxA);
    await using var b = new CacheGuardHybridCache(muxB2);
    await a.Near!.WarmUpAsync();
    await b.Near!.WarmUpAsync();
    await using var rawMux = await ConnectionMultiplexer.ConnectAsync(server.Endpoint);
    var raw = rawMux.GetDatabase();
    var options = new HybridCacheEntryOptions { Expiration = TimeSpan.FromMinutes(10) };
    var probeStart = Stopwatch.GetTimestamp();
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
    Console.WriteLine($"Probe took {Stopwatch.GetElapsedTime(probeStart).TotalSeconds:N1} s.");
    Console.WriteLine($"Node B statistics: memory hits {b.Near.Statistics.LocalHits:N0}, tracked reads {b.Near.Statistics.RedisHits:N0}, invalidations received {b.Near.Statistics.InvalidationsReceived:N0}, flushes {b.Near.Statistics.Flushes:N0}");
}

// Where a copy-per-call memory hit's time goes: the deserializer alone vs the near cache's hit, synchronously, no Redis I/O.
async Task CopyProfileAsync()
{
    var copy = new NearCache(mux, new NearCacheOptions());
    var shared = new NearCache(mux, new NearCacheOptions { ShareInstances = true });
    await copy.WarmUpAsync();
    await shared.WarmUpAsync();
    var ttl = TimeSpan.FromHours(1);
    Func<CancellationToken, Task<Product>> factory = _ => Task.FromResult(Product.Sample(1));
    await mux.GetDatabase().GetOrSetAsync("prof:p:1", factory, ttl);
    for (var i = 0; i < 3; i++) { await copy.GetOrSetAsync("prof:p:1", factory, CacheEntryOptions.FromTtl(ttl), ttl); await shared.GetOrSetAsync("prof:p:1", factory, CacheEntryOptions.FromTtl(ttl), ttl); }
    var hybrid = new CacheGuardHybridCache(mux);
    await hybrid.Near!.WarmUpAsync();
    var msServices = new ServiceCollection();
    msServices.AddStackExchangeRedisCache(o => o.ConnectionMultiplexerFactory = () => Task.FromResult<IConnectionMultiplexer>(mux));
    msServices.AddHybridCache();
    await using var msProvider = msServices.BuildServiceProvider();
    var ms = msProvider.GetRequiredService<HybridCache>();
    var hopts = new HybridCacheEntryOptions { Expiration = ttl, LocalCacheExpiration = ttl };
    Func<ImmutableProduct, CancellationToken, ValueTask<ImmutableProduct>> immutableFactory = static (p, _) => ValueTask.FromResult(p);
    var frozen = ImmutableProduct.Sample(1);
    for (var i = 0; i < 3; i++) { await hybrid.GetOrCreateAsync("prof:i:1", frozen, immutableFactory, hopts); await ms.GetOrCreateAsync("prof:i:2", frozen, immutableFactory, hopts); }
    var bytes = System.Text.Json.JsonSerializer.SerializeToUtf8Bytes(Product.Sample(1), Json.Options);
    var typeInfo = (System.Text.Json.Serialization.Metadata.JsonTypeInfo<Product>)Json.Options.GetTypeInfo(typeof(Product));
    var caseSensitive = new System.Text.Json.JsonSerializerOptions(System.Text.Json.JsonSerializerDefaults.General);
    var serializer = CacheGuardDatabaseExtensions.GetOptions(mux).Serializer;
    var rows = new (string Name, Func<object?> Op)[]
    {
        ("STJ Deserialize(span, CacheGuard's options)", () => System.Text.Json.JsonSerializer.Deserialize<Product>(bytes, Json.Options)),
        ("STJ Deserialize(span, cached JsonTypeInfo<Product>)", () => System.Text.Json.JsonSerializer.Deserialize(bytes, typeInfo)),
        ("STJ Deserialize(span, case-sensitive general options)", () => System.Text.Json.JsonSerializer.Deserialize<Product>(bytes, caseSensitive)),
        ("STJ Deserialize(span, JsonSerializerOptions.Default: Microsoft HybridCache's)", () => System.Text.Json.JsonSerializer.Deserialize<Product>(bytes, System.Text.Json.JsonSerializerOptions.Default)),
        ("ICacheSerializer.Deserialize (the connection's)", () => serializer.Deserialize<Product>(bytes)),
        ("NearCache.TryGetLocal, own copy", () => copy.TryGetLocal<Product>("prof:p:1", out var v) ? v : throw new InvalidOperationException("not in memory")),
        ("NearCache.TryGetLocal, shared instance", () => shared.TryGetLocal<Product>("prof:p:1", out var v) ? v : throw new InvalidOperationException("not in memory")),
        ("NearCache.GetOrSetAsync (sync-completed), own copy", () => copy.GetOrSetAsync("prof:p:1", factory, CacheEntryOptions.FromTtl(ttl), ttl).Result),
        ("NearCache.TryGetLocal, immutable type (CacheGuard HybridCache's near level)", () => hybrid.Near.TryGetLocal<ImmutableProduct>("prof:i:1", out var v) ? v : throw new InvalidOperationException("not in memory")),
        ("CacheGuardHybridCache.GetOrCreateAsync, immutable type (sync-completed)", () => hybrid.GetOrCreateAsync("prof:i:1", frozen, immutableFactory, hopts).GetAwaiter().GetResult()),
        ("Microsoft HybridCache.GetOrCreateAsync, immutable type (sync-completed)", () => ms.GetOrCreateAsync("prof:i:2", frozen, immutableFactory, hopts).GetAwaiter().GetResult()),
    };
    const int batch = 100, batches = 400;
    Console.WriteLine($"Copy-path profile: {batches} batches x {batch} calls per row, rows interleaved per batch; µs per call (median/p90 of batch means), B/call");
    Console.WriteLine();
    Console.WriteLine("| Operation | p50 µs | p90 µs | B/call |");
    Console.WriteLine("|---|---:|---:|---:|");
    foreach (var (_, op) in rows) for (var i = 0; i < 5000; i++) op();
    var means = rows.Select(_ => new List<double>()).ToArray();
    for (var b = 0; b < batches; b++)
        for (var r = 0; r < rows.Length; r++)
        {
            var op = rows[r].Op;
            var t0 = Stopwatch.GetTimestamp();
            for (var i = 0; i < batch; i++) op();
            means[r].Add((Stopwatch.GetTimestamp() - t0) * 1e6 / Stopwatch.Frequency / batch);
        }
    for (var r = 0; r < rows.Length; r++)
    {
        var op = rows[r].Op;
        var a0 = GC.GetAllocatedBytesForCurrentThread();
        for (var i = 0; i < 5000; i++) op();
        var bytesPer = (GC.GetAllocatedBytesForCurrentThread() - a0) / 5000.0;
        Console.WriteLine($"| {rows[r].Name} | {PctD(means[r], 50):N2} | {PctD(means[r], 90):N2} | {bytesPer:N0} |");
    }
    Console.WriteLine();
    Console.WriteLine($"Payload: {bytes.Length} B of JSON; memory hits {copy.Statistics.LocalHits + shared.Statistics.LocalHits:N0}, tracked reads {copy.Statistics.RedisHits + shared.Statistics.RedisHits:N0}");
    await copy.DisposeAsync();
    await shared.DisposeAsync();
    await hybrid.DisposeAsync();
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
    public async Task<ImmutableProduct> GetImmutableAsync(string key, Func<CancellationToken, Task<ImmutableProduct>> factory, TimeSpan ttl) =>
        await cache.GetOrCreateAsync(key, factory, static (f, ct) => new ValueTask<ImmutableProduct>(f(ct)),
            new HybridCacheEntryOptions { Expiration = ttl, LocalCacheExpiration = ttl }).ConfigureAwait(false);

    public async Task<Product> GetAsync(string key, Func<CancellationToken, Task<Product>> factory, TimeSpan ttl) =>
        await cache.GetOrCreateAsync(key, factory, static (f, ct) => new ValueTask<Product>(f(ct)),
            new HybridCacheEntryOptions { Expiration = ttl, LocalCacheExpiration = ttl }).ConfigureAwait(false);

    public ValueTask DisposeAsync() => ValueTask.CompletedTask;
}

/// <summary>The bench's Product as an immutable type by Microsoft's rule: sealed, [ImmutableObject(true)], init-only.</summary>
[System.ComponentModel.ImmutableObject(true)]
sealed class ImmutableProduct
{
    public int Id { get; init; }
    public string Name { get; init; } = "";
    public string Description { get; init; } = "";
    public decimal Price { get; init; }
    public string Currency { get; init; } = "EUR";
    public int Stock { get; init; }
    public bool IsActive { get; init; }
    public DateTimeOffset UpdatedAt { get; init; }
    public IReadOnlyList<string> Tags { get; init; } = Array.Empty<string>();
    public IReadOnlyDictionary<string, string> Attributes { get; init; } = new Dictionary<string, string>();

    public static ImmutableProduct Sample(int id)
    {
        var p = Product.Sample(id);
        return new ImmutableProduct
        {
            Id = p.Id, Name = p.Name, Description = p.Description, Price = p.Price, Currency = p.Currency,
            Stock = p.Stock, IsActive = p.IsActive, UpdatedAt = p.UpdatedAt, Tags = p.Tags, Attributes = p.Attributes,
        };
    }
}

/// <summary>Microsoft's default HybridCache (local + Redis) reading the immutable type: its L1 keeps and returns one instance.</summary>
sealed class MicrosoftImmutableContender : IAsyncDisposable
{
    private readonly ServiceProvider _services;
    private readonly HybridCache _cache;

    public MicrosoftImmutableContender(IConnectionMultiplexer mux)
    {
        var services = new ServiceCollection();
        services.AddStackExchangeRedisCache(o => o.ConnectionMultiplexerFactory = () => Task.FromResult(mux));
        services.AddHybridCache();
        _services = services.BuildServiceProvider();
        _cache = _services.GetRequiredService<HybridCache>();
    }

    public async Task<ImmutableProduct> GetAsync(string key, Func<CancellationToken, Task<ImmutableProduct>> factory, TimeSpan ttl) =>
        await _cache.GetOrCreateAsync(key, factory, static (f, ct) => new ValueTask<ImmutableProduct>(f(ct)),
            new HybridCacheEntryOptions { Expiration = ttl, LocalCacheExpiration = ttl }).ConfigureAwait(false);

    public ValueTask DisposeAsync() => _services.DisposeAsync();
}
