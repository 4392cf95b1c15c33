using System.Diagnostics;
using System.Text.Json.Nodes;
using CacheGuard.EndToEnd.Tests.Infrastructure;
using Xunit.Abstractions;

namespace CacheGuard.EndToEnd.Tests;

/// <summary>
/// The editor path: a real C# language server (csharp-ls, Roslyn's MSBuildWorkspace underneath)
/// opens the sample that references the CacheGuard package, and CacheGuard's diagnostics reach the
/// client over LSP with the right range, severity and help link, and clear once the code is fixed.
/// One test per diagnostics model: push (<c>textDocument/publishDiagnostics</c>, what Neovim/Emacs
/// clients get) and pull (<c>textDocument/diagnostic</c>, what VS Code asks for), the latter with an
/// <c>.editorconfig</c> severity override.
/// </summary>
[Collection(PackageCollection.Name)]
public sealed class LanguageServerTests
{
    private const string FileName = "TagCloudCache.cs";
    private const string HelpLink = "https://github.com/cacheguard/cacheguard/blob/main/docs/rules/CG0001.md";
    private const int Error = 1;
    private const int Warning = 2;

    /// <summary>Failure bound only: nothing here asserts on speed.</summary>
    private static readonly TimeSpan Timeout = TimeSpan.FromMinutes(3);

    private readonly PackageFixture _package;
    private readonly ITestOutputHelper _output;

    public LanguageServerTests(PackageFixture package, ITestOutputHelper output)
    {
        _package = package;
        _output = output;
    }

    [Fact]
    public async Task PushDiagnostics_ShowCG0001AsWarningWithItsHelpLink_AndClearOnceFixed()
    {
        var sample = _package.CopySample();
        await using var server = await StartServerAsync(sample, pullDiagnostics: false);
        var document = OpenDocument.Of(sample);
        var timer = Stopwatch.StartNew();

        var sequence = server.Client.PublishSequence;
        await server.Client.NotifyAsync("textDocument/didOpen", document.DidOpen());
        var published = await server.Client.WaitForPublishedDiagnosticsAsync(document.Uri, sequence, HasCG0001, Timeout);
        var appeared = timer.Elapsed;

        AssertCG0001(published, document, Warning);

        sequence = server.Client.PublishSequence;
        timer.Restart();
        await server.Client.NotifyAsync("textDocument/didChange", document.Change(version: 2, document.FixedText));
        published = await server.Client.WaitForPublishedDiagnosticsAsync(document.Uri, sequence, d => !HasCG0001(d), Timeout);
        var cleared = timer.Elapsed;
        AssertNoErrors(published);

        // The same server, warm: the hole typed back in.
        sequence = server.Client.PublishSequence;
        timer.Restart();
        await server.Client.NotifyAsync("textDocument/didChange", document.Change(version: 3, document.Text));
        published = await server.Client.WaitForPublishedDiagnosticsAsync(document.Uri, sequence, HasCG0001, Timeout);
        var reappeared = timer.Elapsed;
        AssertCG0001(published, document, Warning);

        server.Report(_output, "push (textDocument/publishDiagnostics)", appeared, cleared, reappeared);
    }

    [Fact]
    public async Task PullDiagnostics_HonourTheEditorConfigSeverity_AndClearOnceFixed()
    {
        var sample = _package.CopySample();
        sample.WriteEditorConfig("dotnet_diagnostic.CG0001.severity = error");
        await using var server = await StartServerAsync(sample, pullDiagnostics: true);
        var document = OpenDocument.Of(sample);
        var timer = Stopwatch.StartNew();

        await server.Client.NotifyAsync("textDocument/didOpen", document.DidOpen());
        var reported = await server.Client.PullDiagnosticsUntilAsync(document.Uri, HasCG0001, Timeout);
        var appeared = timer.Elapsed;

        AssertCG0001(reported, document, Error);

        timer.Restart();
        await server.Client.NotifyAsync("textDocument/didChange", document.Change(version: 2, document.FixedText));
        reported = await server.Client.PullDiagnosticsUntilAsync(document.Uri, d => !HasCG0001(d), Timeout);
        var cleared = timer.Elapsed;
        AssertNoErrors(reported);

        server.Report(_output, "pull (textDocument/diagnostic), .editorconfig severity = error", appeared, cleared, reappeared: null);
    }

