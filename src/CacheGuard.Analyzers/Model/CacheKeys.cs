using Microsoft.CodeAnalysis;
using Microsoft.CodeAnalysis.CSharp;
using Microsoft.CodeAnalysis.CSharp.Syntax;
using Microsoft.CodeAnalysis.Operations;

namespace CacheGuard.Analyzers.Model;

/// <summary>Cache key expressions: when two calls address the same key, and how to name a key in a message.</summary>
internal static class CacheKeys
{
    /// <summary>
    /// True when both expressions build the same key: the same local, the same expression (token for
    /// token), or a local whose initializer is that expression.
    /// </summary>
    public static bool AreSame(IOperation? a, IOperation? b)
    {
        if (a is null || b is null)
            return false;
        a = OperationFacts.Unwrap(a);
        b = OperationFacts.Unwrap(b);

        if (a is ILocalReferenceOperation la && b is ILocalReferenceOperation lb)
            return SymbolEqualityComparer.Default.Equals(la.Local, lb.Local);
        if (a is IParameterReferenceOperation pa && b is IParameterReferenceOperation pb)
            return SymbolEqualityComparer.Default.Equals(pa.Parameter, pb.Parameter);

        var sa = SyntaxOf(a);
        var sb = SyntaxOf(b);
        return sa is not null && sb is not null && SyntaxFactory.AreEquivalent(sa, sb, topLevel: false);
    }

    /// <summary>A short description of the key for messages: <c>$"post:{id}"</c>.</summary>
    public static string Describe(IOperation? key)
    {
        if (key is null)
            return "the key";
        var text = key.Syntax.ToString();
        return text.Length <= 60 ? text : text.Substring(0, 57) + "...";
    }

    /// <summary>The expression that builds the key: a local's single initializer stands for the local.</summary>
    private static SyntaxNode? SyntaxOf(IOperation key)
    {
        if (key is ILocalReferenceOperation local
            && local.Local.DeclaringSyntaxReferences.Length == 1
            && local.Local.DeclaringSyntaxReferences[0].GetSyntax() is VariableDeclaratorSyntax { Initializer.Value: { } initializer })
        {
            return Strip(initializer);
        }
        return Strip(key.Syntax);
    }

    private static SyntaxNode Strip(SyntaxNode node)
    {
        while (node is ParenthesizedExpressionSyntax p)
            node = p.Expression;
        return node;
    }
}
