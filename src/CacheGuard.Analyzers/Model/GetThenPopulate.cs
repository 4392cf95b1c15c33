using System.Collections.Generic;
using System.Collections.Immutable;
using Microsoft.CodeAnalysis;
using Microsoft.CodeAnalysis.CSharp;
using Microsoft.CodeAnalysis.CSharp.Syntax;
using Microsoft.CodeAnalysis.Operations;

namespace CacheGuard.Analyzers.Model;

/// <summary>
/// One cache-aside read: a read of a key that, on a miss, runs a factory and writes the result back
/// to the same key — in the same body, or through a helper of the same type called from the miss branch.
/// </summary>
internal sealed class GetThenPopulate
{
    public GetThenPopulate(CacheOperation read, ImmutableArray<CacheOperation> populates, ValueFactory factory, IInvocationOperation? helperCall, bool isGuarded)
    {
        Read = read;
        Populates = populates;
        Factory = factory;
        HelperCall = helperCall;
        IsGuarded = isGuarded;
    }

    /// <summary>The read (or existence check) that starts the pattern.</summary>
    public CacheOperation Read { get; }

    /// <summary>The writes of the key on the miss path, the one the factory feeds first.</summary>
    public ImmutableArray<CacheOperation> Populates { get; }

    /// <summary>The call that produces the value.</summary>
    public ValueFactory Factory { get; }

    /// <summary>The call to the helper that populates, when the write is not in the read's body.</summary>
    public IInvocationOperation? HelperCall { get; }

    /// <summary>True when a lock single-flights the factory.</summary>
    public bool IsGuarded { get; }
}

/// <summary>
/// Finds <see cref="GetThenPopulate"/> patterns over the members of one type. Members are added as
/// their operation blocks are analyzed; <see cref="Find"/> runs at the end of the type, when every
/// helper a miss branch may call is known. Works on <see cref="CacheOperation"/>s of any family.
/// </summary>
internal sealed class GetThenPopulateFinder
{
    private readonly CacheApi _api;
    private readonly object _gate = new();
    private readonly List<MethodCacheFacts> _members = new();
    private readonly Dictionary<IMethodSymbol, Helper> _helpers = new(SymbolEqualityComparer.Default);

    public GetThenPopulateFinder(CacheApi api) => _api = api;

    private sealed class Helper
    {
        public Helper(IOperation body, MethodCacheFacts facts)
        {
            Body = body;
            Facts = facts;
        }

        public IOperation Body { get; }
        public MethodCacheFacts Facts { get; }
    }

    /// <summary>Adds one member's facts (thread-safe: operation blocks run concurrently).</summary>
    public void Add(MethodCacheFacts facts, ImmutableArray<IOperation> blocks)
    {
        if (facts.CacheOperations.IsEmpty)
            return;
        lock (_gate)
        {
            _members.Add(facts);
            if (facts.Owner is IMethodSymbol method && blocks.Length > 0)
            {
                foreach (var block in blocks)
                {
                    if (block is IMethodBodyOperation or IBlockOperation)
                        _helpers[method.OriginalDefinition] = new Helper(OperationFacts.Root(block), facts);
                }
            }
            foreach (var block in blocks)
            {
                foreach (var operation in block.Descendants())
                {
                    if (operation is ILocalFunctionOperation { Body: { } body } local)
                        _helpers[local.Symbol.OriginalDefinition] = new Helper(body, facts);
                }
            }
        }
    }

    public List<GetThenPopulate> Find()
    {
        var found = new List<GetThenPopulate>();
        List<MethodCacheFacts> members;
        lock (_gate)
            members = new List<MethodCacheFacts>(_members);
        foreach (var facts in members)
            FindIn(facts, found);
        return found;
    }

    private void FindIn(MethodCacheFacts facts, List<GetThenPopulate> found)
    {
        var claimed = new HashSet<IInvocationOperation>();
        foreach (var read in facts.CacheOperations)
        {
            if (read.Kind is not (CacheOperationKind.Read or CacheOperationKind.Exists) || read.Key is null)
                continue;
            var pattern = Match(read, facts);
            if (pattern is null)
                continue;
            var fresh = false;
            foreach (var populate in pattern.Populates)
                fresh |= claimed.Add(populate.Invocation);
            if (fresh)
                found.Add(pattern);
        }
    }

