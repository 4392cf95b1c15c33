namespace CacheGuard;

/// <summary>Identifies one in-process flight: the database, the key and the result type.</summary>
internal readonly record struct FlightKey(int Database, string Key, Type ResultType);

/// <summary>
/// In-process single-flight. Concurrent callers of one key share one run of the work. Per-key
/// state is reference-counted under one lock and removed on the last release or on completion;
/// the shared work is cancelled only when every caller has cancelled, while each caller's own
/// token ends only its own wait.
/// </summary>
internal sealed class FlightTable
{
    private readonly object _gate = new();
    private readonly Dictionary<FlightKey, Flight> _flights = new();

    /// <summary>How many flights are registered (tests check nothing leaks).</summary>
    public int Count
    {
        get { lock (_gate) return _flights.Count; }
    }

    /// <summary>How many callers share the running flight of <paramref name="key"/> (tests wait on it).</summary>
    public int CallersOf(FlightKey key)
    {
        lock (_gate) return _flights.TryGetValue(key, out var f) ? f.RefCount : 0;
    }

    public async Task<T> RunAsync<T>(FlightKey key, Func<CancellationToken, Task<T>> work, CancellationToken callerToken)
    {
        callerToken.ThrowIfCancellationRequested();
        Flight flight;
        bool leader;
        lock (_gate)
        {
            leader = !_flights.TryGetValue(key, out flight!);
            if (leader)
            {
                flight = new Flight();
                _flights.Add(key, flight);
            }
            flight.RefCount++;
        }
        try
        {
            if (leader)
                _ = StartAsync(key, flight, work);
            var result = await flight.Completion.Task.WaitAsync(callerToken).ConfigureAwait(false);
            return (T)result!;
        }
        finally
        {
            Leave(key, flight);
        }
    }

    /// <summary>New callers of <paramref name="key"/> start a new flight; running ones finish for their callers.</summary>
    public void Detach(int database, string key)
    {
        lock (_gate)
        {
            List<FlightKey>? remove = null;
            foreach (var k in _flights.Keys)
                if (k.Database == database && k.Key == key)
                    (remove ??= new()).Add(k);
            if (remove is null) return;
            foreach (var k in remove)
                _flights.Remove(k);
        }
    }

    private async Task StartAsync<T>(FlightKey key, Flight flight, Func<CancellationToken, Task<T>> work)
    {
        // Leave the caller's stack for the thread pool (never the caller's SynchronizationContext:
        // a synchronous GetOrSet blocking that context would deadlock).
        await Task.CompletedTask.ConfigureAwait(ConfigureAwaitOptions.ForceYielding);
        try
        {
            var value = await work(flight.Cancellation.Token).ConfigureAwait(false);
            flight.Completion.TrySetResult(value);
        }
        catch (OperationCanceledException ex) when (flight.Cancellation.IsCancellationRequested)
        {
            flight.Completion.TrySetCanceled(ex.CancellationToken);
        }
        catch (Exception ex)
        {
            flight.Completion.TrySetException(ex);
        }
        finally
        {
            lock (_gate)
            {
                if (_flights.TryGetValue(key, out var current) && ReferenceEquals(current, flight))
                    _flights.Remove(key);
            }
        }
    }

    private void Leave(FlightKey key, Flight flight)
    {
        var cancel = false;
        lock (_gate)
        {
            flight.RefCount--;
            if (flight.RefCount == 0)
            {
                if (_flights.TryGetValue(key, out var current) && ReferenceEquals(current, flight))
                    _flights.Remove(key);
                cancel = !flight.Completion.Task.IsCompleted;
            }
        }
        // Outside the lock: cancellation callbacks run inline.
        if (cancel)
            flight.Cancellation.Cancel();
    }

    private sealed class Flight
    {
        // Never disposed: it owns no timer, and a late Cancel() must not race a Dispose (FusionCache#564).
        public readonly CancellationTokenSource Cancellation = new();
        public readonly TaskCompletionSource<object?> Completion = new(TaskCreationOptions.RunContinuationsAsynchronously);
        public int RefCount;
    }
}
