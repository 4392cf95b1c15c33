using System.Collections.Immutable;
using System.Reflection;
using Microsoft.CodeAnalysis;
using Microsoft.CodeAnalysis.CSharp;
using Microsoft.CodeAnalysis.Diagnostics;

namespace CacheGuard.Benchmarks.Analyzers;

/// <summary>
/// A generated compilation of realistic service code: entities, repositories, services with LINQ
/// and async, controllers, mappers, validators; one file in four holds Redis/IDistributedCache
/// caching code in the shapes the rules look at, good and bad (the same shapes as the sample).
/// Deterministic: file i is always the same text.
/// </summary>
public static class Workload
{
    public const int DefaultFileCount = 1000;

    public static IReadOnlyList<(string Path, string Text)> Sources(int fileCount = DefaultFileCount)
    {
        var files = new List<(string, string)> { ("Stubs/EfCore.cs", EfStubs) };
        for (var i = 0; i < fileCount - 1; i++)
        {
            var name = Names[i % Names.Length] + (i / Names.Length == 0 ? "" : (i / Names.Length).ToString());
            var kind = i % 8;
            var text = kind switch
            {
                0 or 4 => CachingFile(i, name),
                1 => Repository(name),
                2 => Service(name),
                3 => Controller(name),
                5 => Mapper(name),
                6 => Validator(name),
                _ => Service(name),
            };
            files.Add(($"Generated/{kind}/{name}.cs", text));
        }
        return files;
    }

    /// <summary>How many of the files contain caching code.</summary>
    public static int CachingFileCount(int fileCount = DefaultFileCount) =>
        Enumerable.Range(0, fileCount - 1).Count(i => i % 8 is 0 or 4);

    public static CSharpParseOptions ParseOptions { get; } = new(LanguageVersion.Latest);

    public static ImmutableArray<SyntaxTree> Parse(IReadOnlyList<(string Path, string Text)> sources) =>
        sources.Select(s => CSharpSyntaxTree.ParseText(s.Text, ParseOptions, s.Path)).ToImmutableArray();

    public static CSharpCompilation Compile(ImmutableArray<SyntaxTree> trees) =>
        CSharpCompilation.Create("Generated.Services", trees, References.Value,
            new CSharpCompilationOptions(OutputKind.DynamicallyLinkedLibrary, optimizationLevel: OptimizationLevel.Release,
                nullableContextOptions: NullableContextOptions.Enable, concurrentBuild: false));

    private static readonly Lazy<ImmutableArray<MetadataReference>> References = new(() =>
    {
        var paths = ((string)AppContext.GetData("TRUSTED_PLATFORM_ASSEMBLIES")!).Split(Path.PathSeparator)
            .Where(p => Path.GetFileName(p) is var f && (f.StartsWith("System.", StringComparison.Ordinal) || f is "mscorlib.dll" or "netstandard.dll"))
            .ToList();
        foreach (var t in new[]
                 {
                     typeof(StackExchange.Redis.IDatabase), typeof(Microsoft.Extensions.Caching.Distributed.IDistributedCache),
                     typeof(Microsoft.Extensions.Primitives.StringValues), typeof(global::CacheGuard.CacheTtl),
                 })
            paths.Add(t.Assembly.Location);
        return paths.Distinct().Select(p => (MetadataReference)MetadataReference.CreateFromFile(p)).ToImmutableArray();
    });

    // ---- analyzers ----

    /// <summary>Every concrete DiagnosticAnalyzer in CacheGuard.Analyzers.dll (rules merged later count too).</summary>
    public static ImmutableArray<DiagnosticAnalyzer> CacheGuardAnalyzers() =>
        Instantiate(typeof(global::CacheGuard.Analyzers.Rules.FixedTtlAnalyzer).Assembly);

    /// <summary>Each rule's own analyzer (the exported ones, one rule each): for the per-rule table.</summary>
    public static ImmutableArray<DiagnosticAnalyzer> CacheGuardRuleAnalyzers() =>
        typeof(global::CacheGuard.Analyzers.Rules.FixedTtlAnalyzer).Assembly.GetTypes()
            .Where(t => !t.IsAbstract && typeof(global::CacheGuard.Analyzers.Engine.RuleAnalyzer).IsAssignableFrom(t)
                        && t.GetCustomAttribute<DiagnosticAnalyzerAttribute>() is not null && t.GetConstructor(Type.EmptyTypes) is not null)
            .OrderBy(t => t.FullName, StringComparer.Ordinal)
            .Select(t => (DiagnosticAnalyzer)Activator.CreateInstance(t)!)
            .ToImmutableArray();

