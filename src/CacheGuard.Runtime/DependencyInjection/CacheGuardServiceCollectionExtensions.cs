using CacheGuard;
using Microsoft.Extensions.Hosting;
using Microsoft.Extensions.DependencyInjection.Extensions;
using Microsoft.Extensions.Logging;
using Microsoft.Extensions.Options;
using StackExchange.Redis;

namespace Microsoft.Extensions.DependencyInjection;

/// <summary>Registers CacheGuard in a service collection.</summary>
public static class CacheGuardServiceCollectionExtensions
{
    /// <summary>
    /// Registers <see cref="ICacheGuard"/> (singleton) over the <see cref="IConnectionMultiplexer"/>
    /// already registered, with <see cref="CacheGuardOptions"/> bound through Microsoft.Extensions.Options.
    /// The options also apply to the <c>IDatabase</c> extension methods on the same connection.
    /// </summary>
    public static IServiceCollection AddCacheGuard(this IServiceCollection services, Action<CacheGuardOptions>? configure = null)
    {
        ArgumentNullException.ThrowIfNull(services);
        services.AddOptions<CacheGuardOptions>().Validate(o => { o.Validate(); return true; });
        if (configure is not null)
            services.Configure(configure);
        services.TryAddSingleton<ICacheGuard>(sp =>
        {
            var options = sp.GetRequiredService<IOptions<CacheGuardOptions>>().Value;
            options.LoggerFactory ??= sp.GetService<ILoggerFactory>();
            return new CacheGuardCache(sp.GetRequiredService<IConnectionMultiplexer>(), options);
        });
        // Rewritten call sites use the IDatabase extensions and never resolve ICacheGuard; this
        // applies the options to the connection when the host starts.
        services.AddHostedService<CacheGuardConfigurationService>();
        return services;
    }

    /// <summary>
    /// Registers the write-behind replayer as a hosted service applying outbox entries through
    /// <typeparamref name="TWriter"/> (which must be idempotent on the entry's idempotency key).
    /// </summary>
    public static IServiceCollection AddCacheGuardOutboxReplayer<TWriter>(this IServiceCollection services, Action<OutboxOptions>? configure = null)
        where TWriter : class, IOutboxWriter
    {
        ArgumentNullException.ThrowIfNull(services);
        services.AddOptions<OutboxOptions>();
        if (configure is not null)
            services.Configure(configure);
        services.TryAddSingleton<IOutboxWriter, TWriter>();
        services.TryAddSingleton(sp => new OutboxReplayer(
            sp.GetRequiredService<IConnectionMultiplexer>(),
            sp.GetRequiredService<IOutboxWriter>(),
            sp.GetRequiredService<IOptions<OutboxOptions>>().Value,
            sp.GetService<ILoggerFactory>()?.CreateLogger("CacheGuard.Outbox")));
        services.AddHostedService<OutboxReplayerService>();
        return services;
    }
}

/// <summary>Applies the registered <see cref="CacheGuardOptions"/> to the connection at host start.</summary>
internal sealed class CacheGuardConfigurationService(IServiceProvider services) : IHostedService
{
    public Task StartAsync(CancellationToken cancellationToken)
    {
        services.GetRequiredService<ICacheGuard>();
        return Task.CompletedTask;
    }

    public Task StopAsync(CancellationToken cancellationToken) => Task.CompletedTask;
}
