using System.Diagnostics;

namespace CacheGuard.Testing.Redis;

/// <summary>POSIX signals to a process the test started (a redis-server, a node in its own process).</summary>
public static class ProcessSignals
{
    /// <summary>SIGSTOP: the process is frozen; its sockets stay open but nothing it owns runs.</summary>
    public static void Stop(int pid) => Send(pid, "STOP");

    /// <summary>SIGCONT: a stopped process runs again.</summary>
    public static void Continue(int pid) => Send(pid, "CONT");

    /// <summary>Sends signal <paramref name="name"/> (without "SIG") with <c>kill</c> and waits for it to be
    /// delivered; throws if it was not (unless <paramref name="throwOnFailure"/> is false: the process may have exited).</summary>
    public static bool Send(int pid, string name, bool throwOnFailure = true)
    {
        using var kill = Process.Start(new ProcessStartInfo("kill", $"-{name} {pid}") { UseShellExecute = false, RedirectStandardError = true })
            ?? throw new InvalidOperationException("kill did not start.");
        var sent = kill.WaitForExit(10_000) && kill.ExitCode == 0;
        if (!sent && throwOnFailure)
            throw new InvalidOperationException($"kill -{name} {pid} failed: {kill.StandardError.ReadToEnd()}");
        return sent;
    }
}