    /// <summary>Meziantou.Analyzer's C# analyzers, loaded from the NuGet package folder.</summary>
    public static ImmutableArray<DiagnosticAnalyzer> MeziantouAnalyzers()
    {
        var root = typeof(Workload).Assembly.GetCustomAttributes<AssemblyMetadataAttribute>()
            .FirstOrDefault(a => a.Key == "MeziantouPackagePath")?.Value;
        if (string.IsNullOrEmpty(root) || !Directory.Exists(root))
            throw new InvalidOperationException($"Meziantou.Analyzer package folder not found ('{root}'): restore the project.");
        // The package ships one build per Roslyn version: take the newest that this Roslyn can load.
        var host = typeof(Compilation).Assembly.GetName().Version!;
        var dir = Directory.GetDirectories(Path.Combine(root, "analyzers", "dotnet"), "roslyn*")
            .Select(d => (Dir: d, Version: Version.Parse(Path.GetFileName(d)["roslyn".Length..])))
            .Where(d => d.Version <= new Version(host.Major, host.Minor))
            .OrderByDescending(d => d.Version).First().Dir;
        MeziantouFolder = Path.Combine(dir, "cs");
        var analyzers = new List<DiagnosticAnalyzer>();
        foreach (var dll in Directory.GetFiles(MeziantouFolder, "*.dll"))
        {
            var asm = Assembly.LoadFrom(dll);
            analyzers.AddRange(Instantiate(asm));
        }
        return analyzers.ToImmutableArray();
    }

    public static string? MeziantouFolder { get; private set; }

    private static ImmutableArray<DiagnosticAnalyzer> Instantiate(Assembly assembly)
    {
        Type[] types;
        try { types = assembly.GetTypes(); }
        catch (ReflectionTypeLoadException ex) { types = ex.Types.Where(t => t is not null).ToArray()!; }
        return types
            .Where(t => !t.IsAbstract && typeof(DiagnosticAnalyzer).IsAssignableFrom(t) && t.GetConstructor(Type.EmptyTypes) is not null)
            .Where(t => t.GetCustomAttribute<DiagnosticAnalyzerAttribute>() is { } a && a.Languages.Contains(LanguageNames.CSharp))
            .OrderBy(t => t.FullName, StringComparer.Ordinal)
            .Select(t => (DiagnosticAnalyzer)Activator.CreateInstance(t)!)
            .ToImmutableArray();
    }

    // ---- templates ----

    private static readonly string[] Names =
    {
        "Order", "Customer", "Invoice", "Product", "Shipment", "Payment", "Account", "Subscription", "Ticket", "Review",
        "Warehouse", "Supplier", "Coupon", "Cart", "Refund", "Employee", "Department", "Project", "WorkItem", "Comment",
        "Article", "Author", "Category", "Tag", "Session", "Device", "Notification", "Report", "Schedule", "Booking",
        "Room", "Vehicle", "Route", "Driver", "Policy", "Claim", "Quote", "Lead", "Campaign", "Survey",
    };

    private const string EfStubs = """
        namespace Microsoft.EntityFrameworkCore
        {
            using System.Threading;
            using System.Threading.Tasks;
            public class DbContext
            {
                public virtual int SaveChanges() => 0;
                public virtual Task<int> SaveChangesAsync(CancellationToken cancellationToken = default) => Task.FromResult(0);
                public DbSet<T> Set<T>() where T : class => new DbSet<T>();
            }
            public class DbSet<T> : System.Collections.Generic.List<T> where T : class
            {
                public void Update(T entity) { }
                public ValueTask<T?> FindAsync(params object[] keys) => new ValueTask<T?>(default(T));
            }
        }
        """;

