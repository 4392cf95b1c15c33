using CacheGuard.EndToEnd.Tests.Infrastructure;
using CacheGuard.Testing.Redis;
using Xunit.Abstractions;

namespace CacheGuard.EndToEnd.Tests;

/// <summary>
/// The package's net8.0 runtime asset, executed: a self-contained .NET 8 program on StackExchange.Redis
/// 2.8.16 (Runners/Net8Redis28Run) restores CacheGuard from the local feed and runs single-flight,
/// the raw wire format, jittered TTLs, invalidation, TryGet and leases against a real redis-server.
/// The runtime's own test suite runs on net10.0 only (the machine's shared runtime), so without this
/// the net8.0 build of the runtime, and the 2.8 line of StackExchange.Redis, would only be compiled.
/// </summary>
[Collection(PackageCollection.Name)]
public sealed class RuntimeExecutionTests(PackageFixture package, ITestOutputHelper output)
{
    [Fact]
    public async Task Net8_Redis28_PackedRuntime_KeepsItsPromises_AgainstARealRedis()
    {
        var root = Path.Combine(package.WorkDirectory, "runners");
        Repo.CopyDirectory(Path.Combine(Repo.Root, "tests", "CacheGuard.EndToEnd.Tests", "Runners"), root);
        File.Copy(Path.Combine(package.WorkDirectory, "nuget.config"), Path.Combine(root, "nuget.config"), overwrite: true);
        var bin = Path.Combine(root, "out");
        var publish = Repo.Run("dotnet", $"publish Net8Redis28Run -c Release -nologo -o \"{bin}\" -p:CacheGuardPackageVersion={package.Version}", root, TimeSpan.FromMinutes(10));
        Assert.True(publish.ExitCode == 0, publish.Output);

        await using var redis = await RedisServerProcess.StartAsync();
        var run = Repo.Run(Path.Combine(bin, "Net8Redis28Run"), redis.Endpoint, root, TimeSpan.FromMinutes(2));
        output.WriteLine(run.Output);

        Assert.True(run.ExitCode == 0, run.Output);
        var lines = run.Output.Split('\n', StringSplitOptions.RemoveEmptyEntries | StringSplitOptions.TrimEntries);
        Assert.Contains(lines, l => l.StartsWith("runtime 8.0.", StringComparison.Ordinal));
        Assert.Contains("redis-client 2.8.16", lines);
        // The runtime assembly that ran is the package's net8.0 build.
        Assert.Contains("cacheguard-asset .NETCoreApp,Version=v8.0", lines);
        foreach (var check in new[] { "single-flight", "raw-readable", "jittered-ttl", "hit", "invalidate", "reload-after-invalidate", "try-get", "lease-exclusive", "lease-released", "jitter-bounds" })
            Assert.Contains($"ok {check}", lines);
        Assert.Contains("all passed", lines);
    }
}
