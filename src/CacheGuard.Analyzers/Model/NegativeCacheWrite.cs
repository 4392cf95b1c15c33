using System;
using System.Collections.Generic;
using Microsoft.CodeAnalysis;
using Microsoft.CodeAnalysis.Operations;

namespace CacheGuard.Analyzers.Model;

/// <summary>What a negative ("not found") cache entry holds.</summary>
internal enum NegativeValueKind
{
    /// <summary>A marker value: a constant such as <c>Missing = "&lt;missing&gt;"</c> or <c>"__NEGATIVE__"</c>.</summary>
    Sentinel,
    /// <summary><c>""</c>, <c>string.Empty</c>, <c>RedisValue.EmptyString</c>.</summary>
    Empty,
    /// <summary>The JSON of a null lookup result (<c>"null"</c>).</summary>
    NullJson,
    /// <summary>A <c>false</c> / <c>0</c> / <c>"0"</c> existence flag.</summary>
    ExistenceFlag,
    /// <summary>CacheGuard's <c>GetOrSet</c> over a factory that may return null: the runtime caches the null briefly.</summary>
    RuntimeNegative,
}

/// <summary>
/// A cache write that records "not found": explicitly (a sentinel, an empty value or a
/// <c>false</c> flag written where the lookup found nothing) or implicitly (a nullable lookup
/// result serialized and cached with no null check, so a miss is cached like a hit).
/// </summary>
internal sealed class NegativeCacheWrite
{
    public NegativeCacheWrite(CacheOperation write, NegativeValueKind kind, bool isImplicit, IOperation? lookup, ITypeSymbol? entityType, KeyShape? key)
        : this(write.Invocation.Syntax, kind, isImplicit, lookup, entityType, key)
    {
        Write = write;
    }

    public NegativeCacheWrite(SyntaxNode syntax, NegativeValueKind kind, bool isImplicit, IOperation? lookup, ITypeSymbol? entityType, KeyShape? key)
    {
        Syntax = syntax;
        Kind = kind;
        IsImplicit = isImplicit;
        Lookup = lookup;
        EntityType = entityType;
        Key = key;
    }

    /// <summary>The raw cache write; null for the runtime's own negative entries.</summary>
    public CacheOperation? Write { get; }

    /// <summary>The call that writes the entry.</summary>
    public SyntaxNode Syntax { get; }

    public NegativeValueKind Kind { get; }

    /// <summary>
    /// The same write caches found and not-found results (one TTL for both): the nullable result
    /// serialized without a null check, or <c>x is null ? "" : Serialize(x)</c>.
    /// </summary>
    public bool IsImplicit { get; }

    /// <summary>The lookup result whose absence the entry records (the tested or serialized local), if known.</summary>
    public IOperation? Lookup { get; }

    /// <summary>The entity type the lookup returns, when known (<c>Author</c> for <c>Author?</c>).</summary>
    public ITypeSymbol? EntityType { get; }

    /// <summary>The shape of the key, when it has one.</summary>
    public KeyShape? Key { get; }

    public override string ToString() => $"{Kind} {Key}";
}

/// <summary>Recognizes negative cache writes among the writes of one body.</summary>
internal static class NegativeCacheWrites
{
    public static NegativeCacheWrite? Recognize(CacheOperation write, ISymbol owner, CacheApi api)
    {
        // Once per operation: its owner is always the member of the body whose facts hold it.
        var known = write.NegativeMemo;
        if (known is not null)
            return known as NegativeCacheWrite;
        var negative = Compute(write, owner, api);
        write.NegativeMemo = (object?)negative ?? CacheOperation.NotNegative;
        return negative;
    }

