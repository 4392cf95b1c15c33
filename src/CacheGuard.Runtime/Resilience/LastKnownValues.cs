using System.Collections.Concurrent;

namespace CacheGuard;

/// <summary>
/// The fail-safe memory: the last value this process read or wrote per key, kept for the
/// entry's fresh + stale life, bounded in count. Served only when Redis can't be reached.
/// </summary>
internal sealed class LastKnownValues
{
    private readonly ConcurrentDictionary<(int Db, string Key), (object? Value, long ExpiresAt)> _values = new();
    private readonly Func<CacheGuardOptions> _options;

    public LastKnownValues(Func<CacheGuardOptions> options) => _options = options;

    public void Set(int db, string key, object? value, TimeSpan life)
    {
        var o = _options();
        if (!o.FailSafe) return;
        if (_values.Count >= o.FailSafeMaxEntries)
        {
            // Shed an arbitrary tenth; the fail-safe is best effort, Redis is the cache.
            var shed = Math.Max(1, o.FailSafeMaxEntries / 10);
            foreach (var k in _values.Keys)
            {
                if (shed-- <= 0) break;
                _values.TryRemove(k, out _);
            }
        }
        _values[(db, key)] = (value, Environment.TickCount64 + (long)life.TotalMilliseconds);
    }

    public bool TryGet<T>(int db, string key, out T value)
    {
        value = default!;
        if (!_options().FailSafe || !_values.TryGetValue((db, key), out var entry)) return false;
        if (Environment.TickCount64 > entry.ExpiresAt)
        {
            _values.TryRemove((db, key), out _);
            return false;
        }
        if (entry.Value is T typed)
        {
            value = typed;
            return true;
        }
        if (entry.Value is null && default(T) is null)
            return true;
        return false;
    }

    public void Remove(int db, string key) => _values.TryRemove((db, key), out _);
}
