using System.Collections.Generic;
using Microsoft.CodeAnalysis;
using Microsoft.CodeAnalysis.Operations;

namespace CacheGuard.Analyzers.Model;

/// <summary>What a key is for (issue 18): only cache entries carry CG0001, CG0002, CG0005 and CG0008.</summary>
internal enum KeyPurposeKind
{
    CacheEntry,
    LockLease,
    Marker,
    CounterWindow,
    Store,
    Temporary,
}

/// <summary>
/// What a key names, as far as its constant text tells: bookkeeping (a session, an idempotency
/// record, a lock, a rate limit, an outbox) rather than a cached copy of database data. Writing or
/// deleting such a key next to a database write is the point, not a stale-cache hole.
/// </summary>
internal static class KeyPurpose
{
    private static readonly string[] BookkeepingMarkers =
    {
        "session", "idempot", "nonce", "otp", "lock", "lease", "mutex", "ratelimit", "rate-limit", "rate_limit", "rate:",
        "throttle", "quota", "cooldown", "dedup", "outbox", "inbox", "processed", "heartbeat",
        // Issue 18: replay markers and one-time codes are not cache entries either.
        "totp", "webauthn", "replay", "verification", "verify", "2fa", "mfa", "captcha", "presence", "typing",
        "health_check", "health-check", "healthcheck", "probe",
    };

    /// <summary>
    /// What the key written by <paramref name="write"/> is for, from the evidence in its body (RULES.md,
    /// "What is a cache entry"). <see cref="KeyPurposeKind.CacheEntry"/> means no evidence against it:
    /// rules that report on cache entries only skip the other kinds.
    /// </summary>
    public static KeyPurposeKind Of(CacheOperation write, MethodCacheFacts facts, CacheApi api)
    {
        // Asked by CG0001, CG0002 and the entry-expiry model for the same writes: computed once per operation
        // (an operation belongs to one body's facts, so the answer depends on the operation alone).
        var known = write.PurposeMemo;
        if (known != 0)
            return (KeyPurposeKind)(known - 1);
        var kind = Compute(write, facts, api);
        write.PurposeMemo = (int)kind + 1;
        return kind;
    }

    private static KeyPurposeKind Compute(CacheOperation write, MethodCacheFacts facts, CacheApi api)
    {
        if (write.Kind == CacheOperationKind.LockAcquire || write.OnlyIfNotExists || !WhenIsAlways(write.Invocation, api))
            return KeyPurposeKind.LockLease;
        // A lock class's own write of the key it was handed (RedisLockProvider.SetAsync(key, token, ttl):
        // the lease renewal next to LockTake/LockRelease): a lease, not a cache entry.
        if (IsLockType(facts.Owner.ContainingType) && WritesTheKeyItIsHanded(write))
            return KeyPurposeKind.LockLease;
        if (WritePathFacts.IsFreshKey(write.Key, facts))
            return KeyPurposeKind.Temporary;
        if (IsStructureStore(write, facts))
            return KeyPurposeKind.Store;
        if (write.Value is { } value && (IsMarkerValue(value, api) || RepeatsTheKey(value, write.Key, facts) || RepeatsTheExpiry(value, write)))
            return KeyPurposeKind.Marker;
        // Any other constant ("Test", "done", 42) is a marker by RULES.md, unless the body read the key first:
        // a constant populated after a miss is a (tiny) cache entry of the value it stands for.
        if (write.Value is { } constant && IsOtherConstant(constant, api) && !facts.IsReadBefore(write))
            return KeyPurposeKind.Marker;
        // An idempotency store writing the request it is handed (IdempotencyRequestCache.TryAddKey(request, ...)).
        if (IsIdempotencyType(facts.Owner.ContainingType) && WritesTheKeyItIsHanded(write))
            return KeyPurposeKind.Marker;
        if (IsStateWrittenBack(write, facts))
            return KeyPurposeKind.CounterWindow;
        // A rate limiter's storage writing the key it was handed (Ocelot's DistributedCacheRateLimitStorage.Set(id,
        // counter, window)), or a counter object written under its window: the TTL is the window, not a copy's lifetime.
        if ((IsRateLimitType(facts.Owner.ContainingType) && WritesTheKeyItIsHanded(write)) || IsCounterType(write.Value))
            return KeyPurposeKind.CounterWindow;
        // A value minted here (an OTP, a verification code, a token from a random source) is a secret
        // kept for its validity, not data loaded from elsewhere.
        if (write.Value is { } minted && IsMintedValue(minted, 0, facts))
            return KeyPurposeKind.Marker;
        foreach (var _ in facts.OnKey(write.Key, CacheOperationKind.Increment))
            return KeyPurposeKind.CounterWindow;
        foreach (var _ in facts.OnKey(write.Key, CacheOperationKind.LockAcquire))
            return KeyPurposeKind.LockLease;
        if (IsBookkeeping(write.Key))
            return KeyPurposeKind.Marker;
        return KeyPurposeKind.CacheEntry;
    }

