// Shared domain of the valid-code corpus: compiled beside every file of it.
using Microsoft.EntityFrameworkCore;

namespace ValidCode;

public sealed class Product
{
    public int Id { get; set; }
    public string Sku { get; set; } = "";
    public string Name { get; set; } = "";
    public decimal Price { get; set; }
}

public sealed class Customer
{
    public int Id { get; set; }
    public string Email { get; set; } = "";
    public string Name { get; set; } = "";
}

public sealed class AccessToken
{
    public string Value { get; set; } = "";
    public DateTimeOffset ExpiresAt { get; set; }
}

public interface IProductRepository
{
    Task<Product?> FindAsync(int id, CancellationToken cancellationToken = default);
    Product? Find(int id);
    Task UpdateAsync(Product product, CancellationToken cancellationToken = default);
    Task<IReadOnlyList<Product>> ListFeaturedAsync(CancellationToken cancellationToken = default);
}

public interface ICustomerRepository
{
    Task<Customer?> FindByEmailAsync(string email, CancellationToken cancellationToken = default);
    Task InsertAsync(Customer customer, CancellationToken cancellationToken = default);
}

public interface ITokenClient
{
    Task<AccessToken> RequestTokenAsync(string audience, CancellationToken cancellationToken = default);
}

public sealed class ShopDb : DbContext
{
    public ShopDb(DbContextOptions<ShopDb> options) : base(options) { }

    public DbSet<Product> Products => Set<Product>();
    public DbSet<Customer> Customers => Set<Customer>();
}
