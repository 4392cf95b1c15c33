// Shared domain for the fix-coverage cases (issue 17): shapes drawn from the real-code corpus
// (service classes over IMemoryCache, IDistributedCache, HybridCache and StackExchange.Redis),
// written anew. Compiled into every case.
using Microsoft.EntityFrameworkCore;

namespace RealShapes;

public class Product { public int Id { get; set; } public string Name { get; set; } = ""; public decimal Price { get; set; } }
public class Tag { public int Id { get; set; } public string Name { get; set; } = ""; }
public class Site { public int Id { get; set; } public string Host { get; set; } = ""; }

public interface IProductRepository
{
    Task<Product?> GetAsync(int id);
    Task<List<Product>> GetAllAsync();
    List<Site> GetSites();
    Task UpdateAsync(Product product);
}

public class CatalogDb : DbContext
{
    public DbSet<Product> Products => Set<Product>();
    public DbSet<Tag> Tags => Set<Tag>();
}
