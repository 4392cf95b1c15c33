using System.Collections.Immutable;
using System.Reflection;
using CacheGuard.Analyzers.Rules;
using CacheGuard.CodeFixes;
using CacheGuard.Testing.Redis;
using Microsoft.CodeAnalysis;
using Microsoft.CodeAnalysis.CodeActions;
using Microsoft.CodeAnalysis.CodeFixes;
using Microsoft.CodeAnalysis.CSharp;
using Microsoft.CodeAnalysis.Diagnostics;
using Microsoft.CodeAnalysis.Text;
using StackExchange.Redis;

namespace CacheGuard.Behavior.Tests;

/// <summary>
/// CG0004's fix, end to end: an unguarded get-then-populate is rewritten by the code fix, both versions
/// are compiled with Roslyn and run against a real redis-server with 500 concurrent callers on a cold
/// key. The original runs the factory for (at least) every caller that missed; the fixed code once.
/// </summary>
public sealed class UnguardedPopulateFixBehaviorTests : IAsyncLifetime
{
    private const int Callers = 500;

    // The factory of the original is held until this many callers are inside it: all of them missed.
    private const int OriginalRunsHeldFor = 50;

    private const string Sample = """
        using System;
        using System.Text.Json;
        using System.Threading.Tasks;
        using StackExchange.Redis;

        namespace Shop;

        public sealed record Product(int Id, string Name);

        public sealed class Catalog
        {
            private readonly IDatabase _db;
            private readonly Func<int, Task<string?>> _loadName;

            public Catalog(IDatabase db, Func<int, Task<string?>> loadName)
            {
                _db = db;
                _loadName = loadName;
            }

            public async Task<Product?> GetAsync(int id)
            {
                var raw = await _db.StringGetAsync($"product:{id}");
                if (!raw.IsNullOrEmpty) return JsonSerializer.Deserialize<Product>(raw.ToString());
                var name = await _loadName(id);
                if (name is null) return null;
                var product = new Product(id, name);
                await _db.StringSetAsync($"product:{id}", JsonSerializer.Serialize(product), TimeSpan.FromMinutes(5));
                return product;
            }
        }
        """;

    private RedisServerProcess _server = null!;
    private ConnectionMultiplexer _connection = null!;

    public async Task InitializeAsync()
    {
        _server = await RedisServerProcess.StartAsync();
        var options = ConfigurationOptions.Parse(_server.Endpoint);
        options.AbortOnConnectFail = false;
        _connection = await ConnectionMultiplexer.ConnectAsync(options);
    }

    public async Task DisposeAsync()
    {
        await _connection.DisposeAsync();
        await _server.DisposeAsync();
    }

    [Fact]
    public async Task Fix_TurnsManyFactoryRunsOnAColdKeyIntoExactlyOne()
    {
        var fixedSource = await ApplyFixAsync(Sample);
        Assert.Contains("GetOrSetAsync<Product?>", fixedSource);
        Assert.DoesNotContain("StringSetAsync", fixedSource);

        var original = Compile(Sample, "Shop.Original");
        var rewritten = Compile(fixedSource, "Shop.Fixed");

        var before = await RunColdKeyAsync(original, id: 1, openGateWhenAllCallersStarted: false);
        var after = await RunColdKeyAsync(rewritten, id: 2, openGateWhenAllCallersStarted: true);

        Assert.True(before.Runs >= OriginalRunsHeldFor, $"the original ran the factory {before.Runs} times");
        Assert.Equal(1, after.Runs);
        Assert.All(before.Names, n => Assert.Equal("product-1", n));
        Assert.All(after.Names, n => Assert.Equal("product-2", n));
        Assert.Equal(Callers, after.Names.Count);
    }

    private sealed record Outcome(int Runs, IReadOnlyList<string?> Names);