    /// <summary>
    /// A Redis sorted set written by a body that does not read it first: a leaderboard or an index that
    /// lives only in Redis (RULES.md: "Redis used as a store: no load-on-miss"). A sorted set is a cache
    /// entry only as the populate after a read of the same key (CG0004's shape). Hashes are not judged
    /// here: a hash written on a write path may be the write-through of a hash cached elsewhere, and
    /// telling that apart needs the load-on-miss sites of the whole compilation.
    /// </summary>
    private static bool IsStructureStore(CacheOperation write, MethodCacheFacts facts)
    {
        if (write.Family != CacheFamily.Redis || !write.Method.Name.StartsWith("SortedSet", System.StringComparison.Ordinal))
            return false;
        return !facts.IsReadBefore(write);
    }

    /// <summary>A type named for a lock (<c>RedisLockProvider</c>, <c>DistributedLocker</c>, <c>LeaseManager</c>): "Lock"/"Lease" as a PascalCase word.</summary>
    private static bool IsLockType(INamedTypeSymbol? type)
    {
        for (; type is not null; type = type.ContainingType)
        {
            foreach (var word in new[] { "Lock", "Lease", "Mutex" })
            {
                var name = type.Name;
                for (var index = name.IndexOf(word, System.StringComparison.Ordinal); index >= 0; index = name.IndexOf(word, index + 1, System.StringComparison.Ordinal))
                {
                    var end = index + word.Length;
                    if (end == name.Length || !char.IsLower(name[end]) || name.Substring(end).StartsWith("er", System.StringComparison.Ordinal))
                        return true;
                }
            }
        }
        return false;
    }

    /// <summary>
    /// The value is a local or parameter the key itself is built from (<c>Set($"{user}:{identityKey}", identityKey, ...)</c>,
    /// a logged-out cookie's revocation record): reading it back tells nothing the key did not, so the entry's
    /// presence is the information, a marker (RULES.md: "a key only ever checked for existence").
    /// </summary>
    private static bool RepeatsTheKey(IOperation value, IOperation? key, MethodCacheFacts facts)
    {
        if (key is null)
            return false;
        if (OperationFacts.VariableOf(value) is not { } repeated)
            return false;
        var pending = new Stack<IOperation>();
        pending.Push(key);
        var visited = 0;
        while (pending.Count > 0 && visited++ < 8)
        {
            foreach (var node in pending.Pop().DescendantsAndSelf())
            {
                if (node is not (ILocalReferenceOperation or IParameterReferenceOperation) || OperationFacts.VariableOf(node) is not { } used)
                    continue;
                // The symbol itself is a part of the key, not a member of it ($"user:{user.Id}" caching user).
                if (SymbolEqualityComparer.Default.Equals(used, repeated) && !IsReceiver(node))
                    return true;
                if (node is ILocalReferenceOperation keyLocal && Initializer(keyLocal, facts) is { } initializer)
                    pending.Push(initializer);
            }
        }
        return false;

        static bool IsReceiver(IOperation node) => node.Parent switch
        {
            IMemberReferenceOperation member => ReferenceEquals(member.Instance, node),
            IInvocationOperation call => ReferenceEquals(call.Instance, node),
            IConversionOperation conversion => IsReceiver(conversion),
            _ => false,
        };
    }

