using System.Collections.Concurrent;
using System.Collections.Generic;
using System.Runtime.CompilerServices;
using Microsoft.CodeAnalysis;
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

    // The names Recognize can classify as a write (Redis's also with "Async"): keep in step with the recognizers.
    private static readonly string[] ApiWriteNames =
    {
        "StringSet", "StringSetAsync", "StringSetAndGet", "StringSetAndGetAsync", "HashSet", "HashSetAsync", "SortedSetAdd", "SortedSetAddAsync",
        "Set", "SetAsync", "SetString", "SetStringAsync", "CreateEntry",
    };

    // Methods the compiler calls without their name being written: a collection initializer's or expression's Add
    // and builder, query clauses, foreach, using, await, deconstruction, delegates, interpolation handlers.
    private static readonly HashSet<string> ImplicitlyCalled = new(System.StringComparer.Ordinal)
    {
        "Add", "AddRange", "Create", "Select", "SelectMany", "Where", "Join", "GroupJoin", "GroupBy", "OrderBy", "OrderByDescending",
        "ThenBy", "ThenByDescending", "Cast", "GetEnumerator", "GetAsyncEnumerator", "MoveNext", "MoveNextAsync", "Dispose", "DisposeAsync",
        "GetAwaiter", "GetResult", "Deconstruct", "Invoke", "AppendLiteral", "AppendFormatted", "Slice", "GetPinnableReference",
    };

    private sealed class WriteNameIndex
    {
        public WriteNameIndex(HashSet<string>? names) => Names = names;

        /// <summary>Null when some write name is called implicitly (no declaration can be ruled out by its text).</summary>
        public HashSet<string>? Names { get; }

        public ConcurrentDictionary<IMethodSymbol, bool> MayWrite { get; } = new(SymbolEqualityComparer.Default);
    }

    private static readonly ConditionalWeakTable<Compilation, WriteNameIndex> WriteNames = new();

    /// <summary>
    /// May the body of <paramref name="method"/> hold a cache write (<see cref="CacheOperationKind.Write"/>)? False when its one
    /// declaration names no method a write can call: no API write method and no wrapper method (of any kind). Syntax only,
    /// once per method, so a caller can skip binding a body that cannot write. True when unsure.
    /// </summary>
    public static bool MayWrite(IMethodSymbol method, CacheApi api)
    {
        var index = WriteNames.GetValue(api.Compilation, _ => BuildWriteNames(api));
        if (index.Names is not { } names)
            return true;
        method = method.OriginalDefinition;
        if (index.MayWrite.TryGetValue(method, out var known))
            return known;
        return index.MayWrite.GetOrAdd(method, m => NamesAny(m, names));
    }

    private static WriteNameIndex BuildWriteNames(CacheApi api)
    {
        var names = new HashSet<string>(ApiWriteNames, System.StringComparer.Ordinal);
        foreach (var name in api.Wrappers.MethodNames)
            names.Add(name);
        foreach (var name in names)
        {
            if (ImplicitlyCalled.Contains(name))
                return new WriteNameIndex(null);
        }
        return new WriteNameIndex(names);
    }

    private static bool NamesAny(IMethodSymbol method, HashSet<string> names)
    {
        var references = method.DeclaringSyntaxReferences;
        return references.Length != 1 || WrapperCatalog.Mentions(references[0].GetSyntax(), names);
    }
}
