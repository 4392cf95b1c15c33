using System.Collections.Generic;
using Microsoft.CodeAnalysis;
using Microsoft.CodeAnalysis.CSharp.Syntax;
using Microsoft.CodeAnalysis.Operations;

namespace CacheGuard.Analyzers.Model;

/// <summary>How the value a lock was taken with can serve as the owner token of its release.</summary>
internal enum LockTokenKind
{
    /// <summary>A local, parameter or readonly field holding a per-caller value: release with it.</summary>
    Stable,
    /// <summary>A constant or a value every caller shares (<c>"1"</c>, <c>Environment.MachineName</c>): a token must be introduced.</summary>
    Shared,
}

/// <summary>
/// Redis locks taken and released in one body: a <c>SET NX</c> (<c>StringSet(..., When.NotExists)</c>)
/// or <c>LockTake</c>, and a later plain <c>KeyDelete</c> of the same key. The delete has no
/// ownership check: if the lease lapsed meanwhile, it frees whoever holds the lock now.
/// </summary>
internal static class LockRelease
{
    /// <summary>
    /// The lock acquisitions of <paramref name="delete"/>'s key that come before it in the body, or
    /// empty when the delete is not a lock release (no acquisition of that key, a transaction whose
    /// condition is the compare, a multi-key delete).
    /// </summary>
    public static IReadOnlyList<CacheOperation> AcquisitionsReleasedBy(CacheOperation delete, MethodCacheFacts facts)
    {
        var found = new List<CacheOperation>();
        if (delete.Kind != CacheOperationKind.Delete || delete.Family != CacheFamily.Redis || delete.Key is null)
            return found;
        if (!delete.Method.Name.StartsWith("KeyDelete", System.StringComparison.Ordinal))
            return found; // StringGetDelete reads the value back: a different idiom, not a release
        if (delete.Invocation.Instance?.Type is { Name: "ITransaction" })
            return found; // MULTI with AddCondition(StringEqual(key, token)): an atomic compare-and-delete

        foreach (var acquisition in facts.OnKey(delete.Key, CacheOperationKind.LockAcquire))
        {
            if (acquisition.Family != CacheFamily.Redis || !acquisition.OnlyIfNotExists)
                continue;
            if (acquisition.Syntax.SpanStart >= delete.Syntax.SpanStart)
                continue;
            found.Add(acquisition);
        }
        return found;
    }

    /// <summary>Whether the value the lock was taken with identifies this caller (and so can be released with).</summary>
    public static LockTokenKind TokenKind(IOperation? value)
    {
        if (value is null)
            return LockTokenKind.Shared;
        value = OperationFacts.Unwrap(value);
        if (value.ConstantValue.HasValue)
            return LockTokenKind.Shared;

        switch (value)
        {
            case IParameterReferenceOperation:
                return LockTokenKind.Stable;

            case ILocalReferenceOperation local:
            {
                // A local whose only value is a constant or a shared value is no more a token than that value.
                var assignedShared = false;
                var assignments = 0;
                foreach (var descendant in OperationFacts.Root(local).DescendantsAndSelf())
                {
                    IOperation? assigned = descendant switch
                    {
                        IVariableDeclaratorOperation d when SymbolEqualityComparer.Default.Equals(d.Symbol, local.Local) => d.Initializer?.Value,
                        ISimpleAssignmentOperation a when a.Target is ILocalReferenceOperation t && SymbolEqualityComparer.Default.Equals(t.Local, local.Local) => a.Value,
                        _ => null,
                    };
                    if (assigned is null)
                        continue;
                    assignments++;
                    if (IsSharedValue(OperationFacts.Unwrap(assigned)))
                        assignedShared = true;
                }
                return assignments > 0 && !assignedShared ? LockTokenKind.Stable : LockTokenKind.Shared;
            }

            case IFieldReferenceOperation field:
            {
                if (!field.Field.IsReadOnly || field.Field.IsConst)
                    return LockTokenKind.Shared;
                foreach (var reference in field.Field.DeclaringSyntaxReferences)
                {
                    if (reference.GetSyntax() is VariableDeclaratorSyntax { Initializer.Value: { } initializer } && IsSharedSyntax(initializer))
                        return LockTokenKind.Shared;
                }
                return LockTokenKind.Stable;
            }

            default:
                return LockTokenKind.Shared;
        }
    }

    private static bool IsSharedValue(IOperation value) =>
        value.ConstantValue.HasValue || IsSharedSyntax(value.Syntax);

    /// <summary>Literals and values every process or thread of a host shares.</summary>
    private static bool IsSharedSyntax(SyntaxNode node)
    {
        while (node is ParenthesizedExpressionSyntax p)
            node = p.Expression;
        if (node is LiteralExpressionSyntax)
            return true;
        var text = node.ToString();
        return text.Contains("MachineName") || text.Contains("ProcessId") || text.Contains("ManagedThreadId") || text.Contains("HostName");
    }
}
