using Microsoft.Extensions.Caching.Distributed;
namespace Eval.Families.Distributed;

public class ProfileCache
{
    private static readonly DistributedCacheEntryOptions Shared = new()
    {
        AbsoluteExpirationRelativeToNow = TimeSpan.FromMinutes(10), // expect: CG0001
    };

    private readonly IDistributedCache _cache;
    public ProfileCache(IDistributedCache cache) => _cache = cache;

    public Task PutAsync(string id, string json) => _cache.SetStringAsync($"profile:{id}", json, Shared);

    public Task PutShortAsync(string id, string json) =>
        _cache.SetStringAsync($"profile:{id}", json, new DistributedCacheEntryOptions
        {
            SlidingExpiration = TimeSpan.FromMinutes(2), // a real sliding expiration: not a fixed TTL (RULES.md, issue 18)
        });

    public Task PutFluentAsync(string id, string json) =>
        _cache.SetStringAsync($"profile:{id}", json,
            new DistributedCacheEntryOptions().SetAbsoluteExpiration(TimeSpan.FromHours(1))); // expect: CG0001
}
