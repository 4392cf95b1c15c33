using System.Text;

namespace CacheGuard;

/// <summary>Redis Cluster's key → slot function (CRC16/XMODEM of the hash tag, mod 16384).</summary>
internal static class HashSlots
{
    public const int Count = 16384;
    private static readonly Lazy<string[]> SlotTags = new(BuildSlotTags);

    public static int Of(string key) => Of(Encoding.UTF8.GetBytes(key));

    public static int Of(ReadOnlySpan<byte> key)
    {
        var open = key.IndexOf((byte)'{');
        if (open >= 0)
        {
            var close = key[(open + 1)..].IndexOf((byte)'}');
            if (close > 0)
                key = key.Slice(open + 1, close);
        }
        return Crc16(key) & (Count - 1);
    }

    /// <summary>A short brace-free string that hashes to <paramref name="slot"/>.</summary>
    public static string TagForSlot(int slot) => SlotTags.Value[slot];

    private static string[] BuildSlotTags()
    {
        var tags = new string[Count];
        var found = 0;
        for (var i = 0; found < Count; i++)
        {
            var candidate = "cg" + i.ToString(System.Globalization.CultureInfo.InvariantCulture);
            var slot = Of(candidate);
            if (tags[slot] is null)
            {
                tags[slot] = candidate;
                found++;
            }
        }
        return tags;
    }

    private static int Crc16(ReadOnlySpan<byte> data)
    {
        var crc = 0;
        foreach (var b in data)
        {
            crc ^= b << 8;
            for (var i = 0; i < 8; i++)
                crc = (crc & 0x8000) != 0 ? (crc << 1) ^ 0x1021 : crc << 1;
        }
        return crc & 0xFFFF;
    }
}
