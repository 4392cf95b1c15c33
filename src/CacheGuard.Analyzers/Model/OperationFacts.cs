using Microsoft.CodeAnalysis;
using Microsoft.CodeAnalysis.Operations;

namespace CacheGuard.Analyzers.Model;

/// <summary>Small facts about operations that every recognizer needs.</summary>
internal static class OperationFacts
{
    /// <summary>Strips implicit and explicit conversions and parentheses.</summary>
    public static IOperation Unwrap(IOperation operation)
    {
        while (true)
        {
            switch (operation)
            {
                case IConversionOperation conversion:
                    operation = conversion.Operand;
                    continue;
                case IParenthesizedOperation parenthesized:
                    operation = parenthesized.Operand;
                    continue;
                default:
                    return operation;
            }
        }
    }

    /// <summary>Strips only implicit conversions (what the compiler added to make an argument fit).</summary>
    public static IOperation UnwrapImplicit(IOperation operation)
    {
        while (operation is IConversionOperation { IsImplicit: true } conversion)
            operation = conversion.Operand;
        return operation;
    }

    /// <summary><c>null</c>, <c>default</c>, or a defaulted argument.</summary>
    public static bool IsNullOrDefault(IOperation operation)
    {
        var inner = Unwrap(operation);
        if (inner is IDefaultValueOperation)
            return true;
        if (inner is ILiteralOperation && inner.ConstantValue is { HasValue: true, Value: null })
            return true;
        return operation.ConstantValue is { HasValue: true, Value: null };
    }

    /// <summary>The argument bound to the first parameter of the given type, if any.</summary>
    public static IArgumentOperation? ArgumentOfType(IInvocationOperation invocation, ITypeSymbol? type)
    {
        if (type is null)
            return null;
        foreach (var argument in invocation.Arguments)
        {
            if (argument.Parameter is { } p && SymbolEqualityComparer.Default.Equals(StripNullable(p.Type), type))
                return argument;
        }
        return null;
    }

    /// <summary>
    /// As <see cref="ArgumentOfType"/>, by the type the parameter is declared with: a generic method's <c>TItem value</c>
    /// bound to <paramref name="type"/> is not an argument of that type.
    /// </summary>
    public static IArgumentOperation? ArgumentOfDeclaredType(IInvocationOperation invocation, ITypeSymbol? type)
    {
        if (type is null)
            return null;
        foreach (var argument in invocation.Arguments)
        {
            if (argument.Parameter is { } p && SymbolEqualityComparer.Default.Equals(StripNullable(p.OriginalDefinition.Type), type))
                return argument;
        }
        return null;
    }

    /// <summary>The local or parameter <paramref name="operation"/> reads (after <see cref="Unwrap"/>), else null.</summary>
    public static ISymbol? VariableOf(IOperation operation) => Unwrap(operation) switch
    {
        ILocalReferenceOperation local => local.Local,
        IParameterReferenceOperation parameter => parameter.Parameter,
        _ => null,
    };

    /// <summary>The argument bound to the parameter with the given name, if any.</summary>
    public static IArgumentOperation? ArgumentNamed(IInvocationOperation invocation, string name)
    {
        foreach (var argument in invocation.Arguments)
        {
            if (argument.Parameter?.Name == name)
                return argument;
        }
        return null;
    }

    /// <summary>The argument at parameter ordinal <paramref name="ordinal"/>, if any.</summary>
    public static IArgumentOperation? ArgumentAt(IInvocationOperation invocation, int ordinal)
    {
        foreach (var argument in invocation.Arguments)
        {
            if (argument.Parameter?.Ordinal == ordinal)
                return argument;
        }
        return null;
    }

    /// <summary><c>T?</c> for a value type becomes <c>T</c>; anything else is returned as is.</summary>
    public static ITypeSymbol StripNullable(ITypeSymbol type) =>
        type is INamedTypeSymbol { OriginalDefinition.SpecialType: SpecialType.System_Nullable_T } nullable
            ? nullable.TypeArguments[0]
            : type;