    /// <summary>
    /// The value is the instant the entry expires at (<c>Set(key, expireTime, new MemoryCacheEntryOptions { AbsoluteExpiration =
    /// expireTime })</c>): a cooldown or ban that records its own end, read back to tell how long is left.
    /// </summary>
    private static bool RepeatsTheExpiry(IOperation value, CacheOperation write)
    {
        var inner = OperationFacts.Unwrap(value);
        if (OperationFacts.StripNullable(inner.Type!) is not { Name: "DateTimeOffset" or "DateTime", ContainingNamespace.Name: "System" })
            return false;
        if (VariableOrFieldOf(inner) is not { } instant)
            return false;
        foreach (var argument in write.Invocation.Arguments)
        {
            if (ReferenceEquals(OperationFacts.Unwrap(argument.Value), inner))
                continue;
            foreach (var node in argument.Value.DescendantsAndSelf())
            {
                if (node is ILocalReferenceOperation or IParameterReferenceOperation or IFieldReferenceOperation
                    && SymbolEqualityComparer.Default.Equals(VariableOrFieldOf(node), instant))
                {
                    return true;
                }
            }
        }
        return false;

        static ISymbol? VariableOrFieldOf(IOperation operation) =>
            OperationFacts.VariableOf(operation) ?? (operation as IFieldReferenceOperation)?.Field;
    }

    /// <summary>The write's key is a parameter of its method: a store writing the key it was handed (<c>Set(id, counter, window)</c>).</summary>
    private static bool WritesTheKeyItIsHanded(CacheOperation write) =>
        OperationFacts.Unwrap(write.Key ?? write.Invocation) is IParameterReferenceOperation;

    /// <summary>A type named for bookkeeping, not cached data: rate limiting (<see cref="IsRateLimitType"/>) or idempotency.</summary>
    public static bool IsBookkeepingType(INamedTypeSymbol? type) => IsRateLimitType(type) || IsIdempotencyType(type);

    private static readonly string[] IdempotencyWords = { "Idempot" };

    /// <summary>A type named for idempotency (<c>IdempotencyRequestCache</c>), or nested in one.</summary>
    private static bool IsIdempotencyType(INamedTypeSymbol? type) => IsNamedFor(type, IdempotencyWords);

    /// <summary>
    /// State kept in the cache and carried forward: a write of the key (this one or another in the body) is computed from
    /// the value this body read from the same key (<c>TryGetValue(key, out ChannelIndexRecord record)</c> ...
    /// <c>Set(key, new ChannelIndexRecord(ticks, record.Index + 1), ...)</c>), a sequence or counter, not a copy of a load.
    /// Every write of that key in the body is the state's (the first write on a miss starts it).
    /// </summary>
    private static bool IsStateWrittenBack(CacheOperation write, MethodCacheFacts facts)
    {
        if (write.Key is null || !facts.Holds(write.Invocation))
            return false;
        List<ISymbol>? read = null;
        foreach (var operation in facts.CacheOperations)
        {
            if (operation.Kind != CacheOperationKind.Read || !CacheKeys.AreSame(operation.Key, write.Key))
                continue;
            if (ReadInto(operation) is { } symbol)
                (read ??= new List<ISymbol>()).Add(symbol);
        }
        if (read is null)
            return false;
        foreach (var other in facts.OnKey(write.Key, CacheOperationKind.Write))
        {
            if (other.Value is { } value && (DerivesFrom(value, read, facts, 0) || IsDeserializedStateWrittenBack(value, read, facts)))
                return true;
        }
        return false;
    }

    /// <summary>
    /// The value written is the serialized form of an object deserialized from the value read, changed in between,
    /// in a body that writes no database: a session's state carried from step to step (Mewdeko's ticket wizard,
    /// <c>state = Deserialize&lt;WizardState&gt;(read); state.Data[...] = ...; StringSet(key, Serialize(state), ttl)</c>).
    /// The key holds the state itself, not a copy of data kept elsewhere. With a database write in the body the same
    /// shape may be a cached entity updated beside its row, and is left to the other checks.
    /// </summary>
    private static bool IsDeserializedStateWrittenBack(IOperation value, List<ISymbol> read, MethodCacheFacts facts)
    {
        if (!facts.DatabaseWrites.IsEmpty || SerializerArgument(value) is not ILocalReferenceOperation { Local: var state })
            return false;
        var fromRead = false;
        foreach (var assigned in AssignedValues(state, facts))
        {
            if (SerializerArgument(assigned) is ILocalReferenceOperation source && read.Exists(symbol => SymbolEqualityComparer.Default.Equals(symbol, source.Local)))
                fromRead = true;
        }
        if (!fromRead)
            return false;
        // state.Step = ...; state.Data["k"] = ...: a member assignment whose receiver path starts at the state.
        foreach (var assignment in facts.MemberAssignments)
        {
            for (var receiver = ((IMemberReferenceOperation)assignment.Target).Instance; receiver is not null;)
            {
                var inner = OperationFacts.Unwrap(receiver);
                if (inner is ILocalReferenceOperation local)
                {
                    if (SymbolEqualityComparer.Default.Equals(local.Local, state))
                        return true;
                    break;
                }
                receiver = inner is IMemberReferenceOperation member ? member.Instance : null;
            }
        }
        return false;
    }

