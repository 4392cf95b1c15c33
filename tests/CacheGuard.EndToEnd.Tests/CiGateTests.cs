using System.Text.Json;
using System.Text.RegularExpressions;
using CacheGuard.EndToEnd.Tests.Infrastructure;

namespace CacheGuard.EndToEnd.Tests;

/// <summary>
/// CacheGuard in CI: the <c>CacheGuardMode</c> switch shipped in the package, SARIF output for code
/// scanning, and <c>dotnet format --verify-no-changes</c> as a gate.
/// </summary>
[Collection(PackageCollection.Name)]
public sealed class CiGateTests
{
    private static readonly Regex AnyCacheGuardError = new(@": error CG000\d", RegexOptions.Compiled);
    private static readonly Regex AnyCacheGuardDiagnostic = new(@": (warning|error) CG000\d", RegexOptions.Compiled);

    private readonly PackageFixture _package;

    public CiGateTests(PackageFixture package) => _package = package;

    [Fact]
    public void StrictMode_MakesEveryCacheGuardRuleAnError()
    {
        var sample = _package.CopySample();

        var build = sample.Build("-p:CacheGuardMode=Strict");

        Assert.NotEqual(0, build.ExitCode);
        Assert.Matches(AnyCacheGuardError, build.Output);
        Assert.DoesNotMatch(new Regex(@": warning CG000\d"), build.Output);
    }

    [Fact]
    public void StrictMode_LosesToTheProjectsOwnEditorConfig()
    {
        var sample = _package.CopySample();
        sample.WriteEditorConfig(string.Join('\n', Enumerable.Range(1, 8).Select(i => $"dotnet_diagnostic.CG000{i}.severity = warning")));

        var build = sample.Build("-p:CacheGuardMode=Strict");

        Assert.True(build.ExitCode == 0, build.Output);
        Assert.DoesNotMatch(AnyCacheGuardError, build.Output);
        Assert.Matches(new Regex(@": warning CG0001"), build.Output);
    }

    [Fact]
    public void NoneMode_TurnsEveryRuleOff()
    {
        var sample = _package.CopySample();

        var build = sample.Build("-p:CacheGuardMode=None");

        Assert.True(build.ExitCode == 0, build.Output);
        Assert.DoesNotMatch(AnyCacheGuardDiagnostic, build.Output);
    }

    [Fact]
    public void Sarif_ContainsTheRulesWithTheirHelpLinks()
    {
        var sample = _package.CopySample();
        var sarif = Path.Combine(sample.Root, "cacheguard.sarif");

        var build = sample.Build($"\"-p:ErrorLog={sarif}%2Cversion=2.1\"");

        Assert.True(build.ExitCode == 0, build.Output);
        using var document = JsonDocument.Parse(File.ReadAllText(sarif));
        var run = document.RootElement.GetProperty("runs")[0];
        var rules = run.GetProperty("tool").GetProperty("driver").GetProperty("rules").EnumerateArray()
            .Where(r => r.GetProperty("id").GetString()!.StartsWith("CG", StringComparison.Ordinal))
            .ToDictionary(r => r.GetProperty("id").GetString()!);
        Assert.True(rules.ContainsKey("CG0001"), "CG0001 missing from the SARIF rules");
        foreach (var (id, rule) in rules)
            Assert.Equal($"https://github.com/cacheguard/cacheguard/blob/main/docs/rules/{id}.md", rule.GetProperty("helpUri").GetString());
        var results = run.GetProperty("results").EnumerateArray().Select(r => r.GetProperty("ruleId").GetString()).ToList();
        Assert.Contains("CG0001", results);
    }

    [Fact]
    public void VerifyNoChanges_FailsWhileAFixIsPending_AndPassesOnceApplied()
    {
        var sample = _package.CopySample();

        var before = sample.Format("--diagnostics CG0001 --severity warn --verify-no-changes");
        Assert.NotEqual(0, before.ExitCode);

        var apply = sample.Format("--diagnostics CG0001 --severity warn");
        Assert.True(apply.ExitCode == 0, apply.Output);

        var after = sample.Format("--diagnostics CG0001 --severity warn --verify-no-changes");
        Assert.True(after.ExitCode == 0, after.Output);
    }

    [Fact]
    public void DotnetFormat_AppliesEveryRulesFix_InOneRun_AndTheSampleBuildsClean()
    {
        var sample = _package.CopySample();
        var before = sample.Build();
        Assert.True(before.ExitCode == 0, before.Output);
        var rulesBefore = AnyCacheGuardDiagnostic.Matches(before.Output).Select(m => m.Value).Distinct().Count();
        Assert.True(rulesBefore > 1, before.Output);

        var format = sample.Format("--diagnostics CG0001 CG0002 CG0003 CG0004 CG0005 CG0006 CG0007 CG0008 --severity warn");
        Assert.True(format.ExitCode == 0, format.Output);

        var after = sample.Build();
        Assert.True(after.ExitCode == 0, after.Output);
        Assert.DoesNotMatch(AnyCacheGuardDiagnostic, after.Output);
    }
}
