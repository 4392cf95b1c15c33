using CacheGuard;
using Microsoft.Extensions.Caching.Distributed;
using Microsoft.Extensions.Caching.Hybrid;
using Microsoft.Extensions.Caching.Memory;
namespace Eval.Families.Clean;

public class Session { public DateTimeOffset ExpiresAt { get; set; } public string Json { get; set; } = ""; }

public class CleanCaches
{
    private readonly IDistributedCache _distributed;
    private readonly IMemoryCache _memory;
    private readonly HybridCache _hybrid;
    public CleanCaches(IDistributedCache distributed, IMemoryCache memory, HybridCache hybrid)
    {
        _distributed = distributed;
        _memory = memory;
        _hybrid = hybrid;
    }

    public Task PutJitteredAsync(string key, string json) =>
        _distributed.SetStringAsync(key, json, new DistributedCacheEntryOptions
        {
            AbsoluteExpirationRelativeToNow = CacheTtl.Jitter(TimeSpan.FromMinutes(10)),
        });

    public Task PutSessionAsync(string key, Session session) =>
        _distributed.SetStringAsync(key, session.Json, new DistributedCacheEntryOptions { AbsoluteExpiration = session.ExpiresAt });

    public void PutRandom(string key, string value) =>
        _memory.Set(key, value, TimeSpan.FromSeconds(300 + Random.Shared.Next(30)));

    public ValueTask<string> GetAsync(string key, Func<CancellationToken, ValueTask<string>> load) =>
        _hybrid.GetOrCreateAsync(key, load);
}
