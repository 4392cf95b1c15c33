using Microsoft.CodeAnalysis;
using Microsoft.CodeAnalysis.Operations;

namespace CacheGuard.Analyzers.Model;

/// <summary>
/// <c>IDistributedCache</c> (and <c>IBufferDistributedCache</c>) calls, with the
/// <c>DistributedCacheExtensions</c> string helpers. Expiries live in <c>DistributedCacheEntryOptions</c>;
/// a write without options (or with <c>new DistributedCacheEntryOptions()</c>) has none.
/// </summary>
internal static class DistributedCacheRecognizer
{
    public static CacheOperation? Recognize(IInvocationOperation invocation, CacheApi api)
    {
        var method = invocation.TargetMethod;
        // The names of the switch below first: the type test walks the interfaces of every called type.
        if (method.Name is not ("Get" or "GetAsync" or "GetString" or "GetStringAsync" or "TryGet" or "TryGetAsync" or "Set" or "SetAsync"
            or "SetString" or "SetStringAsync" or "Refresh" or "RefreshAsync" or "Remove" or "RemoveAsync"))
        {
            return null;
        }
        var containing = method.ContainingType?.OriginalDefinition;
        if (containing is null)
            return null;
        var isExtension = SymbolEqualityComparer.Default.Equals(containing, api.DistributedCacheExtensions);
        if (!isExtension
            && !OperationFacts.IsOrInherits(containing, api.DistributedCache))
        {
            return null;
        }

        return RecognizeCall(invocation, api, method);
    }

    // Past the name and type tests: apart, so that a call of another type's Get or Set (most of those that reach
    // the tests) has the JIT compile only them.
    private static CacheOperation? RecognizeCall(IInvocationOperation invocation, CacheApi api, IMethodSymbol method)
    {
        var keyArgument = OperationFacts.ArgumentNamed(invocation, "key");
        if (keyArgument is null)
            return null;
        var key = OperationFacts.Unwrap(keyArgument.Value);

        switch (method.Name)
        {
            case "Get":
            case "GetAsync":
            case "GetString":
            case "GetStringAsync":
            case "TryGet":
            case "TryGetAsync":
                return new CacheOperation(invocation, CacheOperationKind.Read, CacheFamily.DistributedCache, key, null, null, false);

            case "Set":
            case "SetAsync":
            case "SetString":
            case "SetStringAsync":
            {
                var value = OperationFacts.ArgumentNamed(invocation, "value");
                var options = OperationFacts.ArgumentOfType(invocation, api.DistributedCacheEntryOptions);
                return new CacheOperation(
                    invocation, CacheOperationKind.Write, CacheFamily.DistributedCache, key,
                    value is null ? null : OperationFacts.Unwrap(value.Value),
                    expiry: null, onlyIfNotExists: false,
                    options, factory: null,
                    expiryElsewhere: options is not null && EntryExpiries.OptionsSetExpiry(options.Value, api));
            }

            case "Refresh":
            case "RefreshAsync":
                // Slides the entry's expiry: neither a read of its value nor a write.
                return new CacheOperation(invocation, CacheOperationKind.Expire, CacheFamily.DistributedCache, key, null, null, false);

            case "Remove":
            case "RemoveAsync":
                return new CacheOperation(invocation, CacheOperationKind.Delete, CacheFamily.DistributedCache, key, null, null, false);

            default:
                return null;
        }
    }
}
