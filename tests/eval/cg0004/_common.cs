// Shared domain for the CG0004/CG0008 cases: compiled into every case.
using Microsoft.EntityFrameworkCore;

namespace Shop;

public class Product { public int Id { get; set; } public string Sku { get; set; } = ""; public string Name { get; set; } = ""; }

public interface IProductStore
{
    Task<Product?> FindAsync(int id);
    Product? Find(int id);
    Task<Product?> BySkuAsync(string sku);
}

public class ShopDb : DbContext
{
    public DbSet<Product> Products => Set<Product>();
}

public static class Keys
{
    public static string Product(int id) => $"product:{id}";
}
