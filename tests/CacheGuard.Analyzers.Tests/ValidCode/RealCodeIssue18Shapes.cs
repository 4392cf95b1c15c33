// More shapes from the issue-18 review of real code bases (Bitwarden server, fullstackhero,
// EasyCaching, CacheManager, Squidex, Smartstore, Exceptionless): correct code that must raise
// nothing. Each class names the RULES.md reason it is left alone.
using System.Text;
using Microsoft.Extensions.Caching.Distributed;
using Microsoft.Extensions.Caching.Hybrid;
using Microsoft.Extensions.Caching.Memory;
using Microsoft.Extensions.Primitives;
using StackExchange.Redis;

namespace ValidCode.RealCodeIssue18Shapes;

// An options class shared by an OTP provider: the only writes that pass its options keep
// one-time codes (minted by a project helper named for randomness), not cache entries.
public sealed class OtpOptions
{
    public int Length { get; set; } = 6;

    public DistributedCacheEntryOptions EntryOptions { get; set; } = new()
    {
        AbsoluteExpirationRelativeToNow = TimeSpan.FromMinutes(5),
    };
}

public static class Secrets
{
    public static string SecureRandomDigits(int length)
    {
        var builder = new StringBuilder(length);
        for (var i = 0; i < length; i++)
            builder.Append((char)('0' + System.Security.Cryptography.RandomNumberGenerator.GetInt32(10)));
        return builder.ToString();
    }
}

public sealed class OtpProvider(IDistributedCache cache, OtpOptions options)
{
    public async Task<string> IssueAsync(string purpose, string userId)
    {
        var code = Secrets.SecureRandomDigits(options.Length);
        await cache.SetAsync($"otp-code:{purpose}:{userId}", Encoding.UTF8.GetBytes(code), options.EntryOptions);
        return code;
    }
}

// A presence marker: a one-byte sentinel in a static field, options built in the constructor.
public sealed class DeviceActivityThrottle
{
    private static readonly byte[] Sentinel = [1];
    private readonly IDistributedCache _cache;
    private readonly DistributedCacheEntryOptions _options;

    public DeviceActivityThrottle(IDistributedCache cache)
    {
        _cache = cache;
        _options = new DistributedCacheEntryOptions { AbsoluteExpirationRelativeToNow = TimeSpan.FromHours(1) };
    }

    public async Task<bool> ShouldRecordAsync(Guid userId, string device)
    {
        if (await _cache.GetAsync($"device:{userId}:{device}") is not null)
            return false;
        await _cache.SetAsync($"device:{userId}:{device}", Sentinel, _options);
        return true;
    }
}

// A health probe: written and removed at once.
public sealed class CacheProbe(IDistributedCache cache)
{
    public async Task<bool> PingAsync(CancellationToken ct)
    {
        const string key = "__health_check__";
        var options = new DistributedCacheEntryOptions { AbsoluteExpirationRelativeToNow = TimeSpan.FromSeconds(5) };
        await cache.SetStringAsync(key, "ok", options, ct);
        await cache.RemoveAsync(key, ct);
        return true;
    }
}

// An idempotency replay record kept in HybridCache for the replay window.
public sealed record IdempotentResponse(int Status, byte[] Body);

public sealed class IdempotencyRecords(HybridCache cache)
{
    private static readonly TimeSpan ReplayWindow = TimeSpan.FromHours(24);

    public ValueTask RememberAsync(string idempotencyKey, IdempotentResponse response, CancellationToken ct) =>
        cache.SetAsync($"idempotency:{idempotencyKey}", response, new HybridCacheEntryOptions
        {
            Expiration = ReplayWindow,
            LocalCacheExpiration = TimeSpan.FromMinutes(2),
        }, cancellationToken: ct);
}

// A lock provider's lease renewal next to its LockTake/LockRelease: the TTL is the lease.
public sealed class RedisLockProvider(IDatabase db)
{
    public Task<bool> SetAsync(string key, byte[] value, int ttlMs) =>
        db.StringSetAsync(key, value, TimeSpan.FromMilliseconds(ttlMs));

    public Task<bool> AddAsync(string key, byte[] value, int ttlMs) =>
        db.LockTakeAsync(key, value, TimeSpan.FromMilliseconds(ttlMs));