    private GetThenPopulate? Match(CacheOperation read, MethodCacheFacts facts)
    {
        var result = ReadResult.Of(read.Invocation);
        var body = result.Body;
        var readEnd = read.Syntax.Span.End;

        // KeyExists only starts a get-then-populate when the hit path reads the value (KeyExists then StringGet).
        if (read.Kind == CacheOperationKind.Exists && !HasValueRead(read, facts, body))
            return null;

        // The populate in the same body.
        var populates = ImmutableArray.CreateBuilder<CacheOperation>();
        ValueFactory? factory = null;
        foreach (var write in facts.CacheOperations)
        {
            if (write.Kind != CacheOperationKind.Write || write.Syntax.SpanStart < readEnd
                || !CacheKeys.AreSame(write.Key, read.Key)
                || FunctionBodies.Of(write.Invocation) != body
                || !result.IsOnMissPath(write.Invocation))
            {
                continue;
            }
            populates.Add(write);
            foreach (var value in ValuesOf(write))
            {
                var candidate = ValueFactories.Find(value, body, readEnd);
                if (candidate is not null && (factory is null || candidate.Invocation.Syntax.SpanStart < factory.Invocation.Syntax.SpanStart))
                    factory = candidate;
            }
        }
        if (factory is not null)
        {
            var guarded = SingleFlightGuards.IsGuarded(factory.Invocation, read.Invocation, read.Key, facts, _api);
            return new GetThenPopulate(read, Order(populates, factory), factory, null, guarded);
        }

        // The populate moved into a helper of this type, called from the miss branch.
        foreach (var operation in body.Descendants())
        {
            if (operation is not IInvocationOperation call || call.Syntax.SpanStart < readEnd
                || FunctionBodies.Of(call) != body
                || SymbolEqualityComparer.Default.Equals(call.TargetMethod.OriginalDefinition, facts.Owner.OriginalDefinition))
            {
                continue;
            }
            Helper? helper;
            lock (_gate)
                _helpers.TryGetValue(call.TargetMethod.OriginalDefinition, out helper);
            if (helper is null || !result.IsOnMissPath(call))
                continue;

            var helperPopulates = ImmutableArray.CreateBuilder<CacheOperation>();
            ValueFactory? helperFactory = null;
            var factoryInHelper = false;
            foreach (var write in helper.Facts.CacheOperations)
            {
                if (write.Kind != CacheOperationKind.Write || FunctionBodies.Of(write.Invocation) != helper.Body
                    || !HelperKeyMatches(write.Key, call, read.Key))
                {
                    continue;
                }
                helperPopulates.Add(write);
                foreach (var value in ValuesOf(write))
                {
                    var parameters = new List<IParameterSymbol>();
                    var inside = ValueFactories.Find(value, helper.Body, -1, parameters);
                    if (inside is not null)
                    {
                        helperFactory ??= inside;
                        factoryInHelper = true;
                        continue;
                    }
                    foreach (var parameter in parameters)
                    {
                        foreach (var argument in call.Arguments)
                        {
                            if (SymbolEqualityComparer.Default.Equals(argument.Parameter?.OriginalDefinition, parameter.OriginalDefinition)
                                && ValueFactories.Find(argument.Value, body, readEnd) is { } outside)
                            {
                                helperFactory ??= outside;
                            }
                        }
                    }
                }
            }
            if (helperFactory is null)
                continue;

            var guarded = SingleFlightGuards.IsGuarded(factoryInHelper ? call : helperFactory.Invocation, read.Invocation, read.Key, facts, _api)
                          || (factoryInHelper && SingleFlightGuards.IsGuarded(helperFactory.Invocation, helperFactory.Invocation, helperPopulates[0].Key, helper.Facts, _api));
            return new GetThenPopulate(read, helperPopulates.ToImmutable(), helperFactory, call, guarded);
        }
        return null;
    }

    /// <summary>The populate the factory feeds first, then the others (a negative sentinel, say).</summary>
    private static ImmutableArray<CacheOperation> Order(ImmutableArray<CacheOperation>.Builder populates, ValueFactory factory)
    {
        var ordered = ImmutableArray.CreateBuilder<CacheOperation>(populates.Count);
        foreach (var populate in populates)
        {
            foreach (var value in ValuesOf(populate))
            {
                if (OperationFacts.IsInside(factory.Invocation, value) || ValueFactories.Find(value, FunctionBodies.Of(populate.Invocation), -1) is { } f && f.Invocation == factory.Invocation)
                {
                    ordered.Add(populate);
                    break;
                }
            }
        }
        foreach (var populate in populates)
        {
            if (!ordered.Contains(populate))
                ordered.Add(populate);
        }
        return ordered.ToImmutable();
    }

    /// <summary>What a write stores: its value, or every argument but the key and the expiry (hash fields).</summary>
    private static IEnumerable<IOperation> ValuesOf(CacheOperation write)
    {
        if (write.Value is not null)
        {
            yield return write.Value;
            yield break;
        }
        foreach (var argument in write.Invocation.Arguments)
        {
            if (argument.ArgumentKind == ArgumentKind.DefaultValue || argument == write.Expiry)
                continue;
            var value = OperationFacts.Unwrap(argument.Value);
            if (value == write.Key)
                continue;
            yield return value;
        }
    }

