using System.Collections.Immutable;
using System.Reflection;
using CacheGuard.Analyzers.Rules;
using CacheGuard.CodeFixes;
using Microsoft.CodeAnalysis;
using Microsoft.CodeAnalysis.CodeActions;
using Microsoft.CodeAnalysis.CodeFixes;
using Microsoft.CodeAnalysis.CSharp;
using Microsoft.CodeAnalysis.Diagnostics;
using Microsoft.CodeAnalysis.Text;

namespace CacheGuard.Behavior.Tests.Fixes;

/// <summary>
/// Applies CacheGuard's code fixes to a sample through the code-fix API, the way the IDE's light
/// bulb (or <c>dotnet format analyzers</c>) does: run every CacheGuard analyzer, take the first fix
/// offered for the first diagnostic of the requested rules, apply it, and repeat until no such
/// diagnostic has a fix. Returns the fixed source and what was applied.
/// </summary>
internal static class FixApplier
{
    private static readonly Lazy<ImmutableArray<DiagnosticAnalyzer>> Analyzers = new(() =>
        typeof(UnguardedPopulateAnalyzer).Assembly.GetTypes()
            .Where(t => !t.IsAbstract && typeof(DiagnosticAnalyzer).IsAssignableFrom(t) && t.GetCustomAttributes<DiagnosticAnalyzerAttribute>().Any())
            .Select(t => (DiagnosticAnalyzer)Activator.CreateInstance(t)!)
            .ToImmutableArray());

    private static readonly Lazy<ImmutableArray<CodeFixProvider>> Providers = new(() =>
        typeof(UnguardedPopulateCodeFix).Assembly.GetTypes()
            .Where(t => !t.IsAbstract && typeof(CodeFixProvider).IsAssignableFrom(t) && t.GetCustomAttributes<ExportCodeFixProviderAttribute>().Any())
            .Select(t => (CodeFixProvider)Activator.CreateInstance(t)!)
            .ToImmutableArray());

    public sealed record Result(string Source, IReadOnlyList<string> Applied, IReadOnlyList<string> Remaining);

    /// <summary>The CacheGuard diagnostics of <paramref name="source"/> ("CG0004@line").</summary>
    public static async Task<IReadOnlyList<string>> DiagnoseAsync(string source, ImmutableArray<MetadataReference> references)
    {
        var (_, document) = Create(source, references);
        return (await AnalyzeAsync(document)).Select(Describe).ToList();
    }

    /// <summary>Applies fixes for <paramref name="ruleOrder"/>, in that order of preference, until none is left to apply.</summary>
    public static async Task<Result> ApplyAsync(string source, ImmutableArray<MetadataReference> references, params string[] ruleOrder)
    {
        var (_, document) = Create(source, references);
        var applied = new List<string>();
        for (var round = 0; round < 30; round++)
        {
            var diagnostics = await AnalyzeAsync(document);
            var next = false;
            foreach (var rule in ruleOrder)
            {
                foreach (var diagnostic in diagnostics.Where(d => d.Id == rule))
                {
                    var action = await FirstFixAsync(document, diagnostic);
                    if (action is null)
                        continue;
                    var operations = await action.GetOperationsAsync(CancellationToken.None);
                    var apply = operations.OfType<ApplyChangesOperation>().Single();
                    document = apply.ChangedSolution.GetDocument(document.Id)!;
                    applied.Add($"{Describe(diagnostic)}: {action.Title}");
                    next = true;
                    break;
                }
                if (next)
                    break;
            }
            if (!next)
                break;
        }
        var remaining = (await AnalyzeAsync(document)).Select(Describe).ToList();
        return new Result((await document.GetTextAsync()).ToString(), applied, remaining);
    }

    private static async Task<CodeAction?> FirstFixAsync(Document document, Diagnostic diagnostic)
    {
        var actions = new List<CodeAction>();
        foreach (var provider in Providers.Value.Where(p => p.FixableDiagnosticIds.Contains(diagnostic.Id)))
            await provider.RegisterCodeFixesAsync(new CodeFixContext(document, diagnostic, (a, _) => actions.Add(a), CancellationToken.None));
        return actions.SelectMany(Flatten).FirstOrDefault();
    }

    private static IEnumerable<CodeAction> Flatten(CodeAction action) =>
        action.NestedActions.IsDefaultOrEmpty ? new[] { action } : action.NestedActions.SelectMany(Flatten);

    private static async Task<ImmutableArray<Diagnostic>> AnalyzeAsync(Document document)
    {
        var compilation = (await document.Project.GetCompilationAsync())!;
        var errors = compilation.GetDiagnostics().Where(d => d.Severity == DiagnosticSeverity.Error).ToList();
        if (errors.Count > 0)
            throw new InvalidOperationException("the sample does not compile: " + string.Join(Environment.NewLine, errors) + Environment.NewLine + (await document.GetTextAsync()));
        var diagnostics = await compilation.WithAnalyzers(Analyzers.Value).GetAnalyzerDiagnosticsAsync();
        var crash = diagnostics.FirstOrDefault(d => d.Id == "AD0001");
        if (crash is not null)
            throw new InvalidOperationException(crash.GetMessage());
        return diagnostics.Where(d => d.Id.StartsWith("CG", StringComparison.Ordinal)).OrderBy(d => d.Location.SourceSpan.Start).ToImmutableArray();
    }

    private static string Describe(Diagnostic d) => $"{d.Id}@{d.Location.GetLineSpan().StartLinePosition.Line + 1}";

    private static (Solution, Document) Create(string source, ImmutableArray<MetadataReference> references)
    {
        var workspace = new AdhocWorkspace();
        var projectId = ProjectId.CreateNewId();
        var solution = workspace.CurrentSolution
            .AddProject(ProjectInfo.Create(projectId, VersionStamp.Default, "Sample", "Sample", LanguageNames.CSharp,
                compilationOptions: SampleCompiler.Options,
                parseOptions: new CSharpParseOptions(LanguageVersion.Latest),
                metadataReferences: references));
        var documentId = DocumentId.CreateNewId(projectId);
        solution = solution.AddDocument(documentId, "Sample.cs", SourceText.From(source), filePath: "/src/Sample.cs");
        return (solution, solution.GetDocument(documentId)!);
    }
}
