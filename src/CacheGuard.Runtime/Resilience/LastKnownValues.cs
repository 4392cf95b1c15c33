using System.Collections.Concurrent;

namespace CacheGuard;

/// <summary>
/// The fail-safe memory: per key Redis sees, the bytes of the last entry generation this process
/// read or wrote, served (deserialized afresh for every caller) only when Redis can't be reached,
/// never written back to Redis. A generation's life ends when its stale life in Redis ends: known
/// exactly for a write by this process, and for a generation first seen on a hit taken from the
/// key's PTTL (one background PTTL per generation per process; until it answers, the call's
/// fresh + stale life from first sight). Hits never extend it; when it has passed and the same bytes
/// are still read, one PTTL per second at most asks Redis whether the entry was written again.
/// </summary>
internal sealed class LastKnownValues
{
    internal sealed class Entry(byte[]? bytes, long expiresAt)
    {
        public readonly byte[]? Bytes = bytes; // null = a cached "not found"
        public long ExpiresAt = expiresAt;
        public long NextProbe;
        public int Probing;
    }

    private readonly ConcurrentDictionary<(int Db, string Key), Entry> _values = new();
    private readonly Func<CacheGuardOptions> _options;
    private int _count;

    public LastKnownValues(Func<CacheGuardOptions> options) => _options = options;

    /// <summary>
    /// Records what a hit returned. The same bytes as the remembered generation change nothing
    /// (no allocation, no new life); other bytes start a new generation.
    /// </summary>
    /// <returns>An entry whose life should be read from the key's PTTL (<see cref="Tighten"/>), or null.</returns>
    public Entry? Observe(int db, string key, ReadOnlySpan<byte> bytes, TimeSpan life)
    {
        var o = _options();
        if (!o.FailSafe || o.FailSafeMaxEntries == 0) return null;
        if (_values.TryGetValue((db, key), out var known) && known.Bytes is { } b && bytes.SequenceEqual(b))
        {
            var now = Environment.TickCount64;
            if (now <= Volatile.Read(ref known.ExpiresAt) || now < Volatile.Read(ref known.NextProbe)) return null;
            return Interlocked.CompareExchange(ref known.Probing, 1, 0) == 0 ? known : null;
        }
        var entry = Store(db, key, bytes.ToArray(), life, o);
        entry.Probing = 1;
        return entry;
    }

    /// <summary>Sets a generation's life from the key's remaining fresh life (PTTL ms; negative = none known).</summary>
    public static void Tighten(Entry entry, long pttlMs, TimeSpan staleWindow)
    {
        var now = Environment.TickCount64;
        if (pttlMs > 0)
            Volatile.Write(ref entry.ExpiresAt, now + pttlMs + (long)staleWindow.TotalMilliseconds);
        Volatile.Write(ref entry.NextProbe, now + 1000);
        Volatile.Write(ref entry.Probing, 0);
    }

    /// <summary>Records a generation this process wrote (a value, or null for "not found").</summary>
    public void Written(int db, string key, byte[]? bytes, TimeSpan life)
    {
        var o = _options();
        if (!o.FailSafe || o.FailSafeMaxEntries == 0) return;
        Store(db, key, bytes, life, o);
    }

    private Entry Store(int db, string key, byte[]? bytes, TimeSpan life, CacheGuardOptions o)
    {
        var entry = new Entry(bytes, Environment.TickCount64 + (long)life.TotalMilliseconds);
        var added = false;
        _values.AddOrUpdate((db, key), _ => { added = true; return entry; }, (_, _) => entry);
        if (added && Interlocked.Increment(ref _count) > o.FailSafeMaxEntries)
        {
            // Shed an arbitrary tenth; the fail-safe is best effort, Redis is the cache.
            var shed = Math.Max(1, o.FailSafeMaxEntries / 10);
            foreach (var k in _values.Keys)
            {
                if (shed-- <= 0) break;
                Remove(k.Db, k.Key);
            }
        }
        return entry;
    }

    /// <summary>The remembered generation, if still within its life: bytes, or null bytes for "not found".</summary>
    public bool TryGet(int db, string key, out byte[]? bytes)
    {
        bytes = null;
        if (!_options().FailSafe || !_values.TryGetValue((db, key), out var entry)) return false;
        if (Environment.TickCount64 > entry.ExpiresAt)
        {
            Remove(db, key);
            return false;
        }
        bytes = entry.Bytes;
        return true;
    }

    public void Remove(int db, string key)
    {
        if (_values.TryRemove((db, key), out _))
            Interlocked.Decrement(ref _count);
    }
}
