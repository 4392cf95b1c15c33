using System.Diagnostics;
using System.Net.Sockets;
using System.Text;

namespace CacheGuard.Testing.Redis;

/// <summary>
/// One real <c>redis-server</c> on a free loopback port, in its own temp directory, with
/// persistence off. Can be stopped, killed, paused and restarted on the same port for fault tests.
/// Disposing kills it and deletes the directory.
/// </summary>
public sealed class RedisServerProcess : IAsyncDisposable, IDisposable
{
    private readonly string[] _extraArgs;
    private Process? _process;
    private readonly StringBuilder _log = new();

    private RedisServerProcess(int port, string directory, string[] extraArgs)
    {
        Port = port;
        Directory = directory;
        _extraArgs = extraArgs;
    }

    /// <summary>The TCP port the server listens on (stable across restarts).</summary>
    public int Port { get; }

    /// <summary>The server's working directory.</summary>
    public string Directory { get; }

    /// <summary>"127.0.0.1:port".</summary>
    public string Endpoint => $"127.0.0.1:{Port}";

    /// <summary>Whether the process is running (it may be paused).</summary>
    public bool IsRunning => _process is { HasExited: false };

    /// <summary>The process id of the running server, or null.</summary>
    public int? ProcessId => IsRunning ? _process!.Id : null;

    /// <summary>Starts a server on a free port and waits until it answers PING.</summary>
    public static async Task<RedisServerProcess> StartAsync(int? port = null, IEnumerable<string>? extraArgs = null, CancellationToken cancellationToken = default)
    {
        var p = port ?? FreePorts.Next(withClusterBus: extraArgs?.Contains("--cluster-enabled") == true);
        var dir = Path.Combine(Path.GetTempPath(), "cacheguard-redis-" + p + "-" + Guid.NewGuid().ToString("N")[..8]);
        System.IO.Directory.CreateDirectory(dir);
        var server = new RedisServerProcess(p, dir, extraArgs?.ToArray() ?? Array.Empty<string>());
        try
        {
            await server.RestartAsync(cancellationToken).ConfigureAwait(false);
        }
        catch
        {
            server.Dispose();
            throw;
        }
        return server;
    }

    /// <summary>Starts the server again on the same port (after <see cref="Kill"/> or <see cref="StopAsync"/>) and waits for PING.</summary>
    public async Task RestartAsync(CancellationToken cancellationToken = default)
    {
        if (IsRunning)
            throw new InvalidOperationException("The server is already running.");
        var (serverPath, _) = RedisBinaries.Locate();
        var psi = new ProcessStartInfo(serverPath)
        {
            WorkingDirectory = Directory,
            UseShellExecute = false,
            RedirectStandardOutput = true,
            RedirectStandardError = true,
        };
        foreach (var arg in new[] { "--port", Port.ToString(), "--bind", "127.0.0.1", "--save", "", "--appendonly", "no",
                     "--dir", Directory, "--protected-mode", "no", "--daemonize", "no", "--loglevel", "warning" }.Concat(_extraArgs))
            psi.ArgumentList.Add(arg);
        var process = Process.Start(psi) ?? throw new InvalidOperationException("redis-server did not start.");
        process.OutputDataReceived += (_, e) => { if (e.Data is not null) lock (_log) _log.AppendLine(e.Data); };
        process.ErrorDataReceived += (_, e) => { if (e.Data is not null) lock (_log) _log.AppendLine(e.Data); };
        process.BeginOutputReadLine();
        process.BeginErrorReadLine();
        _process = process;
        await WaitForPingAsync(TimeSpan.FromSeconds(20), cancellationToken).ConfigureAwait(false);
    }

    /// <summary>Kills the process at once (SIGKILL): connections drop, nothing is flushed.</summary>
    public void Kill()
    {
        var p = _process;
        if (p is { HasExited: false })
        {
            Resume();
            p.Kill(entireProcessTree: true);
            p.WaitForExit(10_000);
        }
    }

    /// <summary>Stops the server (kill, then wait for the port to close).</summary>
    public Task StopAsync()
    {
        Kill();
        return Task.CompletedTask;
    }

