// Real-code cost of CacheGuard against Meziantou.Analyzer, measured fairly.
//
//   dotnet run -c Release --project bench/CacheGuard.Benchmarks.RealCode -- \
//     --analyzers CacheGuard.Analyzers.dll --with Meziantou.Analyzer.dll --refs DIR,DIR [--rounds 4] [--alone] [--top 8]
//     [--baseline OLD/CacheGuard.Analyzers.dll] SRCDIR...
//     [--sequential]   the compilation is built with concurrentBuild off (the driver still binds on its own task
//                      beside the callbacks, so this quiets their wall time less than one would hope)
//   ... --cg-only [--rounds N] SRCDIR...   CacheGuard alone (no --with needed): the cold run and N warm runs
//     per code base, each analyzer's time and the floor (an empty operation-block analyzer): for profiling
//     (e.g. under dotnet-trace), not a ratio. With --diags --rounds 0 --no-prebind: every code base's CacheGuard
//     diagnostics from one process (no cgeval rebuild per code base), to diff two builds over a corpus.
//
// Each SRCDIR becomes the compilation cgeval's `tree` mode builds (every *.cs but bin/obj, the SDK's
// implicit usings, the same options; --refs as cgeval.sh passes them plus cgeval's tool folder for the
// libraries it ships). Then, on that one compilation:
//   cold   CacheGuard first on its own CompilationWithAnalyzers, then Meziantou on another: cgeval's order,
//          so first-touch costs (JIT, metadata symbol loading, lazily created source symbols) fall on CacheGuard;
//   warm   --rounds rounds, each a fresh CompilationWithAnalyzers per set, the order alternating
//          (CacheGuard first, then Meziantou first): the median per set;
//   mixed  one CompilationWithAnalyzers running both sets together (what a build does), per analyzer.
// Times are Roslyn's AnalyzerTelemetryInfo.ExecutionTime (logAnalyzerExecutionTime, concurrentAnalysis
// off, as cgeval), summed per set. Allocations are the process's allocated bytes around each run
// (driver included). --alone also runs each CacheGuard analyzer alone (warm): the cost of one rule
// with the engine's shared work. Wall time counts only on a quiet machine; the ratios are steadier.
using System.Collections.Immutable;
using System.Diagnostics;
using System.Reflection;
using Microsoft.CodeAnalysis;
using Microsoft.CodeAnalysis.CSharp;
using Microsoft.CodeAnalysis.Diagnostics;

