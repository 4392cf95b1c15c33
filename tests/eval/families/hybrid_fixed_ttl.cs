using Microsoft.Extensions.Caching.Hybrid;
namespace Eval.Families.Hybrid;

public class Catalog
{
    private static readonly HybridCacheEntryOptions Options = new()
    {
        Expiration = TimeSpan.FromMinutes(30), // expect: CG0001
    };

    private readonly HybridCache _cache;
    public Catalog(HybridCache cache) => _cache = cache;

    public ValueTask<string> GetAsync(string sku, Func<CancellationToken, ValueTask<string>> load) =>
        _cache.GetOrCreateAsync($"sku:{sku}", load, Options);
}
