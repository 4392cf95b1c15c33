using System.Collections.Generic;
using System.Collections.Immutable;
using System.Globalization;
using Microsoft.CodeAnalysis;
using Microsoft.CodeAnalysis.CSharp;
using Microsoft.CodeAnalysis.CSharp.Syntax;
using Microsoft.CodeAnalysis.Operations;
using Microsoft.CodeAnalysis.Text;

namespace CacheGuard.Analyzers.Model;

/// <summary>How a cache write or an early invalidation becomes the runtime's invalidation after the last database write.</summary>
internal enum InvalidationPlacement
{
    /// <summary>No safe rewrite: report only.</summary>
    None,
    /// <summary>The statement already follows the last database write: replace it where it is.</summary>
    Replace,
    /// <summary>The statement comes before the last database write: remove it and invalidate right after that write.</summary>
    Move,
}

/// <summary>
/// Where and how the runtime's invalidation of a key replaces a cache statement, decided with the
/// semantic model so the code fix only has to follow it. Carried to the fix in diagnostic properties.
/// </summary>
internal sealed class InvalidationPlan
{
    public const string PlacementProperty = "Placement";
    public const string AwaitProperty = "Await";
    public const string ConfigureAwaitProperty = "ConfigureAwait";
    public const string AsIsProperty = "AsIs";
    public const string ReturnProperty = "Return";
    public const string KeySpanProperty = "KeySpan";
    public const string AnchorSpanProperty = "AnchorSpan";

    /// <summary>
    /// Absent for StackExchange.Redis (the runtime's <c>InvalidateAsync</c>). <see cref="DistributedFamily"/>,
    /// <see cref="MemoryFamily"/>, <see cref="HybridFamily"/>: the fix writes the family's own
    /// <c>Remove(Async)(key)</c> on the same receiver (no runtime needed).
    /// </summary>
    public const string FamilyProperty = "Family";
    public const string DistributedFamily = "Distributed";
    public const string MemoryFamily = "Memory";
    public const string HybridFamily = "Hybrid";

    private static readonly InvalidationPlan NoFix = new(InvalidationPlacement.None, false, false, false, default, default);

    private InvalidationPlan(InvalidationPlacement placement, bool await, bool configureAwait, bool asIs, TextSpan keySpan, TextSpan anchorSpan, bool returns = false, string? family = null)
    {
        Family = family;
        Returns = returns;
        Placement = placement;
        Await = await;
        ConfigureAwait = configureAwait;
        AsIs = asIs;
        KeySpan = keySpan;
        AnchorSpan = anchorSpan;
    }

    public InvalidationPlacement Placement { get; }

    /// <summary>Null for StackExchange.Redis; else which cache family's <c>Remove(Async)</c> the fix writes.</summary>
    public string? Family { get; }

    /// <summary>Write <c>await db.InvalidateAsync(key)</c> (the method is async), else <c>db.Invalidate(key)</c>.</summary>
    public bool Await { get; }

    /// <summary>The surrounding awaits use <c>ConfigureAwait(false)</c>: so does the invalidation.</summary>
    public bool ConfigureAwait { get; }

    /// <summary>The statement already is the runtime's invalidation: move it unchanged.</summary>
    public bool AsIs { get; }

    /// <summary>The statement is <c>return db.XAsync(...);</c> in a non-async <c>Task</c> method: it becomes <c>return db.InvalidateAsync(key);</c>.</summary>
    public bool Returns { get; }

    /// <summary>The key expression to invalidate.</summary>
    public TextSpan KeySpan { get; }

    /// <summary>For <see cref="InvalidationPlacement.Move"/>: the statement holding the last database write.</summary>
    public TextSpan AnchorSpan { get; }

