using System.Collections.Generic;
using System.Collections.Immutable;
using System.Linq;
using Microsoft.CodeAnalysis;
using Microsoft.CodeAnalysis.CSharp;
using Microsoft.CodeAnalysis.CSharp.Syntax;
using Microsoft.CodeAnalysis.Operations;

namespace CacheGuard.Analyzers.Model;

/// <summary>
/// One expiry given to a cache entry through an options object or the entry itself:
/// <c>AbsoluteExpirationRelativeToNow = ...</c> in an initializer, <c>entry.SlidingExpiration = ...</c>,
/// the fluent <c>SetAbsoluteExpiration(...)</c>, <c>HybridCacheEntryOptions.Expiration</c>.
/// </summary>
internal sealed class EntryExpiry
{
    public EntryExpiry(IOperation value, SyntaxNode reportOn, string member)
    {
        Value = value;
        ReportOn = reportOn;
        Member = member;
    }

    /// <summary>The expiry expression.</summary>
    public IOperation Value { get; }

    /// <summary>Where rules report it: the assignment, or the argument expression of a fluent call.</summary>
    public SyntaxNode ReportOn { get; }

    /// <summary>The member set: <c>AbsoluteExpirationRelativeToNow</c>, <c>SlidingExpiration</c>, <c>Expiration</c>….</summary>
    public string Member { get; }
}

/// <summary>
/// Expiries of IDistributedCache, IMemoryCache and HybridCache entries. These APIs take the expiry
/// in an options object or on the entry, and those types exist for nothing but cache entries, so
/// every expiry set on them is a cache entry's expiry wherever the object is built (a method, a
/// shared static field's initializer, a <c>GetOrCreate</c> factory).
/// </summary>
internal static class EntryExpiries
{
    /// <summary>Every entry expiry set in <paramref name="blocks"/>, in source order.</summary>
    public static ImmutableArray<EntryExpiry> In(ImmutableArray<IOperation> blocks, CacheApi api)
    {
        if (api.DistributedCacheEntryOptions is null && api.MemoryCacheEntry is null && api.MemoryCacheEntryOptions is null && api.HybridCacheEntryOptions is null)
            return ImmutableArray<EntryExpiry>.Empty;

        var found = ImmutableArray.CreateBuilder<EntryExpiry>();
        foreach (var block in blocks)
        {
            foreach (var operation in block.DescendantsAndSelf())
            {
                if (Of(operation, api) is { } expiry)
                    found.Add(expiry);
            }
        }
        found.Sort((a, b) => a.ReportOn.SpanStart.CompareTo(b.ReportOn.SpanStart));
        return found.ToImmutable();
    }

    /// <summary>The expiry <paramref name="operation"/> sets, if it is an expiry assignment or a fluent expiry call.</summary>
    public static EntryExpiry? Of(IOperation operation, CacheApi api)
    {
        switch (operation)
        {
            case ISimpleAssignmentOperation { Target: IPropertyReferenceOperation property } assignment
                when IsExpiryProperty(property.Property, api):
                return new EntryExpiry(assignment.Value, assignment.Syntax, property.Property.Name);

            case IInvocationOperation invocation when IsFluentExpiry(invocation.TargetMethod, api)
                && OperationFacts.ArgumentAt(invocation, 1) is { } argument:
                return new EntryExpiry(argument.Value, argument.Value.Syntax, invocation.TargetMethod.Name);

            default:
                return null;
        }
    }

    /// <summary>
    /// The expiries that reach one cache operation through its options or its factory's entry: an
    /// initializer or fluent chain at the call, a local built and configured in the same body, or
    /// <c>entry.X = ...</c> inside a <c>GetOrCreate</c> factory. Empty when they can't be seen (options
    /// passed in, a shared field): use <see cref="CacheOperation.HasExpiry"/> to know whether there is one.
    /// For rules that judge the value of a TTL (CG0005) where <see cref="CacheOperation.Expiry"/> is null.
    /// </summary>
    public static ImmutableArray<EntryExpiry> Reaching(CacheOperation operation, CacheApi api)
    {
        var found = ImmutableArray.CreateBuilder<EntryExpiry>();
        if (operation.Options is { } options)
            CollectFromOptions(options.Value, api, found, depth: 0);
        if (operation.Factory is { } factory)
        {
            var inner = OperationFacts.Unwrap(factory);
            if (inner is IDelegateCreationOperation creation)
                inner = creation.Target;
            if (inner is IAnonymousFunctionOperation lambda)
            {
                foreach (var descendant in lambda.Body.DescendantsAndSelf())
                {
                    if (Of(descendant, api) is { } expiry)
                        found.Add(expiry);
                }
            }
        }
        return found.ToImmutable();
    }

