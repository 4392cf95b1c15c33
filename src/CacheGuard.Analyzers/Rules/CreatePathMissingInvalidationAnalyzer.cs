using System;
using System.Collections.Concurrent;
using System.Collections.Generic;
using System.Collections.Immutable;
using System.Linq;
using CacheGuard.Analyzers.Configuration;
using CacheGuard.Analyzers.Model;
using Microsoft.CodeAnalysis;
using CacheGuard.Analyzers.Engine;
using Microsoft.CodeAnalysis.Diagnostics;
using Microsoft.CodeAnalysis.Operations;

namespace CacheGuard.Analyzers.Rules;

/// <summary>
/// CG0003: somewhere a lookup caches "not found" for a key, and a method that creates that
/// entity does not delete or invalidate a key of the same shape, so the new entity stays
/// invisible until the negative entry expires. Facts are collected per method and correlated
/// across the compilation at its end.
/// </summary>
[DiagnosticAnalyzer(LanguageNames.CSharp)]
public sealed class CreatePathMissingInvalidationAnalyzer : RuleAnalyzer
{
    /// <summary>Diagnostic property: the keys to invalidate, rebuilt from the created entity, one per line.</summary>
    public const string KeysProperty = "Keys";

    /// <summary>Diagnostic property: the expression that reaches the <c>IDatabase</c> (<c>_cache</c>).</summary>
    public const string DatabaseProperty = "Database";

    /// <summary>Diagnostic property: "true" when the method is async (the fix awaits <c>InvalidateAsync</c>).</summary>
    public const string AsyncProperty = "Async";

    /// <summary>
    /// Diagnostic property: the family of the negative entries when they are not in Redis — "Distributed",
    /// "Memory" or "Hybrid" (absent = StackExchange.Redis). <see cref="DatabaseProperty"/> then names the
    /// create path's cache of that family and the fix writes its <c>Remove(Async)</c>.
    /// </summary>
    public const string FamilyProperty = "Family";

    public CreatePathMissingInvalidationAnalyzer()
        : base(CreatePathMissingInvalidationRule.Instance)
    {
    }
}

/// <summary>CG0003: each body contributes a record (negatives, cleared keys, calls, create path); the end of the compilation correlates them.</summary>
internal sealed class CreatePathMissingInvalidationRule : Rule
{
    public static readonly CreatePathMissingInvalidationRule Instance = new();

    // Key parts too common to tie a create path to a negative entry by name alone.
    private static readonly ImmutableHashSet<string> GenericNames =
        ImmutableHashSet.Create(StringComparer.OrdinalIgnoreCase, "id", "key", "name", "value", "type", "kind", "code", "text", "item", "entity", "model", "request", "input", "dto", "command");

    private CreatePathMissingInvalidationRule()
        : base(Descriptors.CG0003_CreatePathMissingInvalidation)
    {
    }

    public override bool NeedsCompilationEnd => true;

    public override void Analyze(MethodContext context)
    {
        if (!context.Api.HasRedis)
            return;
        context.Engine.State(this, () => new CompilationState(context.Engine)).Collect(context);
    }

    public override void CompilationEnd(CompilationAnalysisContext context, CacheGuardEngine engine)
    {
        if (engine.Api.HasRedis)
            engine.State(this, () => new CompilationState(engine)).Report(context);
    }

    /// <summary>What one method contributes: negative writes, cleared keys, calls, and its create path.</summary>
    private sealed class MethodRecord
    {
        public MethodRecord(IMethodSymbol method) => Method = method;

        public IMethodSymbol Method { get; }
        public List<NegativeCacheWrite> Negatives { get; } = new();

        /// <summary>Keys the method deletes, invalidates or overwrites; null for a key of unknown shape.</summary>
        public List<KeyShape?> Clears { get; } = new();

        public List<IMethodSymbol> Calls { get; } = new();
        public bool Publishes { get; set; }
        public CreatePath? CreatePath { get; set; }
        public Location? NameLocation { get; set; }
        public bool Excluded { get; set; }
    }

