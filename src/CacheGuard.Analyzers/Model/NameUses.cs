using System.Collections.Concurrent;
using System.Collections.Generic;
using System.Globalization;
using System.Runtime.CompilerServices;
using Microsoft.CodeAnalysis;
using Microsoft.CodeAnalysis.CSharp;
using Microsoft.CodeAnalysis.CSharp.Syntax;

namespace CacheGuard.Analyzers.Model;

/// <summary>
/// The invocations and member accesses of a compilation that use a given name (<c>x.Name(...)</c>,
/// <c>Name(...)</c>, <c>x?.Name(...)</c>; <c>x.Name</c>), found from the trees' text: only the places where
/// the name is written are looked at, not every node of every tree. Per name, in the order of the
/// compilation's trees and, within a tree, in syntax walk (pre-)order. Built once per name.
/// </summary>
internal static class NameUses
{
    private static readonly ConditionalWeakTable<Compilation, Uses> PerCompilation = new();

    /// <summary>Every invocation whose called name (the member or simple name it invokes) is <paramref name="name"/>.</summary>
    public static IReadOnlyList<InvocationExpressionSyntax> Invocations(Compilation compilation, string name) =>
        PerCompilation.GetValue(compilation, c => new Uses(c)).Invocations(name);

    /// <summary>Every <c>x.Name</c> member access with that name that is not the expression of an invocation.</summary>
    public static IReadOnlyList<MemberAccessExpressionSyntax> MemberAccesses(Compilation compilation, string name) =>
        PerCompilation.GetValue(compilation, c => new Uses(c)).MemberAccesses(name);

    /// <summary>
    /// False when no assignment in <paramref name="scope"/> can have the simple name <paramref name="name"/> as its target
    /// (<c>name = ...</c>, <c>name += ...</c>, <c>(name) ??= ...</c>): the name is not written as one anywhere in the scope's
    /// text. True when unsure (a text that can spell an identifier another way).
    /// </summary>
    public static bool MayBeAssignedIn(SyntaxNode scope, string name)
    {
        if (name.Length == 0)
            return true;
        // Only the scope's own text: an identifier in it is spelled in it.
        var span = scope.Span;
        var text = scope.SyntaxTree.GetText().ToString(span);
        if (Uses.SpellsOtherwise(text))
            return true;
        for (var at = text.IndexOf(name, System.StringComparison.Ordinal); at >= 0; at = text.IndexOf(name, at + 1, System.StringComparison.Ordinal))
        {
            if (at > 0 && Uses.IsAsciiWordChar(text[at - 1]) || at + name.Length < text.Length && Uses.IsAsciiWordChar(text[at + name.Length]))
                continue;
            var token = scope.FindToken(span.Start + at);
            if (!token.IsKind(SyntaxKind.IdentifierToken) || !token.Span.Contains(span.Start + at) || token.ValueText != name || token.Parent is not IdentifierNameSyntax identifier)
                continue;
            SyntaxNode target = identifier;
            while (target.Parent is ParenthesizedExpressionSyntax parenthesized)
                target = parenthesized;
            if (target.Parent is AssignmentExpressionSyntax assignment && assignment.Left == target)
                return true;
        }
        return false;
    }

    private sealed class Uses
    {
        private readonly Compilation _compilation;
        private readonly ConcurrentDictionary<string, IReadOnlyList<InvocationExpressionSyntax>> _invocations = new(System.StringComparer.Ordinal);
        private readonly ConcurrentDictionary<string, IReadOnlyList<MemberAccessExpressionSyntax>> _accesses = new(System.StringComparer.Ordinal);

        // Trees whose text can spell an identifier other than as its value (a \u escape, a formatting
        // character the lexer drops): those are walked node by node instead.
        private readonly ConcurrentDictionary<SyntaxTree, bool> _spelledOtherwise = new();

        public Uses(Compilation compilation) => _compilation = compilation;

        public IReadOnlyList<InvocationExpressionSyntax> Invocations(string name) =>
            _invocations.TryGetValue(name, out var known) ? known : _invocations.GetOrAdd(name, n => Find(n, InvocationNamed));

        public IReadOnlyList<MemberAccessExpressionSyntax> MemberAccesses(string name) =>
            _accesses.TryGetValue(name, out var known) ? known : _accesses.GetOrAdd(name, n => Find(n, AccessNamed));

