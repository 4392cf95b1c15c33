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

namespace CacheGuard.Behavior.Tests;

/// <summary>
/// Hole 3 (negative-cache poisoning) end to end. The public eval case p04 — a lookup that caches
/// "not found" for an hour and a create path that never clears it — is fixed through the code-fix
/// API (CG0005, then CG0003), both versions are compiled with Roslyn and run against a real
/// redis-server. Before: the created author stays "not found", served from the negative entry,
/// which lives for the hour. After: the negative entry lives at most the negative TTL, and the
/// created author is found at once. Assertions are on Redis state and on what the lookup returns,
/// never on elapsed time.
/// </summary>
[Collection(RedisNodeCollection.Name)]
public sealed class NegativeCachingBehaviorTests
{
    private const string Marker = "<missing>";

    internal const string Sample = """
        using System;
        using System.Collections.Concurrent;
        using System.Threading.Tasks;
        using StackExchange.Redis;

        namespace Blog;

        public class Author { public int Id { get; set; } public string Handle { get; set; } = ""; }

        public interface IAuthorStore
        {
            Task<Author?> ByHandleAsync(string handle);
            Task CreateAsync(Author author);
        }

        /// <summary>The database.</summary>
        public sealed class InMemoryAuthorStore : IAuthorStore
        {
            private readonly ConcurrentDictionary<string, Author> _rows = new();
            public int Lookups;
            public Task<Author?> ByHandleAsync(string handle)
            {
                System.Threading.Interlocked.Increment(ref Lookups);
                return Task.FromResult(_rows.TryGetValue(handle, out var a) ? a : null);
            }
            public Task CreateAsync(Author author)
            {
                _rows[author.Handle] = author;
                return Task.CompletedTask;
            }
        }

        public class Authors
        {
            private const string Missing = "<missing>";
            private readonly IDatabase _cache;
            private readonly IAuthorStore _store;
            public Authors(IDatabase cache, IAuthorStore store) { _cache = cache; _store = store; }

            public async Task<string?> HandleExistsAsync(string handle)
            {
                var v = await _cache.StringGetAsync("author:" + handle);
                if (v == Missing) return null;
                if (v.HasValue) return v.ToString();
                var a = await _store.ByHandleAsync(handle);
                if (a is null)
                {
                    await _cache.StringSetAsync("author:" + handle, Missing, TimeSpan.FromHours(1));
                    return null;
                }
                await _cache.StringSetAsync("author:" + handle, a.Handle, TimeSpan.FromMinutes(30) + TimeSpan.FromSeconds(Random.Shared.Next(90)));
                return a.Handle;
            }

            public async Task CreateAsync(Author author)
            {
                await _store.CreateAsync(author);
            }
        }
        """;

    private static readonly Lazy<Task<(Assembly Original, Assembly Fixed, string FixedSource)>> Versions = new(async () =>
    {
        var afterTtlFix = await ApplyFixAsync(Sample, new NegativeTtlTooLongAnalyzer(), new NegativeTtlTooLongCodeFix(), "CG0005");
        var fixedSource = await ApplyFixAsync(afterTtlFix, new CreatePathMissingInvalidationAnalyzer(), new CreatePathMissingInvalidationCodeFix(), "CG0003");
        return (Compile(Sample, "Blog.Original"), Compile(fixedSource, "Blog.Fixed"), fixedSource);
    });

    private readonly RedisNode _redis;

    public NegativeCachingBehaviorTests(RedisNode redis) => _redis = redis;

    [Fact]
    public async Task TheFixes_AreWhatTheRulePagesSay()
    {
        var (_, _, fixedSource) = await Versions.Value;
        Assert.Contains("await _cache.StringSetAsync(\"author:\" + handle, Missing, CacheTtl.Negative());", fixedSource);
        Assert.Contains("""
                    await _store.CreateAsync(author);
                    await _cache.InvalidateAsync("author:" + author.Handle);
            """, fixedSource.Replace("\r\n", "\n"));
    }

    [Fact]
    public async Task BeforeTheFix_CreatedAuthorStaysNotFound_WhileTheNegativeEntryLives()
    {
        var (original, _, _) = await Versions.Value;
        var app = new App(original, _redis.Database);
        var handle = NewHandle();

        Assert.Null(await app.HandleExistsAsync(handle));
        Assert.Equal(Marker, (string?)await _redis.Database.StringGetAsync("author:" + handle));

        await app.CreateAsync(1, handle);

        // The database has the author; the lookup keeps answering "not found" from the negative
        // entry without asking the database, for as long as the entry lives: an hour.
        var lookups = app.Lookups;
        Assert.Null(await app.HandleExistsAsync(handle));
        Assert.Equal(lookups, app.Lookups);
        Assert.Equal(Marker, (string?)await _redis.Database.StringGetAsync("author:" + handle));
        var ttl = await _redis.Database.KeyTimeToLiveAsync("author:" + handle);
        Assert.True(ttl > TimeSpan.FromMinutes(59), $"the negative entry lives for the hour (TTL {ttl})");
    }