    private static string Entity(string n) => $$"""
            public sealed class {{n}}
            {
                public int Id { get; set; }
                public string Name { get; set; } = "";
                public string? Description { get; set; }
                public decimal Amount { get; set; }
                public DateTimeOffset CreatedAt { get; set; }
                public DateTimeOffset? UpdatedAt { get; set; }
                public bool IsActive { get; set; }
                public List<string> Labels { get; set; } = new();
                public int Version { get; set; }
            }

            public interface I{{n}}Repository
            {
                Task<{{n}}?> LoadAsync(int id, CancellationToken ct = default);
                {{n}}? Load(int id);
                Task<IReadOnlyList<{{n}}>> ListAsync(int page, int size, CancellationToken ct = default);
                Task UpdateAsync({{n}} entity, CancellationToken ct = default);
                Task InsertAsync({{n}} entity, CancellationToken ct = default);
                Task DeleteAsync(int id, CancellationToken ct = default);
            }
        """;

    private static string Header(string ns) => $$"""
        using System;
        using System.Collections.Generic;
        using System.Linq;
        using System.Text;
        using System.Text.Json;
        using System.Threading;
        using System.Threading.Tasks;

        namespace {{ns}}
        {
        """;

    private static string Repository(string n) => Header("Contoso.Data." + n) + Entity(n) + $$"""

            public sealed class {{n}}Repository : I{{n}}Repository
            {
                private readonly Dictionary<int, {{n}}> _rows = new();
                private int _next = 1;

                public Task<{{n}}?> LoadAsync(int id, CancellationToken ct = default) => Task.FromResult(Load(id));

                public {{n}}? Load(int id) => _rows.TryGetValue(id, out var row) ? row : null;

                public Task<IReadOnlyList<{{n}}>> ListAsync(int page, int size, CancellationToken ct = default)
                {
                    if (page < 0) throw new ArgumentOutOfRangeException(nameof(page));
                    IReadOnlyList<{{n}}> rows = _rows.Values
                        .Where(r => r.IsActive)
                        .OrderByDescending(r => r.UpdatedAt ?? r.CreatedAt)
                        .ThenBy(r => r.Id)
                        .Skip(page * size)
                        .Take(size)
                        .ToList();
                    return Task.FromResult(rows);
                }

                public Task UpdateAsync({{n}} entity, CancellationToken ct = default)
                {
                    if (!_rows.ContainsKey(entity.Id)) throw new KeyNotFoundException($"{{n}} {entity.Id} not found");
                    entity.UpdatedAt = DateTimeOffset.UtcNow;
                    entity.Version++;
                    _rows[entity.Id] = entity;
                    return Task.CompletedTask;
                }

                public Task InsertAsync({{n}} entity, CancellationToken ct = default)
                {
                    entity.Id = _next++;
                    entity.CreatedAt = DateTimeOffset.UtcNow;
                    _rows.Add(entity.Id, entity);
                    return Task.CompletedTask;
                }

                public Task DeleteAsync(int id, CancellationToken ct = default)
                {
                    _rows.Remove(id);
                    return Task.CompletedTask;
                }

                public IEnumerable<IGrouping<bool, {{n}}>> ByState() => _rows.Values.GroupBy(r => r.IsActive);

                public decimal Total(Func<{{n}}, bool> filter) => _rows.Values.Where(filter).Sum(r => r.Amount);
            }
        }

        """;

