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
using StackExchange.Redis;

namespace CacheGuard.Behavior.Tests.WritePath;

/// <summary>
/// The sample post service as a user writes it (set-on-write, CG0002; plain cache-aside, CG0004),
/// compiled as is and after CacheGuard's own code fixes, applied through the code-fix API.
/// </summary>
public static class WritePathSample
{
    public const string Source = """
        using System;
        using System.Text.Json;
        using System.Threading.Tasks;
        using CacheGuard.Behavior.Tests.WritePath;
        using StackExchange.Redis;

        namespace Blog;

        public sealed class PostService : IPostService
        {
            private readonly IDatabase _cache;
            private readonly PostTable _posts;

            public PostService(IDatabase cache, PostTable posts)
            {
                _cache = cache;
                _posts = posts;
            }

            public async Task<PostRow?> GetAsync(int id)
            {
                var raw = await _cache.StringGetAsync($"post:{id}");
                if (!raw.IsNullOrEmpty) return JsonSerializer.Deserialize<PostRow>(raw.ToString());
                var post = await _posts.LoadAsync(id);
                if (post is null) return null;
                await _cache.StringSetAsync($"post:{id}", JsonSerializer.Serialize(post), TimeSpan.FromSeconds(300 + Random.Shared.Next(30)));
                return post;
            }

            public async Task<long> RetitleAsync(int id, string title, Func<long, Task> afterCommit)
            {
                var version = await _posts.UpdateTitleAsync(id, title);
                await afterCommit(version);
                await _cache.StringSetAsync($"post:{id}", JsonSerializer.Serialize(new PostRow(id, version, title)), TimeSpan.FromSeconds(300 + Random.Shared.Next(30)));
                return version;
            }
        }
        """;

    private static readonly Lazy<Task<(Assembly Original, Assembly Fixed, string FixedSource)>> Built = new(BuildOnceAsync);

    public static Task<(Assembly Original, Assembly Fixed, string FixedSource)> BuildAsync() => Built.Value;

    public static IPostService Create(Assembly assembly, IDatabase cache, PostTable posts) =>
        (IPostService)Activator.CreateInstance(assembly.GetType("Blog.PostService", throwOnError: true)!, cache, posts)!;

    private static async Task<(Assembly Original, Assembly Fixed, string FixedSource)> BuildOnceAsync()
    {
        var fixedSource = await ApplyFixesAsync(Source);
        return (Compile(Source, "Blog.Original"), Compile(fixedSource, "Blog.Fixed"), fixedSource);
    }

    /// <summary>Applies CG0002's and CG0004's fixes until neither reports anything fixable.</summary>
    private static async Task<string> ApplyFixesAsync(string source)
    {
        var analyzers = ImmutableArray.Create<DiagnosticAnalyzer>(new SetOnWriteAnalyzer(), new UnguardedPopulateAnalyzer());
        var fixes = new CodeFixProvider[] { new SetOnWriteCodeFix(), new UnguardedPopulateCodeFix() };
        using var workspace = new AdhocWorkspace();
        var projectId = ProjectId.CreateNewId();
        var documentId = DocumentId.CreateNewId(projectId);
        var solution = workspace.CurrentSolution
            .AddProject(ProjectInfo.Create(projectId, VersionStamp.Default, "Blog", "Blog", LanguageNames.CSharp,
                compilationOptions: CompilationOptions, parseOptions: new CSharpParseOptions(LanguageVersion.Latest), metadataReferences: References.Value))
            .AddDocument(documentId, "PostService.cs", SourceText.From(source));

        for (var round = 0; round < 8; round++)
        {
            var document = solution.GetDocument(documentId)!;
            var compilation = (await document.Project.GetCompilationAsync())!;
            var diagnostics = await compilation.WithAnalyzers(analyzers).GetAnalyzerDiagnosticsAsync();
            CodeAction? action = null;
            foreach (var diagnostic in diagnostics.OrderBy(d => d.Location.SourceSpan.Start))
            {
                var actions = new List<CodeAction>();
                foreach (var fix in fixes.Where(f => f.FixableDiagnosticIds.Contains(diagnostic.Id)))
                    await fix.RegisterCodeFixesAsync(new CodeFixContext(document, diagnostic, (a, _) => actions.Add(a), CancellationToken.None));
                if (actions.Count > 0)
                {
                    action = actions[0];
                    break;
                }
            }
            if (action is null)
                return (await document.GetTextAsync()).ToString();
            var apply = (await action.GetOperationsAsync(CancellationToken.None)).OfType<ApplyChangesOperation>().Single();
            solution = apply.ChangedSolution;
        }
        throw new InvalidOperationException("The fixes did not converge.");
    }

    private static Assembly Compile(string source, string assemblyName) => SampleCompiler.Compile(source, assemblyName, References.Value);

    private static readonly CSharpCompilationOptions CompilationOptions = SampleCompiler.Options;

    private static readonly Lazy<ImmutableArray<MetadataReference>> References = new(() => SampleCompiler.ReferencesFor(typeof(IDatabase).Assembly, typeof(CacheGuardDatabaseExtensions).Assembly, typeof(PostTable).Assembly));
}
