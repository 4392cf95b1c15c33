using Microsoft.CodeAnalysis.Operations;

namespace CacheGuard.Analyzers.Model;

/// <summary>The one entry point from a call to what it does to a cache, across API families.</summary>
internal static class CacheOperations
{
    public static CacheOperation? Recognize(IInvocationOperation invocation, CacheApi api)
    {
        // Calls into CacheGuard.Runtime are the defences themselves: never a raw cache operation.
        if (CacheApi.IsRuntimeSymbol(invocation.TargetMethod))
            return null;

        if (api.HasRedis && RedisRecognizer.Recognize(invocation, api) is { } redis)
            return redis;
        if (api.DistributedCache is not null && DistributedCacheRecognizer.Recognize(invocation, api) is { } distributed)
            return distributed;
        if (api.MemoryCache is not null && MemoryCacheRecognizer.Recognize(invocation, api) is { } memory)
            return memory;
        if (api.HybridCache is not null && HybridCacheRecognizer.Recognize(invocation, api) is { } hybrid)
            return hybrid;
        if (WrapperRecognizer.Recognize(invocation, api) is { } wrapper)
            return wrapper;

        return null;
    }
}