    private static NegativeCacheWrite? Compute(CacheOperation write, ISymbol owner, CacheApi api)
    {
        if (write.Kind != CacheOperationKind.Write || write.Key is null || write.Value is null)
            return null;
        // A cooldown, lock, rate-limit or replay key written empty is a marker, not a cached "not found" (RULES.md).
        if (KeyPurpose.IsBookkeeping(write.Key))
            return null;
        var value = OperationFacts.Unwrap(write.Value);

        // Written where the lookup is known to have found nothing.
        if (NotFoundGuard.Of(write.Invocation, api) is { } lookup)
        {
            if (!IsNegativeValue(value, lookup, api, out var kind))
                return null;
            // "if (!allowed) set blocked:{ip} = 1" is a flag, not a cached "does not exist".
            if (lookup.Type?.SpecialType == SpecialType.System_Boolean && !IsFalsy(value) && SentinelKind(value, api) is null)
                return null;
            if (IsTruthy(value))
                return null;
            return new NegativeCacheWrite(write, kind, isImplicit: false, lookup, EntityTypeOf(lookup.Type), KeyShape.Of(write.Key));
        }

        // A distinctive marker written anywhere.
        if (SentinelKind(value, api) is { } sentinel)
            return new NegativeCacheWrite(write, sentinel, isImplicit: false, null, EntityTypeOf(owner), KeyShape.Of(write.Key));

        // user is null ? "" : Serialize(user): one write, one TTL for hits and misses.
        if (value is IConditionalOperation { WhenFalse: not null } conditional
            && NotFoundGuard.Tests(conditional.Condition, out var tested, out var nullWhenTrue)
            && NotFoundGuard.IsLookupResult(tested, api))
        {
            var negativeBranch = nullWhenTrue ? conditional.WhenTrue : conditional.WhenFalse!;
            if (IsNegativeValue(OperationFacts.Unwrap(negativeBranch), tested, api, out var kind))
                return new NegativeCacheWrite(write, kind, isImplicit: true, tested, EntityTypeOf(tested.Type), KeyShape.Of(write.Key));
            return null;
        }

        // Serialize(user) where user may be null here: "null" is cached with the positive TTL.
        if (SerializedOperand(value) is { } serialized
            && serialized is ILocalReferenceOperation
            && NotFoundGuard.IsLookupResult(serialized, api)
            && MayBeNull(serialized))
        {
            return new NegativeCacheWrite(write, NegativeValueKind.NullJson, isImplicit: true, serialized, EntityTypeOf(serialized.Type), KeyShape.Of(write.Key));
        }

        return null;
    }

    /// <summary>
    /// CacheGuard's <c>GetOrSet(Async)</c> whose value type is nullable (<c>GetOrSetAsync&lt;User?&gt;</c>):
    /// a null factory result is cached as a short negative entry under that key, which a create
    /// path must clear like any other.
    /// </summary>
    public static NegativeCacheWrite? RecognizeRuntime(IInvocationOperation invocation, CacheApi api)
    {
        var method = invocation.TargetMethod;
        if (!CacheApi.IsRuntimeSymbol(method) || !method.Name.StartsWith("GetOrSet", StringComparison.Ordinal)
            || method.TypeArguments.Length != 1
            || method.TypeArguments[0].IsValueType
            || method.TypeArgumentNullableAnnotations[0] != NullableAnnotation.Annotated)
        {
            return null;
        }
        var key = OperationFacts.ArgumentOfType(invocation, api.RedisKey);
        if (key is null)
            return null;
        return new NegativeCacheWrite(invocation.Syntax, NegativeValueKind.RuntimeNegative, isImplicit: true, null,
            EntityTypeOf(method.TypeArguments[0]), KeyShape.Of(OperationFacts.Unwrap(key.Value)));
    }

    /// <summary>The entity a lookup returns: the class or record behind <c>T?</c>, <c>Task&lt;T?&gt;</c>.</summary>
    public static ITypeSymbol? EntityTypeOf(ITypeSymbol? type)
    {
        if (type is null)
            return null;
        type = OperationFacts.StripNullable(type);
        if (type is INamedTypeSymbol { IsGenericType: true, Name: "Task" or "ValueTask", TypeArguments.Length: 1 } task)
            type = OperationFacts.StripNullable(task.TypeArguments[0]);
        if (type.SpecialType != SpecialType.None || type.TypeKind is not (TypeKind.Class or TypeKind.Struct))
            return null;
        if (type.Locations.Length == 0 || !type.Locations[0].IsInSource)
            return null;
        return type.WithNullableAnnotation(NullableAnnotation.NotAnnotated);
    }

