using System;
using System.Collections.Generic;
using System.Threading.Tasks;
using Microsoft.Extensions.Caching.Distributed;

public interface ICacheService
{
    Task<T?> GetAsync<T>(string key);
    Task SetAsync<T>(string key, T value, TimeSpan? expiry);
}

public class DistributedCacheService : ICacheService
{
    private readonly IDistributedCache _cache;
    public DistributedCacheService(IDistributedCache cache) { _cache = cache; }
    public async Task<T?> GetAsync<T>(string key)
    {
        var json = await _cache.GetStringAsync(key);
        return json is null ? default : System.Text.Json.JsonSerializer.Deserialize<T>(json);
    }
    public async Task SetAsync<T>(string key, T value, TimeSpan? expiry) =>
        await _cache.SetStringAsync(key, System.Text.Json.JsonSerializer.Serialize(value), new DistributedCacheEntryOptions { AbsoluteExpirationRelativeToNow = expiry }); // expect: CG0001
}

public interface IGraph { Task<List<string>> QueryAsync(string q); }

public class Loader
{
    private readonly ICacheService _cache;
    private readonly IGraph _graph;
    public Loader(ICacheService cache, IGraph graph) { _cache = cache; _graph = graph; }

    public async Task<Dictionary<string, string>> PlainAsync(string id)
    {
        var key = $"vocab:{id}";
        var cached = await _cache.GetAsync<Dictionary<string, string>>(key); // expect: CG0004
        if (cached != null) return cached;
        var result = new Dictionary<string, string>();
        foreach (var row in await _graph.QueryAsync(id)) result[row] = row;
        await _cache.SetAsync(key, result, TimeSpan.FromMinutes(60));
        return result;
    }

    public async Task<Dictionary<string, string>> LocalFirstAsync(string id)
    {
        var key = $"local:{id}";
        var cached = await _cache.GetAsync<Dictionary<string, string>>(key); // expect: CG0004
        if (cached != null) return cached;
        var result = new Dictionary<string, string>();
        var rows = await _graph.QueryAsync(id);
        foreach (var row in rows) result[row] = row;
        await _cache.SetAsync(key, result, TimeSpan.FromMinutes(60));
        return result;
    }

    public async Task<List<string>> DirectAsync(string id)
    {
        var key = $"direct:{id}";
        var cached = await _cache.GetAsync<List<string>>(key); // expect: CG0004
        if (cached != null) return cached;
        var result = await _graph.QueryAsync(id);
        await _cache.SetAsync(key, result, TimeSpan.FromMinutes(60));
        return result;
    }

    public async Task<List<string>> DirectInTryAsync(string id)
    {
        var key = $"directtry:{id}";
        var cached = await _cache.GetAsync<List<string>>(key); // expect: CG0004
        if (cached != null) return cached;
        try
        {
            var result = await _graph.QueryAsync(id);
            await _cache.SetAsync(key, result, TimeSpan.FromMinutes(60));
            return result;
        }
        catch (Exception)
        {
            return new List<string>();
        }
    }

    public async Task<Dictionary<string, string>> InTryAsync(string id)
    {
        var key = $"syn:{id}";
        var cached = await _cache.GetAsync<Dictionary<string, string>>(key); // expect: CG0004
        if (cached != null) return cached;
        var result = new Dictionary<string, string>();
        try
        {
            foreach (var row in await _graph.QueryAsync(id)) result[row] = row;
            await _cache.SetAsync(key, result, TimeSpan.FromMinutes(60));
        }
        catch (Exception)
        {
        }
        return result;
    }
}
