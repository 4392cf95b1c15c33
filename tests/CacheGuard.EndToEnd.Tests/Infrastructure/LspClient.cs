using System.Collections.Concurrent;
using System.Diagnostics;
using System.Text;
using System.Text.Json;
using System.Text.Json.Nodes;

namespace CacheGuard.EndToEnd.Tests.Infrastructure;

/// <summary>
/// A small Language Server Protocol client: JSON-RPC 2.0 over a server process's stdin/stdout with
/// <c>Content-Length</c> framing. Enough of the protocol to drive a real server the way an editor
/// does: requests and notifications, answers to the server's own requests
/// (<c>workspace/configuration</c>, <c>client/registerCapability</c>, …) and the diagnostics it
/// pushes (<c>textDocument/publishDiagnostics</c>).
/// </summary>
public sealed class LspClient : IAsyncDisposable
{
    private readonly Process _process;
    private readonly Stream _input;
    private readonly SemaphoreSlim _writeLock = new(1, 1);
    private readonly ConcurrentDictionary<long, TaskCompletionSource<JsonNode?>> _pending = new();
    private readonly Func<string, JsonNode?, JsonNode?> _serverRequestHandler;
    private readonly StringBuilder _log = new();
    private readonly object _diagnosticsGate = new();
    private readonly Dictionary<string, PublishedDiagnostics> _published = new(StringComparer.Ordinal);
    private readonly Task _readLoop;
    private long _nextId;
    private long _publishSequence;
    private TaskCompletionSource _diagnosticsChanged = new(TaskCreationOptions.RunContinuationsAsynchronously);
    private volatile Exception? _readFailure;

    private LspClient(Process process, Func<string, JsonNode?, JsonNode?> serverRequestHandler)
    {
        _process = process;
        _input = process.StandardInput.BaseStream;
        _serverRequestHandler = serverRequestHandler;
        process.ErrorDataReceived += (_, e) => { if (e.Data is not null) AppendLog("stderr: " + e.Data); };
        process.BeginErrorReadLine();
        _readLoop = Task.Run(ReadLoopAsync);
    }

    /// <summary>
    /// Starts <paramref name="fileName"/> as a language server speaking LSP on stdio.
    /// <paramref name="serverRequestHandler"/> answers requests the server sends to the client
    /// (method, params → result); it runs on the reader thread and must not block.
    /// </summary>
    public static LspClient Start(string fileName, string arguments, string workingDirectory,
        IDictionary<string, string> environment, Func<string, JsonNode?, JsonNode?> serverRequestHandler)
    {
        var start = new ProcessStartInfo(fileName, arguments)
        {
            WorkingDirectory = workingDirectory,
            RedirectStandardInput = true,
            RedirectStandardOutput = true,
            RedirectStandardError = true,
            UseShellExecute = false,
        };
        start.Environment["DOTNET_CLI_TELEMETRY_OPTOUT"] = "1";
        start.Environment["DOTNET_NOLOGO"] = "1";
        // The test host's MSBuild settings must not leak into the server's own MSBuild (it locates
        // the SDK itself and runs design-time builds of the project).
        foreach (var name in new[] { "MSBuildExtensionsPath", "MSBuildSDKsPath", "MSBUILD_EXE_PATH", "DOTNET_HOST_PATH", "MSBuildLoadMicrosoftTargetsReadOnly" })
            start.Environment.Remove(name);
        foreach (var (key, value) in environment)
            start.Environment[key] = value;

        var process = Process.Start(start) ?? throw new InvalidOperationException($"could not start {fileName}");
        return new LspClient(process, serverRequestHandler);
    }

    /// <summary>Everything the server said besides protocol traffic: stderr, window/logMessage, window/showMessage.</summary>
    public string Log
    {
        get { lock (_log) return _log.ToString(); }
    }

