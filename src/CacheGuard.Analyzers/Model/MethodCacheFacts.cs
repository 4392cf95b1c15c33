using System.Collections.Generic;
using System.Collections.Immutable;
using Microsoft.CodeAnalysis;
using Microsoft.CodeAnalysis.Operations;

namespace CacheGuard.Analyzers.Model;

/// <summary>
/// The cache operations and database writes of one body (a method, accessor, local function or
/// lambda counts with the member that holds it), in source order. Rules that need facts about a
/// whole method (a write after a read, a delete before a save) build this once per operation block.
/// </summary>
internal sealed class MethodCacheFacts
{
    private MethodCacheFacts(ISymbol owner, IOperation? root, ImmutableArray<CacheOperation> cacheOperations, ImmutableArray<DatabaseWrite> databaseWrites, ImmutableArray<IInvocationOperation> invocations,
        ImmutableArray<IVariableDeclaratorOperation> declarators, ImmutableArray<ISimpleAssignmentOperation> memberAssignments)
    {
        Root = root;
        Declarators = declarators;
        MemberAssignments = memberAssignments;
        Owner = owner;
        CacheOperations = cacheOperations;
        DatabaseWrites = databaseWrites;
        Invocations = invocations;
    }

    /// <summary>The member whose body this is.</summary>
    public ISymbol Owner { get; }

    /// <summary>Every recognized cache operation, in source order.</summary>
    public ImmutableArray<CacheOperation> CacheOperations { get; }

    /// <summary>Every recognized database write, in source order.</summary>
    public ImmutableArray<DatabaseWrite> DatabaseWrites { get; }

    /// <summary>Every invocation of the body, in the order of <c>DescendantsAndSelf</c> (the walk is done once, here).</summary>
    public ImmutableArray<IInvocationOperation> Invocations { get; }

    /// <summary>Every variable declarator of the body with an initializer, in the order of <c>DescendantsAndSelf</c>.</summary>
    public ImmutableArray<IVariableDeclaratorOperation> Declarators { get; }

    /// <summary>Every simple assignment of the body to a field or property (<c>model.Token = ...</c>), in the order of <c>DescendantsAndSelf</c>.</summary>
    public ImmutableArray<ISimpleAssignmentOperation> MemberAssignments { get; }

    /// <summary>
    /// The root operation the facts were built from (its parent is null), or null when they were built from
    /// several blocks or a block inside a body. The lists above hold all of its tree when <see cref="Holds"/> says so.
    /// </summary>
    public IOperation? Root { get; }

    /// <summary>True when <paramref name="operation"/> belongs to the tree these facts walked whole (<see cref="Root"/>).</summary>
    public bool Holds(IOperation operation) => Root is { } root && ReferenceEquals(OperationFacts.Root(operation), root);

    /// <param name="touchesOnlyMemory">
    /// The engine's summary of a callee in source (<c>CacheGuardEngine.TouchesOnlyMemory</c>): a call named like a repository
    /// write whose body only changes memory is no database write. Null: every such call counts.
    /// </param>
    public static MethodCacheFacts Build(ISymbol owner, ImmutableArray<IOperation> blocks, CacheApi api, ImmutableArray<string> writeVerbs,
        System.Func<IMethodSymbol, bool>? touchesOnlyMemory = null)
    {
        var cache = ImmutableArray.CreateBuilder<CacheOperation>();
        var writes = ImmutableArray.CreateBuilder<DatabaseWrite>();
        var invocations = ImmutableArray.CreateBuilder<IInvocationOperation>();
        var declarators = ImmutableArray.CreateBuilder<IVariableDeclaratorOperation>();
        var memberAssignments = ImmutableArray.CreateBuilder<ISimpleAssignmentOperation>();
        foreach (var block in blocks)
        {
            foreach (var operation in block.DescendantsAndSelf())
            {
                if (operation is not IInvocationOperation invocation)
                {
                    if (operation is IVariableDeclaratorOperation { Initializer: not null } declarator)
                        declarators.Add(declarator);
                    else if (operation is ISimpleAssignmentOperation { Target: IMemberReferenceOperation } assignment)
                        memberAssignments.Add(assignment);
                    continue;
                }
                invocations.Add(invocation);
                if (Model.CacheOperations.Recognize(invocation, api) is { } cacheOperation)
                    cache.Add(cacheOperation);
                else if (Model.DatabaseWrites.Recognize(invocation, api, writeVerbs) is { } write && !InCacheCallback(invocation)
                    && !(write.Kind == DatabaseWriteKind.Repository && touchesOnlyMemory is not null && touchesOnlyMemory(invocation.TargetMethod)))
                {
                    writes.Add(write);
                }
            }
        }
        cache.Sort(BySpan);
        writes.Sort((a, b) => a.Invocation.Syntax.SpanStart.CompareTo(b.Invocation.Syntax.SpanStart));
        var root = blocks.Length == 1 && blocks[0].Parent is null ? blocks[0] : null;
        return new MethodCacheFacts(owner, root, cache.ToImmutable(), writes.ToImmutable(), invocations.ToImmutable(), declarators.ToImmutable(), memberAssignments.ToImmutable());
    }

    /// <summary>
    /// Inside a callback handed to a cache API (<c>RegisterPostEvictionCallback((key, value, reason, state) => ...)</c>):
    /// it runs when the entry is evicted, not on this method's path.
    /// </summary>
    private static bool InCacheCallback(IOperation operation)
    {
        for (var current = operation.Parent; current is not null; current = current.Parent)
        {
            if (current is not IAnonymousFunctionOperation)
                continue;
            for (var up = current.Parent; up is not null; up = up.Parent)
            {
                if (up is IInvocationOperation call)
                {
                    var ns = call.TargetMethod.ContainingNamespace?.ToDisplayString() ?? "";
                    if (ns.StartsWith("Microsoft.Extensions.Caching", System.StringComparison.Ordinal)
                        || ns.StartsWith("StackExchange.Redis", System.StringComparison.Ordinal)
                        || call.TargetMethod.Name is "RegisterPostEvictionCallback" or "RegisterChangeCallback")
                    {
                        return true;
                    }
                    break;
                }
                if (up is not (IDelegateCreationOperation or IArgumentOperation or IConversionOperation))
                    break;
            }
        }
        return false;
    }

    /// <summary>The operations of a kind that address the same key as <paramref name="key"/>.</summary>
    public IEnumerable<CacheOperation> OnKey(IOperation? key, CacheOperationKind kind)
    {
        foreach (var operation in CacheOperations)
        {
            if (operation.Kind == kind && CacheKeys.AreSame(operation.Key, key))
                yield return operation;
        }
    }

    /// <summary>
    /// True when this body reads (or checks) <paramref name="write"/>'s key before writing it, in the
    /// same function (not in a sibling lambda): the write is the populate of a cache-aside read.
    /// </summary>
    public bool IsReadBefore(CacheOperation write)
    {
        var function = WritePathFacts.EnclosingFunction(write.Invocation);
        foreach (var operation in CacheOperations)
        {
            if (operation.Syntax.SpanStart >= write.Syntax.SpanStart)
                break;
            if (operation.Kind is CacheOperationKind.Read or CacheOperationKind.Exists
                && WritePathFacts.EnclosingFunction(operation.Invocation) == function
                && CacheKeys.AreSame(operation.Key, write.Key))
            {
                return true;
            }
        }
        return false;
    }

    private static int BySpan(CacheOperation a, CacheOperation b) =>
        a.Invocation.Syntax.SpanStart.CompareTo(b.Invocation.Syntax.SpanStart);
}