    private static string Service(string n) => Header("Contoso.Services." + n) + Entity(n) + $$"""

            public sealed record {{n}}Summary(int Id, string Name, decimal Amount, int LabelCount);

            public sealed class {{n}}Service
            {
                private readonly I{{n}}Repository _repository;
                private readonly Func<DateTimeOffset> _clock;

                public {{n}}Service(I{{n}}Repository repository, Func<DateTimeOffset>? clock = null)
                {
                    _repository = repository ?? throw new ArgumentNullException(nameof(repository));
                    _clock = clock ?? (() => DateTimeOffset.UtcNow);
                }

                public async Task<{{n}}Summary?> SummarizeAsync(int id, CancellationToken ct = default)
                {
                    var entity = await _repository.LoadAsync(id, ct).ConfigureAwait(false);
                    if (entity is null) return null;
                    return new {{n}}Summary(entity.Id, entity.Name.Trim(), Math.Round(entity.Amount, 2), entity.Labels.Count);
                }

                public async Task<IReadOnlyList<{{n}}Summary>> TopAsync(int count, CancellationToken ct = default)
                {
                    var page = await _repository.ListAsync(0, count * 2, ct).ConfigureAwait(false);
                    return page
                        .Where(e => e.Amount > 0 && !string.IsNullOrWhiteSpace(e.Name))
                        .OrderByDescending(e => e.Amount)
                        .Take(count)
                        .Select(e => new {{n}}Summary(e.Id, e.Name, e.Amount, e.Labels.Count))
                        .ToList();
                }

                public async Task<bool> RenameAsync(int id, string name, CancellationToken ct = default)
                {
                    if (string.IsNullOrWhiteSpace(name)) throw new ArgumentException("A name is required.", nameof(name));
                    var entity = await _repository.LoadAsync(id, ct).ConfigureAwait(false);
                    if (entity is null || entity.Name == name) return false;
                    entity.Name = name;
                    entity.UpdatedAt = _clock();
                    await _repository.UpdateAsync(entity, ct).ConfigureAwait(false);
                    return true;
                }

                public string Describe({{n}} entity)
                {
                    var sb = new StringBuilder();
                    sb.Append(entity.Name).Append(" (#").Append(entity.Id).Append(')');
                    if (entity.Description is { Length: > 0 } d) sb.Append(": ").Append(d.Length > 80 ? d[..80] + "…" : d);
                    foreach (var label in entity.Labels.Distinct(StringComparer.OrdinalIgnoreCase).OrderBy(l => l, StringComparer.Ordinal))
                        sb.Append(" [").Append(label).Append(']');
                    return sb.ToString();
                }

                public string Tier(decimal amount) => amount switch
                {
                    < 0 => "invalid",
                    0 => "free",
                    < 100 => "small",
                    < 10_000 => "medium",
                    _ => "large",
                };

                public async Task<int> ArchiveOlderThanAsync(TimeSpan age, CancellationToken ct = default)
                {
                    var cutoff = _clock() - age;
                    var archived = 0;
                    for (var page = 0; ; page++)
                    {
                        var rows = await _repository.ListAsync(page, 100, ct).ConfigureAwait(false);
                        if (rows.Count == 0) break;
                        foreach (var row in rows.Where(r => (r.UpdatedAt ?? r.CreatedAt) < cutoff))
                        {
                            row.IsActive = false;
                            await _repository.UpdateAsync(row, ct).ConfigureAwait(false);
                            archived++;
                        }
                    }
                    return archived;
                }
            }
        }

        """;

    private static string Controller(string n) => Header("Contoso.Api." + n) + Entity(n) + $$"""

            public sealed record {{n}}Request(string Name, decimal Amount, string[]? Labels);
            public sealed record Result<T>(int Status, T? Body, string? Error);

            public sealed class {{n}}Controller
            {
                private readonly I{{n}}Repository _repository;

                public {{n}}Controller(I{{n}}Repository repository) => _repository = repository;

                public async Task<Result<{{n}}>> Get(int id, CancellationToken ct)
                {
                    if (id <= 0) return new Result<{{n}}>(400, null, "id must be positive");
                    var entity = await _repository.LoadAsync(id, ct);
                    return entity is null ? new Result<{{n}}>(404, null, $"{{n}} {id} not found") : new Result<{{n}}>(200, entity, null);
                }

                public async Task<Result<{{n}}>> Create({{n}}Request request, CancellationToken ct)
                {
                    var errors = new List<string>();
                    if (string.IsNullOrWhiteSpace(request.Name)) errors.Add("name is required");
                    if (request.Amount < 0) errors.Add("amount must not be negative");
                    if (errors.Count > 0) return new Result<{{n}}>(422, null, string.Join("; ", errors));
                    var entity = new {{n}} { Name = request.Name, Amount = request.Amount, IsActive = true, Labels = request.Labels?.ToList() ?? new() };
                    await _repository.InsertAsync(entity, ct);
                    return new Result<{{n}}>(201, entity, null);
                }

                public async Task<Result<IReadOnlyList<{{n}}>>> List(int page = 0, int size = 20, CancellationToken ct = default)
                {
                    size = Math.Clamp(size, 1, 100);
                    var rows = await _repository.ListAsync(Math.Max(0, page), size, ct);
                    return new Result<IReadOnlyList<{{n}}>>(200, rows, null);
                }

                public async Task<Result<bool>> Delete(int id, CancellationToken ct)
                {
                    try
                    {
                        await _repository.DeleteAsync(id, ct);
                        return new Result<bool>(204, true, null);
                    }
                    catch (KeyNotFoundException ex)
                    {
                        return new Result<bool>(404, false, ex.Message);
                    }
                }
            }
        }

        """;

