using Microsoft.EntityFrameworkCore;
using Microsoft.Extensions.Caching.Distributed;
using Microsoft.Extensions.Caching.Memory;
using System.Text.Json;
// CG0002, CG0004, CG0006, CG0008 over IDistributedCache and IMemoryCache, through the shared model (reported; their fixes target IDatabase).
namespace Eval.Families.OtherRules;

public class Post { public int Id { get; set; } public string Title { get; set; } = ""; }
public class Db : DbContext { public DbSet<Post> Posts => Set<Post>(); }
public interface IPosts { Task<Post?> LoadAsync(int id); Task InsertAsync(Post p); }

public class DistributedPosts
{
    private readonly IDistributedCache _cache;
    private readonly Db _db;
    private readonly IPosts _posts;
    public DistributedPosts(IDistributedCache cache, Db db, IPosts posts) { _cache = cache; _db = db; _posts = posts; }

    public async Task<Post?> GetAsync(int id)
    {
        var json = await _cache.GetStringAsync($"post:{id}"); // expect: CG0004
        if (json is not null) return JsonSerializer.Deserialize<Post>(json);
        var post = await _posts.LoadAsync(id);
        await _cache.SetStringAsync($"post:{id}", JsonSerializer.Serialize(post)); // expect: CG0008
        return post;
    }

    public async Task UpdateAsync(Post post)
    {
        _db.Posts.Update(post);
        await _db.SaveChangesAsync();
        await _cache.SetStringAsync($"post:{post.Id}", JsonSerializer.Serialize(post)); // expect: CG0002
    }

    public async Task RenameAsync(Post post)
    {
        await _cache.RemoveAsync($"post:{post.Id}"); // expect: CG0006
        _db.Posts.Update(post);
        await _db.SaveChangesAsync();
    }
}

public class MemoryPosts
{
    private readonly IMemoryCache _cache;
    private readonly IPosts _posts;
    public MemoryPosts(IMemoryCache cache, IPosts posts) { _cache = cache; _posts = posts; }

    public async Task<Post?> GetAsync(int id)
    {
        if (_cache.TryGetValue($"post:{id}", out Post? hit)) return hit; // expect: CG0004
        var post = await _posts.LoadAsync(id);
        _cache.Set($"post:{id}", post); // expect: CG0008
        return post;
    }
}
