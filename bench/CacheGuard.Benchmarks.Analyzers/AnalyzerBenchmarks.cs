using System.Collections.Immutable;
using BenchmarkDotNet.Attributes;
using BenchmarkDotNet.Columns;
using BenchmarkDotNet.Configs;
using BenchmarkDotNet.Diagnosers;
using BenchmarkDotNet.Jobs;
using BenchmarkDotNet.Toolchains.InProcess.Emit;
using Microsoft.CodeAnalysis;
using Microsoft.CodeAnalysis.CSharp;
using Microsoft.CodeAnalysis.Diagnostics;

namespace CacheGuard.Benchmarks.Analyzers;

/// <summary>
/// One operation = one whole compilation of the generated ~1,000 files. Every row starts from a
/// fresh <see cref="Compilation.Clone"/> (no cached binding), single-threaded so that the 2-core
/// machine's other load disturbs it as little as possible. The analyzer's cost is
/// <c>Analyze_CacheGuard − Analyze_EmptyAnalyzer</c>; a build's compile time is <c>Parse + Compile_Emit</c>.
/// </summary>
[Config(typeof(ShortConfig))]
[MemoryDiagnoser]
public class AnalyzerBenchmarks
{
    private IReadOnlyList<(string Path, string Text)> _sources = null!;
    private CSharpCompilation _compilation = null!;
    private ImmutableArray<DiagnosticAnalyzer> _empty, _cacheGuard, _meziantou;

    /// <summary>Files in the compilation: 1,000 unless CACHEGUARD_BENCH_FILES says otherwise.</summary>
    public static int Files { get; } = int.TryParse(Environment.GetEnvironmentVariable("CACHEGUARD_BENCH_FILES"), out var n) && n > 1 ? n : Workload.DefaultFileCount;

    [GlobalSetup]
    public void Setup()
    {
        _sources = Workload.Sources(Files);
        _compilation = Workload.Compile(Workload.Parse(_sources));
        _empty = ImmutableArray.Create<DiagnosticAnalyzer>(new EmptyAnalyzer());
        _cacheGuard = Workload.CacheGuardAnalyzers();
        _meziantou = Workload.MeziantouAnalyzers();
        Console.WriteLine($"// Workload: {Files} files; CacheGuard analyzers: {_cacheGuard.Length}; Meziantou analyzers: {_meziantou.Length}");
    }

    [Benchmark(Description = "Parse")]
    public int Parse() => Workload.Parse(_sources).Length;

    [Benchmark(Baseline = true, Description = "Compile: bind + emit, no analyzers")]
    public bool Compile_Emit()
    {
        using var pe = new MemoryStream();
        return _compilation.Clone().Emit(pe).Success;
    }

    [Benchmark(Description = "Bind + empty analyzer")]
    public int Analyze_EmptyAnalyzer() => Run(_empty);

    [Benchmark(Description = "Bind + all CacheGuard analyzers")]
    public int Analyze_CacheGuard() => Run(_cacheGuard);

    [Benchmark(Description = "Bind + Meziantou.Analyzer")]
    public int Analyze_Meziantou() => Run(_meziantou);

    private int Run(ImmutableArray<DiagnosticAnalyzer> analyzers) =>
        Analysis.Run(_compilation.Clone(), analyzers, logTime: false).GetAwaiter().GetResult().Diagnostics.Length;

    private sealed class ShortConfig : ManualConfig
    {
        public ShortConfig()
        {
            // In-process (no child project to build on a loaded machine); short: 1 launch, 1 warm-up, 3 measured (one op is a whole compilation).
            AddJob(Job.Default.WithToolchain(new InProcessEmitToolchain(TimeSpan.FromMinutes(45), logOutput: true))
                .WithLaunchCount(1).WithWarmupCount(1).WithIterationCount(3).WithInvocationCount(1).WithUnrollFactor(1)
                .WithId("Short-InProcess"));
            AddColumn(StatisticColumn.P95, StatisticColumn.Min);
            AddDiagnoser(MemoryDiagnoser.Default);
            WithOptions(ConfigOptions.DisableOptimizationsValidator);
        }
    }
}

/// <summary>
/// Registers an empty operation-block action: the cost of building IOperation trees for every
/// method body, which a real build already pays for the SDK's own default analyzers.
/// </summary>
[DiagnosticAnalyzer(LanguageNames.CSharp)]
public sealed class EmptyOperationBlockAnalyzer : DiagnosticAnalyzer
{
    private static readonly DiagnosticDescriptor Rule = new("EMPTY0002", "Empty", "Empty", "Bench", DiagnosticSeverity.Warning, true);
    public override ImmutableArray<DiagnosticDescriptor> SupportedDiagnostics { get; } = ImmutableArray.Create(Rule);
    public override void Initialize(AnalysisContext context)
    {
        context.ConfigureGeneratedCodeAnalysis(GeneratedCodeAnalysisFlags.None);
        context.EnableConcurrentExecution();
        context.RegisterOperationBlockAction(static _ => { });
    }
}

/// <summary>Registers nothing: the cost of running the analyzer driver at all.</summary>
[DiagnosticAnalyzer(LanguageNames.CSharp)]
public sealed class EmptyAnalyzer : DiagnosticAnalyzer
{
    private static readonly DiagnosticDescriptor Rule = new("EMPTY0001", "Empty", "Empty", "Bench", DiagnosticSeverity.Warning, true);
    public override ImmutableArray<DiagnosticDescriptor> SupportedDiagnostics { get; } = ImmutableArray.Create(Rule);
    public override void Initialize(AnalysisContext context)
    {
        context.ConfigureGeneratedCodeAnalysis(GeneratedCodeAnalysisFlags.None);
        context.EnableConcurrentExecution();
    }
}

public static class Analysis
{
    public sealed record Result(ImmutableArray<Diagnostic> Diagnostics, CompilationWithAnalyzers Driver);

    public static async Task<Result> Run(Compilation compilation, ImmutableArray<DiagnosticAnalyzer> analyzers, bool logTime, bool analyzerDiagnosticsOnly = false)
    {
        var options = new CompilationWithAnalyzersOptions(new AnalyzerOptions(ImmutableArray<AdditionalText>.Empty),
            onAnalyzerException: (ex, a, d) => Console.Error.WriteLine($"analyzer {a.GetType().Name} threw: {ex.Message}"),
            concurrentAnalysis: false, logAnalyzerExecutionTime: logTime);
        var driver = compilation.WithAnalyzers(analyzers, options);
        // With Roslyn 5.0, AnalyzerTelemetryInfo.ExecutionTime is filled in by GetAnalyzerDiagnosticsAsync
        // but stays zero after GetAllDiagnosticsAsync: attribution runs use the former.
        var diagnostics = analyzerDiagnosticsOnly
            ? await driver.GetAnalyzerDiagnosticsAsync().ConfigureAwait(false)
            : await driver.GetAllDiagnosticsAsync().ConfigureAwait(false);
        return new Result(diagnostics, driver);
    }
}
