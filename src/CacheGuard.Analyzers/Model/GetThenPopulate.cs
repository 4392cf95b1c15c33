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
/// Finds <see cref="GetThenPopulate"/> patterns in one body. A miss branch may call a helper of the
/// same type (or a local function) that populates: the helper's body and facts come from the engine,
/// built once per method however many callers ask.
/// </summary>
internal sealed class GetThenPopulateFinder
{
    private readonly Engine.CacheGuardEngine _engine;
    private readonly CacheApi _api;
    private IOperation? _root;

    public GetThenPopulateFinder(Engine.CacheGuardEngine engine)
    {
        _engine = engine;
        _api = engine.Api;
    }

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

    public List<GetThenPopulate> Find(MethodCacheFacts facts, IOperation root)
    {
        var found = new List<GetThenPopulate>();
        if (facts.CacheOperations.IsEmpty)
            return found;
        _root = root;
        FindIn(facts, found);
        return found;
    }

    /// <summary>
    /// The checks of <see cref="HelperFor"/> that need no binding: a local function, or an ordinary method of
    /// the same type whose declaration's text may hold a cache write (before the miss-path test of every call).
    /// </summary>
    private bool MayBeHelper(IMethodSymbol target, MethodCacheFacts caller)
    {
        target = target.OriginalDefinition;
        if (target.MethodKind == MethodKind.LocalFunction)
            return true;
        // A helper populates: a body whose text names no write (CacheOperations.MayWrite) is no helper, and is not bound.
        return target.MethodKind == MethodKind.Ordinary
            && SymbolEqualityComparer.Default.Equals(target.ContainingType?.OriginalDefinition, caller.Owner.ContainingType?.OriginalDefinition)
            && _engine.MayHoldCacheOperation(target)
            && CacheOperations.MayWrite(target, _api);
    }

    /// <summary>A local function of this body, or a method of the same type with a body that touches the cache.</summary>
    private Helper? HelperFor(IMethodSymbol target, MethodCacheFacts caller)
    {
        target = target.OriginalDefinition;
        if (target.MethodKind == MethodKind.LocalFunction)
        {
            if (_root is null)
                return null;
            foreach (var operation in _root.Descendants())
            {
                if (operation is ILocalFunctionOperation { Body: { } body } local
                    && SymbolEqualityComparer.Default.Equals(local.Symbol.OriginalDefinition, target))
                {
                    return new Helper(body, caller);
                }
            }
            return null;
        }
        if (target.MethodKind != MethodKind.Ordinary
            || !SymbolEqualityComparer.Default.Equals(target.ContainingType?.OriginalDefinition, caller.Owner.ContainingType?.OriginalDefinition)
            || !_engine.MayHoldCacheOperation(target)
            || _engine.BodyOf(target, default) is not { } helperRoot)
        {
            return null;
        }
        var facts = _engine.FactsFor(target, helperRoot);
        return facts.CacheOperations.IsEmpty ? null : new Helper(helperRoot, facts);
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
        // The read's result (its holders: a walk of the later declarators) is built only once a write or a
        // helper call could be on its miss path; most reads have neither.
        var body = FunctionBodies.Of(read.Invocation);
        ReadResult? readResult = null;
        ReadResult Result() => readResult ??= ReadResult.Of(read.Invocation, facts);
        var readEnd = read.Syntax.Span.End;

        // KeyExists only starts a get-then-populate when the hit path reads the value (KeyExists then StringGet).
        if (read.Kind == CacheOperationKind.Exists && !HasValueRead(read, facts, body))
            return null;

        // The populate in the same body. A later read of the same key (a project wrapper's GetAsync is awaited
        // like a load) is the re-check under a lock, never the factory.
        HashSet<IInvocationOperation>? rereads = null;
        var rereadsKnown = false;
        var populates = ImmutableArray.CreateBuilder<CacheOperation>();
        ValueFactory? factory = null;
        foreach (var write in facts.CacheOperations)
        {
            if (write.Kind != CacheOperationKind.Write || write.Syntax.SpanStart < readEnd
                || !CacheKeys.AreSame(write.Key, read.Key)
                || FunctionBodies.Of(write.Invocation) != body
                || !Result().IsOnMissPath(write.Invocation))
            {
                continue;
            }
            populates.Add(write);
            if (!rereadsKnown)
            {
                // Only the factory search reads them: found once, at the first populate.
                rereadsKnown = true;
                foreach (var other in facts.CacheOperations)
                {
                    if (other.Kind is CacheOperationKind.Read or CacheOperationKind.Exists && other.Syntax.SpanStart >= readEnd && CacheKeys.AreSame(other.Key, read.Key))
                        (rereads ??= new HashSet<IInvocationOperation>()).Add(other.Invocation);
                }
            }
            foreach (var value in ValuesOf(write))
            {
                var candidate = ValueFactories.Find(value, body, readEnd, notFactories: rereads);
                if (candidate is not null && (factory is null || candidate.Invocation.Syntax.SpanStart < factory.Invocation.Syntax.SpanStart))
                    factory = candidate;
            }
        }
        if (factory is not null)
        {
            var guarded = SingleFlightGuards.IsGuarded(factory.Invocation, read.Invocation, read.Key, facts, _api);
            return new GetThenPopulate(read, Order(populates, factory), factory, null, guarded);
        }

        // The populate moved into a helper of this type, called from the miss branch. The body's own calls
        // (those whose function is the read's) in walk order: the facts' invocations, walked once.
        foreach (var call in facts.Invocations)
        {
            if (call.Syntax.SpanStart < readEnd
                || FunctionBodies.Of(call) != body
                || SymbolEqualityComparer.Default.Equals(call.TargetMethod.OriginalDefinition, facts.Owner.OriginalDefinition))
            {
                continue;
            }
#if VERIFY_SKIPS
            // Verification build only (-p:DefineConstants=VERIFY_SKIPS): a method MayWrite rules out holds no write of its own.
            if (call.TargetMethod.OriginalDefinition is { MethodKind: MethodKind.Ordinary } verified && !CacheOperations.MayWrite(verified, _api)
                && _engine.BodyOf(verified, default) is { } verifiedBody)
            {
                foreach (var operation in _engine.FactsFor(verified, verifiedBody).CacheOperations)
                {
                    if (operation.Kind == CacheOperationKind.Write && FunctionBodies.Of(operation.Invocation) == verifiedBody)
                        throw new System.InvalidOperationException($"VERIFY_SKIPS MayWrite {verified}: writes at {operation.Syntax.GetLocation().GetLineSpan()}");
                }
            }
#endif
            if (!MayBeHelper(call.TargetMethod, facts) || !Result().IsOnMissPath(call) || HelperFor(call.TargetMethod, facts) is not { } helper)
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
