using System;
using System.Collections.Concurrent;
using System.Collections.Generic;
using System.Collections.Immutable;
using System.Threading;
using CacheGuard.Analyzers.Configuration;
using CacheGuard.Analyzers.Model;
using Microsoft.CodeAnalysis;
using Microsoft.CodeAnalysis.Diagnostics;
using Microsoft.CodeAnalysis.Operations;

namespace CacheGuard.Analyzers.Engine;

/// <summary>
/// The analysis engine of one compilation. Built once at compilation start (types resolved, or no
/// engine at all when no cache API is referenced), it starts from what is rare: a call into a cache
/// API's assembly, a call into one of the project's cache wrappers, an expiry set on a cache entry,
/// and (for CG0003) a create path. Every other invocation costs one reference comparison. A body
/// that holds one of these is claimed once; its facts are built once and every enabled rule reads them.
/// </summary>
internal sealed class CacheGuardEngine
{
    private readonly ImmutableArray<Rule> _rules;
    private readonly IAssemblySymbol[] _cacheAssemblies;
    private readonly IAssemblySymbol _sourceAssembly;
    private readonly bool _createPaths;
    private readonly ConcurrentDictionary<IOperation, byte> _marked = new();
    private readonly ConcurrentDictionary<IOperation, byte> _claimed = new();
    private readonly ConcurrentDictionary<IOperation, MethodCacheFacts> _facts = new();
    private readonly ConcurrentDictionary<SyntaxTree, TreeRules> _treeRules = new();
    private readonly ConcurrentDictionary<Location, byte> _reportedOnce = new();
    private readonly ConcurrentDictionary<Rule, object> _state = new();
    private readonly ConcurrentDictionary<IMethodSymbol, IOperation?> _bodies = new(SymbolEqualityComparer.Default);

    private CacheGuardEngine(Compilation compilation, CacheApi api, ImmutableArray<Rule> rules, AnalyzerOptions options)
    {
        Compilation = compilation;
        Api = api;
        Options = options;
        _rules = rules;
        _sourceAssembly = compilation.Assembly;
        var assemblies = new List<IAssemblySymbol>();
        foreach (var type in new ITypeSymbol?[]
        {
            api.RedisDatabaseAsync, api.RedisDatabase, api.RedisConnection, api.DistributedCache, api.DistributedCacheExtensions,
            api.DistributedCacheEntryOptions, api.MemoryCache, api.MemoryCacheExtensions, api.MemoryCacheEntry, api.MemoryCacheEntryOptions,
            api.MemoryCacheEntryExtensions, api.MemoryCacheEntryFluentExtensions, api.HybridCache, api.HybridCacheEntryOptions,
            api.BufferDistributedCache, api.RuntimeCacheTtl, api.RuntimeExtensions,
        })
        {
            if (type?.ContainingAssembly is { } assembly && !assemblies.Contains(assembly) && !SymbolEqualityComparer.Default.Equals(assembly, compilation.Assembly))
                assemblies.Add(assembly);
        }
        _cacheAssemblies = assemblies.ToArray();
        foreach (var rule in rules)
            _createPaths |= rule.NeedsCompilationEnd;
    }

    public Compilation Compilation { get; }

    public CacheApi Api { get; }

    public AnalyzerOptions Options { get; }

    public ImmutableArray<Rule> Rules => _rules;

    /// <summary>The engine for a compilation, or null when it references no cache API (nothing to do at all).</summary>
    public static CacheGuardEngine? TryCreate(Compilation compilation, ImmutableArray<Rule> rules, AnalyzerOptions options)
    {
        if (CacheApi.TryCreate(compilation) is not { } api)
            return null;
        return new CacheGuardEngine(compilation, api, rules, options);
    }

    public void Register(CompilationStartAnalysisContext start)
    {
        // The driver walks every body for the operation callbacks (and builds the IOperation nodes it
        // visits); ours only mark the rare bodies. The block callback then analyzes a marked body and
        // reports from the body's own context, so diagnostics stay local to the document (live in the
        // editor, fixable). The driver runs a declaration's operation actions before its block actions.
        start.RegisterOperationAction(OnInvocation, OperationKind.Invocation);
        if (Api.DistributedCacheEntryOptions is not null || Api.MemoryCacheEntry is not null || Api.MemoryCacheEntryOptions is not null || Api.HybridCacheEntryOptions is not null)
            start.RegisterOperationAction(OnAssignment, OperationKind.SimpleAssignment);
        start.RegisterOperationBlockAction(OnBlock);
        if (_createPaths)
        {
            start.RegisterCompilationEndAction(end =>
            {
                foreach (var rule in _rules)
                {
                    if (rule.NeedsCompilationEnd)
                        rule.CompilationEnd(end, this);
                }
            });
        }
    }