    /// <summary>
    /// The operand of a JSON serializer call (<c>JsonSerializer.Serialize(x)</c>, <c>Deserialize&lt;T&gt;((string)x)</c>,
    /// <c>JsonConvert.SerializeObject(x)</c>, <c>DeserializeObject&lt;T&gt;(x)</c>), conversions unwrapped; null for anything else.
    /// </summary>
    private static IOperation? SerializerArgument(IOperation value)
    {
        if (OperationFacts.Unwrap(value) is not IInvocationOperation { Arguments.Length: > 0 } call
            || call.TargetMethod.ContainingType is not { Name: "JsonSerializer" or "JsonConvert" } serializer
            || !(OperationFacts.IsNamespace(serializer.ContainingNamespace, "System.Text.Json") || OperationFacts.IsNamespace(serializer.ContainingNamespace, "Newtonsoft.Json"))
            || call.TargetMethod.Name is not ("Serialize" or "SerializeObject" or "SerializeToUtf8Bytes" or "Deserialize" or "DeserializeObject"))
        {
            return null;
        }
        return OperationFacts.Unwrap(call.Arguments[0].Value);
    }

    /// <summary>The local a read stores its value in: <c>TryGetValue(key, out var v)</c>'s out local, or <c>var v = cache.Get(key)</c>.</summary>
    private static ISymbol? ReadInto(CacheOperation read)
    {
        foreach (var argument in read.Invocation.Arguments)
        {
            if (argument.Parameter?.RefKind == RefKind.Out && OperationFacts.Unwrap(argument.Value) switch
                {
                    ILocalReferenceOperation local => local.Local,
                    IDeclarationExpressionOperation { Expression: ILocalReferenceOperation declared } => declared.Local,
                    _ => null,
                } is { } outLocal)
            {
                return outLocal;
            }
        }
        for (IOperation? current = read.Invocation.Parent; current is not null; current = current.Parent)
        {
            switch (current)
            {
                case IConversionOperation or IAwaitOperation or IParenthesizedOperation:
                    continue;
                case IVariableInitializerOperation { Parent: IVariableDeclaratorOperation declarator }:
                    return declarator.Symbol;
                default:
                    return null;
            }
        }
        return null;
    }

    /// <summary>
    /// Does <paramref name="value"/> compute from a member of one of <paramref name="read"/>, directly or through locals
    /// assigned in the body? Arithmetic, object creation and conditionals only: what a call returns (a load handed the old
    /// value, <c>lookup(old)</c>) is loaded data, not state carried forward.
    /// </summary>
    private static bool DerivesFrom(IOperation value, List<ISymbol> read, MethodCacheFacts facts, int depth)
    {
        if (depth > 4)
            return false;
        var pending = new Stack<IOperation>();
        pending.Push(value);
        while (pending.Count > 0)
        {
            var node = pending.Pop();
            if (node is IInvocationOperation or IAwaitOperation or IAnonymousFunctionOperation)
                continue;
            if (node is ILocalReferenceOperation local)
            {
                foreach (var symbol in read)
                {
                    // record.Index + 1: a member of the value read (the record itself written back is a plain re-write).
                    if (SymbolEqualityComparer.Default.Equals(local.Local, symbol) && local.Parent is IMemberReferenceOperation)
                        return true;
                }
                foreach (var assigned in AssignedValues(local.Local, facts))
                {
                    if (DerivesFrom(assigned, read, facts, depth + 1))
                        return true;
                }
                continue;
            }
            foreach (var child in node.ChildOperations)
                pending.Push(child);
        }
        return false;
    }

