// The get-then-populate model works over every family the recognizers know (fixes are Redis-only).
using System.Text.Json;
using Microsoft.Extensions.Caching.Distributed;
using Microsoft.Extensions.Caching.Memory;
namespace Shop.C06;

public class DistReader
{
    private readonly IDistributedCache _cache;
    private readonly IMemoryCache _memory;
    private readonly IProductStore _store;
    public DistReader(IDistributedCache cache, IMemoryCache memory, IProductStore store) { _cache = cache; _memory = memory; _store = store; }

    public async Task<Product?> GetAsync(int id)
    {
        var json = await _cache.GetStringAsync($"p:{id}"); // expect: CG0004
        if (json is not null) return JsonSerializer.Deserialize<Product>(json);
        var p = await _store.FindAsync(id);
        await _cache.SetStringAsync($"p:{id}", JsonSerializer.Serialize(p)); // expect: CG0008
        return p;
    }

    public Product? Mem(int id)
    {
        if (_memory.TryGetValue($"m:{id}", out Product? hit)) return hit; // expect: CG0004
        var p = _store.Find(id);
        _memory.Set($"m:{id}", p, TimeSpan.FromSeconds(300 + Random.Shared.Next(30)));
        return p;
    }
}
