using System.Collections.Immutable;
using System.Reflection;
using CacheGuard.Analyzers.Rules;
using CacheGuard.Analyzers.Tests.Verifiers;
using CacheGuard.CodeFixes;
using Microsoft.CodeAnalysis;
using Microsoft.CodeAnalysis.CodeActions;
using Microsoft.CodeAnalysis.CodeFixes;
using Microsoft.CodeAnalysis.CSharp;
using Microsoft.CodeAnalysis.Diagnostics;
using Microsoft.CodeAnalysis.Text;

namespace CacheGuard.Analyzers.Tests.Infrastructure;

/// <summary>
/// Every CacheGuard analyzer and code fix, found by reflection (so rules merged later are included
/// without touching the tests), and the plumbing to run them over a set of source files: compile,
/// analyze with analyzer exceptions captured, offer and apply every code action.
/// </summary>
internal static class AnalyzerHarness
{
    public static readonly ImmutableArray<DiagnosticAnalyzer> Analyzers =
        Discover<DiagnosticAnalyzer>(typeof(FixedTtlAnalyzer).Assembly, t => t.GetCustomAttributes<DiagnosticAnalyzerAttribute>().Any(a => a.Languages.Contains(LanguageNames.CSharp)));

    public static readonly ImmutableArray<CodeFixProvider> Fixes =
        Discover<CodeFixProvider>(typeof(FixedTtlCodeFix).Assembly, t => t.GetCustomAttributes<ExportCodeFixProviderAttribute>().Any());

    /// <summary>The SDK's implicit usings of a new project, as the sample and the eval cases assume.</summary>
    public const string ImplicitUsings =
        "global using System;\nglobal using System.Collections.Generic;\nglobal using System.IO;\nglobal using System.Linq;\n" +
        "global using System.Net.Http;\nglobal using System.Threading;\nglobal using System.Threading.Tasks;\n";

    private static readonly CSharpParseOptions ParseOptions = new(LanguageVersion.Latest);

    private static readonly CSharpCompilationOptions CompilationOptions =
        new CSharpCompilationOptions(OutputKind.DynamicallyLinkedLibrary, nullableContextOptions: NullableContextOptions.Enable)
            .WithSpecificDiagnosticOptions(new Dictionary<string, ReportDiagnostic>
            {
                ["CS1701"] = ReportDiagnostic.Suppress,
                ["CS1702"] = ReportDiagnostic.Suppress,
            });

    private static ImmutableArray<T> Discover<T>(Assembly assembly, Func<Type, bool> exported)
    {
        var found = assembly.GetTypes()
            .Where(t => !t.IsAbstract && typeof(T).IsAssignableFrom(t) && exported(t))
            .OrderBy(t => t.FullName, StringComparer.Ordinal)
            .Select(t => (T)Activator.CreateInstance(t)!)
            .ToImmutableArray();
        return found;
    }

    /// <summary>A project of the given files (path, text) plus the implicit usings, in a fresh workspace.</summary>
    public static Project CreateProject(IEnumerable<(string Path, string Text)> files)
    {
        var workspace = new AdhocWorkspace();
        var projectId = ProjectId.CreateNewId();
        var solution = workspace.CurrentSolution.AddProject(ProjectInfo.Create(
            projectId, VersionStamp.Default, "Input", "Input", LanguageNames.CSharp,
            compilationOptions: CompilationOptions, parseOptions: ParseOptions, metadataReferences: References.All));
        solution = solution.AddDocument(DocumentId.CreateNewId(projectId), "GlobalUsings.g.cs", SourceText.From(ImplicitUsings), filePath: "/obj/GlobalUsings.g.cs");
        foreach (var (path, text) in files)
            solution = solution.AddDocument(DocumentId.CreateNewId(projectId), System.IO.Path.GetFileName(path), SourceText.From(text), filePath: path);
        return solution.GetProject(projectId)!;
    }

    public static async Task<ImmutableArray<Diagnostic>> CompileErrorsAsync(Project project)
    {
        var compilation = await project.GetCompilationAsync().ConfigureAwait(false);
        return compilation!.GetDiagnostics().Where(d => d.Severity == DiagnosticSeverity.Error).ToImmutableArray();
    }

    /// <summary>
    /// Compiles and runs every analyzer in one pass; analyzer exceptions (callback or AD0001) come
    /// back as text, never thrown.
    /// </summary>
    public static async Task<AnalysisResult> AnalyzeAsync(Project project, CancellationToken cancellationToken = default)
    {
        var compilation = (await project.GetCompilationAsync(cancellationToken).ConfigureAwait(false))!;
        var exceptions = new List<string>();
        var options = new CompilationWithAnalyzersOptions(
            project.AnalyzerOptions,
            (exception, analyzer, _) =>
            {
                lock (exceptions)
                    exceptions.Add($"{analyzer.GetType().Name} threw {exception}");
            },
            concurrentAnalysis: false,
            logAnalyzerExecutionTime: false,
            reportSuppressedDiagnostics: false);
        var diagnostics = await compilation.WithAnalyzers(Analyzers, options).GetAllDiagnosticsAsync(cancellationToken).ConfigureAwait(false);
        foreach (var d in diagnostics.Where(d => d.Id is "AD0001" or "AD0002"))
        {
            lock (exceptions)
                exceptions.Add($"{d.Id}: {d.GetMessage()}");
        }
        var cacheGuard = diagnostics.Where(d => d.Id.StartsWith("CG", StringComparison.Ordinal)).ToImmutableArray();
        var errors = diagnostics.Where(d => d.Severity == DiagnosticSeverity.Error && !d.Id.StartsWith("CG", StringComparison.Ordinal) && !d.Id.StartsWith("AD", StringComparison.Ordinal)).ToImmutableArray();
        return new AnalysisResult(cacheGuard, exceptions.Distinct().ToImmutableArray(), errors);
    }

