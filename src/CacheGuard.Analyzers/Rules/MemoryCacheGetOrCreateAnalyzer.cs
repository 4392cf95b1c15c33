using System.Collections.Immutable;
using CacheGuard.Analyzers.Configuration;
using CacheGuard.Analyzers.Model;
using Microsoft.CodeAnalysis;
using CacheGuard.Analyzers.Engine;
using Microsoft.CodeAnalysis.Diagnostics;
using Microsoft.CodeAnalysis.Operations;

namespace CacheGuard.Analyzers.Rules;

/// <summary>
/// CG0004 over <c>IMemoryCache.GetOrCreate(Async)</c>: the call reads, runs the factory on a miss and
/// writes the result, but is not single-flight — every concurrent miss runs the factory
/// (dotnet/runtime#36500). The get-then-populate spelled out by hand is <see cref="UnguardedPopulateAnalyzer"/>'s;
/// this reports the one-call form, with the same guards (<see cref="SingleFlightGuards"/>). No code fix:
/// the faithful rewrite (HybridCache, or a per-key lock) changes the cache the project uses.
/// </summary>
[DiagnosticAnalyzer(LanguageNames.CSharp)]
public sealed class MemoryCacheGetOrCreateAnalyzer : RuleAnalyzer
{
    public MemoryCacheGetOrCreateAnalyzer()
        : base(MemoryCacheGetOrCreateRule.Instance)
    {
    }
}

/// <summary>CG0004, read against the engine's model of one body.</summary>
internal sealed class MemoryCacheGetOrCreateRule : Rule
{
    public static readonly MemoryCacheGetOrCreateRule Instance = new();

    private MemoryCacheGetOrCreateRule()
        : base(Descriptors.CG0004_UnguardedPopulate)
    {
    }

    public override void Analyze(MethodContext context)
    {
        var api = context.Api;
        var settings = context.Settings(RuleIds.UnguardedPopulate);
        if (settings.IsExcluded(context.OwningSymbol))
            return;

        if (api.MemoryCache is null)
            return;
        var facts = context.Facts;
        foreach (var operation in facts.CacheOperations)
        {
            if (operation.Kind != CacheOperationKind.GetOrCreate || operation.IsSingleFlight || operation.Family != CacheFamily.MemoryCache)
                continue;
            if (operation.Factory is not { } factory || !RunsWork(factory, context, out var description))
                continue;
            if (IsLazy(operation.Method.ReturnType))
                continue; // GetOrCreate(key, _ => new Lazy<Task<T>>(...)): the project's own single-flight idiom
            if (SingleFlightGuards.IsGuarded(operation.Invocation, operation.Invocation, operation.Key, facts, api))
                continue;

            context.ReportDiagnostic(Diagnostic.Create(
                Descriptors.CG0004_UnguardedPopulate,
                operation.Syntax.GetLocation(),
                CacheKeys.Describe(operation.Key),
                description));
        }
    }

    /// <summary>
    /// The factory does work worth single-flighting: it calls something (a repository, a delegate, a
    /// method group) rather than only building a constant or an empty container.
    /// </summary>
    private static bool RunsWork(IOperation factory, MethodContext context, out string description)
    {
        var api = context.Api;
        description = "the GetOrCreate factory";
        var inner = OperationFacts.Unwrap(factory);
        if (inner is IDelegateCreationOperation creation)
            inner = creation.Target;
        if (inner is not IAnonymousFunctionOperation lambda)
            return true; // a method group or a delegate passed in: the factory itself

        // A factory is I/O or a delegate the caller handed in (RULES.md): a lambda that only parses,
        // compiles or builds in memory (Parse, TryParse, ContentQueryModel.Build) has no load to multiply.
        // The message names the call that produces the value: a delegate the caller handed in, else an
        // awaited call, else the first call that does work (not _keys.Add(key) or a file-exists check).
        IInvocationOperation? named = null;
        var rank = int.MaxValue;
        var work = false;
        foreach (var operation in lambda.Body.Descendants())
        {
            if (IsEntryConfiguration(operation, lambda.Body, api))
                continue;
            if (operation is IAwaitOperation awaited)
            {
                work = true;
                if (OperationFacts.Unwrap(awaited.Operation) is IInvocationOperation awaitedCall && rank > 1)
                {
                    named = awaitedCall;
                    rank = awaitedCall.TargetMethod.MethodKind == MethodKind.DelegateInvoke ? 0 : 1;
                }
                continue;
            }
            if (operation is not IInvocationOperation invocation
                || ValueFactories.IsComputation(invocation, m => context.Engine.BodyOf(m, context.CancellationToken)))
            {
                continue;
            }
            work = true;
            var candidate = invocation.TargetMethod.MethodKind == MethodKind.DelegateInvoke ? 0
                : invocation.TargetMethod.ReturnsVoid || invocation.TargetMethod.ReturnType.SpecialType == SpecialType.System_Boolean ? 3
                : 2;
            if (candidate < rank)
            {
                named = invocation;
                rank = candidate;
            }
        }
        if (!work)
            return false;
        if (named is not null)
        {
            var text = OperationFacts.CollapseWhiteSpace(named.Syntax.ToString());
            description = "'" + (text.Length <= 50 ? text : text.Substring(0, 47) + "...") + "'";
        }
        return true;
    }

    /// <summary>Inside <c>entry.SetAbsoluteExpiration(...)</c>, <c>entry.Size = ...</c> and the like: configuring the entry, not producing the value.</summary>
    private static bool IsEntryConfiguration(IOperation operation, IOperation body, CacheApi api)
    {
        for (var current = operation; current is not null && current != body; current = current.Parent)
        {
            if (current is IInvocationOperation invocation && ConfiguresEntry(invocation, api))
                return true;
            // entry.ExpirationTokens.Add(fileSystem.Watch(path)), entry.PostEvictionCallbacks.Add(...)
            if (current is IInvocationOperation { Instance: IPropertyReferenceOperation { Property.Name: "ExpirationTokens" or "PostEvictionCallbacks" } })
                return true;
            if (current is ISimpleAssignmentOperation { Target: IPropertyReferenceOperation property }
                && OperationFacts.IsOrInherits(property.Property.ContainingType, api.MemoryCacheEntry))
            {
                return true;
            }
        }
        return false;
    }

    private static bool ConfiguresEntry(IInvocationOperation invocation, CacheApi api) =>
        EntryExpiries.Of(invocation, api) is not null
        || SymbolEqualityComparer.Default.Equals(invocation.TargetMethod.ContainingType, api.MemoryCacheEntryFluentExtensions)
        || SymbolEqualityComparer.Default.Equals(invocation.TargetMethod.ContainingType, api.MemoryCacheEntryExtensions);

    private static bool IsLazy(ITypeSymbol type)
    {
        // Task<Lazy<T>?> for GetOrCreateAsync, Lazy<T>? for GetOrCreate.
        if (type is INamedTypeSymbol { Name: "Task" or "ValueTask", TypeArguments.Length: 1 } task)
            type = task.TypeArguments[0];
        return type.Name is "Lazy" or "AsyncLazy";
    }
}
