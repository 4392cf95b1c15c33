using Microsoft.EntityFrameworkCore;
using Microsoft.Extensions.Caching.Distributed;
using Microsoft.Extensions.Caching.Hybrid;
// CG0003, CG0004, CG0005 over IDistributedCache; HybridCache.GetOrCreateAsync is single-flight (nothing).
// CG0005 needs the options expiry: EntryExpiries.Reaching(operation, api) when operation.Expiry is null.
namespace Eval.Families.OtherRulesNegative;

public class Author { public int Id { get; set; } public string Handle { get; set; } = ""; }
public class Db : DbContext { public DbSet<Author> Authors => Set<Author>(); }
public interface IAuthors { Task<Author?> ByHandleAsync(string handle); }

public class AuthorLookup
{
    private const string Missing = "__none__";
    private readonly IDistributedCache _cache;
    private readonly IAuthors _authors;
    public AuthorLookup(IDistributedCache cache, IAuthors authors) { _cache = cache; _authors = authors; }

    public async Task<Author?> FindAsync(string handle)
    {
        var v = await _cache.GetStringAsync("author:" + handle); // expect: CG0004
        if (v == Missing) return null;
        if (v is not null) return System.Text.Json.JsonSerializer.Deserialize<Author>(v);
        var author = await _authors.ByHandleAsync(handle);
        if (author is null)
        {
            await _cache.SetStringAsync("author:" + handle, Missing, new DistributedCacheEntryOptions { AbsoluteExpirationRelativeToNow = TimeSpan.FromHours(1) }); // expect: CG0005 // allow: CG0001
            return null;
        }
        await _cache.SetStringAsync("author:" + handle, System.Text.Json.JsonSerializer.Serialize(author), new DistributedCacheEntryOptions { AbsoluteExpirationRelativeToNow = TimeSpan.FromMinutes(10) }); // expect: CG0001
        return author;
    }
}

public class AuthorSignup
{
    private readonly Db _db;
    public AuthorSignup(Db db) => _db = db;

    public async Task CreateAsync(Author author) // expect: CG0003
    {
        _db.Authors.Add(author);
        await _db.SaveChangesAsync();
    }
}

public class HybridAuthors
{
    private readonly HybridCache _cache;
    private readonly IAuthors _authors;
    public HybridAuthors(HybridCache cache, IAuthors authors) { _cache = cache; _authors = authors; }

    public ValueTask<Author?> FindAsync(string handle) =>
        _cache.GetOrCreateAsync("hauthor:" + handle, async ct => await _authors.ByHandleAsync(handle));
}