    private static bool HasValueRead(CacheOperation exists, MethodCacheFacts facts, IOperation body)
    {
        foreach (var other in facts.CacheOperations)
        {
            if (other.Kind == CacheOperationKind.Read && other != exists && FunctionBodies.Of(other.Invocation) == body
                && CacheKeys.AreSame(other.Key, exists.Key))
            {
                return true;
            }
        }
        return false;
    }

    /// <summary>
    /// True when the helper's write key, with the helper's parameters replaced by the call's arguments,
    /// is the read's key: <c>CacheAsync(key, post)</c> writing <c>key</c>, or <c>LoadAsync(id)</c> writing <c>$"post:{id}"</c>.
    /// </summary>
    private static bool HelperKeyMatches(IOperation? helperKey, IInvocationOperation call, IOperation? readKey)
    {
        if (helperKey is null || readKey is null)
            return false;
        var unwrapped = OperationFacts.Unwrap(helperKey);
        if (unwrapped is IParameterReferenceOperation parameter)
        {
            var argument = ArgumentFor(call, parameter.Parameter);
            return argument is not null && CacheKeys.AreSame(argument.Value, readKey);
        }

        // Substitute the parameters the key is built from and compare the expressions.
        var replacements = new Dictionary<SyntaxNode, SyntaxNode>();
        foreach (var inner in unwrapped.DescendantsAndSelf())
        {
            if (inner is IParameterReferenceOperation p)
            {
                var argument = ArgumentFor(call, p.Parameter);
                if (argument is null || argument.ArgumentKind == ArgumentKind.DefaultValue)
                    return false;
                replacements[p.Syntax] = OperationFacts.Unwrap(argument.Value).Syntax;
            }
        }
        if (replacements.Count == 0)
            return CacheKeys.AreSame(unwrapped, readKey);
        var rewritten = unwrapped.Syntax.ReplaceNodes(replacements.Keys, (original, _) => replacements[original].WithoutTrivia());
        var readSyntax = KeySyntax(readKey);
        return readSyntax is not null && SyntaxFactory.AreEquivalent(Strip(rewritten), Strip(readSyntax), topLevel: false);
    }

    private static IArgumentOperation? ArgumentFor(IInvocationOperation call, IParameterSymbol parameter)
    {
        foreach (var argument in call.Arguments)
        {
            if (argument.Parameter is { } p && p.Ordinal == parameter.Ordinal
                && SymbolEqualityComparer.Default.Equals(p.ContainingSymbol.OriginalDefinition, parameter.ContainingSymbol.OriginalDefinition))
            {
                return argument;
            }
        }
        return null;
    }

    private static SyntaxNode? KeySyntax(IOperation key)
    {
        key = OperationFacts.Unwrap(key);
        if (key is ILocalReferenceOperation local
            && local.Local.DeclaringSyntaxReferences.Length == 1
            && local.Local.DeclaringSyntaxReferences[0].GetSyntax() is VariableDeclaratorSyntax { Initializer.Value: { } initializer })
        {
            return initializer;
        }
        return key.Syntax;
    }

    private static SyntaxNode Strip(SyntaxNode node)
    {
        while (node is ParenthesizedExpressionSyntax p)
            node = p.Expression;
        return node;
    }
}

/// <summary>
/// Runs <see cref="GetThenPopulateFinder"/> per type: every member's facts are gathered as its operation
/// block is analyzed, and the patterns are reported when the type is complete (a miss branch may call a
/// helper declared further down).
/// </summary>
internal static class GetThenPopulateAnalysis
{
    public static void Register(
        Microsoft.CodeAnalysis.Diagnostics.CompilationStartAnalysisContext start,
        CacheApi api,
        string ruleId,
        System.Action<Microsoft.CodeAnalysis.Diagnostics.SymbolAnalysisContext, GetThenPopulate, Configuration.CacheGuardSettings> report)
    {
        start.RegisterSymbolStartAction(symbolStart =>
        {
            var finder = new GetThenPopulateFinder(api);
            symbolStart.RegisterOperationBlockAction(block =>
            {
                if (block.OperationBlocks.IsEmpty)
                    return;
                var settings = Configuration.CacheGuardSettings.For(block.Options, block.OperationBlocks[0].Syntax.SyntaxTree, ruleId);
                if (settings.IsExcluded(block.OwningSymbol))
                    return;
                var facts = MethodCacheFacts.Build(block.OwningSymbol, block.OperationBlocks, api, settings.WriteVerbs);
                finder.Add(facts, block.OperationBlocks);
            });
            symbolStart.RegisterSymbolEndAction(end =>
            {
                foreach (var pattern in finder.Find())
                {
                    var settings = Configuration.CacheGuardSettings.For(end.Options, pattern.Read.Syntax.SyntaxTree, ruleId);
                    report(end, pattern, settings);
                }
            });
        }, SymbolKind.NamedType);
    }
}
