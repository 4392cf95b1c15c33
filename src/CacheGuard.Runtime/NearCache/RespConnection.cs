using System.Buffers.Text;
using System.Net;
using System.Net.Security;
using System.Net.Sockets;
using System.Text;

namespace CacheGuard.NearCaching;

/// <summary>One RESP2/RESP3 reply (or push). Only what the near cache reads.</summary>
internal sealed class RespValue
{
    public static readonly RespValue Null = new(RespKind.Null);

    public RespValue(RespKind kind) => Kind = kind;

    public RespKind Kind { get; }
    public byte[]? Bulk { get; init; }
    public string? Text { get; init; }
    public long Integer { get; init; }
    public RespValue[]? Items { get; init; }

    public bool IsError => Kind == RespKind.Error;
    public bool IsNull => Kind == RespKind.Null;

    public string? AsString() => Kind switch
    {
        RespKind.Bulk => Bulk is null ? null : Encoding.UTF8.GetString(Bulk),
        RespKind.Simple or RespKind.Error => Text,
        RespKind.Integer => Integer.ToString(System.Globalization.CultureInfo.InvariantCulture),
        _ => null,
    };
}

internal enum RespKind { Simple, Error, Integer, Bulk, Array, Push, Null, Other }

internal sealed class RedisErrorReplyException(string message) : Exception(message);

/// <summary>
/// A minimal pipelined RESP connection to one Redis node, owned by the near cache so that the
/// connection that reads tracked keys is exactly the connection whose tracking state the server
/// keeps (CLIENT TRACKING is per connection). RESP3 pushes (<c>invalidate</c>) arrive on the same
/// socket, in order with replies: a push that precedes a reply was produced before that read ran.
/// Any I/O failure fails every pending command and raises <see cref="Closed"/> once; the owner
/// reconnects with a new instance.
/// </summary>
internal sealed class RespConnection : IAsyncDisposable
{
    private readonly Socket _socket;
    private readonly Stream _stream;
    private readonly SemaphoreSlim _writeGate = new(1, 1);
    private readonly Queue<(TaskCompletionSource<RespValue> Reply, Action? OnReply)> _pending = new();
    private readonly byte[] _buffer = new byte[16 * 1024];
    private int _pos, _len;
    private int _closed;
    private Task? _readLoop;

    private RespConnection(Socket socket, Stream stream)
    {
        _socket = socket;
        _stream = stream;
    }

    /// <summary>Pushes (RESP3 <c>&gt;</c> frames) in arrival order, called on the read loop.</summary>
    public Action<RespValue>? OnPush { get; set; }

    /// <summary>Raised once when the connection fails or is closed.</summary>
    public event Action<Exception?>? Closed;

    public bool IsClosed => Volatile.Read(ref _closed) != 0;

    public static async Task<RespConnection> ConnectAsync(EndPoint endpoint, bool ssl, string? sslHost, TimeSpan timeout, CancellationToken cancellationToken)
    {
        var socket = new Socket(SocketType.Stream, ProtocolType.Tcp) { NoDelay = true };
        using var cts = CancellationTokenSource.CreateLinkedTokenSource(cancellationToken);
        cts.CancelAfter(timeout);
        try
        {
            await socket.ConnectAsync(endpoint, cts.Token).ConfigureAwait(false);
            Stream stream = new NetworkStream(socket, ownsSocket: true);
            if (ssl)
            {
                var tls = new SslStream(stream, leaveInnerStreamOpen: false);
                var host = sslHost ?? endpoint switch { DnsEndPoint d => d.Host, IPEndPoint ip => ip.Address.ToString(), _ => "" };
                await tls.AuthenticateAsClientAsync(new SslClientAuthenticationOptions { TargetHost = host }, cts.Token).ConfigureAwait(false);
                stream = tls;
            }
            var c = new RespConnection(socket, stream);
            c._readLoop = Task.Run(c.ReadLoopAsync, CancellationToken.None);
            return c;
        }
        catch
        {
            socket.Dispose();
            throw;
        }
    }

    public Task<RespValue> SendAsync(params string[] args)
    {
        var parts = new byte[args.Length][];
        for (var i = 0; i < args.Length; i++) parts[i] = Encoding.UTF8.GetBytes(args[i]);
        return SendAsync(parts);
    }