    private static ITypeSymbol? EntityTypeOf(ISymbol owner) =>
        owner is IMethodSymbol method ? EntityTypeOf(method.ReturnType) : null;

    /// <summary>The value written in a not-found branch is a negative entry: a constant, an empty value, the null result serialized.</summary>
    private static bool IsNegativeValue(IOperation value, IOperation lookup, CacheApi api, out NegativeValueKind kind)
    {
        kind = NegativeValueKind.Sentinel;
        if (SentinelKind(value, api) is { } sentinel)
        {
            kind = sentinel;
            return true;
        }
        if (value.ConstantValue is { HasValue: true, Value: { } constant })
        {
            kind = constant switch
            {
                bool => NegativeValueKind.ExistenceFlag,
                string s when s is "0" or "false" or "False" => NegativeValueKind.ExistenceFlag,
                string s when s.Length == 0 => NegativeValueKind.Empty,
                string => NegativeValueKind.Sentinel,
                _ => NegativeValueKind.ExistenceFlag,
            };
            return true;
        }
        if (SerializedOperand(value) is { } serialized)
        {
            if (OperationFacts.IsNullOrDefault(serialized) || SameSymbol(serialized, lookup))
            {
                kind = NegativeValueKind.NullJson;
                return true;
            }
        }
        return false;
    }

    private static bool IsFalsy(IOperation value) =>
        value.ConstantValue is { HasValue: true, Value: { } constant }
        && constant switch
        {
            bool b => !b,
            string s => s is "0" or "false" or "False" or "no" or "",
            int i => i == 0,
            long l => l == 0,
            _ => false,
        };

    private static bool IsTruthy(IOperation value) =>
        value.ConstantValue is { HasValue: true, Value: { } constant }
        && constant switch
        {
            bool b => b,
            string s => s is "1" or "true" or "True" or "yes" or "ok",
            int i => i == 1,
            long l => l == 1,
            _ => false,
        };

    /// <summary>A value that says "not found" wherever it is written: a sentinel constant, <c>"null"</c>, <c>RedisValue.EmptyString</c>.</summary>
    public static bool IsNotFoundSentinel(IOperation value, CacheApi api) => SentinelKind(value, api) is not null;

    /// <summary>Markers that say "not found" wherever they are written, and empty values.</summary>
    private static NegativeValueKind? SentinelKind(IOperation value, CacheApi api)
    {
        if (value is IPropertyReferenceOperation { Property.Name: "EmptyString", Property.IsStatic: true } emptyString
            && SymbolEqualityComparer.Default.Equals(emptyString.Property.ContainingType, api.RedisValue))
        {
            return NegativeValueKind.Empty;
        }

        if (value is IFieldReferenceOperation { Field: { IsConst: true } constField } && IsSentinelName(constField.Name))
            return NegativeValueKind.Sentinel;

        if (value.ConstantValue is { HasValue: true, Value: string text })
        {
            var normalized = Normalize(text);
            if (normalized is "null" or "nil")
                return NegativeValueKind.NullJson;
            if (IsSentinelWord(normalized))
                return NegativeValueKind.Sentinel;
        }
        return null;
    }

    private static bool IsSentinelName(string name)
    {
        var normalized = Normalize(name);
        return IsSentinelWord(normalized)
            || normalized.IndexOf("sentinel", StringComparison.Ordinal) >= 0
            || normalized.IndexOf("notfound", StringComparison.Ordinal) >= 0
            || normalized.IndexOf("negative", StringComparison.Ordinal) >= 0
            || normalized.IndexOf("missing", StringComparison.Ordinal) >= 0
            || normalized.IndexOf("tombstone", StringComparison.Ordinal) >= 0;
    }

    // Only unambiguous markers: "none" or "empty" can be a real value of a status key.
    private static bool IsSentinelWord(string normalized) =>
        normalized is "negative" or "missing" or "notfound" or "tombstone" or "sentinel"
            or "notexists" or "doesnotexist" or "nonexistent" or "nullmarker" or "negativecache" or "negativeentry";

    private static string Normalize(string text)
    {
        var builder = new System.Text.StringBuilder(text.Length);
        foreach (var c in text)
        {
            if (char.IsLetterOrDigit(c))
                builder.Append(char.ToLowerInvariant(c));
        }
        return builder.ToString();
    }

