// Correct code for CG0006: invalidation after the write, double delete, lock release, refresh.
using StackExchange.Redis;
namespace WritePath.Cg0006Clean;

public class CleanEditor
{
    private readonly ShopDb _db;
    private readonly IOrderRepository _orders;
    private readonly IDatabase _cache;
    public CleanEditor(ShopDb db, IOrderRepository orders, IDatabase cache) { _db = db; _orders = orders; _cache = cache; }

    public async Task CloseAsync(Order order)
    {
        await _orders.UpdateAsync(order);
        await _cache.KeyDeleteAsync($"order:{order.Id}");
    }

    public async Task RetotalAsync(Order order, decimal total)
    {
        await _cache.KeyDeleteAsync($"order:{order.Id}");
        order.Total = total;
        await _db.SaveChangesAsync();
        await _cache.KeyDeleteAsync($"order:{order.Id}");
    }

    public async Task ReindexAsync(string token)
    {
        if (!await _cache.LockTakeAsync("lock:reindex", token, TimeSpan.FromSeconds(30))) return;
        try { await Task.Yield(); }
        finally { await _cache.LockReleaseAsync("lock:reindex", token); }
        await _db.SaveChangesAsync();
    }

    public async Task<Order?> RefreshAsync(int id)
    {
        await _cache.KeyDeleteAsync($"order:{id}");
        return await _orders.GetAsync(id);
    }
}
