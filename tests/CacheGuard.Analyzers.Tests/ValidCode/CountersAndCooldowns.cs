// Counters with a window and cooldown flags: their TTL is the point (a rate window, a quiet
// period), not the lifetime of a cached copy, so it is fixed on purpose.
using StackExchange.Redis;

namespace ValidCode.CountersAndCooldowns;

public sealed class RateLimiter
{
    private static readonly TimeSpan Window = TimeSpan.FromMinutes(1);
    private readonly IDatabase _db;

    public RateLimiter(IDatabase db) => _db = db;

    public async Task<bool> TryAcquireAsync(string client, int limit)
    {
        var key = $"rate:{client}:{DateTimeOffset.UtcNow.ToUnixTimeSeconds() / 60}";
        var count = await _db.StringIncrementAsync(key);
        if (count == 1)
            await _db.KeyExpireAsync(key, Window);
        return count <= limit;
    }

    public bool TryAcquire(string client, int limit)
    {
        var key = "rate:" + client;
        var count = _db.StringIncrement(key);
        _db.KeyExpire(key, TimeSpan.FromSeconds(60), ExpireWhen.HasNoExpiry);
        return count <= limit;
    }
}

public sealed class ViewCounter
{
    private readonly IDatabase _db;

    public ViewCounter(IDatabase db) => _db = db;

    public Task<long> CountAsync(int productId) => _db.StringIncrementAsync($"views:{productId}");

    public Task<long> CountByDayAsync(int productId) =>
        _db.HashIncrementAsync($"views:{productId}:daily", DateTime.UtcNow.ToString("yyyy-MM-dd"));
}

public sealed class Cooldowns
{
    private readonly IDatabase _db;

    public Cooldowns(IDatabase db) => _db = db;

    /// <summary>At most one password-reset mail per address per 15 minutes.</summary>
    public Task<bool> TryStartResetCooldownAsync(string email) =>
        _db.StringSetAsync($"cooldown:reset:{email}", true, TimeSpan.FromMinutes(15), When.NotExists);

    public bool TryStartDigestCooldown(int customerId) =>
        _db.StringSet("cooldown:digest:" + customerId, true, TimeSpan.FromHours(24), When.NotExists);

    public Task<bool> IsCoolingDownAsync(string email) => _db.KeyExistsAsync($"cooldown:reset:{email}");
}

public sealed class IdempotencyKeys
{
    private readonly IDatabase _db;

    public IdempotencyKeys(IDatabase db) => _db = db;

    /// <summary>Records the request id once; a retry within a day is recognized as a duplicate.</summary>
    public Task<bool> TryRecordAsync(string requestId, string handler) =>
        _db.StringSetAsync($"idem:{requestId}", handler, TimeSpan.FromDays(1), When.NotExists);
}
