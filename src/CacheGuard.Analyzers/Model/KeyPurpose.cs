using System.Collections.Generic;
using Microsoft.CodeAnalysis;
using Microsoft.CodeAnalysis.Operations;

namespace CacheGuard.Analyzers.Model;

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
    };

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
