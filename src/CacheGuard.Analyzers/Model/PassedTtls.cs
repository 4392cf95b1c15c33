using System.Collections.Generic;
using System.Threading;
using Microsoft.CodeAnalysis;
using Microsoft.CodeAnalysis.CSharp;
using Microsoft.CodeAnalysis.CSharp.Syntax;
using Microsoft.CodeAnalysis.Operations;

namespace CacheGuard.Analyzers.Model;

/// <summary>What the callers of a method pass for a TTL parameter it passes straight through.</summary>
internal enum PassedTtlKind
{
    /// <summary>Some caller in the compilation passes a fixed TTL (a literal, a constant, configuration).</summary>
    Fixed,
    /// <summary>No caller in the compilation, or every caller passes a jittered, per-entry or unknown TTL.</summary>
    NoEvidence,
}

/// <summary>
/// Issue 18: a TTL parameter passed straight through is fixed only if what the callers pass is.
/// A library's wrapper (a raw <c>SET</c> command, a cache handle) often has no caller in the
/// compilation: the evidence is missing, so CG0001 reports nothing there (RULES.md: "when the
/// evidence is missing or mixed, report nothing"). Callers are the invocations of the method's name
/// (<see cref="NameUses"/>, found in the trees' text), bound in their own tree.
/// </summary>
internal static class PassedTtls
{
    private const int MaxLayers = 3;

    /// <summary>What the callers pass for the parameters a fixed expiry was traced to (<see cref="ExpiryOrigin.PassedThrough"/>).</summary>
    public static PassedTtlKind Of(ExpiryOrigin origin, CacheApi api, CancellationToken cancellationToken) =>
        Of(origin, api, cancellationToken, out _);

    /// <summary>As <see cref="Of(ExpiryOrigin, CacheApi, CancellationToken)"/>; <paramref name="evidence"/> is the fixed TTL a caller passes, when one was found.</summary>
    public static PassedTtlKind Of(ExpiryOrigin origin, CacheApi api, CancellationToken cancellationToken, out string? evidence) =>
        Of(origin, api, cancellationToken, out evidence, valueParameter: null);

    /// <summary>
    /// As above; <paramref name="valueParameter"/> is the wrapper's parameter it writes as the value. A caller that passes a
    /// marker or a value it minted there (<c>_cache.Add(key, JwtHelper.IssueJwt(user), 5)</c>: a fresh token, an OTP, a
    /// constant flag) writes no cache entry (RULES.md), so its fixed TTL is no evidence about the wrapper's entries.
    /// </summary>
    public static PassedTtlKind Of(ExpiryOrigin origin, CacheApi api, CancellationToken cancellationToken, out string? evidence, IParameterSymbol? valueParameter)
    {
        evidence = null;
        if (origin.PassedThrough.IsEmpty)
            return PassedTtlKind.Fixed;
        // Parameters of an ordinary method (a lambda's are fed through a delegate: no telling, keep the report).
        if (origin.PassedThrough[0].ContainingSymbol is not IMethodSymbol { MethodKind: MethodKind.Ordinary or MethodKind.ExplicitInterfaceImplementation } method)
            return PassedTtlKind.Fixed;
        foreach (var parameter in origin.PassedThrough)
        {
            if (!SymbolEqualityComparer.Default.Equals(parameter.ContainingSymbol, method))
                return PassedTtlKind.Fixed;
        }
        if (valueParameter is not null && !SymbolEqualityComparer.Default.Equals(valueParameter.ContainingSymbol, method))
            valueParameter = null;
        return Of(method, origin.PassedThrough, api, 0, new HashSet<IMethodSymbol>(SymbolEqualityComparer.Default), cancellationToken, out evidence, valueParameter);
    }

    private static PassedTtlKind Of(IMethodSymbol method, System.Collections.Immutable.ImmutableArray<IParameterSymbol> parameters, CacheApi api, int layer,
        HashSet<IMethodSymbol> visited, CancellationToken cancellationToken, out string? evidence, IParameterSymbol? valueParameter = null)
    {
        evidence = null;
        method = method.OriginalDefinition;
        if (!visited.Add(method))
            return PassedTtlKind.NoEvidence;
        if (layer >= MaxLayers)
            return PassedTtlKind.Fixed; // deep wrappers over wrappers: keep the contract's default
        HashSet<IMethodSymbol>? targets = null;
        var compilation = api.Compilation;
        var firstPosition = FirstPosition(method, parameters);
        foreach (var call in NameUses.Invocations(compilation, method.Name))
        {
            cancellationToken.ThrowIfCancellationRequested();
            // Most same-named calls are other methods' (Add, Set): those that cannot pass the parameter are not bound.
            if (!MayPass(call, firstPosition) || !compilation.ContainsSyntaxTree(call.SyntaxTree))
                continue;
            targets ??= Targets(method);
#pragma warning disable RS1030 // the driver's semantic models are cached per tree; only the few callers of a passthrough are bound
            var model = compilation.GetSemanticModel(call.SyntaxTree);
#pragma warning restore RS1030
            if (model.GetOperation(call, cancellationToken) is not IInvocationOperation invocation
                || !targets.Contains(invocation.TargetMethod.OriginalDefinition))
            {
                continue;
            }
            if (valueParameter is not null && WritesNoCacheEntry(invocation, valueParameter, api))
                continue;
            foreach (var argument in invocation.Arguments)
            {
                if (argument.Parameter is not { } parameter || !IsOneOf(parameter, parameters))
                    continue;
                if (argument.ArgumentKind != ArgumentKind.Explicit)
                    continue; // the parameter's default (null, no expiry): nothing fixed passed
                var origin = ExpiryOrigin.Of(argument.Value, api);
                if (origin.Kind != ExpiryOriginKind.Fixed)
                    continue;
                if (origin.PassedThrough.IsEmpty)
                {
                    evidence = origin.Text;
                    return PassedTtlKind.Fixed;
                }
                // The caller passes its own parameter on: ask its callers.
                if (model.GetEnclosingSymbol(call.SpanStart, cancellationToken) is IMethodSymbol caller
                    && Of(caller, origin.PassedThrough, api, layer + 1, visited, cancellationToken, out evidence, PassedOn(invocation, valueParameter, caller)) == PassedTtlKind.Fixed)
                {
                    return PassedTtlKind.Fixed;
                }
            }
        }
        return PassedTtlKind.NoEvidence;
    }

