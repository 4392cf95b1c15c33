using Microsoft.Extensions.Logging;

namespace CacheGuard;

/// <summary>CacheGuard's log events; ids are stable (1xxx get-or-set, 2xxx invalidation, 3xxx outbox).</summary>
internal static partial class Log
{
    [LoggerMessage(1001, LogLevel.Warning, "Redis failed for cache key {Key}; answering without Redis ({Fallback})")]
    public static partial void RedisFallback(ILogger logger, string key, string fallback, Exception exception);

    [LoggerMessage(1002, LogLevel.Warning, "Circuit breaker opened after {Failures} consecutive Redis failures; Redis is skipped for {Duration}")]
    public static partial void BreakerOpened(ILogger logger, int failures, TimeSpan duration);

    [LoggerMessage(1003, LogLevel.Information, "Circuit breaker closed; Redis answered again")]
    public static partial void BreakerClosed(ILogger logger);

    [LoggerMessage(1004, LogLevel.Warning, "Lease on {Key} was lost while its factory ran")]
    public static partial void LeaseLost(ILogger logger, string key);

    [LoggerMessage(1005, LogLevel.Information, "Populate of {Key} refused ({Outcome}): the entry changed after the factory started")]
    public static partial void PopulateRefused(ILogger logger, string key, string outcome);

    [LoggerMessage(1006, LogLevel.Warning, "Waited {Deadline} for another node to populate {Key}; {Action}")]
    public static partial void WaitDeadlinePassed(ILogger logger, TimeSpan deadline, string key, string action);

    [LoggerMessage(1007, LogLevel.Error, "Factory for {Key} ran past {Timeout} and was cancelled")]
    public static partial void FactoryTimedOut(ILogger logger, string key, TimeSpan timeout);

    [LoggerMessage(1008, LogLevel.Warning, "Background refresh of {Key} failed")]
    public static partial void RefreshFailed(ILogger logger, string key, Exception exception);

    [LoggerMessage(1009, LogLevel.Debug, "Entry at {Key} could not be read as {Type}; treated as a miss")]
    public static partial void UnreadableEntry(ILogger logger, string key, string type);

    [LoggerMessage(1010, LogLevel.Warning, "An abandoned factory for {Key} ended {Outcome} {ElapsedMs} ms after it started (its caller had timed out)")]
    public static partial void AbandonedFactoryEnded(ILogger logger, string key, string outcome, long elapsedMs, Exception? exception);

    [LoggerMessage(1011, LogLevel.Information, "Soft timeout {Timeout} passed for {Key}; answering the stale value while the refresh goes on")]
    public static partial void SoftTimeout(ILogger logger, string key, TimeSpan timeout);

    [LoggerMessage(2001, LogLevel.Warning, "Invalidation of {Key} failed (attempt {Attempt} of {Attempts})")]
    public static partial void InvalidationRetry(ILogger logger, string key, int attempt, int attempts, Exception exception);

    [LoggerMessage(2002, LogLevel.Error, "Invalidation of {Key} failed after {Attempts} attempts; the entry lives until its TTL")]
    public static partial void InvalidationFailed(ILogger logger, string key, int attempts, Exception exception);

    [LoggerMessage(3001, LogLevel.Error, "Outbox entry {EntryId} on {Stream} failed to apply; it stays pending and is retried")]
    public static partial void OutboxApplyFailed(ILogger logger, string entryId, string stream, Exception exception);

    [LoggerMessage(3002, LogLevel.Information, "Reclaimed {Count} outbox entries from dead consumers on {Stream}")]
    public static partial void OutboxReclaimed(ILogger logger, int count, string stream);

    [LoggerMessage(3004, LogLevel.Error, "Outbox entry {EntryId} on {Stream} failed {Attempts} times; moved to the dead-letter stream {DeadLetter}")]
    public static partial void OutboxDeadLettered(ILogger logger, string entryId, string stream, int attempts, string deadLetter, Exception exception);

    [LoggerMessage(3005, LogLevel.Error, "Outbox stream {Stream} failed this pass; the other streams go on")]
    public static partial void OutboxStreamFailed(ILogger logger, string stream, Exception exception);

    [LoggerMessage(3003, LogLevel.Warning, "Outbox replay loop failed; retrying")]
    public static partial void OutboxLoopFailed(ILogger logger, Exception exception);
}
