using System.Collections.Immutable;
using Microsoft.CodeAnalysis;
using Microsoft.CodeAnalysis.CodeFixes;
using Microsoft.CodeAnalysis.CSharp;
using Microsoft.CodeAnalysis.CSharp.Testing;
using Microsoft.CodeAnalysis.Diagnostics;
using Microsoft.CodeAnalysis.Testing;

namespace CacheGuard.Analyzers.Tests.Verifiers;

/// <summary>
/// Analyzer and code-fix verification over .NET 10 reference assemblies plus the libraries caching
/// code uses (StackExchange.Redis, Microsoft.Extensions.Caching.*, EF Core, Dapper) and
/// CacheGuard.Runtime, so every fix's output must really compile. Offline: no package download.
/// </summary>
public static class CSharpVerifier<TAnalyzer, TCodeFix>
    where TAnalyzer : DiagnosticAnalyzer, new()
    where TCodeFix : CodeFixProvider, new()
{
    public static DiagnosticResult Diagnostic(string id) => CSharpCodeFixVerifier<TAnalyzer, TCodeFix, DefaultVerifier>.Diagnostic(id);

    /// <summary>Verifies the diagnostics in <paramref name="source"/> (markup <c>{|CG0001:...|}</c>) and nothing else.</summary>
    public static Task VerifyAnalyzerAsync(string source, LanguageVersion languageVersion = LanguageVersion.Latest, string? editorConfig = null)
    {
        var test = new Test(languageVersion) { TestCode = source };
        test.AddEditorConfig(editorConfig);
        return test.RunAsync();
    }

    /// <summary>Verifies the diagnostics, then that the fix (and Fix All) turns <paramref name="source"/> into <paramref name="fixedSource"/>.</summary>
    /// <param name="equivalenceKey">Only the code actions with this equivalence key count (source == fixedSource: none of them is offered).</param>
    public static Task VerifyCodeFixAsync(string source, string fixedSource, LanguageVersion languageVersion = LanguageVersion.Latest, string? editorConfig = null, int? iterations = null, string? equivalenceKey = null)
    {
        var test = new Test(languageVersion) { TestCode = source, FixedCode = fixedSource, CodeActionEquivalenceKey = equivalenceKey };
        test.AddEditorConfig(editorConfig);
        if (iterations is { } n)
        {
            test.NumberOfIncrementalIterations = n;
            test.NumberOfFixAllIterations = n;
        }
        return test.RunAsync();
    }

    /// <summary>As <see cref="VerifyCodeFixAsync"/>, in a project that does not reference CacheGuard.Runtime.</summary>
    public static Task VerifyCodeFixWithoutRuntimeAsync(string source, string fixedSource, LanguageVersion languageVersion = LanguageVersion.Latest, string? editorConfig = null)
    {
        var test = new Test(languageVersion, withRuntime: false) { TestCode = source, FixedCode = fixedSource };
        test.AddEditorConfig(editorConfig);
        return test.RunAsync();
    }

    public sealed class Test : CSharpCodeFixTest<TAnalyzer, TCodeFix, DefaultVerifier>
    {
        private readonly LanguageVersion _languageVersion;

        public Test(LanguageVersion languageVersion = LanguageVersion.Latest, bool withRuntime = true)
        {
            _languageVersion = languageVersion;
            ReferenceAssemblies = new ReferenceAssemblies("net10.0-basic");
            TestState.AdditionalReferences.AddRange(withRuntime ? References.All : References.WithoutRuntime);
        }

        public void AddEditorConfig(string? editorConfig)
        {
            if (editorConfig is null)
                return;
            TestState.AnalyzerConfigFiles.Add(("/.editorconfig", "root = true\n\n[*.cs]\n" + editorConfig));
        }

        protected override ParseOptions CreateParseOptions() =>
            ((CSharpParseOptions)base.CreateParseOptions()).WithLanguageVersion(_languageVersion);

        protected override CompilationOptions CreateCompilationOptions() =>
            ((CSharpCompilationOptions)base.CreateCompilationOptions())
                .WithNullableContextOptions(NullableContextOptions.Enable)
                .WithSpecificDiagnosticOptions(new Dictionary<string, ReportDiagnostic>
                {
                    // Test sources are small samples: unused fields and the like are not the point.
                    ["CS1701"] = ReportDiagnostic.Suppress,
                    ["CS1702"] = ReportDiagnostic.Suppress,
                });
    }
}

/// <summary>The metadata references every test compilation gets.</summary>
public static class References
{
    public static readonly ImmutableArray<MetadataReference> All = Build();

    /// <summary>Everything but CacheGuard.Runtime: a project with only the CacheGuard.Analyzers package.</summary>
    public static readonly ImmutableArray<MetadataReference> WithoutRuntime = All
        .Where(r => !string.Equals(Path.GetFileNameWithoutExtension(r.Display), "CacheGuard.Runtime", StringComparison.OrdinalIgnoreCase))
        .ToImmutableArray();

    private static ImmutableArray<MetadataReference> Build()
    {
        var builder = ImmutableArray.CreateBuilder<MetadataReference>();
        builder.AddRange(Basic.Reference.Assemblies.Net100.References.All);
        var seen = new HashSet<string>(Basic.Reference.Assemblies.Net100.References.All.Select(r => Path.GetFileNameWithoutExtension(r.FilePath!)), StringComparer.OrdinalIgnoreCase);
        foreach (var type in new[]
        {
            typeof(StackExchange.Redis.IDatabase),
            typeof(Microsoft.Extensions.Caching.Distributed.IDistributedCache),
            typeof(Microsoft.Extensions.Caching.Memory.MemoryCache),
            typeof(Microsoft.Extensions.Primitives.IChangeToken), // IMemoryCache.Set(key, value, TimeSpan) binds through it
            typeof(Microsoft.Extensions.Caching.Hybrid.HybridCache),
            typeof(Microsoft.Extensions.Caching.Hybrid.HybridCacheOptions), // AddHybridCache(o => ...) and its options
            typeof(Microsoft.Extensions.Primitives.IChangeToken), // IMemoryCache.Set's overloads mention it
            typeof(Microsoft.EntityFrameworkCore.DbContext),
            typeof(Microsoft.Extensions.DependencyInjection.IServiceCollection),
            typeof(Microsoft.Extensions.Logging.ILogger),
            typeof(Microsoft.Extensions.Options.IOptions<>),
            typeof(Dapper.SqlMapper),
            typeof(CacheGuard.CacheTtl),
        })
        {
            var path = type.Assembly.Location;
            if (seen.Add(Path.GetFileNameWithoutExtension(path)))
                builder.Add(MetadataReference.CreateFromFile(path));
        }
        return builder.ToImmutable();
    }
}
