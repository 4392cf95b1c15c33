// "Not found" cached briefly, and cleared by the path that creates the entity.
using System.Text.Json;
using CacheGuard;
using StackExchange.Redis;

namespace ValidCode.NegativeCaching;

public sealed class CustomerLookup
{
    private const string Missing = "<missing>";
    private readonly IDatabase _db;
    private readonly ICustomerRepository _customers;
    private readonly SemaphoreSlim _gate = new(1, 1);

    public CustomerLookup(IDatabase db, ICustomerRepository customers)
    {
        _db = db;
        _customers = customers;
    }

    public async Task<Customer?> FindAsync(string email, CancellationToken cancellationToken)
    {
        var key = $"customer:{email}";
        var cached = await _db.StringGetAsync(key);
        if (cached.HasValue)
            return cached == Missing ? null : JsonSerializer.Deserialize<Customer>(cached.ToString());

        await _gate.WaitAsync(cancellationToken);
        try
        {
            cached = await _db.StringGetAsync(key);
            if (cached.HasValue)
                return cached == Missing ? null : JsonSerializer.Deserialize<Customer>(cached.ToString());

            var customer = await _customers.FindByEmailAsync(email, cancellationToken);
            if (customer is null)
                await _db.StringSetAsync(key, Missing, CacheTtl.Negative(), When.Always);
            else
                await _db.StringSetAsync(key, JsonSerializer.Serialize(customer), CacheTtl.Jitter(TimeSpan.FromMinutes(30)), When.Always);
            return customer;
        }
        finally
        {
            _gate.Release();
        }
    }

    public async Task RegisterAsync(Customer customer, CancellationToken cancellationToken)
    {
        await _customers.InsertAsync(customer, cancellationToken);
        // A lookup may have cached "missing" for this address a moment ago.
        await _db.KeyDeleteAsync($"customer:{customer.Email}");
    }
}

public sealed class SkuExistence
{
    private readonly IDatabase _db;
    private readonly IProductRepository _products;

    public SkuExistence(IDatabase db, IProductRepository products)
    {
        _db = db;
        _products = products;
    }

    public Task<bool> ExistsAsync(int id, CancellationToken cancellationToken) =>
        _db.GetOrSetAsync(
            $"exists:product:{id}",
            async ct => await _products.FindAsync(id, ct) is not null,
            new CacheEntryOptions { Ttl = TimeSpan.FromMinutes(10), NegativeTtl = TimeSpan.FromSeconds(15) },
            cancellationToken);
}