    /// <summary>The caller's own parameter it passes on as the wrapper's value (<c>Add(key, value, ttl) => AddObject(key, value, ttl)</c>).</summary>
    private static IParameterSymbol? PassedOn(IInvocationOperation call, IParameterSymbol? valueParameter, IMethodSymbol caller)
    {
        if (valueParameter is null)
            return null;
        foreach (var argument in call.Arguments)
        {
            if (argument.Parameter?.Ordinal == valueParameter.Ordinal
                && OperationFacts.Unwrap(argument.Value) is IParameterReferenceOperation { Parameter: var passed }
                && SymbolEqualityComparer.Default.Equals(passed.ContainingSymbol, caller))
            {
                return passed;
            }
        }
        return null;
    }

    /// <summary>The call passes the wrapper's value parameter a marker or a value minted at the call (<see cref="KeyPurpose.IsMarkerOrMinted"/>).</summary>
    private static bool WritesNoCacheEntry(IInvocationOperation call, IParameterSymbol valueParameter, CacheApi api)
    {
        foreach (var argument in call.Arguments)
        {
            if (argument.ArgumentKind == ArgumentKind.Explicit && argument.Parameter?.Ordinal == valueParameter.Ordinal)
                return KeyPurpose.IsMarkerOrMinted(argument.Value, api);
        }
        return false;
    }

    /// <summary>
    /// The first argument position that can stand for one of <paramref name="parameters"/>: the lowest ordinal, one less
    /// for an extension method (called on its receiver, the first parameter is not in the argument list).
    /// </summary>
    private static int FirstPosition(IMethodSymbol method, System.Collections.Immutable.ImmutableArray<IParameterSymbol> parameters)
    {
        var first = int.MaxValue;
        foreach (var parameter in parameters)
            first = System.Math.Min(first, parameter.Ordinal);
        return method.IsExtensionMethod ? first - 1 : first;
    }

    /// <summary>
    /// False when the call certainly passes none of the parameters explicitly: it has no named argument (whose
    /// name may be any target's parameter) and too few positional ones to reach the first of them. Only an
    /// explicit argument is evidence (a default or a params array is not).
    /// </summary>
    private static bool MayPass(InvocationExpressionSyntax call, int firstPosition)
    {
        var arguments = call.ArgumentList.Arguments;
        if (arguments.Count > firstPosition)
            return true;
        foreach (var argument in arguments)
        {
            if (argument.NameColon is not null)
                return true;
        }
        return false;
    }

    /// <summary>The parameter, matched by ordinal (an interface member's or an override's parameter is another symbol).</summary>
    private static bool IsOneOf(IParameterSymbol parameter, System.Collections.Immutable.ImmutableArray<IParameterSymbol> parameters)
    {
        foreach (var candidate in parameters)
        {
            if (candidate.Ordinal == parameter.Ordinal)
                return true;
        }
        return false;
    }

    /// <summary>The method, the interface members it implements and the methods it overrides: what a caller's call binds to.</summary>
    private static HashSet<IMethodSymbol> Targets(IMethodSymbol method)
    {
        var targets = new HashSet<IMethodSymbol>(SymbolEqualityComparer.Default) { method };
        for (var overridden = method.OverriddenMethod; overridden is not null; overridden = overridden.OverriddenMethod)
            targets.Add(overridden.OriginalDefinition);
        if (method.ContainingType is { } type)
        {
            foreach (var @interface in type.AllInterfaces)
            {
                foreach (var member in @interface.GetMembers(method.Name))
                {
                    if (member is IMethodSymbol interfaceMethod
                        && SymbolEqualityComparer.Default.Equals(type.FindImplementationForInterfaceMember(interfaceMethod)?.OriginalDefinition, method))
                    {
                        targets.Add(interfaceMethod.OriginalDefinition);
                    }
                }
            }
        }
        return targets;
    }
}
