// CG0004 (MemoryCacheGetOrCreateAnalyzer, no fix): IMemoryCache.GetOrCreate(Async) runs the factory for every concurrent miss
// (dotnet/runtime#36500); the model exposes it as CacheOperationKind.GetOrCreate with IsSingleFlight = false.
using Microsoft.Extensions.Caching.Memory;
namespace Eval.Families.MemoryGetOrCreate;

public class ExchangeRates
{
    private readonly IMemoryCache _cache;
    private readonly Func<string, Task<decimal>> _fetch;
    public ExchangeRates(IMemoryCache cache, Func<string, Task<decimal>> fetch) { _cache = cache; _fetch = fetch; }

    public Task<decimal> GetAsync(string pair) =>
        _cache.GetOrCreateAsync($"fx:{pair}", entry => // expect: CG0004
        {
            entry.AbsoluteExpirationRelativeToNow = TimeSpan.FromSeconds(30); // expect: CG0001
            return _fetch(pair);
        });
}