var opts = new Dictionary<string, string>();
var dirs = new List<string>();
var flags = new HashSet<string>();
for (var i = 0; i < args.Length; i++)
{
    if (args[i] is "--alone" or "--diags" or "--cg-only" or "--no-prebind" or "--sequential") flags.Add(args[i]);
    else if (args[i].StartsWith("--") && i + 1 < args.Length) opts[args[i][2..]] = args[++i];
    else dirs.Add(args[i]);
}
var cgOnly = flags.Contains("--cg-only");
if (dirs.Count == 0 || !opts.ContainsKey("analyzers") || (!opts.ContainsKey("with") && !cgOnly))
{
    Console.Error.WriteLine("usage: --analyzers A.dll (--with OTHER.dll | --cg-only) --refs DIR,DIR [--rounds N] [--alone] [--top N] SRCDIR...");
    return 2;
}
var rounds = int.Parse(opts.GetValueOrDefault("rounds", "4"));
var sequential = flags.Contains("--sequential");
var top = int.Parse(opts.GetValueOrDefault("top", "6"));
var cg = Load(opts["analyzers"].Split(','));
if (cgOnly)
{
    var onlyRefs = References(opts.GetValueOrDefault("refs", "").Split(',', StringSplitOptions.RemoveEmptyEntries));
    Console.WriteLine($"CacheGuard alone: {cg.Length} analyzers; Roslyn {typeof(Compilation).Assembly.GetName().Version}; load {File.ReadAllText("/proc/loadavg").Trim()}");
    double coldSum = 0, warmSum = 0;
    foreach (var dir in dirs)
    {
        var comp = Compile(dir, onlyRefs, sequential);
        if (!flags.Contains("--no-prebind"))
            comp.GetDiagnostics();
        var cold = await Run(comp, cg);
        var warm = new List<RunResult>();
        var floor = new List<RunResult>();
        for (var r = 0; r < rounds; r++)
        {
            floor.Add(await Run(comp, ImmutableArray.Create<DiagnosticAnalyzer>(new EmptyOperationBlockAnalyzer())));
            warm.Add(await Run(comp, cg));
        }
        var med = rounds > 0 ? Median(warm.Select(x => x.Total)) : double.NaN;
        coldSum += cold.Total; warmSum += med;
        Console.WriteLine($"{dir}: cold {cold.Total:0} ms, warm median {med:0} ms (runs {string.Join(" ", warm.Select(x => x.Total.ToString("0")))}), "
            + $"floor {(rounds > 0 ? Median(floor.Select(x => x.Total)) : double.NaN):0.0} ms, alloc {(rounds > 0 ? Median(warm.Select(x => x.AllocMb)) - Median(floor.Select(x => x.AllocMb)) : double.NaN):0.0} MB beyond the floor, diagnostics {cold.CgDiagnostics.Length}");
        Console.WriteLine("   cold per analyzer: " + string.Join(", ", cold.PerAnalyzer.OrderByDescending(p => p.Value).Select(p => $"{p.Key.GetType().Name} {p.Value:0.0}")));
        if (flags.Contains("--diags"))
            foreach (var d in cold.CgDiagnostics) Console.WriteLine("   " + d);
    }
    Console.WriteLine($"sum: cold {coldSum:0} ms, warm {warmSum:0} ms");
    return 0;
}
var mez = Load(opts["with"].Split(','));
// --baseline OLD.dll: another build of CacheGuard's analyzers (its own load context), run in the same warm
// rounds, interleaved with this one: a before/after ratio that a busy machine disturbs equally.
var old = opts.TryGetValue("baseline", out var oldPath) ? LoadIsolated(oldPath) : ImmutableArray<DiagnosticAnalyzer>.Empty;
var refs = References(opts.GetValueOrDefault("refs", "").Split(',', StringSplitOptions.RemoveEmptyEntries));
Console.WriteLine($"CacheGuard: {cg.Length} analyzers; other: {mez.Length} analyzers; Roslyn {typeof(Compilation).Assembly.GetName().Version}; load {File.ReadAllText("/proc/loadavg").Trim()}");

