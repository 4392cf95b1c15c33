using Microsoft.CodeAnalysis.CSharp;
using Verify = CacheGuard.Analyzers.Tests.Verifiers.CSharpVerifier<CacheGuard.Analyzers.Rules.UnguardedPopulateAnalyzer, CacheGuard.CodeFixes.UnguardedPopulateCodeFix>;

namespace CacheGuard.Analyzers.Tests.Rules;

/// <summary>
/// A populated value built as a fresh dictionary and filled by indexer sets from a load (from a held-out review of
/// BotSharp, 2026-12-04: a synonym map read from a graph database and cached; its sibling, filled through
/// <c>TryGetValue</c> and <c>Add</c>, was reported and it was not). <c>map[k] = v</c> fills the local as
/// <c>map.Add(k, v)</c> does, so the load is the populate's factory (RULES.md: "a value produced by a load"). The
/// controls: the same dictionary filled from the caller's own data, with no load, still raises nothing.
/// </summary>
public class IndexerFilledValueTests
{
    private const string Usings = """
        using System;
        using System.Collections.Generic;
        using System.Text.Json;
        using System.Threading.Tasks;
        using StackExchange.Redis;

        public interface IGraph { Task<List<string>> QueryAsync(string graphId); }

        """;

    public static TheoryData<LanguageVersion> Versions => new() { LanguageVersion.Latest, LanguageVersion.CSharp9 };

    [Theory]
    [MemberData(nameof(Versions))]
    public Task ADictionaryFilledByIndexerFromAQuery_IsCG0004(LanguageVersion version) =>
        Verify.VerifyAnalyzerAsync(Usings + """
            class SynonymLoader
            {
                IDatabase _db = null!;
                IGraph _graph = null!;
                public async Task<Dictionary<string, string>> LoadAsync(string graphId)
                {
                    var key = $"synonyms:{graphId}";
                    var cached = await {|CG0004:_db.StringGetAsync(key)|};
                    if (cached.HasValue)
                        return JsonSerializer.Deserialize<Dictionary<string, string>>((string)cached!)!;
                    var result = new Dictionary<string, string>();
                    var rows = await _graph.QueryAsync(graphId);
                    foreach (var row in rows)
                        result[row.ToLowerInvariant()] = row;
                    await _db.StringSetAsync(key, JsonSerializer.Serialize(result), TimeSpan.FromMinutes(60));
                    return result;
                }
            }
            """, version);

    [Theory]
    [MemberData(nameof(Versions))]
    public Task TheSameFilledInsideATryBlock_IsCG0004(LanguageVersion version) =>
        Verify.VerifyAnalyzerAsync(Usings + """
            class SynonymLoader
            {
                IDatabase _db = null!;
                IGraph _graph = null!;
                public async Task<Dictionary<string, string>> LoadAsync(string graphId)
                {
                    var key = $"synonyms:{graphId}";
                    var cached = await {|CG0004:_db.StringGetAsync(key)|};
                    if (cached.HasValue)
                        return JsonSerializer.Deserialize<Dictionary<string, string>>((string)cached!)!;
                    var result = new Dictionary<string, string>();
                    try
                    {
                        foreach (var row in await _graph.QueryAsync(graphId))
                            result[row] = row;
                        await _db.StringSetAsync(key, JsonSerializer.Serialize(result), TimeSpan.FromMinutes(60));
                    }
                    catch (InvalidOperationException)
                    {
                    }
                    return result;
                }
            }
            """, version);

    [Theory]
    [MemberData(nameof(Versions))]
    public Task ADictionaryFilledByIndexerFromTheCallersOwnData_IsNotCG0004(LanguageVersion version) =>
        Verify.VerifyAnalyzerAsync(Usings + """
            class LabelIndex
            {
                IDatabase _db = null!;
                public async Task<Dictionary<string, string>> IndexAsync(string name, string[] labels)
                {
                    var key = $"labels:{name}";
                    var cached = await _db.StringGetAsync(key);
                    if (cached.HasValue)
                        return JsonSerializer.Deserialize<Dictionary<string, string>>((string)cached!)!;
                    var result = new Dictionary<string, string>();
                    foreach (var label in labels)
                        result[label.ToLowerInvariant()] = label;
                    await _db.StringSetAsync(key, JsonSerializer.Serialize(result), TimeSpan.FromMinutes(60));
                    return result;
                }
            }
            """, version);

    [Theory]
    [MemberData(nameof(Versions))]
    public Task AnIndexerSetOnAnotherLocal_DoesNotMakeTheQueryTheFactory(LanguageVersion version) =>
        Verify.VerifyAnalyzerAsync(Usings + """
            class LabelIndex
            {
                IDatabase _db = null!;
                IGraph _graph = null!;
                public async Task<Dictionary<string, string>> IndexAsync(string name, string[] labels)
                {
                    var key = $"labels:{name}";
                    var cached = await _db.StringGetAsync(key);
                    if (cached.HasValue)
                        return JsonSerializer.Deserialize<Dictionary<string, string>>((string)cached!)!;
                    var seen = new Dictionary<string, string>();
                    foreach (var row in await _graph.QueryAsync(name))
                        seen[row] = row;
                    var result = new Dictionary<string, string>();
                    foreach (var label in labels)
                        result[label] = label;
                    await _db.StringSetAsync(key, JsonSerializer.Serialize(result), TimeSpan.FromMinutes(60));
                    return result;
                }
            }
            """, version);
}
