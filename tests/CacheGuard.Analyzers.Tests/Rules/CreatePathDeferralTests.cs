using Microsoft.CodeAnalysis.CSharp;
using Microsoft.CodeAnalysis.Testing;
using Verify = CacheGuard.Analyzers.Tests.Verifiers.CSharpVerifier<CacheGuard.Analyzers.Rules.CreatePathMissingInvalidationAnalyzer, CacheGuard.CodeFixes.CreatePathMissingInvalidationCodeFix>;

namespace CacheGuard.Analyzers.Tests.Rules;

/// <summary>
/// CG0003's part of a body (a create path, a clear, a call to a create path) is judged at the compilation's end,
/// and only when some body of a file it runs on writes a negative entry. Each case puts the negative write where
/// that end must find it (or must not count it), with the create path in a type that calls no cache member.
/// </summary>
public class CreatePathDeferralTests
{
    private const string Domain = """
        using System.Threading.Tasks;

        namespace App
        {
            public class Author { public int Id { get; set; } public string Handle { get; set; } = ""; }
            public interface IAuthorStore
            {
                Task<Author?> ByHandleAsync(string handle);
                Task CreateAsync(Author author);
            }
        }
        """;

    /// <summary>The create path, in a type that calls no cache member; <paramref name="flagged"/>: CG0003 is expected on it.</summary>
    private static string Create(bool flagged) => $$"""
        using System.Threading.Tasks;
        using StackExchange.Redis;

        namespace App.Commands
        {
            public class AuthorCommands
            {
                private readonly IDatabase _cache;
                private readonly IAuthorStore _store;
                public AuthorCommands(IDatabase cache, IAuthorStore store) { _cache = cache; _store = store; }

                public async Task {{(flagged ? "{|CG0003:CreateAsync|}" : "CreateAsync")}}(Author author)
                {
                    await _store.CreateAsync(author);
                }
            }
        }
        """;

    /// <summary>The lookup class around <paramref name="body"/>, a method that caches "not found" for a handle.</summary>
    private static string Lookup(string body) => """
        using System;
        using System.Threading.Tasks;
        using StackExchange.Redis;

        namespace App.Queries
        {
            public class AuthorQueries
            {
                private const string Missing = "<missing>";
                private readonly IDatabase _cache;
                private readonly IAuthorStore _store;
                public AuthorQueries(IDatabase cache, IAuthorStore store) { _cache = cache; _store = store; }

        """ + body + """

            }
        }
        """;

    private const string NegativeInLocalFunction = """
                public async Task<string?> HandleAsync(string handle)
                {
                    var v = await _cache.StringGetAsync("author:" + handle);
                    if (v == Missing) return null;
                    if (v.HasValue) return v.ToString();
                    var a = await _store.ByHandleAsync(handle);
                    if (a is null)
                    {
                        await RememberMissing();
                        return null;
                    }
                    await _cache.StringSetAsync("author:" + handle, a.Handle, TimeSpan.FromMinutes(30));
                    return a.Handle;

                    Task<bool> RememberMissing() => _cache.StringSetAsync("author:" + handle, Missing, TimeSpan.FromSeconds(10));
                }
        """;

    private const string NegativeInMethod = """
                public async Task<string?> HandleAsync(string handle)
                {
                    var v = await _cache.StringGetAsync("author:" + handle);
                    if (v == Missing) return null;
                    if (v.HasValue) return v.ToString();
                    var a = await _store.ByHandleAsync(handle);
                    if (a is null)
                    {
                        await _cache.StringSetAsync("author:" + handle, Missing, TimeSpan.FromSeconds(10));
                        return null;
                    }
                    await _cache.StringSetAsync("author:" + handle, a.Handle, TimeSpan.FromMinutes(30));
                    return a.Handle;
                }
        """;

    public static TheoryData<LanguageVersion> Versions => new() { LanguageVersion.Latest, LanguageVersion.CSharp9 };

    [Theory]
    [MemberData(nameof(Versions))]
    public Task NegativeWrite_InAMethod_OfAnotherFile_MakesTheCreatePathFlagged(LanguageVersion version) =>
        Run(version, flagged: true, "/0/AuthorQueries.cs", NegativeInMethod);

    [Theory]
    [MemberData(nameof(Versions))]
    public Task NegativeWrite_InALocalFunction_MakesTheCreatePathFlagged(LanguageVersion version) =>
        Run(version, flagged: true, "/0/AuthorQueries.cs", NegativeInLocalFunction);

    [Theory]
    [MemberData(nameof(Versions))]
    public Task NegativeWrite_InAFileCG0003IsOffFor_DoesNotMakeTheCreatePathFlagged(LanguageVersion version) =>
        Run(version, flagged: false, "/0/Queries/AuthorQueries.cs", NegativeInMethod,
            "root = true\n\n[/0/Queries/*.cs]\ndotnet_diagnostic.CG0003.severity = none\n");

    [Theory]
    [MemberData(nameof(Versions))]
    public Task NegativeWrite_InGeneratedCode_DoesNotMakeTheCreatePathFlagged(LanguageVersion version) =>
        Run(version, flagged: false, "/0/AuthorQueries.g.cs", NegativeInMethod);

    /// <summary>
    /// The domain, the create path and the lookup at <paramref name="lookupPath"/>; the diagnostics only (CG0003's fix has
    /// its own tests): with no fixed sources the test checks the analyzer alone.
    /// </summary>
    private static Task Run(LanguageVersion version, bool flagged, string lookupPath, string lookupBody, string? editorConfig = null)
    {
        var test = new Verify.Test(version) { CodeFixTestBehaviors = CodeFixTestBehaviors.SkipLocalDiagnosticCheck };
        test.TestState.Sources.Add(("/0/Domain.cs", Domain));
        test.TestState.Sources.Add(("/0/AuthorCommands.cs", Create(flagged)));
        test.TestState.Sources.Add((lookupPath, Lookup(lookupBody)));
        if (editorConfig is not null)
            test.TestState.AnalyzerConfigFiles.Add(("/.editorconfig", editorConfig));
        return test.RunAsync();
    }
}
