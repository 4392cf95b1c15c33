using Microsoft.Extensions.Hosting;

namespace CacheGuard;

/// <summary>Hosts an <see cref="OutboxReplayer"/> for the application's lifetime (<c>AddCacheGuardOutboxReplayer</c>).</summary>
public sealed class OutboxReplayerService : BackgroundService
{
    /// <summary>Creates the service.</summary>
    public OutboxReplayerService(OutboxReplayer replayer) => Replayer = replayer ?? throw new ArgumentNullException(nameof(replayer));

    /// <summary>The replayer this service runs.</summary>
    public OutboxReplayer Replayer { get; }

    /// <inheritdoc />
    protected override Task ExecuteAsync(CancellationToken stoppingToken) => Replayer.RunAsync(stoppingToken);
}