    private static bool HasCG0001(IReadOnlyList<LspDiagnostic> diagnostics) => diagnostics.Any(d => d.Code == "CG0001");

    private static void AssertCG0001(IReadOnlyList<LspDiagnostic> diagnostics, OpenDocument document, int severity)
    {
        var cg0001 = Assert.Single(diagnostics, d => d.Code == "CG0001");
        Assert.Equal(document.ExpiryArgument, cg0001.Range);
        Assert.Equal(severity, cg0001.Severity);
        Assert.Equal(HelpLink, cg0001.Href);
        Assert.Contains("'CloudTtl'", cg0001.Message, StringComparison.Ordinal);
    }

    /// <summary>The fixed text is real code: the server sees no compile error in it (CacheTtl resolves from the package).</summary>
    private static void AssertNoErrors(IReadOnlyList<LspDiagnostic> diagnostics) =>
        Assert.True(diagnostics.All(d => d.Severity != Error), "errors after the fix: " + string.Join("; ", diagnostics));

    private async Task<RunningServer> StartServerAsync(SampleProject sample, bool pullDiagnostics)
    {
        var timer = Stopwatch.StartNew();
        var executable = CSharpLs.EnsureInstalled();
        var install = timer.Elapsed;

        // The server's design-time build needs the restored assets (an editor's restore does this).
        timer.Restart();
        var restore = Repo.Run("dotnet", $"restore CacheGuard.Sample -nologo -p:CacheGuardPackageVersion={sample.Version}", sample.Root, TimeSpan.FromMinutes(5));
        Assert.True(restore.ExitCode == 0, restore.Output);
        var restored = timer.Elapsed;

        var analyzersOn = new JsonObject { ["analyzersEnabled"] = true };
        var configurationRequests = 0;
        JsonNode? AnswerServerRequest(string method, JsonNode? parameters)
        {
            if (method != "workspace/configuration")
                return null; // client/registerCapability, window/workDoneProgress/create, ...
            Interlocked.Increment(ref configurationRequests);
            var items = parameters?["items"]?.AsArray() ?? new JsonArray();
            // One answer per item: the "csharp" section itself, or the whole settings object.
            return new JsonArray(items.Select(item => item?["section"]?.GetValue<string>() switch
            {
                "csharp" => analyzersOn.DeepClone(),
                null or "" => new JsonObject { ["csharp"] = analyzersOn.DeepClone() },
                _ => null,
            }).ToArray());
        }

        timer.Restart();
        var client = LspClient.Start(executable, "--loglevel info --locale en-US", sample.Root,
            // The sample picks its CacheGuard version from this property; MSBuild reads it from the environment.
            new Dictionary<string, string>(CSharpLs.Environment) { ["CacheGuardPackageVersion"] = sample.Version },
            AnswerServerRequest);
        try
        {
            var rootUri = new Uri(sample.Root).AbsoluteUri;
            var textDocument = new JsonObject
            {
                ["synchronization"] = new JsonObject { ["didSave"] = true },
                ["publishDiagnostics"] = new JsonObject { ["versionSupport"] = false },
            };
            // csharp-ls pushes diagnostics unless the client says it can pull them.
            if (pullDiagnostics)
                textDocument["diagnostic"] = new JsonObject { ["dynamicRegistration"] = false };

            var initialize = await client.RequestAsync("initialize", new JsonObject
            {
                ["processId"] = Environment.ProcessId,
                ["rootUri"] = rootUri,
                ["workspaceFolders"] = new JsonArray(new JsonObject { ["uri"] = rootUri, ["name"] = "sample" }),
                ["capabilities"] = new JsonObject
                {
                    ["workspace"] = new JsonObject
                    {
                        ["configuration"] = true,
                        ["didChangeConfiguration"] = new JsonObject { ["dynamicRegistration"] = false },
                        ["workspaceFolders"] = true,
                    },
                    ["textDocument"] = textDocument,
                },
            }, Timeout);
            Assert.Equal("csharp-ls", initialize?["serverInfo"]?["name"]?.GetValue<string>());

            await client.NotifyAsync("initialized", new JsonObject());
            // Both ways a client hands settings over: the workspace/configuration answers above,
            // and a push of the settings (clients without workspace/configuration use only this).
            await client.NotifyAsync("workspace/didChangeConfiguration",
                new JsonObject { ["settings"] = new JsonObject { ["csharp"] = analyzersOn.DeepClone() } });
            return new RunningServer(client, install, restored, timer.Elapsed, () => Volatile.Read(ref configurationRequests));
        }
        catch
        {
            await client.DisposeAsync();
            throw;
        }
    }

