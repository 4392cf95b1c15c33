using System.Buffers.Text;
using System.Text;

namespace CacheGuard;

/// <summary>The kind of a stored entry.</summary>
internal enum EntryKind
{
    Value,
    Negative,
}

/// <summary>A decoded entry header plus the payload's position.</summary>
internal readonly record struct DecodedEntry(EntryKind Kind, long StaleMs, long? Version, ReadOnlyMemory<byte> Payload);

/// <summary>
/// Wire format of an entry stored at the user's key (a Redis string):
/// <c>cg1|&lt;kind v|n&gt;|&lt;stale window ms&gt;|&lt;version or empty&gt;|&lt;payload&gt;</c>.
/// Freshness is not stored as a timestamp: the entry is fresh while its PTTL exceeds the stale
/// window, so no two clocks are ever compared. The Lua scripts parse the version with the same layout.
/// </summary>
internal static class CacheEntryCodec
{
    private static readonly byte[] Magic = "cg1|"u8.ToArray();

    public static byte[] Encode(EntryKind kind, long staleMs, long? version, ReadOnlySpan<byte> payload)
    {
        var header = $"cg1|{(kind == EntryKind.Value ? 'v' : 'n')}|{staleMs}|{version?.ToString(System.Globalization.CultureInfo.InvariantCulture)}|";
        var bytes = new byte[Encoding.ASCII.GetByteCount(header) + payload.Length];
        var n = Encoding.ASCII.GetBytes(header, bytes);
        payload.CopyTo(bytes.AsSpan(n));
        return bytes;
    }

    /// <summary>Decodes an entry; false for anything CacheGuard did not write (old code's values are misses).</summary>
    public static bool TryDecode(ReadOnlyMemory<byte> raw, out DecodedEntry entry)
    {
        entry = default;
        var span = raw.Span;
        if (!span.StartsWith(Magic) || span.Length < Magic.Length + 5)
            return false;
        var pos = Magic.Length;
        EntryKind kind;
        switch (span[pos])
        {
            case (byte)'v': kind = EntryKind.Value; break;
            case (byte)'n': kind = EntryKind.Negative; break;
            default: return false;
        }
        pos++;
        if (span[pos++] != (byte)'|') return false;
        var staleEnd = span[pos..].IndexOf((byte)'|');
        if (staleEnd < 1 || !Utf8Parser.TryParse(span.Slice(pos, staleEnd), out long staleMs, out var consumed) || consumed != staleEnd)
            return false;
        pos += staleEnd + 1;
        var versionEnd = span[pos..].IndexOf((byte)'|');
        if (versionEnd < 0) return false;
        long? version = null;
        if (versionEnd > 0)
        {
            if (!Utf8Parser.TryParse(span.Slice(pos, versionEnd), out long v, out consumed) || consumed != versionEnd)
                return false;
            version = v;
        }
        pos += versionEnd + 1;
        entry = new DecodedEntry(kind, staleMs, version, raw[pos..]);
        return true;
    }
}
