using System.Collections.Immutable;
using System.Diagnostics;
using Microsoft.CodeAnalysis;
using Microsoft.CodeAnalysis.Diagnostics;

namespace CacheGuard.Benchmarks.Analyzers;

/// <summary>
/// The per-rule table: Roslyn's own per-analyzer execution time (logAnalyzerExecutionTime,
/// AnalyzerTelemetryInfo.ExecutionTime), plus wall time, process CPU time and allocated bytes of
/// each configuration (allocations don't move with the machine's load; wall time does).
/// Medians over --runs runs after one warm-up run.
/// </summary>
public static class Telemetry
{
    private sealed record Sample(double WallMs, double CpuMs, double AllocMb);

    public static async Task<int> RunAsync(string[] args)
    {
        var files = Arg(args, "--files", Workload.DefaultFileCount);
        // One run by default: each run analyzes the whole compilation ~9 times (the per-rule table adds 9 more);
        // --alone also measures each rule analyzer alone inside every run (9 more per run).
        var runs = Arg(args, "--runs", 1);
        var aloneInRuns = args.Contains("--alone");
        // Warm-up on a small compilation (JIT of Roslyn and of every analyzer), then measure the big one.
        await WarmUpAsync(Workload.Compile(Workload.Parse(Workload.Sources(100))));
        var sources = Workload.Sources(files);
        var trees = Workload.Parse(sources);
        var compilation = Workload.Compile(trees);
        var cg = Workload.CacheGuardAnalyzers();
        var mez = Workload.MeziantouAnalyzers();
        var empty = ImmutableArray.Create<DiagnosticAnalyzer>(new EmptyAnalyzer());
        var lines = sources.Sum(s => s.Text.Count(c => c == '\n'));
        Console.WriteLine($"Workload: {files} files ({Workload.CachingFileCount(files)} with caching code), {lines:N0} lines");
        Console.WriteLine($"CacheGuard: {cg.Length} analyzers ({string.Join(", ", cg.SelectMany(a => a.SupportedDiagnostics).Select(d => d.Id).Distinct().Order())})");
        Console.WriteLine($"Meziantou.Analyzer: {mez.Length} analyzers from {Workload.MeziantouFolder}");
        Console.WriteLine($"Roslyn (host): {typeof(Compilation).Assembly.GetName().Version}");

        if (args.Contains("--check"))
        {
            var errors = compilation.GetDiagnostics().Where(d => d.Severity == DiagnosticSeverity.Error).ToList();
            Console.WriteLine($"compile errors: {errors.Count}");
            foreach (var e in errors.Take(20)) Console.WriteLine("  " + e);
            var r = await Analysis.Run(compilation.Clone(), cg, logTime: false);
            Console.WriteLine("CacheGuard diagnostics by id:");
            foreach (var g in r.Diagnostics.Where(d => d.Id.StartsWith("CG", StringComparison.Ordinal)).GroupBy(d => d.Id).OrderBy(g => g.Key))
                Console.WriteLine($"  {g.Key}: {g.Count()}");
            var m = await Analysis.Run(compilation.Clone(), mez, logTime: false);
            Console.WriteLine($"Meziantou diagnostics: {m.Diagnostics.Count(d => d.Id.StartsWith("MA", StringComparison.Ordinal))} ({m.Diagnostics.Where(d => d.Id.StartsWith("MA", StringComparison.Ordinal)).Select(d => d.Id).Distinct().Count()} ids)");
            return errors.Count == 0 ? 0 : 1;
        }

        var samples = new Dictionary<string, List<Sample>>();
        var perAnalyzer = new Dictionary<string, List<double>>();
        var cgTotal = new List<double>();
        var mezTotal = new List<double>();
        var reported = new Dictionary<string, int>();

        var opBaseline = ImmutableArray.Create<DiagnosticAnalyzer>(new EmptyOperationBlockAnalyzer());
        for (var run = 1; run <= runs; run++)
        {
            var record = true;
            Measure("Parse", record, () => { _ = Workload.Parse(sources); return Task.CompletedTask; });
            Measure("Compile: bind + emit, no analyzers", record, () => { using var pe = new MemoryStream(); _ = compilation.Clone().Emit(pe); return Task.CompletedTask; });
            Measure("Bind, no analyzers", record, () =>
            {
                var errors = compilation.Clone().GetDiagnostics().Where(x => x.Severity == DiagnosticSeverity.Error).ToList();
                if (run == 1)
                {
                    Console.WriteLine($"compile errors: {errors.Count}");
                    foreach (var e in errors.Take(10)) Console.WriteLine("  " + e);
                }
                return Task.CompletedTask;
            });
            Measure("Bind + empty analyzer", record, () => Analysis.Run(compilation.Clone(), empty, logTime: false));
            Measure("Bind + empty operation-block analyzer", record, () => Analysis.Run(compilation.Clone(), opBaseline, logTime: false));
            Measure("Bind + CacheGuard", record, () => Analysis.Run(compilation.Clone(), cg, logTime: false));
            if (aloneInRuns && cg.Length > 1)
                foreach (var a in cg)
                    Measure("Bind + " + Name(a) + " alone", record, () => Analysis.Run(compilation.Clone(), ImmutableArray.Create(a), logTime: false));
            Measure("Bind + Meziantou", record, () => Analysis.Run(compilation.Clone(), mez, logTime: false));
            // Attribution runs: Roslyn's own per-analyzer execution time.
            var cgRun = await Analysis.Run(compilation.Clone(), cg, logTime: true, analyzerDiagnosticsOnly: true);
            var mezRun = await Analysis.Run(compilation.Clone(), mez, logTime: true, analyzerDiagnosticsOnly: true);

            double cgSum = 0;
            foreach (var a in cg)
            {
                var t = (await cgRun.Driver.GetAnalyzerTelemetryInfoAsync(a, CancellationToken.None)).ExecutionTime.TotalMilliseconds;
                cgSum += t;
                if (!record) continue;
                Key(perAnalyzer, Name(a)).Add(t);
                foreach (var id in a.SupportedDiagnostics.Select(d => d.Id))
                    reported[id] = cgRun.Diagnostics.Count(d => d.Id == id);
            }
            double mezSum = 0;
            foreach (var a in mez)
                mezSum += (await mezRun.Driver.GetAnalyzerTelemetryInfoAsync(a, CancellationToken.None)).ExecutionTime.TotalMilliseconds;
            if (record) { cgTotal.Add(cgSum); mezTotal.Add(mezSum); }
            Console.Error.WriteLine($"run {run}/{runs} done");
        }

        static async Task WarmUpAsync(Compilation small)
        {
            using (var pe = new MemoryStream()) small.Clone().Emit(pe);
            await Analysis.Run(small.Clone(), ImmutableArray.Create<DiagnosticAnalyzer>(new EmptyAnalyzer(), new EmptyOperationBlockAnalyzer()), logTime: false);
            await Analysis.Run(small.Clone(), Workload.CacheGuardAnalyzers(), logTime: true, analyzerDiagnosticsOnly: true);
            await Analysis.Run(small.Clone(), Workload.MeziantouAnalyzers(), logTime: true, analyzerDiagnosticsOnly: true);
        }

        var compileWall = Med(samples["Parse"], s => s.WallMs) + Med(samples["Compile: bind + emit, no analyzers"], s => s.WallMs);
        var compileCpu = Med(samples["Parse"], s => s.CpuMs) + Med(samples["Compile: bind + emit, no analyzers"], s => s.CpuMs);

        Console.WriteLine();
        Console.WriteLine($"## Whole compilation, median of {runs} run(s) after a warm-up on 100 files (single-threaded; wall time is noisy on a loaded machine, CPU and allocations less so)");
        Console.WriteLine();
        Console.WriteLine("| Configuration | Wall ms | CPU ms | Allocated MB |");
        Console.WriteLine("|---|---:|---:|---:|");
        foreach (var (name, list) in samples)
            Console.WriteLine($"| {name} | {Med(list, s => s.WallMs):N0} | {Med(list, s => s.CpuMs):N0} | {Med(list, s => s.AllocMb):N1} |");

        var d = Delta(samples, "Bind + CacheGuard", "Bind + empty analyzer");
        var dm = Delta(samples, "Bind + Meziantou", "Bind + empty analyzer");
        var dop = Delta(samples, "Bind + empty operation-block analyzer", "Bind + empty analyzer");
        var dcgop = Delta(samples, "Bind + CacheGuard", "Bind + empty operation-block analyzer");
        Console.WriteLine();
        Console.WriteLine("| Added over the empty analyzer | Wall ms | CPU ms | Allocated MB | per file (CPU µs) | % of compile (parse + bind + emit, CPU) |");
        Console.WriteLine("|---|---:|---:|---:|---:|---:|");
        Console.WriteLine($"| CacheGuard (all rules) | {d.WallMs:N0} | {d.CpuMs:N0} | {d.AllocMb:N1} | {d.CpuMs * 1000 / files:N1} | {100 * d.CpuMs / compileCpu:N2}% |");
        Console.WriteLine($"| Meziantou.Analyzer | {dm.WallMs:N0} | {dm.CpuMs:N0} | {dm.AllocMb:N1} | {dm.CpuMs * 1000 / files:N1} | {100 * dm.CpuMs / compileCpu:N2}% |");
        Console.WriteLine($"| (IOperation trees alone: empty operation-block analyzer) | {dop.WallMs:N0} | {dop.CpuMs:N0} | {dop.AllocMb:N1} | {dop.CpuMs * 1000 / files:N1} | {100 * dop.CpuMs / compileCpu:N2}% |");
        Console.WriteLine($"| CacheGuard beyond the IOperation trees | {dcgop.WallMs:N0} | {dcgop.CpuMs:N0} | {dcgop.AllocMb:N1} | {dcgop.CpuMs * 1000 / files:N1} | {100 * dcgop.CpuMs / compileCpu:N2}% |");
        if (aloneInRuns && cg.Length > 1)
            foreach (var a in cg)
            {
                var x = Delta(samples, "Bind + " + Name(a) + " alone", "Bind + empty analyzer");
                Console.WriteLine($"| {Name(a)} alone | {x.WallMs:N0} | {x.CpuMs:N0} | {x.AllocMb:N1} | {x.CpuMs * 1000 / files:N1} | {100 * x.CpuMs / compileCpu:N2}% |");
            }

        Console.WriteLine();
        Console.WriteLine($"## Per analyzer: Roslyn's AnalyzerTelemetryInfo.ExecutionTime (logAnalyzerExecutionTime, GetAnalyzerDiagnosticsAsync), median of {runs} run(s)");
        Console.WriteLine();
        Console.WriteLine("| Analyzer | Rules | Diagnostics | Execution ms | per file µs | % of compile (CPU) |");
        Console.WriteLine("|---|---|---:|---:|---:|---:|");
        foreach (var a in cg)
        {
            var t = Med(perAnalyzer[Name(a)], x => x);
            var ids = a.SupportedDiagnostics.Select(x => x.Id).Distinct().ToList();
            Console.WriteLine($"| {Name(a)} | {string.Join(", ", ids)} | {ids.Sum(id => reported.GetValueOrDefault(id))} | {t:N1} | {t * 1000 / files:N1} | {100 * t / compileCpu:N3}% |");
        }
        var cgMed = Med(cgTotal, x => x);
        var mezMed = Med(mezTotal, x => x);
        Console.WriteLine($"| **CacheGuard total** | | | {cgMed:N1} | {cgMed * 1000 / files:N1} | {100 * cgMed / compileCpu:N3}% |");
        Console.WriteLine($"| Meziantou.Analyzer total ({mez.Length} analyzers) | | | {mezMed:N1} | {mezMed * 1000 / files:N1} | {100 * mezMed / compileCpu:N3}% |");
        Console.WriteLine();
        Console.WriteLine($"CacheGuard / Meziantou (execution time): {cgMed / mezMed:P1}; (CPU added over empty analyzer): {d.CpuMs / dm.CpuMs:P1}");
        Console.WriteLine($"Compile (parse + bind + emit, no analyzers): wall {compileWall:N0} ms, CPU {compileCpu:N0} ms");

        // Per rule: the engine running one rule alone (the shipped analyzer runs them all from one walk,
        // so a rule's share can only be seen this way). One run each; an outlier stands out against the total.
        Console.WriteLine();
        Console.WriteLine("## Per rule: the engine with one rule alone (AnalyzerTelemetryInfo.ExecutionTime, one run each)");
        Console.WriteLine();
        Console.WriteLine("| Rule analyzer | Rules | Diagnostics | Execution ms | of the all-rules total |");
        Console.WriteLine("|---|---|---:|---:|---:|");
        foreach (var rule in Workload.CacheGuardRuleAnalyzers())
        {
            var one = await Analysis.Run(compilation.Clone(), ImmutableArray.Create(rule), logTime: true, analyzerDiagnosticsOnly: true);
            var t = (await one.Driver.GetAnalyzerTelemetryInfoAsync(rule, CancellationToken.None)).ExecutionTime.TotalMilliseconds;
            var ids = rule.SupportedDiagnostics.Select(x => x.Id).Distinct().ToList();
            Console.WriteLine($"| {Name(rule)} | {string.Join(", ", ids)} | {one.Diagnostics.Count(x => ids.Contains(x.Id))} | {t:N1} | {t / cgMed:P0} |");
        }
        return 0;

        void Measure(string name, bool record, Func<Task> work)
        {
            GC.Collect();
            GC.WaitForPendingFinalizers();
            var proc = Process.GetCurrentProcess();
            var cpu0 = proc.TotalProcessorTime;
            var alloc0 = GC.GetTotalAllocatedBytes(precise: true);
            var sw = Stopwatch.StartNew();
            work().GetAwaiter().GetResult();
            sw.Stop();
            var alloc = GC.GetTotalAllocatedBytes(precise: true) - alloc0;
            proc.Refresh();
            var cpu = proc.TotalProcessorTime - cpu0;
            if (record)
                Key(samples, name).Add(new Sample(sw.Elapsed.TotalMilliseconds, cpu.TotalMilliseconds, alloc / 1048576.0));
        }
    }

    private static Sample Delta(Dictionary<string, List<Sample>> s, string a, string b) => new(
        Med(s[a], x => x.WallMs) - Med(s[b], x => x.WallMs),
        Med(s[a], x => x.CpuMs) - Med(s[b], x => x.CpuMs),
        Med(s[a], x => x.AllocMb) - Med(s[b], x => x.AllocMb));

    private static string Name(DiagnosticAnalyzer a) => a.GetType().Name;

    private static List<T> Key<T>(Dictionary<string, List<T>> d, string k) => d.TryGetValue(k, out var l) ? l : d[k] = new List<T>();

    private static double Med<T>(List<T> xs, Func<T, double> f)
    {
        var v = xs.Select(f).Order().ToList();
        return v.Count == 0 ? double.NaN : v.Count % 2 == 1 ? v[v.Count / 2] : (v[v.Count / 2 - 1] + v[v.Count / 2]) / 2;
    }

    private static int Arg(string[] args, string name, int fallback)
    {
        var i = Array.IndexOf(args, name);
        return i >= 0 && i + 1 < args.Length && int.TryParse(args[i + 1], out var v) ? v : fallback;
    }
}