    public ImmutableDictionary<string, string?> ToProperties()
    {
        var properties = ImmutableDictionary<string, string?>.Empty;
        if (Placement == InvalidationPlacement.None)
            return properties;
        properties = properties
            .Add(PlacementProperty, Placement.ToString())
            .Add(AwaitProperty, Await ? "true" : "false")
            .Add(ConfigureAwaitProperty, ConfigureAwait ? "true" : "false")
            .Add(KeySpanProperty, Format(KeySpan));
        if (AsIs)
            properties = properties.Add(AsIsProperty, "true");
        if (Returns)
            properties = properties.Add(ReturnProperty, "true");
        if (Placement == InvalidationPlacement.Move)
            properties = properties.Add(AnchorSpanProperty, Format(AnchorSpan));
        if (Family is not null)
            properties = properties.Add(FamilyProperty, Family);
        return properties;
    }

    /// <summary>Parses a span written by <see cref="ToProperties"/>.</summary>
    public static bool TryParseSpan(string? value, out TextSpan span)
    {
        span = default;
        var parts = value?.Split(':');
        if (parts is not { Length: 2 }
            || !int.TryParse(parts[0], NumberStyles.None, CultureInfo.InvariantCulture, out var start)
            || !int.TryParse(parts[1], NumberStyles.None, CultureInfo.InvariantCulture, out var length))
        {
            return false;
        }
        span = new TextSpan(start, length);
        return true;
    }

    private static string Format(TextSpan span) =>
        span.Start.ToString(CultureInfo.InvariantCulture) + ":" + span.Length.ToString(CultureInfo.InvariantCulture);

    /// <summary>
    /// Plans the rewrite of <paramref name="operation"/> (a cache write, or an invalidation that comes
    /// too early) into the runtime's invalidation after the last of <paramref name="writes"/> (the
    /// related database writes, in source order). No plan when the control flow between them makes
    /// "after the last write" ambiguous, or when moving the key would change what it evaluates to.
    /// </summary>
    public static InvalidationPlan For(CacheOperation operation, ImmutableArray<DatabaseWrite> writes, ISymbol owner, CacheApi api)
    {
        if (writes.IsEmpty || operation.Key is null)
            return NoFix;
        var family = RemovalFamily(operation, api);
        if (family is not null)
            return ForFamily(operation, writes, owner, api, family);
        // StackExchange.Redis: planned with or without CacheGuard.Runtime. The fix writes the
        // runtime's invalidation, or without the runtime a plain KeyDelete(Async) of the same key
        // (the receiver is an IDatabase).
        var asIs = WritePathFacts.IsRuntimeInvalidation(operation);
        if (!asIs && !IsRedisDatabaseCall(operation, api))
            return NoFix;
        return Plan(operation, writes, owner, OperationFacts.ArgumentOfType(operation.Invocation, api.RedisKey), asIs, family: null, syncAllowed: true, returnsAllowed: true);
    }

    /// <summary>
    /// IDistributedCache / IMemoryCache / HybridCache: a write (CG0002) becomes the family's own
    /// removal of the key; a removal (CG0006) moves as it is. No runtime needed.
    /// </summary>
    private static InvalidationPlan ForFamily(CacheOperation operation, ImmutableArray<DatabaseWrite> writes, ISymbol owner, CacheApi api, string family)
    {
        var asIs = operation.Kind == CacheOperationKind.Delete;
        var keyArgument = OperationFacts.ArgumentNamed(operation.Invocation, "key");
        if (keyArgument is null || keyArgument.Value.Type?.SpecialType != SpecialType.System_String && family != MemoryFamily)
            return NoFix;
        // HybridCache has no synchronous Remove, IMemoryCache no asynchronous one; `return x.RemoveAsync(key);`
        // needs a Task-returning RemoveAsync (IDistributedCache's).
        return Plan(operation, writes, owner, keyArgument, asIs, family,
            syncAllowed: family != HybridFamily, returnsAllowed: family == DistributedFamily);
    }

