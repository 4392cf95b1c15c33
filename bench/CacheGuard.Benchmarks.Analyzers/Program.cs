using BenchmarkDotNet.Running;
using CacheGuard.Benchmarks.Analyzers;

if (args.Contains("--telemetry") || args.Contains("--check"))
    return await Telemetry.RunAsync(args);
BenchmarkSwitcher.FromAssembly(typeof(AnalyzerBenchmarks).Assembly).Run(args.Length == 0 ? new[] { "--filter", "*" } : args);
return 0;
