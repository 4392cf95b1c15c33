using System.Diagnostics;

namespace CacheGuard.Testing.Redis;

/// <summary>
/// Finds <c>redis-server</c> and <c>redis-cli</c>. When they are missing and the process runs as
/// root, installs them with apt; otherwise fails with a message saying what to install. Never
/// reports "skip": a test that needs Redis fails when Redis can't start.
/// </summary>
public static class RedisBinaries
{
    private static readonly object Gate = new();
    private static (string Server, string Cli)? _found;

    /// <summary>The full paths of redis-server and redis-cli.</summary>
    /// <exception cref="InvalidOperationException">Redis is not installed and can't be installed here.</exception>
    public static (string Server, string Cli) Locate()
    {
        lock (Gate)
        {
            if (_found is { } found)
                return found;
            var server = Find("redis-server");
            var cli = Find("redis-cli");
            if (server is null || cli is null)
            {
                TryInstall();
                server = Find("redis-server");
                cli = Find("redis-cli");
            }
            if (server is null || cli is null)
                throw new InvalidOperationException(
                    "redis-server/redis-cli were not found on PATH and could not be installed. Install Redis 7 " +
                    "(e.g. 'apt-get install -y redis-server') and run the tests again. These tests never skip.");
            _found = (server, cli);
            return _found.Value;
        }
    }

    private static string? Find(string name)
    {
        var path = Environment.GetEnvironmentVariable("PATH") ?? "";
        foreach (var dir in path.Split(Path.PathSeparator).Concat(new[] { "/usr/bin", "/usr/local/bin", "/usr/sbin" }))
        {
            if (dir.Length == 0) continue;
            var candidate = Path.Combine(dir, name);
            if (File.Exists(candidate))
                return candidate;
        }
        return null;
    }

    private static void TryInstall()
    {
        if (!OperatingSystem.IsLinux() || Environment.UserName != "root" || Find("apt-get") is not { } apt)
            return;
        // One attempt; its output goes to the test log through the exception if Redis is still missing.
        Run(apt, "install -y redis-server");
        if (Find("redis-server") is null)
        {
            Run(apt, "update");
            Run(apt, "install -y redis-server");
        }
    }

    private static void Run(string file, string args)
    {
        var psi = new ProcessStartInfo(file, args) { RedirectStandardOutput = true, RedirectStandardError = true, UseShellExecute = false };
        psi.Environment["DEBIAN_FRONTEND"] = "noninteractive";
        using var p = Process.Start(psi)!;
        p.StandardOutput.ReadToEndAsync();
        p.StandardError.ReadToEndAsync();
        p.WaitForExit(600_000);
    }
}