    /// <summary>Sends one command; its reply completes the task (an error reply is a RespValue of kind Error).</summary>
    public Task<RespValue> SendAsync(byte[][] args) => SendManyAsync(new[] { args })[0];

    /// <summary>
    /// Sends several commands in one write (a pipeline); one task per command, in order.
    /// <paramref name="onReply"/>[i], when given, runs on the read loop as command i's reply arrives,
    /// before any later push is handled.
    /// </summary>
    public Task<RespValue>[] SendManyAsync(byte[][][] commands, Action?[]? onReply = null)
    {
        var frame = Encode(commands);
        var tasks = new Task<RespValue>[commands.Length];
        var sources = new TaskCompletionSource<RespValue>[commands.Length];
        for (var i = 0; i < commands.Length; i++)
        {
            sources[i] = new TaskCompletionSource<RespValue>(TaskCreationOptions.RunContinuationsAsynchronously);
            tasks[i] = sources[i].Task;
        }
        _ = WriteAsync(frame, sources, onReply);
        return tasks;
    }

    private async Task WriteAsync(byte[] frame, TaskCompletionSource<RespValue>[] sources, Action?[]? onReply)
    {
        await _writeGate.WaitAsync().ConfigureAwait(false);
        try
        {
            if (IsClosed) throw new IOException("The near-cache connection is closed.");
            lock (_pending)
                for (var i = 0; i < sources.Length; i++) _pending.Enqueue((sources[i], onReply?[i]));
            await _stream.WriteAsync(frame).ConfigureAwait(false);
            await _stream.FlushAsync().ConfigureAwait(false);
        }
        catch (Exception ex)
        {
            foreach (var s in sources) s.TrySetException(ex);
            Close(ex);
        }
        finally
        {
            _writeGate.Release();
        }
    }

    private static byte[] Encode(byte[][][] commands)
    {
        using var ms = new MemoryStream();
        Span<byte> num = stackalloc byte[24];
        foreach (var args in commands)
        {
            ms.WriteByte((byte)'*');
            WriteNumber(ms, args.Length, num);
            foreach (var a in args)
            {
                ms.WriteByte((byte)'$');
                WriteNumber(ms, a.Length, num);
                ms.Write(a);
                ms.Write("\r\n"u8);
            }
        }
        return ms.ToArray();
    }

    private static void WriteNumber(MemoryStream ms, long n, Span<byte> scratch)
    {
        Utf8Formatter.TryFormat(n, scratch, out var written);
        ms.Write(scratch[..written]);
        ms.Write("\r\n"u8);
    }

    private async Task ReadLoopAsync()
    {
        Exception? error = null;
        try
        {
            while (!IsClosed)
            {
                var value = await ReadValueAsync().ConfigureAwait(false);
                if (value.Kind == RespKind.Push)
                {
                    OnPush?.Invoke(value);
                    continue;
                }
                (TaskCompletionSource<RespValue> Reply, Action? OnReply) next;
                bool any;
                lock (_pending) any = _pending.TryDequeue(out next);
                if (!any) throw new IOException("Reply without a pending command.");
                next.OnReply?.Invoke();
                next.Reply.TrySetResult(value);
            }
        }
        catch (Exception ex)
        {
            error = ex;
        }
        Close(error ?? new IOException("The near-cache connection was closed."));
    }

    public void Close(Exception? reason)
    {
        if (Interlocked.Exchange(ref _closed, 1) != 0) return;
        try { _socket.Shutdown(SocketShutdown.Both); } catch (Exception) { /* already gone */ }
        try { _stream.Dispose(); } catch (Exception) { /* already gone */ }
        var ex = reason as IOException ?? new IOException("The near-cache connection was closed.", reason);
        lock (_pending)
            while (_pending.TryDequeue(out var p)) p.Reply.TrySetException(ex);
        Closed?.Invoke(reason);
    }

    public async ValueTask DisposeAsync()
    {
        Close(null);
        if (_readLoop is { } t)
            await t.ConfigureAwait(false);
        _writeGate.Dispose();
    }

    // ---- RESP parsing ----

