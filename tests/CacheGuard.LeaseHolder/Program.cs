using CacheGuard;
using StackExchange.Redis;

// args: <endpoint> <key> <lease|factory> <lease ttl ms>
var options = ConfigurationOptions.Parse(args[0]);
options.AbortOnConnectFail = false;
await using var mux = await ConnectionMultiplexer.ConnectAsync(options);
var db = mux.GetDatabase();
var ttl = TimeSpan.FromMilliseconds(int.Parse(args[3], System.Globalization.CultureInfo.InvariantCulture));
CacheGuardDatabaseExtensions.Configure(mux, new CacheGuardOptions { LeaseTtl = ttl });
if (args[2] == "lease")
{
    var lease = await db.TryAcquireLeaseAsync(args[1], ttl);
    Console.WriteLine(lease is null ? "BUSY" : "HELD");
    await Task.Delay(Timeout.Infinite);
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
