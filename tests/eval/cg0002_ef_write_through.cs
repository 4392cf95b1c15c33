using System.Text.Json;
using StackExchange.Redis;
namespace WritePath.Cg0002Ef;

public class OrderService
{
    private readonly ShopDb _db;
    private readonly IDatabase _cache;
    public OrderService(ShopDb db, IDatabase cache) { _db = db; _cache = cache; }

    public async Task ShipAsync(int id)
    {
        var order = (await _db.Orders.FindAsync(id))!;
        order.Status = "shipped";
        await _db.SaveChangesAsync();
        await _cache.StringSetAsync($"order:{id}", JsonSerializer.Serialize(order), TimeSpan.FromMinutes(10)); // expect: CG0002, CG0001
    }

    public void Cancel(Order order)
    {
        order.Status = "cancelled";
        _cache.StringSet("order:" + order.Id, JsonSerializer.Serialize(order)); // expect: CG0002 // allow: CG0008
        _db.SaveChanges();
    }
}