    public async Task<JsonNode?> RequestAsync(string method, JsonNode? parameters, TimeSpan timeout)
    {
        var id = Interlocked.Increment(ref _nextId);
        var response = new TaskCompletionSource<JsonNode?>(TaskCreationOptions.RunContinuationsAsynchronously);
        _pending[id] = response;
        await SendAsync(new JsonObject { ["jsonrpc"] = "2.0", ["id"] = id, ["method"] = method, ["params"] = parameters });
        try
        {
            return await response.Task.WaitAsync(timeout);
        }
        catch (TimeoutException)
        {
            throw new TimeoutException($"no response to '{method}' within {timeout}; {Describe()}");
        }
        finally
        {
            _pending.TryRemove(id, out _);
        }
    }

    public Task NotifyAsync(string method, JsonNode? parameters) =>
        SendAsync(new JsonObject { ["jsonrpc"] = "2.0", ["method"] = method, ["params"] = parameters });

    /// <summary>The sequence number of the last <c>publishDiagnostics</c> received (for any document).</summary>
    public long PublishSequence => Interlocked.Read(ref _publishSequence);

    /// <summary>
    /// Waits until the server has pushed, for <paramref name="uri"/>, a diagnostics set newer than
    /// <paramref name="afterSequence"/> that satisfies <paramref name="condition"/>, and returns it.
    /// </summary>
    public async Task<IReadOnlyList<LspDiagnostic>> WaitForPublishedDiagnosticsAsync(
        string uri, long afterSequence, Func<IReadOnlyList<LspDiagnostic>, bool> condition, TimeSpan timeout)
    {
        uri = NormalizeUri(uri);
        var deadline = Stopwatch.StartNew();
        while (true)
        {
            Task changed;
            lock (_diagnosticsGate)
            {
                if (_published.TryGetValue(uri, out var latest) && latest.Sequence > afterSequence && condition(latest.Diagnostics))
                    return latest.Diagnostics;
                changed = _diagnosticsChanged.Task;
            }

            var remaining = timeout - deadline.Elapsed;
            if (remaining <= TimeSpan.Zero)
                throw new TimeoutException($"the expected diagnostics for {uri} were not published within {timeout}; {Describe(uri)}");
            if (_readFailure is not null)
                throw new InvalidOperationException($"the server connection failed; {Describe(uri)}", _readFailure);
            try
            {
                await changed.WaitAsync(remaining);
            }
            catch (TimeoutException)
            {
                // Loop once more: report with the latest state.
            }
        }
    }

    /// <summary>
    /// Asks for <paramref name="uri"/>'s diagnostics (<c>textDocument/diagnostic</c>, pull model)
    /// until the report satisfies <paramref name="condition"/>, and returns it.
    /// </summary>
    public async Task<IReadOnlyList<LspDiagnostic>> PullDiagnosticsUntilAsync(
        string uri, Func<IReadOnlyList<LspDiagnostic>, bool> condition, TimeSpan timeout)
    {
        var deadline = Stopwatch.StartNew();
        IReadOnlyList<LspDiagnostic> last = Array.Empty<LspDiagnostic>();
        while (deadline.Elapsed < timeout)
        {
            var report = await RequestAsync("textDocument/diagnostic",
                new JsonObject { ["textDocument"] = new JsonObject { ["uri"] = uri } }, timeout - deadline.Elapsed);
            if (report?["kind"]?.GetValue<string>() == "full")
            {
                last = ParseDiagnostics(report["items"]);
                if (condition(last))
                    return last;
            }
            await Task.Delay(TimeSpan.FromMilliseconds(250));
        }
        throw new TimeoutException($"the expected diagnostics for {uri} were not reported within {timeout}; last report: [{string.Join("; ", last)}]; {Describe()}");
    }

