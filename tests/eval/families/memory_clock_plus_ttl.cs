using Microsoft.Extensions.Caching.Memory;
using Microsoft.Extensions.Options;
namespace Eval.Families.ClockPlusTtl;

// A relative TTL written as an instant: the clock moved by a fixed offset is the same TTL for every entry
// written at the same moment (RULES.md, CG0001), as fixed as AbsoluteExpirationRelativeToNow = 5 minutes.
public class MediaSource { public string Id { get; set; } = ""; }
public interface IChannel { Task<IEnumerable<MediaSource>> GetMediaAsync(string id, CancellationToken ct); }
public class CacheOptions { public int Minutes { get; set; } = 10; }
public class TokenResponse { public string AccessToken { get; set; } = ""; public int ExpiresIn { get; set; } }
public interface ITokenClient { Task<TokenResponse> RequestAsync(string audience); }

public class ChannelSources
{
    private readonly IMemoryCache _memoryCache;
    private readonly IOptions<CacheOptions> _options;
    public ChannelSources(IMemoryCache memoryCache, IOptions<CacheOptions> options) { _memoryCache = memoryCache; _options = options; }

    // Jellyfin's shape (ChannelManager.GetChannelItemMediaSourcesInternal).
    public async Task<IEnumerable<MediaSource>> SourcesAsync(IChannel channel, string id, CancellationToken ct)
    {
        if (_memoryCache.TryGetValue(id, out List<MediaSource>? cached)) // allow: CG0004
            return cached!;
        var list = (await channel.GetMediaAsync(id, ct)).ToList();
        _memoryCache.Set(id, list, DateTimeOffset.UtcNow.AddMinutes(5)); // expect: CG0001
        return list;
    }

    public Task<List<MediaSource>?> WithOptionsAsync(IChannel channel, string id, CancellationToken ct) =>
        _memoryCache.GetOrCreateAsync(id, async entry => // allow: CG0004
        {
            entry.AbsoluteExpiration = DateTimeOffset.UtcNow + TimeSpan.FromMinutes(10); // expect: CG0001
            return (await channel.GetMediaAsync(id, ct)).ToList();
        });

    public Task<List<MediaSource>?> ConfiguredAsync(IChannel channel, string id, CancellationToken ct)
    {
        var now = DateTimeOffset.UtcNow;
        return _memoryCache.GetOrCreateAsync(id, async entry => // allow: CG0004
        {
            entry.AbsoluteExpiration = now.AddMinutes(_options.Value.Minutes); // expect: CG0001
            return (await channel.GetMediaAsync(id, ct)).ToList();
        });
    }

    // Everything expires at midnight: one instant for every entry (RULES.md's own example).
    public Task<List<MediaSource>?> UntilMidnightAsync(IChannel channel, string id, CancellationToken ct) =>
        _memoryCache.GetOrCreateAsync(id, async entry => // allow: CG0004
        {
            entry.AbsoluteExpiration = DateTime.UtcNow.Date.AddDays(1); // expect: CG0001
            return (await channel.GetMediaAsync(id, ct)).ToList();
        });
}

public class NotFixed
{
    private readonly IMemoryCache _memoryCache;
    private readonly ITokenClient _tokens;
    public NotFixed(IMemoryCache memoryCache, ITokenClient tokens) { _memoryCache = memoryCache; _tokens = tokens; }

    // The token's own lifetime: the data's deadline, not a shared TTL.
    public async Task<string> TokenAsync(string audience)
    {
        if (_memoryCache.TryGetValue(audience, out string? token)) // allow: CG0004
            return token!;
        var response = await _tokens.RequestAsync(audience);
        _memoryCache.Set(audience, response.AccessToken, DateTimeOffset.UtcNow.AddSeconds(response.ExpiresIn - 30));
        return response.AccessToken;
    }

    // Jittered offset.
    public Task<List<MediaSource>?> JitteredAsync(IChannel channel, string id, CancellationToken ct) =>
        _memoryCache.GetOrCreateAsync(id, async entry => // allow: CG0004
        {
            entry.AbsoluteExpiration = DateTimeOffset.UtcNow.AddSeconds(300 + Random.Shared.Next(0, 60));
            return (await channel.GetMediaAsync(id, ct)).ToList();
        });

    // A deadline read from the data, moved by a constant: still the data's.
    public void Remember(string key, TokenResponse response, DateTimeOffset issuedAt) =>
        _memoryCache.Set(key, response.AccessToken, issuedAt.AddSeconds(response.ExpiresIn));
}
