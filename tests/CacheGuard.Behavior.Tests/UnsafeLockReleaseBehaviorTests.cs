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
/// CG0007 against a real redis-server: a lock taken with SET NX and released with a plain DEL lets a
/// third worker in once a slow holder's lease has lapsed; the code fix's output (applied through the
/// code-fix API and compiled: a fresh token, LockRelease with it) does not. The lease lapses on Redis's own clock; the test waits for Redis's
/// "expired" keyspace event, not for time to pass.
/// </summary>
public sealed class UnsafeLockReleaseBehaviorTests : IAsyncLifetime
{
    private static readonly TimeSpan Bound = TimeSpan.FromSeconds(30);   // failure timeout only
    private static readonly TimeSpan ShortLease = TimeSpan.FromMilliseconds(200);
    private static readonly TimeSpan LongLease = TimeSpan.FromMinutes(5);

    private RedisServerProcess _server = null!;
    private ConnectionMultiplexer _mux = null!;

    public async Task InitializeAsync()
    {
        _server = await RedisServerProcess.StartAsync(extraArgs: new[] { "--notify-keyspace-events", "Ex" });
        _mux = await ConnectionMultiplexer.ConnectAsync(new ConfigurationOptions { EndPoints = { _server.Endpoint }, AbortOnConnectFail = false });
    }

    public async Task DisposeAsync()
    {
        await _mux.DisposeAsync();
        await _server.DisposeAsync();
    }

    [Fact]
    public async Task FlaggedRelease_FreesTheNextHoldersLock_AndAThirdWorkerGetsIn()
    {
        var key = "lock:sitemap:" + Guid.NewGuid().ToString("N");
        var db = _mux.GetDatabase();
        var type = Compile(FlaggedSource, "FlaggedJob").GetType("Jobs.SitemapJob")!;
        var outcome = await RaceAsync(key, lease => new CompiledSitemapJob(type, db, key, lease));

        Assert.True(outcome.SecondAcquired, "the second worker takes the lock once the first one's lease lapsed");
        Assert.True(outcome.FirstReleased);
        Assert.True(outcome.ThirdAcquired, "the first worker's plain DEL freed the second worker's lock, so a third got in");
        Assert.True(outcome.SecondStillWorking, "two workers inside the critical section at once");
    }

    [Fact]
    public async Task FixedRelease_LeavesTheNextHoldersLock_AndNobodyElseGetsIn()
    {
        var key = "lock:sitemap:" + Guid.NewGuid().ToString("N");
        var db = _mux.GetDatabase();
        var fixedSource = await ApplyFixAsync(FlaggedSource);
        Assert.Contains("LockReleaseAsync(_key, lockToken)", fixedSource);
        var type = Compile(fixedSource, "FixedJob").GetType("Jobs.SitemapJob")!;
        var outcome = await RaceAsync(key, lease => new CompiledSitemapJob(type, db, key, lease));

        Assert.True(outcome.SecondAcquired, "the second worker takes the lock once the first one's lease lapsed");
        Assert.True(outcome.FirstReleased);
        Assert.False(outcome.ThirdAcquired, "LockRelease with the first worker's token leaves the second worker's lock alone");
        Assert.True(outcome.SecondStillWorking);
        Assert.True(outcome.LockHeldAfterThirdTried, "the second worker still holds the lock");
    }

    /// <summary>The shape CG0007 flags (the public case p06): SET NX with a shared value, plain DEL.</summary>
    private const string FlaggedSource = """
        using System;
        using System.Threading.Tasks;
        using StackExchange.Redis;

        namespace Jobs;

        public sealed class SitemapJob
        {
            private readonly IDatabase _db;
            private readonly string _key;
            private readonly TimeSpan _lease;
            public SitemapJob(IDatabase db, string key, TimeSpan lease) { _db = db; _key = key; _lease = lease; }

            public async Task<bool> RunAsync(Func<Task> build)
            {
                if (!await _db.StringSetAsync(_key, Environment.MachineName, _lease, When.NotExists)) return false;
                try { await build(); }
                finally { await _db.KeyDeleteAsync(_key); }
                return true;
            }
        }
        """;

