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

    private const string Create = """
        using System.Threading.Tasks;
        using StackExchange.Redis;

        namespace App.Commands
        {
            public class AuthorCommands
            {
                private readonly IDatabase _cache;
                private readonly IAuthorStore _store;
                public AuthorCommands(IDatabase cache, IAuthorStore store) { _cache = cache; _store = store; }

                public async Task {|CG0003:CreateAsync|}(Author author)
                {
                    await _store.CreateAsync(author);
                }
            }
        }
        """;

    private const string CreateNotFlagged = """
        using System.Threading.Tasks;
        using StackExchange.Redis;

        namespace App.Commands
        {
            public class AuthorCommands
            {
                private readonly IDatabase _cache;
                private readonly IAuthorStore _store;
                public AuthorCommands(IDatabase cache, IAuthorStore store) { _cache = cache; _store = store; }

                public async Task CreateAsync(Author author)
                {
                    await _store.CreateAsync(author);
                }
            }
        }
        """;

    /// <summary>The lookup, with <c>{0}</c> for the statement that caches "not found".</summary>
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

    private static Verify.Test NewTest(LanguageVersion version) =>
        new(version) { CodeFixTestBehaviors = CodeFixTestBehaviors.SkipLocalDiagnosticCheck };

    [Theory]
    [MemberData(nameof(Versions))]
    public async Task NegativeWrite_InAMethod_OfAnotherFile_MakesTheCreatePathFlagged(LanguageVersion version)
    {
        var test = NewTest(version);
        test.TestState.Sources.Add(("/0/Domain.cs", Domain));
        test.TestState.Sources.Add(("/0/AuthorCommands.cs", Create));
        test.TestState.Sources.Add(("/0/AuthorQueries.cs", Lookup(NegativeInMethod)));
        await RunAnalyzerOnly(test);
    }

    [Theory]
    [MemberData(nameof(Versions))]
    public async Task NegativeWrite_InALocalFunction_MakesTheCreatePathFlagged(LanguageVersion version)
    {
        var test = NewTest(version);
        test.TestState.Sources.Add(("/0/Domain.cs", Domain));
        test.TestState.Sources.Add(("/0/AuthorCommands.cs", Create));
        test.TestState.Sources.Add(("/0/AuthorQueries.cs", Lookup(NegativeInLocalFunction)));
        await RunAnalyzerOnly(test);
    }

    [Theory]
    [MemberData(nameof(Versions))]
    public async Task NegativeWrite_InAFileCG0003IsOffFor_DoesNotMakeTheCreatePathFlagged(LanguageVersion version)
    {
        var test = NewTest(version);
        test.TestState.Sources.Add(("/0/Domain.cs", Domain));
        test.TestState.Sources.Add(("/0/AuthorCommands.cs", CreateNotFlagged));
        test.TestState.Sources.Add(("/0/Queries/AuthorQueries.cs", Lookup(NegativeInMethod)));
        test.TestState.AnalyzerConfigFiles.Add(("/.editorconfig", "root = true\n\n[/0/Queries/*.cs]\ndotnet_diagnostic.CG0003.severity = none\n"));
        await RunAnalyzerOnly(test);
    }

    [Theory]
    [MemberData(nameof(Versions))]
    public async Task NegativeWrite_InGeneratedCode_DoesNotMakeTheCreatePathFlagged(LanguageVersion version)
    {
        var test = NewTest(version);
        test.TestState.Sources.Add(("/0/Domain.cs", Domain));
        test.TestState.Sources.Add(("/0/AuthorCommands.cs", CreateNotFlagged));
        test.TestState.Sources.Add(("/0/AuthorQueries.g.cs", Lookup(NegativeInMethod)));
        await RunAnalyzerOnly(test);
    }

    /// <summary>The diagnostics only (the fix of CG0003 has its own tests): with no fixed sources the test checks the analyzer alone.</summary>
    private static Task RunAnalyzerOnly(Verify.Test test) => test.RunAsync();
}
