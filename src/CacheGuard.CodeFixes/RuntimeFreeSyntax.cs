using System.Globalization;
using System.Linq;
using Microsoft.CodeAnalysis;
using Microsoft.CodeAnalysis.CSharp;
using Microsoft.CodeAnalysis.CSharp.Syntax;
using Microsoft.CodeAnalysis.Formatting;
using Microsoft.CodeAnalysis.Simplification;

namespace CacheGuard.CodeFixes;

/// <summary>
/// The rewrites CacheGuard's fixes use when CacheGuard.Runtime is not referenced: the jitter
/// <c>CacheTtl.Jitter</c> would add, written inline with a random source the target framework has.
/// </summary>
internal static class RuntimeFreeSyntax
{
    /// <summary>
    /// True when <c>System.Random.Shared</c> exists (.NET 6 and later): thread-safe, so the jitter
    /// uses it. Elsewhere (netstandard2.0, .NET Framework) <c>new Random()</c> per call would give
    /// entries written in the same tick the same jitter on .NET Framework, and a shared
    /// <c>Random</c> is not thread-safe, so the jitter draws from <c>Guid.NewGuid()</c> instead.
    /// </summary>
    public static bool HasRandomShared(Compilation compilation) =>
        compilation.GetTypeByMetadataName("System.Random")?.GetMembers("Shared")
            .Any(m => m is IPropertySymbol { IsStatic: true, DeclaredAccessibility: Accessibility.Public }) == true;

    /// <summary>A uniform random double in [0, 1], thread-safe on the target framework.</summary>
    public static string RandomUnit(Compilation compilation) =>
        HasRandomShared(compilation)
            ? "global::System.Random.Shared.NextDouble()"
            : "((global::System.Guid.NewGuid().GetHashCode() & int.MaxValue) / (double)int.MaxValue)";

    /// <summary>
    /// <c>TimeSpan.FromTicks((long)(ttl.Ticks * (1 + fraction * random)))</c>: <paramref name="ttl"/>
    /// (evaluated once) plus 0 to <paramref name="fraction"/> of itself, as <c>CacheTtl.Jitter</c>.
    /// </summary>
    /// <returns>Null for a target-typed <c>new(...)</c> or <c>default</c>, which have no type of their own there.</returns>
    public static ExpressionSyntax? JitteredTimeSpan(ExpressionSyntax ttl, double fraction, Compilation compilation)
    {
        if (ttl is ImplicitObjectCreationExpressionSyntax || ttl.IsKind(SyntaxKind.DefaultLiteralExpression))
            return null;
        var template = $"global::System.TimeSpan.FromTicks((long)(__ttl__.Ticks * (1 + {Fraction(fraction)} * {RandomUnit(compilation)})))";
        var parsed = Annotate(SyntaxFactory.ParseExpression(template));
        var placeholder = parsed.DescendantNodes().OfType<IdentifierNameSyntax>().First(n => n.Identifier.ValueText == "__ttl__");
        var operand = ttl.WithoutTrivia();
        if (!IsPrimary(operand))
            operand = SyntaxFactory.ParenthesizedExpression(operand);
        return parsed.ReplaceNode(placeholder, operand).WithAdditionalAnnotations(Formatter.Annotation);
    }

    /// <summary><c>TimeSpan.FromSeconds(seconds * (1 + fraction * random))</c>.</summary>
    public static ExpressionSyntax JitteredSeconds(double seconds, double fraction, Compilation compilation)
    {
        var literal = seconds == System.Math.Floor(seconds) && seconds < int.MaxValue
            ? ((int)seconds).ToString(CultureInfo.InvariantCulture)
            : seconds.ToString("R", CultureInfo.InvariantCulture);
        var template = $"global::System.TimeSpan.FromSeconds({literal} * (1 + {Fraction(fraction)} * {RandomUnit(compilation)}))";
        return Annotate(SyntaxFactory.ParseExpression(template)).WithAdditionalAnnotations(Formatter.Annotation);
    }

    private static string Fraction(double fraction) => fraction.ToString("0.0###", CultureInfo.InvariantCulture);

    /// <summary><c>global::System.X</c> becomes <c>X</c> plus a <c>using System;</c> on apply.</summary>
    private static ExpressionSyntax Annotate(ExpressionSyntax expression) =>
        expression.ReplaceNodes(
            expression.DescendantNodesAndSelf().OfType<MemberAccessExpressionSyntax>().Where(m => m.Expression is AliasQualifiedNameSyntax),
            (_, current) => current.WithAdditionalAnnotations(Simplifier.Annotation, Simplifier.AddImportsAnnotation));

    private static bool IsPrimary(ExpressionSyntax expression) =>
        expression is IdentifierNameSyntax or MemberAccessExpressionSyntax or InvocationExpressionSyntax or ObjectCreationExpressionSyntax
            or ElementAccessExpressionSyntax or ParenthesizedExpressionSyntax or LiteralExpressionSyntax
            or ThisExpressionSyntax or GenericNameSyntax or AliasQualifiedNameSyntax or QualifiedNameSyntax;
}
