using Microsoft.CodeAnalysis;
using Microsoft.CodeAnalysis.Operations;

namespace CacheGuard.Analyzers.Model;

/// <summary>
/// Single-flight around a factory: a lock whose region holds the factory. A blocking lock (<c>lock</c>,
/// <c>SemaphoreSlim.WaitAsync()</c>, <c>Monitor.Enter</c>, an async-lock <c>using</c>) lets every waiter
/// in after the first, so it only guards with a re-check of the key inside it; a try-lock (a Redis lock
/// via <c>LockTake</c> / <c>When.NotExists</c>, the runtime's lease, <c>TryEnter</c>, <c>WaitAsync(0)</c>)
/// keeps the losers out of the factory by itself. The runtime's <c>KeyLocks.Lock(Async)</c> is a blocking lock.
/// </summary>
internal static class SingleFlightGuards
{
    /// <summary>
    /// True when <paramref name="target"/> (the factory, or the call that runs it) is inside a lock region
    /// that single-flights it. <paramref name="read"/> is the read that starts the pattern and
    /// <paramref name="key"/> its key; <paramref name="facts"/> are the cache operations of the member.
    /// </summary>
    public static bool IsGuarded(IOperation target, IOperation read, IOperation? key, MethodCacheFacts facts, CacheApi api)
    {
        var body = FunctionBodies.Of(target);
        var targetStart = target.Syntax.SpanStart;
        foreach (var operation in body.DescendantsAndSelf())
        {
            if (operation.Syntax.SpanStart >= targetStart)
                continue;
            var acquisition = Acquisition(operation, api);
            if (acquisition == LockKind.None || !Covers(operation, target))
                continue;
            if (acquisition == LockKind.Try)
                return true;

            // A blocking lock: only a read of the key taken inside it makes the waiters skip the factory.
            var regionStart = operation.Syntax.SpanStart;
            if (read.Syntax.SpanStart > regionStart && OperationFacts.IsInside(read, body))
                return true;
            foreach (var op in facts.CacheOperations)
            {
                if (op.Kind is not (CacheOperationKind.Read or CacheOperationKind.Exists))
                    continue;
                var start = op.Syntax.SpanStart;
                if (start > regionStart && start < targetStart && CacheKeys.AreSame(op.Key, key))
                    return true;
            }
        }
        return false;
    }

    private enum LockKind
    {
        None,
        Blocking,
        Try,
    }

    private static LockKind Acquisition(IOperation operation, CacheApi api)
    {
        if (operation is ILockOperation)
            return LockKind.Blocking;
        if (operation is not IInvocationOperation invocation)
            return LockKind.None;

        var method = invocation.TargetMethod;
        var name = method.Name;
        if (CacheApi.IsRuntimeSymbol(method))
        {
            if (name.StartsWith("TryAcquireLease", System.StringComparison.Ordinal))
                return LockKind.Try;
            // The runtime's per-key in-process lock (CG0004's fix where GetOrSet can't be used): blocking.
            return method.ContainingType?.Name == "KeyLocks" && name is "Lock" or "LockAsync" ? LockKind.Blocking : LockKind.None;
        }
        if (CacheOperations.Recognize(invocation, api) is { } cacheOperation)
            return cacheOperation.Kind == CacheOperationKind.LockAcquire ? LockKind.Try : LockKind.None;

        var typeName = method.ContainingType?.Name;
        switch (typeName)
        {
            case "SemaphoreSlim" when name is "Wait" or "WaitAsync":
            case "WaitHandle" or "Mutex" or "Semaphore" when name == "WaitOne":
                return IsResultTested(invocation) ? LockKind.Try : LockKind.Blocking;
            case "Monitor" when name is "Enter" or "TryEnter":
                return name == "TryEnter" ? LockKind.Try : LockKind.Blocking;
        }

        // Other lock libraries: AsyncLock.LockAsync, RedLock's CreateLockAsync, DistributedLock's (Try)AcquireAsync.
        if (name.IndexOf("Unlock", System.StringComparison.Ordinal) >= 0 || name.IndexOf("Release", System.StringComparison.Ordinal) >= 0)
            return LockKind.None;
        var lockLike = name.IndexOf("Lock", System.StringComparison.Ordinal) >= 0
                       || name.StartsWith("Acquire", System.StringComparison.Ordinal)
                       || name.StartsWith("TryAcquire", System.StringComparison.Ordinal)
                       || name.IndexOf("Lease", System.StringComparison.Ordinal) >= 0;
        if (!lockLike)
            return LockKind.None;
        return name.StartsWith("Try", System.StringComparison.Ordinal) || IsResultTested(invocation) ? LockKind.Try : LockKind.Blocking;
    }

    /// <summary>The acquisition's result decides whether the code goes on (<c>if (await sem.WaitAsync(0))</c>, <c>if (handle.IsAcquired)</c>).</summary>
    private static bool IsResultTested(IInvocationOperation invocation)
    {
        IOperation node = invocation;
        while (node.Parent is IAwaitOperation or IConversionOperation or IParenthesizedOperation
               || (node.Parent is IInvocationOperation { TargetMethod.Name: "ConfigureAwait" } c && c.Instance == node))
        {
            node = node.Parent;
        }
        switch (node.Parent)
        {
            case IExpressionStatementOperation:
                return false;
            case IVariableInitializerOperation { Parent: IVariableDeclaratorOperation declarator }:
            {
                // A lock handle or flag that the code tests before going on.
                var body = FunctionBodies.Of(invocation);
                foreach (var operation in body.Descendants())
                {
                    if (operation is IConditionalOperation conditional && References(conditional.Condition, declarator.Symbol))
                        return true;
                }
                return false;
            }
            case null:
                return false;
            default:
                // An if condition, a negation, a comparison: the result is tested.
                return node.Type?.SpecialType == SpecialType.System_Boolean || node.Parent is IUnaryOperation or IBinaryOperation or IIsPatternOperation;
        }
    }

    private static bool References(IOperation operation, ILocalSymbol local)
    {
        foreach (var inner in operation.DescendantsAndSelf())
        {
            if (inner is ILocalReferenceOperation reference && SymbolEqualityComparer.Default.Equals(reference.Local, local))
                return true;
        }
        return false;
    }

    /// <summary>
    /// True when <paramref name="target"/> runs inside the acquisition's region: inside the statement
    /// that acquires (<c>lock</c>, <c>using</c>, <c>if (await db.LockTakeAsync(...))</c>) or in a later
    /// statement of the same block (<c>await gate.WaitAsync(); try { ... }</c>).
    /// </summary>
    private static bool Covers(IOperation acquisition, IOperation target)
    {
        IOperation statement = acquisition;
        while (statement.Parent is { } parent && parent is not IBlockOperation)
            statement = parent;
        if (OperationFacts.IsInside(target, statement))
            return true;
        if (statement.Parent is not IBlockOperation block)
            return false;
        var seen = false;
        foreach (var sibling in block.Operations)
        {
            if (sibling == statement)
            {
                seen = true;
                continue;
            }
            if (seen && OperationFacts.IsInside(target, sibling))
                return true;
        }
        return false;
    }
}