    /// <summary>The values a local is given in the body: its initializer and plain assignments (<c>index = record.Index + 1;</c>).</summary>
    private static IEnumerable<IOperation> AssignedValues(ILocalSymbol local, MethodCacheFacts facts)
    {
        foreach (var declarator in facts.Declarators)
        {
            if (SymbolEqualityComparer.Default.Equals(declarator.Symbol, local))
                yield return declarator.Initializer!.Value;
        }
        if (facts.Root is not { } root)
            yield break;
        foreach (var node in root.DescendantsAndSelf())
        {
            if (node is ISimpleAssignmentOperation { Target: ILocalReferenceOperation target } assignment
                && SymbolEqualityComparer.Default.Equals(target.Local, local))
            {
                yield return assignment.Value;
            }
        }
    }

    private static readonly string[] RateLimitWords = { "RateLimit", "Throttl", "Quota" };

    /// <summary>A type named for rate limiting (<c>MemoryCacheRateLimitStorage</c>, <c>RequestThrottler</c>, <c>QuotaStore</c>), or nested in one.</summary>
    private static bool IsRateLimitType(INamedTypeSymbol? type) => IsNamedFor(type, RateLimitWords);

    /// <summary>The type's name, or an enclosing type's, holds one of <paramref name="words"/>.</summary>
    private static bool IsNamedFor(INamedTypeSymbol? type, string[] words)
    {
        for (; type is not null; type = type.ContainingType)
        {
            foreach (var word in words)
            {
                if (type.Name.IndexOf(word, System.StringComparison.Ordinal) >= 0)
                    return true;
            }
        }
        return false;
    }

    /// <summary>The value is a counter object (<c>RateLimitCounter</c>, <c>ClientRequestCounter</c>) or one serialized: the state of a window.</summary>
    private static bool IsCounterType(IOperation? value)
    {
        if (value is null)
            return false;
        var inner = OperationFacts.Unwrap(value);
        // JsonConvert.SerializeObject(counter), JsonSerializer.Serialize(counter): the counter is what is stored.
        if (inner is IInvocationOperation { TargetMethod.Name: "SerializeObject" or "Serialize" or "SerializeToUtf8Bytes", Arguments.Length: > 0 } serialize)
            inner = OperationFacts.Unwrap(serialize.Arguments[0].Value);
        return inner.Type is INamedTypeSymbol { TypeKind: TypeKind.Class or TypeKind.Struct } type
            && type.Name.EndsWith("Counter", System.StringComparison.Ordinal);
    }

    private static readonly object NoConstant = new();

    /// <summary>A constant, <c>bool</c>, <c>""</c>/<c>EmptyString</c> or <c>"1"</c>: a flag, marker or cooldown, not data.</summary>
    public static bool IsMarkerValue(IOperation value, CacheApi api)
    {
        var inner = OperationFacts.Unwrap(value);
        if (inner.Type?.SpecialType == SpecialType.System_Boolean || value.Type?.SpecialType == SpecialType.System_Boolean)
            return true;
        // "", "1", "0", "true", 0, 1: a flag. Other constants are IsOtherConstant's (a marker unless read first).
        var constant = ConstantOf(value, inner);
        if (constant is "" or "1" or "0" or "true" or "false" or 0 or 1 or 0L or 1L)
            return true;
        if (inner is IFieldReferenceOperation { Field: { Name: "EmptyString" or "Empty" or "Null", IsStatic: true } })
            return true;
        if (inner is IPropertyReferenceOperation { Property: { Name: "EmptyString", IsStatic: true } })
            return true;
        return false;
    }

    /// <summary>
    /// A constant value that is not one of <see cref="IsMarkerValue"/>'s flags: any non-null literal or constant
    /// (<c>"Test"</c>, <c>"done"</c>, <c>42</c>) other than a "not found" sentinel (those are CG0005's negative
    /// entries). RULES.md counts a constant as a marker: the entry's presence is what it says.
    /// </summary>
    public static bool IsOtherConstant(IOperation value, CacheApi api)
    {
        var inner = OperationFacts.Unwrap(value);
        var constant = ConstantOf(value, inner);
        return constant != NoConstant && constant is not null && !NegativeCacheWrites.IsNotFoundSentinel(inner, api);
    }

