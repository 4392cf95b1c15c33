using CacheGuard;
using StackExchange.Redis;
namespace Eval.Cg0007.Safe;

public class SafeLocks
{
    private const string ReleaseScript = "if redis.call('get', KEYS[1]) == ARGV[1] then return redis.call('del', KEYS[1]) else return 0 end";
    private readonly IDatabase _db;
    public SafeLocks(IDatabase db) => _db = db;

    public async Task WithLockReleaseAsync(Func<Task> work)
    {
        var token = Guid.NewGuid().ToString();
        if (!await _db.LockTakeAsync("lock:a", token, TimeSpan.FromSeconds(30))) return;
        try { await work(); }
        finally { await _db.LockReleaseAsync("lock:a", token); }
    }

    public async Task WithScriptAsync(Func<Task> work)
    {
        var token = Guid.NewGuid().ToString();
        if (!await _db.StringSetAsync("lock:b", token, TimeSpan.FromSeconds(30), When.NotExists)) return;
        try { await work(); }
        finally { await _db.ScriptEvaluateAsync(ReleaseScript, new RedisKey[] { "lock:b" }, new RedisValue[] { token }); }
    }

    public async Task WithTransactionAsync(Func<Task> work)
    {
        var token = Guid.NewGuid().ToString();
        if (!await _db.StringSetAsync("lock:c", token, TimeSpan.FromSeconds(30), When.NotExists)) return;
        try { await work(); }
        finally
        {
            var tran = _db.CreateTransaction();
            tran.AddCondition(Condition.StringEqual("lock:c", token));
            _ = tran.KeyDeleteAsync("lock:c");
            await tran.ExecuteAsync();
        }
    }

    public async Task WithLeaseAsync(Func<Task> work)
    {
        await using var lease = await _db.TryAcquireLeaseAsync("lock:d", TimeSpan.FromSeconds(30));
        if (lease is null) return;
        await work();
    }

    // A cache entry written and deleted: not a lock.
    public void Evict(string key)
    {
        _db.StringSet(key, "v", TimeSpan.FromSeconds(Random.Shared.Next(60, 90)));
        _db.KeyDelete(key);
    }
}
