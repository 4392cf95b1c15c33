using System.Collections.Concurrent;

namespace CacheGuard;

internal sealed partial class CacheEngine
{
    private readonly ConcurrentDictionary<FlightKey, Task> _refreshing = new();

    /// <summary>
    /// A stale copy answers. Without a soft timeout at once, with one background refresh; with
    /// <see cref="CacheGuardOptions.FactorySoftTimeout"/> the caller waits that long for the refresh first.
    /// </summary>
    private async Task<T> ServeStaleAsync<T>(Call<T> call, T stale)
    {
        CacheGuardTelemetry.StaleServed.Add(1);
        var refresh = TriggerRefresh(call);
        if (call.O.SoftTimeout is { } soft && refresh is not null)
        {
            var done = await Task.WhenAny(refresh, Task.Delay(soft)).ConfigureAwait(false);
            if (done == refresh && refresh.IsCompletedSuccessfully && refresh.Result.Ok)
                return refresh.Result.Value;
            if (done != refresh)
                Log.SoftTimeout(Logger, LogKey(call.Target.Text), soft);
        }
        return stale;
    }

    /// <summary>One background refresh per key and type per process; across processes the lease decides.</summary>
    private Task<(bool Ok, T Value)>? TriggerRefresh<T>(Call<T> call)
    {
        var key = call.FlightKey;
        if (_refreshing.TryGetValue(key, out var running))
            return running as Task<(bool, T)>;
        var gate = new TaskCompletionSource<(bool, T)>(TaskCreationOptions.RunContinuationsAsynchronously);
        if (!_refreshing.TryAdd(key, gate.Task))
            return _refreshing.TryGetValue(key, out running) ? running as Task<(bool, T)> : null;
        _ = Task.Run(async () =>
        {
            try
            {
                gate.TrySetResult(await RefreshAsync(call).ConfigureAwait(false));
            }
            catch (Exception ex)
            {
                Log.RefreshFailed(Logger, LogKey(call.Target.Text), ex);
                gate.TrySetResult((false, default!));
            }
            finally
            {
                _refreshing.TryRemove(key, out _);
            }
        });
        return gate.Task;
    }

    private async Task<(bool, T)> RefreshAsync<T>(Call<T> call)
    {
        var leaseToken = RedisLease.NewToken();
        var r = await MissScriptAsync(call, leaseToken, takeOverStale: true, ignoreValue: false).ConfigureAwait(false);
        switch (r.Kind)
        {
            case 'l':
                return (true, await LeadAsync(call, leaseToken, (string)r.A!, CancellationToken.None).ConfigureAwait(false));
            case 'v' when TryDeserialize<T>(((ReadOnlyMemory<byte>)r.A).Span, call.Target.Text, out var fresh):
                return (true, fresh);
            default:
                return (false, default!); // another node is refreshing, or the entry went away
        }
    }
}