    /// <summary>Polite shutdown (shutdown request, exit notification), then the process tree is ended if it lingers.</summary>
    public async ValueTask DisposeAsync()
    {
        try
        {
            if (!_process.HasExited && _readFailure is null)
            {
                await RequestAsync("shutdown", null, TimeSpan.FromSeconds(10));
                await NotifyAsync("exit", null);
                await _process.WaitForExitAsync().WaitAsync(TimeSpan.FromSeconds(10));
            }
        }
        catch (Exception e) when (e is TimeoutException or IOException or InvalidOperationException or LspException)
        {
            // Ended below.
        }
        finally
        {
            if (!_process.HasExited)
                _process.Kill(entireProcessTree: true);
            _process.Dispose();
            _writeLock.Dispose();
        }
    }

    private async Task SendAsync(JsonObject message)
    {
        var body = Encoding.UTF8.GetBytes(message.ToJsonString());
        var header = Encoding.ASCII.GetBytes($"Content-Length: {body.Length}\r\n\r\n");
        await _writeLock.WaitAsync();
        try
        {
            await _input.WriteAsync(header);
            await _input.WriteAsync(body);
            await _input.FlushAsync();
        }
        finally
        {
            _writeLock.Release();
        }
    }

    private async Task ReadLoopAsync()
    {
        var output = _process.StandardOutput.BaseStream;
        try
        {
            while (true)
            {
                var length = await ReadHeadersAsync(output);
                if (length < 0)
                    break;
                var body = new byte[length];
                await output.ReadExactlyAsync(body);
                var message = JsonNode.Parse(body)?.AsObject() ?? throw new InvalidDataException("empty JSON-RPC message");
                await DispatchAsync(message);
            }
            throw new EndOfStreamException("the server closed its output (exit code " + (_process.WaitForExit(5000) ? _process.ExitCode.ToString() : "?") + ")");
        }
        catch (Exception e)
        {
            _readFailure = e;
            foreach (var pending in _pending.Values)
                pending.TrySetException(new InvalidOperationException("the server connection failed; " + Describe(), e));
            lock (_diagnosticsGate)
                _diagnosticsChanged.TrySetResult();
        }
    }

    /// <summary>Reads the header block; returns the Content-Length, or -1 at end of stream.</summary>
    private static async Task<int> ReadHeadersAsync(Stream stream)
    {
        var length = -1;
        var line = new StringBuilder();
        var one = new byte[1];
        while (true)
        {
            if (await stream.ReadAsync(one) == 0)
                return -1;
            if (one[0] != (byte)'\n')
            {
                if (one[0] != (byte)'\r')
                    line.Append((char)one[0]);
                continue;
            }
            if (line.Length == 0)
            {
                if (length < 0)
                    throw new InvalidDataException("JSON-RPC message without Content-Length");
                return length;
            }
            var text = line.ToString();
            line.Clear();
            var colon = text.IndexOf(':');
            if (colon > 0 && text[..colon].Trim().Equals("Content-Length", StringComparison.OrdinalIgnoreCase))
                length = int.Parse(text[(colon + 1)..].Trim(), System.Globalization.CultureInfo.InvariantCulture);
        }
    }

    private async Task DispatchAsync(JsonObject message)
    {
        var method = message["method"]?.GetValue<string>();
        var id = message["id"];
        if (method is not null && id is not null)
        {
            // A request from the server to the client.
            JsonNode? result;
            try
            {
                result = _serverRequestHandler(method, message["params"]);
            }
            catch (Exception e)
            {
                AppendLog($"client failed to answer {method}: {e}");
                result = null;
            }
            await SendAsync(new JsonObject { ["jsonrpc"] = "2.0", ["id"] = id.DeepClone(), ["result"] = result });
            return;
        }
        if (method is not null)
        {
            OnNotification(method, message["params"]);
            return;
        }
        if (id is not null && _pending.TryGetValue(id.GetValue<long>(), out var response))
        {
            if (message["error"] is { } error)
                response.TrySetException(new LspException(error["code"]?.GetValue<int>() ?? 0, error["message"]?.GetValue<string>() ?? error.ToJsonString()));
            else
                response.TrySetResult(message["result"]);
        }
    }