    private sealed class CompilationState
    {
        private readonly CacheGuardEngine _engine;
        private readonly CacheApi _api;
        // The bodies seen, in the order analyzed; their records are built at the end of the compilation and
        // only when some body writes a negative entry (otherwise nothing can be reported: RULES.md, CG0003).
        private readonly ConcurrentBag<Pending> _pending = new();
        private readonly ConcurrentDictionary<IMethodSymbol, MethodRecord?> _callees = new(SymbolEqualityComparer.Default);

        public CompilationState(CacheGuardEngine engine)
        {
            _engine = engine;
            _api = engine.Api;
        }

        /// <summary>A body to build a record of at the end, if any body writes a negative entry.</summary>
        private sealed class Pending
        {
            public Pending(IMethodSymbol method, MethodContext context)
            {
                Method = method;
                Context = context;
            }

            public IMethodSymbol Method { get; }
            public MethodContext Context { get; }
        }

        public void Collect(MethodContext context)
        {
            if (context.OwningSymbol is not IMethodSymbol method)
                return;
            _pending.Add(new Pending(method, context));
        }

        /// <summary>
        /// The records of the bodies seen, or none when no body writes a negative entry (a record's negatives
        /// are what <see cref="Report"/> correlates first: without one it reports nothing).
        /// </summary>
        private MethodRecord[] Records()
        {
            var pending = _pending.ToArray();
            var anyNegative = false;
            foreach (var body in pending)
            {
                // A negative entry is written by a cache call (or the runtime's GetOrSet), which marks its body
                // Cache: a body kept for its create path alone needs no facts unless some body writes one.
                if ((body.Context.Reasons & MarkReasons.Cache) == 0 && _engine.RecognizedCallsMarkCache)
                    continue;
                if (HasNegative(body.Method, body.Context.Facts))
                {
                    anyNegative = true;
                    break;
                }
            }
            if (!anyNegative)
                return Array.Empty<MethodRecord>();
            // The bodies whose only part was this rule's (a create path, a clear, a call to a create path),
            // judged in full now that a negative entry exists; the others were collected when analyzed.
            var all = new List<Pending>(pending);
            foreach (var (body, reasons) in _engine.JudgeDeferred())
            {
                if (body.Reasons == MarkReasons.None && reasons != MarkReasons.None)
                    all.Add(new Pending(body.Owner, new MethodContext(_engine, body.Owner, body.Root, reasons, _engine.Options, default)));
            }
            var records = new List<MethodRecord>(all.Count);
            foreach (var body in all)
            {
                if (Build(body.Method, body.Context.Root, body.Context.Facts, body.Context.Settings(RuleIds.CreatePathMissingInvalidation), withCreatePath: true) is { } record)
                    records.Add(record);
            }
            return records.ToArray();
        }

        /// <summary>Does the body write a negative entry <see cref="Build"/> would record (a key of known shape)?</summary>
        private bool HasNegative(IMethodSymbol method, MethodCacheFacts facts)
        {
            foreach (var operation in facts.CacheOperations)
            {
                if (operation.Kind == CacheOperationKind.Write && NegativeCacheWrites.Recognize(operation, method, _api) is { Key: not null })
                    return true;
            }
            foreach (var invocation in facts.Invocations)
            {
                if (NegativeCacheWrites.RecognizeRuntime(invocation, _api) is { Key: not null })
                    return true;
            }
            return false;
        }

        /// <summary>
        /// The record of a method no cache call claimed (a helper between a create path and the delete):
        /// built from its body on first use, once per method.
        /// </summary>
        private MethodRecord? CalleeRecord(IMethodSymbol method) =>
            _callees.GetOrAdd(method, m =>
            {
                if (m.MethodKind != MethodKind.Ordinary || _engine.BodyOf(m, default) is not { } root)
                    return null;
                var settings = CacheGuardSettings.For(_engine.Options, root.Syntax.SyntaxTree, RuleIds.CreatePathMissingInvalidation);
                return Build(m, root, _engine.FactsFor(m, root), settings, withCreatePath: false);
            });

