using System.Collections.Generic;
using System.Collections.Immutable;
using Microsoft.CodeAnalysis;
using Microsoft.CodeAnalysis.Operations;

namespace CacheGuard.Analyzers.Model;

/// <summary>
/// The write path of one member, for the rules about what a method that writes the database does
/// to the cache (CG0002, CG0006): its database writes, its cache writes and its invalidations, and
/// which of them belong together. Two calls belong together when one's body (the method, a lambda,
/// a local function) is the other's or encloses it: a write inside a retry lambda counts for the
/// method around it, but two sibling endpoint lambdas in one <c>Map…</c> method do not.
/// </summary>
internal sealed class WritePathFacts
{
    private WritePathFacts(MethodCacheFacts facts, ImmutableArray<CacheOperation> invalidations)
    {
        Facts = facts;
        Invalidations = invalidations;
    }

    public MethodCacheFacts Facts { get; }

    /// <summary>Deletes of one key (<c>KeyDelete</c>, a cache's <c>Remove</c>) and the runtime's own <c>Invalidate(Async)</c>, in source order.</summary>
    public ImmutableArray<CacheOperation> Invalidations { get; }

    /// <summary>The write path of a member, or null when it writes no database (nothing for these rules to say).</summary>
    public static WritePathFacts? Build(MethodCacheFacts facts, ImmutableArray<IOperation> blocks, CacheApi api)
    {
        if (facts.DatabaseWrites.IsEmpty)
            return null;

        var invalidations = ImmutableArray.CreateBuilder<CacheOperation>();
        foreach (var operation in facts.CacheOperations)
        {
            if (operation.Kind == CacheOperationKind.Delete
                && operation.Key is not null
                && !operation.Method.Name.StartsWith("StringGetDelete", System.StringComparison.Ordinal))
            {
                invalidations.Add(operation);
            }
        }
        if (api.RuntimeExtensions is not null)
        {
            foreach (var block in blocks)
            {
                foreach (var operation in block.DescendantsAndSelf())
                {
                    if (operation is IInvocationOperation invocation && RuntimeInvalidation(invocation, api) is { } invalidation)
                        invalidations.Add(invalidation);
                }
            }
        }
        invalidations.Sort((a, b) => a.Syntax.SpanStart.CompareTo(b.Syntax.SpanStart));
        return new WritePathFacts(facts, invalidations.ToImmutable());
    }

    /// <summary>True for an invalidation through CacheGuard.Runtime (already fenced; only its place can be wrong).</summary>
    public static bool IsRuntimeInvalidation(CacheOperation operation) => CacheApi.IsRuntimeSymbol(operation.Method);

    /// <summary>
    /// The database writes that belong with <paramref name="operation"/>, in source order: in a
    /// related body, and on a path through it (not in an exclusive branch, not past a return).
    /// </summary>
    public ImmutableArray<DatabaseWrite> WritesRelatedTo(CacheOperation operation)
    {
        var function = EnclosingFunction(operation.Invocation);
        var builder = ImmutableArray.CreateBuilder<DatabaseWrite>();
        foreach (var write in Facts.DatabaseWrites)
        {
            if (!AreRelatedFunctions(function, EnclosingFunction(write.Invocation)))
                continue;
            var (first, second) = write.Invocation.Syntax.SpanStart < operation.Syntax.SpanStart
                ? (write.Invocation.Syntax, operation.Syntax)
                : (operation.Syntax, write.Invocation.Syntax);
            if (ExecutionOrder.CanFollow(first, second))
                builder.Add(write);
        }
        return builder.ToImmutable();
    }

    /// <summary>True when the two calls run in the same body, or one's body encloses the other's.</summary>
    public static bool AreRelated(IOperation a, IOperation b)
    {
        var fa = EnclosingFunction(a);
        var fb = EnclosingFunction(b);
        return AreRelatedFunctions(fa, fb);
    }

    /// <summary>The lambda or local function <paramref name="operation"/> runs in, else the root of the member's body.</summary>
    public static IOperation EnclosingFunction(IOperation operation)
    {
        for (var current = operation.Parent; current is not null; current = current.Parent)
        {
            if (current is IAnonymousFunctionOperation or ILocalFunctionOperation)
                return current;
        }
        return OperationFacts.Root(operation);
    }

