// Runs the runtime's promises on .NET 8 + StackExchange.Redis 2.8.16 against the redis-server given as
// the first argument, one line per check ("ok <name>" or "FAIL <name>: why"), exit code 1 on any failure.
using System.Reflection;
using CacheGuard;
using StackExchange.Redis;

var failures = 0;
void Check(string name, bool passed, string why)
{
    Console.WriteLine(passed ? $"ok {name}" : $"FAIL {name}: {why}");
    if (!passed) failures++;
}

var client = typeof(IDatabase).Assembly.GetCustomAttribute<AssemblyInformationalVersionAttribute>()?.InformationalVersion ?? "?";
Console.WriteLine($"runtime {Environment.Version}");
Console.WriteLine($"redis-client {client.Split('+')[0]}");
Console.WriteLine($"cacheguard-asset {typeof(CacheTtl).Assembly.GetCustomAttribute<System.Runtime.Versioning.TargetFrameworkAttribute>()?.FrameworkName}");

var options = ConfigurationOptions.Parse(args[0]);
options.AsyncTimeout = options.SyncTimeout = 10_000;
using var mux = await ConnectionMultiplexer.ConnectAsync(options);
var db = mux.GetDatabase();
var key = "net8run:post:" + Guid.NewGuid().ToString("N");

// Single-flight: 20 concurrent callers of a cold key share one factory run and get its value.
var runs = 0;
var release = new TaskCompletionSource(TaskCreationOptions.RunContinuationsAsynchronously);
async Task<string> Load(CancellationToken ct)
{
    var run = Interlocked.Increment(ref runs);
    await release.Task.WaitAsync(ct);
    return "title v" + run;
}
var callers = Enumerable.Range(0, 20).Select(_ => db.GetOrSetAsync(key, Load, TimeSpan.FromMinutes(5))).ToArray();
release.SetResult();
var values = await Task.WhenAll(callers);
Check("single-flight", runs == 1 && values.All(v => v == "title v1"), $"factory runs {runs}, values {string.Join(",", values.Distinct())}");

// Wire format: a plain StringGet of the user's key reads the string itself (raw UTF-8), and the TTL is
// the requested 5 minutes plus at most 10% jitter.
var raw = await db.StringGetAsync(key);
Check("raw-readable", raw == "title v1", $"StringGet returned '{raw}'");
var ttl = await db.KeyTimeToLiveAsync(key);
Check("jittered-ttl", ttl is { } t && t > TimeSpan.FromMinutes(4.9) && t <= TimeSpan.FromMinutes(5.5), $"TTL {ttl}");

// A hit does not run the factory; an invalidation makes the next call load again.
var hit = await db.GetOrSetAsync(key, Load, TimeSpan.FromMinutes(5));
Check("hit", hit == "title v1" && runs == 1, $"value {hit}, runs {runs}");
var invalidation = await db.InvalidateAsync(key);
Check("invalidate", invalidation.Succeeded && !(await db.KeyExistsAsync(key)), "the key survived the invalidation");
var reloaded = await db.GetOrSetAsync(key, Load, TimeSpan.FromMinutes(5));
Check("reload-after-invalidate", reloaded == "title v2" && runs == 2, $"value {reloaded}, runs {runs}");

// TryGet tells a hit from a miss.
var lookup = await db.TryGetAsync<string>(key);
var missing = await db.TryGetAsync<string>(key + ":absent");
Check("try-get", lookup.IsHit && lookup.Value == "title v2" && missing.IsMiss, $"hit {lookup.Status}, absent {missing.Status}");

// A lease is exclusive until released.
var lease = await db.TryAcquireLeaseAsync(key + ":lock", TimeSpan.FromSeconds(30));
var second = await db.TryAcquireLeaseAsync(key + ":lock", TimeSpan.FromSeconds(30));
Check("lease-exclusive", lease is not null && second is null, $"first {(lease is null ? "refused" : "held")}, second {(second is null ? "refused" : "held")}");
if (lease is not null) await lease.DisposeAsync();
var third = await db.TryAcquireLeaseAsync(key + ":lock", TimeSpan.FromSeconds(30));
Check("lease-released", third is not null, "the lease was not free after its release");
if (third is not null) await third.DisposeAsync();

// Jitter stays in its bound and varies.
var jittered = Enumerable.Range(0, 1000).Select(_ => CacheTtl.Jitter(TimeSpan.FromSeconds(100))).ToArray();
Check("jitter-bounds", jittered.All(j => j >= TimeSpan.FromSeconds(100) && j <= TimeSpan.FromSeconds(110)) && jittered.Distinct().Count() > 100, $"min {jittered.Min()}, max {jittered.Max()}, distinct {jittered.Distinct().Count()}");

await db.KeyDeleteAsync(key);
Console.WriteLine(failures == 0 ? "all passed" : $"{failures} failed");
return failures == 0 ? 0 : 1;
