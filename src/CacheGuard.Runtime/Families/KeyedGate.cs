namespace CacheGuard;

/// <summary>
/// One in-process gate per key: the first caller for a key enters, concurrent callers for the same
/// key wait until it leaves. Per-key state is reference-counted and removed when its last holder
/// leaves (never disposed while held).
/// </summary>
internal sealed class KeyedGate<TKey>
    where TKey : notnull
{
    private readonly Dictionary<TKey, Gate> _gates;

    public KeyedGate(IEqualityComparer<TKey>? comparer = null) => _gates = new Dictionary<TKey, Gate>(comparer);

    /// <summary>Keys with a gate (entered or waited on) right now.</summary>
    public int Count
    {
        get { lock (_gates) return _gates.Count; }
    }

    public async Task<Releaser> EnterAsync(TKey key, CancellationToken cancellationToken)
    {
        var gate = Join(key);
        try
        {
            await gate.Semaphore.WaitAsync(cancellationToken).ConfigureAwait(false);
        }
        catch
        {
            Leave(key, gate, entered: false);
            throw;
        }
        return new Releaser(this, key, gate);
    }

    public Releaser Enter(TKey key)
    {
        var gate = Join(key);
        try
        {
            gate.Semaphore.Wait();
        }
        catch
        {
            Leave(key, gate, entered: false);
            throw;
        }
        return new Releaser(this, key, gate);
    }

    private Gate Join(TKey key)
    {
        lock (_gates)
        {
            if (!_gates.TryGetValue(key, out var gate))
                _gates.Add(key, gate = new Gate());
            gate.References++;
            return gate;
        }
    }

    private void Leave(TKey key, Gate gate, bool entered)
    {
        if (entered)
            gate.Semaphore.Release();
        lock (_gates)
        {
            if (--gate.References == 0)
                _gates.Remove(key);
        }
    }

    internal sealed class Gate
    {
        public readonly SemaphoreSlim Semaphore = new(1, 1);
        public int References;
    }

    /// <summary>Leaves the gate once.</summary>
    public struct Releaser : IDisposable
    {
        private KeyedGate<TKey>? _owner;
        private readonly TKey _key;
        private readonly Gate _gate;

        internal Releaser(KeyedGate<TKey> owner, TKey key, Gate gate)
        {
            _owner = owner;
            _key = key;
            _gate = gate;
        }

        public void Dispose()
        {
            var owner = _owner;
            _owner = null;
            owner?.Leave(_key, _gate, entered: true);
        }
    }
}
