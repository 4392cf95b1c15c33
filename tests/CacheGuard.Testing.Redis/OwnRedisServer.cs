using StackExchange.Redis;

namespace CacheGuard.Testing.Redis;

/// <summary>
/// A redis-server that one fault test owns (so it may kill, pause or restart it) and one multiplexer
/// connected to it with short command timeouts. Disposing closes the connection, then kills the server.
/// </summary>
public sealed class OwnRedisServer : IAsyncDisposable
{
    private OwnRedisServer(RedisServerProcess server, ConnectionMultiplexer mux)
    {
        Server = server;
        Mux = mux;
        Db = mux.GetDatabase();
    }

    public RedisServerProcess Server { get; }
    public ConnectionMultiplexer Mux { get; }
    public IDatabase Db { get; }

    /// <summary>Starts a server and connects to it (command timeout <paramref name="timeoutMs"/>, 1 s by default;
    /// <paramref name="connection"/> may change the rest of the connection's options).</summary>
    public static async Task<OwnRedisServer> StartAsync(int timeoutMs = 1000, IEnumerable<string>? extraArgs = null, Action<ConfigurationOptions>? connection = null)
    {
        var server = await RedisServerProcess.StartAsync(extraArgs: extraArgs).ConfigureAwait(false);
        try
        {
            var options = RedisConnections.Options(server.Endpoint, timeoutMs);
            connection?.Invoke(options);
            var mux = await ConnectionMultiplexer.ConnectAsync(options).ConfigureAwait(false);
            return new OwnRedisServer(server, mux);
        }
        catch
        {
            await server.DisposeAsync().ConfigureAwait(false);
            throw;
        }
    }

    public void Deconstruct(out RedisServerProcess server, out ConnectionMultiplexer mux, out IDatabase db) =>
        (server, mux, db) = (Server, Mux, Db);

    /// <summary>Data loss: kills the server (SIGKILL, persistence is off), starts it again empty on the same port,
    /// and returns once the multiplexer has reconnected and Redis answers.</summary>
    public async Task KillAndRestartEmptyAsync()
    {
        Server.Kill();
        await Server.RestartAsync().ConfigureAwait(false);
        await RedisConnections.UntilAnswersAsync(Db).ConfigureAwait(false);
    }

    /// <summary>Returns once Redis answers through <see cref="Mux"/> (after a restart or a pause).</summary>
    public Task UntilAnswersAsync() => RedisConnections.UntilAnswersAsync(Db);

    public async ValueTask DisposeAsync()
    {
        await Mux.DisposeAsync().ConfigureAwait(false);
        await Server.DisposeAsync().ConfigureAwait(false);
    }
}