    /// <summary>The value passed to a JSON serializer (<c>JsonSerializer.Serialize(x)</c>, <c>JsonConvert.SerializeObject(x)</c>).</summary>
    public static IOperation? SerializedOperand(IOperation value)
    {
        if (value is not IInvocationOperation { TargetMethod: { } method } invocation || invocation.Arguments.Length == 0)
            return null;
        if (!method.Name.StartsWith("Serialize", StringComparison.Ordinal))
            return null;
        return OperationFacts.Unwrap(invocation.Arguments[0].Value);
    }

    /// <summary>
    /// The nullable flow state says the value may be null at this point; where nullable analysis is
    /// off, the lookup it came from is declared to return null (<c>Task&lt;User?&gt;</c>, <c>FirstOrDefault</c>)
    /// and nothing before the write tests it.
    /// </summary>
    private static bool MayBeNull(IOperation operation)
    {
        if (operation.Type is null || operation.Type.IsValueType || operation.SemanticModel is null)
            return false;
        var info = operation.SemanticModel.GetTypeInfo(operation.Syntax);
        if (info.Nullability.FlowState != NullableFlowState.None)
            return info.Nullability.FlowState == NullableFlowState.MaybeNull;
        return operation is ILocalReferenceOperation local && FromNullableLookup(local) && !IsTestedBefore(local);
    }

    private static bool FromNullableLookup(ILocalReferenceOperation local)
    {
        foreach (var descendant in OperationFacts.Root(local).Descendants())
        {
            if (descendant is not IVariableDeclaratorOperation declarator
                || !SymbolEqualityComparer.Default.Equals(declarator.Symbol, local.Local)
                || declarator.Initializer?.Value is not { } value)
            {
                continue;
            }
            value = OperationFacts.Unwrap(value);
            if (value is IAwaitOperation awaited)
                value = OperationFacts.Unwrap(awaited.Operation);
            if (value is not IInvocationOperation { TargetMethod: { } method })
                return false;
            if (method.Name.IndexOf("OrDefault", StringComparison.Ordinal) >= 0)
                return true;
            var returned = method.ReturnType;
            if (returned is INamedTypeSymbol { Name: "Task" or "ValueTask", TypeArguments.Length: 1 } task)
                return task.TypeArgumentNullableAnnotations[0] == NullableAnnotation.Annotated;
            return method.ReturnNullableAnnotation == NullableAnnotation.Annotated;
        }
        return false;
    }

    /// <summary>Any test or use of the local between its declaration and <paramref name="use"/> other than this one: assume it was checked.</summary>
    private static bool IsTestedBefore(ILocalReferenceOperation use)
    {
        foreach (var descendant in OperationFacts.Root(use).Descendants())
        {
            if (descendant is ILocalReferenceOperation other
                && other != use
                && SymbolEqualityComparer.Default.Equals(other.Local, use.Local)
                && other.Syntax.SpanStart < use.Syntax.SpanStart
                && ParentSkippingConversions(other) is IBinaryOperation or IIsPatternOperation or ICoalesceOperation or IConditionalAccessOperation)
            {
                return true;
            }
        }
        return false;
    }

    private static IOperation? ParentSkippingConversions(IOperation operation)
    {
        var parent = operation.Parent;
        while (parent is IConversionOperation or IParenthesizedOperation)
            parent = parent.Parent;
        return parent;
    }

    private static bool SameSymbol(IOperation a, IOperation b) =>
        (a, b) switch
        {
            (ILocalReferenceOperation la, ILocalReferenceOperation lb) => SymbolEqualityComparer.Default.Equals(la.Local, lb.Local),
            (IParameterReferenceOperation pa, IParameterReferenceOperation pb) => SymbolEqualityComparer.Default.Equals(pa.Parameter, pb.Parameter),
            _ => false,
        };
}

