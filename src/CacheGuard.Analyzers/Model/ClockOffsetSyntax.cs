using Microsoft.CodeAnalysis;
using Microsoft.CodeAnalysis.CSharp;
using Microsoft.CodeAnalysis.CSharp.Syntax;

namespace CacheGuard.Analyzers.Model;

/// <summary>
/// Where the offset is written in an expiry that moves the clock by a fixed offset (<see cref="ExpiryOrigin.IsFromNow"/>),
/// for CG0001's fix: the TimeSpan of <c>now + ttl</c> and <c>now.Add(ttl)</c>, or the unit and amount of
/// <c>now.AddMinutes(5)</c> (rewritten <c>now.Add(TimeSpan.FromMinutes(5))</c> before the TimeSpan is jittered).
/// </summary>
internal static class ClockOffsetSyntax
{
    public static ClockOffset? Find(ExpressionSyntax expiry)
    {
        while (expiry is ParenthesizedExpressionSyntax parenthesized)
            expiry = parenthesized.Expression;
        switch (expiry)
        {
            case BinaryExpressionSyntax binary when binary.IsKind(SyntaxKind.AddExpression):
                return new ClockOffset(binary, binary.Left, binary.Right, null);
            case InvocationExpressionSyntax { Expression: MemberAccessExpressionSyntax { Name: IdentifierNameSyntax name } access, ArgumentList.Arguments: { Count: 1 } arguments } invocation
                when arguments[0].NameColon is null && arguments[0].RefKindKeyword.IsKind(SyntaxKind.None):
                var unit = name.Identifier.ValueText switch
                {
                    "Add" => "",
                    "AddDays" => "FromDays",
                    "AddHours" => "FromHours",
                    "AddMinutes" => "FromMinutes",
                    "AddSeconds" => "FromSeconds",
                    "AddMilliseconds" => "FromMilliseconds",
                    _ => null,
                };
                return unit is null ? null : new ClockOffset(invocation, access.Expression, arguments[0].Expression, unit.Length == 0 ? null : unit);
            default:
                return null;
        }
    }
}

/// <summary>
/// An expiry <see cref="Node"/> that adds an offset to a clock reading. For <c>+</c>, the TimeSpan is one of the two operands
/// (<see cref="Clock"/> and <see cref="Offset"/> as written, left and right); for <c>Add(ttl)</c> it is <see cref="Offset"/>;
/// for <c>AddMinutes(n)</c> <see cref="Unit"/> names the TimeSpan factory (<c>FromMinutes</c>) and <see cref="Offset"/> is <c>n</c>.
/// </summary>
internal sealed class ClockOffset
{
    public ClockOffset(ExpressionSyntax node, ExpressionSyntax clock, ExpressionSyntax offset, string? unit)
    {
        Node = node;
        Clock = clock;
        Offset = offset;
        Unit = unit;
    }

    public ExpressionSyntax Node { get; }

    public ExpressionSyntax Clock { get; }

    public ExpressionSyntax Offset { get; }

    public string? Unit { get; }
}