        private MethodRecord? Build(IMethodSymbol method, IOperation root, MethodCacheFacts facts, CacheGuardSettings settings, bool withCreatePath)
        {
            var blocks = ImmutableArray.Create(root);
            var record = new MethodRecord(method.OriginalDefinition) { Excluded = settings.IsExcluded(method) };

            var reads = new List<KeyShape?>();
            var overwrites = new List<KeyShape?>();
            foreach (var operation in facts.CacheOperations)
            {
                switch (operation.Kind)
                {
                    case CacheOperationKind.Write:
                        if (NegativeCacheWrites.Recognize(operation, method, _api) is { } negative)
                        {
                            if (negative.Key is not null)
                                record.Negatives.Add(negative);
                        }
                        else
                        {
                            overwrites.Add(KeyShape.Of(operation.Key));
                        }
                        break;
                    case CacheOperationKind.Read:
                    case CacheOperationKind.Exists:
                        reads.Add(KeyShape.Of(operation.Key));
                        break;
                    case CacheOperationKind.Delete:
                        record.Clears.Add(KeyShape.Of(operation.Key));
                        break;
                }
            }

            // An overwrite clears the negative entry too, unless it is the populate of a read-through
            // (it only runs on a miss, and the negative entry is a hit).
            foreach (var overwrite in overwrites)
            {
                if (!reads.Any(r => r is null || overwrite is null || r.Matches(overwrite)))
                    record.Clears.Add(overwrite);
            }

            // The body's invocations in walk order (the facts walked it once; the root is no invocation).
            foreach (var invocation in facts.Invocations)
            {
                var target = invocation.TargetMethod;
                if (NegativeCacheWrites.RecognizeRuntime(invocation, _api) is { Key: not null } runtimeNegative)
                    record.Negatives.Add(runtimeNegative);
                else if (IsOtherInvalidation(invocation, out var key))
                    record.Clears.Add(key);
                else if (IsPublish(invocation))
                    record.Publishes = true;
                if (target.DeclaringSyntaxReferences.Length > 0 && target.MethodKind is MethodKind.Ordinary)
                    record.Calls.Add(target.OriginalDefinition);
            }

            if (!record.Excluded && withCreatePath)
            {
                record.CreatePath = CreatePath.TryCreate(method, blocks, facts, _api, settings.CreateVerbs);
                if (record.CreatePath is not null && method.Locations.Length > 0 && method.Locations[0].IsInSource)
                    record.NameLocation = method.Locations[0];
            }

            return record.Negatives.Count > 0 || record.Clears.Count > 0 || record.Calls.Count > 0 || record.Publishes || record.CreatePath is not null
                ? record
                : null;
        }

        /// <summary>
        /// The runtime's <c>Invalidate(Async)</c>, and removals through other caches and the
        /// project's own cache wrappers (<c>_cache.RemoveAsync(key)</c>): each clears a key.
        /// </summary>
        private bool IsOtherInvalidation(IInvocationOperation invocation, out KeyShape? key)
        {
            key = null;
            var method = invocation.TargetMethod;
            var name = method.Name;
            var clearing = name.StartsWith("Invalidate", StringComparison.Ordinal)
                || name.StartsWith("Evict", StringComparison.Ordinal)
                || ((name.StartsWith("Remove", StringComparison.Ordinal) || name.StartsWith("Delete", StringComparison.Ordinal) || name.StartsWith("Clear", StringComparison.Ordinal))
                    && (name.IndexOf("Cache", StringComparison.OrdinalIgnoreCase) >= 0
                        || (invocation.Instance?.Type ?? method.ContainingType)?.Name.IndexOf("Cache", StringComparison.OrdinalIgnoreCase) >= 0
                        || (method.IsExtensionMethod && method.Parameters.Length > 0 && method.Parameters[0].Type.Name.IndexOf("Cache", StringComparison.OrdinalIgnoreCase) >= 0)));
            // A recognized cache call is no "other" invalidation (checked after the name: most calls clear nothing).
            if (!clearing || CacheOperations.Recognize(invocation, _api) is not null)
                return false;
            foreach (var argument in invocation.Arguments)
            {
                var type = argument.Parameter?.Type;
                if (type is null)
                    continue;
                if (type.SpecialType == SpecialType.System_String || SymbolEqualityComparer.Default.Equals(type, _api.RedisKey))
                {
                    key = KeyShape.Of(OperationFacts.Unwrap(argument.Value));
                    return true;
                }
            }
            return true;
        }