var cpuTotals = new List<(string Name, double Cg, double Mez)>();
var totals = new List<(string Name, double CgCold, double MezCold, double CgWarm, double MezWarm, double CgMixed, double MezMixed)>();
foreach (var dir in dirs)
{
    var name = Path.GetFileName(Path.GetDirectoryName(dir.TrimEnd('/')) is { Length: > 0 } p && Path.GetFileName(dir.TrimEnd('/')) is "src" or "." or "API" or "backend" or "core" ? p : dir.TrimEnd('/'));
    var comp = Compile(dir, refs, sequential);
    var sw = Stopwatch.StartNew();
    var errors = comp.GetDiagnostics().Count(d => d.Severity == DiagnosticSeverity.Error);
    Console.WriteLine();
    Console.WriteLine($"## {name} ({comp.SyntaxTrees.Count()} files, {errors} compile errors, bind {sw.ElapsedMilliseconds} ms, load {File.ReadAllText("/proc/loadavg")[..14]})");

    // cold: cgeval's order.
    var cgCold = await Run(comp, cg);
    var mezCold = await Run(comp, mez);
    Console.WriteLine($"cold (cgeval order)   CacheGuard {cgCold.Total,8:0} ms  Meziantou {mezCold.Total,8:0} ms  ratio {cgCold.Total / mezCold.Total,6:P1}  CG diagnostics {cgCold.CgDiagnostics.Length}");

    var cgWarm = new List<RunResult>();
    var mezWarm = new List<RunResult>();
    var oldWarm = new List<RunResult>();
    var floor = new List<RunResult>();
    if (!old.IsEmpty) await Run(comp, old); // its cold run
    for (var r = 0; r < rounds; r++)
    {
        floor.Add(await Run(comp, ImmutableArray.Create<DiagnosticAnalyzer>(new EmptyOperationBlockAnalyzer())));
        if (r % 2 == 0) { cgWarm.Add(await Run(comp, cg)); if (!old.IsEmpty) oldWarm.Add(await Run(comp, old)); mezWarm.Add(await Run(comp, mez)); }
        else { mezWarm.Add(await Run(comp, mez)); if (!old.IsEmpty) oldWarm.Add(await Run(comp, old)); cgWarm.Add(await Run(comp, cg)); }
    }
    if (!old.IsEmpty)
    {
        var oldMed = Median(oldWarm.Select(x => x.Total));
        Console.WriteLine($"baseline (warm median of {rounds}) {oldMed,8:0} ms  this build {Median(cgWarm.Select(x => x.Total)),8:0} ms  this/baseline {Median(cgWarm.Select(x => x.Total)) / oldMed,6:P1}  (min: {oldWarm.Min(x => x.Total):0} vs {cgWarm.Min(x => x.Total):0} ms, {cgWarm.Min(x => x.Total) / oldWarm.Min(x => x.Total):P1})  baseline runs: {string.Join(" ", oldWarm.Select(x => x.Total.ToString("0")))}");
        Console.WriteLine($"   baseline diagnostics {(oldWarm.All(x => x.CgDiagnostics.SequenceEqual(cgCold.CgDiagnostics)) ? "identical to this build's" : "DIFFER from this build's")}");
    }
    var cgMed = Median(cgWarm.Select(x => x.Total));
    var mezMed = Median(mezWarm.Select(x => x.Total));
    Console.WriteLine($"warm (median of {rounds}) CacheGuard {cgMed,8:0} ms  Meziantou {mezMed,8:0} ms  ratio {cgMed / mezMed,6:P1}  (min {cgWarm.Min(x => x.Total):0} / {mezWarm.Min(x => x.Total):0} = {cgWarm.Min(x => x.Total) / mezWarm.Min(x => x.Total):P1})  alloc CG {Median(cgWarm.Select(x => x.AllocMb)):0.0} MB  Mez {Median(mezWarm.Select(x => x.AllocMb)):0.0} MB (driver included)");
    var floorMb = Median(floor.Select(x => x.AllocMb));
    // CPU time the process spent on the whole run (binding included) beyond the empty operation-block
    // analyzer's run: what the analyzers add to a build. CPU time moves less with the machine's load than
    // wall time, and work an analyzer merely does first (binding a body the driver binds anyway) cancels out.
    var floorCpu = Median(floor.Select(x => x.CpuMs));
    var cgCpu = Median(cgWarm.Select(x => x.CpuMs)) - floorCpu;
    var mezCpu = Median(mezWarm.Select(x => x.CpuMs)) - floorCpu;
    Console.WriteLine($"   CPU added over an empty operation-block analyzer's run ({floorCpu:0} ms): CacheGuard {cgCpu:0} ms"
        + (old.IsEmpty ? "" : $", baseline {Median(oldWarm.Select(x => x.CpuMs)) - floorCpu:0} ms") + $", Meziantou {mezCpu:0} ms, ratio {cgCpu / mezCpu:P1}");
    cpuTotals.Add((name, cgCpu, mezCpu));
    Console.WriteLine($"   allocated beyond an empty operation-block analyzer's run ({floorMb:0.0} MB: binding, IOperation trees): CacheGuard {Median(cgWarm.Select(x => x.AllocMb)) - floorMb:0.0} MB"
        + (old.IsEmpty ? "" : $", baseline {Median(oldWarm.Select(x => x.AllocMb)) - floorMb:0.0} MB") + $", Meziantou {Median(mezWarm.Select(x => x.AllocMb)) - floorMb:0.0} MB");
    Console.WriteLine($"   CacheGuard runs: {string.Join(" ", cgWarm.Select(x => x.Total.ToString("0")))}   Meziantou runs: {string.Join(" ", mezWarm.Select(x => x.Total.ToString("0")))}");
    var same = cgWarm.All(x => x.CgDiagnostics.SequenceEqual(cgCold.CgDiagnostics));
    if (!same) Console.WriteLine("   WARNING: CacheGuard's diagnostics differ between runs");

    var mixed = await Run(comp, cg.AddRange(mez));
    var cgMixed = cg.Sum(a => mixed.PerAnalyzer[a]);
    var mezMixed = mez.Sum(a => mixed.PerAnalyzer[a]);
    Console.WriteLine($"mixed (one driver)    CacheGuard {cgMixed,8:0} ms  Meziantou {mezMixed,8:0} ms  ratio {cgMixed / mezMixed,6:P1}");

    // Per analyzer (per rule), warm: the median over the rounds.
    Console.WriteLine("   CacheGuard per analyzer (warm median ms): " + string.Join(", ", cg
        .Select(a => (a, t: Median(cgWarm.Select(x => x.PerAnalyzer[a])))).OrderByDescending(x => x.t)
        .Select(x => $"{x.a.GetType().Name} {x.t:0.0}")));
    Console.WriteLine($"   Meziantou top {top} (warm median ms): " + string.Join(", ", mez
        .Select(a => (a, t: Median(mezWarm.Select(x => x.PerAnalyzer[a])))).OrderByDescending(x => x.t).Take(top)
        .Select(x => $"{x.a.GetType().Name} {x.t:0.0}")));
    if (flags.Contains("--alone"))
    {
        foreach (var a in cg)
        {
            await Run(comp, ImmutableArray.Create(a));
            var one = await Run(comp, ImmutableArray.Create(a));
            Console.WriteLine($"   alone {a.GetType().Name,-44} {one.Total,8:0.0} ms  {one.Total / mezMed,6:P2} of Meziantou  diagnostics {one.CgDiagnostics.Length}");
        }
    }
    if (flags.Contains("--diags"))
        foreach (var d in cgCold.CgDiagnostics) Console.WriteLine("   " + d);
    totals.Add((name, cgCold.Total, mezCold.Total, cgMed, mezMed, cgMixed, mezMixed));
}

