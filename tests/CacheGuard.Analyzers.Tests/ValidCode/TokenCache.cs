// Caching a token until its own deadline: the TTL comes from the data, so entries do not expire
// together and no jitter is owed.
using System.Text.Json;
using StackExchange.Redis;

namespace ValidCode.TokenCache;

public sealed class TokenCache
{
    private static readonly TimeSpan Skew = TimeSpan.FromSeconds(30);
    private readonly IDatabase _db;
    private readonly ITokenClient _client;
    private readonly SemaphoreSlim _refresh = new(1, 1);

    public TokenCache(IDatabase db, ITokenClient client)
    {
        _db = db;
        _client = client;
    }

    public async Task<string> GetAsync(string audience, CancellationToken cancellationToken)
    {
        var key = $"token:{audience}";
        var cached = await _db.StringGetAsync(key);
        if (cached.HasValue)
            return cached.ToString();

        await _refresh.WaitAsync(cancellationToken);
        try
        {
            cached = await _db.StringGetAsync(key);
            if (cached.HasValue)
                return cached.ToString();

            var token = await _client.RequestTokenAsync(audience, cancellationToken);
            var lifetime = token.ExpiresAt - DateTimeOffset.UtcNow - Skew;
            if (lifetime > TimeSpan.Zero)
                await _db.StringSetAsync(key, token.Value, lifetime, When.Always);
            return token.Value;
        }
        finally
        {
            _refresh.Release();
        }
    }

    public Task<bool> StoreAsync(string audience, AccessToken token) =>
        _db.StringSetAsync($"token:{audience}:full", JsonSerializer.Serialize(token), token.ExpiresAt - DateTimeOffset.UtcNow, When.Always);

    public bool StoreUntil(string audience, AccessToken token) =>
        _db.StringSet($"token:{audience}:value", token.Value, token.ExpiresAt.UtcDateTime.Subtract(DateTime.UtcNow), When.Always);
}
