using System.Collections.Generic;
using Microsoft.CodeAnalysis;
using Microsoft.CodeAnalysis.Operations;

namespace CacheGuard.Analyzers.Model;

/// <summary>What a condition says about a cache read: true on a hit, true on a miss, or neither.</summary>
internal enum MissPolarity
{
    None,
    /// <summary>The condition is true when the key was found (<c>v.HasValue</c>, <c>s is not null</c>, <c>KeyExists</c>).</summary>
    Hit,
    /// <summary>The condition is true when the key was missing (<c>v.IsNullOrEmpty</c>, <c>s is null</c>).</summary>
    Miss,
}

/// <summary>
/// The result of one cache read inside one function body: the locals that hold it (or a conversion of
/// it), and which conditions test it for a hit or a miss. Works over any <see cref="CacheOperation"/>
/// read whatever its family: RedisValue members (<c>HasValue</c>, <c>IsNull</c>, <c>IsNullOrEmpty</c>),
/// null tests on converted or nullable results, <c>string.IsNullOrEmpty</c>, a <c>bool</c> result
/// (<c>KeyExists</c>, <c>TryGetValue</c>) and empty collections (<c>HashGetAll</c>).
/// </summary>
internal sealed class ReadResult
{
    private readonly HashSet<ILocalSymbol> _holders = new(SymbolEqualityComparer.Default);
    private readonly Dictionary<ILocalSymbol, IOperation> _initializers = new(SymbolEqualityComparer.Default);

    private ReadResult(IInvocationOperation read, IOperation body)
    {
        Read = read;
        Body = body;
    }

    /// <summary>The read call.</summary>
    public IInvocationOperation Read { get; }

    /// <summary>The function body (method, lambda or local function) the read belongs to.</summary>
    public IOperation Body { get; }

    public static ReadResult Of(IInvocationOperation read) => Of(read, null);

    /// <summary>
    /// <paramref name="facts"/>: the facts of the body the read is in, whose <see cref="MethodCacheFacts.Declarators"/>
    /// stand for a walk of the body (null: walk it).
    /// </summary>
    public static ReadResult Of(IInvocationOperation read, MethodCacheFacts? facts)
    {
        var result = new ReadResult(read, FunctionBodies.Of(read));
        result.CollectHolders(facts);
        return result;
    }

    /// <summary>True when <paramref name="operation"/> is the read's value, or a local (or conversion) holding it.</summary>
    public bool IsReadValue(IOperation? operation)
    {
        var current = operation;
        while (current is not null)
        {
            switch (current)
            {
                case IConversionOperation c:
                    current = c.Operand;
                    continue;
                case IParenthesizedOperation p:
                    current = p.Operand;
                    continue;
                case IAwaitOperation a:
                    current = a.Operation;
                    continue;
                case IInvocationOperation i when i == Read:
                    return true;
                case IPropertyReferenceOperation { Property.Name: "Value", Instance: { } instance }:
                    // StringGetWithExpiry(...).Value, a Nullable<T>'s value
                    current = instance;
                    continue;
                case IInvocationOperation i when i.Instance is not null && i.Arguments.Length <= 1
                                                 && (i.TargetMethod.Name == "ToString" || i.TargetMethod.Name == "ConfigureAwait"):
                    current = i.Instance;
                    continue;
                case ILocalReferenceOperation l:
                    return _holders.Contains(l.Local);
                default:
                    return false;
            }
        }
        return false;
    }

    /// <summary>Whether <paramref name="condition"/> is true on a hit, on a miss, or says nothing about this read.</summary>
    public MissPolarity Classify(IOperation? condition)
    {
        // Asked again for the same conditions by every call and write after the read (IsOnMissPath): once each.
        if (condition is null)
            return MissPolarity.None;
        _polarities ??= new Dictionary<IOperation, MissPolarity>();
        if (!_polarities.TryGetValue(condition, out var polarity))
            _polarities[condition] = polarity = Classify(condition, depth: 0);
        return polarity;
    }

    private Dictionary<IOperation, MissPolarity>? _polarities;

