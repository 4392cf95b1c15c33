using System.Collections.Immutable;
using System.Globalization;
using System.Text;
using CacheGuard.Analyzers.Tests.Infrastructure;
using Microsoft.CodeAnalysis;
using Xunit.Abstractions;

namespace CacheGuard.Analyzers.Tests.Robustness;

/// <summary>
/// Every analyzer and every code fix (found by reflection) over every C# test input of the
/// repository, intact and mutated as code is while being typed: no analyzer exception (AD0001),
/// no code fix exception, and no fix that turns a file without compile errors into one with errors.
/// </summary>
/// <remarks>
/// The normal suite runs a bounded, seeded number of mutations. The long run:
/// <c>CACHEGUARD_MUTATIONS=20000 dotnet test tests/CacheGuard.Analyzers.Tests --filter Robustness</c>
/// (<c>CACHEGUARD_MUTATION_SEED</c> picks another seed, <c>CACHEGUARD_MUTATION_ONLY=17</c> replays one
/// mutation, <c>CACHEGUARD_MUTATION_PARALLELISM</c> runs several at once).
/// </remarks>
public class RobustnessTests
{
    private const int DefaultMutations = 300;
    private const int DefaultSeed = 20261126;
    private const int MaxFixesPerCheck = 12;

    private readonly ITestOutputHelper _output;

    public RobustnessTests(ITestOutputHelper output) => _output = output;

    [Fact]
    public void Inputs_IncludeEverySource()
    {
        var names = RobustnessInputs.All.Select(i => i.Name).ToList();
        Assert.Contains(names, n => n.Contains("ValidCode", StringComparison.Ordinal));
        Assert.Contains(names, n => n.Contains("eval-public", StringComparison.Ordinal));
        Assert.Contains(names, n => n.Contains("samples", StringComparison.Ordinal));
        Assert.Contains(names, n => n.Contains("Rules", StringComparison.Ordinal));
    }

    [Fact]
    public void Mutations_AreDeterministic()
    {
        var input = RobustnessInputs.All.First(i => i.Text.Length > 500);
        for (var i = 0; i < 20; i++)
        {
            var a = Mutator.Mutate(DefaultSeed, i, input.Name, input.Text);
            var b = Mutator.Mutate(DefaultSeed, i, input.Name, input.Text);
            Assert.Equal(a, b);
            Assert.NotEqual(input.Text, a.Text);
        }
        var kinds = Enumerable.Range(0, 200).Select(i => Mutator.Mutate(DefaultSeed, i, input.Name, input.Text).Kind).Distinct().Count();
        Assert.Equal(Enum.GetValues<MutationKind>().Length, kinds);
    }

    /// <summary>
    /// The inputs as they are, every analyzer together and every fix and Fix All applied: the
    /// baseline the mutations vary. The rule tests' own sources are left to their verifiers here
    /// (they check each fix's output already) and only join the mutations.
    /// </summary>
    [Fact]
    public async Task IntactInputs_NoCrash_AndNoFixBreaksTheBuild()
    {
        var failures = new List<string>();
        var stats = new Stats();
        var intact = RobustnessInputs.All.Where(i => !i.IsRuleSnippet).ToList();
        foreach (var input in intact)
        {
            var (found, firstError) = await CheckAsync(input.FilesWith(input.Text), input.Path, stats, fixAll: true);
            if (firstError is not null)
                _output.WriteLine($"does not compile as is: {input.Name}: {firstError}");
            if (found.Count > 0)
                failures.Add($"{input.Name}:\n  " + string.Join("\n  ", found));
        }
        _output.WriteLine($"inputs {intact.Count}, {stats}");
        Assert.True(failures.Count == 0, string.Join("\n\n", failures));
    }

