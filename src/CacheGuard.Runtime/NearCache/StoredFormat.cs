namespace CacheGuard.NearCaching;

/// <summary>
/// The one place the near cache interprets what the engine stores at the user's key K (the seam
/// agreed with the runtime owner, see DECISIONS.md). The near level reads K with a plain
/// <c>GET K</c> + <c>PTTL K</c> on its tracked connection and asks this function whether the bytes
/// are a fresh value and for how long.
/// </summary>
internal static class StoredFormat
{
    private static ReadOnlySpan<byte> V1Magic => "cg1|"u8;

    /// <summary>
    /// True when <paramref name="raw"/> is a fresh positive value; <paramref name="payload"/> is then the
    /// serializer's bytes and <paramref name="freshForMs"/> how long it stays fresh (-1: no expiry).
    /// </summary>
    public static bool TryGetFresh(byte[] raw, long pttlMs, out ReadOnlyMemory<byte> payload, out long freshForMs)
    {
        payload = default;
        freshForMs = pttlMs;
        if (pttlMs == -2) return false; // gone between GET and PTTL
        if (raw.AsSpan().StartsWith(V1Magic))
        {
            // Runtime v1 (until v2 lands): "cg1|v|<staleMs>|<version>|<payload>", fresh while PTTL > staleMs.
            var span = raw.AsSpan(V1Magic.Length);
            if (span.Length < 4 || span[0] != (byte)'v' || span[1] != (byte)'|') return false;
            span = span[2..];
            var bar = span.IndexOf((byte)'|');
            if (bar < 1 || !System.Buffers.Text.Utf8Parser.TryParse(span[..bar], out long staleMs, out var used) || used != bar) return false;
            var rest = span[(bar + 1)..];
            var versionEnd = rest.IndexOf((byte)'|');
            if (versionEnd < 0) return false;
            if (pttlMs >= 0)
            {
                freshForMs = pttlMs - staleMs;
                if (freshForMs <= 0) return false;
            }
            var start = raw.Length - rest.Length + versionEnd + 1;
            payload = raw.AsMemory(start);
            return true;
        }
        // Runtime v2 (DECISIONS.md, wire format): K holds exactly the serializer's bytes and K's
        // Redis TTL is the fresh TTL; stale copies and negatives live in sibling keys.
        payload = raw;
        return true;
    }
}
