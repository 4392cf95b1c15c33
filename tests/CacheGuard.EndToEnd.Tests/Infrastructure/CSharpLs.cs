namespace CacheGuard.EndToEnd.Tests.Infrastructure;

/// <summary>
/// The <c>csharp-ls</c> language server (https://github.com/razzmatazz/csharp-language-server), a
/// NuGet dotnet tool, installed once per machine into a stable temp directory and reused.
/// </summary>
public static class CSharpLs
{
    public const string Version = "0.28.0";

    private static readonly object Gate = new();
    private static string? _executable;

    /// <summary>
    /// Environment for the tool's processes: its launcher finds the .NET runtime through
    /// DOTNET_ROOT when dotnet is not in a default location (the test host knows where it is).
    /// </summary>
    public static IReadOnlyDictionary<string, string> Environment { get; } = FindEnvironment();

    public static string ToolDirectory { get; } =
        Path.Combine(Path.GetTempPath(), "cacheguard-e2e-tools", "csharp-ls-" + Version);

    /// <summary>
    /// The path of the installed <c>csharp-ls</c> executable; installs it with
    /// <c>dotnet tool install --tool-path</c> when it is missing. Throws with the installer's output
    /// when it cannot be installed or does not run: the editor test never skips.
    /// </summary>
    public static string EnsureInstalled()
    {
        lock (Gate)
        {
            if (_executable is not null)
                return _executable;

            var executable = Path.Combine(ToolDirectory, OperatingSystem.IsWindows() ? "csharp-ls.exe" : "csharp-ls");
            if (!File.Exists(executable) || !Runs(executable, out _))
            {
                // Install into a directory of our own, then move it into place: several test runs
                // on one machine may race to install.
                var staging = ToolDirectory + ".staging-" + Guid.NewGuid().ToString("N")[..8];
                var install = Repo.Run("dotnet", $"tool install csharp-ls --version {Version} --tool-path \"{staging}\"",
                    Path.GetTempPath(), TimeSpan.FromMinutes(5));
                if (install.ExitCode != 0)
                {
                    TryDelete(staging);
                    throw new InvalidOperationException(
                        $"could not install the csharp-ls language server (dotnet tool install csharp-ls --version {Version}); " +
                        "the editor test needs it (NuGet access to the csharp-ls package):\n" + install.Output);
                }
                TryDelete(ToolDirectory);
                Directory.CreateDirectory(Path.GetDirectoryName(ToolDirectory)!);
                try
                {
                    Directory.Move(staging, ToolDirectory);
                }
                catch (IOException) when (File.Exists(executable))
                {
                    // Another run won the race; use its copy.
                    TryDelete(staging);
                }
            }

            if (!Runs(executable, out var output))
            {
                throw new InvalidOperationException(
                    $"csharp-ls {Version} is installed in {ToolDirectory} but does not run (it targets .NET 10; " +
                    "with only a newer runtime, set DOTNET_ROLL_FORWARD=Major):\n" + output);
            }
            return _executable = executable;
        }
    }

    private static Dictionary<string, string> FindEnvironment()
    {
        var environment = new Dictionary<string, string>();
        var host = System.Environment.GetEnvironmentVariable("DOTNET_HOST_PATH");
        if (string.IsNullOrEmpty(System.Environment.GetEnvironmentVariable("DOTNET_ROOT")) && !string.IsNullOrEmpty(host))
            environment["DOTNET_ROOT"] = Path.GetDirectoryName(host)!;
        return environment;
    }

    private static bool Runs(string executable, out string output)
    {
        try
        {
            var version = Repo.Run(executable, "--version", Path.GetTempPath(), TimeSpan.FromMinutes(1), Environment.ToDictionary());
            output = version.Output;
            return version.ExitCode == 0 && version.Output.Contains(Version, StringComparison.Ordinal);
        }
        catch (Exception e) when (e is System.ComponentModel.Win32Exception or TimeoutException)
        {
            output = e.Message;
            return false;
        }
    }

    private static void TryDelete(string directory)
    {
        try
        {
            if (Directory.Exists(directory))
                Directory.Delete(directory, recursive: true);
        }
        catch (IOException) { }
        catch (UnauthorizedAccessException) { }
    }
}