    private async ValueTask<RespValue> ReadValueAsync()
    {
        while (true)
        {
            var type = await ReadByteAsync().ConfigureAwait(false);
            var line = await ReadLineAsync().ConfigureAwait(false);
            switch (type)
            {
                case (byte)'+': return new RespValue(RespKind.Simple) { Text = Encoding.UTF8.GetString(line) };
                case (byte)'-': return new RespValue(RespKind.Error) { Text = Encoding.UTF8.GetString(line) };
                case (byte)':': return new RespValue(RespKind.Integer) { Integer = ParseLong(line) };
                case (byte)'_': return RespValue.Null;
                case (byte)'#': return new RespValue(RespKind.Integer) { Integer = line.Length > 0 && line[0] == (byte)'t' ? 1 : 0 };
                case (byte)',':
                case (byte)'(':
                    return new RespValue(RespKind.Simple) { Text = Encoding.UTF8.GetString(line) };
                case (byte)'$':
                case (byte)'=':
                case (byte)'!':
                {
                    var n = ParseLong(line);
                    if (n < 0) return RespValue.Null;
                    var data = new byte[n];
                    await ReadExactAsync(data).ConfigureAwait(false);
                    await ReadLineAsync().ConfigureAwait(false); // CRLF
                    if (type == (byte)'!') return new RespValue(RespKind.Error) { Text = Encoding.UTF8.GetString(data) };
                    if (type == (byte)'=' && data.Length >= 4) data = data[4..]; // "txt:" prefix
                    return new RespValue(RespKind.Bulk) { Bulk = data };
                }
                case (byte)'*':
                case (byte)'~':
                case (byte)'>':
                case (byte)'%':
                {
                    var n = ParseLong(line);
                    if (n < 0) return RespValue.Null;
                    if (type == (byte)'%') n *= 2;
                    var items = new RespValue[n];
                    for (var i = 0; i < n; i++) items[i] = await ReadValueAsync().ConfigureAwait(false);
                    return new RespValue(type == (byte)'>' ? RespKind.Push : RespKind.Array) { Items = items };
                }
                case (byte)'|':
                {
                    // An attribute map precedes the real reply: read and drop it, then read on.
                    var n = ParseLong(line) * 2;
                    for (var i = 0; i < n; i++) await ReadValueAsync().ConfigureAwait(false);
                    continue;
                }
                default:
                    throw new IOException($"Unexpected RESP type byte 0x{type:x2}.");
            }
        }
    }

    private static long ParseLong(byte[] line)
    {
        if (!Utf8Parser.TryParse(line, out long n, out var consumed) || consumed != line.Length)
            throw new IOException("Malformed RESP length.");
        return n;
    }

    private async ValueTask<byte> ReadByteAsync()
    {
        if (_pos == _len) await FillAsync().ConfigureAwait(false);
        return _buffer[_pos++];
    }

    private async ValueTask<byte[]> ReadLineAsync()
    {
        List<byte>? acc = null;
        while (true)
        {
            if (_pos == _len) await FillAsync().ConfigureAwait(false);
            var span = _buffer.AsSpan(_pos, _len - _pos);
            var lf = span.IndexOf((byte)'\n');
            if (lf >= 0)
            {
                var chunk = span[..lf];
                _pos += lf + 1;
                if (acc is null)
                    return (chunk.Length > 0 && chunk[^1] == (byte)'\r' ? chunk[..^1] : chunk).ToArray();
                acc.AddRange(chunk.ToArray());
                if (acc.Count > 0 && acc[^1] == (byte)'\r') acc.RemoveAt(acc.Count - 1);
                return acc.ToArray();
            }
            acc ??= new List<byte>();
            acc.AddRange(span.ToArray());
            _pos = _len;
        }
    }

    private async ValueTask ReadExactAsync(byte[] target)
    {
        var done = 0;
        while (done < target.Length)
        {
            if (_pos == _len) await FillAsync().ConfigureAwait(false);
            var n = Math.Min(target.Length - done, _len - _pos);
            Buffer.BlockCopy(_buffer, _pos, target, done, n);
            _pos += n;
            done += n;
        }
    }

    private async ValueTask FillAsync()
    {
        _pos = 0;
        _len = await _stream.ReadAsync(_buffer).ConfigureAwait(false);
        if (_len <= 0)
        {
            _len = 0;
            throw new IOException("The server closed the connection.");
        }
    }
}
