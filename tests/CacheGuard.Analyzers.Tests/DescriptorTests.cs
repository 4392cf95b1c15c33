using System.Reflection;
using Microsoft.CodeAnalysis;
using Microsoft.CodeAnalysis.CodeFixes;
using Microsoft.CodeAnalysis.Diagnostics;

namespace CacheGuard.Analyzers.Tests;

/// <summary>The public contract: every rule has an ID from RULES.md, a help page that exists, and a release entry.</summary>
public class DescriptorTests
{
    private static readonly string RepoRoot = FindRepoRoot();

    public static IEnumerable<object[]> AllDescriptors() =>
        typeof(Descriptors).GetFields(BindingFlags.Public | BindingFlags.Static)
            .Where(f => f.FieldType == typeof(DiagnosticDescriptor))
            .Select(f => new object[] { ((DiagnosticDescriptor)f.GetValue(null)!).Id });

    private static DiagnosticDescriptor Descriptor(string id) =>
        typeof(Descriptors).GetFields(BindingFlags.Public | BindingFlags.Static)
            .Select(f => f.GetValue(null))
            .OfType<DiagnosticDescriptor>()
            .Single(d => d.Id == id);

    [Fact]
    public void EveryRuleOfTheCatalogue_HasADescriptor()
    {
        var ids = AllDescriptors().Select(a => (string)a[0]).OrderBy(i => i).ToArray();
        Assert.Equal(new[] { "CG0001", "CG0002", "CG0003", "CG0004", "CG0005", "CG0006", "CG0007", "CG0008" }, ids);
    }

    [Theory]
    [MemberData(nameof(AllDescriptors))]
    public void HelpLink_NamesAnExistingPage_WithEverySection(string id)
    {
        var descriptor = Descriptor(id);
        Assert.Equal(Descriptors.HelpLinkBase + id + ".md", descriptor.HelpLinkUri);

        var page = Path.Combine(RepoRoot, "docs", "rules", id + ".md");
        Assert.True(File.Exists(page), $"{page} is missing");
        var text = File.ReadAllText(page);
        Assert.StartsWith("# " + id + ":", text, StringComparison.Ordinal);
        foreach (var section in new[] { "## Cause", "## Rule description", "## How to fix", "## When to suppress", "## Configuration", "## Examples" })
            Assert.Contains(section, text, StringComparison.Ordinal);
    }

    [Theory]
    [MemberData(nameof(AllDescriptors))]
    public void Descriptor_IsAWarningEnabledByDefault_InACacheGuardCategory(string id)
    {
        var descriptor = Descriptor(id);
        Assert.Equal(DiagnosticSeverity.Warning, descriptor.DefaultSeverity);
        Assert.True(descriptor.IsEnabledByDefault);
        Assert.StartsWith("CacheGuard.", descriptor.Category, StringComparison.Ordinal);
        Assert.False(string.IsNullOrWhiteSpace(descriptor.Title.ToString()));
        Assert.False(string.IsNullOrWhiteSpace(descriptor.Description.ToString()));
    }

    [Fact]
    public void EveryAnalyzer_ReportsOnlyCatalogueDescriptors_AndEveryFixHasAnAnalyzer()
    {
        var analyzers = typeof(Descriptors).Assembly.GetTypes()
            .Where(t => !t.IsAbstract && typeof(DiagnosticAnalyzer).IsAssignableFrom(t))
            .Select(t => (DiagnosticAnalyzer)Activator.CreateInstance(t)!)
            .ToList();
        Assert.NotEmpty(analyzers);
        var reported = analyzers.SelectMany(a => a.SupportedDiagnostics).Select(d => d.Id).ToHashSet();
        Assert.All(reported, id => Assert.Matches("^CG000[1-8]$", id));

        var fixes = typeof(CodeFixes.FixedTtlCodeFix).Assembly.GetTypes()
            .Where(t => !t.IsAbstract && typeof(CodeFixProvider).IsAssignableFrom(t))
            .Select(t => (CodeFixProvider)Activator.CreateInstance(t)!)
            .ToList();
        Assert.NotEmpty(fixes);
        Assert.All(fixes.SelectMany(f => f.FixableDiagnosticIds), id => Assert.Contains(id, reported));
    }

    [Fact]
    public void ReleaseTracking_ListsEveryRule()
    {
        var unshipped = File.ReadAllText(Path.Combine(RepoRoot, "src", "CacheGuard.Analyzers", "AnalyzerReleases.Unshipped.md"));
        foreach (var id in AllDescriptors().Select(a => (string)a[0]))
            Assert.Contains(id + " |", unshipped, StringComparison.Ordinal);
    }

    private static string FindRepoRoot()
    {
        for (var dir = new DirectoryInfo(AppContext.BaseDirectory); dir is not null; dir = dir.Parent)
        {
            if (File.Exists(Path.Combine(dir.FullName, "CacheGuard.Analyzers.sln")))
                return dir.FullName;
        }
        throw new InvalidOperationException("repository root not found");
    }
}
