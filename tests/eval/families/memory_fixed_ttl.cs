using Microsoft.Extensions.Caching.Memory;
namespace Eval.Families.Memory;

public class Settings
{
    private readonly IMemoryCache _cache;
    public Settings(IMemoryCache cache) => _cache = cache;

    public void Put(string key, string value) => _cache.Set(key, value, TimeSpan.FromMinutes(5)); // expect: CG0001

    public Task<string?> GetAsync(string key, Func<Task<string>> load) =>
        _cache.GetOrCreateAsync(key, async entry => // allow: CG0004
        {
            entry.AbsoluteExpirationRelativeToNow = TimeSpan.FromMinutes(5); // expect: CG0001
            return await load();
        });
}