        private static bool IsPublish(IInvocationOperation invocation)
        {
            var name = invocation.TargetMethod.Name;
            if (name.StartsWith("Publish", StringComparison.Ordinal) || name.StartsWith("Raise", StringComparison.Ordinal) || name.StartsWith("Dispatch", StringComparison.Ordinal))
                return true;
            var receiver = invocation.Instance?.Type?.Name ?? "";
            return name.StartsWith("Send", StringComparison.Ordinal)
                && (receiver.IndexOf("Mediator", StringComparison.Ordinal) >= 0 || receiver.IndexOf("Bus", StringComparison.Ordinal) >= 0 || receiver.IndexOf("Sender", StringComparison.Ordinal) >= 0);
        }

        public void Report(CompilationAnalysisContext context)
        {
            // No body writes a negative entry in most compilations: return before the correlation below, whose
            // code (sorting value tuples, the call graph) the JIT would otherwise compile whole for every compilation.
            var records = Records();
            if (records.Length != 0)
                Correlate(context, records);
        }

        private void Correlate(CompilationAnalysisContext context, MethodRecord[] records)
        {
            var negatives = new List<(NegativeCacheWrite Write, IMethodSymbol Owner)>();
            // In source order, so messages and fixes don't depend on the order methods were analyzed in.
            var allNegatives = records
                .SelectMany(r => r.Negatives.Select(n => (Write: n, Owner: r.Method)))
                .OrderBy(n => n.Write.Syntax.SyntaxTree.FilePath, StringComparer.Ordinal)
                .ThenBy(n => n.Write.Syntax.SpanStart);
            foreach (var (negative, owner) in allNegatives)
            {
                {
                    if (!negatives.Any(n => n.Write.Key!.Matches(negative.Key!) && SameType(n.Write.EntityType, negative.EntityType)))
                        negatives.Add((negative, owner));
                }
            }
            if (negatives.Count == 0)
                return;

            // Who calls whom: a call to an interface or base method reaches its implementations.
            var byMethod = new Dictionary<IMethodSymbol, List<MethodRecord>>(SymbolEqualityComparer.Default);
            foreach (var record in records)
            {
                foreach (var alias in Aliases(record.Method))
                {
                    if (!byMethod.TryGetValue(alias, out var list))
                        byMethod[alias] = list = new List<MethodRecord>();
                    list.Add(record);
                }
            }
            var callers = new Dictionary<MethodRecord, List<MethodRecord>>();
            foreach (var record in records)
            {
                foreach (var call in record.Calls)
                {
                    if (!byMethod.TryGetValue(call, out var callees))
                        continue;
                    foreach (var callee in callees)
                    {
                        if (callee == record)
                            continue;
                        if (!callers.TryGetValue(callee, out var list))
                            callers[callee] = list = new List<MethodRecord>();
                        list.Add(record);
                    }
                }
            }
            // Callers no cache call marked: the engine recorded their calls to create-named methods;
            // their records are built now, only for the create paths that have callers.
            var recordOf = new Dictionary<IMethodSymbol, MethodRecord>(SymbolEqualityComparer.Default);
            foreach (var record in records)
                recordOf[record.Method] = record;
            foreach (var (caller, target) in _engine.CreatePathCalls)
            {
                if (!byMethod.TryGetValue(target, out var callees))
                    continue;
                if (!recordOf.TryGetValue(caller, out var callerRecord))
                {
                    if (CalleeRecord(caller) is not { } built)
                        continue;
                    recordOf[caller] = callerRecord = built;
                }
                foreach (var callee in callees)
                {
                    if (callee == callerRecord || callee.CreatePath is null)
                        continue;
                    if (!callers.TryGetValue(callee, out var list))
                        callers[callee] = list = new List<MethodRecord>();
                    if (!list.Contains(callerRecord))
                        list.Add(callerRecord);
                }
            }

            foreach (var record in records)
            {
                if (record.CreatePath is not { } create || record.NameLocation is null)
                    continue;
                context.CancellationToken.ThrowIfCancellationRequested();

                var uncleared = new List<NegativeCacheWrite>();
                foreach (var (negative, owner) in negatives)
                {
                    if (SymbolEqualityComparer.Default.Equals(owner, record.Method) || !IsRelevant(create, negative))
                        continue;
                    var shape = negative.Key!;
                    if (Clears(record, shape, byMethod, 0, new HashSet<MethodRecord>()))
                        continue;
                    // An event whose handler invalidates the key elsewhere.
                    if (record.Publishes && records.Any(r => r != record && r.Clears.Any(c => c is not null && c.Matches(shape))))
                        continue;
                    // The caller is responsible: it clears the key or is itself a create path (reported there).
                    if (callers.TryGetValue(record, out var callerList)
                        && callerList.Any(c => c.CreatePath is not null || Clears(c, shape, byMethod, 0, new HashSet<MethodRecord>())))
                    {
                        continue;
                    }
                    if (!uncleared.Any(u => u.Key!.Matches(shape)))
                        uncleared.Add(negative);
                }
                if (uncleared.Count == 0)
                    continue;

                var first = uncleared[0];
                var entity = first.EntityType is { } type ? $"'{type.Name}'" : "the value its key is built from";
                var properties = FixProperties(create, uncleared, _api, out var insertAfter);
                var additional = insertAfter is null ? ImmutableArray<Location>.Empty : ImmutableArray.Create(insertAfter);
                context.ReportDiagnostic(Diagnostic.Create(
                    Descriptors.CG0003_CreatePathMissingInvalidation, record.NameLocation, additional, properties,
                    record.Method.Name, entity, first.Key!.Text));
            }
        }

