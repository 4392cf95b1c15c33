namespace CacheGuard.NearCaching;

/// <summary>
/// The one place the near cache interprets what the engine stores at the user's key K (the seam
/// agreed with the runtime owner, see DECISIONS.md). The near level reads K with a plain
/// <c>GET K</c> + <c>PTTL K</c> on its tracked connection and asks this function whether the bytes
/// are a fresh value and for how long.
/// </summary>
internal static class StoredFormat
{
    /// <summary>
    /// True when <paramref name="raw"/> is a fresh positive value; <paramref name="payload"/> is then the
    /// serializer's bytes and <paramref name="freshForMs"/> how long it stays fresh (-1: no expiry).
    /// </summary>
    /// <remarks>
    /// Runtime v2's wire format (DECISIONS.md, runtime 11:20 and 13:17; docs/runtime.md "Wire format"):
    /// K holds exactly the serializer's bytes and K's Redis TTL is the fresh TTL; the stale copy,
    /// the negative marker, version, fence and lease live in sibling keys. So K existing is fresh.
    /// </remarks>
    public static bool TryGetFresh(byte[] raw, long pttlMs, out ReadOnlyMemory<byte> payload, out long freshForMs)
    {
        freshForMs = pttlMs;
        if (pttlMs == -2)
        {
            payload = default; // gone between GET and PTTL
            return false;
        }
        payload = raw;
        return true;
    }
}