    /// <summary>True when <paramref name="function"/> (from <see cref="EnclosingFunction"/>) is an async method, lambda or local function.</summary>
    public static bool IsAsync(IOperation function, ISymbol owner) => function switch
    {
        IAnonymousFunctionOperation lambda => lambda.Symbol.IsAsync,
        ILocalFunctionOperation local => local.Symbol.IsAsync,
        _ => owner is IMethodSymbol { IsAsync: true },
    };

    /// <summary>
    /// True when the key is a lock's, a counter's or a flag's in this member, or names bookkeeping
    /// (a session, an idempotency record, a rate limit): writing or deleting it is no cache update.
    /// </summary>
    public bool IsLockCounterOrFlagKey(IOperation? key)
    {
        if (KeyPurpose.IsBookkeeping(key))
            return true;
        foreach (var _ in Facts.OnKey(key, CacheOperationKind.LockAcquire))
            return true;
        foreach (var _ in Facts.OnKey(key, CacheOperationKind.LockRelease))
            return true;
        foreach (var _ in Facts.OnKey(key, CacheOperationKind.Increment))
            return true;
        foreach (var write in Facts.OnKey(key, CacheOperationKind.Write))
        {
            if (write.Value?.Type?.SpecialType == SpecialType.System_Boolean)
                return true;
        }
        return false;
    }

    /// <summary>
    /// True when the same body reads <paramref name="write"/>'s key from the cache before writing it:
    /// a cache-aside populate (CG0004's business), even if the method also writes an audit row or a view count.
    /// </summary>
    public bool IsPopulateAfterRead(CacheOperation write) => Facts.IsReadBefore(write);

    private static bool AreRelatedFunctions(IOperation fa, IOperation fb)
    {
        if (fa == fb)
            return true;
        var nestedA = fa is IAnonymousFunctionOperation or ILocalFunctionOperation;
        var nestedB = fb is IAnonymousFunctionOperation or ILocalFunctionOperation;
        if (!nestedA && !nestedB)
            return true; // two blocks of one member (initializer and body)
        return OperationFacts.IsInside(fa, fb) || OperationFacts.IsInside(fb, fa);
    }

    /// <summary><c>db.Invalidate(key)</c> / <c>db.InvalidateAsync(key)</c> from CacheGuard.Runtime, as a delete of that key.</summary>
    private static CacheOperation? RuntimeInvalidation(IInvocationOperation invocation, CacheApi api)
    {
        var method = invocation.TargetMethod;
        if (method.Name is not ("Invalidate" or "InvalidateAsync")
            || !SymbolEqualityComparer.Default.Equals(method.ContainingType?.OriginalDefinition, api.RuntimeExtensions))
        {
            return null;
        }
        var keyArgument = OperationFacts.ArgumentOfType(invocation, api.RedisKey);
        return keyArgument is null
            ? null
            : new CacheOperation(invocation, CacheOperationKind.Delete, CacheFamily.Redis, OperationFacts.Unwrap(keyArgument.Value), null, null, false);
    }

    /// <summary>
    /// True when <paramref name="key"/> is built from a value minted to be unique (<c>Guid.NewGuid()</c>, random bytes or a
    /// random string: <see cref="KeyPurpose.IsUniqueSource"/>), through locals and key builders: a new entry no reader can
    /// hold stale, a one-time code's record.
    /// </summary>
    public static bool IsFreshKey(IOperation? key, MethodCacheFacts? facts = null)
    {
        // The body's declarators and member assignments, walked once by its facts, when they hold the key.
        if (facts is not null && !(key is not null && facts.Holds(key)))
            facts = null;
        if (key is null)
            return false;
        var pending = new Stack<IOperation>();
        pending.Push(key);
        var depth = 0;
        while (pending.Count > 0 && depth++ < 64)
        {
            var current = pending.Pop();
            foreach (var node in current.DescendantsAndSelf())
            {
                if (node is IInvocationOperation { TargetMethod: var target } && KeyPurpose.IsUniqueSource(target))
                    return true;
                // A call the compilation cannot resolve (a library missing from a lenient build) named for a random
                // source, RandomUtils.GetBytes(20): unsure, so read as minted (a report would rest on nothing).
                if (node is IInvalidOperation { Syntax: Microsoft.CodeAnalysis.CSharp.Syntax.InvocationExpressionSyntax call } && KeyPurpose.NamesARandomSource(call))
                    return true;
                if (node is ILocalReferenceOperation local && LocalInitializer(local.Local, node, facts) is { } initializer)
                    pending.Push(initializer);
                // model.Token = Guid.NewGuid().ToString(); ... "preview:" + model.Token
                if (node is IPropertyReferenceOperation or IFieldReferenceOperation)
                {
                    foreach (var assigned in MemberAssignments((IMemberReferenceOperation)node, facts))
                        pending.Push(assigned);
                }
            }
        }
        return false;
    }

