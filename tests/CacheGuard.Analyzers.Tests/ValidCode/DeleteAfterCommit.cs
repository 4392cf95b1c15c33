// Write paths that commit the database first and then delete (or invalidate) the cached copy,
// so the next reader repopulates from the committed row.
using System.Data.Common;
using CacheGuard;
using Dapper;
using Microsoft.EntityFrameworkCore;
using StackExchange.Redis;

namespace ValidCode.DeleteAfterCommit;

public sealed class ProductWriter
{
    private readonly ShopDb _shop;
    private readonly IDatabase _cache;

    public ProductWriter(ShopDb shop, IDatabase cache)
    {
        _shop = shop;
        _cache = cache;
    }

    public async Task RenameAsync(int id, string name, CancellationToken cancellationToken)
    {
        var product = await _shop.Products.SingleAsync(p => p.Id == id, cancellationToken);
        product.Name = name;
        await _shop.SaveChangesAsync(cancellationToken);
        await _cache.KeyDeleteAsync($"product:{id}");
    }

    public async Task RepriceAsync(int id, decimal price, CancellationToken cancellationToken)
    {
        var product = await _shop.Products.SingleAsync(p => p.Id == id, cancellationToken);
        product.Price = price;
        await _shop.SaveChangesAsync(cancellationToken);
        // Both the entry and the listing that shows it.
        await _cache.KeyDeleteAsync(new RedisKey[] { $"product:{id}", "products:featured" });
    }

    public void Remove(int id)
    {
        var product = _shop.Products.Single(p => p.Id == id);
        _shop.Products.Remove(product);
        _shop.SaveChanges();
        _cache.KeyDelete($"product:{id}");
    }
}

public sealed class PriceWriter
{
    private readonly DbConnection _connection;
    private readonly IDatabase _cache;

    public PriceWriter(DbConnection connection, IDatabase cache)
    {
        _connection = connection;
        _cache = cache;
    }

    public async Task SetPriceAsync(int id, decimal price)
    {
        await _connection.ExecuteAsync("update products set price = @price where id = @id", new { id, price });
        await _cache.InvalidateAsync($"product:{id}");
    }

    public void SetPriceWithCommand(int id, decimal price)
    {
        using var command = _connection.CreateCommand();
        command.CommandText = "update products set price = @price where id = @id";
        var idParameter = command.CreateParameter();
        idParameter.ParameterName = "id";
        idParameter.Value = id;
        command.Parameters.Add(idParameter);
        var priceParameter = command.CreateParameter();
        priceParameter.ParameterName = "price";
        priceParameter.Value = price;
        command.Parameters.Add(priceParameter);
        command.ExecuteNonQuery();
        _cache.Invalidate($"product:{id}");
    }
}

public sealed class ProductService
{
    private readonly IProductRepository _products;
    private readonly IDatabase _cache;

    public ProductService(IProductRepository products, IDatabase cache)
    {
        _products = products;
        _cache = cache;
    }

    public async Task UpdateAsync(Product product, CancellationToken cancellationToken)
    {
        await _products.UpdateAsync(product, cancellationToken);
        await _cache.InvalidateAsync($"product:{product.Id}", cancellationToken);
    }
}

/// <summary>An event projection: no database write here, the cache is the read model.</summary>
public sealed class ProductRenamedProjection
{
    private readonly IDatabase _cache;

    public ProductRenamedProjection(IDatabase cache) => _cache = cache;

    public Task HandleAsync(int productId) => _cache.KeyDeleteAsync($"product:{productId}");
}