    [Fact]
    public async Task Mutations_NoCrash_AndNoFixBreaksTheBuild()
    {
        var count = Setting("CACHEGUARD_MUTATIONS", DefaultMutations);
        var seed = Setting("CACHEGUARD_MUTATION_SEED", DefaultSeed);
        var only = Environment.GetEnvironmentVariable("CACHEGUARD_MUTATION_ONLY") is { Length: > 0 } o ? int.Parse(o, CultureInfo.InvariantCulture) : (int?)null;
        var parallelism = Setting("CACHEGUARD_MUTATION_PARALLELISM", 1);

        var inputs = RobustnessInputs.All;
        // Round-robin over a seeded shuffle of the inputs, so a short run still touches all of them.
        var order = inputs.OrderBy(i => i.Name, StringComparer.Ordinal).ToList();
        var shuffle = new Random(seed);
        order = order.OrderBy(_ => shuffle.Next()).ToList();

        var indices = only is { } one ? new[] { one } : Enumerable.Range(0, count).ToArray();
        var failures = new List<(Mutation Mutation, List<string> Problems)>();
        var stats = new Stats();
        var byKind = new Dictionary<MutationKind, int>();
        var cpuBefore = System.Diagnostics.Process.GetCurrentProcess().TotalProcessorTime;

        await Parallel.ForEachAsync(indices, new ParallelOptions { MaxDegreeOfParallelism = parallelism }, async (index, _) =>
        {
            var input = order[index % order.Count];
            var mutation = Mutator.Mutate(seed, index, input.Name, input.Text);
            var (problems, _) = await CheckAsync(input.FilesWith(mutation.Text), input.Path, stats, fixAll: index % 4 == 0);
            lock (failures)
            {
                byKind[mutation.Kind] = byKind.GetValueOrDefault(mutation.Kind) + 1;
                if (problems.Count > 0)
                    failures.Add((mutation, problems));
            }
        });

        var cpu = System.Diagnostics.Process.GetCurrentProcess().TotalProcessorTime - cpuBefore;
        _output.WriteLine($"seed {seed}, mutations {indices.Length} over {inputs.Count} inputs, {stats}, process CPU {cpu.TotalSeconds:0}s");
        _output.WriteLine("by kind: " + string.Join(", ", byKind.OrderBy(k => k.Key).Select(k => $"{k.Key} {k.Value}")));
        if (failures.Count == 0)
            return;

        var report = new StringBuilder();
        report.AppendLine(CultureInfo.InvariantCulture, $"{failures.Count} of {indices.Length} mutations failed (seed {seed}; replay one with CACHEGUARD_MUTATION_SEED={seed} CACHEGUARD_MUTATION_ONLY=<#>).");
        foreach (var (mutation, problems) in failures.OrderBy(f => f.Mutation.Index).Take(3))
        {
            report.AppendLine().AppendLine(mutation.ToString());
            foreach (var problem in problems)
                report.AppendLine("  " + problem);
            report.AppendLine("----- mutated text -----").AppendLine(mutation.Text).AppendLine("------------------------");
        }
        foreach (var (mutation, problems) in failures.OrderBy(f => f.Mutation.Index).Skip(3))
            report.AppendLine(CultureInfo.InvariantCulture, $"{mutation}: {problems[0].Split('\n')[0]}");
        Assert.Fail(report.ToString());
    }