Console.WriteLine();
Console.WriteLine("| Code base | cold CG ms | cold Mez ms | cold ratio | warm CG ms | warm Mez ms | warm ratio | mixed ratio |");
Console.WriteLine("|---|---:|---:|---:|---:|---:|---:|---:|");
foreach (var t in totals)
    Console.WriteLine($"| {t.Name} | {t.CgCold:N0} | {t.MezCold:N0} | {t.CgCold / t.MezCold:P1} | {t.CgWarm:N0} | {t.MezWarm:N0} | {t.CgWarm / t.MezWarm:P1} | {t.CgMixed / t.MezMixed:P1} |");
Console.WriteLine($"| **sum** | {totals.Sum(t => t.CgCold):N0} | {totals.Sum(t => t.MezCold):N0} | {totals.Sum(t => t.CgCold) / totals.Sum(t => t.MezCold):P1} | {totals.Sum(t => t.CgWarm):N0} | {totals.Sum(t => t.MezWarm):N0} | {totals.Sum(t => t.CgWarm) / totals.Sum(t => t.MezWarm):P1} | {totals.Sum(t => t.CgMixed) / totals.Sum(t => t.MezMixed):P1} |");
if (cpuTotals.Count > 0)
    Console.WriteLine($"CPU added over the empty operation-block analyzer, summed: CacheGuard {cpuTotals.Sum(t => t.Cg):N0} ms, Meziantou {cpuTotals.Sum(t => t.Mez):N0} ms, ratio {cpuTotals.Sum(t => t.Cg) / cpuTotals.Sum(t => t.Mez):P1}");