    /// <summary>The constant the value is, seen through conversions (<paramref name="inner"/> first); <see cref="NoConstant"/> when none.</summary>
    private static object? ConstantOf(IOperation value, IOperation inner) =>
        inner.ConstantValue.HasValue ? inner.ConstantValue.Value : value.ConstantValue.HasValue ? value.ConstantValue.Value : NoConstant;

    /// <summary>
    /// The value is drawn from a random source in this body: <c>RandomNumberGenerator.GetInt32(..).ToString("D6")</c>,
    /// <c>Guid.NewGuid().ToString("N")</c>, <c>Convert.ToBase64String(RandomNumberGenerator.GetBytes(32))</c>, through locals.
    /// </summary>
    private static bool IsMintedValue(IOperation value, int depth, MethodCacheFacts? facts)
    {
        if (depth > 6)
            return false;
        var inner = OperationFacts.Unwrap(value);
        switch (inner)
        {
            case IInvocationOperation invocation:
                if (IsRandomSource(invocation.TargetMethod) || IsClockReading(invocation.TargetMethod))
                    return true;
                // Formatting or encoding of a minted value (ToString, ToUpperInvariant, Convert.ToBase64String, string.Concat),
                // or a conversion helper of the project's (TimeHelpers.ToUnixTimestamp(DateTime.UtcNow)).
                if (!IsSystemMethod(invocation.TargetMethod) && !IsConversionHelper(invocation.TargetMethod))
                    return false;
                // Encoding.UTF8.GetBytes(code), code.ToUpperInvariant(): the receiver or an argument carries it.
                if (invocation.Instance is { } instance && IsMintedValue(instance, depth + 1, facts))
                    return true;
                foreach (var argument in invocation.Arguments)
                {
                    if (argument.ArgumentKind == ArgumentKind.Explicit && IsMintedValue(argument.Value, depth + 1, facts))
                        return true;
                }
                return false;
            case ILocalReferenceOperation local:
                return Initializer(local, facts) is { } initializer && IsMintedValue(initializer, depth + 1, facts);
            case IPropertyReferenceOperation { Property: { IsStatic: true, Name: "UtcNow" or "Now" } clock }
                when clock.ContainingType is { Name: "DateTime" or "DateTimeOffset", ContainingNamespace.Name: "System" }:
                return true; // the moment of the write: a "last run" stamp, not data loaded from elsewhere
            case IPropertyReferenceOperation { Instance: { } stamped } when IsSystemType(stamped.Type):
                return IsMintedValue(stamped, depth + 1, facts); // DateTimeOffset.UtcNow.Ticks
            case IInterpolatedStringOperation interpolated:
                foreach (var part in interpolated.Parts)
                {
                    if (part is IInterpolationOperation interpolation && IsMintedValue(interpolation.Expression, depth + 1, facts))
                        return true;
                }
                return false;
            default:
                return false;
        }
    }

    /// <summary>A flag, marker or other constant value, or one minted where it is written (random, the clock, an issued token): no cache entry's data.</summary>
    public static bool IsMarkerOrMinted(IOperation value, CacheApi api) =>
        IsMarkerValue(value, api) || IsOtherConstant(value, api) || IsMintedValue(value, 0, null);

    /// <summary>A clock's current reading: <c>TimeProvider.GetUtcNow()</c>, <c>Stopwatch.GetTimestamp()</c>.</summary>
    private static bool IsClockReading(IMethodSymbol method) =>
        method.ContainingType is { } type && IsSystemMethod(method)
        && ((type.Name == "TimeProvider" && method.Name is "GetUtcNow" or "GetLocalNow" or "GetTimestamp")
            || (type.Name == "Stopwatch" && method.Name == "GetTimestamp"));

    /// <summary>A static conversion helper (<c>TimeHelpers.ToUnixTimestamp(...)</c>, <c>ToIso8601(...)</c>): "To" then a capital.</summary>
    private static bool IsConversionHelper(IMethodSymbol method) =>
        method.IsStatic && method.Name.Length > 2 && method.Name.StartsWith("To", System.StringComparison.Ordinal) && char.IsUpper(method.Name[2]);

    private static bool IsSystemType(ITypeSymbol? type) => OperationFacts.IsNamespace(type?.ContainingNamespace, "System");

