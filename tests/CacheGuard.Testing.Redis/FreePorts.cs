using System.Net;
using System.Net.Sockets;

namespace CacheGuard.Testing.Redis;

/// <summary>Picks TCP ports that are free now (and, for cluster nodes, whose bus port +10000 is free too).</summary>
internal static class FreePorts
{
    private static readonly object Gate = new();
    private static readonly HashSet<int> Handed = new();

    public static int Next(bool withClusterBus = false)
    {
        lock (Gate)
        {
            for (var attempt = 0; attempt < 1000; attempt++)
            {
                var port = Random.Shared.Next(20000, 30000);
                if (Handed.Contains(port) || !IsFree(port) || (withClusterBus && !IsFree(port + 10000)))
                    continue;
                Handed.Add(port);
                return port;
            }
            throw new InvalidOperationException("No free TCP port found for a test redis-server.");
        }
    }

    private static bool IsFree(int port)
    {
        try
        {
            var listener = new TcpListener(IPAddress.Loopback, port);
            listener.Start();
            listener.Stop();
            return true;
        }
        catch (SocketException)
        {
            return false;
        }
    }
}
