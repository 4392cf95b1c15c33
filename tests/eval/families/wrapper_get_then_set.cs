// CG0004 through the project's wrapper (CacheFamily.Wrapper operations in the shared model). Fix (session 4): the runtime's per-key lock around the miss path with a re-read; the wrapper calls stay as they are.
using StackExchange.Redis;
namespace Eval.Families.Wrapper;

public interface ICacheService
{
    Task<string?> GetAsync(string key);
    Task SetAsync(string key, string value, TimeSpan ttl);
}

public sealed class RedisCacheService : ICacheService
{
    private readonly IConnectionMultiplexer _redis;
    public RedisCacheService(IConnectionMultiplexer redis) => _redis = redis;

    public async Task<string?> GetAsync(string key)
    {
        var value = await _redis.GetDatabase().StringGetAsync(key);
        return value.IsNull ? null : value.ToString();
    }

    public Task SetAsync(string key, string value, TimeSpan ttl) =>
        _redis.GetDatabase().StringSetAsync(key, value, ttl); // expect: CG0001
}

public class PostPage
{
    private readonly ICacheService _cache;
    private readonly IPostStoreLite _store;
    public PostPage(ICacheService cache, IPostStoreLite store) { _cache = cache; _store = store; }

    public async Task<string> RenderAsync(int id)
    {
        var html = await _cache.GetAsync($"page:{id}"); // expect: CG0004
        if (html is not null) return html;
        html = await _store.RenderAsync(id);
        await _cache.SetAsync($"page:{id}", html, TimeSpan.FromMinutes(5));
        return html;
    }
}

public interface IPostStoreLite { Task<string> RenderAsync(int id); }
