using System.Text;
using System.Text.Json;

namespace CacheGuard;

/// <summary>
/// Turns cached values into bytes and back. Implementations must only create the type they are
/// asked for (the method's type argument), never a type named by the payload.
/// </summary>
public interface ICacheSerializer
{
    /// <summary>Serializes a non-null value.</summary>
    byte[] Serialize<T>(T value);

    /// <summary>Deserializes a payload written by <see cref="Serialize{T}"/>.</summary>
    T? Deserialize<T>(ReadOnlySpan<byte> payload);
}

/// <summary>
/// The default serializer: System.Text.Json, which never instantiates types named by the payload.
/// A <see cref="string"/> value (<c>T</c> is <see cref="string"/>) is stored as its raw UTF-8 bytes,
/// as HybridCache's default serializer does, so a raw <c>StringGet</c> of the key reads the text
/// itself (<c>abc</c>, not <c>"abc"</c>) and text written raw by other code reads as a hit.
/// </summary>
public sealed class SystemTextJsonCacheSerializer : ICacheSerializer
{
    /// <summary>
    /// The default: writes exactly what <c>JsonSerializer.Serialize(value)</c> writes (the options
    /// raw cache-aside code most often used, so a raw reader of the same key reads CacheGuard's
    /// bytes), and reads property names case-insensitively (so camelCase JSON written by raw code
    /// with web options reads too).
    /// </summary>
    public static SystemTextJsonCacheSerializer Default { get; } = new(new JsonSerializerOptions(JsonSerializerDefaults.General) { PropertyNameCaseInsensitive = true });

    private readonly JsonSerializerOptions _options;

    /// <summary>Creates a serializer with the given options.</summary>
    public SystemTextJsonCacheSerializer(JsonSerializerOptions options) => _options = options ?? throw new ArgumentNullException(nameof(options));

    /// <summary>
    /// Whether a <see cref="string"/> value is stored as raw UTF-8 (default true). False stores it as a
    /// JSON string literal (quoted and escaped), as <c>JsonSerializer.Serialize(text)</c> would.
    /// </summary>
    public bool RawStrings { get; init; } = true;

    /// <inheritdoc />
    public byte[] Serialize<T>(T value) =>
        RawStrings && typeof(T) == typeof(string)
            ? Encoding.UTF8.GetBytes((string)(object)value!)
            : JsonSerializer.SerializeToUtf8Bytes(value, _options);

    /// <inheritdoc />
    public T? Deserialize<T>(ReadOnlySpan<byte> payload) =>
        RawStrings && typeof(T) == typeof(string)
            ? (T)(object)Encoding.UTF8.GetString(payload)
            : JsonSerializer.Deserialize<T>(payload, _options);
}
