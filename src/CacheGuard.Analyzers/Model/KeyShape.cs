using System;
using System.Collections.Immutable;
using System.Text;
using Microsoft.CodeAnalysis;
using Microsoft.CodeAnalysis.CSharp;
using Microsoft.CodeAnalysis.Operations;

namespace CacheGuard.Analyzers.Model;

/// <summary>
/// One variable part of a key: the <c>id</c> in <c>$"user:{id}"</c>, the <c>handle</c> in
/// <c>"author:" + handle.ToLowerInvariant()</c>, or an argument of a key-builder method.
/// </summary>
internal sealed class KeyHole
{
    public KeyHole(string name, ITypeSymbol? type, string text, int rootStart, int rootLength, string? format)
    {
        Name = name;
        Type = type;
        Text = text;
        RootStart = rootStart;
        RootLength = rootLength;
        Format = format;
    }

    /// <summary>The name of what the hole is built from: a parameter, local, property or field name.</summary>
    public string Name { get; }

    /// <summary>The type of that parameter, local or member.</summary>
    public ITypeSymbol? Type { get; }

    /// <summary>The hole's source text (<c>handle.ToLowerInvariant()</c>).</summary>
    public string Text { get; }

    /// <summary>Where, in <see cref="Text"/>, the named value starts: rebuilding replaces only that part.</summary>
    public int RootStart { get; }

    public int RootLength { get; }

    /// <summary>An interpolation's format (<c>D</c> in <c>{id:D}</c>), if any.</summary>
    public string? Format { get; }

    /// <summary>The hole's text with its named value replaced by <paramref name="value"/>.</summary>
    public string With(string value) =>
        Text.Substring(0, RootStart) + value + Text.Substring(RootStart + RootLength);
}

/// <summary>
/// The shape of a cache key: its constant text with the variable parts as holes
/// (<c>user:{}</c>), or the key-builder method that makes it (<c>Keys.User(id)</c>). Two keys of
/// the same shape address the same family of entries, wherever in the compilation they are built.
/// </summary>
internal sealed class KeyShape
{
    private KeyShape(ImmutableArray<string> literals, ImmutableArray<KeyHole> holes, bool interpolated, IMethodSymbol? builder, string text)
    {
        Literals = literals;
        Holes = holes;
        Interpolated = interpolated;
        Builder = builder;
        Text = text;
    }

    /// <summary>The constant text around the holes: one more than there are holes (empty for a builder).</summary>
    public ImmutableArray<string> Literals { get; }

    public ImmutableArray<KeyHole> Holes { get; }

    /// <summary>Written as an interpolated string (else as a concatenation).</summary>
    public bool Interpolated { get; }

    /// <summary>The key-builder method the key comes from, if any.</summary>
    public IMethodSymbol? Builder { get; }

    /// <summary>The key expression as written, for messages.</summary>
    public string Text { get; }

    /// <summary>The constant text with <c>{}</c> for each hole (<c>user:{}</c>), or the builder's name.</summary>
    public string Template =>
        Builder is { } b ? b.ContainingType?.Name + "." + b.Name + "(" + new string(',', Math.Max(0, Holes.Length - 1)) + ")" : string.Join("{}", Literals);

    /// <summary>True when both keys have the same constant text and holes, or come from the same builder.</summary>
    public bool Matches(KeyShape other)
    {
        if (Builder is not null || other.Builder is not null)
            return Builder is not null && other.Builder is not null && SymbolEqualityComparer.Default.Equals(Builder, other.Builder);
        if (Literals.Length != other.Literals.Length)
            return false;
        for (var i = 0; i < Literals.Length; i++)
        {
            if (!string.Equals(Literals[i], other.Literals[i], StringComparison.Ordinal))
                return false;
        }
        return true;
    }

