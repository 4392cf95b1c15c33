// CG0005: "not found" cached longer than the negative-TTL limit (30 s by default).
using System.Text.Json;
using StackExchange.Redis;
namespace Eval.Cg0005;

public record Product(int Id, string Sku, string Name);

public interface IProductRepository
{
    Task<Product?> FindBySkuAsync(string sku);
    Product? Find(int id);
    Task<bool> SkuExistsAsync(string sku);
}

public class ProductLookup
{
    private const string NotFound = "__NOT_FOUND__";
    private static readonly TimeSpan NegativeTtl = TimeSpan.FromMinutes(10);
    private static readonly TimeSpan ProductTtl = TimeSpan.FromHours(1);
    private readonly IDatabase _redis;
    private readonly IProductRepository _products;
    public ProductLookup(IDatabase redis, IProductRepository products) { _redis = redis; _products = products; }

    public async Task<Product?> BySkuAsync(string sku)
    {
        var product = await _products.FindBySkuAsync(sku);
        if (product is null)
        {
            await _redis.StringSetAsync($"product-sku:{sku}", NotFound, NegativeTtl); // expect: CG0005 // allow: CG0001
            return null;
        }
        await _redis.StringSetAsync($"product-sku:{sku}", JsonSerializer.Serialize(product), ProductTtl + TimeSpan.FromSeconds(Random.Shared.Next(120)));
        return product;
    }

    // The nullable result is serialized with the product TTL: a miss is cached for an hour.
    public Product? ById(int id)
    {
        var product = _products.Find(id);
        _redis.StringSet("product:" + id, JsonSerializer.Serialize(product), CacheGuard.CacheTtl.Jitter(ProductTtl), When.Always); // expect: CG0005
        return product;
    }

    public async Task<bool> SkuTakenAsync(string sku)
    {
        var exists = await _products.SkuExistsAsync(sku);
        if (!exists)
        {
            await _redis.StringSetAsync($"sku-taken:{sku}", "0", TimeSpan.FromMinutes(5)); // expect: CG0005 // allow: CG0001
            return false;
        }
        await _redis.StringSetAsync($"sku-taken:{sku}", "1", TimeSpan.FromHours(6) + TimeSpan.FromMinutes(Random.Shared.Next(30)));
        return true;
    }

    public async Task<Product?> BySkuEarlyReturnAsync(string sku)
    {
        var product = await _products.FindBySkuAsync(sku);
        if (product != null)
            return product;
        await _redis.StringSetAsync($"product-sku2:{sku}", RedisValue.EmptyString, new TimeSpan(0, 2, 0)); // expect: CG0005 // allow: CG0001
        return null;
    }
}

// Negative entries with short TTLs, or TTLs this analyzer cannot know: nothing to report.
public class ShortNegatives
{
    private readonly IDatabase _redis;
    private readonly IProductRepository _products;
    private readonly TimeSpan _configuredTtl;
    public ShortNegatives(IDatabase redis, IProductRepository products, TimeSpan configuredTtl) { _redis = redis; _products = products; _configuredTtl = configuredTtl; }

    public async Task<Product?> BySkuAsync(string sku)
    {
        var product = await _products.FindBySkuAsync(sku);
        if (product is null)
        {
            await _redis.StringSetAsync($"p:{sku}", "", TimeSpan.FromSeconds(15)); // allow: CG0001
            return null;
        }
        return product;
    }

    public async Task<Product?> ByRuntimeNegativeAsync(string sku)
    {
        var product = await _products.FindBySkuAsync(sku);
        if (product is null)
            await _redis.StringSetAsync($"q:{sku}", "", CacheGuard.CacheTtl.Negative());
        return product;
    }

    public async Task<Product?> ByConfiguredTtlAsync(string sku)
    {
        var product = await _products.FindBySkuAsync(sku);
        if (product is null)
            await _redis.StringSetAsync($"r:{sku}", "", _configuredTtl); // allow: CG0001
        return product;
    }

    // Serialized after the null check: a positive entry.
    public async Task<Product?> PositiveOnlyAsync(string sku)
    {
        var product = await _products.FindBySkuAsync(sku);
        if (product is null)
            return null;
        await _redis.StringSetAsync($"s:{sku}", JsonSerializer.Serialize(product), TimeSpan.FromMinutes(10) + TimeSpan.FromSeconds(Random.Shared.Next(60)));
        return product;
    }
}
