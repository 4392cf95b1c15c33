using Microsoft.Extensions.Logging;
using StackExchange.Redis;

namespace CacheGuard;

/// <summary>
/// The circuit breakers of one connection: one for a single node; on Redis Cluster one per hash
/// slot (one dead master must not send the healthy masters' keys to the fallback). The slot is
/// computed locally: no I/O on the hit path (IDatabase.IdentifyEndpoint would be a round trip).
/// </summary>
internal sealed class NodeBreakers
{
    private readonly CacheEngine _engine;
    private readonly CircuitBreaker?[] _perSlot = new CircuitBreaker?[HashSlots.Count];
    private int _isCluster = -1;
    private long _lastTopologyRefresh;

    public NodeBreakers(CacheEngine engine)
    {
        _engine = engine;
        Default = new CircuitBreaker(() => engine.Options, () => engine.Logger);
    }

    /// <summary>The breaker of a single-node connection (and the fallback when a key's node is unknown).</summary>
    public CircuitBreaker Default { get; }

    /// <summary>Whether any breaker of this connection is open.</summary>
    public bool AnyOpen => Default.IsOpen || _perSlot.Any(b => b?.IsOpen == true);

    public CircuitBreaker For(IDatabase db, RedisKey key)
    {
        if (!IsCluster()) return Default;
        var slot = _engine.Multiplexer.HashSlot(key);
        if ((uint)slot >= HashSlots.Count) return Default;
        var breaker = Volatile.Read(ref _perSlot[slot]);
        if (breaker is not null) return breaker;
        var created = new CircuitBreaker(() => _engine.Options, () => _engine.Logger, RefreshTopology);
        return Interlocked.CompareExchange(ref _perSlot[slot], created, null) ?? created;
    }

    public bool IsCluster()
    {
        var known = Volatile.Read(ref _isCluster);
        if (known >= 0) return known == 1;
        var servers = _engine.Multiplexer.GetServers();
        if (servers.Length == 0 || !servers.Any(s => s.IsConnected)) return false; // not known yet; ask again later
        var cluster = servers.Any(s => s.ServerType == ServerType.Cluster);
        Volatile.Write(ref _isCluster, cluster ? 1 : 0);
        return cluster;
    }

    /// <summary>
    /// A master's breaker opened: its slots may have failed over to a replica. With the breaker
    /// open nothing is sent there, so no MOVED reply would teach the connection the new owner;
    /// ask for the topology instead (at most once per breaker period).
    /// </summary>
    private void RefreshTopology()
    {
        var now = Environment.TickCount64;
        var last = Interlocked.Read(ref _lastTopologyRefresh);
        if (now - last < (long)_engine.Options.CircuitBreakerDuration.TotalMilliseconds || Interlocked.CompareExchange(ref _lastTopologyRefresh, now, last) != last)
            return;
        _ = Task.Run(async () =>
        {
            try
            {
                await _engine.Multiplexer.ConfigureAsync().ConfigureAwait(false);
            }
            catch (Exception ex) when (CacheEngine.IsRedisFailure(ex))
            {
                // The next opening tries again.
            }
        });
    }
}
