using StackExchange.Redis;

namespace Sample;

/// <summary>Hole 3: "not found" cached for an hour, and never cleared when the author signs up.</summary>
public sealed class AuthorDirectory
{
    private const string Missing = "<missing>";
    private readonly IDatabase _cache;
    private readonly IAuthorRepository _authors;

    public AuthorDirectory(IDatabase cache, IAuthorRepository authors)
    {
        _cache = cache;
        _authors = authors;
    }

    public async Task<string?> HandleAsync(string handle)
    {
        var cached = await _cache.StringGetAsync("author:" + handle); // CG0004
        if (cached == Missing)
            return null;
        if (cached.HasValue)
            return cached.ToString();
        var author = await _authors.FindByHandleAsync(handle);
        if (author is null)
        {
            await _cache.StringSetAsync("author:" + handle, Missing, TimeSpan.FromHours(1)); // CG0005, CG0001
            return null;
        }
        await _cache.StringSetAsync("author:" + handle, author.Handle, TimeSpan.FromMinutes(30) + TimeSpan.FromSeconds(Random.Shared.Next(90)));
        return author.Handle;
    }

    public async Task CreateAsync(Author author) // CG0003
    {
        await _authors.InsertAsync(author);
    }
}