    /// <summary>Every leaf code action the fix providers offer for <paramref name="diagnostic"/>.</summary>
    public static async Task<ImmutableArray<(CodeFixProvider Provider, CodeAction Action)>> OfferedFixesAsync(Document document, Diagnostic diagnostic, List<string> failures)
    {
        var offered = ImmutableArray.CreateBuilder<(CodeFixProvider, CodeAction)>();
        foreach (var provider in Fixes.Where(f => f.FixableDiagnosticIds.Contains(diagnostic.Id)))
        {
            var actions = new List<CodeAction>();
            var context = new CodeFixContext(document, diagnostic, (action, _) => actions.Add(action), CancellationToken.None);
            try
            {
                await provider.RegisterCodeFixesAsync(context).ConfigureAwait(false);
            }
            catch (Exception e)
            {
                failures.Add($"{provider.GetType().Name}.RegisterCodeFixesAsync threw on {Describe(diagnostic)}: {e}");
                continue;
            }
            foreach (var action in actions.SelectMany(Leaves))
                offered.Add((provider, action));
        }
        return offered.ToImmutable();
    }

    /// <summary>The solution after the action, or null (with a failure noted) when it throws.</summary>
    public static async Task<Solution?> ApplyAsync(CodeAction action, string what, List<string> failures)
    {
        try
        {
            var operations = await action.GetOperationsAsync(CancellationToken.None).ConfigureAwait(false);
            return operations.OfType<ApplyChangesOperation>().FirstOrDefault()?.ChangedSolution;
        }
        catch (Exception e)
        {
            failures.Add($"{what} threw while computing its change: {e}");
            return null;
        }
    }

    /// <summary>The provider's Fix All over one document for one equivalence key, or null when it offers none.</summary>
    public static async Task<Solution?> FixAllInDocumentAsync(CodeFixProvider provider, Document document, string diagnosticId, string? equivalenceKey, ImmutableArray<Diagnostic> diagnostics, List<string> failures)
    {
        var fixAll = provider.GetFixAllProvider();
        if (fixAll is null || !fixAll.GetSupportedFixAllScopes().Contains(FixAllScope.Document))
            return null;
        var what = $"{provider.GetType().Name} Fix All ({diagnosticId}, {equivalenceKey})";
        try
        {
            var context = new FixAllContext(document, provider, FixAllScope.Document, equivalenceKey, new[] { diagnosticId }, new FixedDiagnostics(diagnostics), CancellationToken.None);
            var action = await fixAll.GetFixAsync(context).ConfigureAwait(false);
            return action is null ? null : await ApplyAsync(action, what, failures).ConfigureAwait(false);
        }
        catch (Exception e)
        {
            failures.Add($"{what} threw: {e}");
            return null;
        }
    }

    public static string Describe(Diagnostic diagnostic)
    {
        var span = diagnostic.Location.GetLineSpan();
        return $"{diagnostic.Id} at {System.IO.Path.GetFileName(span.Path)}:{span.StartLinePosition.Line + 1}:{span.StartLinePosition.Character + 1}";
    }

    private static IEnumerable<CodeAction> Leaves(CodeAction action) =>
        action.NestedActions.IsDefaultOrEmpty ? new[] { action } : action.NestedActions.SelectMany(Leaves);

    private sealed class FixedDiagnostics : FixAllContext.DiagnosticProvider
    {
        private readonly ImmutableArray<Diagnostic> _diagnostics;

        public FixedDiagnostics(ImmutableArray<Diagnostic> diagnostics) => _diagnostics = diagnostics;

        public override async Task<IEnumerable<Diagnostic>> GetDocumentDiagnosticsAsync(Document document, CancellationToken cancellationToken)
        {
            var tree = await document.GetSyntaxTreeAsync(cancellationToken).ConfigureAwait(false);
            return _diagnostics.Where(d => d.Location.SourceTree == tree);
        }

        public override Task<IEnumerable<Diagnostic>> GetProjectDiagnosticsAsync(Project project, CancellationToken cancellationToken) =>
            Task.FromResult<IEnumerable<Diagnostic>>(_diagnostics.Where(d => d.Location == Location.None));

        public override Task<IEnumerable<Diagnostic>> GetAllDiagnosticsAsync(Project project, CancellationToken cancellationToken) =>
            Task.FromResult<IEnumerable<Diagnostic>>(_diagnostics);
    }
}

/// <summary>CacheGuard's diagnostics, analyzer exceptions, and the compiler's errors.</summary>
internal sealed record AnalysisResult(ImmutableArray<Diagnostic> Diagnostics, ImmutableArray<string> Exceptions, ImmutableArray<Diagnostic> CompileErrors);

/// <summary>Locates files of the repository from the test's output directory.</summary>
internal static class Repository
{
    public static readonly string Root = FindRoot();

    public static string PathOf(params string[] parts) => System.IO.Path.Combine(new[] { Root }.Concat(parts).ToArray());

    private static string FindRoot()
    {
        for (var dir = new DirectoryInfo(AppContext.BaseDirectory); dir is not null; dir = dir.Parent)
        {
            if (File.Exists(System.IO.Path.Combine(dir.FullName, "CacheGuard.Analyzers.sln")))
                return dir.FullName;
        }
        throw new InvalidOperationException("repository root not found");
    }
}
