using System.Collections.Concurrent;
using System.Diagnostics.Metrics;

namespace CacheGuard.Runtime.Tests;

[Collection(RedisNodeCollection.Name)]
public class TelemetryTests(RedisNodeFixture fixture)
{
    [Fact]
    public async Task Meter_CountsMissesFactoryRunsHitsAndNegativeHits()
    {
        var mux = await fixture.ConnectAsync();
        var db = mux.GetDatabase();
        var totals = new ConcurrentDictionary<string, long>();
        using var listener = new MeterListener();
        listener.InstrumentPublished = (instrument, l) => { if (instrument.Meter.Name == CacheGuardTelemetry.Name) l.EnableMeasurementEvents(instrument); };
        listener.SetMeasurementEventCallback<long>((instrument, value, _, _) => totals.AddOrUpdate(instrument.Name, value, (_, v) => v + value));
        listener.Start();

        // Other test classes run in parallel and use the same static meter: compare with at-least deltas.
        long Read(string name) => totals.TryGetValue(name, out var v) ? v : 0;
        var (hits, misses, runs) = (Read("cacheguard.hits"), Read("cacheguard.misses"), Read("cacheguard.factory_runs"));

        var key = Nodes.Key("metrics");
        await db.GetOrSetAsync(key, ct => Task.FromResult<Post?>(null), TimeSpan.FromMinutes(1));
        for (var i = 0; i < 3; i++)
            await db.GetOrSetAsync(key, ct => Task.FromResult<Post?>(null), TimeSpan.FromMinutes(1));

        Assert.True(Read("cacheguard.misses") - misses >= 1);
        Assert.True(Read("cacheguard.factory_runs") - runs >= 1);
        Assert.True(Read("cacheguard.hits") - hits >= 3);
    }
}