    private static void CollectFromOptions(IOperation options, CacheApi api, ImmutableArray<EntryExpiry>.Builder found, int depth)
    {
        if (depth > 4)
            return;
        switch (OperationFacts.Unwrap(options))
        {
            case IObjectCreationOperation { Initializer: { } initializer }:
                foreach (var assignment in initializer.Initializers)
                {
                    if (Of(assignment, api) is { } expiry)
                        found.Add(expiry);
                }
                break;

            case IInvocationOperation invocation when IsFluentOptionsCall(invocation.TargetMethod, api):
                if (Of(invocation, api) is { } fluent)
                    found.Add(fluent);
                if (OperationFacts.ArgumentAt(invocation, 0) is { } chained)
                    CollectFromOptions(chained.Value, api, found, depth + 1);
                break;

            case ILocalReferenceOperation local:
                foreach (var descendant in OperationFacts.Root(local).DescendantsAndSelf())
                {
                    switch (descendant)
                    {
                        case IVariableDeclaratorOperation { Initializer: { } init } d when SymbolEqualityComparer.Default.Equals(d.Symbol, local.Local):
                            CollectFromOptions(init.Value, api, found, depth + 1);
                            break;
                        case ISimpleAssignmentOperation { Target: ILocalReferenceOperation target } a when SymbolEqualityComparer.Default.Equals(target.Local, local.Local):
                            CollectFromOptions(a.Value, api, found, depth + 1);
                            break;
                        case ISimpleAssignmentOperation { Target: IPropertyReferenceOperation { Instance: ILocalReferenceOperation receiver } }
                            when SymbolEqualityComparer.Default.Equals(receiver.Local, local.Local) && Of(descendant, api) is { } set:
                            found.Add(set);
                            break;
                        case IInvocationOperation call when IsFluentExpiry(call.TargetMethod, api)
                            && OperationFacts.ArgumentAt(call, 0) is { Value: { } receiverValue }
                            && OperationFacts.Unwrap(receiverValue) is ILocalReferenceOperation fluentReceiver
                            && SymbolEqualityComparer.Default.Equals(fluentReceiver.Local, local.Local)
                            && Of(call, api) is { } fluentSet:
                            found.Add(fluentSet);
                            break;
                    }
                }
                break;
        }
    }

