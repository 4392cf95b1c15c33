using System.Collections.Generic;
using System.Linq;
using System.Text;
using System.Threading;
using Microsoft.CodeAnalysis;
using Microsoft.CodeAnalysis.CSharp;
using Microsoft.CodeAnalysis.CSharp.Syntax;

namespace CacheGuard.CodeFixes;

/// <summary>
/// CG0004 where the pattern can't move onto <c>GetOrSet</c> (the project's own wrapper, a populate in a helper,
/// a hash, a miss path with other work): the miss path is wrapped in the runtime's per-key in-process lock with a
/// re-read of the key inside it (double-checked). Nothing about what is read or written changes: the same calls,
/// the same key, the same bytes, the same TTL. A caller that finds the key populated under the lock goes on as a
/// hit would have. Three shapes, the read assigning a local <c>v</c> just before:
/// <list type="bullet">
/// <item><c>if (MISS(v)) { … }</c> → <c>if (MISS(v)) { using (lock) { v = READ; if (MISS(v)) { … } } }</c></item>
/// <item><c>if (HIT(v)) return …; REST</c> → the same, then <c>using (lock) { v = READ; if (HIT(v)) return …; REST }</c></item>
/// <item><c>return HIT(v) ? A : B;</c> → <c>if (HIT(v)) return A; using (lock) { v = READ; return HIT(v) ? A : B; }</c></item>
/// </list>
/// The check and the key are evaluated once more; both must be free of side effects (the key is written twice
/// by the original already: at the read and at the populate).
/// </summary>
internal sealed class KeyLockRewrite
{
    public static readonly SyntaxAnnotation RewrittenAnnotation = new("CacheGuard.KeyLock");

    /// <summary>On the statement that holds the original read (unchanged, before the rewritten ones).</summary>
    public static readonly SyntaxAnnotation ReadAnnotation = new("CacheGuard.KeyLock.Read");

    private readonly BlockSyntax _block;
    private readonly int _first;
    private readonly int _count;
    private readonly IReadOnlyList<StatementSyntax> _replacement;

    private KeyLockRewrite(BlockSyntax block, int first, int count, IReadOnlyList<StatementSyntax> replacement)
    {
        _block = block;
        _first = first;
        _count = count;
        _replacement = replacement;
    }

    public SyntaxNode Apply(SyntaxNode root)
    {
        var statements = _block.Statements.ToList();
        statements[_first - 1] = statements[_first - 1].WithAdditionalAnnotations(ReadAnnotation);
        statements.RemoveRange(_first, _count);
        statements.InsertRange(_first, _replacement);
        var newRoot = root.ReplaceNode(_block, _block.WithStatements(SyntaxFactory.List(statements)));
        return newRoot is CompilationUnitSyntax unit ? RuntimeUsings.Ensure(unit) : newRoot;
    }

    public static SyntaxNode? FindRewritten(SyntaxNode root) => root.GetAnnotatedNodes(RewrittenAnnotation).FirstOrDefault();

