using System;
using System.Threading.Tasks;
using StackExchange.Redis;

// Copied into every StackExchange.Redis consumer. Each "// CGxxxx" marks where that rule reports.
namespace Consumer;

public sealed class Post
{
    public int Id { get; set; }
    public string Title { get; set; } = "";
    public string Body { get; set; } = "";
}

public interface IPostRepository
{
    Task<Post> LoadAsync(int id);
    Post LoadBySlug(string slug);
    Task UpdateAsync(Post post);
}

/// <summary>CG0001: every tag cloud written after a deploy expires in the same second.</summary>
public sealed class TagCloudCache
{
    private static readonly TimeSpan CloudTtl = TimeSpan.FromMinutes(15);
    private readonly IDatabase _db;

    public TagCloudCache(IDatabase db) => _db = db;

    public Task SaveAsync(string site, string json) => _db.StringSetAsync("tag-cloud:" + site, json, CloudTtl); // CG0001
}

/// <summary>CG0002 and CG0006: the write path.</summary>
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
        await _db.StringSetAsync("post:" + post.Id, post.Title, TimeSpan.FromSeconds(300)); // CG0002, CG0001
    }

    public async Task RewriteAsync(Post post, string body)
    {
        await _db.KeyDeleteAsync("post:" + post.Id); // CG0006
        post.Body = body;
        await _posts.UpdateAsync(post);
    }
}

/// <summary>CG0007: released with a plain DEL, the lock can free someone else's.</summary>
public sealed class SitemapJob
{
    private readonly IDatabase _db;

    public SitemapJob(IDatabase db) => _db = db;

    public async Task RunAsync(Func<Task> build)
    {
        if (!await _db.StringSetAsync("lock:sitemap", Environment.MachineName, TimeSpan.FromMinutes(2), When.NotExists))
            return;
        try
        {
            await build();
        }
        finally
        {
            await _db.KeyDeleteAsync("lock:sitemap"); // CG0007
        }
    }
}

/// <summary>CG0004 (needs the runtime to fix) and CG0008.</summary>
public sealed class SlugIndex
{
    private readonly IDatabase _db;
    private readonly IPostRepository _posts;

    public SlugIndex(IDatabase db, IPostRepository posts)
    {
        _db = db;
        _posts = posts;
    }

    public int? IdOfSlug(string slug)
    {
        var cached = _db.StringGet("slug:" + slug); // CG0004
        if (cached.HasValue)
            return (int)cached;
        var post = _posts.LoadBySlug(slug);
        if (post == null)
            return null;
        _db.StringSet("slug:" + slug, post.Id); // CG0008
        return post.Id;
    }
}
