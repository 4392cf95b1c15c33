using StackExchange.Redis;

namespace CacheGuard.Testing.Redis;

/// <summary>How tests connect to the servers they started, and how they wait for one to answer again.</summary>
public static class RedisConnections
{
    /// <param name="endpoints">The servers.</param>
    /// <param name="timeoutMs">Command timeout: generous by default (a timeout makes CacheGuard fall back and
    /// run the factory, which would break exact run counts on a busy machine); short in fault tests.</param>
    /// <remarks>The connect timeout is generous too: with <c>AbortOnConnectFail = false</c>, ConnectAsync returns once it
    /// has passed even if a server's handshake has not finished, and with <c>BacklogPolicy.FailFast</c> the first commands
    /// to that server then fail at once (a fallback that runs the factory, or a throw). A dead server is refused at once
    /// whatever the timeout, so the fault tests do not wait for it.</remarks>
    public static ConfigurationOptions Options(string endpoints, int timeoutMs = 10_000)
    {
        var o = ConfigurationOptions.Parse(endpoints);
        o.AbortOnConnectFail = false;
        o.AllowAdmin = true;
        o.ConnectTimeout = 10_000;
        o.AsyncTimeout = timeoutMs;
        o.SyncTimeout = timeoutMs;
        o.ConnectRetry = 1;
        o.BacklogPolicy = BacklogPolicy.FailFast;
        o.ReconnectRetryPolicy = new LinearRetry(100);
        return o;
    }

    /// <summary>Polls PING through <paramref name="db"/>'s multiplexer until it answers (after a restart the
    /// multiplexer reconnects on its own); throws <see cref="TimeoutException"/> after <paramref name="timeout"/> (30 s).</summary>
    public static async Task UntilAnswersAsync(IDatabase db, TimeSpan? timeout = null)
    {
        var deadline = DateTime.UtcNow + (timeout ?? TimeSpan.FromSeconds(30));
        while (true)
        {
            try
            {
                await db.PingAsync().ConfigureAwait(false);
                return;
            }
            catch (Exception ex) when (ex is RedisException or TimeoutException)
            {
                if (DateTime.UtcNow > deadline) throw new TimeoutException("Redis did not answer again within the timeout.", ex);
            }
            await Task.Delay(20).ConfigureAwait(false);
        }
    }
}
