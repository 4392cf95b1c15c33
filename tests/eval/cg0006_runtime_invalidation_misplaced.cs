using CacheGuard;
using StackExchange.Redis;
namespace WritePath.Cg0006Runtime;

public class OrderCloser
{
    private readonly IOrderRepository _orders;
    private readonly IDatabase _cache;
    public OrderCloser(IOrderRepository orders, IDatabase cache) { _orders = orders; _cache = cache; }

    public async Task CloseAsync(Order order)
    {
        await _cache.InvalidateAsync($"order:{order.Id}"); // expect: CG0006
        order.Status = "closed";
        await _orders.UpdateAsync(order);
    }
}
