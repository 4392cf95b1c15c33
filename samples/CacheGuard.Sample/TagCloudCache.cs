using StackExchange.Redis;

namespace Sample;

/// <summary>Hole 1: every tag cloud written after a deploy expires in the same second.</summary>
public sealed class TagCloudCache
{
    private static readonly TimeSpan CloudTtl = TimeSpan.FromMinutes(15);
    private readonly IDatabase _db;

    public TagCloudCache(IDatabase db) => _db = db;

    public Task SaveAsync(string site, string json) => _db.StringSetAsync($"tag-cloud:{site}", json, CloudTtl); // CG0001
}
