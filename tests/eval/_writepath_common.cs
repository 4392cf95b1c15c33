// Shared domain for the CG0002 / CG0006 write-path cases: compiled into every case.
using Microsoft.EntityFrameworkCore;

namespace WritePath;

public class Order { public int Id { get; set; } public string Status { get; set; } = ""; public decimal Total { get; set; } }
public class Customer { public int Id { get; set; } public string Email { get; set; } = ""; }

public interface IOrderRepository
{
    Task<Order?> GetAsync(int id);
    Task UpdateAsync(Order order);
    void Delete(int id);
}

public interface ICustomerStore
{
    Task<Customer?> LoadAsync(int id);
    Task<Customer?> ByEmailAsync(string email);
    Task ChangeEmailAsync(Customer customer);
    Task LoadOrdersAsync(Customer customer);
}

public interface IUnitOfWork { Task CommitAsync(); }

public class ShopDb : DbContext
{
    public DbSet<Order> Orders => Set<Order>();
    public DbSet<Customer> Customers => Set<Customer>();
}
