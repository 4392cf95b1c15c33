using System.Text.RegularExpressions;
using System.Xml.Linq;
using CacheGuard.EndToEnd.Tests.Infrastructure;

namespace CacheGuard.EndToEnd.Tests;

/// <summary>
/// The path a user takes: install the one package, see the warning in the build, apply the fix
/// with <c>dotnet format</c>, fail the build when the rule is an error.
/// </summary>
[Collection(PackageCollection.Name)]
public sealed class UserPathTests
{
    private readonly PackageFixture _package;

    public UserPathTests(PackageFixture package) => _package = package;

    [Fact]
    public void Package_HasTheLayoutTheCompilerAndNuGetExpect()
    {
        using var zip = _package.OpenPackage();
        var entries = zip.Entries.Select(e => e.FullName.Replace('\\', '/')).ToList();

        var analyzers = entries.Where(e => e.StartsWith("analyzers/", StringComparison.Ordinal)).OrderBy(e => e).ToList();
        Assert.Equal(new[] { "analyzers/dotnet/cs/CacheGuard.Analyzers.dll", "analyzers/dotnet/cs/CacheGuard.CodeFixes.dll" }, analyzers);

        Assert.Contains("lib/net8.0/CacheGuard.Runtime.dll", entries);
        Assert.Contains("lib/net10.0/CacheGuard.Runtime.dll", entries);
        Assert.DoesNotContain(entries, e => e.StartsWith("lib/", StringComparison.Ordinal) && e.Contains("Analyzers", StringComparison.Ordinal));
        Assert.Contains("buildTransitive/CacheGuard.props", entries);
        Assert.Contains("README.md", entries);

        var nuspecEntry = zip.Entries.Single(e => e.FullName.EndsWith(".nuspec", StringComparison.Ordinal));
        using var stream = nuspecEntry.Open();
        var metadata = XDocument.Load(stream).Root!.Elements().Single(e => e.Name.LocalName == "metadata");
        string Meta(string name) => metadata.Elements().Single(e => e.Name.LocalName == name).Value;
        Assert.Equal("CacheGuard", Meta("id"));
        Assert.Equal("MIT", Meta("license"));
        Assert.Equal("README.md", Meta("readme"));
        Assert.Contains("redis", Meta("tags"), StringComparison.Ordinal);
        Assert.Contains("analyzers", Meta("tags"), StringComparison.Ordinal);
        Assert.False(string.IsNullOrWhiteSpace(Meta("description")));
        Assert.NotNull(metadata.Elements().SingleOrDefault(e => e.Name.LocalName == "repository")?.Attribute("url"));
        // The analyzers are not a runtime dependency of anything.
        Assert.DoesNotContain("CacheGuard.Analyzers", metadata.ToString(), StringComparison.Ordinal);
    }

    [Fact]
    public void Build_ReportsCG0001_AtTheExpectedFileAndLine()
    {
        var sample = _package.CopySample();
        var build = sample.Build();

        Assert.True(build.ExitCode == 0, build.Output);
        var line = sample.LineOf("TagCloudCache.cs", "// CG0001");
        Assert.Matches(new Regex($@"TagCloudCache\.cs\({line},\d+\): warning CG0001: .*the TTL 'CloudTtl' is the same for every entry written together"), build.Output);
        Assert.Contains("docs/rules/CG0001.md", build.Output, StringComparison.Ordinal);
    }

    [Fact]
    public void EditorConfigError_FailsTheBuild()
    {
        var sample = _package.CopySample();
        sample.WriteEditorConfig("dotnet_diagnostic.CG0001.severity = error");

        var build = sample.Build();

        Assert.NotEqual(0, build.ExitCode);
        Assert.Matches(new Regex(@"TagCloudCache\.cs\(\d+,\d+\): error CG0001"), build.Output);
    }

    [Fact]
    public void WarnAsError_FailsTheBuild()
    {
        var sample = _package.CopySample();

        var build = sample.Build("-warnaserror");

        Assert.NotEqual(0, build.ExitCode);
        Assert.Matches(new Regex(@"error CG0001"), build.Output);
    }

    [Fact]
    public void DotnetFormat_AppliesTheFix_AndTheSampleBuildsClean()
    {
        var sample = _package.CopySample();

        var format = sample.Format("--diagnostics CG0001 --severity warn");
        Assert.True(format.ExitCode == 0, format.Output);

        Assert.Contains("CacheTtl.Jitter(CloudTtl)", sample.ReadSource("TagCloudCache.cs"), StringComparison.Ordinal);
        Assert.Contains("using CacheGuard;", sample.ReadSource("TagCloudCache.cs"), StringComparison.Ordinal);

        var build = sample.Build();
        Assert.True(build.ExitCode == 0, build.Output);
        Assert.DoesNotContain("CG0001", build.Output, StringComparison.Ordinal);
        Assert.DoesNotMatch(new Regex(@": error "), build.Output);
    }
}

[CollectionDefinition(Name)]
public sealed class PackageCollection : ICollectionFixture<PackageFixture>
{
    public const string Name = "CacheGuard package";
}
