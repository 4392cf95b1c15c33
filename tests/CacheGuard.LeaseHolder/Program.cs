using CacheGuard;
using StackExchange.Redis;

// args: <endpoint> <key> <lease|factory|populate> <lease ttl ms>
//   lease     take a lease, print HELD, wait to be killed;
//   factory   GetOrSet whose factory prints HELD and never ends; wait to be killed;
//   populate  GetOrSet whose factory prints HELD, then returns "old holder" once a line arrives on
//             stdin (the test pauses this process with SIGSTOP past its lease in between); prints
//             RETURNED <value> and exits 0. Prints EVENT <id> for every CacheGuard log event first
//             (1005 = populate refused, 1001 = Redis fallback), so the test sees why nothing landed.
var options = ConfigurationOptions.Parse(args[0]);
options.AbortOnConnectFail = false;
await using var mux = await ConnectionMultiplexer.ConnectAsync(options);
var db = mux.GetDatabase();
var ttl = TimeSpan.FromMilliseconds(int.Parse(args[3], System.Globalization.CultureInfo.InvariantCulture));
CacheGuardDatabaseExtensions.Configure(mux, new CacheGuardOptions { LeaseTtl = ttl, LoggerFactory = args[2] == "populate" ? new EventPrinter() : null });
if (args[2] == "lease")
{
    var lease = await db.TryAcquireLeaseAsync(args[1], ttl);
    Console.WriteLine(lease is null ? "BUSY" : "HELD");
    await Task.Delay(Timeout.Infinite);
}
else if (args[2] == "populate")
{
    var value = await db.GetOrSetAsync(args[1], async ct =>
    {
        Console.WriteLine("HELD");
        await Console.In.ReadLineAsync(CancellationToken.None);
        return "old holder";
    }, new CacheEntryOptions { Ttl = TimeSpan.FromMinutes(5), FactoryTimeout = TimeSpan.FromMinutes(1) });
    Console.WriteLine("RETURNED " + value);
}
else
{
    _ = db.GetOrSetAsync(args[1], async ct =>
    {
        Console.WriteLine("HELD");
        await Task.Delay(Timeout.Infinite, CancellationToken.None);
        return "never";
    }, new CacheEntryOptions { Ttl = TimeSpan.FromMinutes(5), FactoryTimeout = TimeSpan.FromMinutes(1) });
    await Task.Delay(Timeout.Infinite);
}

/// <summary>Prints "EVENT &lt;id&gt;" for every log event (Microsoft.Extensions.Logging.Abstractions only).</summary>
internal sealed class EventPrinter : Microsoft.Extensions.Logging.ILoggerFactory, Microsoft.Extensions.Logging.ILogger
{
    public Microsoft.Extensions.Logging.ILogger CreateLogger(string categoryName) => this;
    public void AddProvider(Microsoft.Extensions.Logging.ILoggerProvider provider) { }
    public void Dispose() { }
    public IDisposable? BeginScope<TState>(TState state) where TState : notnull => null;
    public bool IsEnabled(Microsoft.Extensions.Logging.LogLevel logLevel) => true;
    public void Log<TState>(Microsoft.Extensions.Logging.LogLevel logLevel, Microsoft.Extensions.Logging.EventId eventId, TState state, Exception? exception, Func<TState, Exception?, string> formatter) =>
        Console.WriteLine("EVENT " + eventId.Id.ToString(System.Globalization.CultureInfo.InvariantCulture));
}