        /// <summary>The create path writes the negative lookup's entity type, or the value its key is built from.</summary>
        private static bool IsRelevant(CreatePath create, NegativeCacheWrite negative)
        {
            if (negative.EntityType is { } type)
                return create.Entities.Any(e => SameType(e.Type, type));

            foreach (var hole in negative.Key!.Holes)
            {
                if (GenericNames.Contains(hole.Name))
                    continue;
                if (create.WrittenNames.Contains(hole.Name))
                    return true;
                if (create.Entities.Any(e => CreatePath.MemberFor(e.Type, hole.Name) is not null))
                    return true;
            }
            return false;
        }

        /// <summary>The method (or a method it calls, three levels deep) deletes, invalidates or overwrites a key of this shape, or a key of unknown shape.</summary>
        private bool Clears(MethodRecord record, KeyShape shape, Dictionary<IMethodSymbol, List<MethodRecord>> byMethod, int depth, HashSet<MethodRecord> seen)
        {
            if (!seen.Add(record))
                return false;
            if (record.Clears.Any(c => c is null || c.Matches(shape)))
                return true;
            if (depth >= 3)
                return false;
            foreach (var call in record.Calls)
            {
                if (!byMethod.TryGetValue(call, out var callees))
                {
                    // A helper no cache call claimed: its record is built from its body now.
                    if (CalleeRecord(call) is { } lazy && Clears(lazy, shape, byMethod, depth + 1, seen))
                        return true;
                    continue;
                }
                foreach (var callee in callees)
                {
                    if (Clears(callee, shape, byMethod, depth + 1, seen))
                        return true;
                }
            }
            return false;
        }

