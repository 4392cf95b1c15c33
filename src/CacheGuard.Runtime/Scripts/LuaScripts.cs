namespace CacheGuard;

/// <summary>
/// Every Lua script CacheGuard runs. Constant text only: keys arrive in KEYS, data in ARGV, so
/// the scripts are cached by SHA and work on Redis Cluster (all KEYS of one call share a slot).
/// </summary>
internal static class LuaScripts
{
    /// <summary>
    /// KEYS: value, fence. Returns { raw value or '', PTTL, fence token or '', server time ms }.
    /// A value of the wrong type (written by other code) reads as missing.
    /// </summary>
    public const string Read = """
        local v = redis.pcall('GET', KEYS[1])
        if type(v) ~= 'string' then v = '' end
        local pttl = -2
        if v ~= '' then pttl = redis.call('PTTL', KEYS[1]) end
        local f = redis.call('GET', KEYS[2]) or ''
        local t = redis.call('TIME')
        return { v, pttl, f, tonumber(t[1]) * 1000 + math.floor(tonumber(t[2]) / 1000) }
        """;

    /// <summary>
    /// The fenced populate. KEYS: value, fence, lease.
    /// ARGV: expected fence token ('' = none), factory start (server ms), max age ms, entry bytes,
    /// PTTL ms, version ('' = none), lease token ('' = none), channel.
    /// Returns 1 stored, 0 fenced (an invalidation happened since the factory started), -1 too old
    /// (the factory outlived the fence), -2 not newer than the cached version.
    /// Always releases the caller's lease (compare-and-delete) and publishes, so waiters wake either way.
    /// </summary>
    public const string Populate = """
        local result = 1
        local f = redis.call('GET', KEYS[2]) or ''
        if f ~= ARGV[1] then
          result = 0
        else
          local t = redis.call('TIME')
          local now = tonumber(t[1]) * 1000 + math.floor(tonumber(t[2]) / 1000)
          if now - tonumber(ARGV[2]) > tonumber(ARGV[3]) then result = -1 end
        end
        if result == 1 and ARGV[6] ~= '' then
          local cur = redis.pcall('GET', KEYS[1])
          if type(cur) == 'string' then
            local cv = string.match(cur, '^cg1|%a|%d+|(%d+)|')
            if cv and (#cv > #ARGV[6] or (#cv == #ARGV[6] and cv >= ARGV[6])) then result = -2 end
          end
        end
        if result == 1 then redis.call('SET', KEYS[1], ARGV[4], 'PX', ARGV[5]) end
        if ARGV[7] ~= '' and redis.call('GET', KEYS[3]) == ARGV[7] then redis.call('DEL', KEYS[3]) end
        redis.call('PUBLISH', ARGV[8], result == 1 and 'p' or 'r')
        return result
        """;

    /// <summary>
    /// Fenced invalidation of one or more entries of one slot. KEYS: value1, fence1, value2, fence2, ...
    /// ARGV: fence token, fence TTL ms, channel1, channel2, ... Deletes each value, replaces its
    /// fence with a new token (so every populate that read the old one is refused), publishes.
    /// </summary>
    public const string Invalidate = """
        local n = 0
        for i = 1, #KEYS, 2 do
          redis.call('DEL', KEYS[i])
          redis.call('SET', KEYS[i + 1], ARGV[1], 'PX', ARGV[2])
          redis.call('PUBLISH', ARGV[2 + (i + 1) / 2], 'i')
          n = n + 1
        end
        return n
        """;

    /// <summary>
    /// A direct write that also moves the fence (no populate that started earlier can overwrite it).
    /// KEYS: value, fence. ARGV: entry bytes, PTTL ms, version ('' = none), new fence token, fence TTL ms, channel.
    /// Returns 1 stored, -2 not newer than the cached version.
    /// </summary>
    public const string Set = """
        if ARGV[3] ~= '' then
          local cur = redis.pcall('GET', KEYS[1])
          if type(cur) == 'string' then
            local cv = string.match(cur, '^cg1|%a|%d+|(%d+)|')
            if cv and (#cv > #ARGV[3] or (#cv == #ARGV[3] and cv >= ARGV[3])) then return -2 end
          end
        end
        redis.call('SET', KEYS[1], ARGV[1], 'PX', ARGV[2])
        redis.call('SET', KEYS[2], ARGV[4], 'PX', ARGV[5])
        redis.call('PUBLISH', ARGV[6], 'p')
        return 1
        """;

    /// <summary>KEYS: lease. ARGV: token, TTL ms. 1 when renewed, 0 when the lease is no longer ours.</summary>
    public const string RenewLease = """
        if redis.call('GET', KEYS[1]) == ARGV[1] then
          return redis.call('PEXPIRE', KEYS[1], ARGV[2])
        end
        return 0
        """;

    /// <summary>KEYS: lease. ARGV: token, channel. Compare-and-delete; publishes so waiters retry at once.</summary>
    public const string ReleaseLease = """
        if redis.call('GET', KEYS[1]) == ARGV[1] then
          redis.call('DEL', KEYS[1])
          redis.call('PUBLISH', ARGV[2], 'r')
          return 1
        end
        return 0
        """;

    /// <summary>
    /// Write-behind: the cache write and the outbox append in one atomic step.
    /// KEYS: value, fence, outbox stream. ARGV: entry bytes, PTTL ms, fence token, fence TTL ms,
    /// channel, key name, payload bytes, idempotency id.
    /// The fence moves too: a populate that read the database before this write must not land after it.
    /// </summary>
    public const string WriteBehind = """
        redis.call('SET', KEYS[1], ARGV[1], 'PX', ARGV[2])
        redis.call('SET', KEYS[2], ARGV[3], 'PX', ARGV[4])
        local id = redis.call('XADD', KEYS[3], '*', 'k', ARGV[6], 'v', ARGV[7], 'i', ARGV[8])
        redis.call('PUBLISH', ARGV[5], 'p')
        return id
        """;
}
