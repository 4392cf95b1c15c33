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
[Flags]
internal enum MarkReasons
{
    None = 0,
    /// <summary>A call into a cache API's assembly or one of the project's cache wrappers.</summary>
    Cache = 1,
    /// <summary>An expiry set on an entry or options object (<c>AbsoluteExpirationRelativeToNow = ...</c>, <c>SetSlidingExpiration</c>).</summary>
    EntryExpiry = 2,
    /// <summary>CG0003 only: a database write in a create-named method, a clear through another API.</summary>
    CreatePath = 4,
}

internal sealed class CacheGuardEngine
{
    private readonly ImmutableArray<Rule> _rules;
    private readonly IAssemblySymbol[] _cacheAssemblies;
    private readonly IAssemblySymbol _sourceAssembly;
    private readonly bool _createPaths;
    private readonly ConcurrentDictionary<IOperation, MarkReasons> _marked = new();
    private readonly ConcurrentBag<(IMethodSymbol, IMethodSymbol)> _createPathCalls = new();
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
        if (IsTestProject(compilation) && !AnalyzesTests(compilation, options))
            return null;
        return new CacheGuardEngine(compilation, api, rules, options);
    }

    /// <summary>A test project: it references xunit, NUnit or MSTest (RULES.md: not analyzed unless <c>cacheguard.analyze_tests = true</c>).</summary>
    private static bool IsTestProject(Compilation compilation)
    {
        foreach (var name in compilation.ReferencedAssemblyNames)
        {
            switch (name.Name)
            {
                case "xunit.core":
                case "xunit.v3.core":
                case "xunit.assert":
                case "nunit.framework":
                case "Microsoft.VisualStudio.TestPlatform.TestFramework":
                case "MSTest.TestFramework":
                    return true;
            }
        }
        return false;
    }

    /// <summary><c>cacheguard.analyze_tests = true</c> in the global options or the options of the project's files.</summary>
    private static bool AnalyzesTests(Compilation compilation, AnalyzerOptions options)
    {
        if (IsTrue(options.AnalyzerConfigOptionsProvider.GlobalOptions))
            return true;
        foreach (var tree in compilation.SyntaxTrees)
        {
            if (IsTrue(options.AnalyzerConfigOptionsProvider.GetOptions(tree)))
                return true;
        }
        return false;

        static bool IsTrue(AnalyzerConfigOptions config) =>
            config.TryGetValue("cacheguard." + CacheGuardSettings.AnalyzeTestsKey, out var value)
            && string.Equals(value.Trim(), "true", StringComparison.OrdinalIgnoreCase);
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
        var reasons = Reasons(invocation, context.ContainingSymbol);
        if (reasons != MarkReasons.None)
            Mark(invocation, reasons);
    }

    /// <summary><c>options.AbsoluteExpirationRelativeToNow = ...</c>, <c>entry.SlidingExpiration = ...</c>: a cache entry's expiry outside any cache call.</summary>
    private void OnAssignment(OperationAnalysisContext context)
    {
        if (context.Operation is ISimpleAssignmentOperation { Target: IPropertyReferenceOperation property }
            && property.Property.ContainingAssembly is { } assembly
            && IsCacheAssembly(assembly))
        {
            Mark(context.Operation, MarkReasons.Cache | MarkReasons.EntryExpiry);
        }
    }

    private volatile bool _anyMarked;

    private void Mark(IOperation operation, MarkReasons reasons)
    {
        _marked.AddOrUpdate(OperationFacts.Root(operation), reasons, (_, existing) => existing | reasons);
        _anyMarked = true;
    }

    private void OnBlock(OperationBlockAnalysisContext context)
    {
        if (!_anyMarked)
            return;
        foreach (var block in context.OperationBlocks)
        {
            var root = OperationFacts.Root(block);
            if (_marked.TryGetValue(root, out var reasons) && _claimed.TryAdd(root, 0))
                Analyze(context, root, reasons, TreeRulesFor(root.Syntax.SyntaxTree));
        }
    }

    /// <summary>Why a call makes its body worth analyzing: one reference comparison for most calls.</summary>
    private MarkReasons Reasons(IInvocationOperation invocation, ISymbol owner)
    {
        var method = invocation.TargetMethod;
        var assembly = method.ContainingAssembly;
        var inSource = ReferenceEquals(assembly, _sourceAssembly);
        if (inSource)
        {
            if (Api.Wrappers.Find(method) is not null)
                return MarkReasons.Cache;
        }
        else if (assembly is not null && IsCacheAssembly(assembly))
        {
            var type = method.ContainingType?.OriginalDefinition;
            return SymbolEqualityComparer.Default.Equals(type, Api.DistributedCacheEntryExtensions)
                   || SymbolEqualityComparer.Default.Equals(type, Api.MemoryCacheEntryExtensions)
                   || SymbolEqualityComparer.Default.Equals(type, Api.MemoryCacheEntryFluentExtensions)
                ? MarkReasons.Cache | MarkReasons.EntryExpiry
                : MarkReasons.Cache;
        }
        if (!_createPaths)
            return MarkReasons.None;

        // CG0003 only: a database write in a method named like a create path, a clear through another
        // API; a call to a create path is recorded (its caller may clear the key), not analyzed now.
        var name = method.Name;
        if (inSource && owner is IMethodSymbol caller && CreatePath.HasCreateVerb(name, TreeRulesFor(invocation.Syntax.SyntaxTree).CreateVerbs))
            _createPathCalls.Add((caller.OriginalDefinition, method.OriginalDefinition));
        if (IsDatabaseWriteLike(method, name)
            && owner is IMethodSymbol { MethodKind: MethodKind.Ordinary } ownerMethod
            && CreatePath.HasCreateVerb(ownerMethod.Name, TreeRulesFor(invocation.Syntax.SyntaxTree).CreateVerbs))
        {
            return MarkReasons.CreatePath;
        }
        return IsInvalidationLike(invocation) ? MarkReasons.CreatePath : MarkReasons.None;
    }

    /// <summary>By name and assembly only (the model decides): EF, Dapper, ADO.NET, a unit of work, or a write verb on a non-framework type.</summary>
    private static bool IsDatabaseWriteLike(IMethodSymbol method, string name)
    {
        if (name.StartsWith("SaveChanges", StringComparison.Ordinal) || name.StartsWith("Execute", StringComparison.Ordinal)
            || name.StartsWith("Commit", StringComparison.Ordinal) || name.StartsWith("Complete", StringComparison.Ordinal))
        {
            return true;
        }
        if (DatabaseWrites.LeadingVerb(name, DatabaseWrites.DefaultVerbs) is null)
            return false;
        var assemblyName = method.ContainingAssembly?.Name ?? "";
        return !(assemblyName.StartsWith("System", StringComparison.Ordinal) || assemblyName.StartsWith("Microsoft", StringComparison.Ordinal)
                 || assemblyName is "netstandard" or "mscorlib");
    }

    /// <summary>(caller, callee) for every call to a source method named like a create path (CG0003's callers).</summary>
    public IEnumerable<(IMethodSymbol Caller, IMethodSymbol Callee)> CreatePathCalls => _createPathCalls;

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

    private void Analyze(OperationBlockAnalysisContext context, IOperation root, MarkReasons reasons, TreeRules tree)
    {
        MethodContext? method = null;
        foreach (var rule in tree.Rules)
        {
            // A body marked only for CG0003 (a create path, an invalidation elsewhere) holds nothing the other rules read.
            if ((reasons & MarkReasons.Cache) == 0 && !rule.NeedsCompilationEnd)
                continue;
            context.CancellationToken.ThrowIfCancellationRequested();
            method ??= new MethodContext(this, context.OwningSymbol, root, FactsFor(context.OwningSymbol, root), reasons, context.Options, context.ReportDiagnostic, context.CancellationToken);
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
