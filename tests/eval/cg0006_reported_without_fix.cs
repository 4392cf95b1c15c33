// Reported, but "after the last write" is ambiguous: the diagnostics stay and no fix is offered (NOFIX by design).
using StackExchange.Redis;
namespace WritePath.Cg0006NoFix;

public class BulkEditor
{
    private readonly IOrderRepository _orders;
    private readonly ShopDb _db;
    private readonly IDatabase _cache;
    public BulkEditor(IOrderRepository orders, ShopDb db, IDatabase cache) { _orders = orders; _db = db; _cache = cache; }

    // The writes run in a loop.
    public async Task CloseAllAsync(int customerId, IEnumerable<Order> orders)
    {
        await _cache.KeyDeleteAsync($"customer:{customerId}:orders"); // expect: CG0006
        foreach (var order in orders)
            await _orders.UpdateAsync(order);
    }

    // The write is inside a retry lambda.
    public async Task SaveWithRetryAsync(Order order, Func<Func<Task>, Task> retry)
    {
        await _cache.KeyDeleteAsync($"order:{order.Id}"); // expect: CG0006
        await retry(() => _db.SaveChangesAsync());
    }
}
