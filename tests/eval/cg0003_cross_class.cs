// CG0003: the lookup caches "not found" in one class; create paths live in other classes.
using System.Data;
using System.Text.Json;
using Dapper;
using Microsoft.EntityFrameworkCore;
using StackExchange.Redis;
namespace Eval.Cg0003;

public class Customer { public Guid Id { get; set; } public string Email { get; set; } = ""; public string Name { get; set; } = ""; }

public class ShopDb : DbContext
{
    public DbSet<Customer> Customers => Set<Customer>();
}

public interface ICustomerRepository
{
    Task<Customer?> GetAsync(Guid id);
    Task InsertAsync(Customer customer);
}

public static class CacheKeys
{
    public static string Customer(Guid id) => $"customer:{id}";
}

public class CustomerQueries
{
    private readonly IDatabase _cache;
    private readonly ICustomerRepository _customers;
    private readonly ShopDb _db;
    public CustomerQueries(IDatabase cache, ICustomerRepository customers, ShopDb db) { _cache = cache; _customers = customers; _db = db; }

    public async Task<Customer?> GetAsync(Guid id)
    {
        var customer = await _customers.GetAsync(id);
        await _cache.StringSetAsync(CacheKeys.Customer(id), JsonSerializer.Serialize(customer), TimeSpan.FromSeconds(20)); // allow: CG0001
        return customer;
    }

    public async Task<bool> EmailRegisteredAsync(string email)
    {
        var registered = await _db.Customers.AnyAsync(c => c.Email == email);
        if (!registered)
            await _cache.StringSetAsync($"email-registered:{email}", false, TimeSpan.FromSeconds(10)); // allow: CG0001
        return registered;
    }
}

public class CustomerCommands
{
    private readonly ICustomerRepository _customers;
    private readonly IDatabase _cache;
    public CustomerCommands(ICustomerRepository customers, IDatabase cache) { _customers = customers; _cache = cache; }

    public async Task<Guid> CreateCustomerAsync(string email, string name) // expect: CG0003
    {
        var customer = new Customer { Id = Guid.NewGuid(), Email = email, Name = name };
        await _customers.InsertAsync(customer);
        return customer.Id;
    }

    // Renaming an existing customer: not a create path.
    public async Task RenameAsync(Customer customer, string name)
    {
        customer.Name = name;
        await _customers.InsertAsync(customer);
        await _cache.KeyDeleteAsync(CacheKeys.Customer(customer.Id));
    }
}

public class SignUpHandler
{
    private readonly IDbConnection _connection;
    private readonly IConnectionMultiplexer _redis;
    public SignUpHandler(IDbConnection connection, IConnectionMultiplexer redis) { _connection = connection; _redis = redis; }

    public async Task RegisterAsync(string email, string name) // expect: CG0003
    {
        await _connection.ExecuteAsync("INSERT INTO customers (id, email, name) VALUES (@id, @email, @name)", new { id = Guid.NewGuid(), email, name });
    }
}

public class CustomerImport
{
    private readonly ShopDb _db;
    private readonly IDatabase _cache;
    public CustomerImport(ShopDb db, IDatabase cache) { _db = db; _cache = cache; }

    // Invalidates both negative entries after the insert: nothing to report.
    public async Task AddCustomerAsync(Customer customer)
    {
        _db.Customers.Add(customer);
        await _db.SaveChangesAsync();
        await _cache.KeyDeleteAsync(CacheKeys.Customer(customer.Id));
        await _cache.KeyDeleteAsync($"email-registered:{customer.Email}");
    }
}