    /// <summary>The family whose removal replaces <paramref name="operation"/>, for the non-Redis families.</summary>
    private static string? RemovalFamily(CacheOperation operation, CacheApi api)
    {
        if (operation.Kind is not (CacheOperationKind.Write or CacheOperationKind.Delete))
            return null;
        var family = operation.Family switch
        {
            CacheFamily.DistributedCache => DistributedFamily,
            CacheFamily.MemoryCache => MemoryFamily,
            CacheFamily.HybridCache => HybridFamily,
            _ => null,
        };
        if (family is null)
            return null;
        // The receiver: `cache.SetStringAsync(..)` (extension or instance) on the cache interface itself.
        var receiver = operation.Invocation.Instance ?? (operation.Invocation.TargetMethod.IsExtensionMethod && operation.Invocation.Arguments.Length > 0 ? operation.Invocation.Arguments[0].Value : null);
        var receiverType = receiver is null ? null : OperationFacts.UnwrapImplicit(receiver).Type;
        var target = family switch
        {
            DistributedFamily => api.DistributedCache,
            MemoryFamily => api.MemoryCache,
            _ => api.HybridCache,
        };
        return receiverType is not null && target is not null && OperationFacts.IsOrInherits(receiverType, target) ? family : null;
    }

    private static InvalidationPlan Plan(CacheOperation operation, ImmutableArray<DatabaseWrite> writes, ISymbol owner, IArgumentOperation? keyArgument, bool asIs, string? family, bool syncAllowed, bool returnsAllowed)
    {
        if (operation.Invocation.Syntax is not InvocationExpressionSyntax { Expression: MemberAccessExpressionSyntax { RawKind: (int)SyntaxKind.SimpleMemberAccessExpression } access } invocation
            || invocation.ContainsDiagnostics)
        {
            return NoFix;
        }
        var function = WritePathFacts.EnclosingFunction(operation.Invocation);
        var isAsync = WritePathFacts.IsAsync(function, owner);
        StatementSyntax? statement = StatementOf(invocation);
        var returns = false;
        if (statement is null && !asIs && !isAsync && returnsAllowed && operation.IsAsync && ReturnsPlainTask(function, owner)
            && SkipParentheses(invocation).Parent is ReturnStatementSyntax returnStatement)
        {
            // `return db.StringSetAsync(...);` in a Task method: `return db.InvalidateAsync(key);` where it is.
            statement = returnStatement;
            returns = true;
        }
        if (statement is not { Parent: BlockSyntax block })
            return NoFix;

        // Every related write in the same body: a write inside a lambda runs who knows when.
        foreach (var write in writes)
        {
            if (WritePathFacts.EnclosingFunction(write.Invocation) != function || statement.Span.Contains(write.Invocation.Syntax.Span))
                return NoFix;
        }

        if (family is not null && !asIs && !isAsync && !syncAllowed && !returns)
            return NoFix;
        if (keyArgument?.Syntax is not ArgumentSyntax { Expression: { } keySyntax } || !IsMovableExpression(keySyntax) || !IsMovableExpression(access.Expression))
            return NoFix;

        if (isAsync && IsInsideLock(statement))
            return NoFix; // no await inside lock

        var last = writes[writes.Length - 1];
        var configureAwait = HasConfigureAwaitFalse(invocation) || HasConfigureAwaitFalse(last.Invocation.Syntax);
        if (last.Invocation.Syntax.SpanStart < invocation.SpanStart)
            return new InvalidationPlan(InvalidationPlacement.Replace, isAsync && (family != MemoryFamily), configureAwait, asIs, keySyntax.Span, default, returns, family);
        if (returns)
            return NoFix;

        var anchor = StatementIn(block, last.Invocation.Syntax);
        if (anchor is not (ExpressionStatementSyntax or LocalDeclarationStatementSyntax) || anchor.SpanStart <= statement.SpanStart)
            return NoFix;
        if (!IsStraightLine(block, statement, anchor, writes))
            return NoFix;
        if (IsReassignedBetween(operation, keyArgument, statement, anchor))
            return NoFix;
        return new InvalidationPlan(InvalidationPlacement.Move, isAsync && (family != MemoryFamily), configureAwait, asIs, keySyntax.Span, anchor.Span, family: family);
    }

