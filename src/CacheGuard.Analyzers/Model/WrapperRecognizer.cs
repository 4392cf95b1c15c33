using System.Linq;
using Microsoft.CodeAnalysis;
using Microsoft.CodeAnalysis.Operations;

namespace CacheGuard.Analyzers.Model;

/// <summary>
/// Calls to the project's own cache wrapper (<see cref="WrapperCatalog"/>) from outside it: a read, a
/// write or a delete of the key argument. The wrapper's own body is analyzed as what it calls, so
/// its expiry is reported there (CG0001) and writes through it are assumed to expire.
/// </summary>
internal static class WrapperRecognizer
{
    public static CacheOperation? Recognize(IInvocationOperation invocation, CacheApi api)
    {
        var method = invocation.TargetMethod;
        // Calls to methods declared in this compilation: on another object, on a cache (extension
        // methods), or on this object (a cache service's GetOrSetAsync built from its own GetAsync and
        // SetAsync, a private read helper). The wrapper method's own body is analyzed as what it calls.
        if (method.DeclaringSyntaxReferences.IsEmpty)
            return null;
        if (method.IsExtensionMethod ? !method.IsStatic : invocation.Instance is null)
            return null;
        if (api.Wrappers.Find(method) is not { } wrapper)
            return null;

        var keyArgument = OperationFacts.ArgumentAt(invocation, wrapper.KeyOrdinal);
        if (keyArgument is null || keyArgument.ArgumentKind == ArgumentKind.DefaultValue)
            return null;
        var key = OperationFacts.Unwrap(keyArgument.Value);

        IOperation? value = null;
        IArgumentOperation? expiry = null;
        if (wrapper.Kind == CacheOperationKind.Write)
        {
            var valueArgument = OperationFacts.ArgumentNamed(invocation, "value")
                ?? invocation.Arguments.FirstOrDefault(a => a.Parameter is { } p && p.Ordinal != wrapper.KeyOrdinal && IsValueParameter(p, api));
            value = valueArgument is null ? null : OperationFacts.Unwrap(valueArgument.Value);
            expiry = OperationFacts.ArgumentOfType(invocation, api.TimeSpan);
        }

        return new CacheOperation(
            invocation, wrapper.Kind, CacheFamily.Wrapper, key, value, expiry, onlyIfNotExists: false,
            options: null, factory: null, expiryElsewhere: wrapper.Kind == CacheOperationKind.Write);
    }

    private static bool IsValueParameter(IParameterSymbol parameter, CacheApi api)
    {
        var type = OperationFacts.StripNullable(parameter.Type);
        return !SymbolEqualityComparer.Default.Equals(type, api.TimeSpan)
            && !SymbolEqualityComparer.Default.Equals(type, api.DistributedCacheEntryOptions)
            && !SymbolEqualityComparer.Default.Equals(type, api.MemoryCacheEntryOptions)
            && !SymbolEqualityComparer.Default.Equals(type, api.HybridCacheEntryOptions)
            && type.Name != "CancellationToken"
            && type.TypeKind != TypeKind.Delegate;
    }
}