    private void OnInvocation(OperationAnalysisContext context)
    {
        var invocation = (IInvocationOperation)context.Operation;
        if (IsTrigger(invocation, context.ContainingSymbol))
            Mark(invocation);
    }

    /// <summary><c>options.AbsoluteExpirationRelativeToNow = ...</c>, <c>entry.SlidingExpiration = ...</c>: a cache entry's expiry outside any cache call.</summary>
    private void OnAssignment(OperationAnalysisContext context)
    {
        if (context.Operation is ISimpleAssignmentOperation { Target: IPropertyReferenceOperation property }
            && property.Property.ContainingAssembly is { } assembly
            && IsCacheAssembly(assembly))
        {
            Mark(context.Operation);
        }
    }

    private void Mark(IOperation operation) => _marked.TryAdd(OperationFacts.Root(operation), 0);

    private void OnBlock(OperationBlockAnalysisContext context)
    {
        if (_marked.IsEmpty)
            return;
        foreach (var block in context.OperationBlocks)
        {
            var root = OperationFacts.Root(block);
            if (_marked.ContainsKey(root) && _claimed.TryAdd(root, 0))
                Analyze(context, root, TreeRulesFor(root.Syntax.SyntaxTree));
        }
    }

    private bool IsTrigger(IInvocationOperation invocation, ISymbol owner)
    {
        var method = invocation.TargetMethod;
        if (method.ContainingAssembly is { } assembly)
        {
            if (ReferenceEquals(assembly, _sourceAssembly))
            {
                if (Api.Wrappers.Find(method) is not null)
                    return true;
            }
            else if (IsCacheAssembly(assembly))
            {
                return true;
            }
        }
        if (!_createPaths)
            return false;
        var name = method.Name;
        // CG0003: a database write in a method named like a create path, a call to a create path (its
        // caller may clear the key or be a create path itself), a clear through another API.
        TreeRules? tree = null;
        if (DatabaseWrites.LeadingVerb(name, DatabaseWrites.DefaultVerbs) is not null
            || name.StartsWith("SaveChanges", StringComparison.Ordinal) || name.StartsWith("Execute", StringComparison.Ordinal)
            || name.StartsWith("Commit", StringComparison.Ordinal) || name.StartsWith("Complete", StringComparison.Ordinal))
        {
            tree = TreeRulesFor(invocation.Syntax.SyntaxTree);
            if (owner is IMethodSymbol { MethodKind: MethodKind.Ordinary } ownerMethod && CreatePath.HasCreateVerb(ownerMethod.Name, tree.CreateVerbs))
                return true;
        }
        if (ReferenceEquals(method.ContainingAssembly, _sourceAssembly)
            && CreatePath.HasCreateVerb(name, (tree ?? TreeRulesFor(invocation.Syntax.SyntaxTree)).CreateVerbs))
        {
            return true;
        }
        return IsInvalidationLike(invocation);
    }

    private bool IsCacheAssembly(IAssemblySymbol assembly)
    {
        foreach (var cache in _cacheAssemblies)
        {
            if (ReferenceEquals(cache, assembly))
                return true;
        }
        return false;
    }

    /// <summary>
    /// Calls that clear a cache key outside the recognized APIs (another cache library, the project's
    /// own invalidator): <c>Invalidate*</c>, <c>Evict*</c>, or <c>Remove/Delete/Clear*</c> on something named like a cache.
    /// </summary>
    private static bool IsInvalidationLike(IInvocationOperation invocation)
    {
        var method = invocation.TargetMethod;
        var name = method.Name;
        if (name.Length < 5 || name[0] is not ('I' or 'E' or 'R' or 'D' or 'C'))
            return false;
        if (name.StartsWith("Invalidate", StringComparison.Ordinal) || name.StartsWith("Evict", StringComparison.Ordinal))
            return true;
        if (!(name.StartsWith("Remove", StringComparison.Ordinal) || name.StartsWith("Delete", StringComparison.Ordinal) || name.StartsWith("Clear", StringComparison.Ordinal)))
            return false;
        return name.IndexOf("Cache", StringComparison.OrdinalIgnoreCase) >= 0
            || (invocation.Instance?.Type ?? method.ContainingType)?.Name.IndexOf("Cache", StringComparison.OrdinalIgnoreCase) >= 0
            || (method.IsExtensionMethod && method.Parameters.Length > 0 && method.Parameters[0].Type.Name.IndexOf("Cache", StringComparison.OrdinalIgnoreCase) >= 0);
    }