    /// <summary>
    /// Builds the same key from other values: <paramref name="valueOf"/> gives the expression that
    /// replaces each hole's named value (or null when it has none). Null when a hole can't be filled.
    /// </summary>
    public string? Rebuild(Func<KeyHole, string?> valueOf)
    {
        var holes = new string[Holes.Length];
        for (var i = 0; i < Holes.Length; i++)
        {
            if (valueOf(Holes[i]) is not { } value)
                return null;
            holes[i] = Holes[i].With(value);
        }

        if (Builder is { } builder)
        {
            if (!builder.IsStatic)
                return null;
            var type = builder.ContainingType.ToDisplayString(SymbolDisplayFormat.FullyQualifiedFormat);
            return type + "." + builder.Name + "(" + string.Join(", ", holes) + ")";
        }

        if (Holes.Length == 0)
            return Quote(Literals[0]);

        var text = new StringBuilder();
        if (Interpolated || Literals[0].Length == 0)
        {
            text.Append("$\"");
            for (var i = 0; i < Holes.Length; i++)
            {
                text.Append(EscapeInterpolated(Literals[i])).Append('{');
                var hole = holes[i];
                text.Append(hole.IndexOf(':') >= 0 || hole.IndexOf('"') >= 0 ? "(" + hole + ")" : hole);
                if (Holes[i].Format is { } format)
                    text.Append(':').Append(format);
                text.Append('}');
            }
            text.Append(EscapeInterpolated(Literals[Holes.Length])).Append('"');
            return text.ToString();
        }

        foreach (var hole in Holes)
        {
            if (hole.Format is not null)
                return null;
        }
        text.Append(Quote(Literals[0]));
        for (var i = 0; i < Holes.Length; i++)
        {
            text.Append(" + ").Append(NeedsParentheses(holes[i]) ? "(" + holes[i] + ")" : holes[i]);
            if (Literals[i + 1].Length > 0)
                text.Append(" + ").Append(Quote(Literals[i + 1]));
        }
        return text.ToString();
    }

    public override string ToString() => Template;

    /// <summary>
    /// The shape of a key expression, or null when the key has no constant text to recognise it by
    /// (a parameter passed through, a key computed elsewhere).
    /// </summary>
    public static KeyShape? Of(IOperation? key)
    {
        if (key is null)
            return null;
        var text = key.Syntax.ToString();
        var op = Resolve(OperationFacts.Unwrap(key), 0);
        if (op is null)
            return null;

        if (op is IInvocationOperation { TargetMethod: { } method } call
            && method.DeclaringSyntaxReferences.Length > 0
            && method.MethodKind == MethodKind.Ordinary
            && (method.ReturnType.SpecialType == SpecialType.System_String || method.ReturnType.Name == "RedisKey"))
        {
            var holes = ImmutableArray.CreateBuilder<KeyHole>();
            foreach (var argument in call.Arguments)
            {
                if (argument.ArgumentKind == ArgumentKind.DefaultValue)
                    continue;
                if (Hole(argument.Value, null) is not { } hole)
                    return null;
                holes.Add(hole);
            }
            return new KeyShape(ImmutableArray<string>.Empty, holes.ToImmutable(), false, method.OriginalDefinition, text);
        }

        var literals = ImmutableArray.CreateBuilder<string>();
        var parts = ImmutableArray.CreateBuilder<KeyHole>();
        var current = new StringBuilder();
        bool interpolated;
        switch (op)
        {
            case IInterpolatedStringOperation interpolation:
                interpolated = true;
                foreach (var part in interpolation.Parts)
                {
                    if (part is IInterpolatedStringTextOperation { Text.ConstantValue: { HasValue: true, Value: string literal } })
                    {
                        current.Append(literal);
                    }
                    else if (part is IInterpolationOperation inner)
                    {
                        if (inner.Alignment is not null)
                            return null;
                        var format = inner.FormatString?.ConstantValue is { HasValue: true, Value: string f } ? f : null;
                        if (format is null && inner.Expression.ConstantValue is { HasValue: true, Value: { } constant })
                        {
                            current.Append(Convert.ToString(constant, System.Globalization.CultureInfo.InvariantCulture));
                            continue;
                        }
                        if (Hole(inner.Expression, format) is not { } hole)
                            return null;
                        literals.Add(current.ToString());
                        current.Clear();
                        parts.Add(hole);
                    }
                    else
                    {
                        return null;
                    }
                }
                break;

            case IBinaryOperation { OperatorKind: BinaryOperatorKind.Add } binary when binary.Type?.SpecialType == SpecialType.System_String:
                interpolated = false;
                if (!Flatten(binary, current, literals, parts, 0))
                    return null;
                break;

            default:
                if (op.ConstantValue is { HasValue: true, Value: string whole } && op.Type?.SpecialType == SpecialType.System_String)
                {
                    interpolated = false;
                    current.Append(whole);
                    break;
                }
                return null;
        }

        literals.Add(current.ToString());
        var all = literals.ToImmutable();
        // Keys with no constant text ($"{a}{b}") can't be told apart: no shape.
        var constantLength = 0;
        foreach (var literal in all)
            constantLength += literal.Trim(':', '/', '-', '_', '.', ' ').Length;
        if (constantLength == 0)
            return null;
        return new KeyShape(all, parts.ToImmutable(), interpolated, null, text);
    }

