using CacheGuard.Analyzers.Tests.Infrastructure;

namespace CacheGuard.Analyzers.Tests;

/// <summary>
/// The valid-code corpus (<c>ValidCode/*.cs</c>): caching code written as a careful engineer would.
/// Every CacheGuard analyzer (found by reflection, so rules merged later are covered too) must
/// stay silent on it and must not throw. A diagnostic here is a false positive.
/// </summary>
public class ValidCodeTests
{
    private static readonly string Folder = Repository.PathOf("tests", "CacheGuard.Analyzers.Tests", "ValidCode");

    public static IEnumerable<object[]> Files() =>
        Directory.GetFiles(Folder, "*.cs")
            .Select(Path.GetFileName)
            .Where(name => !name!.StartsWith('_'))
            .OrderBy(name => name, StringComparer.Ordinal)
            .Select(name => new object[] { name! });

    private static IEnumerable<(string Path, string Text)> Shared() =>
        Directory.GetFiles(Folder, "_*.cs").OrderBy(p => p, StringComparer.Ordinal).Select(p => (p, File.ReadAllText(p)));

    [Fact]
    public void Harness_FindsTheAnalyzersAndFixes()
    {
        Assert.Contains(AnalyzerHarness.Analyzers, a => a.SupportedDiagnostics.Any(d => d.Id == "CG0001"));
        Assert.Contains(AnalyzerHarness.Fixes, f => f.FixableDiagnosticIds.Contains("CG0001"));
        Assert.All(AnalyzerHarness.Analyzers, a => Assert.All(a.SupportedDiagnostics, d => Assert.StartsWith("CG", d.Id)));
        Assert.True(Files().Count() >= 10, "the corpus went missing");
    }

    /// <summary>The harness reports what it should: a fixed TTL in the same setting is flagged.</summary>
    [Fact]
    public async Task Harness_ReportsAFixedTtl()
    {
        const string bad = """
            using StackExchange.Redis;
            namespace ValidCode.Control;
            public sealed class Writer(IDatabase db)
            {
                public Task<bool> WriteAsync(Product p) => db.StringSetAsync($"product:{p.Id}", p.Name, TimeSpan.FromMinutes(5), When.Always);
            }
            """;
        var project = AnalyzerHarness.CreateProject(Shared().Append(("/valid/Control.cs", bad)));
        Assert.Empty(await AnalyzerHarness.CompileErrorsAsync(project));
        var result = await AnalyzerHarness.AnalyzeAsync(project);
        Assert.Empty(result.Exceptions);
        Assert.Contains(result.Diagnostics, d => d.Id == "CG0001");
    }

    [Theory]
    [MemberData(nameof(Files))]
    public async Task File_Compiles_AndRaisesNoCacheGuardDiagnostic(string file)
    {
        var path = Path.Combine(Folder, file);
        var project = AnalyzerHarness.CreateProject(Shared().Append((path, File.ReadAllText(path))));

        var errors = await AnalyzerHarness.CompileErrorsAsync(project);
        Assert.True(errors.IsEmpty, "the corpus must compile:\n" + string.Join("\n", errors));

        var result = await AnalyzerHarness.AnalyzeAsync(project);
        Assert.True(result.Exceptions.IsEmpty, "analyzer exceptions:\n" + string.Join("\n", result.Exceptions));
        Assert.True(result.Diagnostics.IsEmpty, "false positives on correct code:\n" + string.Join("\n", result.Diagnostics.Select(Format)));
    }

    /// <summary>All of the corpus in one compilation: rules that correlate across classes (CG0003) see it all.</summary>
    [Fact]
    public async Task WholeCorpus_InOneCompilation_RaisesNoCacheGuardDiagnostic()
    {
        var files = Directory.GetFiles(Folder, "*.cs").OrderBy(p => p, StringComparer.Ordinal).Select(p => (p, File.ReadAllText(p)));
        var project = AnalyzerHarness.CreateProject(files);

        var errors = await AnalyzerHarness.CompileErrorsAsync(project);
        Assert.True(errors.IsEmpty, "the corpus must compile:\n" + string.Join("\n", errors));

        var result = await AnalyzerHarness.AnalyzeAsync(project);
        Assert.True(result.Exceptions.IsEmpty, "analyzer exceptions:\n" + string.Join("\n", result.Exceptions));
        Assert.True(result.Diagnostics.IsEmpty, "false positives on correct code:\n" + string.Join("\n", result.Diagnostics.Select(Format)));
    }

    private static string Format(Microsoft.CodeAnalysis.Diagnostic d) => $"{AnalyzerHarness.Describe(d)}: {d.GetMessage()}";
}