    /// <summary>
    /// Compiles the files, runs every analyzer, then offers and applies every fix for every
    /// CacheGuard diagnostic in <paramref name="targetPath"/>; returns what went wrong, and the
    /// first compile error of the files as given.
    /// </summary>
    private static async Task<(List<string> Problems, Diagnostic? FirstError)> CheckAsync(IEnumerable<(string Path, string Text)> files, string targetPath, Stats stats, bool fixAll)
    {
        var problems = new List<string>();
        var project = AnalyzerHarness.CreateProject(files);
        var document = project.Documents.Single(d => d.FilePath == targetPath);
        var analysis = await AnalyzerHarness.AnalyzeAsync(project);
        var compilesBefore = analysis.CompileErrors.IsEmpty;
        problems.AddRange(analysis.Exceptions.Select(e => "analyzer exception: " + e));
        stats.Add(checks: 1, compiling: compilesBefore ? 1 : 0, diagnostics: analysis.Diagnostics.Length);

        var tree = await document.GetSyntaxTreeAsync();
        var here = analysis.Diagnostics.Where(d => d.Location.SourceTree == tree).ToImmutableArray();
        var applied = 0;
        var fixAllKeys = new HashSet<(Microsoft.CodeAnalysis.CodeFixes.CodeFixProvider, string, string?)>();
        foreach (var diagnostic in here)
        {
            foreach (var (provider, action) in await AnalyzerHarness.OfferedFixesAsync(document, diagnostic, problems))
            {
                fixAllKeys.Add((provider, diagnostic.Id, action.EquivalenceKey));
                if (applied++ >= MaxFixesPerCheck)
                    continue;
                var what = $"fix \"{action.Title}\" ({provider.GetType().Name}) for {AnalyzerHarness.Describe(diagnostic)}";
                var solution = await AnalyzerHarness.ApplyAsync(action, what, problems);
                await CheckFixedAsync(solution, project.Id, compilesBefore, what, problems, stats);
            }
        }

        if (fixAll)
        {
            foreach (var (provider, id, key) in fixAllKeys)
            {
                var what = $"Fix All ({provider.GetType().Name}, {id}, {key})";
                var solution = await AnalyzerHarness.FixAllInDocumentAsync(provider, document, id, key, here, problems);
                await CheckFixedAsync(solution, project.Id, compilesBefore, what, problems, stats);
            }
        }
        return (problems, analysis.CompileErrors.FirstOrDefault());
    }

    private static async Task CheckFixedAsync(Solution? solution, ProjectId projectId, bool compilesBefore, string what, List<string> problems, Stats stats)
    {
        if (solution is null)
            return;
        stats.Add(fixes: 1);
        var fixedProject = solution.GetProject(projectId)!;
        var after = await AnalyzerHarness.AnalyzeAsync(fixedProject);
        problems.AddRange(after.Exceptions.Select(e => $"analyzer exception after {what}: {e}"));
        if (compilesBefore && !after.CompileErrors.IsEmpty)
        {
            problems.Add($"{what} broke the build: {string.Join("; ", after.CompileErrors.Take(3))}");
            problems.Add("----- fixed text -----\n" + (await FixedTextAsync(fixedProject)) + "\n----------------------");
        }
    }

    private static async Task<string> FixedTextAsync(Project project)
    {
        var builder = new StringBuilder();
        foreach (var document in project.Documents.Where(d => d.FilePath is { } p && !p.EndsWith(".g.cs", StringComparison.Ordinal) && !Path.GetFileName(p).StartsWith('_')))
            builder.AppendLine(CultureInfo.InvariantCulture, $"// {document.FilePath}").Append((await document.GetTextAsync()).ToString());
        return builder.ToString();
    }

    private static int Setting(string name, int fallback) =>
        int.TryParse(Environment.GetEnvironmentVariable(name), NumberStyles.Integer, CultureInfo.InvariantCulture, out var value) && value > 0 ? value : fallback;

    private sealed class Stats
    {
        private int _checks, _compiling, _diagnostics, _fixes;

        public void Add(int checks = 0, int compiling = 0, int diagnostics = 0, int fixes = 0)
        {
            Interlocked.Add(ref _checks, checks);
            Interlocked.Add(ref _compiling, compiling);
            Interlocked.Add(ref _diagnostics, diagnostics);
            Interlocked.Add(ref _fixes, fixes);
        }

        public override string ToString() =>
            $"analyzed {_checks} ({_compiling} without compile errors), CacheGuard diagnostics {_diagnostics}, fixes applied {_fixes}";
    }
}