    /// <param name="populates">The diagnostic's additional locations: each must end up under the lock (or be in another member, a helper's).</param>
    public static KeyLockRewrite? TryPlan(InvocationExpressionSyntax read, IReadOnlyList<Location> populates, SemanticModel model, CancellationToken ct)
    {
        // 1. The read's key: the first argument, a string (or a RedisKey, which converts to one).
        if (read.ArgumentList.Arguments.Count == 0)
            return null;
        var keyArgument = read.ArgumentList.Arguments.FirstOrDefault(a => a.NameColon?.Name.Identifier.ValueText == "key")
                          ?? read.ArgumentList.Arguments[0];
        if (keyArgument.NameColon is { } nc && nc.Name.Identifier.ValueText != "key" || keyArgument.RefKindKeyword != default)
            return null;
        var key = keyArgument.Expression;
        var keyType = model.GetTypeInfo(key, ct).Type?.ToDisplayString();
        if (keyType is not ("string" or "string?" or "StackExchange.Redis.RedisKey") || !IsPureKey(key, model, ct))
            return null;
        // The whole read is evaluated once more (the re-read): its receiver and every argument too.
        if (read.Expression is MemberAccessExpressionSyntax { Expression: var receiver } && !IsPureKey(receiver, model, ct)
            || read.ArgumentList.Arguments.Any(a => !IsPureKey(a.Expression, model, ct)))
        {
            return null;
        }

        // 2. The statement that puts the read into a local: `var v = READ;` or `v = READ;`.
        SyntaxNode node = read;
        while (node.Parent is AwaitExpressionSyntax or ParenthesizedExpressionSyntax or CastExpressionSyntax
               || node.Parent is MemberAccessExpressionSyntax { Name.Identifier.ValueText: "ConfigureAwait" } m && m.Expression == node
               || node.Parent is InvocationExpressionSyntax { Expression: MemberAccessExpressionSyntax { Name.Identifier.ValueText: "ConfigureAwait" } } inv && inv.Expression == node
               || node.Parent is BinaryExpressionSyntax { RawKind: (int)SyntaxKind.CoalesceExpression } co && co.Left == node)
        {
            node = node.Parent;
        }
        if (node is not ExpressionSyntax readExpression)
            return null;
        ILocalSymbol? local;
        StatementSyntax readStatement;
        if (node.Parent is EqualsValueClauseSyntax { Parent: VariableDeclaratorSyntax declarator } eq
            && declarator.Parent is VariableDeclarationSyntax { Variables.Count: 1 } declaration
            && declaration.Parent is LocalDeclarationStatementSyntax localDeclaration
            && !localDeclaration.IsConst && localDeclaration.UsingKeyword == default && localDeclaration.AwaitKeyword == default)
        {
            local = model.GetDeclaredSymbol(declarator, ct) as ILocalSymbol;
            readStatement = localDeclaration;
        }
        else if (node.Parent is AssignmentExpressionSyntax { RawKind: (int)SyntaxKind.SimpleAssignmentExpression, Left: IdentifierNameSyntax } assignment
                 && assignment.Right == node
                 && assignment.Parent is ExpressionStatementSyntax expressionStatement)
        {
            local = model.GetSymbolInfo(assignment.Left, ct).Symbol as ILocalSymbol;
            readStatement = expressionStatement;
        }
        else
        {
            return null;
        }
        if (local is null || local.IsRef || local.IsConst || readStatement.Parent is not BlockSyntax block)
            return null;
        var index = block.Statements.IndexOf(readStatement);
        if (index < 0 || index + 1 >= block.Statements.Count)
            return null;

        // 3. The function: its await (or not), no iterator, no goto.
        var function = block.Ancestors().FirstOrDefault(a => a is BaseMethodDeclarationSyntax or AccessorDeclarationSyntax or LocalFunctionStatementSyntax or AnonymousFunctionExpressionSyntax);
        if (function is null || function.DescendantNodes().Any(n => n is YieldStatementSyntax or GotoStatementSyntax or LabeledStatementSyntax))
            return null;
        var isAsync = function switch
        {
            BaseMethodDeclarationSyntax method => method.Modifiers.Any(SyntaxKind.AsyncKeyword),
            LocalFunctionStatementSyntax lf => lf.Modifiers.Any(SyntaxKind.AsyncKeyword),
            AnonymousFunctionExpressionSyntax lambda => lambda.AsyncKeyword != default,
            _ => false,
        };
        if (readExpression.DescendantNodesAndSelf().OfType<AwaitExpressionSyntax>().Any() && !isAsync)
            return null;
        var configureAwait = readExpression.DescendantNodesAndSelf().OfType<InvocationExpressionSyntax>()
            .Where(i => i.Expression is MemberAccessExpressionSyntax { Name.Identifier.ValueText: "ConfigureAwait" } && i.ArgumentList.Arguments.Count == 1)
            .Select(i => i.ArgumentList.Arguments[0].Expression.ToString())
            .FirstOrDefault();

        // 4. The check after the read.
        var check = block.Statements[index + 1];
        var eol = EndOfLine(block);
        var indent = IndentOf(check);
        var unit = IndentUnit(block, indent);
        var lockText = isAsync
            ? "await KeyLocks.LockAsync(" + KeyText(key, keyType) + ")" + (configureAwait is null ? "" : ".ConfigureAwait(" + configureAwait + ")")
            : "KeyLocks.Lock(" + KeyText(key, keyType) + ")";
        var reread = local.Name + " = " + readExpression.WithoutTrivia().ToFullString() + ";";

        var text = new StringBuilder();
        int count;
        switch (check)
        {
            case IfStatementSyntax { Else: null } ifStatement when IsPureCheck(ifStatement.Condition, local, model, ct)
                                                                  && (!MiniChecks.Exits(ifStatement.Statement) || DoesWork(ifStatement.Statement, populates, model, ct))
                                                                  && Under(populates, function, ifStatement.Statement.Span):
            {
                // if (MISS) { M }: the lock and the re-check go inside.
                var condition = ifStatement.Condition.WithoutTrivia().ToFullString();
                text.Append(ifStatement.GetLeadingTrivia().ToFullString()).Append("if (").Append(condition).Append(')').Append(eol);
                text.Append(indent).Append('{').Append(eol);
                text.Append(indent).Append(unit).Append("using (").Append(lockText).Append(')').Append(eol);
                text.Append(indent).Append(unit).Append('{').Append(eol);
                text.Append(indent).Append(unit).Append(unit).Append(reread).Append(eol);
                text.Append(Reindent(ifStatement, indent + unit + unit, unit + unit));
                text.Append(indent).Append(unit).Append('}').Append(eol);
                text.Append(indent).Append('}').Append(TrailingOf(ifStatement, eol));
                count = 1;
                break;
            }
            case IfStatementSyntax { Else: null } hit when IsPureCheck(hit.Condition, local, model, ct) && MiniChecks.Exits(hit.Statement) && !DoesWork(hit.Statement, populates, model, ct) && index + 2 < block.Statements.Count
                                                       && Under(populates, function, Microsoft.CodeAnalysis.Text.TextSpan.FromBounds(block.Statements[index + 2].SpanStart, block.Statements[block.Statements.Count - 1].Span.End)):
            {
                // if (HIT) return ...; REST: the hit return stays, then the lock around a re-check and REST.
                text.Append(hit.ToFullString());
                text.Append(indent).Append("using (").Append(lockText).Append(')').Append(eol);
                text.Append(indent).Append('{').Append(eol);
                text.Append(indent).Append(unit).Append(reread).Append(eol);
                text.Append(Reindent(hit, indent + unit, unit));
                for (var i = index + 2; i < block.Statements.Count; i++)
                    text.Append(Reindent(block.Statements[i], null, unit));
                text.Append(indent).Append('}').Append(eol);
                count = block.Statements.Count - index - 1;
                break;
            }
            case ReturnStatementSyntax { Expression: ConditionalExpressionSyntax conditional } ret when IsPureCheck(conditional.Condition, local, model, ct)
                                                                                                   && Under(populates, function, conditional.WhenFalse.Span):
            {
                var condition = conditional.Condition.WithoutTrivia().ToFullString();
                text.Append(ret.GetLeadingTrivia().ToFullString()).Append("if (").Append(condition).Append(')').Append(eol);
                text.Append(indent).Append(unit).Append("return ").Append(conditional.WhenTrue.WithoutTrivia().ToFullString()).Append(';').Append(eol);
                text.Append(indent).Append("using (").Append(lockText).Append(')').Append(eol);
                text.Append(indent).Append('{').Append(eol);
                text.Append(indent).Append(unit).Append(reread).Append(eol);
                text.Append(Reindent(ret, indent + unit, unit));
                text.Append(indent).Append('}').Append(TrailingOf(ret, eol));
                count = 1;
                break;
            }
            default:
                return null;
        }

        var parsed = SyntaxFactory.ParseStatement("{" + eol + text + indent + "}");
        if (parsed is not BlockSyntax parsedBlock || parsed.ContainsDiagnostics)
            return null;
        var replacement = parsedBlock.Statements
            .Select(s => s is UsingStatementSyntax or IfStatementSyntax ? s.WithAdditionalAnnotations(RewrittenAnnotation) : s)
            .ToList();
        return new KeyLockRewrite(block, index + 1, count, replacement);
    }

