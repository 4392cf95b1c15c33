using BenchmarkDotNet.Running;
using CacheGuard.Benchmarks;

if (args.Contains("--latency"))
    return await LatencyMode.RunAsync(args);
BenchmarkSwitcher.FromAssembly(typeof(HitPathBenchmarks).Assembly).Run(args.Length == 0 ? new[] { "--filter", "*" } : args);
return 0;
