using System.Threading;
using System.Threading.Tasks;
using Microsoft.CodeAnalysis;
using Microsoft.CodeAnalysis.Editing;
using Microsoft.CodeAnalysis.CSharp;
using Microsoft.CodeAnalysis.CSharp.Syntax;
using Microsoft.CodeAnalysis.Formatting;
using Microsoft.CodeAnalysis.Simplification;

namespace CacheGuard.CodeFixes;

/// <summary>
/// The shared rewriting toolkit: references to CacheGuard.Runtime that add their own
/// <c>using CacheGuard;</c> and simplify to the short name.
/// </summary>
internal static class RuntimeSyntax
{
    public const string RuntimeNamespace = "CacheGuard";

    /// <summary><c>CacheGuard.&lt;typeName&gt;</c>, annotated to become <c>typeName</c> plus a using directive.</summary>
    public static ExpressionSyntax Type(string typeName) =>
        SyntaxFactory.MemberAccessExpression(
                SyntaxKind.SimpleMemberAccessExpression,
                SyntaxFactory.AliasQualifiedName(
                    SyntaxFactory.IdentifierName(SyntaxFactory.Token(SyntaxKind.GlobalKeyword)),
                    SyntaxFactory.IdentifierName(RuntimeNamespace)),
                SyntaxFactory.IdentifierName(typeName))
            .WithAdditionalAnnotations(Simplifier.Annotation, Simplifier.AddImportsAnnotation);

    /// <summary><c>CacheGuard.&lt;typeName&gt;.&lt;method&gt;(arguments)</c>.</summary>
    public static InvocationExpressionSyntax Call(string typeName, string method, params ExpressionSyntax[] arguments)
    {
        var list = SyntaxFactory.SeparatedList<ArgumentSyntax>();
        foreach (var argument in arguments)
            list = list.Add(SyntaxFactory.Argument(argument));
        return SyntaxFactory.InvocationExpression(
                SyntaxFactory.MemberAccessExpression(SyntaxKind.SimpleMemberAccessExpression, Type(typeName), SyntaxFactory.IdentifierName(method)),
                SyntaxFactory.ArgumentList(list))
            .WithAdditionalAnnotations(Formatter.Annotation);
    }

    /// <summary>
    /// Adds the <c>using CacheGuard;</c> that annotated runtime references need; the code action's
    /// own clean-up then reduces <c>global::CacheGuard.X</c> to <c>X</c>.
    /// </summary>
    public static Task<Document> AddImportsAsync(Document document, CancellationToken cancellationToken) =>
        ImportAdder.AddImportsAsync(document, Simplifier.AddImportsAnnotation, cancellationToken: cancellationToken);

    /// <summary>True when the compilation can see the runtime type: fixes into it would compile.</summary>
    public static bool HasRuntimeType(Compilation compilation, string typeName) =>
        compilation.GetTypeByMetadataName(RuntimeNamespace + "." + typeName) is { DeclaredAccessibility: Accessibility.Public };
}