    /// <summary>
    /// Whether an entry expiry is a cached value's lifetime, as CG0001 means it. Not: the expiry of
    /// keys that are not cache entries (RULES.md) — every write the options reach writes a marker
    /// (<c>true</c>, <c>new byte[1]</c>, <c>[1]</c>), a minted code or token, or a bookkeeping key — found
    /// in this body or, for options kept in a field or property, in the methods of the same type that
    /// pass it; nor the defaults inside a class that implements a cache (<c>: IDistributedCache</c>),
    /// which are the cache's own policy, not a caller's TTL.
    /// </summary>
    public static bool IsValueLifetime(EntryExpiry expiry, Engine.MethodContext context)
    {
        var facts = context.Facts;
        var api = context.Api;
        if (facts.Owner.ContainingType is { } type
            && (OperationFacts.IsOrInherits(type, api.DistributedCache)
                || OperationFacts.IsOrInherits(type, api.MemoryCache)
                || OperationFacts.IsOrInherits(type, api.HybridCache)))
        {
            return false;
        }

        var consumers = 0;
        var entries = 0;
        var local = OptionsLocal(expiry);
        foreach (var operation in facts.CacheOperations)
        {
            if (operation.Kind != CacheOperationKind.Write || operation.Options is not { } options)
                continue;
            var reaches = options.Syntax.Span.Contains(expiry.ReportOn.Span)
                || (local is not null && OperationFacts.Unwrap(options.Value) is ILocalReferenceOperation used
                    && SymbolEqualityComparer.Default.Equals(used.Local, local));
            if (!reaches)
                continue;
            consumers++;
            if (IsEntryWrite(operation, facts, api))
                entries++;
        }
        if (consumers > 0)
            return entries > 0;

        // Options kept in a field or property (built in a constructor or an initializer): the writes
        // that pass that member, in the type's own methods.
        if (OptionsMember(expiry) is { } member && member.ContainingType is { } owner)
        {
            // An idempotency store's or a rate limiter's own options (IdempotencyRequestCache.IdempotencyEntryOptions):
            // the lifetime of a replay record or a window, whichever of its methods passes them on.
            if (KeyPurpose.IsBookkeepingType(owner))
                return false;
            foreach (var candidate in owner.GetMembers())
            {
                context.CancellationToken.ThrowIfCancellationRequested();
                if (candidate is not IMethodSymbol { MethodKind: MethodKind.Ordinary or MethodKind.PropertyGet } method
                    || !context.Engine.MayHoldCacheOperation(method)
                    || !MentionsName(method, member.Name)
                    || context.Engine.BodyOf(method, context.CancellationToken) is not { } body)
                {
                    continue;
                }
                var other = context.Engine.FactsFor(method, body);
                foreach (var operation in other.CacheOperations)
                {
                    if (operation.Kind != CacheOperationKind.Write || operation.Options is not { } options
                        || !SymbolEqualityComparer.Default.Equals(MemberOf(options.Value), member))
                    {
                        continue;
                    }
                    consumers++;
                    if (IsEntryWrite(operation, other, api))
                        entries++;
                }
            }
            if (consumers > 0)
                return entries > 0;

            // An options class's property (OtpTokenProviderOptions.DistributedCacheEntryOptions): the
            // writes elsewhere in the compilation that pass options.ThatProperty.
            var seen = 0;
            var unresolvedCalls = 0;
            var otherCalls = 0;
            var uses = member.DeclaredAccessibility == Accessibility.Private ? (IReadOnlyList<Microsoft.CodeAnalysis.CSharp.Syntax.MemberAccessExpressionSyntax>)System.Array.Empty<Microsoft.CodeAnalysis.CSharp.Syntax.MemberAccessExpressionSyntax>()
                : NameUses.MemberAccesses(api.Compilation, member.Name);
            foreach (var access in uses)
            {
                context.CancellationToken.ThrowIfCancellationRequested();
                // Only a use written as an argument can be a write's options (MemberOf unwraps conversions and
                // parentheses only): `options.Policy = policy` in a builder is not bound for it, nor is its method.
                if (ArgumentOf(access) is not { } argument)
                    continue;
                if (seen++ > 32 || !api.Compilation.ContainsSyntaxTree(access.SyntaxTree))
                    break;
#pragma warning disable RS1030 // the driver's semantic models are cached per tree; only the few uses of one options member are bound
                var model = api.Compilation.GetSemanticModel(access.SyntaxTree);
#pragma warning restore RS1030
                if (!SymbolEqualityComparer.Default.Equals(model.GetSymbolInfo(access, context.CancellationToken).Symbol?.OriginalDefinition, member.OriginalDefinition)
                    || model.GetEnclosingSymbol(access.SpanStart, context.CancellationToken) is not IMethodSymbol user
                    || context.Engine.BodyOf(user, context.CancellationToken) is not { } body)
                {
                    continue;
                }
                // The call the policy is handed to: one the compilation cannot resolve (a lenient build missing a
                // library, an argument of an unresolved type) is no cache write this model can judge.
                if (argument.Parent?.Parent is InvocationExpressionSyntax call && model.GetSymbolInfo(call, context.CancellationToken).Symbol is null)
                {
                    unresolvedCalls++;
                    continue;
                }
                otherCalls++;
                var other = context.Engine.FactsFor(user, body);
                foreach (var operation in other.CacheOperations)
                {
                    if (operation.Kind != CacheOperationKind.Write || operation.Options is not { } options
                        || !SymbolEqualityComparer.Default.Equals(MemberOf(options.Value)?.OriginalDefinition, member.OriginalDefinition))
                    {
                        continue;
                    }
                    consumers++;
                    if (IsEntryWrite(operation, other, api))
                        entries++;
                }
            }
            if (consumers > 0)
                return entries > 0;
            // Every call the policy is passed to is unresolved: nothing shows it is a cached value's lifetime
            // (openiddict's request-caching policies in a build without the host's assemblies). Unsure: not reported.
            if (unresolvedCalls > 0 && otherCalls == 0)
                return false;
        }
        return true;
    }

