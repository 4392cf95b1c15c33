// Shapes from the issue-18 review of real code bases: keys that are written through cache APIs
// but are not cache entries (RULES.md, "What is a cache entry"). Their TTL is the point (a
// replay window, a code's validity, a cooldown, a lease), so none of them carries CG0001, CG0002,
// CG0005 or CG0008, and there is no factory whose stampede a TTL would multiply.
using System.Security.Cryptography;
using System.Text;
using Microsoft.Extensions.Caching.Distributed;
using Microsoft.Extensions.Caching.Memory;
using StackExchange.Redis;

namespace ValidCode.RealCodeNotCacheEntries;

// A TOTP code may be used once: the marker lives as long as the code's step window.
public sealed class TotpReplayGuard(IDatabase db)
{
    private static readonly TimeSpan StepWindow = TimeSpan.FromSeconds(90);

    public Task<bool> TryMarkUsedAsync(Guid userId, string code) =>
        db.StringSetAsync($"totp-used:{userId}:{code}", "1", StepWindow, When.NotExists);
}

// WebAuthn challenge replay marker kept in IDistributedCache with the challenge's validity.
public sealed class WebAuthnChallengeGuard(IDistributedCache cache)
{
    public async Task<bool> ConsumeAsync(string challenge, CancellationToken ct)
    {
        var key = $"webauthn-used:{challenge}";
        if (await cache.GetAsync(key, ct) is not null)
            return false;
        await cache.SetAsync(key, new byte[] { 1 }, new DistributedCacheEntryOptions
        {
            AbsoluteExpirationRelativeToNow = TimeSpan.FromMinutes(5),
        }, ct);
        return true;
    }
}

// An e-mail verification code: freshly generated, valid for 15 minutes, compared on submit.
public sealed class EmailVerificationCodes(IDistributedCache cache)
{
    public async Task<string> IssueAsync(string email, CancellationToken ct)
    {
        var code = RandomNumberGenerator.GetInt32(0, 1_000_000).ToString("D6");
        await cache.SetStringAsync($"email-code:{email}", code, new DistributedCacheEntryOptions
        {
            AbsoluteExpirationRelativeToNow = TimeSpan.FromMinutes(15),
        }, ct);
        return code;
    }

    public async Task<bool> VerifyAsync(string email, string submitted, CancellationToken ct)
    {
        var expected = await cache.GetStringAsync($"email-code:{email}", ct);
        return expected is not null && CryptographicOperations.FixedTimeEquals(
            Encoding.UTF8.GetBytes(expected), Encoding.UTF8.GetBytes(submitted));
    }
}

// Cooldowns: a bool or an empty value under a key that is only checked for existence.
public sealed class Cooldowns(IDatabase db)
{
    public async Task<bool> TryStartReminderCooldownAsync(ulong userId)
    {
        if (await db.KeyExistsAsync($"reminder-cooldown:{userId}"))
            return false;
        await db.StringSetAsync($"reminder-cooldown:{userId}", true, TimeSpan.FromMinutes(10));
        return true;
    }

    public bool TryStartResendCooldown(string email)
    {
        if (db.KeyExists("resend-cooldown:" + email))
            return false;
        db.StringSet("resend-cooldown:" + email, RedisValue.EmptyString, TimeSpan.FromSeconds(60));
        return true;
    }
}

// A quota window kept in IMemoryCache: the count resets when the window ends.
public sealed class SendQuota(IMemoryCache cache)
{
    private static readonly TimeSpan Window = TimeSpan.FromHours(1);

    public bool TryConsume(string tenant, int limit)
    {
        var key = $"send-quota:{tenant}";
        var used = cache.TryGetValue(key, out int n) ? n : 0;
        if (used >= limit)
            return false;
        cache.Set(key, used + 1, new MemoryCacheEntryOptions { AbsoluteExpirationRelativeToNow = Window });
        return true;
    }
}

// A lease renewed while its holder works: the TTL is the lease.
public sealed class LeaseRenewal(IDatabase db)
{
    public Task<bool> RenewAsync(string resource, string token, TimeSpan lease) =>
        db.StringSetAsync($"lease:{resource}", token, lease, When.Exists);

    public Task<bool> ExtendAsync(string resource, string token) =>
        db.LockExtendAsync($"lock:{resource}", token, TimeSpan.FromSeconds(30));

    // Whether this acquires or overwrites is only known at run time: not provably a cache write.
    public Task<bool> AcquireOrTakeOverAsync(string resource, string token, bool takeOver) =>
        db.StringSetAsync($"lease:{resource}", token, TimeSpan.FromSeconds(30), takeOver ? When.Always : When.NotExists);
}

// A real sliding expiration: a hot entry never expires, cold ones expire one by one.
public sealed class SessionPermissions(IMemoryCache cache, IPermissionStore store)
{
    private readonly SemaphoreSlim _gate = new(1, 1);

    public async Task<IReadOnlyList<string>> GetAsync(Guid sessionId, CancellationToken ct)
    {
        if (cache.TryGetValue(sessionId, out IReadOnlyList<string>? cached) && cached is not null)
            return cached;
        await _gate.WaitAsync(ct);
        try
        {
            if (cache.TryGetValue(sessionId, out cached) && cached is not null)
                return cached;
            var permissions = await store.LoadAsync(sessionId, ct);
            cache.Set(sessionId, permissions, new MemoryCacheEntryOptions { SlidingExpiration = TimeSpan.FromMinutes(20), Size = 1 });
            return permissions;
        }
        finally
        {
            _gate.Release();
        }
    }
}

public interface IPermissionStore
{
    Task<IReadOnlyList<string>> LoadAsync(Guid sessionId, CancellationToken ct);
}

// The absolute instant comes from the data: each token expires when it does.
public sealed class UpstreamTokens(IMemoryCache cache, ITokenClient client)
{
    private readonly SemaphoreSlim _gate = new(1, 1);

    public async Task<AccessToken> GetAsync(string audience, CancellationToken ct)
    {
        if (cache.TryGetValue($"token:{audience}", out AccessToken? token) && token is not null)
            return token;
        await _gate.WaitAsync(ct);
        try
        {
            if (cache.TryGetValue($"token:{audience}", out token) && token is not null)
                return token;
            token = await client.RequestTokenAsync(audience, ct);
            cache.Set($"token:{audience}", token, new MemoryCacheEntryOptions { AbsoluteExpiration = token.ExpiresAt.AddSeconds(-30) });
            return token;
        }
        finally
        {
            _gate.Release();
        }
    }
}

// Per-entry TTLs by construction: the i-th page of a warm-up expires i minutes later.
public sealed class StaggeredWarmup(IDatabase db)
{
    public async Task WarmAsync(IReadOnlyList<string> pages)
    {
        for (var index = 0; index < pages.Count; index++)
            await db.StringSetAsync($"page:{index}", pages[index], TimeSpan.FromMinutes(10 + index));
    }
}