    private static bool IsRandomSource(IMethodSymbol method)
    {
        var type = method.ContainingType;
        if (type is null)
            return false;
        // A project's own helper named for it: CoreHelpers.SecureRandomString(...), RandomCode(6), or one that issues a
        // token or code (JwtHelper.IssueJwt(user), GenerateOtp(), MintNonce()).
        if (!IsSystemMethod(method))
            return method.Name.IndexOf("Random", System.StringComparison.Ordinal) >= 0 || IssuesAToken(method.Name);
        return type.Name switch
        {
            "Random" => true,
            "RandomNumberGenerator" => true,
            "Guid" => method.Name is "NewGuid" or "CreateVersion7",
            _ => false,
        };
    }

    /// <summary>
    /// A call that mints a value unique enough to name a new key: <c>Guid.NewGuid()</c>/<c>CreateVersion7()</c>,
    /// <c>RandomNumberGenerator.GetBytes/GetHexString/GetString</c>, or a project's or library's random helper returning
    /// bytes, a string or a Guid (<c>RandomUtils.GetBytes(20)</c>, <c>CoreHelpers.SecureRandomString(32)</c>). A random number
    /// (<c>Random.Next(16)</c>, a shard) is not: keys drawn from a few values are shared.
    /// </summary>
    public static bool IsUniqueSource(IMethodSymbol method)
    {
        if (method.ContainingType is not { } type)
            return false;
        if (IsSystemMethod(method))
        {
            return type.Name switch
            {
                "Guid" => method.Name is "NewGuid" or "CreateVersion7" && type.ContainingNamespace?.Name == "System",
                "RandomNumberGenerator" => method.Name is "GetBytes" or "GetHexString" or "GetString" && !method.ReturnsVoid,
                _ => false,
            };
        }
        if (method.Name.IndexOf("Random", System.StringComparison.Ordinal) < 0 && type.Name.IndexOf("Random", System.StringComparison.Ordinal) < 0)
            return false;
        var returned = method.ReturnType;
        return returned.SpecialType == SpecialType.System_String
            || returned is IArrayTypeSymbol { ElementType.SpecialType: SpecialType.System_Byte }
            || returned is INamedTypeSymbol { Name: "Guid", ContainingNamespace.Name: "System" };
    }

    /// <summary>An unresolved call's text names a random source that is not a number draw: <c>RandomUtils.GetBytes(20)</c>, not <c>rng.Next(16)</c>.</summary>
    public static bool NamesARandomSource(Microsoft.CodeAnalysis.CSharp.Syntax.InvocationExpressionSyntax call)
    {
        if (call.Expression is not Microsoft.CodeAnalysis.CSharp.Syntax.MemberAccessExpressionSyntax access)
            return false;
        var name = access.Name.Identifier.ValueText;
        if (name.StartsWith("Next", System.StringComparison.Ordinal) || name.StartsWith("GetInt", System.StringComparison.Ordinal))
            return false;
        var receiver = access.Expression is Microsoft.CodeAnalysis.CSharp.Syntax.SimpleNameSyntax simple ? simple.Identifier.ValueText : "";
        return name.IndexOf("Random", System.StringComparison.Ordinal) >= 0 || receiver.IndexOf("Random", System.StringComparison.Ordinal) >= 0;
    }

    private static readonly string[] IssueVerbs = { "Issue", "Generate", "Mint" };
    private static readonly string[] TokenWords = { "Token", "Jwt", "Otp", "Nonce", "Code", "Secret" };

    /// <summary><c>IssueJwt</c>, <c>GenerateToken</c>, <c>GenerateOtpAsync</c>, <c>MintNonce</c>: a verb that issues, then a token word.</summary>
    private static bool IssuesAToken(string name)
    {
        foreach (var verb in IssueVerbs)
        {
            if (!name.StartsWith(verb, System.StringComparison.Ordinal))
                continue;
            foreach (var word in TokenWords)
            {
                if (name.IndexOf(word, verb.Length, System.StringComparison.Ordinal) >= 0)
                    return true;
            }
        }
        return false;
    }

    private static bool IsSystemMethod(IMethodSymbol method)
    {
        var ns = method.ContainingNamespace?.ToDisplayString() ?? "";
        return ns == "System" || ns.StartsWith("System.", System.StringComparison.Ordinal);
    }