Console.WriteLine($"end load {File.ReadAllText("/proc/loadavg").Trim()}");
return 0;

static async Task<RunResult> Run(Compilation comp, ImmutableArray<DiagnosticAnalyzer> analyzers)
{
    var options = new CompilationWithAnalyzersOptions(new AnalyzerOptions(ImmutableArray<AdditionalText>.Empty), null,
        concurrentAnalysis: false, logAnalyzerExecutionTime: true, reportSuppressedDiagnostics: false);
    GC.Collect();
    var alloc0 = GC.GetTotalAllocatedBytes(precise: true);
    var process = Process.GetCurrentProcess();
    var cpu0 = process.TotalProcessorTime;
    var cwa = comp.WithAnalyzers(analyzers, options);
    var diags = await cwa.GetAnalyzerDiagnosticsAsync();
    process.Refresh();
    var cpu = (process.TotalProcessorTime - cpu0).TotalMilliseconds;
    var alloc = (GC.GetTotalAllocatedBytes(precise: true) - alloc0) / 1048576.0;
    var per = new Dictionary<DiagnosticAnalyzer, double>();
    foreach (var a in analyzers)
        per[a] = (await cwa.GetAnalyzerTelemetryInfoAsync(a, default)).ExecutionTime.TotalMilliseconds;
    var crashes = diags.Count(d => d.Id == "AD0001");
    if (crashes > 0) Console.WriteLine($"   AD0001 x{crashes}: {diags.First(d => d.Id == "AD0001").GetMessage()}");
    var cgDiags = diags.Where(d => d.Id.StartsWith("CG", StringComparison.Ordinal))
        .Select(d => $"{d.Location.GetLineSpan().Path}:{d.Location.GetLineSpan().StartLinePosition.Line + 1}: {d.Id} {d.GetMessage()}")
        .Order().ToImmutableArray();
    return new RunResult(per.Values.Sum(), per, alloc, cgDiags, cpu);
}

static double Median(IEnumerable<double> xs)
{
    var v = xs.Order().ToList();
    return v.Count == 0 ? double.NaN : v.Count % 2 == 1 ? v[v.Count / 2] : (v[v.Count / 2 - 1] + v[v.Count / 2]) / 2;
}

static ImmutableArray<DiagnosticAnalyzer> Load(IEnumerable<string> paths)
{
    var list = ImmutableArray.CreateBuilder<DiagnosticAnalyzer>();
    foreach (var p in paths)
    {
        var asm = Assembly.LoadFrom(Path.GetFullPath(p));
        Type[] types;
        try { types = asm.GetTypes(); } catch (ReflectionTypeLoadException e) { types = e.Types.Where(t => t != null).ToArray()!; }
        foreach (var t in types)
            if (!t.IsAbstract && typeof(DiagnosticAnalyzer).IsAssignableFrom(t) && t.GetCustomAttributes<DiagnosticAnalyzerAttribute>().Any(a => a.Languages.Contains(LanguageNames.CSharp)))
                list.Add((DiagnosticAnalyzer)Activator.CreateInstance(t)!);
    }
    return list.ToImmutable();
}

static ImmutableArray<DiagnosticAnalyzer> LoadIsolated(string path)
{
    // Its own context for CacheGuard's assembly; Roslyn and everything else come from the default context.
    var context = new System.Runtime.Loader.AssemblyLoadContext("baseline");
    var asm = context.LoadFromAssemblyPath(Path.GetFullPath(path));
    return asm.GetTypes()
        .Where(t => !t.IsAbstract && typeof(DiagnosticAnalyzer).IsAssignableFrom(t) && t.GetCustomAttributes<DiagnosticAnalyzerAttribute>().Any(a => a.Languages.Contains(LanguageNames.CSharp)))
        .Select(t => (DiagnosticAnalyzer)Activator.CreateInstance(t)!).ToImmutableArray();
}

