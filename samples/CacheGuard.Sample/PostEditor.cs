using System.Text.Json;
using StackExchange.Redis;

namespace Sample;

/// <summary>Hole 2: the write path writes the cache instead of invalidating it.</summary>
public sealed class PostEditor
{
    private readonly IDatabase _db;
    private readonly IPostRepository _posts;

    public PostEditor(IDatabase db, IPostRepository posts)
    {
        _db = db;
        _posts = posts;
    }

    public async Task RetitleAsync(Post post, string title)
    {
        post.Title = title;
        await _posts.UpdateAsync(post);
        await _db.StringSetAsync($"post:{post.Id}", JsonSerializer.Serialize(post), TimeSpan.FromSeconds(300 + Random.Shared.Next(30))); // CG0002
    }

    public async Task RewriteAsync(Post post, string body)
    {
        await _db.KeyDeleteAsync($"post:{post.Id}"); // CG0006
        post.Body = body;
        await _posts.UpdateAsync(post);
    }
}
