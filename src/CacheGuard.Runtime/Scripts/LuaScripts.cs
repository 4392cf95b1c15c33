namespace CacheGuard;

/// <summary>
/// Every Lua script CacheGuard runs. Constant text only: keys arrive in KEYS, data in ARGV, so
/// the scripts are cached by SHA and work on Redis Cluster (all KEYS of one call share a slot).
/// None runs on a fresh hit: that is one plain GET.
/// </summary>
internal static class LuaScripts
{
    /// <summary>
    /// The miss path, one round trip. KEYS: value, negative, stale, lease, fence.
    /// ARGV: lease token, lease TTL ms, new fence token, fence TTL ms, take-lease-over-stale ('1'/'0'),
    /// ignore-the-value ('1' when the value could not be read as the caller's type).
    /// The stale copy is '&lt;stale window ms&gt;|&lt;bytes&gt;': one whose PTTL is longer than its stale window
    /// shows the key was deleted before its fresh TTL ran out (a raw DEL by code not using
    /// CacheGuard): it is deleted, not served.
    /// Returns one of:
    /// { 'T', type } another type at the key; { 'v', bytes } a value (a populate raced us);
    /// { 'n' } a cached "not found"; { 's', bytes } a stale copy (no lease taken, unless ARGV[5] = '1');
    /// { 'l', fence, stale-or-false } the lease is ours and the fence exists (created if missing);
    /// { 'w', holder token, fence-or-false } another holder has the lease.
    /// </summary>
    public const string Miss = """
        local t = redis.call('TYPE', KEYS[1])['ok']
        if t ~= 'none' and t ~= 'string' then return { 'T', t } end
        local v = redis.call('GET', KEYS[1])
        if v and ARGV[6] ~= '1' then return { 'v', v } end
        if redis.call('EXISTS', KEYS[2]) == 1 and ARGV[6] ~= '1' then return { 'n' } end
        local s = redis.pcall('GET', KEYS[3])
        if type(s) ~= 'string' then s = false end
        if s then
          local sep = string.find(s, '|', 1, true)
          if not sep or redis.call('PTTL', KEYS[3]) > tonumber(string.sub(s, 1, sep - 1)) + 5 then
            redis.call('DEL', KEYS[3])
            s = false
          else
            s = string.sub(s, sep + 1)
          end
        end
        if s and ARGV[5] ~= '1' and ARGV[6] ~= '1' then return { 's', s } end
        if redis.call('SET', KEYS[4], ARGV[1], 'NX', 'PX', ARGV[2]) then
          local f = redis.call('GET', KEYS[5])
          if not f then
            f = ARGV[3]
            redis.call('SET', KEYS[5], f, 'PX', ARGV[4])
          elseif redis.call('PTTL', KEYS[5]) < tonumber(ARGV[4]) then
            redis.call('PEXPIRE', KEYS[5], ARGV[4])
          end
          return { 'l', f, s }
        end
        return { 'w', redis.call('GET', KEYS[4]) or '', redis.call('GET', KEYS[5]) }
        """;

    /// <summary>
    /// A read without a factory, after GET found nothing. KEYS: value, negative, stale (a stale copy
    /// outliving its key by more than its stale window means a raw DEL: not served). Returns { 'T', type } | { 'v', bytes } | { 'n' } | { 's', bytes } | { 'm' }.
    /// </summary>
    public const string Peek = """
        local t = redis.call('TYPE', KEYS[1])['ok']
        if t ~= 'none' and t ~= 'string' then return { 'T', t } end
        local v = redis.call('GET', KEYS[1])
        if v then return { 'v', v } end
        if redis.call('EXISTS', KEYS[2]) == 1 then return { 'n' } end
        local s = redis.pcall('GET', KEYS[3])
        if type(s) == 'string' then
          local sep = string.find(s, '|', 1, true)
          if sep and redis.call('PTTL', KEYS[3]) <= tonumber(string.sub(s, 1, sep - 1)) + 5 then return { 's', string.sub(s, sep + 1) } end
        end
        return { 'm' }
        """;

    /// <summary>
    /// The populate. KEYS: value, stale, negative, version, fence, lease.
    /// ARGV: fence token, lease token ('' = a waiter past its deadline, holding none), kind ('v' value /
    /// 'n' not found), bytes, fresh PTTL ms, stale-copy PTTL ms ('0' = none), version ('' = none), channel,
    /// stale window ms.
    /// Lands only while the caller still holds its lease (when it has one) and the fence it saw is
    /// still there unchanged. Returns 1 stored, 0 fenced (invalidated, written, or lost with the
    /// data), -1 lease lost, -2 not newer than the cached version, -3 another type at the key.
    /// Always releases the caller's lease and its fence (compare-and-delete) and publishes.
    /// </summary>
    public const string Populate = """
        local result = 1
        local f = redis.call('GET', KEYS[5])
        if ARGV[2] ~= '' and redis.call('GET', KEYS[6]) ~= ARGV[2] then
          result = -1
        elseif not f or f ~= ARGV[1] then
          result = 0
        else
          local t = redis.call('TYPE', KEYS[1])['ok']
          if t ~= 'none' and t ~= 'string' then result = -3 end
        end
        if result == 1 and ARGV[7] ~= '' then
          local cv = redis.pcall('GET', KEYS[4])
          if type(cv) == 'string' and (#cv > #ARGV[7] or (#cv == #ARGV[7] and cv >= ARGV[7])) then result = -2 end
        end
        if result == 1 then
          if ARGV[3] == 'v' then
            redis.call('SET', KEYS[1], ARGV[4], 'PX', ARGV[5])
            if ARGV[6] ~= '0' then redis.call('SET', KEYS[2], ARGV[9] .. '|' .. ARGV[4], 'PX', ARGV[6]) else redis.call('DEL', KEYS[2]) end
            redis.call('DEL', KEYS[3])
            if ARGV[7] ~= '' then redis.call('SET', KEYS[4], ARGV[7], 'PX', ARGV[6] ~= '0' and ARGV[6] or ARGV[5]) else redis.call('DEL', KEYS[4]) end
          else
            redis.call('DEL', KEYS[1], KEYS[2], KEYS[4])
            redis.call('SET', KEYS[3], '1', 'PX', ARGV[5])
          end
        end
        if ARGV[2] ~= '' and redis.call('GET', KEYS[6]) == ARGV[2] then
          redis.call('DEL', KEYS[6])
          if f and f == ARGV[1] then redis.call('DEL', KEYS[5]) end
        end
        redis.call('PUBLISH', ARGV[8], result == 1 and 'p' or 'r')
        return result
        """;