// cgeval's BaseReferences: framework reference assemblies, then the extra dirs (cgeval's own tool folder
// holds the libraries it ships; pass it first) for names not already present.
static ImmutableArray<MetadataReference> References(IEnumerable<string> dirs)
{
    var byName = new Dictionary<string, MetadataReference>(StringComparer.OrdinalIgnoreCase);
    foreach (var r in Basic.Reference.Assemblies.Net100.References.All)
        byName[Path.GetFileNameWithoutExtension(r.FilePath ?? r.Display ?? Guid.NewGuid().ToString())] = r;
    foreach (var dir in dirs)
        foreach (var f in Directory.GetFiles(dir, "*.dll"))
        {
            var n = Path.GetFileNameWithoutExtension(f);
            if (n.StartsWith("Microsoft.CodeAnalysis") || n.StartsWith("Basic.Reference") || n == "cgeval" || n.StartsWith("CacheGuard.Analyzers") || n.StartsWith("CacheGuard.CodeFixes")
                || n.EndsWith(".Analyzers") || n.EndsWith(".CodeFixes") || n.StartsWith("xunit") || n.StartsWith("testhost"))
                continue;
            byName.TryAdd(n, MetadataReference.CreateFromFile(f));
        }
    return byName.Values.ToImmutableArray();
}

static Compilation Compile(string dir, ImmutableArray<MetadataReference> refs, bool sequential)
{
    var parse = new CSharpParseOptions(LanguageVersion.Latest);
    var files = Directory.GetFiles(dir, "*.cs", SearchOption.AllDirectories).Where(f => !f.Contains("/obj/") && !f.Contains("/bin/")).OrderBy(f => f).ToList();
    var trees = files.Select(f => CSharpSyntaxTree.ParseText(File.ReadAllText(f), parse, f)).ToList();
    trees.Add(CSharpSyntaxTree.ParseText("global using System;\nglobal using System.Collections.Generic;\nglobal using System.IO;\nglobal using System.Linq;\nglobal using System.Net.Http;\nglobal using System.Threading;\nglobal using System.Threading.Tasks;\n", parse, "/obj/GlobalUsings.g.cs"));
    return CSharpCompilation.Create("tree", trees, refs, new CSharpCompilationOptions(OutputKind.DynamicallyLinkedLibrary,
        nullableContextOptions: NullableContextOptions.Enable, allowUnsafe: true, concurrentBuild: !sequential));
}

/// <summary>Total: the analyzers' execution time (telemetry); CpuMs: the process's CPU time for the whole run (driver included).</summary>
sealed record RunResult(double Total, Dictionary<DiagnosticAnalyzer, double> PerAnalyzer, double AllocMb, ImmutableArray<string> CgDiagnostics, double CpuMs);

/// <summary>One operation-block callback doing nothing: the driver builds every IOperation tree, as for CacheGuard.</summary>
[DiagnosticAnalyzer(LanguageNames.CSharp)]
sealed class EmptyOperationBlockAnalyzer : DiagnosticAnalyzer
{
    private static readonly DiagnosticDescriptor Rule = new("EMPTY0002", "Empty", "Empty", "Bench", DiagnosticSeverity.Warning, true);
    public override ImmutableArray<DiagnosticDescriptor> SupportedDiagnostics { get; } = ImmutableArray.Create(Rule);

    public override void Initialize(AnalysisContext context)
    {
        context.ConfigureGeneratedCodeAnalysis(GeneratedCodeAnalysisFlags.None);
        context.RegisterOperationBlockAction(_ => { });
    }
}
