using System.Collections.Concurrent;
using System.Runtime.CompilerServices;
using Microsoft.Extensions.Logging;
using Microsoft.Extensions.Logging.Abstractions;
using StackExchange.Redis;

namespace CacheGuard;

/// <summary>
/// The coordination state of one <see cref="IConnectionMultiplexer"/>: options, breakers, the
/// fail-safe memory, in-process flights (miss path only) and background refreshes. One per
/// connection, shared by every call site (extension methods and <see cref="ICacheGuard"/> alike).
/// The operations live in the partial files: Hit (fresh-hit path and reads), Miss (the single-flight
/// state machine), Factory (timeouts), Refresh, Write (set, write-behind), Invalidation.
/// </summary>
internal sealed partial class CacheEngine
{
    private static readonly ConditionalWeakTable<IConnectionMultiplexer, CacheEngine> Engines = new();

    private CacheGuardOptions _options;

    private CacheEngine(IConnectionMultiplexer multiplexer, CacheGuardOptions options)
    {
        Multiplexer = multiplexer;
        _options = options;
        Logger = options.LoggerFactory?.CreateLogger("CacheGuard") ?? NullLogger.Instance;
        Breakers = new NodeBreakers(this);
        LastKnown = new LastKnownValues(() => Options);
    }

    public IConnectionMultiplexer Multiplexer { get; }
    public CacheGuardOptions Options => Volatile.Read(ref _options);
    public ILogger Logger { get; private set; }
    public NodeBreakers Breakers { get; }
    public LastKnownValues LastKnown { get; }
    public FlightTable Flights { get; } = new();

    /// <summary>Whether any breaker of this connection is open.</summary>
    public bool AnyBreakerOpen => Breakers.AnyOpen;

    public static CacheEngine For(IDatabase db)
    {
        ArgumentNullException.ThrowIfNull(db);
        return For(db.Multiplexer);
    }

    public static CacheEngine For(IConnectionMultiplexer multiplexer) =>
        Engines.GetValue(multiplexer, m => new CacheEngine(m, new CacheGuardOptions()));

    public static CacheEngine Configure(IConnectionMultiplexer multiplexer, CacheGuardOptions options)
    {
        ArgumentNullException.ThrowIfNull(multiplexer);
        ArgumentNullException.ThrowIfNull(options);
        options.Validate();
        var engine = For(multiplexer);
        Volatile.Write(ref engine._options, options);
        engine.Logger = options.LoggerFactory?.CreateLogger("CacheGuard") ?? NullLogger.Instance;
        return engine;
    }

    // ---- Redis access through the breaker (miss and write paths; the hit path inlines it) ----

    internal async Task<TResult> RedisAsync<TResult>(CircuitBreaker breaker, Func<Task<TResult>> call)
    {
        if (!breaker.TryEnter(out var probe))
            throw new RedisUnavailableException("The CacheGuard circuit breaker is open.", null);
        try
        {
            var result = await call().ConfigureAwait(false);
            breaker.Success(probe);
            return result;
        }
        catch (Exception ex) when (IsRedisFailure(ex))
        {
            CacheGuardTelemetry.Errors.Add(1);
            breaker.Failure(probe);
            throw new RedisUnavailableException("Redis failed: " + ex.Message, ex);
        }
        catch
        {
            breaker.Abandon(probe);
            throw;
        }
    }

    internal static bool IsRedisFailure(Exception ex) =>
        (ex is RedisException or TimeoutException or ObjectDisposedException)
        && ex is not CacheFactoryTimeoutException and not CacheWaitTimeoutException && !IsWrongType(ex);

    internal static bool IsWrongType(Exception ex) =>
        ex is RedisServerException && ex.Message.StartsWith("WRONGTYPE", StringComparison.Ordinal);

    internal static string Shorten(string key) => key.Length <= 200 ? key : string.Concat(key.AsSpan(0, 200), "…");

    /// <summary>The key for logs and traces: the key itself only when <see cref="CacheGuardOptions.TraceKeys"/> is on.</summary>
    internal string LogKey(string key) => Options.TraceKeys ? Shorten(key) : "(key hidden; CacheGuardOptions.TraceKeys)";

    /// <summary>Serializes before anything is sent to Redis; a failure is one clear exception naming the key and type.</summary>
    internal byte[] Serialize<T>(T value, string key)
    {
        try
        {
            return Options.Serializer.Serialize(value);
        }
        catch (Exception ex) when (ex is not OutOfMemoryException)
        {
            throw new CacheSerializationException($"The value for cache key '{Shorten(key)}' (type {value!.GetType().FullName}) could not be serialized; nothing was written to Redis. {Shorten(ex.Message)}", ex);
        }
    }

    /// <summary>Deserializes a stored value; false (logged) when it can't be read as <typeparamref name="T"/>.</summary>
    internal bool TryDeserialize<T>(ReadOnlySpan<byte> bytes, string key, out T value)
    {
        try
        {
            var v = Options.Serializer.Deserialize<T>(bytes);
            value = v!;
            return v is not null;
        }
        catch (Exception ex) when (ex is System.Text.Json.JsonException or NotSupportedException or InvalidOperationException or FormatException or ArgumentException)
        {
            Log.UnreadableEntry(Logger, LogKey(key), typeof(T).Name);
            value = default!;
            return false;
        }
    }

    /// <summary>Fresh TTL and stale window of a call, without allocating resolved options (the hit path).</summary>
    internal TimeSpan LifeOf(TimeSpan? ttl, CacheEntryOptions? options)
    {
        var o = Options;
        var fresh = options?.Ttl ?? ttl ?? o.DefaultTtl;
        var stale = options?.StaleWindow ?? TimeSpan.FromTicks((long)(fresh.Ticks * o.DefaultStaleRatio));
        return fresh + stale;
    }
}