    public Task<bool> DeleteAsync(string key, byte[] value) => db.LockReleaseAsync(key, value);
}

// A library's raw SET wrapper: the caller's TTL is passed straight through and nothing in the
// compilation calls it, so there is no evidence of what the TTL is (the jitter belongs to callers).
public sealed class RawCommands(IDatabase db)
{
    public bool StringSet(string cacheKey, string cacheValue, TimeSpan? expiration) =>
        db.StringSet(cacheKey, cacheValue, expiration, When.Always);

    public void HashSet(string cacheKey, HashEntry[] entries, TimeSpan expiration)
    {
        db.HashSet(cacheKey, entries);
        db.KeyExpire(cacheKey, expiration);
    }
}

// HybridCache's in-process lifetime only: L1 copies that expire together are refilled from L2.
public sealed class TenantThemes(HybridCache cache, IThemeStore store)
{
    public ValueTask<string> GetAsync(string tenant, CancellationToken ct) =>
        cache.GetOrCreateAsync($"theme:{tenant}", async token => await store.LoadAsync(tenant, token),
            new HybridCacheEntryOptions { LocalCacheExpiration = TimeSpan.FromMinutes(2) }, cancellationToken: ct);
}

public interface IThemeStore
{
    Task<string> LoadAsync(string tenant, CancellationToken ct);
}

// The memo of a CPU-only compile: no load behind the entry, so neither its TTL (CG0001) nor its
// missing single-flight (CG0004) multiplies anything.
public sealed class ScriptCache(IMemoryCache cache)
{
    private static readonly TimeSpan CacheDuration = TimeSpan.FromMinutes(10);

    public ParsedScript Prepare(string script) =>
        cache.GetOrCreate($"script:{script}", entry =>
        {
            entry.AbsoluteExpirationRelativeToNow = CacheDuration;
            return ParsedScript.Parse(script);
        })!;
}

public sealed record ParsedScript(string[] Tokens)
{
    public static ParsedScript Parse(string script) => new(script.Split(' ', StringSplitOptions.RemoveEmptyEntries));
}

// An eviction callback that tidies a side index: it runs when the entry goes, not on this path,
// so the method writes no database and the Set is the populate of a load (not CG0002).
public sealed class SourceMaps(IMemoryCache cache, ISourceMapStore store)
{
    private readonly Dictionary<string, string> _index = new();

    public void RemoveIndexEntry(string key) => _index.Remove(key);

    public async Task<string> LoadAsync(string url, CancellationToken ct)
    {
        var map = await store.FetchAsync(url, ct);
        var options = new MemoryCacheEntryOptions { SlidingExpiration = TimeSpan.FromMinutes(30) }
            .RegisterPostEvictionCallback(static (key, _, _, state) => ((SourceMaps)state!).RemoveIndexEntry((string)key), this);
        cache.Set($"sourcemap:{url}", map, options);
        return map;
    }
}

public interface ISourceMapStore
{
    Task<string> FetchAsync(string url, CancellationToken ct);
}

// A preview under a token minted into the model in the same method: a temporary store.
public sealed class PreviewModel
{
    public string Token { get; set; } = "";
    public string Body { get; set; } = "";
}

public interface ITemplateStore
{
    Task UpdateAsync(PreviewModel model, CancellationToken ct);
}

public sealed class TemplatePreview(IMemoryCache cache, ITemplateStore templates)
{
    public async Task<PreviewModel> PreviewAsync(PreviewModel model, CancellationToken ct)
    {
        await templates.UpdateAsync(model, ct);
        model.Token = Guid.NewGuid().ToString();
        using (var entry = cache.CreateEntry("preview:" + model.Token))
        {
            entry.Value = model;
            entry.SetSlidingExpiration(TimeSpan.FromMinutes(1));
        }
        return model;
    }
}

public interface IDashboardFiles
{
    IChangeToken Watch(string path);
    Task<string> ReadAsync(string path, CancellationToken ct);
}

// An entry bounded by a file change token added inside the GetOrCreate factory (single-flighted
// by a lock with a re-check, so CG0004 has nothing to say either).
public sealed class DashboardLayouts(IMemoryCache cache, IDashboardFiles files)
{
    private readonly SemaphoreSlim _gate = new(1, 1);