    private void Analyze(OperationBlockAnalysisContext context, IOperation root, TreeRules tree)
    {
        var rules = tree.Rules;
        var facts = FactsFor(context.OwningSymbol, root);
        var method = new MethodContext(this, context.OwningSymbol, root, facts, context.Options, context.ReportDiagnostic, context.CancellationToken);
        foreach (var rule in rules)
        {
            context.CancellationToken.ThrowIfCancellationRequested();
            rule.Analyze(method);
        }
    }

    /// <summary>The cache operations and database writes of a body, built once and shared by every rule.</summary>
    public MethodCacheFacts FactsFor(ISymbol owner, IOperation root) =>
        _facts.GetOrAdd(root, r => MethodCacheFacts.Build(owner, ImmutableArray.Create(r), Api, TreeRulesFor(r.Syntax.SyntaxTree).WriteVerbs));

    /// <summary>
    /// The root operation of a method declared in this compilation (its body), or null when it has
    /// none (abstract, extern, metadata, partial without implementation). Bound once per method.
    /// </summary>
    public IOperation? BodyOf(IMethodSymbol method, CancellationToken cancellationToken)
    {
        method = method.OriginalDefinition;
        if (method.DeclaringSyntaxReferences.Length != 1 || method.IsAbstract || !SymbolEqualityComparer.Default.Equals(method.ContainingAssembly, _sourceAssembly))
            return null;
        return _bodies.GetOrAdd(method, m =>
        {
            var syntax = m.DeclaringSyntaxReferences[0].GetSyntax(cancellationToken);
            if (!Compilation.ContainsSyntaxTree(syntax.SyntaxTree))
                return null;
            // The driver's semantic models are cached per tree (CachingSemanticModelProvider), so this
            // shares the bound body with the driver's own analysis instead of binding it again.
#pragma warning disable RS1030 // Do not invoke Compilation.GetSemanticModel() method within a diagnostic analyzer
            var model = Compilation.GetSemanticModel(syntax.SyntaxTree);
#pragma warning restore RS1030
            var operation = model.GetOperation(syntax, cancellationToken);
            return operation is null ? null : OperationFacts.Root(operation);
        });
    }

    /// <summary>True the first time a location is reported by a rule that must report it once (a populate shared by several reads).</summary>
    public bool ReportOnce(Location location) => _reportedOnce.TryAdd(location, 0);

    /// <summary>Per-compilation state of one rule, created on first use.</summary>
    public T State<T>(Rule rule, Func<T> create) where T : class =>
        (T)_state.GetOrAdd(rule, _ => create());

    /// <summary>The rules enabled for a file (a rule whose severity is <c>none</c> there does no work), and the project-wide verbs.</summary>
    private TreeRules TreeRulesFor(SyntaxTree tree) => _treeRules.GetOrAdd(tree, BuildTreeRules);

    private TreeRules BuildTreeRules(SyntaxTree tree)
    {
        var builder = ImmutableArray.CreateBuilder<Rule>(_rules.Length);
        foreach (var rule in _rules)
        {
            if (!IsSuppressed(rule.Id, tree))
                builder.Add(rule);
        }
        var settings = CacheGuardSettings.For(Options.AnalyzerConfigOptionsProvider.GetOptions(tree), "");
        return new TreeRules(builder.ToImmutable(), settings.WriteVerbs, settings.CreateVerbs);
    }

    private bool IsSuppressed(string id, SyntaxTree tree)
    {
        var options = Compilation.Options;
        if (options.SyntaxTreeOptionsProvider is { } provider)
        {
            if (provider.TryGetDiagnosticValue(tree, id, CancellationToken.None, out var perTree))
                return perTree == ReportDiagnostic.Suppress;
            if (provider.TryGetGlobalDiagnosticValue(id, CancellationToken.None, out var global))
                return global == ReportDiagnostic.Suppress;
        }
        return options.SpecificDiagnosticOptions.TryGetValue(id, out var specific) && specific == ReportDiagnostic.Suppress;
    }

    private sealed class TreeRules
    {
        public TreeRules(ImmutableArray<Rule> rules, ImmutableArray<string> writeVerbs, ImmutableArray<string> createVerbs)
        {
            Rules = rules;
            WriteVerbs = writeVerbs;
            CreateVerbs = createVerbs;
        }

        public ImmutableArray<Rule> Rules { get; }
        public ImmutableArray<string> WriteVerbs { get; }
        public ImmutableArray<string> CreateVerbs { get; }
    }
}