    private static bool ReturnsPlainTask(IOperation function, ISymbol owner)
    {
        var returnType = function switch
        {
            IAnonymousFunctionOperation lambda => lambda.Symbol.ReturnType,
            ILocalFunctionOperation local => local.Symbol.ReturnType,
            _ => (owner as IMethodSymbol)?.ReturnType,
        };
        return returnType is INamedTypeSymbol { Name: "Task", IsGenericType: false } task
            && task.ContainingNamespace?.ToDisplayString() == "System.Threading.Tasks";
    }

    private static bool IsRedisDatabaseCall(CacheOperation operation, CacheApi api) =>
        operation.Family == CacheFamily.Redis
        && api.RedisDatabase is not null
        && operation.Invocation.Instance?.Type is { } receiver
        && OperationFacts.IsOrInherits(receiver, api.RedisDatabase);

    /// <summary>The statement that is only this call: <c>x.M(..);</c>, <c>await x.M(..);</c>, <c>await x.M(..).ConfigureAwait(false);</c>.</summary>
    private static ExpressionStatementSyntax? StatementOf(InvocationExpressionSyntax invocation)
    {
        SyntaxNode node = invocation;
        node = SkipParentheses(node);
        if (node.Parent is MemberAccessExpressionSyntax { Name.Identifier.ValueText: "ConfigureAwait" } configure
            && configure.Expression == node
            && configure.Parent is InvocationExpressionSyntax configured)
        {
            node = SkipParentheses(configured);
            if (node.Parent is not AwaitExpressionSyntax)
                return null;
        }
        if (node.Parent is AwaitExpressionSyntax awaited)
            node = SkipParentheses(awaited);
        return node.Parent as ExpressionStatementSyntax;
    }

    private static SyntaxNode SkipParentheses(SyntaxNode node)
    {
        while (node.Parent is ParenthesizedExpressionSyntax parenthesized)
            node = parenthesized;
        return node;
    }

    private static StatementSyntax? StatementIn(BlockSyntax block, SyntaxNode node)
    {
        for (var current = node; current is not null && current != block; current = current.Parent)
        {
            if (current.Parent == block)
                return current as StatementSyntax;
            if (current is AnonymousFunctionExpressionSyntax or LocalFunctionStatementSyntax)
                return null;
        }
        return null;
    }

    private static bool HasConfigureAwaitFalse(SyntaxNode invocation) =>
        SkipParentheses(invocation).Parent is MemberAccessExpressionSyntax { Name.Identifier.ValueText: "ConfigureAwait", Parent: InvocationExpressionSyntax { ArgumentList.Arguments: { Count: 1 } arguments } }
        && arguments[0].Expression.IsKind(SyntaxKind.FalseLiteralExpression);

    /// <summary>An expression that means the same wherever it is evaluated in the method: no awaits, assignments or new variables.</summary>
    private static bool IsMovableExpression(ExpressionSyntax expression)
    {
        foreach (var node in expression.DescendantNodesAndSelf())
        {
            switch (node)
            {
                case AwaitExpressionSyntax:
                case AssignmentExpressionSyntax:
                case DeclarationExpressionSyntax:
                case DeclarationPatternSyntax:
                case RecursivePatternSyntax:
                case AnonymousFunctionExpressionSyntax:
                case PrefixUnaryExpressionSyntax { RawKind: (int)SyntaxKind.PreIncrementExpression or (int)SyntaxKind.PreDecrementExpression }:
                case PostfixUnaryExpressionSyntax { RawKind: (int)SyntaxKind.PostIncrementExpression or (int)SyntaxKind.PostDecrementExpression }:
                    return false;
            }
        }
        return true;
    }

    private static bool IsInsideLock(SyntaxNode node)
    {
        for (var current = node.Parent; current is not null; current = current.Parent)
        {
            if (current is LockStatementSyntax)
                return true;
            if (current is AnonymousFunctionExpressionSyntax or LocalFunctionStatementSyntax or MemberDeclarationSyntax)
                return false;
        }
        return false;
    }