    private MissPolarity Classify(IOperation? condition, int depth)
    {
        if (condition is null || depth > 8)
            return MissPolarity.None;
        var e = OperationFacts.Unwrap(condition);
        switch (e)
        {
            case IUnaryOperation { OperatorKind: UnaryOperatorKind.Not } not:
                return Invert(Classify(not.Operand, depth + 1));

            case IBinaryOperation { OperatorKind: BinaryOperatorKind.ConditionalOr } or:
            {
                var l = Classify(or.LeftOperand, depth + 1);
                var r = Classify(or.RightOperand, depth + 1);
                if (l == MissPolarity.Miss || r == MissPolarity.Miss)
                    return MissPolarity.Miss; // true on every miss (and maybe more): the branch runs on a miss
                return l == MissPolarity.Hit && r == MissPolarity.Hit ? MissPolarity.Hit : MissPolarity.None;
            }

            case IBinaryOperation { OperatorKind: BinaryOperatorKind.ConditionalAnd } and:
            {
                var l = Classify(and.LeftOperand, depth + 1);
                var r = Classify(and.RightOperand, depth + 1);
                if (l == MissPolarity.Hit || r == MissPolarity.Hit)
                    return MissPolarity.Hit; // false on every miss: the else runs on a miss
                return l == MissPolarity.Miss && r == MissPolarity.Miss ? MissPolarity.Miss : MissPolarity.None;
            }

            case IBinaryOperation binary:
                return ClassifyComparison(binary, depth);

            case IIsPatternOperation isPattern when IsReadValue(isPattern.Value):
                return ClassifyPattern(isPattern.Pattern);

            case IPropertyReferenceOperation property when IsReadValue(property.Instance):
                switch (property.Property.Name)
                {
                    case "HasValue":
                        return MissPolarity.Hit;
                    case "IsNull":
                    case "IsNullOrEmpty":
                        return MissPolarity.Miss;
                }
                return MissPolarity.None;

            case IInvocationOperation invocation:
                return ClassifyCall(invocation);

            case IAwaitOperation or ILocalReferenceOperation when e.Type?.SpecialType == SpecialType.System_Boolean:
                if (IsReadValue(e))
                    return MissPolarity.Hit; // KeyExists / TryGetValue: true when found
                if (e is ILocalReferenceOperation flag && _initializers.TryGetValue(flag.Local, out var init))
                    return Classify(init, depth + 1);
                return MissPolarity.None;

            default:
                return MissPolarity.None;
        }
    }

    private MissPolarity ClassifyComparison(IBinaryOperation binary, int depth)
    {
        var equals = binary.OperatorKind == BinaryOperatorKind.Equals;
        var notEquals = binary.OperatorKind == BinaryOperatorKind.NotEquals;
        var left = OperationFacts.Unwrap(binary.LeftOperand);
        var right = OperationFacts.Unwrap(binary.RightOperand);

        if (equals || notEquals)
        {
            if ((IsReadValue(left) && IsNullish(right)) || (IsReadValue(right) && IsNullish(left)))
                return equals ? MissPolarity.Miss : MissPolarity.Hit;

            // v.HasValue == false, exists != true
            if (right.ConstantValue is { HasValue: true, Value: bool b } && left.Type?.SpecialType == SpecialType.System_Boolean)
            {
                var p = Classify(left, depth + 1);
                return b == equals ? p : Invert(p);
            }
        }

        // entries.Length == 0, list.Count > 0
        if (left is IPropertyReferenceOperation { Property.Name: "Length" or "Count" } size && IsReadValue(size.Instance)
            && right.ConstantValue is { HasValue: true, Value: int zero } && zero == 0)
        {
            return binary.OperatorKind switch
            {
                BinaryOperatorKind.Equals or BinaryOperatorKind.LessThanOrEqual => MissPolarity.Miss,
                BinaryOperatorKind.NotEquals or BinaryOperatorKind.GreaterThan => MissPolarity.Hit,
                _ => MissPolarity.None,
            };
        }
        return MissPolarity.None;
    }

    private static MissPolarity ClassifyPattern(IPatternOperation pattern)
    {
        switch (pattern)
        {
            case IConstantPatternOperation constant when IsNullish(OperationFacts.Unwrap(constant.Value)):
                return MissPolarity.Miss;
            case INegatedPatternOperation negated:
                return Invert(ClassifyPattern(negated.Pattern));
            case IDeclarationPatternOperation:
            case ITypePatternOperation:
                return MissPolarity.Hit;
            case IRecursivePatternOperation recursive when recursive.PropertySubpatterns.IsEmpty && recursive.DeconstructionSubpatterns.IsEmpty:
                return MissPolarity.Hit; // is { }
            default:
                return MissPolarity.None;
        }
    }

    private MissPolarity ClassifyCall(IInvocationOperation invocation)
    {
        if (invocation == Read || IsReadValue(invocation))
            return invocation.Type?.SpecialType == SpecialType.System_Boolean ? MissPolarity.Hit : MissPolarity.None;

        var method = invocation.TargetMethod;
        if (method.IsStatic && invocation.Arguments.Length >= 1 && IsReadValue(invocation.Arguments[0].Value))
        {
            if (method.ContainingType?.SpecialType == SpecialType.System_String
                && (method.Name == "IsNullOrEmpty" || method.Name == "IsNullOrWhiteSpace"))
            {
                return MissPolarity.Miss;
            }
            if (method.Name.StartsWith("TryParse", System.StringComparison.Ordinal)
                || (method.Name == "Any" && invocation.Arguments.Length == 1))
            {
                return MissPolarity.Hit;
            }
        }
        return MissPolarity.None;
    }

