using StackExchange.Redis;

namespace Sample;

/// <summary>The single-flight lock itself: released with a plain DEL, it can free someone else's lock.</summary>
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