    /// <summary>
    /// Gives up a lease without populating (the factory threw, timed out or was cancelled).
    /// KEYS: lease, fence. ARGV: lease token, fence token, channel.
    /// </summary>
    public const string Abandon = """
        if redis.call('GET', KEYS[1]) == ARGV[1] then
          redis.call('DEL', KEYS[1])
          if redis.call('GET', KEYS[2]) == ARGV[2] then redis.call('DEL', KEYS[2]) end
        end
        redis.call('PUBLISH', ARGV[3], 'r')
        return 1
        """;

    /// <summary>
    /// Fenced invalidation of one or more entries of one slot. KEYS per entry: value, stale,
    /// negative, version, fence. ARGV: fence token, fence TTL ms, channel1, channel2, ...
    /// Deletes each entry (a key of another type is left alone), replaces its fence with a new
    /// token (so every populate that saw the old one is refused), publishes.
    /// </summary>
    public const string Invalidate = """
        local n = 0
        for i = 1, #KEYS, 5 do
          local t = redis.call('TYPE', KEYS[i])['ok']
          if t == 'string' then redis.call('DEL', KEYS[i]) end
          redis.call('DEL', KEYS[i + 1], KEYS[i + 2], KEYS[i + 3])
          redis.call('SET', KEYS[i + 4], ARGV[1], 'PX', ARGV[2])
          n = n + 1
          redis.call('PUBLISH', ARGV[2 + n], 'i')
        end
        return n
        """;

    /// <summary>
    /// A direct write that also moves the fence (no populate that started earlier can overwrite it).
    /// KEYS: value, stale, negative, version, fence. ARGV: kind ('v'/'n'), bytes, fresh PTTL ms,
    /// stale PTTL ms ('0' = none), version ('' = none), new fence token, fence TTL ms, channel, stale window ms.
    /// Returns 1 stored, -2 not newer than the cached version, -3 another type at the key.
    /// </summary>
    public const string Set = """
        local t = redis.call('TYPE', KEYS[1])['ok']
        if t ~= 'none' and t ~= 'string' then return -3 end
        if ARGV[5] ~= '' then
          local cv = redis.pcall('GET', KEYS[4])
          if type(cv) == 'string' and (#cv > #ARGV[5] or (#cv == #ARGV[5] and cv >= ARGV[5])) then return -2 end
        end
        if ARGV[1] == 'v' then
          redis.call('SET', KEYS[1], ARGV[2], 'PX', ARGV[3])
          if ARGV[4] ~= '0' then redis.call('SET', KEYS[2], ARGV[9] .. '|' .. ARGV[2], 'PX', ARGV[4]) else redis.call('DEL', KEYS[2]) end
          redis.call('DEL', KEYS[3])
          if ARGV[5] ~= '' then redis.call('SET', KEYS[4], ARGV[5], 'PX', ARGV[4] ~= '0' and ARGV[4] or ARGV[3]) else redis.call('DEL', KEYS[4]) end
        else
          redis.call('DEL', KEYS[1], KEYS[2], KEYS[4])
          redis.call('SET', KEYS[3], '1', 'PX', ARGV[3])
        end
        redis.call('SET', KEYS[5], ARGV[6], 'PX', ARGV[7])
        redis.call('PUBLISH', ARGV[8], 'p')
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
    /// KEYS: value, stale, negative, version, fence, outbox stream. ARGV: bytes, fresh PTTL ms,
    /// stale PTTL ms ('0' = none), new fence token, fence TTL ms, channel, key name, idempotency id ('' = none), stale window ms.
    /// Returns the entry id, or -3 when another type is at the key (nothing written).
    /// The fence moves too: a populate that read the database before this write must not land after it.
    /// </summary>
    public const string WriteBehind = """
        local t = redis.call('TYPE', KEYS[1])['ok']
        if t ~= 'none' and t ~= 'string' then return -3 end
        redis.call('SET', KEYS[1], ARGV[1], 'PX', ARGV[2])
        if ARGV[3] ~= '0' then redis.call('SET', KEYS[2], ARGV[9] .. '|' .. ARGV[1], 'PX', ARGV[3]) else redis.call('DEL', KEYS[2]) end
        redis.call('DEL', KEYS[3], KEYS[4])
        redis.call('SET', KEYS[5], ARGV[4], 'PX', ARGV[5])
        local id
        if ARGV[8] ~= '' then
          id = redis.call('XADD', KEYS[6], '*', 'k', ARGV[7], 'v', ARGV[1], 'i', ARGV[8])
        else
          id = redis.call('XADD', KEYS[6], '*', 'k', ARGV[7], 'v', ARGV[1])
        end
        redis.call('PUBLISH', ARGV[6], 'p')
        return id
        """;
}
