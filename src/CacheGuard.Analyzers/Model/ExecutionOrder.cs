using Microsoft.CodeAnalysis;
using Microsoft.CodeAnalysis.CSharp.Syntax;

namespace CacheGuard.Analyzers.Model;

/// <summary>
/// Whether one call can run after another in the same execution, judged from the syntax between
/// them: not when they sit in exclusive branches (<c>if</c>/<c>else</c>, two switch sections, the two
/// arms of <c>?:</c>), and not when the first one's block leaves (<c>return</c>, <c>throw</c>,
/// <c>break</c>, <c>continue</c>, <c>goto</c>) before reaching the second.
/// </summary>
internal static class ExecutionOrder
{
    /// <summary>True unless <paramref name="second"/> (later in the source) can be shown not to run after <paramref name="first"/>.</summary>
    public static bool CanFollow(SyntaxNode first, SyntaxNode second)
    {
        if (first.SyntaxTree != second.SyntaxTree || second.SpanStart < first.Span.End)
            return true;

        for (SyntaxNode? child = first, parent = first.Parent; parent is not null; child = parent, parent = parent.Parent)
        {
            if (parent.Span.Contains(second.Span))
                return !AreExclusive(parent, child, second);

            // The block that holds `first` but not `second` leaves before its end.
            if (parent is BlockSyntax block && child is StatementSyntax statement && LeavesAfter(block, statement))
                return false;
            if (parent is SwitchSectionSyntax section && child is StatementSyntax inSection && LeavesAfter(section.Statements, inSection))
                return false;
            if (parent is AnonymousFunctionExpressionSyntax or LocalFunctionStatementSyntax or MemberDeclarationSyntax)
                return true;
        }
        return true;
    }

    /// <summary>True when <paramref name="firstBranch"/> and the branch of <paramref name="common"/> holding <paramref name="second"/> exclude each other.</summary>
    private static bool AreExclusive(SyntaxNode common, SyntaxNode firstBranch, SyntaxNode second) => common switch
    {
        IfStatementSyntax ifStatement => firstBranch == ifStatement.Statement && ifStatement.Else is { } otherwise && otherwise.Span.Contains(second.Span),
        SwitchStatementSyntax => firstBranch is SwitchSectionSyntax section && !section.Span.Contains(second.Span),
        ConditionalExpressionSyntax conditional => firstBranch == conditional.WhenTrue && conditional.WhenFalse.Span.Contains(second.Span),
        SwitchExpressionSyntax => firstBranch is SwitchExpressionArmSyntax arm && !arm.Span.Contains(second.Span),
        _ => false,
    };

    private static bool LeavesAfter(BlockSyntax block, StatementSyntax statement) => LeavesAfter(block.Statements, statement);

    private static bool LeavesAfter(SyntaxList<StatementSyntax> statements, StatementSyntax statement)
    {
        var index = statements.IndexOf(statement);
        if (index < 0)
            return false;
        for (var i = index + 1; i < statements.Count; i++)
        {
            if (statements[i] is ReturnStatementSyntax or ThrowStatementSyntax or BreakStatementSyntax or ContinueStatementSyntax or GotoStatementSyntax
                || statements[i] is YieldStatementSyntax { ReturnOrBreakKeyword.Text: "break" })
            {
                return true;
            }
        }
        return false;
    }
}
