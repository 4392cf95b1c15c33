using System.Collections.Concurrent;
using StackExchange.Redis;

namespace CacheGuard.Behavior.Tests;

/// <summary>
/// Hole 3 (negative-cache poisoning) end to end: the lookup of the public eval case p04 caches
/// "not found"; the create path before CG0003's fix leaves that entry in place, the create path
/// after the fix (verbatim the fix's output, asserted in CreatePathMissingInvalidationAnalyzerTests)
/// clears it. CG0005's fix bounds how long the entry can live. Assertions are on Redis state and
/// on what the lookup returns, never on elapsed time.
/// </summary>
[Collection(RedisNodeCollection.Name)]
public sealed class NegativeCachingBehaviorTests
{
    private readonly RedisNode _redis;

    public NegativeCachingBehaviorTests(RedisNode redis) => _redis = redis;

    public sealed class Author
    {
        public int Id { get; set; }
        public string Handle { get; set; } = "";
    }

    /// <summary>The database: authors by handle.</summary>
    public sealed class AuthorStore
    {
        private readonly ConcurrentDictionary<string, Author> _rows = new();
        public int Lookups;

        public Task<Author?> ByHandleAsync(string handle)
        {
            Interlocked.Increment(ref Lookups);
            return Task.FromResult(_rows.TryGetValue(handle, out var a) ? a : null);
        }

        public Task CreateAsync(Author author)
        {
            _rows[author.Handle] = author;
            return Task.CompletedTask;
        }
    }

    /// <summary>p04's lookup, with the negative TTL as written (1 h) or after CG0005's fix.</summary>
    public abstract class AuthorsBase
    {
        protected const string Missing = "<missing>";
        protected readonly IDatabase _cache;
        protected readonly AuthorStore _store;
        private readonly bool _negativeTtlFixed;

        protected AuthorsBase(IDatabase cache, AuthorStore store, bool negativeTtlFixed)
        {
            _cache = cache;
            _store = store;
            _negativeTtlFixed = negativeTtlFixed;
        }

        public async Task<string?> HandleExistsAsync(string handle)
        {
            var v = await _cache.StringGetAsync("author:" + handle);
            if (v == Missing) return null;
            if (v.HasValue) return v.ToString();
            var a = await _store.ByHandleAsync(handle);
            if (a is null)
            {
                await _cache.StringSetAsync("author:" + handle, Missing, _negativeTtlFixed ? CacheTtl.Negative() : TimeSpan.FromHours(1));
                return null;
            }
            await _cache.StringSetAsync("author:" + handle, a.Handle, CacheTtl.Jitter(TimeSpan.FromMinutes(30)));
            return a.Handle;
        }

        public abstract Task CreateAsync(Author author);
    }

    /// <summary>The create path as p04 writes it (CG0003).</summary>
    public sealed class AuthorsBeforeFix : AuthorsBase
    {
        public AuthorsBeforeFix(IDatabase cache, AuthorStore store) : base(cache, store, negativeTtlFixed: false) { }

        public override async Task CreateAsync(Author author)
        {
            await _store.CreateAsync(author);
        }
    }

    /// <summary>The create path after CG0003's fix (and the lookup after CG0005's).</summary>
    public sealed class AuthorsAfterFix : AuthorsBase
    {
        public AuthorsAfterFix(IDatabase cache, AuthorStore store) : base(cache, store, negativeTtlFixed: true) { }

        public override async Task CreateAsync(Author author)
        {
            await _store.CreateAsync(author);
            await _cache.InvalidateAsync("author:" + author.Handle);
        }
    }

    private static string NewHandle() => "h" + Guid.NewGuid().ToString("N")[..12];

    [Fact]
    public async Task BeforeTheFix_CreatedAuthorStaysNotFound_WhileTheNegativeEntryLives()
    {
        var store = new AuthorStore();
        var authors = new AuthorsBeforeFix(_redis.Database, store);
        var handle = NewHandle();

        Assert.Null(await authors.HandleExistsAsync(handle));
        Assert.Equal(MissingMarker, (string?)await _redis.Database.StringGetAsync("author:" + handle));

        await authors.CreateAsync(new Author { Id = 1, Handle = handle });

        // The database has the author; the lookup keeps answering "not found" from the negative
        // entry, without asking the database, for as long as that entry lives (an hour).
        Assert.NotNull(await store.ByHandleAsync(handle));
        var lookupsBefore = store.Lookups;
        Assert.Null(await authors.HandleExistsAsync(handle));
        Assert.Equal(lookupsBefore, store.Lookups);
        Assert.Equal(MissingMarker, (string?)await _redis.Database.StringGetAsync("author:" + handle));
        var ttl = await _redis.Database.KeyTimeToLiveAsync("author:" + handle);
        Assert.NotNull(ttl);
        Assert.True(ttl > TimeSpan.FromMinutes(59), $"the negative entry lives for the full hour (TTL {ttl})");
    }

    [Fact]
    public async Task AfterTheFix_CreatedAuthorIsFoundAtOnce()
    {
        var store = new AuthorStore();
        var authors = new AuthorsAfterFix(_redis.Database, store);
        var handle = NewHandle();

        Assert.Null(await authors.HandleExistsAsync(handle));
        Assert.Equal(MissingMarker, (string?)await _redis.Database.StringGetAsync("author:" + handle));

        await authors.CreateAsync(new Author { Id = 2, Handle = handle });

        Assert.False(await _redis.Database.KeyExistsAsync("author:" + handle));
        Assert.Equal(handle, await authors.HandleExistsAsync(handle));
        // ...and the found author is now what the cache holds.
        Assert.Equal(handle, (string?)await _redis.Database.StringGetAsync("author:" + handle));
    }

    [Fact]
    public async Task AfterTheFix_TheNegativeEntryLivesAtMostTheNegativeTtl()
    {
        var store = new AuthorStore();
        var authors = new AuthorsAfterFix(_redis.Database, store);
        var handle = NewHandle();

        Assert.Null(await authors.HandleExistsAsync(handle));

        var ttl = await _redis.Database.KeyTimeToLiveAsync("author:" + handle);
        Assert.NotNull(ttl);
        // CacheTtl.Negative(): 30 s plus at most 10% jitter.
        Assert.InRange(ttl!.Value, TimeSpan.FromSeconds(1), TimeSpan.FromSeconds(33));
    }

    private const string MissingMarker = "<missing>";
}