    /// <summary>Runs CG0007 on the source and applies the fix it offers, through the code-fix API.</summary>
    private static async Task<string> ApplyFixAsync(string source)
    {
        using var workspace = new AdhocWorkspace();
        var projectId = ProjectId.CreateNewId();
        var solution = workspace.CurrentSolution
            .AddProject(ProjectInfo.Create(projectId, VersionStamp.Default, "Jobs", "Jobs", LanguageNames.CSharp,
                compilationOptions: CompilationOptions,
                parseOptions: new CSharpParseOptions(LanguageVersion.Latest),
                metadataReferences: References.Value));
        var documentId = DocumentId.CreateNewId(projectId);
        solution = solution.AddDocument(documentId, "SitemapJob.cs", SourceText.From(source));
        var document = solution.GetDocument(documentId)!;

        var compilation = (await document.Project.GetCompilationAsync())!;
        var diagnostics = await compilation
            .WithAnalyzers(ImmutableArray.Create<DiagnosticAnalyzer>(new UnsafeLockReleaseAnalyzer()))
            .GetAnalyzerDiagnosticsAsync();
        var diagnostic = Assert.Single(diagnostics, d => d.Id == "CG0007");

        var actions = new List<CodeAction>();
        var context = new CodeFixContext(document, diagnostic, (action, _) => actions.Add(action), CancellationToken.None);
        await new UnsafeLockReleaseCodeFix().RegisterCodeFixesAsync(context);
        var action = Assert.Single(actions);
        var apply = (await action.GetOperationsAsync(CancellationToken.None)).OfType<ApplyChangesOperation>().Single();
        var fixedDocument = apply.ChangedSolution.GetDocument(documentId)!;

        var fixedCompilation = (await fixedDocument.Project.GetCompilationAsync())!;
        var after = await fixedCompilation
            .WithAnalyzers(ImmutableArray.Create<DiagnosticAnalyzer>(new UnsafeLockReleaseAnalyzer()))
            .GetAnalyzerDiagnosticsAsync();
        Assert.DoesNotContain(after, d => d.Id == "CG0007");
        return (await fixedDocument.GetTextAsync()).ToString();
    }

    private static Assembly Compile(string source, string assemblyName) => SampleCompiler.Compile(source, assemblyName, References.Value);

    private static readonly CSharpCompilationOptions CompilationOptions = SampleCompiler.Options;

    private static readonly Lazy<ImmutableArray<MetadataReference>> References = new(() => SampleCompiler.ReferencesFor(typeof(IDatabase).Assembly));

    private sealed record Outcome(bool SecondAcquired, bool FirstReleased, bool ThirdAcquired, bool SecondStillWorking, bool LockHeldAfterThirdTried);

    /// <summary>
    /// First worker: short lease, blocks inside the lock until the test lets it go. Its lease lapses
    /// (Redis's expired event). Second worker takes the lock and stays inside. The first finishes and
    /// releases. A third worker then tries.
    /// </summary>
    private async Task<Outcome> RaceAsync(string key, Func<TimeSpan, ISitemapJob> job)
    {
        var expired = new TaskCompletionSource(TaskCreationOptions.RunContinuationsAsynchronously);
        var subscriber = _mux.GetSubscriber();
        var channel = RedisChannel.Literal("__keyevent@0__:expired");
        await subscriber.SubscribeAsync(channel, (_, message) =>
        {
            if (message == key)
                expired.TrySetResult();
        });

        try
        {
            var firstInside = new Gate();
            var firstMayFinish = new Gate();
            var first = job(ShortLease).RunAsync(async () =>
            {
                firstInside.Open();
                await firstMayFinish.WaitAsync();
            });
            await firstInside.WaitAsync().WaitAsync(Bound);
            await expired.Task.WaitAsync(Bound);               // the first worker's lease has lapsed mid-work

            var secondInside = new Gate();
            var secondMayFinish = new Gate();
            var second = job(LongLease).RunAsync(async () =>
            {
                secondInside.Open();
                await secondMayFinish.WaitAsync();
            });
            var secondAcquired = await Task.WhenAny(secondInside.WaitAsync(), second).WaitAsync(Bound) != second || await second;

            firstMayFinish.Open();
            var firstReleased = await first.WaitAsync(Bound);  // ran its work and its release

            var thirdAcquired = await job(LongLease).RunAsync(() => Task.CompletedTask).WaitAsync(Bound);
            var secondStillWorking = !second.IsCompleted;
            var lockHeld = await _mux.GetDatabase().KeyExistsAsync(key);

            secondMayFinish.Open();
            await second.WaitAsync(Bound);
            return new Outcome(secondAcquired, firstReleased, thirdAcquired, secondStillWorking, lockHeld);
        }
        finally
        {
            await subscriber.UnsubscribeAsync(channel);
        }
    }

    private sealed class Gate
    {
        private readonly TaskCompletionSource _open = new(TaskCreationOptions.RunContinuationsAsynchronously);
        public void Open() => _open.TrySetResult();
        public Task WaitAsync() => _open.Task;
    }
}

/// <summary>Runs the work under the lock; false when another worker holds it.</summary>
internal interface ISitemapJob
{
    Task<bool> RunAsync(Func<Task> build);
}

/// <summary>A job compiled from source (the flagged shape, or the code fix's output), called through reflection.</summary>
internal sealed class CompiledSitemapJob(Type type, IDatabase db, string key, TimeSpan lease) : ISitemapJob
{
    private readonly object _instance = Activator.CreateInstance(type, db, key, lease)!;

    public Task<bool> RunAsync(Func<Task> build) => (Task<bool>)type.GetMethod("RunAsync")!.Invoke(_instance, new object[] { build })!;
}