    /// <summary>Suspends the process (SIGSTOP): connections stay open but nothing answers.</summary>
    public void Pause() => Signal("STOP");

    /// <summary>Resumes a paused process (SIGCONT).</summary>
    public void Resume() => Signal("CONT");

    private void Signal(string name)
    {
        if (_process is not { HasExited: false } p) return;
        ProcessSignals.Send(p.Id, name, throwOnFailure: false);
    }

    /// <summary>Sends one command with redis-cli-free RESP over a fresh socket and returns the raw reply line(s).</summary>
    public Task<string> CommandAsync(params string[] args) => RawCommandAsync(Port, args);

    internal static async Task<string> RawCommandAsync(int port, string[] args, CancellationToken cancellationToken = default)
    {
        using var client = new TcpClient();
        using var timeout = CancellationTokenSource.CreateLinkedTokenSource(cancellationToken);
        timeout.CancelAfter(TimeSpan.FromSeconds(5));
        await client.ConnectAsync("127.0.0.1", port, timeout.Token).ConfigureAwait(false);
        var stream = client.GetStream();
        var sb = new StringBuilder();
        sb.Append('*').Append(args.Length).Append("\r\n");
        foreach (var a in args)
            sb.Append('$').Append(Encoding.UTF8.GetByteCount(a)).Append("\r\n").Append(a).Append("\r\n");
        var bytes = Encoding.UTF8.GetBytes(sb.ToString());
        await stream.WriteAsync(bytes, timeout.Token).ConfigureAwait(false);
        var buffer = new byte[64 * 1024];
        var total = new StringBuilder();
        // Read until the reply is complete enough for our purposes: one read of a short reply,
        // or until a bulk string's declared length arrived.
        do
        {
            var n = await stream.ReadAsync(buffer, timeout.Token).ConfigureAwait(false);
            if (n == 0) break;
            total.Append(Encoding.UTF8.GetString(buffer, 0, n));
        } while (!IsComplete(total.ToString()));
        return total.ToString();
    }

    private static bool IsComplete(string reply)
    {
        if (reply.Length == 0 || !reply.EndsWith("\r\n", StringComparison.Ordinal)) return false;
        if (reply[0] != '$') return true;
        var firstLine = reply.IndexOf("\r\n", StringComparison.Ordinal);
        var len = int.Parse(reply.AsSpan(1, firstLine - 1));
        return len < 0 || Encoding.UTF8.GetByteCount(reply) >= firstLine + 2 + len + 2;
    }

    private async Task WaitForPingAsync(TimeSpan timeout, CancellationToken cancellationToken)
    {
        var deadline = DateTime.UtcNow + timeout;
        Exception? last = null;
        while (DateTime.UtcNow < deadline)
        {
            cancellationToken.ThrowIfCancellationRequested();
            if (_process is { HasExited: true })
                throw new InvalidOperationException($"redis-server on port {Port} exited with code {_process.ExitCode}: {Log}");
            try
            {
                if ((await RawCommandAsync(Port, new[] { "PING" }, cancellationToken).ConfigureAwait(false)).StartsWith("+PONG", StringComparison.Ordinal))
                    return;
            }
            catch (Exception ex) when (ex is SocketException or IOException or OperationCanceledException && !cancellationToken.IsCancellationRequested)
            {
                last = ex;
            }
            await Task.Delay(25, cancellationToken).ConfigureAwait(false);
        }
        throw new TimeoutException($"redis-server on port {Port} did not answer PING within {timeout}: {Log}", last);
    }

    /// <summary>What the server printed (warnings and errors).</summary>
    public string Log { get { lock (_log) return _log.ToString(); } }

    /// <summary>Kills the server and deletes its directory.</summary>
    public void Dispose()
    {
        try { Kill(); } catch (InvalidOperationException) { }
        _process?.Dispose();
        _process = null;
        try { System.IO.Directory.Delete(Directory, recursive: true); } catch (IOException) { } catch (UnauthorizedAccessException) { }
    }

    /// <inheritdoc />
    public ValueTask DisposeAsync()
    {
        Dispose();
        return ValueTask.CompletedTask;
    }
}