    /// <summary>
    /// A branch that loads (the miss path), not one that returns the hit: it holds a populate, an await or a
    /// call into the project's own code (a helper that loads and caches).
    /// </summary>
    private static bool DoesWork(StatementSyntax branch, IReadOnlyList<Location> populates, SemanticModel model, CancellationToken ct) =>
        populates.Any(p => p.SourceTree == branch.SyntaxTree && branch.Span.Contains(p.SourceSpan))
        || branch.DescendantNodes().Any(n => n is AwaitExpressionSyntax
                                             || n is InvocationExpressionSyntax invocation
                                                && model.GetSymbolInfo(invocation, ct).Symbol is IMethodSymbol { } m && m.Locations.Any(l => l.IsInSource));

    /// <summary>Every populate is inside <paramref name="region"/>, or outside the function (in the helper it calls).</summary>
    private static bool Under(IReadOnlyList<Location> populates, SyntaxNode function, Microsoft.CodeAnalysis.Text.TextSpan region) =>
        populates.Count > 0
        && populates.All(p => p.SourceTree != function.SyntaxTree || !function.Span.Contains(p.SourceSpan) || region.Contains(p.SourceSpan));

    private static string KeyText(ExpressionSyntax key, string keyType)
    {
        var text = key.WithoutTrivia().ToFullString();
        if (keyType == "StackExchange.Redis.RedisKey")
            return (key is IdentifierNameSyntax or MemberAccessExpressionSyntax or InvocationExpressionSyntax ? text : "(" + text + ")") + ".ToString()";
        return text;
    }