/// <summary>Where a lookup is known to have found nothing: <c>if (user is null) { ... }</c>, <c>if (!exists)</c>.</summary>
internal static class NotFoundGuard
{
    /// <summary>
    /// The lookup result tested by the conditional that puts <paramref name="operation"/> on its
    /// not-found side, or by an earlier <c>if (found) return ...;</c> in the same block.
    /// </summary>
    public static IOperation? Of(IOperation operation, CacheApi api)
    {
        var child = operation;
        for (var parent = operation.Parent; parent is not null; child = parent, parent = parent.Parent)
        {
            if (parent is IAnonymousFunctionOperation or ILocalFunctionOperation)
                return null;

            if (parent is IConditionalOperation conditional && child != conditional.Condition
                && Tests(conditional.Condition, out var tested, out var nullWhenTrue)
                && IsLookupResult(tested, api))
            {
                var onTrueSide = child == conditional.WhenTrue;
                if (onTrueSide == nullWhenTrue)
                    return tested;
                return null; // the found side of a lookup test
            }

            if (parent is IBlockOperation block)
            {
                foreach (var statement in block.Operations)
                {
                    if (statement == child)
                        break;
                    if (statement is IConditionalOperation { WhenFalse: null } earlier
                        && Exits(earlier.WhenTrue)
                        && Tests(earlier.Condition, out var found, out var foundNullWhenTrue)
                        && !foundNullWhenTrue
                        && IsLookupResult(found, api))
                    {
                        return found;
                    }
                }
            }
        }
        return null;
    }

    /// <summary>
    /// A null test (<c>x is null</c>, <c>x == null</c>, <c>x is not null</c>, <c>x is {}</c>) or a
    /// boolean existence test (<c>exists</c>, <c>!exists</c>) of a local.
    /// </summary>
    public static bool Tests(IOperation condition, out IOperation tested, out bool nullWhenTrue)
    {
        tested = condition;
        nullWhenTrue = false;
        condition = OperationFacts.Unwrap(condition);
        switch (condition)
        {
            case IUnaryOperation { OperatorKind: UnaryOperatorKind.Not } not:
                if (!Tests(not.Operand, out tested, out var inner))
                    return false;
                nullWhenTrue = !inner;
                return true;

            case IIsPatternOperation pattern:
                tested = OperationFacts.Unwrap(pattern.Value);
                switch (pattern.Pattern)
                {
                    case IConstantPatternOperation constant when OperationFacts.IsNullOrDefault(constant.Value):
                        nullWhenTrue = true;
                        return IsTestable(tested);
                    case INegatedPatternOperation { Pattern: IConstantPatternOperation negated } when OperationFacts.IsNullOrDefault(negated.Value):
                        nullWhenTrue = false;
                        return IsTestable(tested);
                    case IRecursivePatternOperation { DeconstructionSubpatterns.Length: 0, PropertySubpatterns.Length: 0 }:
                        nullWhenTrue = false;
                        return IsTestable(tested);
                    case IConstantPatternOperation { Value.ConstantValue: { HasValue: true, Value: bool b } } when tested.Type?.SpecialType == SpecialType.System_Boolean:
                        nullWhenTrue = !b;
                        return IsTestable(tested);
                }
                return false;

            case IBinaryOperation { OperatorKind: BinaryOperatorKind.Equals or BinaryOperatorKind.NotEquals } binary:
            {
                var left = OperationFacts.Unwrap(binary.LeftOperand);
                var right = OperationFacts.Unwrap(binary.RightOperand);
                bool equals = binary.OperatorKind == BinaryOperatorKind.Equals;
                if (OperationFacts.IsNullOrDefault(right) && !OperationFacts.IsNullOrDefault(left))
                    tested = left;
                else if (OperationFacts.IsNullOrDefault(left) && !OperationFacts.IsNullOrDefault(right))
                    tested = right;
                else if (right.ConstantValue is { HasValue: true, Value: bool b } && left.Type?.SpecialType == SpecialType.System_Boolean)
                {
                    tested = left;
                    nullWhenTrue = equals != b;
                    return IsTestable(tested);
                }
                else
                    return false;
                nullWhenTrue = equals;
                return IsTestable(tested);
            }

            case ILocalReferenceOperation local when local.Type?.SpecialType == SpecialType.System_Boolean:
                tested = local;
                nullWhenTrue = false;
                return true;
        }
        return false;
    }

