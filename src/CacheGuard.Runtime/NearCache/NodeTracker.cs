using System.Net;
using System.Text;

namespace CacheGuard.NearCaching;

internal enum TrackerState { Connecting, Tracking, Backplane, Unavailable }

/// <summary>
/// The near cache's own connection to one Redis node (one per master on a Cluster), with
/// CLIENT TRACKING on over RESP3 so invalidations arrive on the very connection that read the keys.
/// Every loss of that connection (error, close, failed health check) moves to a new epoch, which
/// makes every entry read through it dead at once; the next connection turns tracking on before
/// it serves any read, so no read is ever untracked.
/// </summary>
internal sealed class NodeTracker : IAsyncDisposable
{
    private readonly NearCache _owner;
    private readonly CancellationTokenSource _stop = new();
    private RespConnection? _connection;
    private long _epoch;
    private volatile TrackerState _state = TrackerState.Connecting;
    private readonly Task _loop;
    private TaskCompletionSource _ready = new(TaskCreationOptions.RunContinuationsAsynchronously);

    public NodeTracker(NearCache owner, EndPoint endpoint)
    {
        _owner = owner;
        Endpoint = endpoint;
        _loop = Task.Run(RunAsync);
    }

    public EndPoint Endpoint { get; }

    /// <summary>Entries read in an older epoch are dead.</summary>
    public long Epoch => Interlocked.Read(ref _epoch);

    public TrackerState State => _state;

    /// <summary>Server-side client id of the tracked connection (for tests and CLIENT KILL).</summary>
    public long ClientId { get; private set; }

    /// <summary>Completes when the current connection can serve reads.</summary>
    public Task Ready => Volatile.Read(ref _ready).Task;

    public bool CanServe => _state is TrackerState.Tracking or TrackerState.Backplane;

    /// <summary>Makes every entry of this node dead (new epoch).</summary>
    public void Flush() => Interlocked.Increment(ref _epoch);

    /// <summary>GET + PTTL of one key on the tracked connection; null when there is no usable connection.</summary>
    public (Task<RespValue> Get, Task<RespValue> Pttl, long Epoch)? Read(byte[] key, Action onGetReply)
    {
        var c = Volatile.Read(ref _connection);
        if (c is null || c.IsClosed || !CanServe) return null;
        var epoch = Epoch;
        var t = c.SendManyAsync(new[] { new[] { "GET"u8.ToArray(), key }, new[] { "PTTL"u8.ToArray(), key } }, new Action?[] { onGetReply, null });
        return (t[0], t[1], epoch);
    }

    private async Task RunAsync()
    {
        var backoff = TimeSpan.FromMilliseconds(50);
        while (!_stop.IsCancellationRequested)
        {
            RespConnection? c = null;
            try
            {
                var o = _owner.Options;
                c = await RespConnection.ConnectAsync(Endpoint, _owner.Ssl, _owner.SslHost, o.ConnectTimeout, _stop.Token).ConfigureAwait(false);
                var closed = new TaskCompletionSource(TaskCreationOptions.RunContinuationsAsynchronously);
                c.Closed += _ => closed.TrySetResult();
                c.OnPush = OnPush;
                var mode = await HandshakeAsync(c, o).ConfigureAwait(false);
                Interlocked.Increment(ref _epoch); // reads before this connection was tracked are never stored
                Volatile.Write(ref _connection, c);
                _state = mode;
                await _owner.TrackerReadyAsync(this).ConfigureAwait(false); // the backplane is subscribed before anyone is told "ready"
                Volatile.Read(ref _ready).TrySetResult();
                backoff = TimeSpan.FromMilliseconds(50);
                await MonitorAsync(c, closed.Task, o).ConfigureAwait(false);
            }
            catch (Exception) when (_stop.IsCancellationRequested)
            {
                break;
            }
            catch (Exception)
            {
                // connect or handshake failed: try again after a short backoff
            }
            finally
            {
                var wasServing = CanServe;
                _state = _stop.IsCancellationRequested ? TrackerState.Unavailable : TrackerState.Connecting;
                Volatile.Write(ref _connection, null);
                if (c is not null) await c.DisposeAsync().ConfigureAwait(false);
                Flush();
                if (wasServing)
                {
                    Interlocked.Exchange(ref _ready, new TaskCompletionSource(TaskCreationOptions.RunContinuationsAsynchronously));
                    _owner.TrackerLost(this);
                }
            }
            try { await Task.Delay(backoff, _stop.Token).ConfigureAwait(false); }
            catch (OperationCanceledException) { break; }
            backoff = TimeSpan.FromMilliseconds(Math.Min(backoff.TotalMilliseconds * 2, 2000));
        }
    }

