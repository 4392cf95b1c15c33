// Drawn from run-aspnetcore-microservices' CachedBasketRepository (shape only, rewritten): the textbook
// IDistributedCache cache-aside with cancellation tokens, `!string.IsNullOrEmpty`, SetStringAsync without
// options, beside a write-through StoreBasket and a DeleteBasket. Fixes: CG0004 -> GetOrSetJsonAsync,
// CG0008 -> entry options with a jittered TTL, CG0002 -> RemoveAsync after the write.
using System.Text.Json;
using Microsoft.Extensions.Caching.Distributed;
namespace Eval.Families.RealCodeBasket;

public class ShoppingCart { public string UserName { get; set; } = ""; public List<string> Items { get; set; } = new(); }

public interface IBasketRepository
{
    Task<ShoppingCart> GetBasket(string userName, CancellationToken cancellationToken = default);
    Task<ShoppingCart> StoreBasket(ShoppingCart basket, CancellationToken cancellationToken = default);
    Task<bool> DeleteBasket(string userName, CancellationToken cancellationToken = default);
}

public class CachedBasketRepository
    (IBasketRepository repository, IDistributedCache cache)
    : IBasketRepository
{
    public async Task<ShoppingCart> GetBasket(string userName, CancellationToken cancellationToken = default)
    {
        var cachedBasket = await cache.GetStringAsync(userName, cancellationToken); // expect: CG0004
        if (!string.IsNullOrEmpty(cachedBasket))
            return JsonSerializer.Deserialize<ShoppingCart>(cachedBasket)!;

        var basket = await repository.GetBasket(userName, cancellationToken);
        await cache.SetStringAsync(userName, JsonSerializer.Serialize(basket), cancellationToken); // expect: CG0008
        return basket;
    }

    public async Task<ShoppingCart> StoreBasket(ShoppingCart basket, CancellationToken cancellationToken = default)
    {
        await repository.StoreBasket(basket, cancellationToken);

        await cache.SetStringAsync(basket.UserName, JsonSerializer.Serialize(basket), cancellationToken); // expect: CG0002

        return basket;
    }

    public async Task<bool> DeleteBasket(string userName, CancellationToken cancellationToken = default)
    {
        await repository.DeleteBasket(userName, cancellationToken);

        await cache.RemoveAsync(userName, cancellationToken);

        return true;
    }
}