    /// <summary>
    /// True when <paramref name="target"/> runs only after this read missed: it sits in the branch a miss
    /// check takes on a miss, or after a hit check that returns.
    /// </summary>
    public bool IsOnMissPath(IOperation target)
    {
        var readStart = Read.Syntax.SpanStart;
        for (IOperation node = target; node.Parent is { } parent && node != Body; node = parent)
        {
            switch (parent)
            {
                case IConditionalOperation conditional when node != conditional.Condition && conditional.Syntax.Span.End > readStart:
                {
                    var polarity = Classify(conditional.Condition);
                    if (polarity == MissPolarity.None)
                        break;
                    var inTrue = node == conditional.WhenTrue;
                    return inTrue ? polarity == MissPolarity.Miss : polarity == MissPolarity.Hit;
                }

                case ICoalesceOperation coalesce when node == coalesce.WhenNull && IsReadValue(coalesce.Value):
                    return true;

                case IBlockOperation block:
                {
                    var index = IndexOf(block.Operations, node);
                    for (var i = index - 1; i >= 0; i--)
                    {
                        var statement = block.Operations[i];
                        if (statement.Syntax.Span.End <= readStart)
                            break;
                        if (statement is not IConditionalOperation early)
                            continue;
                        // Code after `if (hit) return ...;` runs on a miss; after `if (miss) { ... } else return ...;` too.
                        var polarity = Classify(early.Condition);
                        if (polarity != MissPolarity.None && Exits(early.WhenTrue))
                            return polarity == MissPolarity.Hit;
                        if (polarity != MissPolarity.None && Exits(early.WhenFalse))
                            return polarity == MissPolarity.Miss;
                        // `if (cachingEnabled) { var v = read; if (hit) return ...; }`: a condition that says
                        // nothing about the read, around the read and its early hit return. Code after it
                        // runs on a miss (or where the read never ran).
                        if (polarity == MissPolarity.None && early.WhenFalse is null
                            && OperationFacts.IsInside(Read, early.WhenTrue) && EndsOnMissPath(early.WhenTrue))
                        {
                            return true;
                        }
                    }
                    break;
                }
            }
        }
        return false;
    }

    /// <summary>True when the read is in <paramref name="block"/> and a hit leaves it early: what follows it runs on a miss.</summary>
    private bool EndsOnMissPath(IOperation block)
    {
        if (block is not IBlockOperation { Operations: var statements })
            return false;
        var readStart = Read.Syntax.SpanStart;
        for (var i = statements.Length - 1; i >= 0; i--)
        {
            var statement = statements[i];
            if (statement.Syntax.Span.End <= readStart)
                break;
            if (statement is not IConditionalOperation early)
                continue;
            var polarity = Classify(early.Condition);
            if (polarity == MissPolarity.Hit && Exits(early.WhenTrue) && !Exits(early.WhenFalse))
                return true;
            if (polarity == MissPolarity.Miss && early.WhenFalse is not null && Exits(early.WhenFalse) && !Exits(early.WhenTrue))
                return true;
        }
        return false;
    }

    /// <summary>True when control never falls out of <paramref name="operation"/> (return, throw, break, continue).</summary>
    public static bool Exits(IOperation? operation)
    {
        switch (operation)
        {
            case IReturnOperation:
            case IBranchOperation:
                return true;
            case IThrowOperation:
                return true;
            case IExpressionStatementOperation { Operation: IThrowOperation }:
                return true;
            case IBlockOperation block:
                return block.Operations.Length > 0 && Exits(block.Operations[block.Operations.Length - 1]);
            case IConditionalOperation { WhenFalse: { } whenFalse } conditional:
                return Exits(conditional.WhenTrue) && Exits(whenFalse);
            default:
                return false;
        }
    }

    private static int IndexOf(System.Collections.Immutable.ImmutableArray<IOperation> operations, IOperation node)
    {
        for (var i = 0; i < operations.Length; i++)
        {
            if (operations[i] == node)
                return i;
        }
        return -1;
    }

