using System;
using System.Collections.Generic;
using Microsoft.CodeAnalysis;
using Microsoft.CodeAnalysis.Operations;

namespace CacheGuard.Analyzers.Model;

/// <summary>
/// Locks whose acquire and release live in different methods (CG0007): a lock service with
/// <c>AcquireAsync</c>/<c>ReleaseAsync</c> on the same key parameter, and a lock handle whose
/// <c>Dispose(Async)</c> deletes the key it was constructed with right after a <c>SET NX</c>. The bodies
/// on the other side come from the engine (bound once per method). Only plain <c>KeyDelete</c>s count,
/// as in the one-body case; names must say "lock" on both sides, so a cache's <c>SetIfAbsent</c> and
/// <c>Remove</c> are never taken for one.
/// </summary>
internal static class LockServices
{
    public static List<CacheOperation> ReleasesOfLocksTakenElsewhere(Engine.MethodContext context)
    {
        var found = new List<CacheOperation>();
        var facts = context.Facts;
        var hasDelete = false;
        var hasAcquire = false;
        foreach (var operation in facts.CacheOperations)
        {
            hasDelete |= operation.Kind == CacheOperationKind.Delete;
            hasAcquire |= IsLockAcquisition(operation);
        }

        // This body releases: a sibling method of the type (or of the type it is nested in) acquires the same key.
        if (hasDelete && context.OwningSymbol is IMethodSymbol { MethodKind: MethodKind.Ordinary } release && IsReleaseName(release.Name))
        {
            foreach (var delete in facts.CacheOperations)
            {
                if (!IsPlainDelete(delete) || LockRelease.AcquisitionsReleasedBy(delete, facts).Count > 0)
                    continue;
                if (AcquiredBySibling(context, release, delete.Key!))
                    found.Add(delete);
            }
        }

        // This body acquires and hands the key to a handle: the handle's Dispose(Async)/Release deletes it.
        if (hasAcquire)
        {
            foreach (var acquisition in facts.CacheOperations)
            {
                if (!IsLockAcquisition(acquisition) || acquisition.Key is null)
                    continue;
                foreach (var operation in context.Root.Descendants())
                {
                    if (operation is IObjectCreationOperation { Constructor: { } constructor } creation
                        && creation.Syntax.SpanStart > acquisition.Syntax.SpanStart)
                    {
                        foreach (var argument in creation.Arguments)
                        {
                            if (argument.Parameter is { } parameter && CacheKeys.AreSame(argument.Value, acquisition.Key))
                                found.AddRange(HandleReleases(context.Engine, constructor, parameter));
                        }
                    }
                }
            }
        }
        return found;
    }

    private static bool IsLockAcquisition(CacheOperation operation) =>
        operation.Kind == CacheOperationKind.LockAcquire && operation.Family == CacheFamily.Redis && operation.OnlyIfNotExists;

    private static bool IsPlainDelete(CacheOperation operation) =>
        operation.Kind == CacheOperationKind.Delete
        && operation.Family == CacheFamily.Redis
        && operation.Key is not null
        && operation.Method.Name.StartsWith("KeyDelete", StringComparison.Ordinal)
        && operation.Invocation.Instance?.Type is not { Name: "ITransaction" };

    private static bool IsReleaseName(string name) =>
        name.IndexOf("Release", StringComparison.OrdinalIgnoreCase) >= 0
        || name.IndexOf("Unlock", StringComparison.OrdinalIgnoreCase) >= 0
        || name.StartsWith("Dispose", StringComparison.Ordinal)
        || (name.IndexOf("Lock", StringComparison.Ordinal) >= 0 && (name.StartsWith("Remove", StringComparison.Ordinal) || name.StartsWith("Delete", StringComparison.Ordinal) || name.StartsWith("Free", StringComparison.Ordinal)));

    private static bool IsAcquireName(string name) =>
        name.IndexOf("Acquire", StringComparison.OrdinalIgnoreCase) >= 0
        || name.IndexOf("Lock", StringComparison.Ordinal) >= 0
        || name.IndexOf("Lease", StringComparison.Ordinal) >= 0
        || name.IndexOf("Mutex", StringComparison.Ordinal) >= 0;

    private static bool AcquiredBySibling(Engine.MethodContext context, IMethodSymbol release, IOperation deleteKey)
    {
        for (var type = release.ContainingType; type is not null; type = type.ContainingType)
        {
            foreach (var member in type.GetMembers())
            {
                if (member is not IMethodSymbol { MethodKind: MethodKind.Ordinary } sibling
                    || SymbolEqualityComparer.Default.Equals(sibling, release)
                    || !IsAcquireName(sibling.Name)
                    || context.Engine.BodyOf(sibling, context.CancellationToken) is not { } body)
                {
                    continue;
                }
                foreach (var acquisition in context.Engine.FactsFor(sibling, body).CacheOperations)
                {
                    if (IsLockAcquisition(acquisition) && SameKeyAcrossMethods(acquisition.Key, deleteKey))
                        return true;
                }
            }
        }
        return false;
    }

