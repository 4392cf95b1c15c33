using System.Collections.Immutable;
using System.Reflection;
using Microsoft.CodeAnalysis;
using StackExchange.Redis;

namespace CacheGuard.Behavior.Tests.Fixes;

/// <summary>
/// CG0003 on Redis in a project without CacheGuard.Runtime (issue 16/17): the fix deletes the negative
/// entry with its own <c>KeyDeleteAsync</c> after the insert. The public case p04 (a lookup that caches
/// "not found" for an hour, a create path that never clears it) is fixed through the code-fix API, both
/// versions are compiled without the runtime and run against a real redis-server. Lookups of authors that
/// exist, and of ones that don't, answer the same; after a create, the original keeps answering "not found"
/// from the negative entry, the fixed code finds the author at once. Assertions are on Redis state and on
/// what the lookup returns, never on elapsed time.
/// </summary>
[Collection(RedisNodeCollection.Name)]
public sealed class RedisCreatePathWithoutRuntimeTests
{
    private const string Marker = "<missing>";
    private readonly RedisNode _redis;

    public RedisCreatePathWithoutRuntimeTests(RedisNode redis) => _redis = redis;

    /// <summary>A project with only the CacheGuard.Analyzers package: no CacheGuard.Runtime reference.</summary>
    private static readonly Lazy<ImmutableArray<MetadataReference>> WithoutRuntime = new(() => SampleCompiler.ReferencesFor(typeof(IDatabase).Assembly));

    private static readonly Lazy<Task<FixApplier.Result>> Fixed = new(() =>
        FixApplier.ApplyAsync(NegativeCachingBehaviorTests.Sample, WithoutRuntime.Value, "CG0003"));

    [Fact]
    public async Task TheFix_DeletesTheNegativeKey_WithoutTheRuntime()
    {
        var result = await Fixed.Value;
        Assert.Single(result.Applied);
        Assert.Contains("""
                    await _store.CreateAsync(author);
                    await _cache.KeyDeleteAsync("author:" + author.Handle);
            """, result.Source.Replace("\r\n", "\n"));
        Assert.DoesNotContain("CacheGuard", result.Source);
        Assert.DoesNotContain(result.Remaining, d => d.StartsWith("CG0003"));
    }

    [Theory]
    [InlineData(false)]
    [InlineData(true)]
    public async Task Lookups_AnswerTheSame_ExceptThatACreatedAuthorIsFoundAtOnce_OnlyWhenFixed(bool fixedCode)
    {
        var assembly = fixedCode ? await FixedAssembly.Value : Original.Value;
        var app = new App(assembly, _redis.Database);
        var known = "k" + Guid.NewGuid().ToString("N")[..12];
        var handle = "h" + Guid.NewGuid().ToString("N")[..12];

        await app.CreateAsync(1, known);
        Assert.Equal(known, await app.HandleExistsAsync(known));
        Assert.Equal(known, await app.HandleExistsAsync(known));
        Assert.Null(await app.HandleExistsAsync(handle));
        Assert.Equal(Marker, (string?)await _redis.Database.StringGetAsync("author:" + handle));
        var lookups = app.Lookups;
        Assert.Null(await app.HandleExistsAsync(handle)); // served by the negative entry in both
        Assert.Equal(lookups, app.Lookups);

        await app.CreateAsync(2, handle);

        if (fixedCode)
        {
            Assert.False(await _redis.Database.KeyExistsAsync("author:" + handle));
            Assert.Equal(handle, await app.HandleExistsAsync(handle));
        }
        else
        {
            Assert.Null(await app.HandleExistsAsync(handle));
            Assert.Equal(Marker, (string?)await _redis.Database.StringGetAsync("author:" + handle));
        }
    }

    private sealed class App
    {
        private readonly Assembly _assembly;
        private readonly object _store;
        private readonly object _authors;

        public App(Assembly assembly, IDatabase db)
        {
            _assembly = assembly;
            _store = Activator.CreateInstance(assembly.GetType("Blog.InMemoryAuthorStore", throwOnError: true)!)!;
            _authors = Activator.CreateInstance(assembly.GetType("Blog.Authors", throwOnError: true)!, db, _store)!;
        }

        public int Lookups => (int)_store.GetType().GetField("Lookups")!.GetValue(_store)!;

        public Task<string?> HandleExistsAsync(string handle) =>
            (Task<string?>)_authors.GetType().GetMethod("HandleExistsAsync")!.Invoke(_authors, new object[] { handle })!;

        public async Task CreateAsync(int id, string handle)
        {
            var author = Activator.CreateInstance(_assembly.GetType("Blog.Author", throwOnError: true)!)!;
            author.GetType().GetProperty("Id")!.SetValue(author, id);
            author.GetType().GetProperty("Handle")!.SetValue(author, handle);
            await (Task)_authors.GetType().GetMethod("CreateAsync")!.Invoke(_authors, new[] { author })!;
        }
    }

    private static readonly Lazy<Task<Assembly>> FixedAssembly = new(async () =>
        SampleCompiler.Compile((await Fixed.Value).Source, "Blog.CreatePath.Fixed", WithoutRuntime.Value));

    private static readonly Lazy<Assembly> Original = new(() =>
        SampleCompiler.Compile(NegativeCachingBehaviorTests.Sample, "Blog.CreatePath.Original", WithoutRuntime.Value));
}
