using System.Text.RegularExpressions;

namespace CacheGuard.EndToEnd.Tests.Infrastructure;

/// <summary>
/// The consumer projects under Consumers/ (one per supported combination of target framework,
/// StackExchange.Redis and Microsoft.Extensions), restored from this run's local feed and built
/// once as one solution: build, <c>dotnet format analyzers</c> with every CacheGuard rule, build
/// again. One run serves every ConsumerTests test (they only read its results).
/// </summary>
public sealed class ConsumerRun
{
    public static readonly string[] Projects = { "Net8Redis28", "NetStandardLib", "Net8MemoryCache", "Net10Redis34" };
    private static readonly string[] RedisConsumers = { "Net8Redis28", "NetStandardLib", "Net10Redis34" };

    private static readonly object Gate = new();
    private static ConsumerRun? _instance;

    private static readonly Regex Diagnostic = new(@"^(?<path>[^\s(][^(]*)\((?<line>\d+),\d+\): (?<severity>warning|error) (?<id>CG\d{4}):", RegexOptions.Compiled | RegexOptions.Multiline);

    private ConsumerRun(PackageFixture package)
    {
        Root = Path.Combine(package.WorkDirectory, "consumers");
        Repo.CopyDirectory(Path.Combine(Repo.Root, "tests", "CacheGuard.EndToEnd.Tests", "Consumers"), Root);
        foreach (var consumer in RedisConsumers)
        {
            foreach (var file in Directory.GetFiles(Path.Combine(Root, "Shared")))
                File.Copy(file, Path.Combine(Root, consumer, Path.GetFileName(file)));
        }
        Directory.Delete(Path.Combine(Root, "Shared"), recursive: true);
        File.Copy(Path.Combine(package.WorkDirectory, "nuget.config"), Path.Combine(Root, "nuget.config"));
        WriteSolution(Path.Combine(Root, "Consumers.sln"));
        Markers = Projects.ToDictionary(p => p, p => ReadMarkers(Path.Combine(Root, p)));

        var version = $"-p:CacheGuardPackageVersion={package.Version}";
        Before = Repo.Run("dotnet", $"build Consumers.sln -nologo {version}", Root, TimeSpan.FromMinutes(10));
        Format = Repo.Run("dotnet", "format analyzers Consumers.sln --no-restore --severity warn --diagnostics CG0001 CG0002 CG0003 CG0004 CG0005 CG0006 CG0007 CG0008", Root, TimeSpan.FromMinutes(10),
            new Dictionary<string, string> { ["CacheGuardPackageVersion"] = package.Version });
        // --no-incremental: a project the format left unchanged must still report what is left.
        After = Repo.Run("dotnet", $"build Consumers.sln --no-restore --no-incremental -nologo {version}", Root, TimeSpan.FromMinutes(10));
    }

    public static ConsumerRun For(PackageFixture package)
    {
        lock (Gate)
            return _instance ??= new ConsumerRun(package);
    }

    public string Root { get; }
    public ProcessResult Before { get; }
    public ProcessResult Format { get; }
    public ProcessResult After { get; }

    /// <summary>Per project: the (file, line, rule) each <c>// CGxxxx</c> comment in its sources marks.</summary>
    public IReadOnlyDictionary<string, SortedSet<string>> Markers { get; }

    /// <summary>The CacheGuard diagnostics a build reported in <paramref name="project"/>'s sources, as "file:line:CGxxxx".</summary>
    public SortedSet<string> DiagnosticsIn(ProcessResult build, string project)
    {
        var directory = Path.Combine(Root, project) + Path.DirectorySeparatorChar;
        var found = new SortedSet<string>(StringComparer.Ordinal);
        foreach (Match match in Diagnostic.Matches(build.Output))
        {
            var path = match.Groups["path"].Value.Trim();
            if (path.StartsWith(directory, StringComparison.Ordinal))
                found.Add($"{Path.GetFileName(path)}:{match.Groups["line"].Value}:{match.Groups["id"].Value}");
        }
        return found;
    }

    public string Source(string project, string file) => File.ReadAllText(Path.Combine(Root, project, file));

    public string AssetsFile(string project) => File.ReadAllText(Path.Combine(Root, project, "obj", "project.assets.json"));

    private static SortedSet<string> ReadMarkers(string directory)
    {
        var markers = new SortedSet<string>(StringComparer.Ordinal);
        foreach (var file in Directory.GetFiles(directory, "*.cs"))
        {
            var lines = File.ReadAllLines(file);
            for (var i = 0; i < lines.Length; i++)
            {
                var comment = lines[i].IndexOf("// CG", StringComparison.Ordinal);
                if (comment < 0)
                    continue;
                foreach (Match id in Regex.Matches(lines[i][comment..], @"CG\d{4}"))
                    markers.Add($"{Path.GetFileName(file)}:{i + 1}:{id.Value}");
            }
        }
        return markers;
    }

    private static void WriteSolution(string path)
    {
        const string csharp = "FAE04EC0-301F-11D3-BF4B-00C04F79EFBC";
        var lines = new List<string> { "", "Microsoft Visual Studio Solution File, Format Version 12.00", "# Visual Studio Version 17" };
        var ids = Projects.ToDictionary(p => p, _ => Guid.NewGuid().ToString("B").ToUpperInvariant());
        foreach (var project in Projects)
        {
            lines.Add($"Project(\"{{{csharp}}}\") = \"{project}\", \"{project}\\{project}.csproj\", \"{ids[project]}\"");
            lines.Add("EndProject");
        }
        lines.Add("Global");
        lines.Add("\tGlobalSection(SolutionConfigurationPlatforms) = preSolution");
        lines.Add("\t\tDebug|Any CPU = Debug|Any CPU");
        lines.Add("\tEndGlobalSection");
        lines.Add("\tGlobalSection(ProjectConfigurationPlatforms) = postSolution");
        foreach (var project in Projects)
        {
            lines.Add($"\t\t{ids[project]}.Debug|Any CPU.ActiveCfg = Debug|Any CPU");
            lines.Add($"\t\t{ids[project]}.Debug|Any CPU.Build.0 = Debug|Any CPU");
        }
        lines.Add("\tEndGlobalSection");
        lines.Add("EndGlobal");
        File.WriteAllLines(path, lines);
    }
}
