using StackExchange.Redis;

namespace CacheGuard.Runtime.Tests;

public class TtlJitterTests
{
    [Theory]
    [InlineData(0.0)]
    [InlineData(0.5)]
    [InlineData(0.999999)]
    public void Apply_StaysWithinTtlAndTtlTimesOnePlusFraction(double unit)
    {
        var jitter = new TtlJitter(0.2, () => unit);
        var ttl = TimeSpan.FromMinutes(10);

        var jittered = jitter.Apply(ttl);

        Assert.InRange(jittered, ttl, ttl * 1.2);
        Assert.Equal(ttl.Ticks + (long)(ttl.Ticks * 0.2 * unit), jittered.Ticks, tolerance: 1);
    }

    [Fact]
    public void Apply_WithRealRandomness_SpreadsOverTheWholeRange()
    {
        var jitter = new TtlJitter(0.1, new Random(1234).NextDouble);
        var ttl = TimeSpan.FromSeconds(600);
        var buckets = new int[10];

        for (var i = 0; i < 10_000; i++)
        {
            var extra = (jitter.Apply(ttl) - ttl).TotalSeconds;
            Assert.InRange(extra, 0, 60);
            buckets[Math.Min(9, (int)(extra / 6))]++;
        }

        // Uniform: each tenth of the range gets ~1,000 of 10,000 draws; none is starved or flooded.
        Assert.All(buckets, count => Assert.InRange(count, 850, 1150));
    }

    [Fact]
    public void Shared_IsUsedByCacheTtl_AndCanBeReplaced()
    {
        var original = TtlJitter.Shared;
        try
        {
            TtlJitter.Shared = new TtlJitter(0.5, () => 0.5);
            Assert.Equal(TimeSpan.FromSeconds(125), CacheTtl.Jitter(TimeSpan.FromSeconds(100)));
            Assert.Equal(TimeSpan.FromSeconds(110), CacheTtl.Jitter(TimeSpan.FromSeconds(100), 0.2));
            Assert.Null(CacheTtl.Jitter((TimeSpan?)null));
            Assert.Equal(TimeSpan.FromSeconds(37.5), CacheTtl.Negative());
        }
        finally
        {
            TtlJitter.Shared = original;
        }
    }

    [Theory]
    [InlineData(-0.1)]
    [InlineData(1.5)]
    [InlineData(double.NaN)]
    public void BadFraction_IsRejected(double fraction)
    {
        Assert.Throws<ArgumentOutOfRangeException>(() => new TtlJitter(fraction));
        Assert.Throws<ArgumentOutOfRangeException>(() => CacheTtl.Jitter(TimeSpan.FromSeconds(1), fraction));
    }

    [Fact]
    public void NonPositiveTtl_IsRejected()
    {
        Assert.Throws<ArgumentOutOfRangeException>(() => CacheTtl.Jitter(TimeSpan.Zero));
        Assert.Throws<ArgumentOutOfRangeException>(() => CacheTtl.Jitter(TimeSpan.FromSeconds(-1)));
    }

    [Fact]
    public void HugeTtl_ClampsInsteadOfOverflowing()
    {
        Assert.Equal(TimeSpan.MaxValue, new TtlJitter(1.0, () => 0.99).Apply(TimeSpan.MaxValue));
    }

    [Fact]
    public void BrokenRandomSource_IsReported()
    {
        Assert.Throws<InvalidOperationException>(() => new TtlJitter(0.1, () => 1.0).Apply(TimeSpan.FromSeconds(1)));
    }
}
