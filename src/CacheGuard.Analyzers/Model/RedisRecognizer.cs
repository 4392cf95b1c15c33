using Microsoft.CodeAnalysis;
using Microsoft.CodeAnalysis.Operations;

namespace CacheGuard.Analyzers.Model;

/// <summary>StackExchange.Redis: <c>IDatabase</c>/<c>IDatabaseAsync</c> calls, also on batches and transactions.</summary>
internal static class RedisRecognizer
{
    public static CacheOperation? Recognize(IInvocationOperation invocation, CacheApi api)
    {
        var method = invocation.TargetMethod;
        var containing = method.ContainingType?.OriginalDefinition;
        if (containing is null
            || !(SymbolEqualityComparer.Default.Equals(containing, api.RedisDatabase)
                 || SymbolEqualityComparer.Default.Equals(containing, api.RedisDatabaseAsync)))
        {
            return null;
        }

        var name = method.Name.EndsWith("Async", System.StringComparison.Ordinal)
            ? method.Name.Substring(0, method.Name.Length - "Async".Length)
            : method.Name;

        var keyArgument = OperationFacts.ArgumentOfType(invocation, api.RedisKey);
        var key = keyArgument is null ? null : OperationFacts.Unwrap(keyArgument.Value);

        switch (name)
        {
            case "StringGet":
            case "StringGetWithExpiry":
            case "StringGetLease":
            case "HashGetAll":
            case "HashGet":
            case "SortedSetRangeByRank":
            case "SortedSetRangeByRankWithScores":
            case "SortedSetRangeByScore":
            case "SortedSetRangeByScoreWithScores":
                return keyArgument is null ? null : Create(CacheOperationKind.Read);

            case "KeyExists":
                return keyArgument is null ? null : Create(CacheOperationKind.Exists);

            case "StringSet":
            case "StringSetAndGet":
            {
                if (keyArgument is null)
                    return null; // the multi-key KeyValuePair[] overloads: a bulk load, not one entry
                var value = OperationFacts.ArgumentOfType(invocation, api.RedisValue);
                var expiry = ExpiryArgument(invocation, api);
                var notExists = IsNotExistsCondition(invocation, api);
                var kind = notExists ? CacheOperationKind.LockAcquire : CacheOperationKind.Write;
                return new CacheOperation(invocation, kind, CacheFamily.Redis, key, value is null ? null : OperationFacts.Unwrap(value.Value), expiry, notExists);
            }

            case "HashSet":
            case "SortedSetAdd":
                return keyArgument is null ? null : Create(CacheOperationKind.Write);

            case "KeyExpire":
            case "StringGetSetExpiry":
                return keyArgument is null ? null : new CacheOperation(invocation, CacheOperationKind.Expire, CacheFamily.Redis, key, null, ExpiryArgument(invocation, api), false);

            case "KeyDelete":
            case "StringGetDelete":
                return keyArgument is null ? null : Create(CacheOperationKind.Delete);

            case "LockTake":
            {
                var value = OperationFacts.ArgumentOfType(invocation, api.RedisValue);
                var expiry = OperationFacts.ArgumentOfType(invocation, api.TimeSpan);
                return new CacheOperation(invocation, CacheOperationKind.LockAcquire, CacheFamily.Redis, key, value is null ? null : OperationFacts.Unwrap(value.Value), expiry, true);
            }

            case "LockRelease":
                return Create(CacheOperationKind.LockRelease);

            case "StringIncrement":
            case "StringDecrement":
            case "HashIncrement":
            case "HashDecrement":
                return keyArgument is null ? null : Create(CacheOperationKind.Increment);

            default:
                return null;
        }

        CacheOperation Create(CacheOperationKind kind) =>
            new(invocation, kind, CacheFamily.Redis, key, null, null, false);
    }

    /// <summary>The expiry parameter: a <c>TimeSpan?</c>, <c>DateTime?</c> or 3.x <c>Expiration</c>.</summary>
    private static IArgumentOperation? ExpiryArgument(IInvocationOperation invocation, CacheApi api)
    {
        foreach (var argument in invocation.Arguments)
        {
            if (argument.Parameter is not { } p)
                continue;
            var type = OperationFacts.StripNullable(p.Type);
            if (SymbolEqualityComparer.Default.Equals(type, api.TimeSpan)
                || SymbolEqualityComparer.Default.Equals(type, api.RedisExpiration)
                || SymbolEqualityComparer.Default.Equals(type, api.DateTime))
            {
                return argument;
            }
        }
        return null;
    }

    /// <summary><c>When.NotExists</c> or <c>ValueCondition.NotExists</c> passed as the write's condition.</summary>
    private static bool IsNotExistsCondition(IInvocationOperation invocation, CacheApi api)
    {
        foreach (var argument in invocation.Arguments)
        {
            if (argument.Parameter is not { } p || argument.ArgumentKind == ArgumentKind.DefaultValue)
                continue;
            if (SymbolEqualityComparer.Default.Equals(p.Type, api.RedisWhen))
            {
                // When.NotExists == 2; a constant, so any spelling of it folds to the same value.
                var value = OperationFacts.Unwrap(argument.Value);
                if (value is IFieldReferenceOperation { Field.Name: "NotExists" })
                    return true;
                if (argument.Value.ConstantValue is { HasValue: true, Value: int i } && i == 2)
                    return true;
            }
            else if (SymbolEqualityComparer.Default.Equals(p.Type, api.RedisValueCondition))
            {
                if (OperationFacts.Unwrap(argument.Value) is IMemberReferenceOperation { Member.Name: "NotExists" })
                    return true;
            }
        }
        return false;
    }
}