    private static string Mapper(string n) => Header("Contoso.Mapping." + n) + Entity(n) + $$"""

            public sealed class {{n}}Dto
            {
                public int Id { get; init; }
                public string Name { get; init; } = "";
                public string Amount { get; init; } = "";
                public string[] Labels { get; init; } = Array.Empty<string>();
                public string? Updated { get; init; }
            }

            public static class {{n}}Mapper
            {
                private static readonly JsonSerializerOptions Options = new(JsonSerializerDefaults.Web);

                public static {{n}}Dto ToDto(this {{n}} e) => new()
                {
                    Id = e.Id,
                    Name = e.Name,
                    Amount = e.Amount.ToString("0.00", System.Globalization.CultureInfo.InvariantCulture),
                    Labels = e.Labels.Where(l => l.Length > 0).Select(l => l.ToLowerInvariant()).ToArray(),
                    Updated = e.UpdatedAt?.ToString("O"),
                };

                public static {{n}} FromDto({{n}}Dto dto) => new()
                {
                    Id = dto.Id,
                    Name = dto.Name,
                    Amount = decimal.TryParse(dto.Amount, System.Globalization.NumberStyles.Number, System.Globalization.CultureInfo.InvariantCulture, out var a) ? a : 0m,
                    Labels = dto.Labels.ToList(),
                    UpdatedAt = dto.Updated is null ? null : DateTimeOffset.Parse(dto.Updated, System.Globalization.CultureInfo.InvariantCulture),
                };

                public static string ToJson(IEnumerable<{{n}}> items) => JsonSerializer.Serialize(items.Select(ToDto).ToList(), Options);

                public static IReadOnlyList<{{n}}> FromJson(string json) =>
                    (JsonSerializer.Deserialize<List<{{n}}Dto>>(json, Options) ?? new()).Select(FromDto).ToList();

                public static Dictionary<string, decimal> TotalsByLabel(IEnumerable<{{n}}> items) =>
                    items.SelectMany(i => i.Labels.Select(l => (Label: l, i.Amount)))
                         .GroupBy(x => x.Label)
                         .ToDictionary(g => g.Key, g => g.Sum(x => x.Amount));
            }
        }

        """;

    private static string Validator(string n) => Header("Contoso.Validation." + n) + Entity(n) + $$"""

            public readonly record struct ValidationError(string Field, string Message);

            public sealed class {{n}}Validator
            {
                private readonly int _maxNameLength;

                public {{n}}Validator(int maxNameLength = 120) => _maxNameLength = maxNameLength;

                public IReadOnlyList<ValidationError> Validate({{n}} e)
                {
                    var errors = new List<ValidationError>();
                    if (string.IsNullOrWhiteSpace(e.Name)) errors.Add(new(nameof(e.Name), "is required"));
                    else if (e.Name.Length > _maxNameLength) errors.Add(new(nameof(e.Name), $"must be at most {_maxNameLength} characters"));
                    if (e.Amount < 0) errors.Add(new(nameof(e.Amount), "must not be negative"));
                    if (e.UpdatedAt is { } u && u < e.CreatedAt) errors.Add(new(nameof(e.UpdatedAt), "is before creation"));
                    var duplicates = e.Labels.GroupBy(l => l, StringComparer.OrdinalIgnoreCase).Where(g => g.Count() > 1).Select(g => g.Key).ToList();
                    if (duplicates.Count > 0) errors.Add(new(nameof(e.Labels), "duplicates: " + string.Join(", ", duplicates)));
                    foreach (var (label, index) in e.Labels.Select((l, i) => (l, i)))
                    {
                        if (label.Any(char.IsWhiteSpace)) errors.Add(new($"{nameof(e.Labels)}[{index}]", "contains whitespace"));
                    }
                    return errors;
                }

                public bool IsValid({{n}} e, out string summary)
                {
                    var errors = Validate(e);
                    summary = errors.Count == 0 ? "ok" : string.Join(Environment.NewLine, errors.Select(x => $"{x.Field} {x.Message}"));
                    return errors.Count == 0;
                }
            }
        }

        """;

