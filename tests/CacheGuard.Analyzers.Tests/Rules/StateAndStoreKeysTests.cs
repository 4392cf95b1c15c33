using Microsoft.CodeAnalysis.CSharp;
using Verify = CacheGuard.Analyzers.Tests.Verifiers.CSharpVerifier<CacheGuard.Analyzers.Rules.FixedTtlAnalyzer, CacheGuard.CodeFixes.FixedTtlCodeFix>;

namespace CacheGuard.Analyzers.Tests.Rules;

/// <summary>
/// Keys that hold state rather than a copy of data (RULES.md, "What is a cache entry"), from a held-out review of
/// Mewdeko (a Discord bot): a sorted set kept only in Redis whose expiry is set by <c>KeyExpire</c> in the same batch
/// (its snipe log), and a wizard's session state read, deserialized, changed and written back. Neither carries
/// CG0001; the controls in the same shapes that do hold a cache entry still do.
/// </summary>
public class StateAndStoreKeysTests
{
    private const string Usings = """
        using System;
        using System.Collections.Generic;
        using System.Data.Common;
        using System.Text.Json;
        using System.Threading.Tasks;
        using Dapper;
        using StackExchange.Redis;

        public sealed class WizardState { public int Step { get; set; } public Dictionary<string, string> Data { get; set; } = new(); }
        public sealed class Snipe { public string Text { get; set; } = ""; public double Score { get; set; } }

        """;

    public static TheoryData<LanguageVersion> Versions => new() { LanguageVersion.Latest, LanguageVersion.CSharp9 };

    [Theory]
    [MemberData(nameof(Versions))]
    public Task TheExpiryOfASortedSetKeptOnlyInRedis_IsNotCG0001(LanguageVersion version) =>
        Verify.VerifyAnalyzerAsync(Usings + """
            class SnipeLog
            {
                static readonly TimeSpan SnipeExpiry = TimeSpan.FromHours(2);
                IConnectionMultiplexer _redis = null!;
                public void Add(ulong channel, Snipe[] snipes)
                {
                    var batch = _redis.GetDatabase().CreateBatch();
                    var key = $"snipes:{channel}";
                    var entries = Array.ConvertAll(snipes, s => new SortedSetEntry(JsonSerializer.Serialize(s), s.Score));
                    _ = batch.SortedSetAddAsync(key, entries);
                    _ = batch.KeyExpireAsync(key, SnipeExpiry);
                    batch.Execute();
                }
            }
            """, version);

    [Theory]
    [MemberData(nameof(Versions))]
    public Task TheExpiryOfAStringWrittenJustBefore_IsCG0001(LanguageVersion version) =>
        Verify.VerifyAnalyzerAsync(Usings + """
            class ProfileCache
            {
                static readonly TimeSpan Ttl = TimeSpan.FromHours(2);
                IDatabase _db = null!;
                public async Task PutAsync(ulong user, string json)
                {
                    var key = $"profile:{user}";
                    await _db.StringSetAsync(key, json);
                    await _db.KeyExpireAsync(key, {|CG0001:Ttl|});
                }
            }
            """, version);

    [Theory]
    [MemberData(nameof(Versions))]
    public Task AWizardStateReadChangedAndWrittenBack_IsNotCG0001(LanguageVersion version) =>
        Verify.VerifyAnalyzerAsync(Usings + """
            class TicketWizard
            {
                IDatabase _db = null!;
                public async Task<bool> SelectTemplateAsync(string wizardId, string template)
                {
                    var data = await _db.StringGetAsync($"wizard:{wizardId}");
                    if (!data.HasValue)
                        return false;
                    var state = JsonSerializer.Deserialize<WizardState>((string)data!)!;
                    state.Data["template"] = template;
                    state.Step = 2;
                    await _db.StringSetAsync($"wizard:{wizardId}", JsonSerializer.Serialize(state), TimeSpan.FromMinutes(30));
                    return true;
                }
            }
            """, version);

    // The same shape beside a database write: a cached entity updated next to its row, still an entry's TTL.
    [Theory]
    [MemberData(nameof(Versions))]
    public Task TheSameShapeBesideADatabaseWrite_IsCG0001(LanguageVersion version) =>
        Verify.VerifyAnalyzerAsync(Usings + """
            class TicketWizard
            {
                IDatabase _db = null!;
                DbConnection _sql = null!;
                public async Task<bool> SelectTemplateAsync(string wizardId, string template)
                {
                    var data = await _db.StringGetAsync($"wizard:{wizardId}");
                    if (!data.HasValue)
                        return false;
                    var state = JsonSerializer.Deserialize<WizardState>((string)data!)!;
                    state.Data["template"] = template;
                    await _sql.ExecuteAsync("update wizards set template = @template where id = @wizardId", new { template, wizardId });
                    await _db.StringSetAsync($"wizard:{wizardId}", JsonSerializer.Serialize(state), {|CG0001:TimeSpan.FromMinutes(30)|});
                    return true;
                }
            }
            """, version);

    // A miss filled from the database: the value is a load, not the state read back.
    [Theory]
    [MemberData(nameof(Versions))]
    public Task APopulateFromTheDatabaseOnAMiss_IsCG0001(LanguageVersion version) =>
        Verify.VerifyAnalyzerAsync(Usings + """
            class Wizards
            {
                IDatabase _db = null!;
                DbConnection _sql = null!;
                public async Task<WizardState> GetAsync(string wizardId)
                {
                    var data = await _db.StringGetAsync($"wizard:{wizardId}");
                    if (data.HasValue)
                        return JsonSerializer.Deserialize<WizardState>((string)data!)!;
                    var state = await _sql.QuerySingleAsync<WizardState>("select * from wizards where id = @wizardId", new { wizardId });
                    state.Step = 1;
                    await _db.StringSetAsync($"wizard:{wizardId}", JsonSerializer.Serialize(state), {|CG0001:TimeSpan.FromMinutes(30)|});
                    return state;
                }
            }
            """, version);
}
