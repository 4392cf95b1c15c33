using System.Text.Json;
using StackExchange.Redis;
namespace WritePath.Cg0002Repo;

public class CustomerProfile
{
    private readonly ICustomerStore _store;
    private readonly IOrderRepository _orders;
    private readonly IUnitOfWork _uow;
    private readonly IDatabase _db;
    public CustomerProfile(ICustomerStore store, IOrderRepository orders, IUnitOfWork uow, IDatabase db) { _store = store; _orders = orders; _uow = uow; _db = db; }

    // "ChangeEmail" is no write verb: a store-shaped call that takes the entity and returns Task is a write.
    public async Task ChangeEmailAsync(Customer customer, string email)
    {
        customer.Email = email;
        await _store.ChangeEmailAsync(customer);
        await _db.StringSetAsync($"customer:{customer.Id}", JsonSerializer.Serialize(customer), TimeSpan.FromSeconds(300 + Random.Shared.Next(30))); // expect: CG0002
    }

    public async Task CloseAsync(Order order)
    {
        order.Status = "closed";
        await _orders.UpdateAsync(order);
        await _db.StringSetAsync($"order:{order.Id}", JsonSerializer.Serialize(order), TimeSpan.FromSeconds(300 + Random.Shared.Next(30))); // expect: CG0002
        await _uow.CommitAsync();
    }
}
