using System.Text.RegularExpressions;
using CacheGuard.Analyzers.Tests.Infrastructure;
using Microsoft.CodeAnalysis;
using Microsoft.CodeAnalysis.CSharp;
using Microsoft.CodeAnalysis.CSharp.Syntax;

namespace CacheGuard.Analyzers.Tests.Robustness;

/// <summary>
/// One C# file the robustness tests mutate, with the files it compiles beside (left intact).
/// </summary>
public sealed record RobustnessInput(string Name, string Path, string Text, IReadOnlyList<(string Path, string Text)> Context, bool IsRuleSnippet = false)
{
    public IEnumerable<(string Path, string Text)> FilesWith(string text) => Context.Append((Path, text));
}

/// <summary>
/// Every C# test input of the repository: the valid-code corpus, the copied public eval cases
/// (<c>Robustness/Inputs</c>), the labelled cases under <c>tests/eval</c>, the sample consumer, and
/// the sources (before and after the fix) of every rule's unit tests. New rules' tests and cases
/// are picked up without touching this file.
/// </summary>
public static class RobustnessInputs
{
    private static readonly Lazy<IReadOnlyList<RobustnessInput>> Cached = new(Load);

    public static IReadOnlyList<RobustnessInput> All => Cached.Value;

    private static IReadOnlyList<RobustnessInput> Load()
    {
        var inputs = new List<RobustnessInput>();
        var tests = Repository.PathOf("tests", "CacheGuard.Analyzers.Tests");
        AddFolder(inputs, Path.Combine(tests, "ValidCode"));
        AddTree(inputs, Path.Combine(tests, "Robustness", "Inputs"));
        AddTree(inputs, Repository.PathOf("tests", "eval"));
        AddFolder(inputs, Repository.PathOf("samples", "CacheGuard.Sample"));
        AddRuleTestSources(inputs, Path.Combine(tests, "Rules"));
        return inputs;
    }

    private static void AddTree(List<RobustnessInput> inputs, string root)
    {
        if (!Directory.Exists(root))
            return;
        foreach (var folder in Directory.GetDirectories(root, "*", SearchOption.AllDirectories).Prepend(root).OrderBy(d => d, StringComparer.Ordinal))
            AddFolder(inputs, folder);
    }

    /// <summary>
    /// A folder with <c>_*.cs</c> files is a set of cases sharing those files (as cgeval compiles
    /// them); a folder without is one project whose files all compile together.
    /// </summary>
    private static void AddFolder(List<RobustnessInput> inputs, string folder)
    {
        if (!Directory.Exists(folder))
            return;
        var files = Directory.GetFiles(folder, "*.cs").OrderBy(f => f, StringComparer.Ordinal).Select(f => (Path: f, Text: File.ReadAllText(f))).ToList();
        if (files.Count == 0)
            return;
        var shared = files.Where(f => Path.GetFileName(f.Path).StartsWith('_')).ToList();
        foreach (var file in files)
        {
            var context = shared.Count > 0
                ? shared.Where(s => s.Path != file.Path).ToList()
                : files.Where(s => s.Path != file.Path).ToList();
            inputs.Add(new RobustnessInput(System.IO.Path.GetRelativePath(Repository.Root, file.Path), file.Path, file.Text, context));
        }
    }

    private static readonly Regex Markup = new(@"\{\|(?:[A-Z]{2}\d{4}|#\d+)(?::)?|\|\}|\[\||\|\]", RegexOptions.Compiled);

    /// <summary>
    /// Usings a rule test's snippet may take for granted when the extraction could not tell which
    /// constant it was concatenated to.
    /// </summary>
    private const string RuleSnippetUsings =
        "global using StackExchange.Redis;\nglobal using CacheGuard;\nglobal using System.Text.Json;\nglobal using System.Data.Common;\n" +
        "global using System.Collections.Concurrent;\nglobal using Microsoft.Extensions.Caching.Distributed;\n" +
        "global using Microsoft.Extensions.Caching.Memory;\nglobal using Microsoft.Extensions.Caching.Hybrid;\n";

    private static readonly Regex DeclaredType = new(@"\b(?:class|interface|record|struct|enum)\s+(\w+)", RegexOptions.Compiled);

    /// <summary>
    /// The C# sources in the rule tests' string literals, markup stripped, rebuilt as the tests
    /// build them: a constant of using directives in front (<c>Usings + source</c>) and the
    /// constants declaring the domain types behind (<c>+ Domain</c>).
    /// </summary>
    private static void AddRuleTestSources(List<RobustnessInput> inputs, string folder)
    {
        if (!Directory.Exists(folder))
            return;
        foreach (var file in Directory.GetFiles(folder, "*.cs").OrderBy(f => f, StringComparer.Ordinal))
        {
            var root = CSharpSyntaxTree.ParseText(File.ReadAllText(file)).GetRoot();
            var constants = root.DescendantNodes().OfType<VariableDeclaratorSyntax>()
                .Where(v => v.Initializer?.Value is LiteralExpressionSyntax { Token.Value: string })
                .GroupBy(v => v.Identifier.ValueText)
                .ToDictionary(g => g.Key, g => (LiteralExpressionSyntax)g.First().Initializer!.Value);
            var usings = constants.Where(c => IsUsings((string)c.Value.Token.Value!)).OrderBy(c => c.Key == "Usings" ? 0 : 1).ThenBy(c => c.Key, StringComparer.Ordinal).ToList();
            var declarations = constants.Where(c => !IsUsings((string)c.Value.Token.Value!) && DeclaredType.IsMatch((string)c.Value.Token.Value!)).OrderBy(c => c.Key, StringComparer.Ordinal).ToList();
            var parts = usings.Concat(declarations).Select(c => c.Value.Token).ToHashSet();

            var n = 0;
            foreach (var token in root.DescendantTokens())
            {
                if (!token.IsKind(SyntaxKind.MultiLineRawStringLiteralToken) && !token.IsKind(SyntaxKind.StringLiteralToken))
                    continue;
                if (parts.Contains(token))
                    continue;
                var source = token.ValueText;
                if (!DeclaredType.IsMatch(source))
                    continue;

                if (!source.Contains("using ", StringComparison.Ordinal) && usings.Count > 0)
                    source = (string)usings[0].Value.Token.Value! + source;
                var declared = DeclaredType.Matches(source).Select(m => m.Groups[1].Value).ToHashSet();
                foreach (var declaration in declarations)
                {
                    var text = (string)declaration.Value.Token.Value!;
                    if (!DeclaredType.Matches(text).Any(m => declared.Contains(m.Groups[1].Value)))
                        source += "\n" + text;
                }
                source = Markup.Replace(source, "");

                var line = token.GetLocation().GetLineSpan().StartLinePosition.Line + 1;
                var name = $"{System.IO.Path.GetRelativePath(Repository.Root, file)}:{line}";
                inputs.Add(new RobustnessInput(name, $"/rules/{System.IO.Path.GetFileNameWithoutExtension(file)}_{n++}.cs", source, new[] { ("/rules/GlobalUsings.Rules.g.cs", RuleSnippetUsings) }, IsRuleSnippet: true));
            }
        }
    }

    private static bool IsUsings(string text)
    {
        var lines = text.Split('\n').Select(l => l.Trim()).Where(l => l.Length > 0).ToList();
        return lines.Count > 0 && lines.All(l => l.StartsWith("using ", StringComparison.Ordinal) || l.StartsWith("//", StringComparison.Ordinal));
    }
}
