using CacheGuard.EndToEnd.Tests.Infrastructure;

namespace CacheGuard.EndToEnd.Tests;

/// <summary>
/// The compatibility table in the README, proved: each consumer restores the packages from the
/// local feed next to its own StackExchange.Redis / Microsoft.Extensions versions, shows exactly the
/// warnings its "// CGxxxx" comments mark, and still builds after <c>dotnet format analyzers</c>
/// applied every fix it was offered (with the runtime, or the runtime-free variants without it).
/// </summary>
[Collection(PackageCollection.Name)]
public sealed class ConsumerTests
{
    private readonly ConsumerRun _run;

    public ConsumerTests(PackageFixture package) => _run = ConsumerRun.For(package);

    [Fact]
    public void EveryConsumer_Restores_AndShowsExactlyTheMarkedWarnings()
    {
        Assert.True(_run.Before.ExitCode == 0, _run.Before.Output);
        foreach (var project in ConsumerRun.Projects)
        {
            Assert.NotEmpty(_run.Markers[project]);
            Assert.Equal(_run.Markers[project], _run.DiagnosticsIn(_run.Before, project));
        }
    }

    [Fact]
    public void Net8_Redis28_CacheGuard_FixesIntoTheRuntime_AndBuilds()
    {
        AssertFormattedAndBuilt("Net8Redis28", remaining: Array.Empty<string>());
        var source = _run.Source("Net8Redis28", "RedisHoles.cs");
        Assert.Contains("CacheTtl.Jitter(CloudTtl)", source, StringComparison.Ordinal);
        Assert.Contains("await _db.InvalidateAsync(\"post:\" + post.Id);", source, StringComparison.Ordinal);
        Assert.Contains("LockReleaseAsync(\"lock:sitemap\", lockToken)", source, StringComparison.Ordinal);
        Assert.Contains("GetOrSet", source, StringComparison.Ordinal);
        Assert.Contains("using CacheGuard;", source, StringComparison.Ordinal);
        var assets = _run.AssetsFile("Net8Redis28");
        Assert.Contains("\"StackExchange.Redis/2.8.16\"", assets, StringComparison.Ordinal);
        // The runtime's net8.0 floor: Microsoft.Extensions 8.0, nothing newer pulled in.
        Assert.Contains("\"Microsoft.Extensions.Options/8.0.0\"", assets, StringComparison.Ordinal);
        Assert.DoesNotMatch(new System.Text.RegularExpressions.Regex(@"""Microsoft\.Extensions\.[A-Za-z.]+/(9|10|11)\."), assets);
    }

    [Fact]
    public void NetStandard20_Library_AnalyzersOnly_GetsTheRuntimeFreeFixes_AndBuilds()
    {
        // CG0004 (single-flight GetOrSet) needs the runtime: reported, not fixed.
        AssertFormattedAndBuilt("NetStandardLib", remaining: new[] { "CG0004" });
        var source = _run.Source("NetStandardLib", "RedisHoles.cs");
        Assert.DoesNotContain("CacheTtl", source, StringComparison.Ordinal);
        Assert.DoesNotContain("using CacheGuard;", source, StringComparison.Ordinal);
        // No Random.Shared on netstandard2.0: the jitter draws from Guid.NewGuid().
        Assert.DoesNotContain("Random.Shared", source, StringComparison.Ordinal);
        Assert.Contains("TimeSpan.FromTicks((long)(CloudTtl.Ticks * (1 + 0.1 * ((Guid.NewGuid().GetHashCode() & int.MaxValue) / (double)int.MaxValue))))", source, StringComparison.Ordinal);
        Assert.Contains("TimeSpan.FromSeconds(300 * (1 + 0.1 * ((Guid.NewGuid().GetHashCode() & int.MaxValue) / (double)int.MaxValue)))", source, StringComparison.Ordinal);
        // CG0002 and CG0006: a plain delete after the last database write.
        AssertInOrder(source, "await _posts.UpdateAsync(post);\n        await _db.KeyDeleteAsync(\"post:\" + post.Id);", 2);
        Assert.Contains("LockReleaseAsync(\"lock:sitemap\", lockToken)", source, StringComparison.Ordinal);
        var assets = _run.AssetsFile("NetStandardLib");
        Assert.DoesNotContain("\"CacheGuard/", assets, StringComparison.Ordinal);
    }

    [Fact]
    public void Net8_MemoryCacheOnly_AnalyzersOnly_PullsNoRedis_AndBuilds()
    {
        var assets = _run.AssetsFile("Net8MemoryCache");
        Assert.Contains("\"Microsoft.Extensions.Caching.Memory/8.0.1\"", assets, StringComparison.Ordinal);
        Assert.Contains("\"CacheGuard.Analyzers/", assets, StringComparison.Ordinal);
        Assert.DoesNotContain("StackExchange.Redis", assets, StringComparison.Ordinal);
        Assert.DoesNotContain("\"CacheGuard/", assets, StringComparison.Ordinal);
        Assert.DoesNotContain("Microsoft.Extensions.Caching.Abstractions/10.", assets, StringComparison.Ordinal);

        // CG0004 on GetOrCreate: its single-flight fix needs the runtime.
        AssertFormattedAndBuilt("Net8MemoryCache", remaining: new[] { "CG0004" });
        var source = _run.Source("Net8MemoryCache", "PriceCache.cs");
        Assert.Contains("Random.Shared.NextDouble()", source, StringComparison.Ordinal);
    }

    [Fact]
    public void Net10_Redis34_CacheGuard_JittersExpirations_AndBuilds()
    {
        AssertFormattedAndBuilt("Net10Redis34", remaining: Array.Empty<string>());
        Assert.Contains("new Expiration(CacheTtl.Jitter(TimeSpan.FromMinutes(10)))", _run.Source("Net10Redis34", "Redis3Expiration.cs"), StringComparison.Ordinal);
        Assert.Contains("CacheTtl.Jitter(CloudTtl)", _run.Source("Net10Redis34", "RedisHoles.cs"), StringComparison.Ordinal);
        Assert.Contains("\"StackExchange.Redis/3.4.35\"", _run.AssetsFile("Net10Redis34"), StringComparison.Ordinal);
    }

    private void AssertFormattedAndBuilt(string project, string[] remaining)
    {
        Assert.True(_run.Before.ExitCode == 0, _run.Before.Output);
        Assert.True(_run.Format.ExitCode == 0, _run.Format.Output);
        Assert.True(_run.After.ExitCode == 0, _run.After.Output);
        var left = _run.DiagnosticsIn(_run.After, project).Select(d => d.Split(':')[2]).Distinct().OrderBy(d => d).ToArray();
        Assert.Equal(remaining, left);
    }

    private static void AssertInOrder(string source, string expected, int times)
    {
        var normalized = source.Replace("\r\n", "\n", StringComparison.Ordinal);
        var count = 0;
        for (var i = normalized.IndexOf(expected, StringComparison.Ordinal); i >= 0; i = normalized.IndexOf(expected, i + 1, StringComparison.Ordinal))
            count++;
        Assert.True(count == times, $"expected {times} x\n{expected}\nin\n{source}");
    }
}