    public async Task<string> GetAsync(string tenant, CancellationToken ct)
    {
        if (cache.TryGetValue($"dashboard:{tenant}", out string? layout) && layout is not null)
            return layout;
        await _gate.WaitAsync(ct);
        try
        {
            if (cache.TryGetValue($"dashboard:{tenant}", out layout) && layout is not null)
                return layout;
            layout = await files.ReadAsync($"{tenant}/dashboard.json", ct);
            using (var entry = cache.CreateEntry($"dashboard:{tenant}"))
            {
                entry.ExpirationTokens.Add(files.Watch($"{tenant}/dashboard.json"));
                entry.Value = layout;
            }
            return layout;
        }
        finally
        {
            _gate.Release();
        }
    }
}

// A single-consumer event projection keeps its latest state in a MemoryCache it creates for
// itself, for the next event of the batch, and writes the batch to its store afterwards: the
// cache is the projection's working state, not a cache other readers share (not CG0002).
public sealed record TagState(string[] Tags);

public interface ITagStateStore
{
    Task UpdateAsync(string app, IReadOnlyDictionary<string, TagState> states);
}

public sealed class TagProjection(ITagStateStore store)
{
    private MemoryCache _working = new(new MemoryCacheOptions());

    public void Reset()
    {
        _working.Dispose();
        _working = new MemoryCache(new MemoryCacheOptions());
    }

    public async Task OnAsync(string app, IReadOnlyList<(string Asset, string[] Tags)> events)
    {
        var batch = new Dictionary<string, TagState>();
        foreach (var (asset, tags) in events)
        {
            var state = new TagState(tags);
            batch[asset] = state;
            _working.Set(asset, state, CacheGuard.CacheTtl.Jitter(TimeSpan.FromHours(1)));
        }
        await store.UpdateAsync(app, batch);
    }
}

// A service method that writes the database and then clears its own keys is a write path of its
// own: calling it before writing other rows is not an invalidation before a write (not CG0006).
public interface ITagCache
{
    Task RemoveAsync(string key);
}

public sealed class TagCache(IMemoryCache cache) : ITagCache
{
    public Task RemoveAsync(string key)
    {
        cache.Remove(key);
        return Task.CompletedTask;
    }
}

public sealed class OrderTag
{
    public string Id { get; set; } = "";
    public string Name { get; set; } = "";
}

public interface IOrderTagRepository
{
    Task UpdateCountAsync(string tagId, int delta);
    Task InsertAsync(OrderTag tag);
}

public sealed class OrderTags(IOrderTagRepository tags, ITagCache cache)
{
    public async Task DetachAsync(string tagId, string orderId)
    {
        await tags.UpdateCountAsync(tagId, -1);
        await cache.RemoveAsync($"order:{orderId}");
        await cache.RemoveAsync($"tag-count:{tagId}");
    }

    public async Task RetagAsync(string orderId, string oldTagId, string newName)
    {
        await DetachAsync(oldTagId, orderId);
        var tag = new OrderTag { Id = Guid.NewGuid().ToString("N"), Name = newName };
        await tags.InsertAsync(tag);
        await cache.RemoveAsync($"order:{orderId}");
    }
}

// The same through the service's interface (the caller holds IShipmentNoteService): the call runs
// ShipmentNoteService's body, which writes and then clears its own keys. Not CG0006.
public sealed class ShipmentNote
{
    public string Id { get; set; } = "";
    public string Text { get; set; } = "";
}

public interface IShipmentNoteRepository
{
    Task RemoveLinkAsync(string shipmentId, string noteId);
    Task InsertAsync(ShipmentNote note);
}

public interface IShipmentNoteService
{
    Task DetachNoteAsync(string noteId, string shipmentId);
    Task InsertNoteAsync(ShipmentNote note);
}

public class ShipmentNoteService(IShipmentNoteRepository notes, ITagCache cache) : IShipmentNoteService
{
    public virtual async Task DetachNoteAsync(string noteId, string shipmentId)
    {
        await notes.RemoveLinkAsync(shipmentId, noteId);
        await cache.RemoveAsync($"shipment:{shipmentId}");
        await cache.RemoveAsync($"note:{noteId}");
    }

    public virtual async Task InsertNoteAsync(ShipmentNote note)
    {
        await notes.InsertAsync(note);
        await cache.RemoveAsync("notes:all");
    }
}