    /// <summary>True when <paramref name="type"/> is, derives from or implements <paramref name="baseType"/>.</summary>
    public static bool IsOrInherits(ITypeSymbol? type, INamedTypeSymbol? baseType)
    {
        if (type is null || baseType is null)
            return false;
        for (var t = type; t is not null; t = t.BaseType)
        {
            if (SymbolEqualityComparer.Default.Equals(t.OriginalDefinition, baseType))
                return true;
        }
        if (baseType.TypeKind == TypeKind.Interface)
        {
            foreach (var i in type.AllInterfaces)
            {
                if (SymbolEqualityComparer.Default.Equals(i.OriginalDefinition, baseType))
                    return true;
            }
        }
        return false;
    }

    /// <summary>The root of the body the operation belongs to (method body, lambda body or field initializer).</summary>
    /// <summary>
    /// The name of the outermost namespace <paramref name="ns"/> is in (<c>System</c> for <c>System.Collections</c>),
    /// "" for the global namespace or none: what <c>ns.ToDisplayString()</c> starts with up to its first dot,
    /// without building the string (a test of its prefix against one word gives the same answer).
    /// </summary>
    public static string OutermostNamespace(INamespaceSymbol? ns)
    {
        if (ns is null || ns.IsGlobalNamespace)
            return "";
        while (ns.ContainingNamespace is { IsGlobalNamespace: false } outer)
            ns = outer;
        return ns.Name;
    }

    /// <summary><c>ns?.ToDisplayString() == dotted</c> without building the string.</summary>
    public static bool IsNamespace(INamespaceSymbol? ns, string dotted)
    {
        var end = dotted.Length;
        for (var current = ns; current is { IsGlobalNamespace: false }; current = current.ContainingNamespace)
        {
            var name = current.Name;
            var start = end - name.Length;
            if (start < 0 || string.CompareOrdinal(dotted, start, name, 0, name.Length) != 0)
                return false;
            if (current.ContainingNamespace is null or { IsGlobalNamespace: true })
                return start == 0;
            if (start == 0 || dotted[start - 1] != '.')
                return false;
            end = start - 1;
        }
        return false;
    }

    public static IOperation Root(IOperation operation)
    {
        var current = operation;
        while (current.Parent is { } parent)
            current = parent;
        return current;
    }

    /// <summary>True when <paramref name="inner"/> is <paramref name="outer"/> or nested inside it.</summary>
    public static bool IsInside(IOperation inner, IOperation outer)
    {
        for (var current = inner; current is not null; current = current.Parent)
        {
            if (current == outer)
                return true;
        }
        return false;
    }

    /// <summary>
    /// True when a body calls a method with one of two names: a cheap test a rule makes before
    /// building <see cref="MethodCacheFacts"/> for a body that cannot hold its pattern.
    /// </summary>
    public static bool CallsMethodNamed(System.Collections.Immutable.ImmutableArray<IOperation> blocks, string name, string otherName)
    {
        foreach (var block in blocks)
        {
            foreach (var operation in block.DescendantsAndSelf())
            {
                if (operation is IInvocationOperation { TargetMethod.Name: var called } && (called == name || called == otherName))
                    return true;
            }
        }
        return false;
    }

    /// <summary>
    /// Each run of white space as one space: what <c>Regex.Replace(text, @"\s+", " ")</c> returns (\s is
    /// <see cref="char.IsWhiteSpace(char)"/>), without constructing a Regex the first time a message is built.
    /// </summary>
    public static string CollapseWhiteSpace(string text)
    {
        var builder = new System.Text.StringBuilder(text.Length);
        var inSpace = false;
        foreach (var c in text)
        {
            if (char.IsWhiteSpace(c))
            {
                if (!inSpace)
                    builder.Append(' ');
                inSpace = true;
            }
            else
            {
                builder.Append(c);
                inSpace = false;
            }
        }
        return builder.ToString();
    }
}
