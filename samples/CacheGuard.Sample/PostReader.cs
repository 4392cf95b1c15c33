using System.Text.Json;
using StackExchange.Redis;

namespace Sample;

/// <summary>Holes 1 and 4: the classic unguarded cache-aside read.</summary>
public sealed class PostReader
{
    private readonly IDatabase _db;
    private readonly IPostRepository _posts;

    public PostReader(IDatabase db, IPostRepository posts)
    {
        _db = db;
        _posts = posts;
    }

    public async Task<Post?> GetAsync(int id)
    {
        var raw = await _db.StringGetAsync($"post:{id}"); // CG0004
        if (!raw.IsNullOrEmpty)
            return JsonSerializer.Deserialize<Post>(raw.ToString());
        var post = await _posts.LoadAsync(id);
        if (post is null)
            return null;
        await _db.StringSetAsync($"post:{id}", JsonSerializer.Serialize(post), TimeSpan.FromMinutes(5)); // CG0001
        return post;
    }

    public int? IdOfSlug(string slug)
    {
        var cached = _db.StringGet("slug:" + slug); // CG0004
        if (cached.HasValue)
            return (int)cached;
        var post = _posts.LoadBySlug(slug);
        if (post is null)
            return null;
        _db.StringSet("slug:" + slug, post.Id); // CG0008
        return post.Id;
    }
}
