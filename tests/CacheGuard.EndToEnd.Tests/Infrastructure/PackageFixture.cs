using System.IO.Compression;

namespace CacheGuard.EndToEnd.Tests.Infrastructure;

/// <summary>
/// Packs both packages (CacheGuard and CacheGuard.Analyzers, with eng/pack-local.sh) once per test
/// run into a temporary local feed, with a version of their own so no consumer ever restores a
/// stale copy from the NuGet cache.
/// </summary>
public sealed class PackageFixture : IDisposable
{
    public PackageFixture()
    {
        WorkDirectory = Path.Combine(Path.GetTempPath(), "cacheguard-e2e-" + Guid.NewGuid().ToString("N")[..8]);
        Feed = Path.Combine(WorkDirectory, "feed");
        Directory.CreateDirectory(Feed);
        Version = $"0.1.0-e2e.{DateTimeOffset.UtcNow.ToUnixTimeSeconds()}.{Environment.ProcessId}";

        var pack = Repo.Run("bash", $"eng/pack-local.sh \"{Feed}\" {Version}", Repo.Root, TimeSpan.FromMinutes(10));
        if (pack.ExitCode != 0)
            throw new InvalidOperationException("eng/pack-local.sh failed:\n" + pack.Output);
        PackagePath = Path.Combine(Feed, $"CacheGuard.{Version}.nupkg");
        AnalyzersPackagePath = Path.Combine(Feed, $"CacheGuard.Analyzers.{Version}.nupkg");

        // The local feed first; the machine's offline package folder, when it has one, before the registry.
        var offline = Directory.Exists("/opt/nuget/packages") ? "\n                <add key=\"offline\" value=\"/opt/nuget/packages\" />" : "";

        File.WriteAllText(Path.Combine(WorkDirectory, "nuget.config"), $"""
            <?xml version="1.0" encoding="utf-8"?>
            <configuration>
              <packageSources>
                <clear />
                <add key="local" value="{Feed}" />{offline}
                <add key="nuget.org" value="https://api.nuget.org/v3/index.json" />
              </packageSources>
            </configuration>
            """);
    }

    public string WorkDirectory { get; }
    public string Feed { get; }
    public string Version { get; }
    public string PackagePath { get; }
    public string AnalyzersPackagePath { get; }

    /// <summary>A fresh copy of the sample consumer, restoring this run's package from the local feed.</summary>
    public SampleProject CopySample()
    {
        var dir = Path.Combine(WorkDirectory, "sample-" + Guid.NewGuid().ToString("N")[..8]);
        Repo.CopyDirectory(Path.Combine(Repo.Root, "samples"), dir);
        File.Copy(Path.Combine(WorkDirectory, "nuget.config"), Path.Combine(dir, "nuget.config"));
        return new SampleProject(dir, Version);
    }

    public ZipArchive OpenPackage() => ZipFile.OpenRead(PackagePath);

    public ZipArchive OpenAnalyzersPackage() => ZipFile.OpenRead(AnalyzersPackagePath);

    public void Dispose()
    {
        try { Directory.Delete(WorkDirectory, recursive: true); }
        catch (IOException) { }
        catch (UnauthorizedAccessException) { }
    }
}

/// <summary>One copy of samples/ (the props plus CacheGuard.Sample) in a temporary directory.</summary>
public sealed class SampleProject
{
    public SampleProject(string root, string version)
    {
        Root = root;
        Version = version;
    }

    public string Root { get; }
    public string Version { get; }
    public string ProjectDirectory => Path.Combine(Root, "CacheGuard.Sample");

    public ProcessResult Build(string extraArguments = "") =>
        Repo.Run("dotnet", $"build CacheGuard.Sample --no-incremental -nologo -p:CacheGuardPackageVersion={Version} {extraArguments}", Root, TimeSpan.FromMinutes(5));

    public ProcessResult Format(string arguments) =>
        Repo.Run("dotnet", $"format analyzers CacheGuard.Sample/CacheGuard.Sample.csproj {arguments}", Root, TimeSpan.FromMinutes(5),
            new Dictionary<string, string> { ["CacheGuardPackageVersion"] = Version });

    public void WriteEditorConfig(string content) =>
        File.WriteAllText(Path.Combine(Root, ".editorconfig"), "root = true\n\n[*.cs]\n" + content + "\n");

    public string ReadSource(string fileName) => File.ReadAllText(Path.Combine(ProjectDirectory, fileName));

    /// <summary>The 1-based line of the first line of <paramref name="fileName"/> containing <paramref name="marker"/>.</summary>
    public int LineOf(string fileName, string marker)
    {
        var lines = File.ReadAllLines(Path.Combine(ProjectDirectory, fileName));
        for (var i = 0; i < lines.Length; i++)
        {
            if (lines[i].Contains(marker, StringComparison.Ordinal))
                return i + 1;
        }
        throw new InvalidOperationException($"'{marker}' not found in {fileName}");
    }
}