    /// <summary>Values assigned in the same body to the same member of the same receiver (a local, a parameter or this).</summary>
    private static IEnumerable<IOperation> MemberAssignments(IMemberReferenceOperation reference, MethodCacheFacts? facts)
    {
        if (reference.Instance is not null && !IsReceiverPath(reference.Instance, 0))
            yield break;
        if (facts is not null)
        {
            foreach (var assignment in facts.MemberAssignments)
            {
                var target = (IMemberReferenceOperation)assignment.Target;
                if (SymbolEqualityComparer.Default.Equals(target.Member, reference.Member)
                    && SameReceiver(target.Instance, reference.Instance, 0))
                {
                    yield return assignment.Value;
                }
            }
            yield break;
        }
        foreach (var node in OperationFacts.Root(reference).DescendantsAndSelf())
        {
            if (node is ISimpleAssignmentOperation { Target: IMemberReferenceOperation target } assignment
                && SymbolEqualityComparer.Default.Equals(target.Member, reference.Member)
                && SameReceiver(target.Instance, reference.Instance, 0))
            {
                yield return assignment.Value;
            }
        }
    }

    /// <summary>
    /// A receiver this model can name: a local, a parameter, <c>this</c>, or a chain of fields and properties
    /// from one of them (<c>context.Request</c> in <c>context.Request.RequestId = ...</c>). Not a call or an indexer.
    /// </summary>
    private static bool IsReceiverPath(IOperation instance, int depth)
    {
        if (depth > 6)
            return false;
        return OperationFacts.Unwrap(instance) switch
        {
            ILocalReferenceOperation or IParameterReferenceOperation or IInstanceReferenceOperation => true,
            IFieldReferenceOperation field => field.Instance is null || IsReceiverPath(field.Instance, depth + 1),
            IPropertyReferenceOperation { Arguments.Length: 0 } property => property.Instance is null || IsReceiverPath(property.Instance, depth + 1),
            _ => false,
        };
    }

    /// <summary>Two receivers that are the same path: the same variable or <c>this</c>, then the same members in the same order.</summary>
    private static bool SameReceiver(IOperation? a, IOperation? b, int depth)
    {
        if (a is null || b is null)
            return a is null && b is null;
        if (depth > 6)
            return false;
        a = OperationFacts.Unwrap(a);
        b = OperationFacts.Unwrap(b);
        switch (a)
        {
            case IMemberReferenceOperation first when b is IMemberReferenceOperation second && a is IFieldReferenceOperation or IPropertyReferenceOperation { Arguments.Length: 0 }:
                return SymbolEqualityComparer.Default.Equals(first.Member, second.Member) && SameReceiver(first.Instance, second.Instance, depth + 1);
            default:
                return ReceiverSymbol(a) is { } symbol && SymbolEqualityComparer.Default.Equals(symbol, ReceiverSymbol(b));
        }
    }

    private static ISymbol? ReceiverSymbol(IOperation? instance) => instance is null ? null : OperationFacts.Unwrap(instance) switch
    {
        ILocalReferenceOperation local => local.Local,
        IParameterReferenceOperation parameter => parameter.Parameter,
        IInstanceReferenceOperation self => self.Type,
        _ => null,
    };

    private static IOperation? LocalInitializer(ILocalSymbol local, IOperation from, MethodCacheFacts? facts)
    {
        if (facts is not null)
        {
            foreach (var declarator in facts.Declarators)
            {
                if (SymbolEqualityComparer.Default.Equals(declarator.Symbol, local))
                    return declarator.Initializer!.Value;
            }
            return null;
        }
        foreach (var node in OperationFacts.Root(from).DescendantsAndSelf())
        {
            if (node is IVariableDeclaratorOperation declarator
                && SymbolEqualityComparer.Default.Equals(declarator.Symbol, local)
                && declarator.Initializer is { } initializer)
            {
                return initializer.Value;
            }
        }
        return null;
    }
}