    /// <summary>
    /// The same key in two methods of one type: parameters of the same name and type, the same field
    /// or property, or the same expression (<c>$"lock:{name}"</c> over same-named parameters).
    /// </summary>
    private static bool SameKeyAcrossMethods(IOperation? a, IOperation? b)
    {
        if (a is null || b is null)
            return false;
        a = OperationFacts.Unwrap(a);
        b = OperationFacts.Unwrap(b);
        switch (a, b)
        {
            case (IParameterReferenceOperation pa, IParameterReferenceOperation pb):
                return pa.Parameter.Name == pb.Parameter.Name && SymbolEqualityComparer.Default.Equals(pa.Parameter.Type, pb.Parameter.Type);
            case (IMemberReferenceOperation ma, IMemberReferenceOperation mb):
                return SymbolEqualityComparer.Default.Equals(ma.Member, mb.Member);
            case (ILocalReferenceOperation, _):
            case (_, ILocalReferenceOperation):
                // Locals of two methods: the keys they are built as ($"lock:{name}" in both).
                return KeyShape.Of(a) is { } sa && KeyShape.Of(b) is { } sb && sa.Matches(sb);
            default:
                return CacheKeys.AreSame(a, b);
        }
    }

    /// <summary>Plain deletes, in the handle type's release methods, of the member the constructor stores <paramref name="keyParameter"/> in.</summary>
    private static IEnumerable<CacheOperation> HandleReleases(Engine.CacheGuardEngine engine, IMethodSymbol constructor, IParameterSymbol keyParameter)
    {
        var handle = constructor.ContainingType;
        if (handle is null || !SymbolEqualityComparer.Default.Equals(handle.ContainingAssembly, engine.Compilation.Assembly))
            yield break;
        var members = KeyMembers(engine, constructor, keyParameter);
        foreach (var member in handle.GetMembers())
        {
            if (member is not IMethodSymbol { MethodKind: MethodKind.Ordinary or MethodKind.ExplicitInterfaceImplementation } method
                || !IsReleaseName(method.Name.Substring(method.Name.LastIndexOf('.') + 1))
                || engine.BodyOf(method, default) is not { } body)
            {
                continue;
            }
            var facts = engine.FactsFor(method, body);
            foreach (var delete in facts.CacheOperations)
            {
                if (!IsPlainDelete(delete) || LockRelease.AcquisitionsReleasedBy(delete, facts).Count > 0)
                    continue;
                switch (OperationFacts.Unwrap(delete.Key!))
                {
                    case IMemberReferenceOperation reference when members.Contains(reference.Member.OriginalDefinition):
                        yield return delete;
                        break;
                    // A primary constructor parameter used directly.
                    case IParameterReferenceOperation parameter when SymbolEqualityComparer.Default.Equals(parameter.Parameter.OriginalDefinition, keyParameter.OriginalDefinition):
                        yield return delete;
                        break;
                }
            }
        }
    }

    /// <summary>The fields and properties the constructor assigns from the key parameter (<c>_key = key</c>).</summary>
    private static HashSet<ISymbol> KeyMembers(Engine.CacheGuardEngine engine, IMethodSymbol constructor, IParameterSymbol keyParameter)
    {
        var members = new HashSet<ISymbol>(SymbolEqualityComparer.Default);
        if (constructor.DeclaringSyntaxReferences.Length != 1)
            return members;
#pragma warning disable RS1030 // the driver's semantic models are cached per tree; this shares the bound constructor
        var syntax = constructor.DeclaringSyntaxReferences[0].GetSyntax();
        var model = engine.Compilation.GetSemanticModel(syntax.SyntaxTree);
#pragma warning restore RS1030
        if (model.GetOperation(syntax) is not { } body)
            return members;
        foreach (var operation in body.DescendantsAndSelf())
        {
            if (operation is ISimpleAssignmentOperation { Target: IMemberReferenceOperation target, Value: var value }
                && OperationFacts.Unwrap(value) is IParameterReferenceOperation assigned
                && SymbolEqualityComparer.Default.Equals(assigned.Parameter.OriginalDefinition, keyParameter.OriginalDefinition))
            {
                members.Add(target.Member.OriginalDefinition);
            }
        }
        return members;
    }
}
