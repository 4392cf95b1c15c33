using System.Text.Json;
using StackExchange.Redis;
namespace Shop.C05;

public delegate Task<TResponse> RequestHandlerDelegate<TResponse>();

public class CachingBehavior<TResponse>
{
    private readonly IDatabase _db;
    public CachingBehavior(IDatabase db) => _db = db;

    public async Task<TResponse> Handle(string cacheKey, RequestHandlerDelegate<TResponse> next)
    {
        var cached = await _db.StringGetAsync(cacheKey); // expect: CG0004
        if (cached.HasValue) return JsonSerializer.Deserialize<TResponse>(cached.ToString())!;
        var response = await next();
        await _db.StringSetAsync(cacheKey, JsonSerializer.Serialize(response), TimeSpan.FromSeconds(60 + Random.Shared.Next(6)));
        return response;
    }
}

public static class Endpoints
{
    public static Func<IDatabase, IProductStore, int, Task<string?>> NameOf => async (db, store, id) =>
    {
        var v = await db.StringGetAsync($"name:{id}"); // expect: CG0004
        if (v.HasValue) return v.ToString();
        var p = await store.FindAsync(id);
        await db.StringSetAsync($"name:{id}", p?.Name, TimeSpan.FromSeconds(60 + Random.Shared.Next(6)));
        return p?.Name;
    };
}
