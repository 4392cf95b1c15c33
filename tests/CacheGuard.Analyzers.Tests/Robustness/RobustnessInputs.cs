using System.Text.RegularExpressions;
using CacheGuard.Analyzers.Tests.Infrastructure;
using Microsoft.CodeAnalysis;
using Microsoft.CodeAnalysis.CSharp;
using Microsoft.CodeAnalysis.CSharp.Syntax;

namespace CacheGuard.Analyzers.Tests.Robustness;

/// <summary>
/// One C# file the robustness tests mutate, with the files it compiles beside (left intact).
/// </summary>
public sealed record RobustnessInput(string Name, string Path, string Text, IReadOnlyList<(string Path, string Text)> Context)
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
    /// Usings a rule test's snippet may take for granted when it was concatenated to a constant the
    /// extraction could not resolve.
    /// </summary>
    private const string RuleSnippetUsings =
        "global using StackExchange.Redis;\nglobal using CacheGuard;\nglobal using System.Text.Json;\n" +
        "global using Microsoft.Extensions.Caching.Distributed;\nglobal using Microsoft.Extensions.Caching.Memory;\n" +
        "global using Microsoft.Extensions.Caching.Hybrid;\nglobal using Microsoft.EntityFrameworkCore;\nglobal using Dapper;\n";

    /// <summary>
    /// The C# sources in the rule tests' string literals, markup stripped; <c>Usings + """..."""</c>
    /// gets the constant's text in front.
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
                .ToDictionary(g => g.Key, g => (string)((LiteralExpressionSyntax)g.First().Initializer!.Value).Token.Value!);
            var n = 0;
            foreach (var token in root.DescendantTokens())
            {
                if (!token.IsKind(SyntaxKind.MultiLineRawStringLiteralToken) && !token.IsKind(SyntaxKind.StringLiteralToken))
                    continue;
                var source = token.ValueText;
                if (!source.Contains("class ", StringComparison.Ordinal) && !source.Contains("record ", StringComparison.Ordinal))
                    continue;
                if (token.Parent?.Parent is BinaryExpressionSyntax { RawKind: (int)SyntaxKind.AddExpression, Left: IdentifierNameSyntax prefix } add
                    && add.Right == token.Parent
                    && constants.TryGetValue(prefix.Identifier.ValueText, out var usings))
                {
                    source = usings + source;
                }
                source = Markup.Replace(source, "");
                var line = token.GetLocation().GetLineSpan().StartLinePosition.Line + 1;
                var name = $"{System.IO.Path.GetRelativePath(Repository.Root, file)}:{line}";
                inputs.Add(new RobustnessInput(name, $"/rules/{System.IO.Path.GetFileNameWithoutExtension(file)}_{n++}.cs", source, new[] { ("/rules/GlobalUsings.Rules.g.cs", RuleSnippetUsings) }));
            }
        }
    }
}