    /// <summary>Caching code: ten shapes in rotation, bad (every rule's target) and good.</summary>
    private static string CachingFile(int i, string n)
    {
        var body = ((i / 4) % 10) switch
        {
            0 => CacheAsideFixedTtl(n),
            1 => WriteThrough(n),
            2 => NegativeCaching(n),
            3 => LockAndRelease(n),
            4 => GoodRuntime(n),
            5 => NoExpiryAndHelper(n),
            6 => DistributedCache(n),
            7 => GoodJitteredAndInvalidate(n),
            8 => EfCoreWriteThrough(n),
            _ => CounterAndFlags(n),
        };
        return Header("Contoso.Caching." + n) + """

                using StackExchange.Redis;
                using Microsoft.Extensions.Caching.Distributed;
                using Microsoft.EntityFrameworkCore;
                using CacheGuard;

            """ + Entity(n) + body + "}\n";
    }

    private static string CacheAsideFixedTtl(string n) => $$"""

            public sealed class {{n}}Reader
            {
                private static readonly TimeSpan Ttl = TimeSpan.FromMinutes(10);
                private readonly IDatabase _db;
                private readonly I{{n}}Repository _repository;

                public {{n}}Reader(IDatabase db, I{{n}}Repository repository) { _db = db; _repository = repository; }

                public async Task<{{n}}?> GetAsync(int id)
                {
                    var raw = await _db.StringGetAsync($"{{n.ToLowerInvariant()}}:{id}");
                    if (!raw.IsNullOrEmpty)
                        return JsonSerializer.Deserialize<{{n}}>(raw.ToString());
                    var entity = await _repository.LoadAsync(id);
                    if (entity is null) return null;
                    await _db.StringSetAsync($"{{n.ToLowerInvariant()}}:{id}", JsonSerializer.Serialize(entity), Ttl);
                    return entity;
                }

                public {{n}}? Get(int id)
                {
                    var cached = _db.StringGet("{{n.ToLowerInvariant()}}:" + id);
                    if (cached.HasValue) return JsonSerializer.Deserialize<{{n}}>(cached.ToString());
                    var entity = _repository.Load(id);
                    if (entity != null) _db.StringSet("{{n.ToLowerInvariant()}}:" + id, JsonSerializer.Serialize(entity), TimeSpan.FromMinutes(5));
                    return entity;
                }
            }

        """;

    private static string WriteThrough(string n) => $$"""

            public sealed class {{n}}Editor
            {
                private readonly IDatabase _db;
                private readonly I{{n}}Repository _repository;

                public {{n}}Editor(IDatabase db, I{{n}}Repository repository) { _db = db; _repository = repository; }

                public async Task RenameAsync({{n}} entity, string name)
                {
                    entity.Name = name;
                    await _repository.UpdateAsync(entity);
                    await _db.StringSetAsync($"{{n.ToLowerInvariant()}}:{entity.Id}", JsonSerializer.Serialize(entity), TimeSpan.FromSeconds(300 + Random.Shared.Next(30)));
                }

                public async Task RewriteAsync({{n}} entity, string description)
                {
                    await _db.KeyDeleteAsync($"{{n.ToLowerInvariant()}}:{entity.Id}");
                    entity.Description = description;
                    await _repository.UpdateAsync(entity);
                }
            }

        """;

    private static string NegativeCaching(string n) => $$"""

            public sealed class {{n}}Lookup
            {
                private const string Missing = "__none__";
                private readonly IDatabase _db;
                private readonly I{{n}}Repository _repository;

                public {{n}}Lookup(IDatabase db, I{{n}}Repository repository) { _db = db; _repository = repository; }

                public async Task<{{n}}?> FindAsync(int id)
                {
                    var key = KeyFor(id);
                    var raw = await _db.StringGetAsync(key);
                    if (raw == Missing) return null;
                    if (raw.HasValue) return JsonSerializer.Deserialize<{{n}}>(raw.ToString());
                    var entity = await _repository.LoadAsync(id);
                    await _db.StringSetAsync(key, entity is null ? Missing : JsonSerializer.Serialize(entity), TimeSpan.FromHours(1));
                    return entity;
                }

                public async Task Create{{n}}Async({{n}} entity)
                {
                    await _repository.InsertAsync(entity);
                }

                private static string KeyFor(int id) => "{{n.ToLowerInvariant()}}-by-id:" + id;
            }

        """;

