using System.Diagnostics;
using System.Threading.Channels;
using CacheGuard.Testing.Redis;

namespace CacheGuard.Runtime.Tests;

/// <summary>
/// A CacheGuard node in its own OS process (tests/CacheGuard.LeaseHolder): it can be killed, or
/// frozen with SIGSTOP and resumed with SIGCONT, which an in-process node cannot.
/// </summary>
public sealed class LeaseHolderProcess : IDisposable
{
    private readonly Process _process;
    private readonly Channel<string> _lines = Channel.CreateUnbounded<string>();

    private LeaseHolderProcess(Process process) => _process = process;

    /// <summary>Starts <c>CacheGuard.LeaseHolder &lt;endpoint&gt; &lt;key&gt; &lt;mode&gt; &lt;leaseTtlMs&gt;</c>.</summary>
    public static LeaseHolderProcess Start(string endpoint, string key, string mode, int leaseTtlMs)
    {
        var dll = Path.Combine(AppContext.BaseDirectory, "CacheGuard.LeaseHolder.dll");
        Assert.True(File.Exists(dll), dll + " missing");
        var psi = new ProcessStartInfo(Environment.GetEnvironmentVariable("DOTNET_HOST_PATH") ?? "dotnet")
        {
            RedirectStandardOutput = true,
            RedirectStandardError = true,
            RedirectStandardInput = true,
            UseShellExecute = false,
        };
        foreach (var a in new[] { dll, endpoint, key, mode, leaseTtlMs.ToString(System.Globalization.CultureInfo.InvariantCulture) })
            psi.ArgumentList.Add(a);
        var holder = new LeaseHolderProcess(Process.Start(psi)!);
        holder._process.OutputDataReceived += (_, e) => { if (e.Data is { Length: > 0 } line) holder._lines.Writer.TryWrite(line); };
        holder._process.ErrorDataReceived += (_, e) => { if (e.Data is { Length: > 0 } line) holder._lines.Writer.TryWrite("stderr: " + line); };
        holder._process.BeginOutputReadLine();
        holder._process.BeginErrorReadLine();
        return holder;
    }

    public int Id => _process.Id;
    public bool HasExited => _process.HasExited;
    public int ExitCode => _process.ExitCode;

    /// <summary>The next line the holder printed (stdout, or "stderr: ..."); fails after 60 s (a process start on a busy machine).</summary>
    public async Task<string> NextLineAsync() => await _lines.Reader.ReadAsync().AsTask().WaitAsync(TimeSpan.FromSeconds(60));

    /// <summary>Writes a line to the holder's stdin.</summary>
    public async Task SendLineAsync(string line)
    {
        await _process.StandardInput.WriteLineAsync(line);
        await _process.StandardInput.FlushAsync();
    }

    /// <summary>SIGSTOP: the holder is frozen (no lease renewal, nothing runs), its sockets stay open.</summary>
    public void Freeze() => ProcessSignals.Stop(_process.Id);

    /// <summary>SIGCONT.</summary>
    public void Thaw() => ProcessSignals.Continue(_process.Id);

    public void Kill() => _process.Kill(entireProcessTree: true);

    public Task WaitForExitAsync() => _process.WaitForExitAsync().WaitAsync(Bounded.Timeout);

    public void Dispose()
    {
        if (!_process.HasExited)
        {
            ProcessSignals.Send(_process.Id, "CONT", throwOnFailure: false);
            _process.Kill(entireProcessTree: true);
        }
        _process.Dispose();
    }
}