    private async Task<TrackerState> HandshakeAsync(RespConnection c, NearCacheOptions o)
    {
        var user = _owner.User;
        var password = _owner.Password;
        var hello = new List<string> { "HELLO", "3" };
        if (password is not null) { hello.Add("AUTH"); hello.Add(user ?? "default"); hello.Add(password); }
        hello.Add("SETNAME"); hello.Add(_owner.ClientName);
        var wantTracking = o.Mode != NearCacheMode.Backplane;
        var helloReply = wantTracking ? await c.SendAsync(hello.ToArray()).ConfigureAwait(false) : null;
        var resp3 = helloReply is { IsError: false };
        if (!resp3 && password is not null)
        {
            var auth = user is null ? await c.SendAsync("AUTH", password).ConfigureAwait(false) : await c.SendAsync("AUTH", user, password).ConfigureAwait(false);
            if (auth.IsError) throw new RedisErrorReplyException(auth.Text ?? "AUTH failed");
        }
        if (_owner.Database != 0)
        {
            var select = await c.SendAsync("SELECT", _owner.Database.ToString(System.Globalization.CultureInfo.InvariantCulture)).ConfigureAwait(false);
            if (select.IsError) throw new RedisErrorReplyException(select.Text ?? "SELECT failed");
        }
        var id = await c.SendAsync("CLIENT", "ID").ConfigureAwait(false);
        ClientId = id.Kind == RespKind.Integer ? id.Integer : 0;
        if (resp3)
        {
            var tracking = await c.SendAsync("CLIENT", "TRACKING", "ON").ConfigureAwait(false);
            if (!tracking.IsError) return TrackerState.Tracking;
        }
        return o.Mode == NearCacheMode.Tracking ? TrackerState.Unavailable : TrackerState.Backplane;
    }

    private async Task MonitorAsync(RespConnection c, Task closed, NearCacheOptions o)
    {
        while (!c.IsClosed && !_stop.IsCancellationRequested)
        {
            var delay = Task.Delay(o.HealthCheckInterval, _stop.Token);
            if (await Task.WhenAny(delay, closed).ConfigureAwait(false) == closed) return;
            await delay.ConfigureAwait(false);
            var ping = c.SendAsync("PING");
            var timeout = Task.Delay(o.HealthCheckTimeout, _stop.Token);
            if (await Task.WhenAny(ping, timeout).ConfigureAwait(false) != ping)
            {
                c.Close(new TimeoutException($"The near-cache connection to {Endpoint} did not answer PING within {o.HealthCheckTimeout}."));
                return;
            }
        }
    }

    private void OnPush(RespValue push)
    {
        var items = push.Items;
        if (items is not { Length: >= 2 } || items[0].AsString() != "invalidate") return;
        var keys = items[1];
        if (keys.IsNull || keys.Items is null)
        {
            Flush();
            _owner.Flushed(this, NearCacheInvalidationReason.TrackingFlush);
            return;
        }
        foreach (var k in keys.Items)
            if (k.Bulk is { } b)
                _owner.InvalidateFromServer(Encoding.UTF8.GetString(b), NearCacheInvalidationReason.Tracking, this);
    }

    /// <summary>
    /// A round trip on the tracked connection: every invalidation for a write that completed before
    /// this call has been applied when it returns (pushes and replies share the socket, in order).
    /// </summary>
    internal async Task BarrierAsync()
    {
        var c = Volatile.Read(ref _connection);
        if (c is null || c.IsClosed) return;
        try { await c.SendAsync("PING").ConfigureAwait(false); }
        catch (IOException) { /* lost: its entries were flushed */ }
    }

    /// <summary>Closes the current connection (tests: a dropped connection).</summary>
    internal void DropConnection() => Volatile.Read(ref _connection)?.Close(new IOException("Dropped on purpose."));

    public async ValueTask DisposeAsync()
    {
        _stop.Cancel();
        Volatile.Read(ref _connection)?.Close(null);
        try { await _loop.ConfigureAwait(false); } catch (Exception) { /* stopping */ }
        _stop.Dispose();
    }
}
