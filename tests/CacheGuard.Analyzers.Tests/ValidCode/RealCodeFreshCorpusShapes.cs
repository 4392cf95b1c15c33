// Shapes from the review of four code bases the rules were not tuned on (eShopOnWeb, Ocelot, BTCPay Server,
// Blog.Core; tests/realcode/labels.tsv): keys written through cache APIs that are not cache entries, and a
// call named like a repository write that only changes memory. None of them carries a CacheGuard diagnostic.
using System.Collections.Concurrent;
using System.Text.Json;
using Microsoft.Extensions.Caching.Distributed;
using Microsoft.Extensions.Caching.Memory;

namespace ValidCode.RealCodeFreshCorpusShapes;

// A logged-out cookie's revocation record (eShopOnWeb): the value is the key's own part, the reader only asks
// whether the key exists. Its lifetime is the cookie's, by design: nothing is loaded when it expires.
public static class CookieSettings
{
    public const int ValidityMinutes = 60;
}

public sealed class LogoutRecorder(IMemoryCache cache)
{
    public void RecordLogout(string userId, string identityKey)
    {
        cache.Set($"{userId}:{identityKey}", identityKey, new MemoryCacheEntryOptions
        {
            AbsoluteExpiration = DateTime.Now.AddMinutes(CookieSettings.ValidityMinutes),
        });
    }

    public bool IsRevoked(string userId, string identityKey) => cache.TryGetValue($"{userId}:{identityKey}", out _);
}

// A rate limiter's storage (Ocelot): the counter lives for its window, and the window is the point of the TTL.
public sealed class RateLimitCounter
{
    public DateTime StartedAt { get; set; }
    public long Count { get; set; }
}

public interface IRateLimitStorage
{
    void Set(string id, RateLimitCounter counter, TimeSpan window);
    RateLimitCounter? Get(string id);
}

public sealed class DistributedCacheRateLimitStorage(IDistributedCache cache) : IRateLimitStorage
{
    public void Set(string id, RateLimitCounter counter, TimeSpan window) =>
        cache.SetString(id, JsonSerializer.Serialize(counter), new DistributedCacheEntryOptions().SetAbsoluteExpiration(window));

    public RateLimitCounter? Get(string id) =>
        cache.GetString(id) is { Length: > 0 } json ? JsonSerializer.Deserialize<RateLimitCounter>(json) : null;
}

public sealed class MemoryCacheRateLimitStorage(IMemoryCache cache) : IRateLimitStorage
{
    public void Set(string id, RateLimitCounter counter, TimeSpan window) => cache.Set(id, counter, window);

    public RateLimitCounter? Get(string id) => cache.TryGetValue(id, out RateLimitCounter? counter) ? counter : null;
}

public sealed class RateLimiter(IRateLimitStorage storage)
{
    private static readonly TimeSpan Period = TimeSpan.FromMinutes(1);

    public bool TryCount(string client)
    {
        var id = "client:" + client;
        var counter = storage.Get(id) ?? new RateLimitCounter { StartedAt = DateTime.UtcNow };
        counter.Count++;
        storage.Set(id, counter, Period + TimeSpan.FromSeconds(1));
        return counter.Count <= 100;
    }
}

// A one-time login code (BTCPay Server): the key is minted from random bytes, the code is used once.
public static class RandomUtils
{
    public static byte[] GetBytes(int length)
    {
        var bytes = new byte[length];
        System.Security.Cryptography.RandomNumberGenerator.Fill(bytes);
        return bytes;
    }
}

public sealed class LoginCodes(IMemoryCache cache)
{
    public static readonly TimeSpan Validity = TimeSpan.FromSeconds(60);

    private static string KeyOf(string code) => $"login-code_{code.ToLowerInvariant()}";

    public string Issue(string userId)
    {
        var code = Convert.ToHexString(RandomUtils.GetBytes(20));
        cache.Set(KeyOf(code), userId, Validity);
        return code;
    }

    public string? Redeem(string code)
    {
        if (!cache.TryGetValue(KeyOf(code), out string? userId))
            return null;
        cache.Remove(KeyOf(code));
        return userId;
    }
}

// A payment listener (BTCPay Server): on start-up it warms the cache with what the repository holds, then
// hands invoices to an in-memory listener whose AddListened is named like a repository write but only adds to a
// dictionary. The cache write is a populate of loaded rows, not a write-through.
public sealed class Invoice
{
    public string Id { get; set; } = "";
    public DateTimeOffset ExpiresAt { get; set; }
}

public interface IInvoiceRepository
{
    Task<IReadOnlyList<Invoice>> GetMonitoredAsync(CancellationToken cancellationToken);
}

public sealed class InstanceListener
{
    private readonly ConcurrentDictionary<string, Invoice> _listened = new();

    public bool AddListened(Invoice invoice) => Track(invoice.Id, invoice);

    private bool Track(string id, Invoice invoice) => _listened.TryAdd(id, invoice);
}

public sealed class PaymentListener(IInvoiceRepository invoices, IMemoryCache cache)
{
    private readonly InstanceListener _listener = new();

    public async Task StartAsync(CancellationToken cancellationToken)
    {
        foreach (var invoice in await invoices.GetMonitoredAsync(cancellationToken))
        {
            cache.Set("invoice-" + invoice.Id, invoice, invoice.ExpiresAt);
            _listener.AddListened(invoice);
        }
    }
}
