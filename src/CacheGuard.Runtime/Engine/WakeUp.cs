using StackExchange.Redis;

namespace CacheGuard;

/// <summary>Waits for a pub/sub wake-up on one channel, or a poll interval, whichever comes first.</summary>
internal sealed class WakeUp : IAsyncDisposable
{
    private readonly CacheEngine _engine;
    private readonly RedisChannel _channel;
    private readonly Action<RedisChannel, RedisValue> _handler;
    private TaskCompletionSource _signal = new(TaskCreationOptions.RunContinuationsAsynchronously);

    private WakeUp(CacheEngine engine, string channel)
    {
        _engine = engine;
        _channel = RedisChannel.Literal(channel);
        _handler = (_, _) =>
        {
            if (_engine.Options.Hooks.DropWakeUp?.Invoke() == true) return;
            Volatile.Read(ref _signal).TrySetResult();
        };
    }

    public static async Task<WakeUp> SubscribeAsync(CacheEngine engine, CircuitBreaker breaker, string channel)
    {
        var w = new WakeUp(engine, channel);
        await engine.RedisAsync(breaker, async () =>
        {
            await engine.Multiplexer.GetSubscriber().SubscribeAsync(w._channel, w._handler).ConfigureAwait(false);
            return true;
        }).ConfigureAwait(false);
        return w;
    }

    public async Task WaitAsync(TimeSpan poll, CancellationToken token)
    {
        var signal = Volatile.Read(ref _signal);
        try
        {
            await signal.Task.WaitAsync(poll, token).ConfigureAwait(false);
        }
        catch (TimeoutException)
        {
            // The polling fallback: a lost message costs one interval, never a hang.
        }
        if (signal.Task.IsCompleted)
            Interlocked.CompareExchange(ref _signal, new TaskCompletionSource(TaskCreationOptions.RunContinuationsAsynchronously), signal);
    }

    public async ValueTask DisposeAsync()
    {
        try
        {
            await _engine.Multiplexer.GetSubscriber().UnsubscribeAsync(_channel, _handler).ConfigureAwait(false);
        }
        catch (Exception ex) when (CacheEngine.IsRedisFailure(ex))
        {
            // The subscription dies with the connection.
        }
    }
}