    /// <summary>
    /// A relative expiry on options handed straight to the runtime's GetOrSet over IDistributedCache
    /// (<c>cache.GetOrSetJsonAsync(key, factory, new DistributedCacheEntryOptions { AbsoluteExpirationRelativeToNow = ttl })</c>):
    /// the runtime jitters it on every write, so it is not a fixed TTL. (What CG0004's fix writes.)
    /// An absolute instant or a sliding window is kept as it is by the runtime, and stays the rule's.
    /// </summary>
    public static bool JitteredByTheRuntime(EntryExpiry expiry)
    {
        if (expiry.Member is not ("AbsoluteExpirationRelativeToNow" or "SetAbsoluteExpiration")
            || expiry.Value.Type is not { } type
            || OperationFacts.StripNullable(type).ToDisplayString() != "System.TimeSpan")
        {
            return false;
        }
        for (var node = expiry.Value.Parent; node is not null; node = node.Parent)
        {
            switch (node)
            {
                case IConversionOperation or IParenthesizedOperation or ISimpleAssignmentOperation or IMemberInitializerOperation
                    or IObjectOrCollectionInitializerOperation or IObjectCreationOperation:
                    continue;
                case IArgumentOperation { Parent: IInvocationOperation fluent } when IsOptionsExtension(fluent):
                    continue; // the TimeSpan of options.SetAbsoluteExpiration(ttl), or the options as the next fluent call's receiver
                case IInvocationOperation fluent when IsOptionsExtension(fluent):
                    continue; // the fluent chain returns the options
                case IArgumentOperation { Parent: IInvocationOperation call }:
                    return CacheApi.IsRuntimeSymbol(call.TargetMethod) && call.TargetMethod.ContainingType?.Name == "DistributedCacheGetOrSet";
                default:
                    return false;
            }
        }
        return false;
    }

    private static bool IsOptionsExtension(IInvocationOperation invocation) =>
        invocation.TargetMethod.ContainingType?.ToDisplayString() == "Microsoft.Extensions.Caching.Distributed.DistributedCacheEntryExtensions";

    /// <summary>A write of a cache entry: not a marker value, not a lock, marker, counter window or temporary key.</summary>
    private static bool IsEntryWrite(CacheOperation write, MethodCacheFacts facts, CacheApi api) =>
        !IsMarker(write.Value) && KeyPurpose.Of(write, facts, api) == KeyPurposeKind.CacheEntry;

    /// <summary>The field or property the options object holding this expiry is assigned to or initializes.</summary>
    private static ISymbol? OptionsMember(EntryExpiry expiry)
    {
        // _options.AbsoluteExpirationRelativeToNow = ...; on a field or property.
        if (expiry.Value.Parent is ISimpleAssignmentOperation { Target: IPropertyReferenceOperation { Instance: { } receiver } }
            && MemberOf(receiver) is { } assigned)
        {
            return assigned;
        }
        var depth = 0;
        for (var current = expiry.Value.Parent; current is not null && depth++ < 8; current = current.Parent)
        {
            switch (current)
            {
                case ISimpleAssignmentOperation { Target: IFieldReferenceOperation field } assignment when assignment != expiry.Value.Parent:
                    return field.Field;
                case ISimpleAssignmentOperation { Target: IPropertyReferenceOperation property } assignment when assignment != expiry.Value.Parent:
                    return property.Property;
                case IFieldInitializerOperation { InitializedFields.Length: 1 } fieldInitializer:
                    return fieldInitializer.InitializedFields[0];
                case IPropertyInitializerOperation { InitializedProperties.Length: 1 } propertyInitializer:
                    return propertyInitializer.InitializedProperties[0];
                case IBlockOperation:
                    return null;
            }
        }
        return null;
    }