        private List<T> Find<T>(string name, System.Func<SyntaxNode, string, T?> named) where T : SyntaxNode
        {
            var found = new List<T>();
            if (name.Length == 0)
                return found;
            var perTree = new List<T>();
            foreach (var tree in _compilation.SyntaxTrees)
            {
                var text = TextOf(tree);
                if (_spelledOtherwise.GetOrAdd(tree, _ => SpellsOtherwise(text)))
                {
                    foreach (var node in tree.GetRoot().DescendantNodes())
                    {
                        if (named(node, name) is { } use)
                            found.Add(use);
                    }
                    continue;
                }
                SyntaxNode? root = null;
                perTree.Clear();
                for (var at = text.IndexOf(name, System.StringComparison.Ordinal); at >= 0; at = text.IndexOf(name, at + 1, System.StringComparison.Ordinal))
                {
                    // A longer ASCII word holding the name is another identifier; anything else is checked on the token.
                    if (at > 0 && IsAsciiWordChar(text[at - 1]) || at + name.Length < text.Length && IsAsciiWordChar(text[at + name.Length]))
                        continue;
                    root ??= tree.GetRoot();
                    var token = root.FindToken(at);
                    if (!token.IsKind(SyntaxKind.IdentifierToken) || !token.Span.Contains(at) || token.ValueText != name || token.Parent is not SimpleNameSyntax simple)
                        continue;
                    if (FromName(simple, name, named) is { } use)
                        perTree.Add(use);
                }
                // Text order is the order of the names; a walk meets an enclosing node (a.X(b).X(c)'s outer call,
                // whose name comes later) before the nodes it holds: start ascending, then the longer first.
                // Nearly always in that order already (a name inside another call's arguments is rare): sort only then.
                if (!InWalkOrder(perTree))
                    perTree.Sort(WalkOrder);
                for (var i = 0; i < perTree.Count; i++)
                {
                    if (i == 0 || perTree[i] != perTree[i - 1])
                        found.Add(perTree[i]);
                }
            }
#if VERIFY_SKIPS
            var walked = new List<T>();
            foreach (var tree in _compilation.SyntaxTrees)
            {
                foreach (var node in tree.GetRoot().DescendantNodes())
                {
                    if (named(node, name) is { } use)
                        walked.Add(use);
                }
            }
            if (walked.Count != found.Count || !System.Linq.Enumerable.SequenceEqual(walked, found))
                throw new System.InvalidOperationException($"VERIFY_SKIPS {typeof(T).Name} '{name}': the walk finds {walked.Count}, the text {found.Count}");
#endif
            return found;
        }

        private static int WalkOrder(SyntaxNode a, SyntaxNode b) =>
            a.SpanStart != b.SpanStart ? a.SpanStart.CompareTo(b.SpanStart) : b.Span.Length.CompareTo(a.Span.Length);

        private static bool InWalkOrder<T>(List<T> nodes) where T : SyntaxNode
        {
            for (var i = 1; i < nodes.Count; i++)
            {
                if (WalkOrder(nodes[i - 1], nodes[i]) > 0)
                    return false;
            }
            return true;
        }

        /// <summary>The node a name token's simple name belongs to, as the node walk would find it.</summary>
        private static T? FromName<T>(SimpleNameSyntax simple, string name, System.Func<SyntaxNode, string, T?> named) where T : SyntaxNode
        {
            // The candidates that use the name: the simple name itself, its member access or member binding, and their parent.
            SyntaxNode? node = simple;
            for (var i = 0; i < 3 && node is not null; i++, node = node.Parent)
            {
                if (named(node, name) is { } use)
                    return use;
            }
            return null;
        }

        private static InvocationExpressionSyntax? InvocationNamed(SyntaxNode node, string name)
        {
            if (node is not InvocationExpressionSyntax invocation)
                return null;
            var called = invocation.Expression switch
            {
                IdentifierNameSyntax identifier => identifier.Identifier.ValueText,
                GenericNameSyntax generic => generic.Identifier.ValueText,
                MemberAccessExpressionSyntax access => access.Name.Identifier.ValueText,
                MemberBindingExpressionSyntax binding => binding.Name.Identifier.ValueText,
                _ => null,
            };
            return called == name ? invocation : null;
        }

        private static MemberAccessExpressionSyntax? AccessNamed(SyntaxNode node, string name)
        {
            if (node is not MemberAccessExpressionSyntax access || access.Parent is InvocationExpressionSyntax call && call.Expression == access)
                return null;
            return access.Name.Identifier.ValueText == name ? access : null;
        }

        private static string TextOf(SyntaxTree tree)
        {
            // A StringText (a file read whole) hands back its own string; any other text is copied.
            return tree.GetText().ToString();
        }

        internal static bool SpellsOtherwise(string text)
        {
            for (var at = text.IndexOf('\\'); at >= 0 && at + 1 < text.Length; at = text.IndexOf('\\', at + 1))
            {
                if (text[at + 1] is 'u' or 'U')
                    return true;
            }
            // Formatting characters are not ASCII: most texts are ASCII throughout, which the (vectorized) UTF-8 count tells.
            return System.Text.Encoding.UTF8.GetByteCount(text) != text.Length && HasFormattingCharacter(text);
        }

        private static bool HasFormattingCharacter(string text)
        {
            foreach (var c in text)
            {
                if (c >= 128 && CharUnicodeInfo.GetUnicodeCategory(c) == UnicodeCategory.Format)
                    return true;
            }
            return false;
        }

        internal static bool IsAsciiWordChar(char c) => c is (>= 'a' and <= 'z') or (>= 'A' and <= 'Z') or (>= '0' and <= '9') or '_';
    }
}