    private static string LockAndRelease(string n) => $$"""

            public sealed class {{n}}Rebuilder
            {
                private readonly IDatabase _db;
                private readonly I{{n}}Repository _repository;

                public {{n}}Rebuilder(IDatabase db, I{{n}}Repository repository) { _db = db; _repository = repository; }

                public async Task<bool> RebuildAsync()
                {
                    var lockKey = "lock:{{n.ToLowerInvariant()}}-rebuild";
                    if (!await _db.StringSetAsync(lockKey, Environment.MachineName, TimeSpan.FromSeconds(30), When.NotExists))
                        return false;
                    try
                    {
                        var rows = await _repository.ListAsync(0, 500);
                        var batch = _db.CreateBatch();
                        var writes = rows.Select(r => batch.StringSetAsync($"{{n.ToLowerInvariant()}}:{r.Id}", JsonSerializer.Serialize(r), TimeSpan.FromMinutes(30))).ToList();
                        batch.Execute();
                        await Task.WhenAll(writes);
                        return true;
                    }
                    finally
                    {
                        await _db.KeyDeleteAsync(lockKey);
                    }
                }
            }

        """;

    private static string GoodRuntime(string n) => $$"""

            public sealed class {{n}}CachedReader
            {
                private readonly IDatabase _db;
                private readonly I{{n}}Repository _repository;

                public {{n}}CachedReader(IDatabase db, I{{n}}Repository repository) { _db = db; _repository = repository; }

                public Task<{{n}}?> GetAsync(int id, CancellationToken ct = default) =>
                    _db.GetOrSetAsync($"{{n.ToLowerInvariant()}}:{id}", token => _repository.LoadAsync(id, token), TimeSpan.FromMinutes(5), ct);

                public async Task UpdateAsync({{n}} entity, CancellationToken ct = default)
                {
                    await _repository.UpdateAsync(entity, ct);
                    await _db.InvalidateAsync($"{{n.ToLowerInvariant()}}:{entity.Id}", ct);
                }

                public async Task<bool> RefreshLeaseAsync(int id)
                {
                    await using var lease = await _db.TryAcquireLeaseAsync($"{{n.ToLowerInvariant()}}:{id}", TimeSpan.FromSeconds(10));
                    return lease is not null;
                }
            }

        """;

    private static string NoExpiryAndHelper(string n) => $$"""

            public sealed class {{n}}Index
            {
                private readonly IDatabase _db;
                private readonly I{{n}}Repository _repository;

                public {{n}}Index(IDatabase db, I{{n}}Repository repository) { _db = db; _repository = repository; }

                public int? IdOfName(string name)
                {
                    var cached = _db.StringGet("{{n.ToLowerInvariant()}}-name:" + name);
                    if (cached.HasValue) return (int)cached;
                    var entity = _repository.Load(name.Length);
                    if (entity is null) return null;
                    _db.StringSet("{{n.ToLowerInvariant()}}-name:" + name, entity.Id);
                    return entity.Id;
                }

                public async Task<T> GetOrAddAsync<T>(string key, Func<Task<T>> factory)
                {
                    var raw = await _db.StringGetAsync(key);
                    if (raw.HasValue) return JsonSerializer.Deserialize<T>(raw.ToString())!;
                    var value = await factory();
                    await Populate(key, value);
                    return value;
                }

                private Task Populate<T>(string key, T value) => _db.StringSetAsync(key, JsonSerializer.Serialize(value), TimeSpan.FromMinutes(15));
            }

        """;

    private static string DistributedCache(string n) => $$"""

            public sealed class {{n}}DistributedReader
            {
                private readonly IDistributedCache _cache;
                private readonly I{{n}}Repository _repository;

                public {{n}}DistributedReader(IDistributedCache cache, I{{n}}Repository repository) { _cache = cache; _repository = repository; }

                public async Task<{{n}}?> GetAsync(int id, CancellationToken ct = default)
                {
                    var json = await _cache.GetStringAsync($"{{n.ToLowerInvariant()}}:{id}", ct);
                    if (!string.IsNullOrEmpty(json)) return JsonSerializer.Deserialize<{{n}}>(json);
                    var entity = await _repository.LoadAsync(id, ct);
                    if (entity is null) return null;
                    await _cache.SetStringAsync($"{{n.ToLowerInvariant()}}:{id}", JsonSerializer.Serialize(entity),
                        new DistributedCacheEntryOptions { AbsoluteExpirationRelativeToNow = TimeSpan.FromMinutes(20) }, ct);
                    return entity;
                }
            }

        """;

