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
    };

    /// <summary>
    /// What the key written by <paramref name="write"/> is for, from the evidence in its body (RULES.md,
    /// "What is a cache entry"). <see cref="KeyPurposeKind.CacheEntry"/> means no evidence against it:
    /// rules that report on cache entries only skip the other kinds.
    /// </summary>
    public static KeyPurposeKind Of(CacheOperation write, MethodCacheFacts facts, CacheApi api)
    {
        if (write.Kind == CacheOperationKind.LockAcquire || write.OnlyIfNotExists || !WhenIsAlways(write.Invocation, api))
            return KeyPurposeKind.LockLease;
        if (WritePathFacts.IsFreshKey(write.Key))
            return KeyPurposeKind.Temporary;
        if (write.Value is { } value && IsMarkerValue(value, api))
            return KeyPurposeKind.Marker;
        foreach (var _ in facts.OnKey(write.Key, CacheOperationKind.Increment))
            return KeyPurposeKind.CounterWindow;
        foreach (var _ in facts.OnKey(write.Key, CacheOperationKind.LockAcquire))
            return KeyPurposeKind.LockLease;
        if (IsBookkeeping(write.Key))
            return KeyPurposeKind.Marker;
        return KeyPurposeKind.CacheEntry;
    }

    private static readonly object NoConstant = new();

    /// <summary>A constant, <c>bool</c>, <c>""</c>/<c>EmptyString</c> or <c>"1"</c>: a flag, marker or cooldown, not data.</summary>
    public static bool IsMarkerValue(IOperation value, CacheApi api)
    {
        var inner = OperationFacts.Unwrap(value);
        if (inner.Type?.SpecialType == SpecialType.System_Boolean || value.Type?.SpecialType == SpecialType.System_Boolean)
            return true;
        // "", "1", "0", "true", 0, 1: a flag. Other constants may be real (if odd) data and are left to the other checks.
        var constant = inner.ConstantValue.HasValue ? inner.ConstantValue.Value : value.ConstantValue.HasValue ? value.ConstantValue.Value : NoConstant;
        if (constant is "" or "1" or "0" or "true" or "false" or 0 or 1 or 0L or 1L)
            return true;
        if (inner is IFieldReferenceOperation { Field: { Name: "EmptyString" or "Empty" or "Null", IsStatic: true } })
            return true;
        if (inner is IPropertyReferenceOperation { Property: { Name: "EmptyString", IsStatic: true } })
            return true;
        return false;
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
                else if (node is ILocalReferenceOperation local && Initializer(local) is { } initializer)
                    pending.Push(initializer);
            }
        }
    }

    private static IOperation? Initializer(ILocalReferenceOperation reference)
    {
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
