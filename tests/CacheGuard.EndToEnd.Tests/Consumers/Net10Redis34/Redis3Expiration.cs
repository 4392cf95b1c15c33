using System;
using StackExchange.Redis;

namespace Consumer;

/// <summary>StackExchange.Redis 3.x: a fixed TTL passed as an Expiration.</summary>
public sealed class BannerCache
{
    private readonly IDatabase _db;

    public BannerCache(IDatabase db) => _db = db;

    public void Save(string banner) => _db.StringSet("banner", banner, new Expiration(TimeSpan.FromMinutes(10))); // CG0001
}
