using StackExchange.Redis;
namespace WritePath.Cg0006;

public class OrderEditor
{
    private readonly ShopDb _db;
    private readonly IOrderRepository _orders;
    private readonly ICustomerStore _customers;
    private readonly IDatabase _cache;
    public OrderEditor(ShopDb db, IOrderRepository orders, ICustomerStore customers, IDatabase cache) { _db = db; _orders = orders; _customers = customers; _cache = cache; }

    public async Task<bool> RetotalAsync(int id, decimal total)
    {
        _cache.KeyDelete($"order:{id}"); // expect: CG0006
        var order = await _db.Orders.FindAsync(id);
        if (order is null) return false;
        order.Total = total;
        await _db.SaveChangesAsync();
        return true;
    }

    public void Remove(int id)
    {
        _cache.KeyDelete("order:" + id); // expect: CG0006
        _orders.Delete(id);
    }

    public async Task ChangeEmailAsync(Customer customer)
    {
        await _cache.KeyDeleteAsync($"customer:{customer.Id}"); // expect: CG0006
        await _customers.ChangeEmailAsync(customer);
    }
}