    private static string GoodJitteredAndInvalidate(string n) => $$"""

            public sealed class {{n}}Store
            {
                private readonly IDatabase _db;
                private readonly I{{n}}Repository _repository;
                private readonly SemaphoreSlim _gate = new(1, 1);

                public {{n}}Store(IDatabase db, I{{n}}Repository repository) { _db = db; _repository = repository; }

                public async Task<{{n}}?> GetAsync(int id)
                {
                    var key = $"{{n.ToLowerInvariant()}}:{id}";
                    var raw = await _db.StringGetAsync(key);
                    if (raw.HasValue) return JsonSerializer.Deserialize<{{n}}>(raw.ToString());
                    await _gate.WaitAsync();
                    try
                    {
                        raw = await _db.StringGetAsync(key);
                        if (raw.HasValue) return JsonSerializer.Deserialize<{{n}}>(raw.ToString());
                        var entity = await _repository.LoadAsync(id);
                        if (entity is not null)
                            await _db.StringSetAsync(key, JsonSerializer.Serialize(entity), CacheTtl.Jitter(TimeSpan.FromMinutes(5)));
                        return entity;
                    }
                    finally
                    {
                        _gate.Release();
                    }
                }

                public async Task SaveAsync({{n}} entity)
                {
                    await _repository.UpdateAsync(entity);
                    await _db.KeyDeleteAsync($"{{n.ToLowerInvariant()}}:{entity.Id}");
                }
            }

        """;

    private static string EfCoreWriteThrough(string n) => $$"""

            public sealed class {{n}}Context : DbContext
            {
                public DbSet<{{n}}> Items => Set<{{n}}>();
            }

            public sealed class {{n}}EfService
            {
                private readonly {{n}}Context _context;
                private readonly IDatabase _db;

                public {{n}}EfService({{n}}Context context, IDatabase db) { _context = context; _db = db; }

                public async Task ChangeAmountAsync(int id, decimal amount, CancellationToken ct = default)
                {
                    var entity = await _context.Items.FindAsync(id) ?? throw new KeyNotFoundException(id.ToString());
                    entity.Amount = amount;
                    await _context.SaveChangesAsync(ct);
                    await _db.StringSetAsync("{{n.ToLowerInvariant()}}:" + id, JsonSerializer.Serialize(entity), TimeSpan.FromMinutes(5));
                }

                public async Task AddAsync({{n}} entity, CancellationToken ct = default)
                {
                    _context.Items.Add(entity);
                    await _context.SaveChangesAsync(ct);
                    await _db.KeyDeleteAsync("{{n.ToLowerInvariant()}}:" + entity.Id);
                }
            }

        """;

    private static string CounterAndFlags(string n) => $$"""

            public sealed class {{n}}RateLimiter
            {
                private readonly IDatabase _db;

                public {{n}}RateLimiter(IDatabase db) => _db = db;

                public async Task<bool> AllowAsync(string client, int limit)
                {
                    var key = $"rate:{{n.ToLowerInvariant()}}:{client}:{DateTimeOffset.UtcNow.ToUnixTimeSeconds() / 60}";
                    var count = await _db.StringIncrementAsync(key);
                    if (count == 1) await _db.KeyExpireAsync(key, TimeSpan.FromMinutes(1));
                    return count <= limit;
                }

                public Task<bool> MarkSeenAsync(string client) =>
                    _db.StringSetAsync($"seen:{{n.ToLowerInvariant()}}:{client}", true, TimeSpan.FromHours(1), When.NotExists);

                public async Task<bool> LockedAsync(string resource)
                {
                    var token = Guid.NewGuid().ToString("N");
                    if (!await _db.LockTakeAsync("lock:" + resource, token, TimeSpan.FromSeconds(5))) return false;
                    try { await Task.Delay(1); return true; }
                    finally { await _db.LockReleaseAsync("lock:" + resource, token); }
                }
            }

        """;
}