    private void OnNotification(string method, JsonNode? parameters)
    {
        switch (method)
        {
            case "textDocument/publishDiagnostics":
                var uri = NormalizeUri(parameters?["uri"]?.GetValue<string>() ?? "");
                var diagnostics = ParseDiagnostics(parameters?["diagnostics"]);
                lock (_diagnosticsGate)
                {
                    _published[uri] = new PublishedDiagnostics(Interlocked.Increment(ref _publishSequence), diagnostics);
                    var changed = _diagnosticsChanged;
                    _diagnosticsChanged = new TaskCompletionSource(TaskCreationOptions.RunContinuationsAsynchronously);
                    changed.TrySetResult();
                }
                AppendLog($"publishDiagnostics {uri}: [{string.Join("; ", diagnostics)}]");
                break;
            case "window/logMessage":
            case "window/showMessage":
                AppendLog(method + ": " + parameters?["message"]?.GetValue<string>());
                break;
        }
    }

    public static IReadOnlyList<LspDiagnostic> ParseDiagnostics(JsonNode? array)
    {
        if (array is not JsonArray items)
            return Array.Empty<LspDiagnostic>();
        return items.Where(d => d is not null).Select(d => new LspDiagnostic(
            Code: d!["code"]?.ToString(),
            Range: new LspRange(
                new LspPosition(d["range"]!["start"]!["line"]!.GetValue<int>(), d["range"]!["start"]!["character"]!.GetValue<int>()),
                new LspPosition(d["range"]!["end"]!["line"]!.GetValue<int>(), d["range"]!["end"]!["character"]!.GetValue<int>())),
            Severity: d["severity"]?.GetValue<int>(),
            Href: d["codeDescription"]?["href"]?.GetValue<string>(),
            Message: d["message"]?.GetValue<string>() ?? "")).ToList();
    }

    /// <summary>One spelling per file (servers may escape or case a file URI differently from the client).</summary>
    private static string NormalizeUri(string uri) =>
        Uri.TryCreate(uri, UriKind.Absolute, out var parsed) && parsed.IsFile ? new Uri(parsed.LocalPath).AbsoluteUri : uri;

    private void AppendLog(string line)
    {
        lock (_log)
        {
            // Bounded: the tail is what a failure message needs.
            if (_log.Length > 200_000)
                _log.Remove(0, 100_000);
            _log.AppendLine(line);
        }
    }

    private string Describe(string? uri = null)
    {
        string published;
        lock (_diagnosticsGate)
        {
            published = uri is not null && _published.TryGetValue(uri, out var latest)
                ? $"last published: [{string.Join("; ", latest.Diagnostics)}]"
                : "nothing published for it";
        }
        var log = Log;
        if (log.Length > 8000)
            log = "…" + log[^8000..];
        return $"server {(_process.HasExited ? "exited" : "running")}; {(uri is null ? "" : published + "; ")}server log:\n{log}";
    }

    private sealed record PublishedDiagnostics(long Sequence, IReadOnlyList<LspDiagnostic> Diagnostics);
}

public sealed record LspPosition(int Line, int Character)
{
    public override string ToString() => $"{Line}:{Character}";
}

public sealed record LspRange(LspPosition Start, LspPosition End)
{
    public override string ToString() => $"{Start}-{End}";
}

/// <summary>An LSP diagnostic; <see cref="Severity"/> is 1 Error, 2 Warning, 3 Information, 4 Hint.</summary>
public sealed record LspDiagnostic(string? Code, LspRange Range, int? Severity, string? Href, string Message)
{
    public override string ToString() => $"{Code} {Range} severity {Severity}: {Message}";
}

public sealed class LspException : Exception
{
    public LspException(int code, string message) : base($"LSP error {code}: {message}") => Code = code;

    public int Code { get; }
}
