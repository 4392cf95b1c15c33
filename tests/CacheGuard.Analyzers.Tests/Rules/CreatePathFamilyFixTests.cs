using Microsoft.CodeAnalysis.Testing;
using Verify = CacheGuard.Analyzers.Tests.Verifiers.CSharpVerifier<CacheGuard.Analyzers.Rules.CreatePathMissingInvalidationAnalyzer, CacheGuard.CodeFixes.CreatePathMissingInvalidationCodeFix>;

namespace CacheGuard.Analyzers.Tests.Rules;

/// <summary>
/// CG0003 over IDistributedCache, IMemoryCache and HybridCache (issue 17): the create path removes the
/// negative entry with its own cache's Remove(Async) after the insert — no runtime needed. No fix when
/// the create path holds no cache of the negative's family.
/// </summary>
public class CreatePathFamilyFixTests
{
    private const string Domain = """
        using System.Threading.Tasks;

        namespace App
        {
            public class Author { public int Id { get; set; } public string Handle { get; set; } = ""; }

            public interface IAuthorStore
            {
                Task<Author?> ByHandleAsync(string handle);
                Author? ByHandle(string handle);
                Task CreateAsync(Author author);
                void Create(Author author);
            }
        }
        """;

    private static Verify.Test NewTest() => new() { CodeFixTestBehaviors = CodeFixTestBehaviors.SkipLocalDiagnosticCheck };

    private static async Task RunAsync(string source, string fixedSource)
    {
        var test = NewTest();
        test.TestState.Sources.Add(("/0/Domain.cs", Domain));
        test.TestState.Sources.Add(("/0/Authors.cs", source));
        test.FixedState.Sources.Add(("/0/Domain.cs", Domain));
        test.FixedState.Sources.Add(("/0/Authors.cs", fixedSource));
        await test.RunAsync();
    }

    private const string DistributedLookup = """
            private const string Missing = "<missing>";

            public async Task<string?> HandleAsync(string handle)
            {
                var v = await _cache.GetStringAsync("author:" + handle);
                if (v == Missing) return null;
                if (v is not null) return v;
                var a = await _store.ByHandleAsync(handle);
                if (a is null)
                {
                    await _cache.SetStringAsync("author:" + handle, Missing, new DistributedCacheEntryOptions { AbsoluteExpirationRelativeToNow = TimeSpan.FromSeconds(10) });
                    return null;
                }
                await _cache.SetStringAsync("author:" + handle, a.Handle);
                return a.Handle;
            }
    """;

    [Fact]
    public Task DistributedCache_AsyncCreate_RemovesTheNegativeAfterTheInsert() =>
        RunAsync($$"""
            using System;
            using System.Threading.Tasks;
            using Microsoft.Extensions.Caching.Distributed;

            namespace App
            {
            public class Authors
            {
                private readonly IDistributedCache _cache;
                private readonly IAuthorStore _store;
                public Authors(IDistributedCache cache, IAuthorStore store) { _cache = cache; _store = store; }
            {{DistributedLookup}}
                public async Task {|CG0003:CreateAsync|}(Author author)
                {
                    await _store.CreateAsync(author);
                }
            }
            }
            """, $$"""
            using System;
            using System.Threading.Tasks;
            using Microsoft.Extensions.Caching.Distributed;

            namespace App
            {
            public class Authors
            {
                private readonly IDistributedCache _cache;
                private readonly IAuthorStore _store;
                public Authors(IDistributedCache cache, IAuthorStore store) { _cache = cache; _store = store; }
            {{DistributedLookup}}
                public async Task CreateAsync(Author author)
                {
                    await _store.CreateAsync(author);
                    await _cache.RemoveAsync("author:" + author.Handle);
                }
            }
            }
            """);

