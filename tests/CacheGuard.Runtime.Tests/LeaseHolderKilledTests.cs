using System.Diagnostics;
using CacheGuard.Testing.Redis;
using StackExchange.Redis;
using Xunit.Abstractions;

namespace CacheGuard.Runtime.Tests;

/// <summary>A node (a separate OS process) holding a lease is killed; another node proceeds once the lease lapses.</summary>
[Collection(RedisNodeCollection.Name)]
public sealed class LeaseHolderKilledTests(RedisNodeFixture fixture, ITestOutputHelper output)
{
    private const int LeaseTtlMs = 1500;

    private static Process StartHolder(string endpoint, string key, string mode, TaskCompletionSource<string> firstLine)
    {
        var dll = Path.Combine(AppContext.BaseDirectory, "CacheGuard.LeaseHolder.dll");
        Assert.True(File.Exists(dll), dll + " missing");
        var psi = new ProcessStartInfo(Environment.GetEnvironmentVariable("DOTNET_HOST_PATH") ?? "dotnet")
        {
            RedirectStandardOutput = true,
            RedirectStandardError = true,
            UseShellExecute = false,
        };
        foreach (var a in new[] { dll, endpoint, key, mode, LeaseTtlMs.ToString(System.Globalization.CultureInfo.InvariantCulture) })
            psi.ArgumentList.Add(a);
        var p = Process.Start(psi)!;
        p.OutputDataReceived += (_, e) => { if (e.Data is { Length: > 0 } line) firstLine.TrySetResult(line); };
        p.ErrorDataReceived += (_, e) => { if (e.Data is { Length: > 0 } line) firstLine.TrySetResult("stderr: " + line); };
        p.BeginOutputReadLine();
        p.BeginErrorReadLine();
        return p;
    }

    [Theory]
    [InlineData("lease")]
    [InlineData("factory")]
    public async Task HolderProcessKilled_LeaseLapses_AnotherNodeProceeds_NobodyWaitsForever(string mode)
    {
        var key = Nodes.Key("killed-holder-" + mode);
        var line = new TaskCompletionSource<string>(TaskCreationOptions.RunContinuationsAsynchronously);
        using var holder = StartHolder(fixture.Server.Endpoint, key, mode, line);
        try
        {
            Assert.Equal("HELD", await line.Task.WaitAsync(TimeSpan.FromSeconds(60)));
            var db = (await Nodes.StartAsync(new NodeTarget(fixture), 1))[0];
            var leaseKey = new EntryKeys(key).Lease;
            Assert.True(await db.KeyExistsAsync(leaseKey));
            // While the holder lives (renewing), the lease is not ours.
            Assert.Null(await db.TryAcquireLeaseAsync(key, TimeSpan.FromSeconds(5)));

            var killedAt = Stopwatch.StartNew();
            holder.Kill(entireProcessTree: true);
            await holder.WaitForExitAsync().WaitAsync(Bounded.Timeout);

            if (mode == "lease")
            {
                RedisLease? lease = null;
                await Bounded.UntilAsync(async () => (lease = await db.TryAcquireLeaseAsync(key, TimeSpan.FromSeconds(5))) is not null, "the dead holder's lease lapses");
                await using var _ = lease!;
                Assert.True(lease!.IsHeld);
            }
            else
            {
                var runs = 0;
                var value = await db.GetOrSetAsync(key, ct => { Interlocked.Increment(ref runs); return Task.FromResult("taken over"); },
                    new CacheEntryOptions { Ttl = TimeSpan.FromMinutes(5), WaitDeadline = TimeSpan.FromMinutes(5), OnWaitDeadline = WaitDeadlineBehavior.Throw }).Within();
                Assert.Equal("taken over", value);
                Assert.Equal(1, runs);
            }
            output.WriteLine($"{mode}: holder killed; another node proceeded after {killedAt.Elapsed.TotalSeconds:F2} s (lease TTL {LeaseTtlMs / 1000.0:F1} s)");
        }
        finally
        {
            if (!holder.HasExited) holder.Kill(entireProcessTree: true);
        }
    }

    [Fact]
    public async Task HolderLosesItsRedis_RenewalStops_LeaseLostFires_AndTheLapsedLeaseIsNotRevived()
    {
        await using var server = await RedisServerProcess.StartAsync();
        await using var holderMux = await ConnectionMultiplexer.ConnectAsync(TestConnections.Options(server.Endpoint, timeoutMs: 500));
        await using var otherMux = await ConnectionMultiplexer.ConnectAsync(TestConnections.Options(server.Endpoint));
        var key = Nodes.Key("renewal-stops");
        var lease = await holderMux.GetDatabase().TryAcquireLeaseAsync(key, TimeSpan.FromMilliseconds(LeaseTtlMs));
        Assert.NotNull(lease);
        await using var _ = lease!;
        var lost = new TaskCompletionSource(TaskCreationOptions.RunContinuationsAsynchronously);
        using var reg = lease!.LeaseLost.Register(() => lost.TrySetResult());

        var sw = Stopwatch.StartNew();
        server.Pause(); // the holder's renewals time out
        try
        {
            await lost.Task.Within();
        }
        finally
        {
            server.Resume();
        }
        Assert.False(lease.IsHeld);
        output.WriteLine($"LeaseLost fired {sw.Elapsed.TotalSeconds:F2} s after the holder lost Redis (TTL {LeaseTtlMs / 1000.0:F1} s)");

        // Another node takes the lease once it lapses; the old holder's loop has stopped and never overwrites it.
        var other = otherMux.GetDatabase();
        RedisLease? taken = null;
        await Bounded.UntilAsync(async () => (taken = await other.TryAcquireLeaseAsync(key, TimeSpan.FromMinutes(1))) is not null, "the lapsed lease is free");
        await using var __ = taken!;
        Assert.False(await lease.RenewAsync());
        Assert.Equal(taken!.Token, (string?)await other.StringGetAsync(taken.Key));
    }
}