    /// <summary>
    /// The key is evaluated once more (for the lock): locals, parameters, fields, properties, literals, string
    /// building of those, <c>ToString()</c>, and the project's own key builders (methods in source).
    /// </summary>
    private static bool IsPureKey(ExpressionSyntax key, SemanticModel model, CancellationToken ct)
    {
        foreach (var n in key.DescendantNodesAndSelf())
        {
            switch (n)
            {
                case AssignmentExpressionSyntax or PostfixUnaryExpressionSyntax or PrefixUnaryExpressionSyntax { RawKind: (int)SyntaxKind.PreIncrementExpression or (int)SyntaxKind.PreDecrementExpression }
                    or AwaitExpressionSyntax or ObjectCreationExpressionSyntax or ImplicitObjectCreationExpressionSyntax or AnonymousFunctionExpressionSyntax:
                    return false;
                case InvocationExpressionSyntax invocation:
                {
                    if (model.GetSymbolInfo(invocation, ct).Symbol is not IMethodSymbol method)
                        return false;
                    var pure = method.Name is "ToString" or "ToLowerInvariant" or "ToUpperInvariant" or "Trim"
                               || method.Name == "GetDatabase" && method.ContainingType?.Name is "IConnectionMultiplexer" or "ConnectionMultiplexer"
                               || method.ContainingType?.SpecialType == SpecialType.System_String && method.Name is "Format" or "Concat" or "Join"
                               || method.Locations.Any(l => l.IsInSource) && method.Name.IndexOf("Key", System.StringComparison.OrdinalIgnoreCase) >= 0;
                    if (!pure)
                        return false;
                    break;
                }
            }
        }
        return true;
    }

