using System;
using Microsoft.Extensions.Caching.Memory;

namespace Consumer;

/// <summary>IMemoryCache only: fixed lifetimes make every price loaded together expire together.</summary>
public sealed class PriceCache
{
    private readonly IMemoryCache _cache;

    public PriceCache(IMemoryCache cache) => _cache = cache;

    public void Remember(string sku, decimal price) => _cache.Set("price:" + sku, price, TimeSpan.FromMinutes(10)); // CG0001

    public decimal Get(string sku, Func<decimal> load) =>
        _cache.GetOrCreate("stock:" + sku, entry => // CG0004 (its fix needs the runtime)
        {
            entry.AbsoluteExpirationRelativeToNow = TimeSpan.FromMinutes(5); // CG0001
            return load();
        });
}
