using Microsoft.CodeAnalysis;
using Microsoft.CodeAnalysis.Operations;

namespace CacheGuard.Analyzers.Model;

/// <summary>
/// <c>HybridCache</c>: <c>GetOrCreateAsync</c> is single-flight already
/// (<see cref="CacheOperation.IsSingleFlight"/>); entries always expire (the cache's default entry
/// options apply when none are passed).
/// </summary>
internal static class HybridCacheRecognizer
{
    public static CacheOperation? Recognize(IInvocationOperation invocation, CacheApi api)
    {
        var method = invocation.TargetMethod;
        // The names of the switch below first: the type test walks the interfaces of every called type.
        if (method.Name is not ("GetOrCreateAsync" or "SetAsync" or "RemoveAsync"))
            return null;
        if (!OperationFacts.IsOrInherits(method.ContainingType, api.HybridCache))
            return null;

        return RecognizeCall(invocation, api, method);
    }

    // Past the name and type tests: apart, so that a call of another type's SetAsync or RemoveAsync (most of those that
    // reach the tests) has the JIT compile only them.
    private static CacheOperation? RecognizeCall(IInvocationOperation invocation, CacheApi api, IMethodSymbol method)
    {
        var keyArgument = OperationFacts.ArgumentNamed(invocation, "key");
        var key = keyArgument is null ? null : OperationFacts.Unwrap(keyArgument.Value);
        var options = OperationFacts.ArgumentOfType(invocation, api.HybridCacheEntryOptions);

        switch (method.Name)
        {
            case "GetOrCreateAsync" when key is not null:
            {
                var factory = OperationFacts.ArgumentNamed(invocation, "factory")?.Value;
                return new CacheOperation(invocation, CacheOperationKind.GetOrCreate, CacheFamily.HybridCache, key, null, null, false, options, factory, expiryElsewhere: true);
            }

            case "SetAsync" when key is not null:
            {
                var value = OperationFacts.ArgumentNamed(invocation, "value");
                return new CacheOperation(
                    invocation, CacheOperationKind.Write, CacheFamily.HybridCache, key,
                    value is null ? null : OperationFacts.Unwrap(value.Value),
                    expiry: null, onlyIfNotExists: false, options, factory: null, expiryElsewhere: true);
            }

            case "RemoveAsync" when key is not null:
                return new CacheOperation(invocation, CacheOperationKind.Delete, CacheFamily.HybridCache, key, null, null, false);

            default:
                return null; // RemoveAsync(keys), RemoveByTagAsync: many entries, no one key
        }
    }
}