    private void CollectHolders(MethodCacheFacts? facts)
    {
        // The local the read is stored in: var v = await db.StringGetAsync(k); string? s = db.StringGet(k); v = ...
        IOperation node = Read;
        while (node.Parent is { } parent)
        {
            if (parent is IConversionOperation or IParenthesizedOperation or IAwaitOperation
                || (parent is IInvocationOperation { TargetMethod.Name: "ConfigureAwait" or "ToString" } call && call.Instance == node))
            {
                node = parent;
                continue;
            }
            break;
        }
        // `await cache.GetStringAsync(k) ?? ""`: the local holds the read or an empty default, which
        // string.IsNullOrEmpty / Length tests still classify as a miss.
        if (node.Parent is ICoalesceOperation coalesce && coalesce.Value == node && IsEmptyDefault(coalesce.WhenNull))
            node = coalesce;
        if (node.Parent is IVariableInitializerOperation { Parent: IVariableDeclaratorOperation declarator })
            _holders.Add(declarator.Symbol);
        else if (node.Parent is ISimpleAssignmentOperation { Target: ILocalReferenceOperation target } assignment && assignment.Value == node)
            _holders.Add(target.Local);
        else if (node.Parent is IDeconstructionAssignmentOperation deconstruction && deconstruction.Value == node)
        {
            // var (found, value) = await TryGetAsync(key): the flag and the value both hold the read.
            foreach (var element in deconstruction.Target.DescendantsAndSelf())
            {
                if (element is IDeclarationExpressionOperation or ITupleOperation)
                    continue;
                if (element is ILocalReferenceOperation tupleLocal)
                    _holders.Add(tupleLocal.Local);
            }
        }

        // Locals computed from it (a conversion, a deserialization, a flag): tests on them test the read.
        // Two passes reach a conversion of a conversion.
        // The second pass reads only the declarators the first one saw (one walk of the body).
        var later = new List<(IVariableDeclaratorOperation Declarator, IOperation Value)>();
        if (facts is not null)
        {
            // The body's declarators, walked once with its facts (the read's function body: all of them, or those inside it).
            var whole = Body.Parent is null;
            foreach (var d in facts.Declarators)
            {
                if (d.Initializer!.Value is { } value && d.Syntax.SpanStart > Read.Syntax.SpanStart
                    && (whole || OperationFacts.IsInside(d, Body)) && d != Body)
                {
                    later.Add((d, value));
                }
            }
        }
        else
        {
            foreach (var operation in Body.Descendants())
            {
                if (operation is IVariableDeclaratorOperation { Initializer.Value: { } value } d
                    && operation.Syntax.SpanStart > Read.Syntax.SpanStart)
                {
                    later.Add((d, value));
                }
            }
        }
        for (var pass = 0; pass < 2; pass++)
        {
            foreach (var (d, value) in later)
            {
                if (!_holders.Contains(d.Symbol) && ReferencesRead(value))
                {
                    _holders.Add(d.Symbol);
                    _initializers[d.Symbol] = value;
                }
            }
        }
    }

    private bool ReferencesRead(IOperation value)
    {
        if (IsReadValue(value))
            return true;
        foreach (var inner in value.Descendants())
        {
            if (inner is IAnonymousFunctionOperation)
                return false;
            if (inner == Read || (inner is ILocalReferenceOperation l && _holders.Contains(l.Local)))
                return true;
        }
        return false;
    }

    /// <summary><c>""</c>, <c>string.Empty</c> or <c>RedisValue.EmptyString</c>.</summary>
    private static bool IsEmptyDefault(IOperation operation)
    {
        var value = OperationFacts.Unwrap(operation);
        if (value.ConstantValue is { HasValue: true, Value: string { Length: 0 } })
            return true;
        if (value is IFieldReferenceOperation { Field: { Name: "Empty", IsStatic: true } field } && field.ContainingType?.SpecialType == SpecialType.System_String)
            return true;
        return value is IMemberReferenceOperation { Member: { Name: "EmptyString", IsStatic: true } member } && member.ContainingType?.Name == "RedisValue";
    }

    private static bool IsNullish(IOperation operation)
    {
        if (OperationFacts.IsNullOrDefault(operation))
            return true;
        // RedisValue.Null, RedisValue.EmptyString is not a miss
        return operation is IMemberReferenceOperation { Member: { Name: "Null", IsStatic: true } member }
               && member.ContainingType?.Name == "RedisValue";
    }

    private static MissPolarity Invert(MissPolarity polarity) => polarity switch
    {
        MissPolarity.Hit => MissPolarity.Miss,
        MissPolarity.Miss => MissPolarity.Hit,
        _ => MissPolarity.None,
    };
}

/// <summary>The function body an operation runs in: its lambda, local function, or the member body.</summary>
internal static class FunctionBodies
{
    public static IOperation Of(IOperation operation)
    {
        for (var current = operation; current.Parent is { } parent; current = parent)
        {
            if (parent is IAnonymousFunctionOperation or ILocalFunctionOperation)
                return current;
        }
        return OperationFacts.Root(operation);
    }

    /// <summary>True when both operations run in the same function body (not one inside a lambda of the other).</summary>
    public static bool Same(IOperation a, IOperation b) => Of(a) == Of(b);
}
