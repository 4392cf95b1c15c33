namespace CacheGuard.Behavior.Tests.WritePath;

/// <summary>
/// A post service as the sample writes it (<see cref="WritePathSample.Source"/>): a read path and a
/// write path over one cache key.
/// </summary>
public interface IPostService
{
    Task<PostRow?> GetAsync(int id);

    /// <summary>Retitles the post; returns the version committed. <paramref name="afterCommit"/> is a pause between the commit and the cache call (a GC pause, a slow network).</summary>
    Task<long> RetitleAsync(int id, string title, Func<long, Task> afterCommit);
}