        /// <summary>The keys rebuilt from the created entity, where to put the invalidation, and through what.</summary>
        private static ImmutableDictionary<string, string?> FixProperties(CreatePath create, List<NegativeCacheWrite> uncleared, CacheApi api, out Location? insertAfter)
        {
            insertAfter = null;
            var properties = ImmutableDictionary<string, string?>.Empty;
            // A Task-returning method that isn't async can't await the invalidation.
            if (create.LastWriteStatement is null || (!create.Method.IsAsync && IsTaskLike(create.Method.ReturnType)))
                return properties;
            // The negatives' family (all the same, or no fix): Redis through the IDatabase, the others
            // through the create path's own cache of that family.
            var families = uncleared.Select(n => n.Write?.Family ?? CacheFamily.Redis).Distinct().ToList();
            if (families.Count != 1)
                return properties;
            var (database, family) = families[0] switch
            {
                CacheFamily.Redis => (create.Database, (string?)null),
                CacheFamily.DistributedCache => (create.CacheOf(CacheFamily.DistributedCache, api), "Distributed"),
                CacheFamily.MemoryCache => (create.CacheOf(CacheFamily.MemoryCache, api), "Memory"),
                CacheFamily.HybridCache => (create.CacheOf(CacheFamily.HybridCache, api), "Hybrid"),
                _ => (null, null),
            };
            if (database is null)
                return properties;

            var keys = new List<string>();
            foreach (var negative in uncleared)
            {
                var rebuilt = negative.Key!.Rebuild(hole => ValueFor(create, negative, hole));
                if (rebuilt is null)
                    return properties;
                keys.Add(rebuilt);
            }
            insertAfter = create.LastWriteStatement;
            properties = properties
                .Add(CreatePathMissingInvalidationAnalyzer.KeysProperty, string.Join("\n", keys))
                .Add(CreatePathMissingInvalidationAnalyzer.DatabaseProperty, database)
                .Add(CreatePathMissingInvalidationAnalyzer.AsyncProperty, create.Method.IsAsync ? "true" : "false");
            return family is null ? properties : properties.Add(CreatePathMissingInvalidationAnalyzer.FamilyProperty, family);
        }

        /// <summary>What fills a key part in the create path: the created entity's member, or a parameter of the same name.</summary>
        private static string? ValueFor(CreatePath create, NegativeCacheWrite negative, KeyHole hole)
        {
            foreach (var entity in create.Entities.OrderBy(e => negative.EntityType is { } t && SameType(e.Type, t) ? 0 : 1))
            {
                if (negative.EntityType is { } type && !SameType(entity.Type, type))
                    continue;
                if (CreatePath.MemberFor(entity.Type, hole.Name) is { } member)
                    return entity.Name + "." + member;
            }
            foreach (var parameter in create.Method.Parameters)
            {
                if (string.Equals(parameter.Name, hole.Name, StringComparison.OrdinalIgnoreCase))
                    return parameter.Name;
            }
            return null;
        }

        private static bool IsTaskLike(ITypeSymbol type) =>
            type.Name is "Task" or "ValueTask" && type.ContainingNamespace?.ToDisplayString() == "System.Threading.Tasks";

        private static IEnumerable<IMethodSymbol> Aliases(IMethodSymbol method)
        {
            yield return method;
            for (var overridden = method.OverriddenMethod; overridden is not null; overridden = overridden.OverriddenMethod)
                yield return overridden.OriginalDefinition;
            if (method.ContainingType is { } type)
            {
                foreach (var @interface in type.AllInterfaces)
                {
                    foreach (var member in @interface.GetMembers(method.Name))
                    {
                        if (member is IMethodSymbol candidate
                            && SymbolEqualityComparer.Default.Equals(type.FindImplementationForInterfaceMember(candidate)?.OriginalDefinition, method))
                        {
                            yield return candidate.OriginalDefinition;
                        }
                    }
                }
            }
        }

        private static bool SameType(ITypeSymbol? a, ITypeSymbol? b) =>
            (a is null && b is null) || (a is not null && b is not null && SymbolEqualityComparer.Default.Equals(a.OriginalDefinition, b.OriginalDefinition));
    }
}
