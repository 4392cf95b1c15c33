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
    public void RuntimePackage_HasLibOnly_AndDependsOnTheAnalyzersPackage_AtTheFloors()
    {
        using var zip = _package.OpenPackage();
        var entries = zip.Entries.Select(e => e.FullName.Replace('\\', '/')).ToList();

        Assert.DoesNotContain(entries, e => e.StartsWith("analyzers/", StringComparison.Ordinal));
        Assert.DoesNotContain(entries, e => e.StartsWith("build", StringComparison.Ordinal));
        Assert.Contains("lib/net8.0/CacheGuard.Runtime.dll", entries);
        Assert.Contains("lib/net10.0/CacheGuard.Runtime.dll", entries);
        Assert.DoesNotContain(entries, e => e.StartsWith("lib/", StringComparison.Ordinal) && e.Contains("Analyzers", StringComparison.Ordinal));
        Assert.Contains("README.md", entries);

        var metadata = Metadata(zip);
        Assert.Equal("CacheGuard", Meta(metadata, "id"));
        Assert.Equal("MIT", Meta(metadata, "license"));
        Assert.Equal("README.md", Meta(metadata, "readme"));
        Assert.Contains("redis", Meta(metadata, "tags"), StringComparison.Ordinal);
        Assert.False(string.IsNullOrWhiteSpace(Meta(metadata, "description")));
        Assert.NotNull(metadata.Elements().SingleOrDefault(e => e.Name.LocalName == "repository")?.Attribute("url"));

        // Per target framework: the analyzers package (every asset, so its analyzers and props reach
        // the consumer), StackExchange.Redis from the 2.7 floor, Microsoft.Extensions 8.0 / 10.0.
        var groups = metadata.Descendants().Where(e => e.Name.LocalName == "group").ToDictionary(g => (string)g.Attribute("targetFramework")!);
        Assert.Equal(new[] { "net10.0", "net8.0" }, groups.Keys.OrderBy(k => k, StringComparer.Ordinal));
        var common = new[] { "CacheGuard.Analyzers", "Microsoft.Extensions.Caching.Abstractions", "Microsoft.Extensions.DependencyInjection.Abstractions", "Microsoft.Extensions.Hosting.Abstractions", "Microsoft.Extensions.Logging.Abstractions", "Microsoft.Extensions.Options", "StackExchange.Redis" };
        foreach (var (framework, extensionsMajor, ids) in new[]
        {
            ("net8.0", "8.", common),
            ("net10.0", "10.", common),
        })
        {
            var dependencies = groups[framework].Elements().ToDictionary(d => (string)d.Attribute("id")!);
            Assert.Equal(_package.Version, (string)dependencies["CacheGuard.Analyzers"].Attribute("version")!);
            Assert.Null(dependencies["CacheGuard.Analyzers"].Attribute("exclude"));
            Assert.Equal("2.7.27", (string)dependencies["StackExchange.Redis"].Attribute("version")!);
            foreach (var id in dependencies.Keys.Where(k => k.StartsWith("Microsoft.Extensions.", StringComparison.Ordinal)))
                Assert.StartsWith(extensionsMajor, (string)dependencies[id].Attribute("version")!, StringComparison.Ordinal);
            Assert.Equal(ids.OrderBy(k => k, StringComparer.Ordinal), dependencies.Keys.OrderBy(k => k, StringComparer.Ordinal));
        }
    }

    [Fact]
    public void AnalyzersPackage_IsADevelopmentDependency_WithNoDependencies_AndTheAnalyzersUnderAnalyzers()
    {
        using var zip = _package.OpenAnalyzersPackage();
        var entries = zip.Entries.Select(e => e.FullName.Replace('\\', '/')).ToList();

        var analyzers = entries.Where(e => e.StartsWith("analyzers/", StringComparison.Ordinal)).OrderBy(e => e).ToList();
        Assert.Equal(new[] { "analyzers/dotnet/cs/CacheGuard.Analyzers.dll", "analyzers/dotnet/cs/CacheGuard.CodeFixes.dll" }, analyzers);
        Assert.DoesNotContain(entries, e => e.StartsWith("lib/", StringComparison.Ordinal) || e.StartsWith("ref/", StringComparison.Ordinal));
        Assert.Contains("buildTransitive/CacheGuard.Analyzers.props", entries);
        Assert.Contains("build/CacheGuard.Analyzers.props", entries);
        Assert.Contains("buildTransitive/CacheGuard.Strict.globalconfig", entries);
        Assert.Contains("buildTransitive/CacheGuard.None.globalconfig", entries);
        Assert.Contains("README.md", entries);

        var metadata = Metadata(zip);
        Assert.Equal("CacheGuard.Analyzers", Meta(metadata, "id"));
        Assert.Equal("true", Meta(metadata, "developmentDependency"));
        Assert.Equal("MIT", Meta(metadata, "license"));
        Assert.Contains("analyzers", Meta(metadata, "tags"), StringComparison.Ordinal);
        Assert.DoesNotContain(metadata.Descendants(), e => e.Name.LocalName == "dependency");
    }

    private static XElement Metadata(System.IO.Compression.ZipArchive zip)
    {
        var nuspecEntry = zip.Entries.Single(e => e.FullName.EndsWith(".nuspec", StringComparison.Ordinal));
        using var stream = nuspecEntry.Open();
        return XDocument.Load(stream).Root!.Elements().Single(e => e.Name.LocalName == "metadata");
    }

    private static string Meta(XElement metadata, string name) => metadata.Elements().Single(e => e.Name.LocalName == name).Value;

    [Fact]
    public void Build_ReportsCG0001_AtTheExpectedFileAndLine()
    {
        var sample = _package.CopySample();
        var build = sample.Build();

        Assert.True(build.ExitCode == 0, build.Output);
        var line = sample.LineOf("TagCloudCache.cs", "// CG0001");
        Assert.Matches(new Regex($@"TagCloudCache\.cs\({line},\d+\): warning CG0001: .*the TTL 'CloudTtl' is a static field, so entries written together expire together"), build.Output);
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