    /// <summary>The argument <paramref name="access"/> is written as, through parentheses, casts, <c>as</c> and <c>!</c>; null otherwise.</summary>
    private static ArgumentSyntax? ArgumentOf(ExpressionSyntax access)
    {
        SyntaxNode node = access;
        while (node.Parent is ParenthesizedExpressionSyntax
               || (node.Parent is CastExpressionSyntax cast && cast.Expression == node)
               || (node.Parent is BinaryExpressionSyntax binary && binary.IsKind(SyntaxKind.AsExpression) && binary.Left == node)
               || (node.Parent is PostfixUnaryExpressionSyntax postfix && postfix.IsKind(SyntaxKind.SuppressNullableWarningExpression)))
        {
            node = node.Parent;
        }
        return node.Parent as ArgumentSyntax;
    }

    private static ISymbol? MemberOf(IOperation value) => OperationFacts.Unwrap(value) switch
    {
        IFieldReferenceOperation field => field.Field,
        IPropertyReferenceOperation property => property.Property,
        _ => null,
    };

    private static bool MentionsName(IMethodSymbol method, string name)
    {
        foreach (var reference in method.DeclaringSyntaxReferences)
        {
            foreach (var token in reference.GetSyntax().DescendantTokens())
            {
                if (token.IsKind(Microsoft.CodeAnalysis.CSharp.SyntaxKind.IdentifierToken) && token.ValueText == name)
                    return true;
            }
        }
        return false;
    }

    /// <summary>The local the options holding this expiry are kept in: its initializer, or <c>local.X = ...</c>.</summary>
    private static ILocalSymbol? OptionsLocal(EntryExpiry expiry)
    {
        for (var current = expiry.Value.Parent; current is not null; current = current.Parent)
        {
            switch (current)
            {
                case ISimpleAssignmentOperation { Target: IPropertyReferenceOperation { Instance: ILocalReferenceOperation receiver } }:
                    return receiver.Local;
                case IVariableDeclaratorOperation declarator:
                    return declarator.Symbol;
                case ISimpleAssignmentOperation { Target: ILocalReferenceOperation target }:
                    return target.Local;
            }
        }
        return null;
    }

    /// <summary><c>true</c>, <c>new byte[1]</c>, <c>new byte[] { 1 }</c>, <c>[1]</c>: a flag, not a cached value.</summary>
    private static bool IsMarker(IOperation? value)
    {
        if (value is null)
            return false;
        value = OperationFacts.Unwrap(value);
        if (value.Type?.SpecialType == SpecialType.System_Boolean)
            return true;
        switch (value)
        {
            case IFieldReferenceOperation { Field: { IsReadOnly: true } field }:
                // private static readonly byte[] Sentinel = [1];
                foreach (var reference in field.DeclaringSyntaxReferences)
                {
                    if (reference.GetSyntax() is Microsoft.CodeAnalysis.CSharp.Syntax.VariableDeclaratorSyntax { Initializer.Value: { } initializer }
                        && IsOneElementArraySyntax(initializer))
                    {
                        return true;
                    }
                }
                return false;
            case IArrayCreationOperation array:
                if (array.Initializer is { } init)
                    return init.ElementValues.Length <= 1;
                return array.DimensionSizes.Length == 1 && array.DimensionSizes[0].ConstantValue is { HasValue: true, Value: int n } && n <= 1;
            default:
                // C# 12 collection expressions ([1]) bind as a collection-expression operation, not in the 4.8 API.
                return value.Syntax.IsKind(Microsoft.CodeAnalysis.CSharp.SyntaxKind.CollectionExpression)
                    && value.Syntax.ChildNodes().Count() <= 1;
        }
    }