    private sealed class RunningServer : IAsyncDisposable
    {
        private readonly TimeSpan _install;
        private readonly TimeSpan _restore;
        private readonly TimeSpan _initialize;
        private readonly Func<int> _configurationRequests;

        public RunningServer(LspClient client, TimeSpan install, TimeSpan restore, TimeSpan initialize, Func<int> configurationRequests)
        {
            Client = client;
            _install = install;
            _restore = restore;
            _initialize = initialize;
            _configurationRequests = configurationRequests;
        }

        public LspClient Client { get; }

        public void Report(ITestOutputHelper output, string model, TimeSpan appeared, TimeSpan cleared, TimeSpan? reappeared)
        {
            static string S(TimeSpan t) => $"{t.TotalSeconds,6:0.00} s";
            output.WriteLine($"csharp-ls {CSharpLs.Version}, diagnostics by {model}; {Environment.ProcessorCount} cores, {System.Runtime.InteropServices.RuntimeInformation.OSDescription}");
            output.WriteLine($"  csharp-ls install check/install     {S(_install)}");
            output.WriteLine($"  dotnet restore of the sample        {S(_restore)}");
            output.WriteLine($"  server start -> initialized         {S(_initialize)}");
            output.WriteLine($"  didOpen -> CG0001 appears (cold)    {S(appeared)}   (includes loading the project)");
            output.WriteLine($"  didChange (fixed) -> CG0001 clears  {S(cleared)}");
            if (reappeared is { } r)
                output.WriteLine($"  didChange (hole) -> CG0001 appears  {S(r)}   (warm server)");
            output.WriteLine($"  workspace/configuration requests answered: {_configurationRequests()}");
        }

        public ValueTask DisposeAsync() => Client.DisposeAsync();
    }

    /// <summary>TagCloudCache.cs as the editor holds it, and where its CG0001 must land.</summary>
    private sealed record OpenDocument(string Uri, string Text, string FixedText, LspRange ExpiryArgument)
    {
        public static OpenDocument Of(SampleProject sample)
        {
            var path = Path.Combine(sample.ProjectDirectory, FileName);
            var text = File.ReadAllText(path);

            // The expiry argument of the write on the line marked "// CG0001" (LSP lines and
            // characters are 0-based; the line is ASCII, so UTF-16 units are characters).
            var line = sample.LineOf(FileName, "// CG0001") - 1;
            var lineText = File.ReadAllLines(path)[line];
            const string argument = "json, CloudTtl)";
            var character = lineText.IndexOf(argument, StringComparison.Ordinal);
            Assert.True(character >= 0, $"'{argument}' not on the CG0001 line of {FileName}: {lineText}");
            character += "json, ".Length;
            var range = new LspRange(new LspPosition(line, character), new LspPosition(line, character + "CloudTtl".Length));

            // What the CG0001 code fix produces (the fix itself is covered by the CodeFix tests and
            // dotnet format): the expiry through the runtime's jitter, and its using directive.
            var fixedText = "using CacheGuard;\n" + text.Replace(argument, "json, CacheTtl.Jitter(CloudTtl))", StringComparison.Ordinal);
            Assert.Contains("CacheTtl.Jitter(CloudTtl)", fixedText, StringComparison.Ordinal);

            return new OpenDocument(new Uri(path).AbsoluteUri, text, fixedText, range);
        }

        public JsonObject DidOpen() => new()
        {
            ["textDocument"] = new JsonObject { ["uri"] = Uri, ["languageId"] = "csharp", ["version"] = 1, ["text"] = Text },
        };

        public JsonObject Change(int version, string text) => new()
        {
            ["textDocument"] = new JsonObject { ["uri"] = Uri, ["version"] = version },
            ["contentChanges"] = new JsonArray(new JsonObject { ["text"] = text }),
        };
    }
}
