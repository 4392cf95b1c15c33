using System;
using System.Globalization;
using Microsoft.CodeAnalysis;
using Microsoft.CodeAnalysis.CSharp;
using Microsoft.CodeAnalysis.CSharp.Syntax;
using Microsoft.CodeAnalysis.Operations;

namespace CacheGuard.Analyzers.Model;

/// <summary>
/// The value of an expiry known at compile time (<c>TimeSpan.FromHours(1)</c>,
/// <c>new TimeSpan(0, 10, 0)</c>, a static readonly field initialized that way, a jitter wrapper
/// around one), as a lower bound. Anything else is unknown: rules that compare TTLs report nothing.
/// </summary>
internal static class TtlValue
{
    private const int MaxDepth = 8;

    /// <summary>The smallest TTL <paramref name="expiry"/> can be, or null when not known.</summary>
    public static TimeSpan? LowerBound(IOperation expiry, CacheApi api) => Evaluate(expiry, api, 0);

    /// <summary>"1 h", "10 min", "45 s".</summary>
    public static string Describe(TimeSpan ttl)
    {
        if (ttl.TotalDays >= 1 && ttl.TotalDays == Math.Floor(ttl.TotalDays))
            return ttl.TotalDays.ToString("0.##", CultureInfo.InvariantCulture) + " d";
        if (ttl.TotalHours >= 1 && ttl.TotalHours * 4 == Math.Floor(ttl.TotalHours * 4))
            return ttl.TotalHours.ToString("0.##", CultureInfo.InvariantCulture) + " h";
        if (ttl.TotalMinutes >= 1 && ttl.TotalMinutes * 2 == Math.Floor(ttl.TotalMinutes * 2))
            return ttl.TotalMinutes.ToString("0.#", CultureInfo.InvariantCulture) + " min";
        return ttl.TotalSeconds.ToString("0.###", CultureInfo.InvariantCulture) + " s";
    }