    private static bool IsOneElementArraySyntax(SyntaxNode node) => node switch
    {
        Microsoft.CodeAnalysis.CSharp.Syntax.CollectionExpressionSyntax collection => collection.Elements.Count <= 1,
        Microsoft.CodeAnalysis.CSharp.Syntax.ArrayCreationExpressionSyntax { Initializer: { } init } => init.Expressions.Count <= 1,
        Microsoft.CodeAnalysis.CSharp.Syntax.ImplicitArrayCreationExpressionSyntax { Initializer: { } init } => init.Expressions.Count <= 1,
        _ => false,
    };

    /// <summary>
    /// Whether an options value passed to a cache write sets an expiry: false for null, <c>new()</c> or
    /// a fluent chain without one; true when it sets one or when we cannot see how it was built.
    /// </summary>
    public static bool OptionsSetExpiry(IOperation? options, CacheApi api) => OptionsSetExpiry(options, api, depth: 0);

    /// <summary>Whether a <c>GetOrCreate</c> factory sets an expiry on its entry (true when it can't be seen).</summary>
    public static bool FactorySetsExpiry(IOperation? factory, CacheApi api)
    {
        if (factory is null)
            return false;
        var inner = OperationFacts.Unwrap(factory);
        if (inner is IDelegateCreationOperation creation)
            inner = creation.Target;
        if (inner is not IAnonymousFunctionOperation lambda)
            return true; // a method group or a delegate passed in: no telling
        foreach (var operation in lambda.Body.DescendantsAndSelf())
        {
            if (Of(operation, api) is not null)
                return true;
            if (operation is IInvocationOperation tokenCall && IsChangeTokenBound(tokenCall))
                return true;
            if (operation is IInvocationOperation { TargetMethod.Name: "SetOptions" } setOptions
                && SymbolEqualityComparer.Default.Equals(setOptions.TargetMethod.ContainingType, api.MemoryCacheEntryFluentExtensions))
            {
                return true;
            }
        }
        return false;
    }

    private static bool OptionsSetExpiry(IOperation? options, CacheApi api, int depth)
    {
        if (options is null || depth > 4)
            return options is not null;
        var value = OperationFacts.Unwrap(options);
        if (OperationFacts.IsNullOrDefault(value))
            return false;

        switch (value)
        {
            case IObjectCreationOperation creation:
                if (creation.Initializer is null)
                    return false;
                foreach (var initializer in creation.Initializer.Initializers)
                {
                    if (Of(initializer, api) is { } expiry && !OperationFacts.IsNullOrDefault(expiry.Value))
                        return true;
                }
                return false;

            case IInvocationOperation invocation when IsFluentOptionsCall(invocation.TargetMethod, api):
                if (IsFluentExpiry(invocation.TargetMethod, api) || IsChangeTokenBound(invocation))
                    return true;
                return OptionsSetExpiry(OperationFacts.ArgumentAt(invocation, 0)?.Value, api, depth + 1);

            case ILocalReferenceOperation local:
            {
                var sawValue = false;
                foreach (var descendant in OperationFacts.Root(local).DescendantsAndSelf())
                {
                    switch (descendant)
                    {
                        case IVariableDeclaratorOperation d when SymbolEqualityComparer.Default.Equals(d.Symbol, local.Local):
                            if (d.Initializer is { } init)
                            {
                                sawValue = true;
                                if (OptionsSetExpiry(init.Value, api, depth + 1))
                                    return true;
                            }
                            break;
                        case ISimpleAssignmentOperation { Target: ILocalReferenceOperation target } a when SymbolEqualityComparer.Default.Equals(target.Local, local.Local):
                            sawValue = true;
                            if (OptionsSetExpiry(a.Value, api, depth + 1))
                                return true;
                            break;
                        case ISimpleAssignmentOperation { Target: IPropertyReferenceOperation { Instance: ILocalReferenceOperation receiver } property }
                            when SymbolEqualityComparer.Default.Equals(receiver.Local, local.Local) && IsExpiryProperty(property.Property, api):
                            return true;
                        case IInvocationOperation call when IsFluentExpiry(call.TargetMethod, api)
                            && OperationFacts.ArgumentAt(call, 0) is { Value: { } receiverValue }
                            && OperationFacts.Unwrap(receiverValue) is ILocalReferenceOperation fluentReceiver
                            && SymbolEqualityComparer.Default.Equals(fluentReceiver.Local, local.Local):
                            return true;
                        case IInvocationOperation tokenCall when IsChangeTokenBound(tokenCall) && BoundTarget(tokenCall) is ILocalReferenceOperation tokenReceiver
                            && SymbolEqualityComparer.Default.Equals(tokenReceiver.Local, local.Local):
                            return true;
                    }
                }
                return !sawValue;
            }

            default:
                return true; // a field, a parameter, a helper's result: assume it sets one
        }
    }