public sealed class ShipmentNoteEditor(IShipmentNoteService service)
{
    public async Task ReplaceAsync(string shipmentId, string oldNoteId, string text)
    {
        await service.DetachNoteAsync(oldNoteId, shipmentId);
        await service.InsertNoteAsync(new ShipmentNote { Id = Guid.NewGuid().ToString("N"), Text = text });
    }
}

// A cleanup job's private helper loops over a tenant's projects and calls a service that deletes
// each project's stored files and then drops its parsed copies from memory (write, then invalidate);
// the job deletes the projects afterwards. Not CG0006: no invalidation precedes a write it belongs to.
public sealed class ProjectFileStorage
{
    private readonly Dictionary<string, List<string>> _files = new(StringComparer.Ordinal);

    public Task<List<string>> ListAsync(string projectId, CancellationToken ct) =>
        Task.FromResult(_files.TryGetValue(projectId, out var names) ? names : new List<string>());

    // The stored files go from disk (an in-memory stand-in would be no write at all: a call into a method of the
    // compilation that only changes memory is no database write).
    public Task DeleteAllAsync(string projectId, CancellationToken ct)
    {
        _files.Remove(projectId);
        Directory.Delete(Path.Combine(Path.GetTempPath(), "projects", projectId), recursive: true);
        return Task.CompletedTask;
    }
}

public sealed class ProjectFileService(ProjectFileStorage storage, IMemoryCache parsed)
{
    public async Task DeleteProjectFilesAsync(string projectId, CancellationToken ct = default)
    {
        var names = await storage.ListAsync(projectId, ct);
        await storage.DeleteAllAsync(projectId, ct);
        foreach (var name in names)
            parsed.Remove($"parsed:{projectId}:{name}");
    }
}

public interface ITenantProjectRepository
{
    Task<IReadOnlyList<string>> GetProjectIdsAsync(string tenantId);
    Task<long> RemoveAllByTenantIdAsync(string tenantId);
}

public sealed class TenantCleanupJob(ITenantProjectRepository projects, ProjectFileService files)
{
    public async Task RemoveTenantAsync(string tenantId, CancellationToken ct)
    {
        await RemoveTenantFilesAsync(tenantId, ct);
        await projects.RemoveAllByTenantIdAsync(tenantId);
    }

    private async Task RemoveTenantFilesAsync(string tenantId, CancellationToken ct)
    {
        foreach (var projectId in await projects.GetProjectIdsAsync(tenantId))
            await files.DeleteProjectFilesAsync(projectId, ct);
    }
}

// CacheManager's Redis handle (issue 18, session 4): an update is a compare-and-set on the entry it
// has just read (a transaction guarded by AddCondition), and a sliding entry's own timeout is renewed
// after it, as every read renews it. The update does not populate the entry, so the renewal is no fixed
// TTL (RULES.md, CG0001: KeyExpire counts on a key the method populated; a real sliding expiration is
// not fixed; a write whose When is not provably Always is not a cache write).
public sealed class SlidingItem
{
    public string Value { get; init; } = "";
    public bool Sliding { get; init; }
    public TimeSpan Timeout { get; init; }
}

public sealed class SlidingHashHandle(IConnectionMultiplexer connection)
{
    private IDatabase Database => connection.GetDatabase();

    public SlidingItem? Find(string key)
    {
        var fields = Database.HashGet(key, new RedisValue[] { "value", "sliding", "timeout" });
        if (fields[0].IsNull)
            return null;
        var item = new SlidingItem { Value = fields[0]!, Sliding = (bool)fields[1], Timeout = TimeSpan.FromTicks((long)fields[2]) };
        if (item.Sliding)
            Database.KeyExpire(key, item.Timeout, CommandFlags.FireAndForget);
        return item;
    }

    public bool Replace(string key, string newValue)
    {
        var item = Find(key);
        if (item is null)
            return false;
        var transaction = Database.CreateTransaction();
        transaction.AddCondition(Condition.HashEqual(key, "value", item.Value));
        _ = transaction.HashSetAsync(key, "value", newValue);
        if (!transaction.Execute())
            return false;
        if (item.Sliding)
            Database.KeyExpire(key, item.Timeout, CommandFlags.FireAndForget);
        return true;
    }
}