    private static TimeSpan? Evaluate(IOperation operation, CacheApi api, int depth)
    {
        if (depth > MaxDepth)
            return null;
        var op = OperationFacts.Unwrap(operation);
        if (OperationFacts.IsNullOrDefault(op))
            return null;

        switch (op)
        {
            case IInvocationOperation invocation:
                return EvaluateCall(invocation, api, depth);

            case IObjectCreationOperation creation when creation.Type is { } type:
                if (SymbolEqualityComparer.Default.Equals(type, api.TimeSpan))
                    return FromConstructor(creation);
                if (SymbolEqualityComparer.Default.Equals(type, api.RedisExpiration) && creation.Arguments.Length >= 1
                    && SymbolEqualityComparer.Default.Equals(OperationFacts.StripNullable(creation.Arguments[0].Value.Type ?? api.Compilation.ObjectType), api.TimeSpan))
                {
                    return Evaluate(creation.Arguments[0].Value, api, depth + 1);
                }
                return null;

            case IBinaryOperation { OperatorKind: BinaryOperatorKind.Add } add:
            {
                var left = Evaluate(add.LeftOperand, api, depth + 1);
                var right = Evaluate(add.RightOperand, api, depth + 1);
                if (left is { } l && right is { } r)
                    return l + r;
                // base + random jitter: at least the base.
                if (left is { } onlyLeft && ExpiryOrigin.Of(add.RightOperand, api).Kind == ExpiryOriginKind.Random)
                    return onlyLeft;
                if (right is { } onlyRight && ExpiryOrigin.Of(add.LeftOperand, api).Kind == ExpiryOriginKind.Random)
                    return onlyRight;
                return null;
            }

            case IFieldReferenceOperation field:
                return FromInitializer(field.Field, op, api, depth);

            case IPropertyReferenceOperation property:
                if (CacheApi.IsRuntimeSymbol(property.Property) && property.Property.Name == "DefaultNegativeTtl")
                    return TimeSpan.FromSeconds(30);
                return FromInitializer(property.Property, op, api, depth);

            case ILocalReferenceOperation local:
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
                return single is null ? null : Evaluate(single, api, depth + 1);
            }

            default:
                return null;
        }
    }

    private static TimeSpan? EvaluateCall(IInvocationOperation invocation, CacheApi api, int depth)
    {
        var method = invocation.TargetMethod;
        if (SymbolEqualityComparer.Default.Equals(method.ContainingType, api.TimeSpan) && method.IsStatic)
            return FromFactory(method.Name, invocation);

        if (CacheApi.IsRuntimeSymbol(method))
        {
            // CacheTtl.Negative() is the runtime's own negative TTL: within the limit by design.
            if (method.Name == "Negative")
                return invocation.Arguments.Length == 0 ? null : Evaluate(invocation.Arguments[0].Value, api, depth + 1);
            if (method.Name == "Jitter" && invocation.Arguments.Length > 0)
                return Evaluate(invocation.Arguments[0].Value, api, depth + 1);
            return null;
        }

        // The project's own jitter helper around a known base.
        if (method.DeclaringSyntaxReferences.Length > 0 && method.Name.IndexOf("Jitter", StringComparison.OrdinalIgnoreCase) >= 0)
        {
            foreach (var argument in invocation.Arguments)
            {
                if (argument.Value.Type is { } type && SymbolEqualityComparer.Default.Equals(OperationFacts.StripNullable(type), api.TimeSpan))
                    return Evaluate(argument.Value, api, depth + 1);
            }
        }
        return null;
    }

    /// <summary><c>TimeSpan.FromMinutes(10)</c>, and the .NET 9 <c>FromMinutes(long minutes, long seconds = 0, ...)</c> overloads.</summary>
    private static TimeSpan? FromFactory(string name, IInvocationOperation invocation)
    {
        var unit = Unit(name);
        if (unit is null)
            return null;
        double total = 0;
        foreach (var argument in invocation.Arguments)
        {
            if (Number(argument.Value) is not { } amount)
                return null;
            var parameterUnit = argument.Parameter?.Name is { } p && Unit("From" + char.ToUpperInvariant(p[0]) + p.Substring(1)) is { } u ? u : unit.Value;
            total += amount * parameterUnit;
        }
        return Seconds(total);
    }

    private static TimeSpan? FromConstructor(IObjectCreationOperation creation)
    {
        var values = new double[creation.Arguments.Length];
        for (var i = 0; i < values.Length; i++)
        {
            if (Number(creation.Arguments[i].Value) is not { } n)
                return null;
            values[i] = n;
        }
        return FromConstructorValues(values);
    }

    private static TimeSpan? FromConstructorValues(double[] values) =>
        values.Length switch
        {
            1 => values[0] >= 0 && values[0] < long.MaxValue ? TimeSpan.FromTicks((long)values[0]) : null,
            3 => Seconds(values[0] * 3600 + values[1] * 60 + values[2]),
            4 => Seconds(values[0] * 86400 + values[1] * 3600 + values[2] * 60 + values[3]),
            5 => Seconds(values[0] * 86400 + values[1] * 3600 + values[2] * 60 + values[3] + values[4] / 1000),
            _ => null,
        };

    /// <summary>A static readonly field or get-only property initialized with a known TTL.</summary>
    private static TimeSpan? FromInitializer(ISymbol symbol, IOperation reference, CacheApi api, int depth)
    {
        var isReadonly = symbol switch
        {
            IFieldSymbol f => f.IsReadOnly || f.IsConst,
            IPropertySymbol p => p.SetMethod is null,
            _ => false,
        };
        if (!isReadonly || symbol.DeclaringSyntaxReferences.Length != 1)
            return null;
        var declaration = symbol.DeclaringSyntaxReferences[0].GetSyntax();
        ExpressionSyntax? initializer = declaration switch
        {
            VariableDeclaratorSyntax v => v.Initializer?.Value,
            PropertyDeclarationSyntax { AccessorList: null or { Accessors.Count: 1 } } p => p.Initializer?.Value ?? p.ExpressionBody?.Expression,
            _ => null,
        };
        if (initializer is null)
            return null;

        // Same tree: bind it; another tree: read the literal shapes from syntax.
        if (reference.SemanticModel is { } model && initializer.SyntaxTree == model.SyntaxTree
            && model.GetOperation(initializer) is { } operation)
        {
            return Evaluate(operation, api, depth + 1);
        }
        return FromSyntax(initializer);
    }

    private static TimeSpan? FromSyntax(ExpressionSyntax expression)
    {
        while (expression is ParenthesizedExpressionSyntax p)
            expression = p.Expression;
        switch (expression)
        {
            case InvocationExpressionSyntax { Expression: MemberAccessExpressionSyntax { Expression: IdentifierNameSyntax { Identifier.ValueText: "TimeSpan" }, Name.Identifier.ValueText: var name } } call
                when call.ArgumentList.Arguments.Count == 1 && Unit(name) is { } unit && Literal(call.ArgumentList.Arguments[0].Expression) is { } amount:
                return Seconds(amount * unit);
            case ObjectCreationExpressionSyntax { Type: IdentifierNameSyntax { Identifier.ValueText: "TimeSpan" }, ArgumentList: { } arguments }:
            {
                var values = new double[arguments.Arguments.Count];
                for (var i = 0; i < values.Length; i++)
                {
                    if (Literal(arguments.Arguments[i].Expression) is not { } n)
                        return null;
                    values[i] = n;
                }
                return FromConstructorValues(values);
            }
            case BinaryExpressionSyntax { RawKind: (int)SyntaxKind.AddExpression } add
                when FromSyntax(add.Left) is { } left && FromSyntax(add.Right) is { } right:
                return left + right;
        }
        return null;
    }

    private static double? Literal(ExpressionSyntax expression) =>
        expression is LiteralExpressionSyntax { Token.Value: { } value } && value is not string && value is not bool && value is not char
            ? Convert.ToDouble(value, CultureInfo.InvariantCulture)
            : null;

    private static double? Number(IOperation value) =>
        value.ConstantValue is { HasValue: true, Value: { } constant } && constant is not string && constant is not bool && constant is not char
            ? Convert.ToDouble(constant, CultureInfo.InvariantCulture)
            : null;

    private static double? Unit(string factory) => factory switch
    {
        "FromDays" => 86400,
        "FromHours" => 3600,
        "FromMinutes" => 60,
        "FromSeconds" => 1,
        "FromMilliseconds" => 0.001,
        "FromMicroseconds" => 0.000001,
        "FromTicks" => 0.0000001,
        _ => null,
    };

    private static TimeSpan? Seconds(double seconds) =>
        seconds >= 0 && seconds < TimeSpan.MaxValue.TotalSeconds / 2 ? TimeSpan.FromTicks((long)(seconds * TimeSpan.TicksPerSecond)) : null;
}