    private static bool IsInsideLoop(SyntaxNode node)
    {
        for (var current = node.Parent; current is not null; current = current.Parent)
        {
            if (current is ForStatementSyntax or CommonForEachStatementSyntax or WhileStatementSyntax or DoStatementSyntax)
                return true;
            if (current is AnonymousFunctionExpressionSyntax or LocalFunctionStatementSyntax or MemberDeclarationSyntax)
                return false;
        }
        return false;
    }

    /// <summary>
    /// True when every path from <paramref name="from"/> reaches <paramref name="anchor"/> or leaves
    /// before any database write: no break/continue/goto between them, and a return or throw only
    /// where nothing has been written yet (moving the invalidation past it loses nothing).
    /// </summary>
    private static bool IsStraightLine(BlockSyntax block, StatementSyntax from, StatementSyntax anchor, ImmutableArray<DatabaseWrite> writes)
    {
        var inLoop = IsInsideLoop(block) || block.Parent is ForStatementSyntax or CommonForEachStatementSyntax or WhileStatementSyntax or DoStatementSyntax;
        var firstWrite = writes[0].Invocation.Syntax.SpanStart;
        foreach (var statement in block.Statements)
        {
            if (statement.SpanStart <= from.SpanStart || statement.SpanStart > anchor.SpanStart)
                continue;
            foreach (var node in statement.DescendantNodesAndSelf(n => n is not (AnonymousFunctionExpressionSyntax or LocalFunctionStatementSyntax)))
            {
                switch (node)
                {
                    case BreakStatementSyntax:
                    case ContinueStatementSyntax:
                    case GotoStatementSyntax:
                    case LabeledStatementSyntax:
                        return false;
                    case ReturnStatementSyntax:
                    case YieldStatementSyntax:
                    case ThrowStatementSyntax:
                    case ThrowExpressionSyntax:
                        if (inLoop || firstWrite < node.SpanStart)
                            return false;
                        break;
                }
            }
        }
        return true;
    }

    /// <summary>True when a variable, field or property the key (or the receiver) reads is assigned between the statement and the anchor.</summary>
    private static bool IsReassignedBetween(CacheOperation operation, IArgumentOperation keyArgument, StatementSyntax from, StatementSyntax anchor)
    {
        var read = new HashSet<ISymbol>(SymbolEqualityComparer.Default);
        Collect(keyArgument.Value, read);
        var receiver = operation.Invocation.Instance ?? (operation.Invocation.Arguments.Length > 0 ? operation.Invocation.Arguments[0].Value : null);
        if (receiver is not null)
            Collect(receiver, read);
        if (read.Count == 0)
            return false;

        var start = from.Span.End;
        var end = anchor.Span.End;
        foreach (var node in OperationFacts.Root(operation.Invocation).Descendants())
        {
            var span = node.Syntax.Span;
            if (span.Start < start || span.End > end)
                continue;
            IOperation? target = node switch
            {
                IAssignmentOperation assignment => assignment.Target,
                IIncrementOrDecrementOperation increment => increment.Target,
                IArgumentOperation { Parameter.RefKind: RefKind.Ref or RefKind.Out } argument => argument.Value,
                _ => null,
            };
            if (target is not null && WritesAny(target, read))
                return true;
        }
        return false;
    }

    /// <summary>The variable or member an assignment target writes (<c>post.Title = …</c> writes Title, not post).</summary>
    private static bool WritesAny(IOperation target, HashSet<ISymbol> read)
    {
        if (target is ITupleOperation tuple)
        {
            foreach (var element in tuple.Elements)
            {
                if (WritesAny(element, read))
                    return true;
            }
            return false;
        }
        return SymbolOf(target) is { } symbol && read.Contains(symbol);
    }

    private static void Collect(IOperation operation, HashSet<ISymbol> symbols)
    {
        foreach (var node in operation.DescendantsAndSelf())
        {
            if (SymbolOf(node) is { } symbol)
                symbols.Add(symbol);
        }
    }

    private static ISymbol? SymbolOf(IOperation operation) => operation switch
    {
        ILocalReferenceOperation local => local.Local,
        IParameterReferenceOperation parameter => parameter.Parameter,
        IMemberReferenceOperation member => member.Member,
        _ => null,
    };
}
