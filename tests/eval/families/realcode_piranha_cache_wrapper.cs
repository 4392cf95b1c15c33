// Drawn from real code (Piranha CMS, services over its own ICache; IDistributedCache-backed implementation):
// CG0004 through the project's wrapper, the miss block inside `if (_cache != null)`, ConfigureAwait(false).
// Fix (session 4): the runtime's per-key lock around the miss block with a re-read; the wrapper calls stay.
using System.Text.Json;
using Microsoft.Extensions.Caching.Distributed;
namespace Eval.Families.Piranha;

public interface ICache
{
    Task<T?> GetAsync<T>(string key, CancellationToken cancellationToken = default);
    Task SetAsync<T>(string key, T value, CancellationToken cancellationToken = default);
    Task RemoveAsync(string key, CancellationToken cancellationToken = default);
}

internal sealed class DistributedCache : ICache
{
    private readonly IDistributedCache _cache;
    public DistributedCache(IDistributedCache cache) => _cache = cache;

    public async Task<T?> GetAsync<T>(string key, CancellationToken cancellationToken = default)
    {
        var json = await _cache.GetStringAsync(key, cancellationToken).ConfigureAwait(false);
        return string.IsNullOrEmpty(json) ? default : JsonSerializer.Deserialize<T>(json);
    }

    public async Task SetAsync<T>(string key, T value, CancellationToken cancellationToken = default) =>
        await _cache.SetStringAsync(key, JsonSerializer.Serialize(value), cancellationToken).ConfigureAwait(false);

    public async Task RemoveAsync(string key, CancellationToken cancellationToken = default) =>
        await _cache.RemoveAsync(key, cancellationToken).ConfigureAwait(false);
}

public sealed class Alias { public Guid Id { get; set; } public Guid SiteId { get; set; } public string AliasUrl { get; set; } = ""; }
public sealed class AliasUrlCacheEntry { public Guid Id { get; set; } public string AliasUrl { get; set; } = ""; }
public interface IAliasRepository { Task<IEnumerable<Alias>> GetAll(Guid siteId); }

public class AliasService
{
    private readonly IAliasRepository _repo;
    private readonly ICache? _cache;
    public AliasService(IAliasRepository repo, ICache? cache = null) { _repo = repo; _cache = cache; }

    private async Task<IEnumerable<AliasUrlCacheEntry>?> GetAliasUrls(Guid siteId)
    {
        if (_cache != null)
        {
            var aliasUrls = await _cache.GetAsync<IEnumerable<AliasUrlCacheEntry>>($"Piranha_AliasUrls_{siteId}").ConfigureAwait(false); // expect: CG0004

            if (aliasUrls == null)
            {
                var aliases = await _repo.GetAll(siteId).ConfigureAwait(false);
                aliasUrls = aliases.Select(x => new AliasUrlCacheEntry
                {
                    Id = x.Id,
                    AliasUrl = x.AliasUrl
                }).ToList();

                await _cache.SetAsync($"Piranha_AliasUrls_{siteId}", aliasUrls).ConfigureAwait(false);
            }
            return aliasUrls;
        }
        return null;
    }

    private const string SITE_MAPPINGS = "Piranha_SiteMappings";

    // SiteService.GetByHostnameAsync's shape: a local assigned from the wrapper, a constant key.
    public async Task<IList<string>?> MappingsAsync()
    {
        IList<string>? mappings = null;
        if (_cache != null)
        {
            mappings = await _cache.GetAsync<IList<string>>(SITE_MAPPINGS).ConfigureAwait(false); // expect: CG0004

            if (mappings == null)
            {
                var sites = await _repo.GetAll(Guid.Empty).ConfigureAwait(false);
                mappings = sites.Select(s => s.AliasUrl).ToList();
                await _cache.SetAsync(SITE_MAPPINGS, mappings).ConfigureAwait(false);
            }
        }
        return mappings;
    }

    public Task RemoveAsync(Alias model) => _cache?.RemoveAsync($"Piranha_AliasUrls_{model.SiteId}") ?? Task.CompletedTask;
}
