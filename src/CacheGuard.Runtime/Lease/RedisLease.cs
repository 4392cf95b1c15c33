using System.Security.Cryptography;
using StackExchange.Redis;

namespace CacheGuard;

/// <summary>
/// A cross-process lease on one cache key: <c>SET NX PX</c> with a random token, renewed every
/// third of its TTL while held, released by compare-and-delete (never a plain <c>DEL</c>, which
/// could free another holder's lease). <see cref="LeaseLost"/> fires when a renewal finds the
/// lease gone or taken, or when renewals fail for a whole TTL.
/// </summary>
public sealed class RedisLease : IDisposable, IAsyncDisposable
{
    private readonly IDatabase _db;
    private readonly string _channel;
    private readonly CancellationTokenSource _lost = new();
    private readonly CancellationTokenSource _stop = new();
    private readonly Task _renewal;
    private int _released;

    private RedisLease(IDatabase db, RedisKey resourceKey, EntryKeys keys, string token, TimeSpan ttl)
    {
        _db = db;
        ResourceKey = resourceKey;
        Key = keys.Lease;
        _channel = keys.Channel;
        Token = token;
        Ttl = ttl;
        _renewal = RenewLoopAsync();
    }

    /// <summary>The cache key the lease protects.</summary>
    public RedisKey ResourceKey { get; }

    /// <summary>The Redis key holding the lease (same hash slot as <see cref="ResourceKey"/>).</summary>
    public RedisKey Key { get; }

    /// <summary>This holder's random token.</summary>
    public string Token { get; }

    /// <summary>The lease TTL; renewed every third of it.</summary>
    public TimeSpan Ttl { get; }

    /// <summary>Cancelled when the lease is known to be lost.</summary>
    public CancellationToken LeaseLost => _lost.Token;

    /// <summary>Whether the lease is still believed held (not released, not lost).</summary>
    public bool IsHeld => Volatile.Read(ref _released) == 0 && !_lost.IsCancellationRequested;

    internal static async Task<RedisLease?> TryAcquireAsync(IDatabase db, RedisKey key, TimeSpan ttl)
    {
        if (ttl <= TimeSpan.Zero) throw new ArgumentOutOfRangeException(nameof(ttl), ttl, "A lease TTL must be positive.");
        var keys = new EntryKeys(key);
        var token = NewToken();
        var acquired = await db.StringSetAsync(keys.Lease, token, ttl, When.NotExists).ConfigureAwait(false);
        return acquired ? new RedisLease(db, key, keys, token, ttl) : null;
    }

    internal static RedisLease? TryAcquire(IDatabase db, RedisKey key, TimeSpan ttl)
    {
        if (ttl <= TimeSpan.Zero) throw new ArgumentOutOfRangeException(nameof(ttl), ttl, "A lease TTL must be positive.");
        var keys = new EntryKeys(key);
        var token = NewToken();
        return db.StringSet(keys.Lease, token, ttl, When.NotExists) ? new RedisLease(db, key, keys, token, ttl) : null;
    }

    /// <summary>A lease the engine's miss script already took (with its fence).</summary>
    internal static RedisLease Adopt(IDatabase db, RedisKey resourceKey, EntryKeys keys, string token, TimeSpan ttl) => new(db, resourceKey, keys, token, ttl);

    internal static string NewToken() => Convert.ToHexString(RandomNumberGenerator.GetBytes(16));

    /// <summary>Extends the lease to a full TTL if it is still ours.</summary>
    /// <returns>False (and <see cref="LeaseLost"/> fires) when the lease is no longer ours.</returns>
    public async Task<bool> RenewAsync()
    {
        if (!IsHeld) return false;
        var renewed = (long)await _db.ScriptEvaluateAsync(LuaScripts.RenewLease, new[] { Key }, new RedisValue[] { Token, (long)Ttl.TotalMilliseconds }).ConfigureAwait(false) == 1;
        if (!renewed) MarkLost();
        return renewed;
    }

    /// <summary>Releases the lease if it is still ours (compare-and-delete) and wakes waiters.</summary>
    /// <returns>True when this call deleted the lease.</returns>
    public async Task<bool> ReleaseAsync()
    {
        if (Interlocked.Exchange(ref _released, 1) != 0) return false;
        _stop.Cancel();
        return (long)await _db.ScriptEvaluateAsync(LuaScripts.ReleaseLease, new[] { Key }, new RedisValue[] { Token, _channel }).ConfigureAwait(false) == 1;
    }

    /// <summary>Records that a script already released the lease (the populate script does).</summary>
    internal void MarkReleased()
    {
        Interlocked.Exchange(ref _released, 1);
        _stop.Cancel();
    }

    private void MarkLost()
    {
        if (_lost.IsCancellationRequested) return;
        CacheGuardTelemetry.LeaseLost.Add(1);
        try { _lost.Cancel(); } catch (ObjectDisposedException) { }
    }

    private async Task RenewLoopAsync()
    {
        var interval = TimeSpan.FromTicks(Math.Max(TimeSpan.TicksPerMillisecond, Ttl.Ticks / 3));
        var lastRenewed = Environment.TickCount64;
        while (!_stop.IsCancellationRequested)
        {
            try
            {
                await Task.Delay(interval, _stop.Token).ConfigureAwait(false);
            }
            catch (OperationCanceledException)
            {
                return;
            }
            try
            {
                if (!await RenewAsync().ConfigureAwait(false)) return;
                lastRenewed = Environment.TickCount64;
            }
            catch (Exception ex) when (ex is RedisException or TimeoutException or ObjectDisposedException)
            {
                // Can't tell whether we still hold it; once a whole TTL passed without a renewal it is gone.
                if (Environment.TickCount64 - lastRenewed >= (long)Ttl.TotalMilliseconds)
                {
                    MarkLost();
                    return;
                }
            }
        }
    }

    /// <summary>Releases the lease (best effort) and stops renewing.</summary>
    public async ValueTask DisposeAsync()
    {
        try
        {
            await ReleaseAsync().ConfigureAwait(false);
        }
        catch (Exception ex) when (ex is RedisException or TimeoutException or ObjectDisposedException)
        {
            // The lease expires on its own within its TTL.
        }
        await _renewal.ConfigureAwait(false);
    }

    /// <summary>Releases the lease (best effort) and stops renewing.</summary>
    public void Dispose()
    {
        if (Interlocked.Exchange(ref _released, 1) == 0)
        {
            _stop.Cancel();
            try
            {
                _db.ScriptEvaluate(LuaScripts.ReleaseLease, new[] { Key }, new RedisValue[] { Token, _channel });
            }
            catch (Exception ex) when (ex is RedisException or TimeoutException or ObjectDisposedException)
            {
                // Expires on its own.
            }
        }
    }
}
