using System;
using System.Collections.Generic;
using System.Collections.Immutable;
using System.Threading;
using CacheGuard.Analyzers.Configuration;
using CacheGuard.Analyzers.Model;
using Microsoft.CodeAnalysis;
using Microsoft.CodeAnalysis.Diagnostics;

namespace CacheGuard.Analyzers.Engine;

/// <summary>
/// What a rule reads for one function body: the body, its facts (built once, shared by every rule),
/// and the patterns derived from them (also built once, on first use).
/// </summary>
internal sealed class MethodContext
{
    private List<Diagnostic>? _sink;
    private List<GetThenPopulate>? _getThenPopulates;
    private WritePathFacts? _writePath;
    private bool _writePathBuilt;
    private MethodCacheFacts? _facts;

    public MethodContext(CacheGuardEngine engine, ISymbol owner, IOperation root, MarkReasons reasons, AnalyzerOptions options, CancellationToken cancellationToken)
    {
        Engine = engine;
        OwningSymbol = owner;
        Root = root;
        OperationBlocks = ImmutableArray.Create(root);
        Reasons = reasons;
        Options = options;
        CancellationToken = cancellationToken;
    }

    public CacheGuardEngine Engine { get; }

    public CacheApi Api => Engine.Api;

    /// <summary>The member whose body this is (a lambda or local function counts with its member).</summary>
    public ISymbol OwningSymbol { get; }

    /// <summary>The root operation of the body (method body, constructor body, initializer).</summary>
    public IOperation Root { get; }

    /// <summary>The body as a one-element block list, for model code that takes operation blocks.</summary>
    public ImmutableArray<IOperation> OperationBlocks { get; }

    /// <summary>
    /// The body's facts (<see cref="CacheGuardEngine.FactsFor"/>), built on first read: a body marked only
    /// for CG0003 is kept for the end of the compilation, which reads its facts only when some body writes
    /// a negative entry.
    /// </summary>
    public MethodCacheFacts Facts => _facts ??= Engine.FactsFor(OwningSymbol, Root);

    /// <summary>Why the engine analyzes this body (<see cref="MarkReasons.EntryExpiry"/>: it sets an entry expiry somewhere).</summary>
    internal MarkReasons Reasons { get; }

    public AnalyzerOptions Options { get; }

    /// <summary>The token of the callback running the current rule (the context is shared by every analyzer's callback).</summary>
    public CancellationToken CancellationToken { get; private set; }

    public SyntaxTree Tree => Root.Syntax.SyntaxTree;

    /// <summary>The options of <paramref name="ruleId"/> for this body's file.</summary>
    public CacheGuardSettings Settings(string ruleId) => CacheGuardSettings.For(Options, Tree, ruleId);

    /// <summary>The write path (database writes and invalidations) of the body, or null when it writes no database.</summary>
    public WritePathFacts? WritePath
    {
        get
        {
            if (!_writePathBuilt)
            {
                _writePath = WritePathFacts.Build(Facts, OperationBlocks, Api);
                _writePathBuilt = true;
            }
            return _writePath;
        }
    }

    /// <summary>The body's get-then-populate patterns (CG0004, CG0008), found once.</summary>
    public IReadOnlyList<GetThenPopulate> GetThenPopulates =>
        _getThenPopulates ??= new GetThenPopulateFinder(Engine).Find(Facts, Root);

    /// <summary>Collects the diagnostics of the rule being run (<see cref="Run"/>).</summary>
    public void ReportDiagnostic(Diagnostic diagnostic) => (_sink ?? throw new InvalidOperationException("no rule is running")).Add(diagnostic);

    /// <summary>Runs one rule over this body and returns what it reported (the engine keeps it per body and rule).</summary>
    internal ImmutableArray<Diagnostic> Run(Rule rule, CancellationToken cancellationToken)
    {
        var sink = new List<Diagnostic>();
        _sink = sink;
        CancellationToken = cancellationToken;
        try
        {
            rule.Analyze(this);
        }
        finally
        {
            _sink = null;
        }
        return sink.ToImmutableArray();
    }
}
