using Microsoft.Extensions.Logging;

namespace CacheGuard;

/// <summary>
/// Stops calling Redis after <see cref="CacheGuardOptions.CircuitBreakerThreshold"/> consecutive
/// failures, for <see cref="CacheGuardOptions.CircuitBreakerDuration"/>; then lets one probe
/// through, closing on its success and reopening on its failure.
/// </summary>
internal sealed class CircuitBreaker
{
    private readonly Func<CacheGuardOptions> _options;
    private readonly Func<ILogger> _logger;
    private int _failures;
    private long _openUntil; // Environment.TickCount64 ms; 0 = closed
    private int _probing;

    private readonly Action? _onOpen;

    public CircuitBreaker(Func<CacheGuardOptions> options, Func<ILogger> logger, Action? onOpen = null)
    {
        _options = options;
        _logger = logger;
        _onOpen = onOpen;
    }

    public bool IsOpen => Interlocked.Read(ref _openUntil) != 0;

    /// <summary>Whether a Redis call may go out now.</summary>
    public bool TryEnter(out bool probe)
    {
        probe = false;
        var openUntil = Interlocked.Read(ref _openUntil);
        if (openUntil == 0) return true;
        if (Environment.TickCount64 < openUntil) return false;
        if (Interlocked.CompareExchange(ref _probing, 1, 0) != 0) return false;
        probe = true;
        return true;
    }

    public void Success(bool probe)
    {
        Interlocked.Exchange(ref _failures, 0);
        if (Interlocked.Exchange(ref _openUntil, 0) != 0)
            Log.BreakerClosed(_logger());
        if (probe) Interlocked.Exchange(ref _probing, 0);
    }

    public void Failure(bool probe)
    {
        var o = _options();
        var failures = Interlocked.Increment(ref _failures);
        if (probe || (failures >= o.CircuitBreakerThreshold && Interlocked.Read(ref _openUntil) == 0))
        {
            Interlocked.Exchange(ref _openUntil, Environment.TickCount64 + (long)o.CircuitBreakerDuration.TotalMilliseconds);
            if (!probe) Log.BreakerOpened(_logger(), failures, o.CircuitBreakerDuration);
            _onOpen?.Invoke();
        }
        if (probe) Interlocked.Exchange(ref _probing, 0);
    }

    /// <summary>Ends a probe that never reached Redis (so the breaker can probe again).</summary>
    public void Abandon(bool probe)
    {
        if (probe) Interlocked.Exchange(ref _probing, 0);
    }
}

/// <summary>
/// Redis could not be used for this call: it failed or timed out (the Redis error is the inner
/// exception), or the circuit breaker is open. Get-or-set never throws it (it falls back) unless
/// <see cref="CacheGuardOptions.ThrowOnRedisFailure"/> is set; a plain read has nothing to fall back to.
/// </summary>
public sealed class RedisUnavailableException : InvalidOperationException
{
    /// <summary>Creates the exception.</summary>
    public RedisUnavailableException(string message, Exception? inner) : base(message, inner) { }
}