    /// <summary>
    /// 500 callers ask for one cold key at once. The factory (the "database") is slow: it holds every
    /// run until a gate opens — for the original when <see cref="OriginalRunsHeldFor"/> runs are inside
    /// (each of them a caller that missed), for the fixed code once every caller has started and the
    /// first run is inside.
    /// </summary>
    private async Task<Outcome> RunColdKeyAsync(Assembly assembly, int id, bool openGateWhenAllCallersStarted)
    {
        var db = _connection.GetDatabase();
        await db.KeyDeleteAsync($"product:{id}");

        var runs = 0;
        var gate = new TaskCompletionSource(TaskCreationOptions.RunContinuationsAsynchronously);
        var firstRun = new TaskCompletionSource(TaskCreationOptions.RunContinuationsAsynchronously);
        Func<int, Task<string?>> loadName = async productId =>
        {
            var n = Interlocked.Increment(ref runs);
            if (n == 1)
                firstRun.TrySetResult();
            if (n == OriginalRunsHeldFor)
                gate.TrySetResult();
            await gate.Task;
            return "product-" + productId;
        };

        var catalogType = assembly.GetType("Shop.Catalog", throwOnError: true)!;
        var catalog = Activator.CreateInstance(catalogType, db, loadName)!;
        var getAsync = catalogType.GetMethod("GetAsync")!;

        var started = 0;
        var allStarted = new TaskCompletionSource(TaskCreationOptions.RunContinuationsAsynchronously);
        var callers = Enumerable.Range(0, Callers).Select(_ => Task.Run(async () =>
        {
            if (Interlocked.Increment(ref started) == Callers)
                allStarted.TrySetResult();
            var task = (Task)getAsync.Invoke(catalog, new object[] { id })!;
            await task;
            var product = task.GetType().GetProperty("Result")!.GetValue(task);
            return (string?)product?.GetType().GetProperty("Name")!.GetValue(product);
        })).ToArray();

        if (openGateWhenAllCallersStarted)
        {
            await allStarted.Task.WaitAsync(TimeSpan.FromSeconds(60));
            await firstRun.Task.WaitAsync(TimeSpan.FromSeconds(60));
            gate.TrySetResult();
        }
        var names = await Task.WhenAll(callers).WaitAsync(TimeSpan.FromSeconds(120));
        return new Outcome(runs, names);
    }

    /// <summary>Runs CG0004 on the source and applies the fix it offers, through the code-fix API.</summary>
    private static async Task<string> ApplyFixAsync(string source)
    {
        using var workspace = new AdhocWorkspace();
        var projectId = ProjectId.CreateNewId();
        var solution = workspace.CurrentSolution
            .AddProject(ProjectInfo.Create(projectId, VersionStamp.Default, "Shop", "Shop", LanguageNames.CSharp,
                compilationOptions: CompilationOptions,
                parseOptions: new CSharpParseOptions(LanguageVersion.Latest),
                metadataReferences: References.Value));
        var documentId = DocumentId.CreateNewId(projectId);
        solution = solution.AddDocument(documentId, "Catalog.cs", SourceText.From(source));
        var document = solution.GetDocument(documentId)!;

        var compilation = (await document.Project.GetCompilationAsync())!;
        var diagnostics = await compilation
            .WithAnalyzers(ImmutableArray.Create<DiagnosticAnalyzer>(new UnguardedPopulateAnalyzer()))
            .GetAnalyzerDiagnosticsAsync();
        var diagnostic = Assert.Single(diagnostics, d => d.Id == "CG0004");

        var actions = new List<CodeAction>();
        var context = new CodeFixContext(document, diagnostic, (action, _) => actions.Add(action), CancellationToken.None);
        await new UnguardedPopulateCodeFix().RegisterCodeFixesAsync(context);
        var action = Assert.Single(actions);
        var apply = (await action.GetOperationsAsync(CancellationToken.None)).OfType<ApplyChangesOperation>().Single();
        var fixedDocument = apply.ChangedSolution.GetDocument(documentId)!;

        var fixedCompilation = (await fixedDocument.Project.GetCompilationAsync())!;
        var after = await fixedCompilation
            .WithAnalyzers(ImmutableArray.Create<DiagnosticAnalyzer>(new UnguardedPopulateAnalyzer()))
            .GetAnalyzerDiagnosticsAsync();
        Assert.DoesNotContain(after, d => d.Id == "CG0004");
        return (await fixedDocument.GetTextAsync()).ToString();
    }

    private static Assembly Compile(string source, string assemblyName) => SampleCompiler.Compile(source, assemblyName, References.Value);

    private static readonly CSharpCompilationOptions CompilationOptions = SampleCompiler.Options;

    private static readonly Lazy<ImmutableArray<MetadataReference>> References = new(() => SampleCompiler.ReferencesFor(typeof(IDatabase).Assembly, typeof(CacheGuardDatabaseExtensions).Assembly));
}
