// Shapes from the issue-18 review of real code bases that were reported as write-throughs
// (CG0002), factories (CG0004) or unbounded populates (CG0008) but are none of them.
using CacheGuard;
using Microsoft.Extensions.Caching.Distributed;
using Microsoft.Extensions.Caching.Memory;
using Microsoft.Extensions.Primitives;
using StackExchange.Redis;

namespace ValidCode.RealCodeNotWritePathsOrFactories;

public sealed class Basket
{
    public Guid Id { get; set; }
    public List<string> Lines { get; } = new();
}

public interface IBasketFactory
{
    Basket Create();
}

// A parameterless Create() builds an object in memory: it is not a database write, and the
// basket is kept in Redis as the store (no read falls back to a load).
public sealed class BasketStore(IDatabase db, IBasketFactory factory)
{
    public async Task<Basket> StartAsync()
    {
        var basket = factory.Create();
        await db.StringSetAsync($"basket:{basket.Id}", System.Text.Json.JsonSerializer.Serialize(basket));
        return basket;
    }
}

// A token provider that keeps issued tokens in IDistributedCache: generating a token is not a
// cache write of the entity the caller just saved.
public sealed class CacheTokenProvider(IDistributedCache cache)
{
    public async Task<string> GenerateTokenAsync(string name, string userId, CancellationToken ct)
    {
        var token = Guid.NewGuid().ToString("N");
        await cache.SetStringAsync($"{name}:{userId}", token, new DistributedCacheEntryOptions
        {
            AbsoluteExpirationRelativeToNow = TimeSpan.FromHours(2),
        }, ct);
        return token;
    }
}

public interface IUserStore
{
    Task UpdateAsync(string userId, string email, CancellationToken ct);
}

public sealed class ChangeEmail(IUserStore users, CacheTokenProvider tokens)
{
    public async Task<string> RunAsync(string userId, string email, CancellationToken ct)
    {
        await users.UpdateAsync(userId, email, ct);
        return await tokens.GenerateTokenAsync("confirm-email", userId, ct);
    }
}

// A preview kept under a freshly minted key: a temporary store, never read back from a load.
public sealed class PreviewStore(IDatabase db)
{
    public async Task<Guid> SaveDraftPreviewAsync(string html)
    {
        var id = Guid.NewGuid();
        await db.StringSetAsync($"preview:{id}", html, TimeSpan.FromMinutes(30));
        return id;
    }
}

// Memos of cheap in-memory computations: no I/O, no delegate from the caller, so no stampede
// (CG0004 needs a factory). Their TTLs are jittered, so CG0001 has nothing to say either.
public sealed class Memos(IMemoryCache cache)
{
    public int LuckyNumber(string user)
    {
        if (cache.TryGetValue($"lucky:{user}", out int n))
            return n;
        n = Random.Shared.Next(1, 100);
        cache.Set($"lucky:{user}", n, CacheTtl.Jitter(TimeSpan.FromMinutes(30)));
        return n;
    }

    public ClientInfo ParseUserAgent(string userAgent)
    {
        if (cache.TryGetValue(userAgent, out ClientInfo? info) && info is not null)
            return info;
        info = ClientInfo.Parse(userAgent);
        cache.Set(userAgent, info, CacheTtl.Jitter(TimeSpan.FromHours(1)));
        return info;
    }

    public Version ParseVersion(string text)
    {
        var parsed = cache.Get<Version>("version:" + text);
        if (parsed is null)
        {
            parsed = Version.Parse(text.Trim().TrimStart('v'));
            cache.Set("version:" + text, parsed, CacheTtl.Jitter(TimeSpan.FromHours(1)));
        }
        return parsed;
    }
}

public sealed record ClientInfo(string Browser, string Os)
{
    public static ClientInfo Parse(string userAgent)
    {
        var browser = userAgent.Contains("Firefox", StringComparison.Ordinal) ? "Firefox" : "Other";
        var os = userAgent.Contains("Windows", StringComparison.Ordinal) ? "Windows" : "Other";
        return new ClientInfo(browser, os);
    }
}

public interface ITemplateFiles
{
    Task<string> ReadAsync(string path, CancellationToken ct);
    IChangeToken Watch(string path);
}

// An entry bounded by a file change token: it goes when the file changes, so no expiry is needed.
public sealed class TemplateCache(IMemoryCache cache, ITemplateFiles files)
{
    private readonly SemaphoreSlim _gate = new(1, 1);

    public async Task<string> GetAsync(string path, CancellationToken ct)
    {
        if (cache.TryGetValue("template:" + path, out string? text) && text is not null)
            return text;
        await _gate.WaitAsync(ct);
        try
        {
            if (cache.TryGetValue("template:" + path, out text) && text is not null)
                return text;
            text = await files.ReadAsync(path, ct);
            var options = new MemoryCacheEntryOptions();
            options.AddExpirationToken(files.Watch(path));
            cache.Set("template:" + path, text, options);
            return text;
        }
        finally
        {
            _gate.Release();
        }
    }
}