    [Fact]
    public Task DistributedCache_SyncCreate_InAnotherClass_UsesRemove() =>
        RunAsync($$"""
            using System;
            using System.Threading.Tasks;
            using Microsoft.Extensions.Caching.Distributed;

            namespace App
            {
            public class Authors
            {
                private readonly IDistributedCache _cache;
                private readonly IAuthorStore _store;
                public Authors(IDistributedCache cache, IAuthorStore store) { _cache = cache; _store = store; }
            {{DistributedLookup}}
            }

            public class Signup
            {
                private readonly IAuthorStore _store;
                private readonly IDistributedCache _cache;
                public Signup(IAuthorStore store, IDistributedCache cache) { _store = store; _cache = cache; }

                public void {|CG0003:Create|}(Author author)
                {
                    _store.Create(author);
                }
            }
            }
            """, $$"""
            using System;
            using System.Threading.Tasks;
            using Microsoft.Extensions.Caching.Distributed;

            namespace App
            {
            public class Authors
            {
                private readonly IDistributedCache _cache;
                private readonly IAuthorStore _store;
                public Authors(IDistributedCache cache, IAuthorStore store) { _cache = cache; _store = store; }
            {{DistributedLookup}}
            }

            public class Signup
            {
                private readonly IAuthorStore _store;
                private readonly IDistributedCache _cache;
                public Signup(IAuthorStore store, IDistributedCache cache) { _store = store; _cache = cache; }

                public void Create(Author author)
                {
                    _store.Create(author);
                    _cache.Remove("author:" + author.Handle);
                }
            }
            }
            """);

    [Fact]
    public Task MemoryCache_NegativeEntry_IsRemoved() =>
        RunAsync("""
            using System;
            using System.Threading.Tasks;
            using Microsoft.Extensions.Caching.Memory;

            namespace App
            {
            public class Authors
            {
                private readonly IMemoryCache _memory;
                private readonly IAuthorStore _store;
                public Authors(IMemoryCache memory, IAuthorStore store) { _memory = memory; _store = store; }

                private const string Missing = "<missing>";

                public async Task<string?> HandleAsync(string handle)
                {
                    if (_memory.TryGetValue("author:" + handle, out string? v)) return v == Missing ? null : v;
                    var a = await _store.ByHandleAsync(handle);
                    if (a is null)
                    {
                        _memory.Set("author:" + handle, Missing, TimeSpan.FromSeconds(10));
                        return null;
                    }
                    _memory.Set("author:" + handle, a.Handle, TimeSpan.FromMinutes(5));
                    return a.Handle;
                }

                public async Task {|CG0003:CreateAsync|}(Author author)
                {
                    await _store.CreateAsync(author);
                }
            }
            }
            """, """
            using System;
            using System.Threading.Tasks;
            using Microsoft.Extensions.Caching.Memory;

            namespace App
            {
            public class Authors
            {
                private readonly IMemoryCache _memory;
                private readonly IAuthorStore _store;
                public Authors(IMemoryCache memory, IAuthorStore store) { _memory = memory; _store = store; }

                private const string Missing = "<missing>";

                public async Task<string?> HandleAsync(string handle)
                {
                    if (_memory.TryGetValue("author:" + handle, out string? v)) return v == Missing ? null : v;
                    var a = await _store.ByHandleAsync(handle);
                    if (a is null)
                    {
                        _memory.Set("author:" + handle, Missing, TimeSpan.FromSeconds(10));
                        return null;
                    }
                    _memory.Set("author:" + handle, a.Handle, TimeSpan.FromMinutes(5));
                    return a.Handle;
                }

                public async Task CreateAsync(Author author)
                {
                    await _store.CreateAsync(author);
                    _memory.Remove("author:" + author.Handle);
                }
            }
            }
            """);

    [Fact]
    public async Task CreatePathWithoutACacheOfTheFamily_IsFlagged_WithoutFix()
    {
        var source = $$"""
            using System;
            using System.Threading.Tasks;
            using Microsoft.Extensions.Caching.Distributed;
            using Microsoft.Extensions.Caching.Memory;

            namespace App
            {
            public class Authors
            {
                private readonly IDistributedCache _cache;
                private readonly IAuthorStore _store;
                public Authors(IDistributedCache cache, IAuthorStore store) { _cache = cache; _store = store; }
            {{DistributedLookup}}
            }

            public class Signup
            {
                private readonly IAuthorStore _store;
                private readonly IMemoryCache _memory; // another family: removing there clears nothing
                public Signup(IAuthorStore store, IMemoryCache memory) { _store = store; _memory = memory; }

                public async Task {|CG0003:CreateAsync|}(Author author)
                {
                    await _store.CreateAsync(author);
                }
            }
            }
            """;
        await RunAsync(source, source);
    }
}