    /// <summary>The hit/miss check is evaluated once more: it must read the local and do nothing else.</summary>
    private static bool IsPureCheck(ExpressionSyntax condition, ILocalSymbol local, SemanticModel model, CancellationToken ct)
    {
        var readsLocal = false;
        foreach (var n in condition.DescendantNodesAndSelf())
        {
            switch (n)
            {
                case IdentifierNameSyntax id when SymbolEqualityComparer.Default.Equals(model.GetSymbolInfo(id, ct).Symbol, local):
                    readsLocal = true;
                    break;
                case AssignmentExpressionSyntax or PostfixUnaryExpressionSyntax or AwaitExpressionSyntax or ObjectCreationExpressionSyntax
                    or AnonymousFunctionExpressionSyntax or DeclarationPatternSyntax or SingleVariableDesignationSyntax:
                    return false;
                case PrefixUnaryExpressionSyntax { RawKind: (int)SyntaxKind.PreIncrementExpression or (int)SyntaxKind.PreDecrementExpression }:
                    return false;
                case InvocationExpressionSyntax invocation:
                {
                    if (model.GetSymbolInfo(invocation, ct).Symbol is not IMethodSymbol method)
                        return false;
                    var pure = method.ContainingType?.SpecialType == SpecialType.System_String && method.Name is "IsNullOrEmpty" or "IsNullOrWhiteSpace"
                               || method.Name is "Any" or "Count" && invocation.ArgumentList.Arguments.Count == 0
                               || method.Name == "Equals";
                    if (!pure)
                        return false;
                    break;
                }
            }
        }
        return readsLocal;
    }

    private static string EndOfLine(SyntaxNode node) =>
        node.DescendantTrivia().FirstOrDefault(t => t.IsKind(SyntaxKind.EndOfLineTrivia)) is { RawKind: (int)SyntaxKind.EndOfLineTrivia } eol
            ? eol.ToFullString()
            : "\n";

    private static string IndentOf(SyntaxNode node)
    {
        var leading = node.GetLeadingTrivia();
        return leading.Count > 0 && leading[leading.Count - 1].IsKind(SyntaxKind.WhitespaceTrivia) ? leading[leading.Count - 1].ToFullString() : "";
    }

    private static string IndentUnit(BlockSyntax block, string statementIndent)
    {
        var brace = block.OpenBraceToken.LeadingTrivia;
        var braceIndent = brace.Count > 0 && brace[brace.Count - 1].IsKind(SyntaxKind.WhitespaceTrivia) ? brace[brace.Count - 1].ToFullString() : "";
        if (statementIndent.Length > braceIndent.Length && statementIndent.StartsWith(braceIndent, System.StringComparison.Ordinal))
            return statementIndent.Substring(braceIndent.Length);
        return statementIndent.StartsWith("\t", System.StringComparison.Ordinal) ? "\t" : "    ";
    }

    private static string TrailingOf(SyntaxNode node, string eol)
    {
        var trailing = node.GetTrailingTrivia().ToFullString();
        return trailing.Length == 0 ? eol : trailing;
    }

    /// <summary>
    /// The statement's text with every line that starts in trivia (outside string literals) indented by
    /// <paramref name="add"/>; <paramref name="firstLine"/> replaces the leading trivia when given.
    /// </summary>
    private static string Reindent(StatementSyntax statement, string? firstLine, string add)
    {
        var text = new StringBuilder();
        var atLineStart = true;
        var first = true;
        foreach (var token in statement.DescendantTokens(descendIntoTrivia: false))
        {
            if (first && firstLine is not null)
            {
                text.Append(firstLine);
                atLineStart = false;
            }
            else
            {
                foreach (var trivia in token.LeadingTrivia)
                {
                    if (atLineStart && !trivia.IsKind(SyntaxKind.EndOfLineTrivia))
                        text.Append(add);
                    text.Append(trivia.ToFullString());
                    atLineStart = trivia.IsKind(SyntaxKind.EndOfLineTrivia);
                }
                if (atLineStart)
                    text.Append(add);
            }
            first = false;
            text.Append(token.Text);
            atLineStart = false;
            foreach (var trivia in token.TrailingTrivia)
            {
                text.Append(trivia.ToFullString());
                atLineStart = trivia.IsKind(SyntaxKind.EndOfLineTrivia);
            }
        }
        return text.ToString();
    }
}
