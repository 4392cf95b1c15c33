using System.Text.Json;
using StackExchange.Redis;
namespace Shop.C04;

public class SkuIndex
{
    private readonly IDatabase _db;
    private readonly IProductStore _store;
    public SkuIndex(IDatabase db, IProductStore store) { _db = db; _store = store; }

    public async Task<int?> IdOfAsync(string sku)
    {
        var v = await _db.StringGetAsync("sku-id:" + sku); // expect: CG0004
        if (v.HasValue) return (int)v;
        var product = await _store.BySkuAsync(sku);
        if (product is null) return null;
        await _db.StringSetAsync("sku-id:" + sku, product.Id); // expect: CG0008
        return product.Id;
    }

    public Product? Get(int id)
    {
        var v = _db.StringGet($"p:{id}"); // expect: CG0004
        if (!v.IsNullOrEmpty) return JsonSerializer.Deserialize<Product>(v.ToString());
        var product = _store.Find(id);
        _db.StringSet($"p:{id}", JsonSerializer.Serialize(product), null, When.Always); // expect: CG0008
        return product;
    }

    public async Task<string?> HashAsync(int id)
    {
        var entries = await _db.HashGetAllAsync($"h:{id}"); // expect: CG0004
        if (entries.Length > 0) return entries[0].Value;
        var product = await _store.FindAsync(id);
        await _db.HashSetAsync($"h:{id}", new[] { new HashEntry("name", product?.Name) });
        await _db.KeyExpireAsync($"h:{id}", TimeSpan.FromSeconds(300 + Random.Shared.Next(30)));
        return product?.Name;
    }
}