    /// <summary>The write's <c>When</c> is absent or provably <c>When.Always</c> (a <c>when</c> passed through may be <c>NotExists</c>).</summary>
    private static bool WhenIsAlways(IInvocationOperation invocation, CacheApi api)
    {
        if (api.RedisWhen is null)
            return true;
        foreach (var argument in invocation.Arguments)
        {
            if (argument.ArgumentKind != ArgumentKind.Explicit || !SymbolEqualityComparer.Default.Equals(argument.Parameter?.Type, api.RedisWhen))
                continue;
            var value = OperationFacts.Unwrap(argument.Value);
            if (value is IFieldReferenceOperation { Field.Name: "Always" })
                continue;
            if (argument.Value.ConstantValue is { HasValue: true, Value: int i } && i == 0)
                continue;
            return false;
        }
        return true;
    }

    /// <summary>True when the key's constant text (literals, interpolation text, constants, through locals) names bookkeeping.</summary>
    public static bool IsBookkeeping(IOperation? key)
    {
        if (key is null)
            return false;
        foreach (var text in ConstantText(key))
        {
            var lower = text.ToLowerInvariant();
            foreach (var marker in BookkeepingMarkers)
            {
                if (StartsAWord(lower, marker))
                    return true;
            }
        }
        return false;
    }

    /// <summary>
    /// Whether the key holds any constant text (a prefix, a separator, a format), through locals: false for a key that
    /// is a value alone (<c>code.ToString()</c>, <c>token</c>), which names no kind of entry.
    /// </summary>
    public static bool HasConstantText(IOperation? key)
    {
        if (key is null)
            return true;
        foreach (var _ in ConstantText(key))
            return true;
        return false;
    }

    /// <summary><c>"session:"</c>, <c>"user-session:"</c>, <c>"user_session"</c>, but not <c>"block:"</c> for <c>lock</c>.</summary>
    private static bool StartsAWord(string lower, string marker)
    {
        for (var index = lower.IndexOf(marker, System.StringComparison.Ordinal); index >= 0; index = lower.IndexOf(marker, index + 1, System.StringComparison.Ordinal))
        {
            if (index == 0 || !char.IsLetter(lower[index - 1]))
                return true;
        }
        return false;
    }

    private static IEnumerable<string> ConstantText(IOperation key)
    {
        var pending = new Stack<IOperation>();
        pending.Push(key);
        var visited = 0;
        while (pending.Count > 0 && visited++ < 16)
        {
            foreach (var node in pending.Pop().DescendantsAndSelf())
            {
                if (node.ConstantValue is { HasValue: true, Value: string constant })
                    yield return constant;
                else if (node is IInterpolatedStringTextOperation { Text.ConstantValue: { HasValue: true, Value: string text } })
                    yield return text;
                else if (node is ILocalReferenceOperation local && Initializer(local, null) is { } initializer)
                    pending.Push(initializer);
                else if (node is IInvocationOperation { TargetMethod: { } builder } && builder.DeclaringSyntaxReferences.Length > 0)
                    yield return Words(builder.Name); // a key builder named for it: CacheKeys.IdempotencyEntry(tenant, key)
            }
        }
    }

    /// <summary><c>IdempotencyEntry</c> → <c>idempotency-entry</c>: PascalCase words, so a marker matches at a word start.</summary>
    private static string Words(string name)
    {
        var builder = new System.Text.StringBuilder(name.Length + 4);
        for (var i = 0; i < name.Length; i++)
        {
            if (i > 0 && char.IsUpper(name[i]) && char.IsLower(name[i - 1]))
                builder.Append('-');
            builder.Append(name[i]);
        }
        return builder.ToString();
    }

    /// <summary>The local's first initializer in walk order (the body's declarators, from <paramref name="facts"/> when they hold it).</summary>
    private static IOperation? Initializer(ILocalReferenceOperation reference, MethodCacheFacts? facts)
    {
        if (facts is not null && facts.Holds(reference))
        {
            foreach (var declarator in facts.Declarators)
            {
                if (SymbolEqualityComparer.Default.Equals(declarator.Symbol, reference.Local))
                    return declarator.Initializer!.Value;
            }
            return null;
        }
        foreach (var node in OperationFacts.Root(reference).DescendantsAndSelf())
        {
            if (node is IVariableDeclaratorOperation declarator
                && SymbolEqualityComparer.Default.Equals(declarator.Symbol, reference.Local)
                && declarator.Initializer is { } initializer)
            {
                return initializer.Value;
            }
        }
        return null;
    }
}
