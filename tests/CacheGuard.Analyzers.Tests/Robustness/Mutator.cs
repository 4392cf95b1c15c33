using Microsoft.CodeAnalysis;
using Microsoft.CodeAnalysis.CSharp;
using Microsoft.CodeAnalysis.CSharp.Syntax;

namespace CacheGuard.Analyzers.Tests.Robustness;

/// <summary>How a source file is broken (or reshaped) before the analyzers and fixes see it.</summary>
public enum MutationKind
{
    /// <summary>The file cut off right after (or before) a statement or member: a file being typed.</summary>
    TruncateAtStatement,
    /// <summary>One token removed: a missing brace, parenthesis, semicolon, keyword or argument.</summary>
    DeleteToken,
    /// <summary>A statement removed: often still compiles, in a shape no test wrote.</summary>
    DeleteStatement,
    /// <summary>A statement written twice.</summary>
    DuplicateStatement,
    /// <summary>A member (method, field, property, type) written twice.</summary>
    DuplicateMember,
    /// <summary>An invocation cut off mid-way and the rest of its line gone: <c>db.StringSetAsync(key, </c>.</summary>
    CutInvocation,
    /// <summary>Two neighbouring statements swapped: reorderings such as delete-before-save.</summary>
    SwapStatements,
}

/// <summary>One mutated input: which input, what was done to it, and the resulting text.</summary>
public sealed record Mutation(int Index, string Input, MutationKind Kind, string Detail, string Text)
{
    public override string ToString() => $"#{Index} {Input} {Kind} {Detail}";
}

/// <summary>
/// Deterministic mutations of C# sources: the same seed, inputs and index always give the same text.
/// </summary>
public static class Mutator
{
    private static readonly MutationKind[] Kinds = Enum.GetValues<MutationKind>();

    /// <summary>The <paramref name="index"/>th mutation of <paramref name="text"/> for <paramref name="seed"/>.</summary>
    public static Mutation Mutate(int seed, int index, string input, string text)
    {
        var random = new Random(unchecked(seed * 7919 + index));
        var root = CSharpSyntaxTree.ParseText(text, new CSharpParseOptions(LanguageVersion.Latest)).GetRoot();
        var first = random.Next(Kinds.Length);
        // A kind with nothing to work on (no statements in a file of declarations) hands over to the next.
        for (var k = 0; k < Kinds.Length; k++)
        {
            var kind = Kinds[(first + k) % Kinds.Length];
            if (TryMutate(kind, root, text, random) is { } mutated)
                return new Mutation(index, input, kind, mutated.Detail, mutated.Text);
        }
        return new Mutation(index, input, MutationKind.TruncateAtStatement, "whole file dropped", "");
    }

    private static (string Detail, string Text)? TryMutate(MutationKind kind, SyntaxNode root, string text, Random random)
    {
        switch (kind)
        {
            case MutationKind.TruncateAtStatement:
            {
                var boundaries = root.DescendantNodes()
                    .Where(n => n is StatementSyntax or MemberDeclarationSyntax)
                    .SelectMany(n => new[] { n.SpanStart, n.Span.End })
                    .Distinct()
                    .OrderBy(p => p)
                    .ToList();
                if (boundaries.Count == 0)
                    return null;
                var at = boundaries[random.Next(boundaries.Count)];
                return ($"at {Where(text, at)}", text.Substring(0, at));
            }

            case MutationKind.DeleteToken:
            {
                var tokens = root.DescendantTokens().Where(t => !t.IsKind(SyntaxKind.EndOfFileToken) && t.Span.Length > 0).ToList();
                if (tokens.Count == 0)
                    return null;
                var token = tokens[random.Next(tokens.Count)];
                return ($"'{token.Text}' at {Where(text, token.SpanStart)}", text.Remove(token.SpanStart, token.Span.Length));
            }

            case MutationKind.DeleteStatement:
            {
                var statement = Pick(Statements(root), random);
                return statement is null ? null : ($"at {Where(text, statement.SpanStart)}", text.Remove(statement.FullSpan.Start, statement.FullSpan.Length));
            }

            case MutationKind.DuplicateStatement:
            {
                var statement = Pick(Statements(root), random);
                return statement is null ? null : ($"at {Where(text, statement.SpanStart)}", text.Insert(statement.FullSpan.End, statement.ToFullString()));
            }

            case MutationKind.DuplicateMember:
            {
                var member = Pick(root.DescendantNodes().OfType<MemberDeclarationSyntax>().Where(m => m is not BaseNamespaceDeclarationSyntax).ToList(), random);
                return member is null ? null : ($"at {Where(text, member.SpanStart)}", text.Insert(member.FullSpan.End, member.ToFullString()));
            }

            case MutationKind.CutInvocation:
            {
                var invocation = Pick(root.DescendantNodes().OfType<InvocationExpressionSyntax>().ToList(), random);
                if (invocation is null)
                    return null;
                // Cut somewhere inside the call, mid-token included, as the cursor sits while typing.
                var at = invocation.SpanStart + 1 + random.Next(Math.Max(1, invocation.Span.Length - 1));
                var lineEnd = text.IndexOf('\n', at);
                if (lineEnd < 0)
                    lineEnd = text.Length;
                return ($"at {Where(text, at)}", text.Remove(at, lineEnd - at));
            }

            case MutationKind.SwapStatements:
            {
                var pairs = root.DescendantNodes().OfType<BlockSyntax>()
                    .SelectMany(b => b.Statements.Zip(b.Statements.Skip(1), (a, c) => (a, c)))
                    .ToList();
                if (pairs.Count == 0)
                    return null;
                var (x, y) = pairs[random.Next(pairs.Count)];
                var swapped = text.Substring(0, x.Span.Start) + y.ToString() + text.Substring(x.Span.End, y.Span.Start - x.Span.End) + x.ToString() + text.Substring(y.Span.End);
                return ($"at {Where(text, x.SpanStart)}", swapped);
            }

            default:
                return null;
        }
    }

    /// <summary>Statements that can go or repeat: not the body of a method itself.</summary>
    private static List<StatementSyntax> Statements(SyntaxNode root) =>
        root.DescendantNodes().OfType<StatementSyntax>().Where(s => s.Parent is BlockSyntax or SwitchSectionSyntax or GlobalStatementSyntax).ToList();

    private static T? Pick<T>(IReadOnlyList<T> items, Random random) where T : class =>
        items.Count == 0 ? null : items[random.Next(items.Count)];

    private static string Where(string text, int position)
    {
        var line = 1;
        var lineStart = 0;
        for (var i = 0; i < position && i < text.Length; i++)
        {
            if (text[i] == '\n')
            {
                line++;
                lineStart = i + 1;
            }
        }
        return $"{line}:{position - lineStart + 1}";
    }
}
