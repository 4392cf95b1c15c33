using System.Diagnostics;
using System.Net.Sockets;

namespace CacheGuard.Testing.Redis;

/// <summary>
/// A local Redis Cluster: three masters and (by default) one replica each, created with
/// <c>redis-cli --cluster create</c>; ready once every node reports <c>cluster_state:ok</c>.
/// </summary>
public sealed class RedisClusterProcess : IAsyncDisposable
{
    private RedisClusterProcess(IReadOnlyList<RedisServerProcess> nodes) => Nodes = nodes;

    /// <summary>Every node (masters first as created; roles may change on failover).</summary>
    public IReadOnlyList<RedisServerProcess> Nodes { get; }

    /// <summary>A StackExchange.Redis configuration string listing every node.</summary>
    public string ConfigurationString => string.Join(",", Nodes.Select(n => n.Endpoint));

    /// <summary>Starts the nodes, creates the cluster and waits until it is ok.</summary>
    public static async Task<RedisClusterProcess> StartAsync(int masters = 3, int replicasPerMaster = 1, CancellationToken cancellationToken = default)
    {
        var (_, cli) = RedisBinaries.Locate();
        var count = masters * (1 + replicasPerMaster);
        var nodes = new List<RedisServerProcess>();
        try
        {
            var starts = Enumerable.Range(0, count).Select(_ => RedisServerProcess.StartAsync(extraArgs: new[]
            {
                "--cluster-enabled", "yes", "--cluster-config-file", "nodes.conf", "--cluster-node-timeout", "2000",
                "--cluster-require-full-coverage", "no",
                // A replica may take over however long it was cut off: fault tests kill masters on purpose.
                "--cluster-replica-validity-factor", "0",
            }, cancellationToken: cancellationToken)).ToList();
            foreach (var s in starts)
                nodes.Add(await s.ConfigureAwait(false));

            var psi = new ProcessStartInfo(cli) { UseShellExecute = false, RedirectStandardOutput = true, RedirectStandardError = true };
            psi.ArgumentList.Add("--cluster");
            psi.ArgumentList.Add("create");
            foreach (var n in nodes) psi.ArgumentList.Add(n.Endpoint);
            psi.ArgumentList.Add("--cluster-replicas");
            psi.ArgumentList.Add(replicasPerMaster.ToString());
            psi.ArgumentList.Add("--cluster-yes");
            using (var create = Process.Start(psi)!)
            {
                var stdout = create.StandardOutput.ReadToEndAsync(cancellationToken);
                var stderr = create.StandardError.ReadToEndAsync(cancellationToken);
                await create.WaitForExitAsync(cancellationToken).ConfigureAwait(false);
                if (create.ExitCode != 0)
                    throw new InvalidOperationException($"redis-cli --cluster create failed ({create.ExitCode}): {await stdout}{await stderr}");
            }

            var cluster = new RedisClusterProcess(nodes);
            await cluster.WaitUntilOkAsync(TimeSpan.FromSeconds(60), cancellationToken).ConfigureAwait(false);
            return cluster;
        }
        catch
        {
            foreach (var n in nodes) n.Dispose();
            throw;
        }
    }

    private async Task WaitUntilOkAsync(TimeSpan timeout, CancellationToken cancellationToken)
    {
        var deadline = DateTime.UtcNow + timeout;
        string last = "";
        while (DateTime.UtcNow < deadline)
        {
            bool ok;
            try
            {
                ok = await IsOkAsync(cancellationToken).ConfigureAwait(false);
            }
            catch (Exception ex) when (!cancellationToken.IsCancellationRequested && ex is OperationCanceledException or IOException or SocketException)
            {
                // One node did not answer within RawCommandAsync's 5 s (a stalled 2-core machine while six
                // nodes start and replicas take their first sync): not ok yet, ask again until the deadline.
                last = ex.GetType().Name + ": " + ex.Message;
                ok = false;
            }
            if (ok) return;
            await Task.Delay(100, cancellationToken).ConfigureAwait(false);
        }
        var alive = string.Join(", ", Nodes.Select(n => n.Port + (n.IsRunning ? " running" : " exited")));
        throw new TimeoutException($"The local Redis Cluster did not reach cluster_state:ok within {timeout.TotalSeconds:F0} s ({alive}): {last}");

        async Task<bool> IsOkAsync(CancellationToken ct)
        {
            foreach (var n in Nodes)
            {
                last = await RedisServerProcess.RawCommandAsync(n.Port, new[] { "CLUSTER", "INFO" }, ct).ConfigureAwait(false);
                if (!last.Contains("cluster_state:ok", StringComparison.Ordinal) || !last.Contains("cluster_slots_assigned:16384", StringComparison.Ordinal))
                    return false;
            }
            // Every replica must have finished its first sync, or it could not take over a killed master.
            foreach (var n in Nodes)
            {
                last = await RedisServerProcess.RawCommandAsync(n.Port, new[] { "INFO", "replication" }, ct).ConfigureAwait(false);
                if (last.Contains("role:slave", StringComparison.Ordinal) && !last.Contains("master_link_status:up", StringComparison.Ordinal))
                    return false;
            }
            return true;
        }
    }

    /// <summary>Kills every node and deletes their directories.</summary>
    public async ValueTask DisposeAsync()
    {
        foreach (var n in Nodes)
            await n.DisposeAsync().ConfigureAwait(false);
    }
}