    [Fact]
    public async Task AfterTheFix_CreatedAuthorIsFoundAtOnce_AndTheNegativeEntryIsShort()
    {
        var (_, fixedAssembly, _) = await Versions.Value;
        var app = new App(fixedAssembly, _redis.Database);
        var handle = NewHandle();

        Assert.Null(await app.HandleExistsAsync(handle));
        Assert.Equal(Marker, (string?)await _redis.Database.StringGetAsync("author:" + handle));
        var ttl = await _redis.Database.KeyTimeToLiveAsync("author:" + handle);
        Assert.NotNull(ttl);
        Assert.InRange(ttl!.Value, TimeSpan.FromSeconds(1), TimeSpan.FromSeconds(33)); // CacheTtl.Negative(): 30 s + at most 10%

        await app.CreateAsync(2, handle);

        Assert.False(await _redis.Database.KeyExistsAsync("author:" + handle));
        Assert.Equal(handle, await app.HandleExistsAsync(handle));
        Assert.Equal(handle, (string?)await _redis.Database.StringGetAsync("author:" + handle));
    }

    private static string NewHandle() => "h" + Guid.NewGuid().ToString("N")[..12];

    /// <summary>The compiled sample: its Authors service over its in-memory store.</summary>
    private sealed class App
    {
        private readonly Assembly _assembly;
        private readonly object _store;
        private readonly object _authors;

        public App(Assembly assembly, IDatabase db)
        {
            _assembly = assembly;
            _store = Activator.CreateInstance(assembly.GetType("Blog.InMemoryAuthorStore", throwOnError: true)!)!;
            _authors = Activator.CreateInstance(assembly.GetType("Blog.Authors", throwOnError: true)!, db, _store)!;
        }

        public int Lookups => (int)_store.GetType().GetField("Lookups")!.GetValue(_store)!;

        public async Task<string?> HandleExistsAsync(string handle)
        {
            var task = (Task<string?>)_authors.GetType().GetMethod("HandleExistsAsync")!.Invoke(_authors, new object[] { handle })!;
            return await task;
        }

        public async Task CreateAsync(int id, string handle)
        {
            var author = Activator.CreateInstance(_assembly.GetType("Blog.Author", throwOnError: true)!)!;
            author.GetType().GetProperty("Id")!.SetValue(author, id);
            author.GetType().GetProperty("Handle")!.SetValue(author, handle);
            await (Task)_authors.GetType().GetMethod("CreateAsync")!.Invoke(_authors, new[] { author })!;
        }
    }

    /// <summary>Runs one rule on the source and applies the one fix it offers, through the code-fix API.</summary>
    private static async Task<string> ApplyFixAsync(string source, DiagnosticAnalyzer analyzer, CodeFixProvider fix, string id)
    {
        using var workspace = new AdhocWorkspace();
        var projectId = ProjectId.CreateNewId();
        var solution = workspace.CurrentSolution
            .AddProject(ProjectInfo.Create(projectId, VersionStamp.Default, "Blog", "Blog", LanguageNames.CSharp,
                compilationOptions: CompilationOptions,
                parseOptions: new CSharpParseOptions(LanguageVersion.Latest),
                metadataReferences: References.Value));
        var documentId = DocumentId.CreateNewId(projectId);
        solution = solution.AddDocument(documentId, "Authors.cs", SourceText.From(source));
        var document = solution.GetDocument(documentId)!;

        var analyzers = ImmutableArray.Create(analyzer);
        var diagnostic = Assert.Single(await (await document.Project.GetCompilationAsync())!.WithAnalyzers(analyzers).GetAnalyzerDiagnosticsAsync(), d => d.Id == id);
        var actions = new List<CodeAction>();
        await fix.RegisterCodeFixesAsync(new CodeFixContext(document, diagnostic, (action, _) => actions.Add(action), CancellationToken.None));
        var apply = (await Assert.Single(actions).GetOperationsAsync(CancellationToken.None)).OfType<ApplyChangesOperation>().Single();
        var fixedDocument = apply.ChangedSolution.GetDocument(documentId)!;

        var after = await (await fixedDocument.Project.GetCompilationAsync())!.WithAnalyzers(analyzers).GetAnalyzerDiagnosticsAsync();
        Assert.DoesNotContain(after, d => d.Id == id);
        return (await fixedDocument.GetTextAsync()).ToString();
    }

    private static Assembly Compile(string source, string assemblyName) => SampleCompiler.Compile(source, assemblyName, References.Value);

    private static readonly CSharpCompilationOptions CompilationOptions = SampleCompiler.Options;

    private static readonly Lazy<ImmutableArray<MetadataReference>> References = new(() => SampleCompiler.ReferencesFor(typeof(IDatabase).Assembly, typeof(CacheGuardDatabaseExtensions).Assembly));
}
