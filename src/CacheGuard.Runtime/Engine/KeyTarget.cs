using System.Collections.Concurrent;
using System.Reflection;
using StackExchange.Redis;

namespace CacheGuard;

/// <summary>
/// One call's key as Redis sees it. A database made with <c>WithKeyPrefix</c> is resolved to its
/// unprefixed database plus the prefixed key, so in-process state (flights, fail-safe memory) and
/// every derived Redis name are keyed by what Redis stores, and tenants never share an entry.
/// </summary>
internal readonly struct KeyTarget
{
    private KeyTarget(IDatabase db, RedisKey key, string text)
    {
        Db = db;
        Key = key;
        Text = text;
    }

    /// <summary>The database every command goes to (never a prefixing wrapper).</summary>
    public IDatabase Db { get; }

    /// <summary>The key Redis sees.</summary>
    public RedisKey Key { get; }

    /// <summary>Its text (for flights, the fail-safe memory and logs).</summary>
    public string Text { get; }

    public static KeyTarget Of(IDatabase db, RedisKey key)
    {
        ArgumentNullException.ThrowIfNull(db);
        var text = (string?)key;
        if (string.IsNullOrEmpty(text)) throw new ArgumentException("A cache key must not be empty.", nameof(key));
        var prefix = KeyPrefixes.PrefixOf(db);
        if (prefix is null) return new KeyTarget(db, key, text);
        var full = key.Prepend(prefix);
        return new KeyTarget(db.Multiplexer.GetDatabase(db.Database), full, (string)full!);
    }
}

/// <summary>Reads the prefix of StackExchange.Redis's key-prefixing database wrapper.</summary>
internal static class KeyPrefixes
{
    private static readonly ConcurrentDictionary<Type, Func<IDatabase, byte[]?>?> Readers = new();
    private static Type? _plain;

    public static byte[]? PrefixOf(IDatabase db)
    {
        var type = db.GetType();
        if (ReferenceEquals(type, Volatile.Read(ref _plain))) return null;
        var reader = Readers.GetOrAdd(type, Build);
        if (reader is null)
        {
            Volatile.Write(ref _plain, type);
            return null;
        }
        var prefix = reader(db);
        return prefix is { Length: > 0 } ? prefix : null;
    }

    private static Func<IDatabase, byte[]?>? Build(Type type)
    {
        if (type.Assembly != typeof(IDatabase).Assembly || type.Namespace != "StackExchange.Redis.KeyspaceIsolation")
            return null; // a plain database (or the user's own decorator, taken as unprefixed)
        for (var t = type; t is not null; t = t.BaseType)
        {
            var p = t.GetProperty("Prefix", BindingFlags.Instance | BindingFlags.NonPublic | BindingFlags.Public | BindingFlags.DeclaredOnly);
            if (p?.PropertyType == typeof(byte[]))
                return db => (byte[]?)p.GetValue(db);
        }
        return _ => throw new NotSupportedException(
            $"CacheGuard can't read the key prefix of {type.FullName} (a WithKeyPrefix database of an unsupported StackExchange.Redis version), " +
            "so it refuses it rather than mix tenants' entries. Use the unprefixed database with prefixed keys.");
    }
}