    /// <summary>
    /// The tested value is what a lookup returned: a local assigned from a call that is not a cache
    /// read, a deserialization or a parse (those test the cache, not the database).
    /// </summary>
    public static bool IsLookupResult(IOperation tested, CacheApi api)
    {
        if (tested is not ILocalReferenceOperation local)
            return false;
        if (local.Type is { } type && (SymbolEqualityComparer.Default.Equals(OperationFacts.StripNullable(type), api.RedisValue)
            || type.Name is "RedisValue" or "RedisValueWithExpiry"))
        {
            return false;
        }

        var fromLookup = false;
        foreach (var assigned in LocalValues.Of(OperationFacts.Root(tested)).To(local.Local))
        {
            var value = OperationFacts.Unwrap(assigned);
            if (value is IAwaitOperation awaited)
                value = OperationFacts.Unwrap(awaited.Operation);
            if (value is not IInvocationOperation invocation)
                continue;
            var name = invocation.TargetMethod.Name;
            if (local.Type?.SpecialType == SpecialType.System_Boolean && !IsExistenceCheck(name))
                return false;
            if (CacheOperations.Recognize(invocation, api) is not null
                || CacheApi.IsRuntimeSymbol(invocation.TargetMethod)
                || name.StartsWith("Deserialize", StringComparison.Ordinal)
                || name.StartsWith("Parse", StringComparison.Ordinal)
                || name.StartsWith("TryParse", StringComparison.Ordinal)
                || name.IndexOf("Cache", StringComparison.OrdinalIgnoreCase) >= 0)
            {
                return false;
            }
            fromLookup = true;
        }
        return fromLookup;
    }

    /// <summary>
    /// The values a body's locals are initialized with or assigned (<c>=</c> only), per local in walk order: one walk
    /// of the body, shared by every guard tested in it (each test of each enclosing condition walked it before).
    /// </summary>
    private sealed class LocalValues
    {
        private static readonly System.Runtime.CompilerServices.ConditionalWeakTable<IOperation, LocalValues> PerRoot = new();
        private static readonly IOperation[] None = System.Array.Empty<IOperation>();

        private readonly Dictionary<ILocalSymbol, List<IOperation>> _values = new(SymbolEqualityComparer.Default);

        public static LocalValues Of(IOperation root) => PerRoot.GetValue(root, r => new LocalValues(r));

        private LocalValues(IOperation root)
        {
            foreach (var descendant in root.Descendants())
            {
                switch (descendant)
                {
                    case IVariableDeclaratorOperation { Initializer.Value: { } initial } declarator:
                        Add(declarator.Symbol, initial);
                        break;
                    case ISimpleAssignmentOperation { Target: ILocalReferenceOperation target } assignment:
                        Add(target.Local, assignment.Value);
                        break;
                }
            }
        }

        private void Add(ILocalSymbol local, IOperation value)
        {
            if (!_values.TryGetValue(local, out var values))
                _values[local] = values = new List<IOperation>();
            values.Add(value);
        }

        public IReadOnlyList<IOperation> To(ILocalSymbol local) => _values.TryGetValue(local, out var values) ? values : None;
    }

    private static bool IsTestable(IOperation tested) => tested is ILocalReferenceOperation;

    /// <summary>A boolean lookup that asks whether something exists (<c>AnyAsync</c>, <c>EmailExistsAsync</c>, <c>IsRegistered</c>).</summary>
    private static bool IsExistenceCheck(string name)
    {
        foreach (var word in new[] { "Exist", "Any", "Contains", "Has", "Found", "Registered", "Taken", "Known", "Present", "Used" })
        {
            if (name.IndexOf(word, StringComparison.Ordinal) >= 0)
                return true;
        }
        return false;
    }

    /// <summary>The branch always leaves: ends in return or throw.</summary>
    private static bool Exits(IOperation branch)
    {
        var last = branch is IBlockOperation { Operations.Length: > 0 } block ? block.Operations[block.Operations.Length - 1] : branch;
        return last is IReturnOperation or IThrowOperation || (last is IExpressionStatementOperation { Operation: IThrowOperation });
    }
}
