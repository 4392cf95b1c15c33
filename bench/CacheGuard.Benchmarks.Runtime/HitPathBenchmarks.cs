using System.Text.Json;
using BenchmarkDotNet.Attributes;
using BenchmarkDotNet.Columns;
using BenchmarkDotNet.Configs;
using BenchmarkDotNet.Diagnosers;
using BenchmarkDotNet.Jobs;
using BenchmarkDotNet.Toolchains.InProcess.Emit;
using CacheGuard.Testing.Redis;
using StackExchange.Redis;

namespace CacheGuard.Benchmarks;

/// <summary>
/// The hit path: the key is cached and fresh, every call is a read. One real local redis-server,
/// one multiplexer, sequential awaits (latency, not throughput).
/// </summary>
[Config(typeof(HitConfig))]
public class HitPathBenchmarks
{
    private static readonly TimeSpan Ttl = TimeSpan.FromHours(1);
    private static readonly Func<CancellationToken, Task<Product>> Factory = _ => { Interlocked.Increment(ref FactoryRuns); return Task.FromResult(Product.Sample(1)); };
    public static int FactoryRuns;

    private RedisServerProcess _server = null!;
    private ConnectionMultiplexer _mux = null!;
    private IDatabase _db = null!;
    private RawCacheAside _raw = null!;
    private CacheGuardContender _cacheGuard = null!;
    private FusionContender _fusionDistributed = null!, _fusionMemory = null!;
    private HybridContender _hybridDistributed = null!, _hybridLocal = null!;

    [GlobalSetup]
    public async Task Setup()
    {
        _server = await RedisServerProcess.StartAsync();
        _mux = await ConnectionMultiplexer.ConnectAsync(_server.Endpoint);
        _db = _mux.GetDatabase();
        _raw = new RawCacheAside(_mux);
        _cacheGuard = new CacheGuardContender(_mux);
        _fusionDistributed = new FusionContender(_mux, memoryLevel: false, distributedLocker: false);
        _fusionMemory = new FusionContender(_mux, memoryLevel: true, distributedLocker: false);
        _hybridDistributed = new HybridContender(_mux, localLevel: false);
        _hybridLocal = new HybridContender(_mux, localLevel: true);
        // Populate every contender's key once (each stores its own format).
        foreach (var (c, key) in Pairs())
            await c.GetAsync(key, Factory, Ttl);
        FactoryRuns = 0;
    }

    private IEnumerable<(IContender, string)> Pairs() => new (IContender, string)[]
    {
        (_raw, "raw:product:1"), (_cacheGuard, "cg:product:1"), (_fusionDistributed, "fd:product:1"),
        (_fusionMemory, "fm:product:1"), (_hybridDistributed, "hd:product:1"), (_hybridLocal, "hl:product:1"),
    };

    [GlobalCleanup]
    public async Task Cleanup()
    {
        if (FactoryRuns != 0) Console.WriteLine($"// WARNING: {FactoryRuns} factory runs during the hit-path benchmark");
        foreach (var (c, _) in Pairs()) await c.DisposeAsync();
        await _mux.DisposeAsync();
        _server.Dispose();
    }

    [Benchmark(Baseline = true, Description = "Raw: StringGetAsync + JsonSerializer.Deserialize")]
    public Task<Product> Raw() => _raw.GetAsync("raw:product:1", Factory, Ttl);

    [Benchmark(Description = "CacheGuard: GetOrSetAsync")]
    public Task<Product> CacheGuard() => _cacheGuard.GetAsync("cg:product:1", Factory, Ttl);

    [Benchmark(Description = "FusionCache: GetOrSetAsync, Redis only (memory level skipped)")]
    public Task<Product> FusionDistributedOnly() => _fusionDistributed.GetAsync("fd:product:1", Factory, Ttl);

    [Benchmark(Description = "FusionCache: GetOrSetAsync, memory + Redis")]
    public Task<Product> FusionWithMemory() => _fusionMemory.GetAsync("fm:product:1", Factory, Ttl);

    [Benchmark(Description = "HybridCache: GetOrCreateAsync, Redis only (local cache disabled)")]
    public Task<Product> HybridDistributedOnly() => _hybridDistributed.GetAsync("hd:product:1", Factory, Ttl);

    [Benchmark(Description = "HybridCache: GetOrCreateAsync, local + Redis")]
    public Task<Product> HybridWithLocal() => _hybridLocal.GetAsync("hl:product:1", Factory, Ttl);

    private sealed class HitConfig : ManualConfig
    {
        public HitConfig()
        {
            AddJob(Job.Default.WithToolchain(new InProcessEmitToolchain(TimeSpan.FromMinutes(20), logOutput: true))
                .WithLaunchCount(1).WithWarmupCount(3).WithIterationCount(15).WithIterationTime(Perfolizer.Horology.TimeInterval.FromMilliseconds(250))
                .WithId("Short-InProcess"));
            AddColumn(StatisticColumn.P50, StatisticColumn.P95, new PercentileColumn99());
            AddDiagnoser(MemoryDiagnoser.Default);
            WithOptions(ConfigOptions.DisableOptimizationsValidator);
        }
    }
}

/// <summary>p99 of BenchmarkDotNet's per-iteration means (BDN has no per-call percentiles; see the --latency mode for those).</summary>
public sealed class PercentileColumn99 : IColumn
{
    public string Id => "P99";
    public string ColumnName => "P99";
    public bool AlwaysShow => true;
    public ColumnCategory Category => ColumnCategory.Statistics;
    public int PriorityInCategory => 10;
    public bool IsNumeric => true;
    public UnitType UnitType => UnitType.Time;
    public string Legend => "Percentile 99 of the iteration means";
    public bool IsAvailable(BenchmarkDotNet.Reports.Summary summary) => true;
    public bool IsDefault(BenchmarkDotNet.Reports.Summary summary, BenchmarkDotNet.Running.BenchmarkCase benchmarkCase) => false;
    public string GetValue(BenchmarkDotNet.Reports.Summary summary, BenchmarkDotNet.Running.BenchmarkCase benchmarkCase) =>
        GetValue(summary, benchmarkCase, summary.Style);
    public string GetValue(BenchmarkDotNet.Reports.Summary summary, BenchmarkDotNet.Running.BenchmarkCase benchmarkCase, BenchmarkDotNet.Reports.SummaryStyle style)
    {
        var s = summary[benchmarkCase]?.ResultStatistics;
        if (s is null) return "NA";
        var ns = s.Percentiles.Percentile(99);
        return ns < 1000 ? $"{ns:N1} ns" : ns < 1_000_000 ? $"{ns / 1000:N2} μs" : $"{ns / 1_000_000:N2} ms";
    }
}
