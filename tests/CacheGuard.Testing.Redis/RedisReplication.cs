namespace CacheGuard.Testing.Redis;

/// <summary>Real replication: a second redis-server started as a replica of a primary the test owns.</summary>
public static class RedisReplication
{
    /// <summary>Starts a redis-server with <c>--replicaof</c> <paramref name="primary"/> and returns once its link to
    /// the primary is up and the initial sync is done (INFO replication: <c>master_link_status:up</c>).</summary>
    public static async Task<RedisServerProcess> StartReplicaAsync(RedisServerProcess primary, TimeSpan? timeout = null)
    {
        var replica = await RedisServerProcess.StartAsync(extraArgs: new[] { "--replicaof", "127.0.0.1", primary.Port.ToString(System.Globalization.CultureInfo.InvariantCulture) }).ConfigureAwait(false);
        try
        {
            var deadline = DateTime.UtcNow + (timeout ?? TimeSpan.FromSeconds(30));
            while (!await SyncedAsync(replica).ConfigureAwait(false))
            {
                if (DateTime.UtcNow > deadline)
                    throw new TimeoutException($"The replica on port {replica.Port} did not sync with the primary on {primary.Port}: {replica.Log}");
                await Task.Delay(25).ConfigureAwait(false);
            }
            return replica;
        }
        catch
        {
            await replica.DisposeAsync().ConfigureAwait(false);
            throw;
        }
    }

    private static async Task<bool> SyncedAsync(RedisServerProcess replica)
    {
        try
        {
            return (await replica.CommandAsync("INFO", "replication").ConfigureAwait(false)).Contains("master_link_status:up", StringComparison.Ordinal);
        }
        catch (Exception ex) when (ex is OperationCanceledException or IOException or System.Net.Sockets.SocketException)
        {
            // INFO did not answer within RawCommandAsync's 5 s (a stalled machine while the replica takes its first
            // sync): not synced yet, ask again until the deadline, as the cluster's wait for cluster_state:ok does.
            return false;
        }
    }
}
