using System.Text.Json;
using StackExchange.Redis;

namespace CacheGuard.Behavior.Tests.WritePath;

/// <summary>A post service as the samples write it: a read path and a write path over one cache key.</summary>
public interface IPostService
{
    Task<PostRow?> GetAsync(int id);

    /// <summary>Retitles the post; returns the version committed. <paramref name="afterCommit"/> is a pause between the commit and the cache call (a GC pause, a slow network).</summary>
    Task<long> RetitleAsync(int id, string title, Func<long, Task> afterCommit);
}

/// <summary>
/// Before: the write path writes the new value into the cache (CG0002), the read path is plain
/// cache-aside (CG0004).
/// </summary>
public sealed class SetOnWritePostService(IDatabase cache, PostTable posts) : IPostService
{
    public async Task<PostRow?> GetAsync(int id)
    {
        var raw = await cache.StringGetAsync(Key(id));
        if (raw.HasValue)
            return JsonSerializer.Deserialize<PostRow>(raw.ToString());
        var post = await posts.LoadAsync(id);
        if (post is not null)
            await cache.StringSetAsync(Key(id), JsonSerializer.Serialize(post), TimeSpan.FromMinutes(5));
        return post;
    }

    public async Task<long> RetitleAsync(int id, string title, Func<long, Task> afterCommit)
    {
        var version = await posts.UpdateTitleAsync(id, title);
        await afterCommit(version);
        await cache.StringSetAsync(Key(id), JsonSerializer.Serialize(new PostRow(id, version, title)), TimeSpan.FromMinutes(5)); // CG0002
        return version;
    }

    public static string Key(int id) => $"post:{id}";
}

/// <summary>
/// After CacheGuard's fixes: CG0002's rewrite of the write path (the runtime's fenced invalidation
/// after the commit) and CG0004's rewrite of the read path (the runtime's GetOrSet).
/// </summary>
public sealed class InvalidatingPostService(IDatabase cache, PostTable posts) : IPostService
{
    public Task<PostRow?> GetAsync(int id) =>
        cache.GetOrSetAsync(Key(id), _ => posts.LoadAsync(id), TimeSpan.FromMinutes(5));

    public async Task<long> RetitleAsync(int id, string title, Func<long, Task> afterCommit)
    {
        var version = await posts.UpdateTitleAsync(id, title);
        await afterCommit(version);
        await cache.InvalidateAsync(Key(id));
        return version;
    }

    public static string Key(int id) => $"post:{id}";
}