    /// <summary>
    /// <c>AddExpirationToken(token)</c> or <c>ExpirationTokens.Add(token)</c>: the entry goes when a file or
    /// data change token fires, which bounds it as an expiry does (RULES.md, CG0008).
    /// </summary>
    private static bool IsChangeTokenBound(IInvocationOperation invocation)
    {
        if (!(invocation.TargetMethod.Name == "AddExpirationToken"
              || (invocation.TargetMethod.Name == "Add" && invocation.Instance is IPropertyReferenceOperation { Property.Name: "ExpirationTokens" })))
        {
            return false;
        }
        // An application-lifetime token (ApplicationStopping) fires once, at shutdown: no bound (RULES.md).
        var token = invocation.Arguments.Length > 0 ? invocation.Arguments[invocation.Arguments.Length - 1].Value.Syntax.ToString() : "";
        foreach (var lifetime in new[] { "Lifetime", "lifetime", "ApplicationStopp", "Shutdown", "shutdown", "Stopping", "stopping" })
        {
            if (token.IndexOf(lifetime, System.StringComparison.Ordinal) >= 0)
                return false;
        }
        return true;
    }

    /// <summary>The options or entry a change token is added to.</summary>
    private static IOperation? BoundTarget(IInvocationOperation invocation)
    {
        if (invocation.Instance is IPropertyReferenceOperation { Property.Name: "ExpirationTokens", Instance: { } owner })
            return OperationFacts.Unwrap(owner);
        if (invocation.TargetMethod.IsExtensionMethod && invocation.Arguments.Length > 0)
            return OperationFacts.Unwrap(invocation.Arguments[0].Value);
        return invocation.Instance is { } instance ? OperationFacts.Unwrap(instance) : null;
    }

    private static bool IsExpiryProperty(IPropertySymbol property, CacheApi api)
    {
        var type = property.ContainingType?.OriginalDefinition;
        if (type is null)
            return false;
        if (SymbolEqualityComparer.Default.Equals(type, api.HybridCacheEntryOptions))
            return property.Name is "Expiration" or "LocalCacheExpiration";
        if (SymbolEqualityComparer.Default.Equals(type, api.DistributedCacheEntryOptions)
            || SymbolEqualityComparer.Default.Equals(type, api.MemoryCacheEntryOptions)
            || SymbolEqualityComparer.Default.Equals(type, api.MemoryCacheEntry))
        {
            return property.Name is "AbsoluteExpiration" or "AbsoluteExpirationRelativeToNow" or "SlidingExpiration";
        }
        return false;
    }

    private static bool IsFluentExpiry(IMethodSymbol method, CacheApi api) =>
        method.Name is "SetAbsoluteExpiration" or "SetSlidingExpiration" && IsFluentOptionsCall(method, api);

    private static bool IsFluentOptionsCall(IMethodSymbol method, CacheApi api)
    {
        var type = method.ContainingType;
        return type is not null
            && (SymbolEqualityComparer.Default.Equals(type, api.DistributedCacheEntryExtensions)
                || SymbolEqualityComparer.Default.Equals(type, api.MemoryCacheEntryExtensions)
                || SymbolEqualityComparer.Default.Equals(type, api.MemoryCacheEntryFluentExtensions));
    }
}
