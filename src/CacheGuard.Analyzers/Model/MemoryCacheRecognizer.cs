using Microsoft.CodeAnalysis;
using Microsoft.CodeAnalysis.Operations;

namespace CacheGuard.Analyzers.Model;

/// <summary>
/// <c>IMemoryCache</c> and its <c>CacheExtensions</c>. <c>GetOrCreate(Async)</c> is a
/// <see cref="CacheOperationKind.GetOrCreate"/> that is not single-flight: every concurrent miss runs
/// the factory (dotnet/runtime#36500).
/// </summary>
internal static class MemoryCacheRecognizer
{
    public static CacheOperation? Recognize(IInvocationOperation invocation, CacheApi api)
    {
        var method = invocation.TargetMethod;
        // The names of the switch below first: the type test walks the interfaces of every called type.
        if (method.Name is not ("TryGetValue" or "Get" or "Set" or "CreateEntry" or "Remove" or "GetOrCreate" or "GetOrCreateAsync"))
            return null;
        var containing = method.ContainingType?.OriginalDefinition;
        if (containing is null
            || !(SymbolEqualityComparer.Default.Equals(containing, api.MemoryCacheExtensions)
                 || OperationFacts.IsOrInherits(containing, api.MemoryCache)))
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
            case "TryGetValue":
            case "Get":
                return new CacheOperation(invocation, CacheOperationKind.Read, CacheFamily.MemoryCache, key, null, null, false);

            case "Set":
            {
                var value = OperationFacts.ArgumentNamed(invocation, "value");
                // Set(key, value, TimeSpan | DateTimeOffset) takes the expiry as an argument;
                // Set(key, value, MemoryCacheEntryOptions) in options; Set(key, value, IChangeToken) evicts on a signal.
                // By the declared parameter type: Set<DateTimeOffset>(key, expireTime, options) caches an instant as its value.
                var expiry = OperationFacts.ArgumentOfDeclaredType(invocation, api.TimeSpan) ?? OperationFacts.ArgumentOfDeclaredType(invocation, api.DateTimeOffset);
                var options = OperationFacts.ArgumentOfType(invocation, api.MemoryCacheEntryOptions);
                var elsewhere = options is not null
                    ? EntryExpiries.OptionsSetExpiry(options.Value, api)
                    : expiry is null && method.Parameters.Length > 3; // the IChangeToken overload
                return new CacheOperation(
                    invocation, CacheOperationKind.Write, CacheFamily.MemoryCache, key,
                    value is null ? null : OperationFacts.Unwrap(value.Value),
                    expiry, onlyIfNotExists: false, options, factory: null, expiryElsewhere: elsewhere);
            }

            case "CreateEntry":
                // The entry is configured and committed on Dispose; its expiry is set on the entry (seen by EntryExpiries).
                return new CacheOperation(invocation, CacheOperationKind.Write, CacheFamily.MemoryCache, key, null, null, false, options: null, factory: null, expiryElsewhere: true);

            case "Remove":
                return new CacheOperation(invocation, CacheOperationKind.Delete, CacheFamily.MemoryCache, key, null, null, false);

            case "GetOrCreate":
            case "GetOrCreateAsync":
            {
                var factory = OperationFacts.ArgumentNamed(invocation, "factory")?.Value;
                var options = OperationFacts.ArgumentOfType(invocation, api.MemoryCacheEntryOptions);
                var elsewhere = EntryExpiries.FactorySetsExpiry(factory, api)
                    || (options is not null && EntryExpiries.OptionsSetExpiry(options.Value, api));
                return new CacheOperation(invocation, CacheOperationKind.GetOrCreate, CacheFamily.MemoryCache, key, null, null, false, options, factory, elsewhere);
            }

            default:
                return null;
        }
    }
}
