using System.Diagnostics;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Hosting;
using Microsoft.Extensions.Options;
using StackExchange.Redis;

namespace CacheGuard.Runtime.Tests;

[Collection(RedisNodeCollection.Name)]
public class DependencyInjectionTests(RedisNodeFixture fixture)
{
    private sealed class NoopWriter : IOutboxWriter
    {
        public Task ApplyAsync(OutboxEntry entry, CancellationToken cancellationToken) => Task.CompletedTask;
    }

    [Fact]
    public async Task AddCacheGuard_ResolvesTheService_AndItsOptionsApplyToTheExtensionMethodsOnTheSameConnection()
    {
        var mux = await fixture.ConnectAsync();
        var services = new ServiceCollection()
            .AddSingleton<IConnectionMultiplexer>(mux)
            .AddLogging()
            .AddCacheGuard(o => o.LeaseTtl = TimeSpan.FromSeconds(7))
            .AddCacheGuardOutboxReplayer<NoopWriter>(o => o.BatchSize = 3);
        await using var provider = services.BuildServiceProvider();

        var cache = provider.GetRequiredService<ICacheGuard>();
        Assert.Equal(TimeSpan.FromSeconds(7), CacheGuardDatabaseExtensions.GetOptions(mux).LeaseTtl);
        Assert.Contains(provider.GetServices<IHostedService>(), s => s is OutboxReplayerService);

        var key = Nodes.Key("di");
        var runs = 0;
        Assert.Equal(5, await cache.GetOrSetAsync(key, ct => { runs++; return Task.FromResult(5); }));
        Assert.Equal(5, await mux.GetDatabase().GetOrSetAsync(key, ct => { runs++; return Task.FromResult(6); }));
        Assert.Equal(1, runs);
        Assert.True((await cache.InvalidateAsync(key)).Succeeded);
        Assert.True((await cache.TryGetAsync<int>(key)).IsMiss);
    }

    [Fact]
    public async Task AddCacheGuard_AppliesItsOptionsAtHostStart_WithoutAnyoneResolvingTheService()
    {
        var mux = await fixture.ConnectAsync();
        var services = new ServiceCollection()
            .AddSingleton<IConnectionMultiplexer>(mux)
            .AddCacheGuard(o => o.WaitDeadline = TimeSpan.FromSeconds(3));
        await using var provider = services.BuildServiceProvider();
        Assert.NotEqual(TimeSpan.FromSeconds(3), CacheGuardDatabaseExtensions.GetOptions(mux).WaitDeadline);

        foreach (var hosted in provider.GetServices<IHostedService>())
            await hosted.StartAsync(CancellationToken.None);

        Assert.Equal(TimeSpan.FromSeconds(3), CacheGuardDatabaseExtensions.GetOptions(mux).WaitDeadline);
    }

    [Fact]
    public void InvalidOptions_AreRejected()
    {
        var services = new ServiceCollection().AddCacheGuard(o => o.FenceTtl = TimeSpan.FromSeconds(1));
        using var provider = services.BuildServiceProvider();
        Assert.ThrowsAny<Exception>(() => provider.GetRequiredService<IOptions<CacheGuardOptions>>().Value);
    }

    [Fact]
    public async Task Telemetry_ActivityPerGetOrSet_WithItsOutcome()
    {
        var mux = await fixture.ConnectAsync();
        CacheGuardDatabaseExtensions.Configure(mux, new CacheGuardOptions { TraceKeys = true }); // keys stay out of traces by default
        var db = mux.GetDatabase();
        var key = Nodes.Key("telemetry");
        var outcomes = new System.Collections.Concurrent.ConcurrentQueue<string>();
        using var listener = new ActivityListener
        {
            ShouldListenTo = s => s.Name == CacheGuardTelemetry.Name,
            Sample = (ref ActivityCreationOptions<ActivityContext> _) => ActivitySamplingResult.AllData,
            ActivityStopped = a =>
            {
                if ((string?)a.GetTagItem("cacheguard.key") == key)
                    outcomes.Enqueue((string?)a.GetTagItem("cacheguard.outcome") ?? "");
            },
        };
        ActivitySource.AddActivityListener(listener);

        await db.GetOrSetAsync(key, ct => Task.FromResult(1), TimeSpan.FromMinutes(1));
        await db.GetOrSetAsync(key, ct => Task.FromResult(1), TimeSpan.FromMinutes(1));

        Assert.Equal(new[] { "miss", "hit" }, outcomes);
    }
}