    /// <summary>A local with one assigned value stands for that value (<c>var key = $"user:{id}";</c>).</summary>
    private static IOperation? Resolve(IOperation op, int depth)
    {
        if (depth > 4)
            return null;
        if (op is ILocalReferenceOperation local)
        {
            IOperation? single = null;
            foreach (var descendant in OperationFacts.Root(op).Descendants())
            {
                IOperation? assigned = descendant switch
                {
                    IVariableDeclaratorOperation declarator when SymbolEqualityComparer.Default.Equals(declarator.Symbol, local.Local) => declarator.Initializer?.Value,
                    IAssignmentOperation { Target: ILocalReferenceOperation target } assignment when SymbolEqualityComparer.Default.Equals(target.Local, local.Local) => assignment.Value,
                    _ => null,
                };
                if (assigned is null)
                    continue;
                if (single is not null)
                    return null;
                single = assigned;
            }
            return single is null ? null : Resolve(OperationFacts.Unwrap(single), depth + 1);
        }
        if (op is IFieldReferenceOperation { Field.IsConst: true } || op.ConstantValue.HasValue)
            return op;
        return op;
    }

    private static bool Flatten(IOperation op, StringBuilder current, ImmutableArray<string>.Builder literals, ImmutableArray<KeyHole>.Builder holes, int depth)
    {
        if (depth > 16)
            return false;
        op = OperationFacts.Unwrap(op);
        if (op.ConstantValue is { HasValue: true, Value: { } constant })
        {
            current.Append(Convert.ToString(constant, System.Globalization.CultureInfo.InvariantCulture));
            return true;
        }
        if (op is IBinaryOperation { OperatorKind: BinaryOperatorKind.Add } binary && binary.Type?.SpecialType == SpecialType.System_String)
            return Flatten(binary.LeftOperand, current, literals, holes, depth + 1) && Flatten(binary.RightOperand, current, literals, holes, depth + 1);
        if (Hole(op, null) is not { } hole)
            return false;
        literals.Add(current.ToString());
        current.Clear();
        holes.Add(hole);
        return true;
    }

    /// <summary>
    /// A hole: the parameter, local or member it is built from, through calls on it
    /// (<c>id.ToString()</c>, <c>email.ToLowerInvariant()</c>).
    /// </summary>
    private static KeyHole? Hole(IOperation value, string? format)
    {
        var text = value.Syntax.ToString();
        var start = value.Syntax.SpanStart;
        var root = OperationFacts.Unwrap(value);
        while (root is IInvocationOperation { Instance: { } instance })
            root = OperationFacts.Unwrap(instance);

        string name;
        ITypeSymbol? type;
        switch (root)
        {
            case IParameterReferenceOperation parameter:
                name = parameter.Parameter.Name;
                type = parameter.Parameter.Type;
                break;
            case ILocalReferenceOperation local:
                name = local.Local.Name;
                type = local.Local.Type;
                break;
            case IPropertyReferenceOperation { Property.IsIndexer: false } property:
                name = property.Property.Name;
                type = property.Property.Type;
                break;
            case IFieldReferenceOperation field:
                name = field.Field.Name;
                type = field.Field.Type;
                break;
            default:
                return null;
        }

        var rootStart = root.Syntax.SpanStart - start;
        if (rootStart < 0 || rootStart + root.Syntax.Span.Length > text.Length)
            return null;
        return new KeyHole(name, type, text, rootStart, root.Syntax.Span.Length, format);
    }

    private static string Quote(string literal) =>
        SyntaxFactory.Literal(literal).ToString();

    private static string EscapeInterpolated(string literal)
    {
        var quoted = SyntaxFactory.Literal(literal).ToString();
        return quoted.Substring(1, quoted.Length - 2).Replace("{", "{{").Replace("}", "}}");
    }

    private static bool NeedsParentheses(string expression)
    {
        foreach (var c in expression)
        {
            if (c is '+' or '-' or '?' or ':' or '*' or '/' or '%' or '<' or '>' or '=' or '|' or '&' or ' ')
                return true;
        }
        return false;
    }
}
