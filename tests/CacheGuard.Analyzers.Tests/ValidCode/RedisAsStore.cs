// Redis as the system of record for data that lives only there: no read-then-populate from a
// database, so no TTL or single-flight is owed.
using System.Text.Json;
using StackExchange.Redis;

namespace ValidCode.RedisAsStore;

public sealed record BasketLine(int ProductId, int Quantity);

public sealed class BasketStore
{
    private readonly IDatabase _db;

    public BasketStore(IDatabase db) => _db = db;

    public async Task<IReadOnlyList<BasketLine>> GetAsync(string customerId)
    {
        var data = await _db.StringGetAsync($"basket:{customerId}");
        if (data.IsNullOrEmpty)
            return Array.Empty<BasketLine>();
        return JsonSerializer.Deserialize<List<BasketLine>>(data.ToString()) ?? new List<BasketLine>();
    }

    public Task<bool> SaveAsync(string customerId, IReadOnlyList<BasketLine> lines) =>
        _db.StringSetAsync($"basket:{customerId}", JsonSerializer.Serialize(lines));

    public Task<bool> DeleteAsync(string customerId) => _db.KeyDeleteAsync($"basket:{customerId}");
}

public sealed class ProfileStore
{
    private readonly IDatabase _db;

    public ProfileStore(IDatabase db) => _db = db;

    public Task SaveAsync(string userId, string displayName, string theme) =>
        _db.HashSetAsync($"profile:{userId}", new[]
        {
            new HashEntry("displayName", displayName),
            new HashEntry("theme", theme),
        });

    public async Task<string?> ThemeAsync(string userId)
    {
        var theme = await _db.HashGetAsync($"profile:{userId}", "theme");
        return theme.IsNull ? null : theme.ToString();
    }
}

public sealed class Leaderboard
{
    private readonly IDatabase _db;

    public Leaderboard(IDatabase db) => _db = db;

    public Task<double> AddScoreAsync(string board, string player, double points) =>
        _db.SortedSetIncrementAsync($"board:{board}", player, points);

    public Task<SortedSetEntry[]> TopAsync(string board, int count) =>
        _db.SortedSetRangeByRankWithScoresAsync($"board:{board}", 0, count - 1, Order.Descending);
}

public sealed class RecentlyViewed
{
    private readonly IDatabase _db;

    public RecentlyViewed(IDatabase db) => _db = db;

    public async Task PushAsync(string userId, int productId)
    {
        var key = $"recent:{userId}";
        await _db.ListLeftPushAsync(key, productId);
        await _db.ListTrimAsync(key, 0, 19);
    }
}
