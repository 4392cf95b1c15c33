namespace CacheGuard;

internal sealed partial class CacheEngine
{
    /// <summary>
    /// Runs the factory under the hard timeout. The factory starts on the thread pool, so a
    /// synchronous factory (or an async one that blocks before its first await) can't hold the
    /// caller past <see cref="CacheGuardOptions.FactoryTimeout"/>. At the timeout its token is
    /// cancelled and the run is abandoned, not forgotten: its end is observed and logged (1010).
    /// </summary>
    private async Task<T> RunFactoryAsync<T>(Call<T> call, CancellationToken token)
    {
        CacheGuardTelemetry.FactoryRuns.Add(1);
        var timeout = CancellationTokenSource.CreateLinkedTokenSource(token);
        timeout.CancelAfter(call.O.FactoryTimeout);
        var factory = call.Factory;
        var ct = timeout.Token;
        var started = Environment.TickCount64;
        var run = Task.Run(() => factory(ct), CancellationToken.None);
        try
        {
            var value = await run.WaitAsync(ct).ConfigureAwait(false);
            timeout.Dispose();
            return value;
        }
        catch (OperationCanceledException) when (timeout.IsCancellationRequested && !token.IsCancellationRequested)
        {
            CacheGuardTelemetry.FactoryTimeouts.Add(1);
            Log.FactoryTimedOut(Logger, LogKey(call.Target.Text), call.O.FactoryTimeout);
            ObserveAbandoned(run, call.Target.Text, started, timeout);
            throw new CacheFactoryTimeoutException($"The factory for '{Shorten(call.Target.Text)}' ran past {call.O.FactoryTimeout} and was cancelled; nothing was cached.");
        }
        catch (OperationCanceledException) when (!run.IsCompleted)
        {
            ObserveAbandoned(run, call.Target.Text, started, timeout);
            throw;
        }
        catch
        {
            if (run.IsCompleted) timeout.Dispose();
            else ObserveAbandoned(run, call.Target.Text, started, timeout);
            throw;
        }
    }

    private void ObserveAbandoned<T>(Task<T> run, string key, long started, CancellationTokenSource timeout)
    {
        var logKey = LogKey(key);
        _ = run.ContinueWith(t =>
        {
            var outcome = t.IsFaulted ? "with an error" : t.IsCanceled ? "cancelled" : "with a value that was discarded";
            Log.AbandonedFactoryEnded(Logger, logKey, outcome, Environment.TickCount64 - started, t.Exception?.GetBaseException());
            timeout.Dispose();
        }, CancellationToken.None, TaskContinuationOptions.ExecuteSynchronously, TaskScheduler.Default);
    }
}
