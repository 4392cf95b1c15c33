// Correct code for CG0002: reads that populate, projections, locks, counters, sessions.
using System.Text.Json;
using StackExchange.Redis;
namespace WritePath.Cg0002Clean;

public record OrderShipped(int Id, string Status);

public class CleanOrders
{
    private readonly IDatabase _db;
    private readonly IOrderRepository _orders;
    private readonly ICustomerStore _customers;
    private readonly ShopDb _ef;
    public CleanOrders(IDatabase db, IOrderRepository orders, ICustomerStore customers, ShopDb ef) { _db = db; _orders = orders; _customers = customers; _ef = ef; }

    // Cache-aside read: reading the database is no write.
    public async Task<Customer?> GetCustomerAsync(int id)
    {
        var raw = await _db.StringGetAsync($"customer:{id}"); // allow: CG0004
        if (!raw.IsNullOrEmpty) return JsonSerializer.Deserialize<Customer>(raw.ToString());
        var customer = await _customers.LoadAsync(id);
        if (customer is null) return null;
        await _customers.LoadOrdersAsync(customer);
        await _db.StringSetAsync($"customer:{id}", JsonSerializer.Serialize(customer), TimeSpan.FromSeconds(600 + Random.Shared.Next(60)));
        return customer;
    }

    // An event-driven projection: no database write here.
    public Task OnShippedAsync(OrderShipped e) =>
        _db.StringSetAsync($"order:{e.Id}:status", e.Status, TimeSpan.FromSeconds(600 + Random.Shared.Next(60)));

    // The write path invalidates; the lock, the counter and the session are not cached rows.
    public async Task<string?> ShipAsync(Order order, string token)
    {
        if (!await _db.StringSetAsync($"lock:order:{order.Id}", token, TimeSpan.FromSeconds(30), When.NotExists)) return null;
        order.Status = "shipped";
        await _orders.UpdateAsync(order);
        await _db.StringIncrementAsync("orders:shipped");
        var receipt = Guid.NewGuid().ToString("N");
        await _db.StringSetAsync($"receipt:{receipt}", order.Id, TimeSpan.FromMinutes(15)); // allow: CG0001
        await _db.KeyDeleteAsync($"order:{order.Id}");
        await _db.LockReleaseAsync($"lock:order:{order.Id}", token);
        return receipt;
    }

    // Sibling endpoint lambdas are two paths: the GET populates, the PUT invalidates.
    public void Map(Action<string, Delegate> map)
    {
        map("GET /orders/{id}", async (int id) =>
        {
            var order = await _orders.GetAsync(id);
            await _db.StringSetAsync($"order:{id}", JsonSerializer.Serialize(order), TimeSpan.FromSeconds(600 + Random.Shared.Next(60)));
            return order;
        });
        map("PUT /orders/{id}", async (Order order) =>
        {
            await _orders.UpdateAsync(order);
            await _db.KeyDeleteAsync($"order:{order.Id}");
        });
    }
}
