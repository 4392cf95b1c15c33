// Distributed locks released only by their owner: LockTake/LockRelease with a token, SET NX with
// a compare-and-delete script, and the runtime's lease.
using CacheGuard;
using StackExchange.Redis;

namespace ValidCode.SafeLocks;

public sealed class ReindexJob
{
    private const string LockKey = "lock:reindex";
    private readonly IDatabase _db;

    public ReindexJob(IDatabase db) => _db = db;

    public async Task<bool> RunWithLockTakeAsync(Func<Task> work)
    {
        var token = Guid.NewGuid().ToString();
        if (!await _db.LockTakeAsync(LockKey, token, TimeSpan.FromSeconds(30)))
            return false;
        try
        {
            await work();
            return true;
        }
        finally
        {
            await _db.LockReleaseAsync(LockKey, token);
        }
    }

    public bool RunWithLockTake(Action work)
    {
        RedisValue token = Environment.MachineName + ":" + Guid.NewGuid();
        if (!_db.LockTake(LockKey, token, TimeSpan.FromSeconds(30)))
            return false;
        try
        {
            work();
            return true;
        }
        finally
        {
            _db.LockRelease(LockKey, token);
        }
    }
}

public sealed class ScriptReleasedLock
{
    // Deletes the key only while it still holds our token.
    private const string CompareAndDelete =
        "if redis.call('get', KEYS[1]) == ARGV[1] then return redis.call('del', KEYS[1]) else return 0 end";

    private readonly IDatabase _db;

    public ScriptReleasedLock(IDatabase db) => _db = db;

    public async Task<bool> RunAsync(string resource, Func<Task> work)
    {
        var key = $"lock:{resource}";
        var token = Guid.NewGuid().ToString("N");
        if (!await _db.StringSetAsync(key, token, TimeSpan.FromSeconds(30), When.NotExists))
            return false;
        try
        {
            await work();
            return true;
        }
        finally
        {
            await _db.ScriptEvaluateAsync(CompareAndDelete, new RedisKey[] { key }, new RedisValue[] { token });
        }
    }

    /// <summary>Renews the lock only while we still own it.</summary>
    public Task<bool> ExtendAsync(string resource, RedisValue token) =>
        _db.LockExtendAsync($"lock:{resource}", token, TimeSpan.FromSeconds(30));
}

public sealed class LeaseJob
{
    private readonly IDatabase _db;

    public LeaseJob(IDatabase db) => _db = db;

    public async Task<bool> RunAsync(Func<CancellationToken, Task> work, CancellationToken cancellationToken)
    {
        await using var lease = await _db.TryAcquireLeaseAsync("lease:sitemap", TimeSpan.FromMinutes(2), cancellationToken);
        if (lease is null)
            return false;
        await work(cancellationToken);
        return true;
    }

    public bool Run(Action work)
    {
        using var lease = _db.TryAcquireLease("lease:digest", TimeSpan.FromMinutes(1));
        if (lease is null)
            return false;
        work();
        return true;
    }
}
