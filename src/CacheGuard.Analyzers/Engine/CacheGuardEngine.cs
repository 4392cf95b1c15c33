using System;
using System.Collections.Concurrent;
using System.Collections.Generic;
using System.Collections.Immutable;
using System.Runtime.CompilerServices;
using System.Threading;
using CacheGuard.Analyzers.Configuration;
using CacheGuard.Analyzers.Model;
using Microsoft.CodeAnalysis;
using Microsoft.CodeAnalysis.CSharp;
using Microsoft.CodeAnalysis.CSharp.Syntax;
using Microsoft.CodeAnalysis.Diagnostics;
using Microsoft.CodeAnalysis.Operations;
using Microsoft.CodeAnalysis.Text;

namespace CacheGuard.Analyzers.Engine;

/// <summary>
/// The analysis engine of one compilation, shared by every CacheGuard analyzer running on it. Built
/// once (types resolved, or no engine at all when no cache API is referenced or the project is a test
/// project), it starts from what is rare: a body that names a cache API member, one of the project's
/// cache wrappers, an entry expiry, or (for CG0003) a create path. Any other body costs one scan of
/// its identifier tokens. A body that holds one of these is walked once; its facts are built once and
/// every enabled rule reads them.
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
    // One engine per compilation, shared by every CacheGuard analyzer of the compilation: each rule's
    // analyzer reads the same bodies, facts and results (the first to reach a body does the work).
    private static readonly ConditionalWeakTable<Compilation, Holder> PerCompilation = new();

    private sealed class Holder
    {
        public Holder(CacheGuardEngine? engine) => Engine = engine;

        public CacheGuardEngine? Engine { get; }
    }

    private readonly object _registerLock = new();
    private ImmutableArray<Rule> _rules = ImmutableArray<Rule>.Empty;
    private readonly IAssemblySymbol[] _cacheAssemblies;
    private readonly IAssemblySymbol _sourceAssembly;
    // A list under a lock: a ConcurrentBag's per-thread queues (a ThreadLocal read per Add) cost more than the few adds.
    private readonly List<(IMethodSymbol, IMethodSymbol)> _createPathCalls = new();
    // Keyed by the body's syntax (one root operation per declaration): every analyzer asks for each body, and
    // a ConditionalWeakTable entry (a dependent handle per body) cost more than the rest of judging most bodies.
    private readonly ConcurrentDictionary<SyntaxNode, BodyState> _bodyStates = new();
    private readonly ConcurrentDictionary<IOperation, MethodCacheFacts> _facts = new();
    private readonly ConcurrentDictionary<SyntaxTree, TreeRules> _treeRules = new();
    private readonly ConcurrentDictionary<Location, byte> _reportedOnce = new();
    private readonly ConcurrentDictionary<Rule, object> _state = new();
    private readonly ConcurrentDictionary<IMethodSymbol, IOperation?> _bodies = new(SymbolEqualityComparer.Default);
    private readonly Lazy<CandidateNames> _names;

    private CacheGuardEngine(Compilation compilation, CacheApi api, AnalyzerOptions options)
    {
        Compilation = compilation;
        Api = api;
        Options = options;
        _sourceAssembly = compilation.Assembly;
        _touchesOnlyMemory = TouchesOnlyMemory;
        var assemblies = new List<IAssemblySymbol>();
        var apiInSource = compilation.AssemblyName == "CacheGuard.Runtime";
        foreach (var type in ApiTypes(api))
        {
            if (type?.ContainingAssembly is not { } assembly)
                continue;
            if (SymbolEqualityComparer.Default.Equals(assembly, compilation.Assembly))
                apiInSource = true;
            else if (!assemblies.Contains(assembly))
                assemblies.Add(assembly);
        }
        _cacheAssemblies = assemblies.ToArray();
        RecognizedCallsMarkCache = !apiInSource;
        _names = new Lazy<CandidateNames>(() => CandidateNames.Build(this));
    }

    private static ITypeSymbol?[] ApiTypes(CacheApi api) => new ITypeSymbol?[]
    {
        api.RedisDatabaseAsync, api.RedisDatabase, api.RedisConnection, api.DistributedCache, api.DistributedCacheExtensions,
        api.DistributedCacheEntryOptions, api.DistributedCacheEntryExtensions, api.MemoryCache, api.MemoryCacheExtensions, api.MemoryCacheEntry,
        api.MemoryCacheEntryOptions, api.MemoryCacheEntryExtensions, api.MemoryCacheEntryFluentExtensions, api.HybridCache, api.HybridCacheEntryOptions,
        api.BufferDistributedCache, api.RuntimeCacheTtl, api.RuntimeExtensions,
    };

    public Compilation Compilation { get; }

    public CacheApi Api { get; }

    public AnalyzerOptions Options { get; }

    /// <summary>
    /// Every call the recognizers classify (a cache API's, CacheGuard.Runtime's, a catalog wrapper's) marks its
    /// body <see cref="MarkReasons.Cache"/>: true unless the compilation declares a cache API or is the runtime
    /// itself (their calls are then source calls, which mark nothing). A body not marked Cache then has no cache
    /// operation and no runtime call.
    /// </summary>
    public bool RecognizedCallsMarkCache { get; }

    /// <summary>The rules of the analyzers running on this compilation (each registers at compilation start, before any body is analyzed).</summary>
    public ImmutableArray<Rule> Rules => _rules;

    /// <summary>
    /// CG0003 marks more than cache calls (database writes in create paths, clears elsewhere): only when
    /// its analyzer runs and it is not turned off for the whole compilation. Decided with the candidate
    /// names, when the first body is judged (every analyzer has registered by then).
    /// </summary>
    private bool CreatePaths => _names.Value.CreatePaths;

    /// <summary>
    /// The engine of <paramref name="compilation"/>, shared by every CacheGuard analyzer running on it;
    /// null when it references no cache API or is a test project (nothing to do at all).
    /// </summary>
    public static CacheGuardEngine? For(Compilation compilation, AnalyzerOptions options) =>
        PerCompilation.GetValue(compilation, c => new Holder(TryCreate(c, options))).Engine;

    private static CacheGuardEngine? TryCreate(Compilation compilation, AnalyzerOptions options)
    {
        // The cheap check first (referenced assembly names), then the cache types.
        if (IsTestProject(compilation) && !AnalyzesTests(compilation, options))
            return null;
        if (CacheApi.TryCreate(compilation) is not { } api)
            return null;
        return new CacheGuardEngine(compilation, api, options);
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

    /// <summary>
    /// Registers what <paramref name="rules"/> (one analyzer's rules) need: one operation-block callback for
    /// the members of each type that may hold a marked body (<see cref="MayHoldMarkedBody"/>), and a
    /// compilation-end callback for a rule that correlates across bodies. Nothing runs per
    /// invocation: a body is judged once, first by a scan of its identifier tokens for the names of
    /// cache API members, the project's cache wrappers (and, for CG0003, create paths and clears), and
    /// only then by a walk of its operations. Marked bodies are analyzed once for every rule; each
    /// analyzer reports its own rule's results from its own block context, so diagnostics stay local to
    /// the document (live in the editor, fixable), and asking again (the editor does) reports the same.
    /// </summary>
    public void Register(CompilationStartAnalysisContext start, ImmutableArray<Rule> rules)
    {
        lock (_registerLock)
        {
            var all = _rules.ToBuilder();
            foreach (var rule in rules)
            {
                if (!all.Contains(rule))
                    all.Add(rule);
            }
            _rules = all.ToImmutable();
        }
        // Per type first: a type whose declarations hold no candidate word and no create-named member holds no
        // body worth analyzing, so its bodies get no callback at all (nine analyzers times every body otherwise).
        // The driver hands a symbol-start's block actions the bodies of that type's own members (a nested type's
        // come through its own start), the same blocks as a compilation-wide registration.
        start.RegisterSymbolStartAction(
            symbolStart =>
            {
                if (MayHoldMarkedBody((INamedTypeSymbol)symbolStart.Symbol))
                    symbolStart.RegisterOperationBlockAction(context => OnBlock(context, rules));
            },
            SymbolKind.NamedType);
        foreach (var rule in rules)
        {
            if (rule.NeedsCompilationEnd)
                start.RegisterCompilationEndAction(end => rule.CompilationEnd(end, this));
        }
    }

    /// <summary>What was judged last and its answer, replaced as one reference (threads that race read one pair or the other).</summary>
    private sealed class Judged<TSubject, TAnswer>
        where TSubject : class
    {
        public Judged(TSubject subject, TAnswer answer)
        {
            Subject = subject;
            Answer = answer;
        }

        public TSubject Subject { get; }
        public TAnswer Answer { get; }
    }

    // The type judged last: the driver starts a type for every analyzer before the next type.
    private Judged<INamedTypeSymbol, bool>? _lastType;

    /// <summary>
    /// Can a body owned by a member of <paramref name="type"/> be marked (<see cref="ComputeStateOf"/>)? Only if a
    /// declaration of the type holds a candidate word: every such body lies inside one (its full span, primary
    /// constructors and top-level statements included), and a create-path owner, walked whatever its body's words,
    /// is declared there under its own name, which is a candidate when CG0003 runs (<see cref="CandidateNames"/>
    /// adds every create-named method declaration's name). True when the type has no declaration.
    /// </summary>
    private bool MayHoldMarkedBody(INamedTypeSymbol type)
    {
        if (Volatile.Read(ref _lastType) is { } last && ReferenceEquals(last.Subject, type))
            return last.Answer;
        var mayHold = ComputeMayHoldMarkedBody(type);
        Volatile.Write(ref _lastType, new Judged<INamedTypeSymbol, bool>(type, mayHold));
        return mayHold;
    }

    private bool ComputeMayHoldMarkedBody(INamedTypeSymbol type)
    {
        var references = type.DeclaringSyntaxReferences;
        if (references.IsEmpty)
            return true;
        foreach (var reference in references)
        {
            // The driver hands these analyzers no body of generated code (GeneratedCodeAnalysisFlags.None), so a
            // declaration there (an EF Core migration's .Designer.cs half) holds no body to judge: its text is not scanned.
            if (TreeRulesFor(reference.SyntaxTree).IsGeneratedCode)
                continue;
            if (HoldsCandidateWord(reference.SyntaxTree, reference.GetSyntax().FullSpan))
                return true;
        }
        return false;
    }

    /// <summary>Does <paramref name="span"/> of the tree hold a recorded candidate word (<see cref="CandidateWords"/>)?</summary>
    private bool HoldsCandidateWord(SyntaxTree syntaxTree, TextSpan span) =>
        WordsOf(syntaxTree, TreeRulesFor(syntaxTree)).AnyIn(span);

    /// <summary>What the engine knows about one body: why it is analyzed, its context, each rule's diagnostics.</summary>
    private sealed class BodyState
    {
        public static readonly BodyState Unmarked = new(MarkReasons.None);

        public BodyState(MarkReasons reasons) => Reasons = reasons;

        public MarkReasons Reasons { get; }

        public MethodContext? Context { get; set; }

        public Dictionary<Rule, ImmutableArray<Diagnostic>>? Results { get; set; }
    }

    private void OnBlock(OperationBlockAnalysisContext context, ImmutableArray<Rule> rules)
    {
        var blocks = context.OperationBlocks;
        for (var i = 0; i < blocks.Length; i++)
        {
            var root = OperationFacts.Root(blocks[i]);
            var seen = false;
            for (var j = 0; j < i && !seen; j++)
                seen = ReferenceEquals(OperationFacts.Root(blocks[j]), root);
            if (seen)
                continue;
            var state = StateOf(root, context.OwningSymbol);
            if (state.Reasons == MarkReasons.None)
                continue;
            var tree = TreeRulesFor(root.Syntax.SyntaxTree);
            foreach (var rule in rules)
            {
                // A body marked only for CG0003 (a create path, an invalidation elsewhere) holds nothing the other rules read.
                if ((state.Reasons & MarkReasons.Cache) == 0 && !rule.NeedsCompilationEnd)
                    continue;
                if (!tree.Rules.Contains(rule))
                    continue;
                context.CancellationToken.ThrowIfCancellationRequested();
                foreach (var diagnostic in ResultsOf(state, rule, context, root))
                    context.ReportDiagnostic(diagnostic);
            }
        }
    }

    // The bodies judged lately, by their syntax's identity: each of the nine analyzers is handed every body of a type
    // that passes the gate, and the driver may run one analyzer over several of the type's bodies before the next, so
    // one remembered body (the last) missed for most of them (Kavita: 13,651 judgements of 2,076 bodies). A slot is
    // replaced as one reference (threads that race read one pair or the other); a body whose slot was taken by
    // another is judged again, to the same answer.
    private const int RecentBodies = 256;
    private readonly Judged<SyntaxNode, BodyState>?[] _recentlyJudged = new Judged<SyntaxNode, BodyState>?[RecentBodies];

    /// <summary>The body's state, computed once (the tree's candidate words, then only the tokens at them).</summary>
    private BodyState StateOf(IOperation root, ISymbol owner)
    {
        var syntax = root.Syntax;
        var slot = RuntimeHelpers.GetHashCode(syntax) & (RecentBodies - 1);
        if (Volatile.Read(ref _recentlyJudged[slot]) is { } recent && ReferenceEquals(recent.Subject, syntax))
            return recent.Answer;
        var state = ComputeStateOf(root, owner);
        Volatile.Write(ref _recentlyJudged[slot], new Judged<SyntaxNode, BodyState>(syntax, state));
        return state;
    }

    private BodyState ComputeStateOf(IOperation root, ISymbol owner)
    {
        // Most bodies hold no candidate word at all: the tree's words, scanned once, say so without a
        // walk of the body or an entry in the table (asked again by each analyzer, as cheaply).
        var syntax = root.Syntax;
        var tree = TreeRulesFor(syntax.SyntaxTree);
        var createPath = IsCreatePathOwner(owner, tree);
        var words = WordsOf(syntax.SyntaxTree, tree);
        var holdsWords = words.AnyIn(syntax.FullSpan);
        if (!createPath && !holdsWords)
            return BodyState.Unmarked;
        if (_bodyStates.TryGetValue(syntax, out var known))
            return known;
        var names = _names.Value;
        // CG0003's part (create paths, clears, calls to create paths) waits for the compilation's end, which
        // judges it only if some body writes a negative entry (JudgeDeferred): now, the cache calls alone.
        var deferred = names.DefersCreatePaths && owner is IMethodSymbol && HoldsCompilationEndRule(tree);
        MarkReasons reasons;
        if (deferred)
            reasons = holdsWords ? JudgedHits(root, owner, words, names.CacheOnly) : MarkReasons.None;
        else
            reasons = FullReasons(root, owner, createPath, words, names);
        var state = reasons == MarkReasons.None ? BodyState.Unmarked : new BodyState(reasons);
        if (!_bodyStates.TryAdd(syntax, state))
            return _bodyStates[syntax];
        if (deferred)
        {
            lock (_deferred)
                _deferred.Add(new DeferredBody(root, (IMethodSymbol)owner, createPath, reasons));
        }
        return state;
    }

    /// <summary>
    /// A body's reasons, judged in full: a create path is walked whole (its database writes are found by any
    /// call's name); any other body is judged by the calls and assignments its candidate tokens name.
    /// </summary>
    private MarkReasons FullReasons(IOperation root, ISymbol owner, bool createPath, CandidateWords words, CandidateNames names) =>
        createPath ? ReasonsOf(root, owner, names) : JudgedHits(root, owner, words, names);

#if VERIFY_MARKS
    private MarkReasons JudgedHits(IOperation root, ISymbol owner, CandidateWords words, CandidateNames names) => VerifiedHitReasons(root, owner, words, names);
#else
    private MarkReasons JudgedHits(IOperation root, ISymbol owner, CandidateWords words, CandidateNames names) => HitReasons(root, owner, words, names);
#endif

    /// <summary>Does a rule that correlates at the compilation's end (CG0003) run on the tree?</summary>
    private static bool HoldsCompilationEndRule(TreeRules tree)
    {
        foreach (var rule in tree.Rules)
        {
            if (rule.NeedsCompilationEnd)
                return true;
        }
        return false;
    }

    /// <summary>A body whose CG0003 part waits for the compilation's end, with the reasons its cache calls gave it.</summary>
    internal sealed class DeferredBody
    {
        public DeferredBody(IOperation root, IMethodSymbol owner, bool createPath, MarkReasons reasons)
        {
            Root = root;
            Owner = owner;
            CreatePath = createPath;
            Reasons = reasons;
        }

        public IOperation Root { get; }
        public IMethodSymbol Owner { get; }

        /// <summary>The owner is named like a create path (<see cref="IsCreatePathOwner"/>): its body is walked whole.</summary>
        public bool CreatePath { get; }

        public MarkReasons Reasons { get; }
    }

    private readonly List<DeferredBody> _deferred = new();

    /// <summary>
    /// CG0003, at the compilation's end and only when some body writes a negative entry: each deferred body
    /// judged in full now (its create path walked, its clears and calls to create paths recorded), with the
    /// reasons that judgment gives, as the body would have been judged when the driver handed it over. The
    /// bodies whose cache calls marked them then were analyzed then.
    /// </summary>
    internal IReadOnlyList<(DeferredBody Body, MarkReasons Reasons)> JudgeDeferred()
    {
        DeferredBody[] bodies;
        lock (_deferred)
            bodies = _deferred.ToArray();
        var names = _names.Value;
        var judged = new List<(DeferredBody, MarkReasons)>(bodies.Length);
        foreach (var body in bodies)
        {
            var tree = body.Root.Syntax.SyntaxTree;
            judged.Add((body, FullReasons(body.Root, body.Owner, body.CreatePath, WordsOf(tree, TreeRulesFor(tree)), names)));
        }
        return judged;
    }

    /// <summary>CG0003: a create path (a method named with a create verb) is walked for its database writes.</summary>
    private bool IsCreatePathOwner(ISymbol owner, TreeRules tree) =>
        owner is IMethodSymbol { MethodKind: MethodKind.Ordinary } method && CreatePaths
        && CreatePath.HasCreateVerb(method.Name, tree.CreateVerbs);

    /// <summary>The candidate words of a tree's text (<see cref="CandidateWords"/>), scanned once per tree.</summary>
    private CandidateWords WordsOf(SyntaxTree syntaxTree, TreeRules tree) =>
        tree.Words ??= CandidateWords.Scan(syntaxTree.GetText(), _names.Value);

    /// <summary>One rule's diagnostics for a body, computed once (the body's facts are shared by every rule).</summary>
    private ImmutableArray<Diagnostic> ResultsOf(BodyState state, Rule rule, OperationBlockAnalysisContext context, IOperation root)
    {
        lock (state)
        {
            state.Results ??= new Dictionary<Rule, ImmutableArray<Diagnostic>>();
            if (state.Results.TryGetValue(rule, out var known))
                return known;
            state.Context ??= new MethodContext(this, context.OwningSymbol, root, state.Reasons, context.Options, context.CancellationToken);
            var found = state.Context.Run(rule, context.CancellationToken);
            state.Results[rule] = found;
            return found;
        }
    }

    /// <summary>
    /// Why a body that is not a create path is worth analyzing, from its candidate tokens alone: each
    /// recorded word of the body's span is the token there (<see cref="CandidateWords"/>: every identifier
    /// token whose value is a candidate is one of them); an identifier that names a candidate is followed
    /// to the call it names (<c>x.Get(...)</c>, <c>x?.Get(...)</c>, <c>Get&lt;T&gt;(...)</c>) or the property an
    /// assignment or object initializer sets, whose operation (of the body's own operation tree) is judged
    /// as <see cref="ReasonsOf"/> judges it. Calls no name token names (a collection
    /// initializer's <c>Add</c>, <c>foreach</c>, <c>using</c>, <c>await</c>, a constructor initializer, a delegate
    /// invoked through a variable) and calls of names that are no candidate (<c>ToString</c>, <c>Dispose</c>,
    /// members of other types of a cache assembly) do not mark a body: no rule reads a fact from them
    /// (docs: /work/notes/issue-14-s5-mark.md has the argument; the real-code corpus gives the same marks).
    /// </summary>
    private MarkReasons HitReasons(IOperation root, ISymbol owner, CandidateWords words, CandidateNames names)
    {
        var body = root.Syntax;
        var span = body.FullSpan;
        if (span.IsEmpty)
            return MarkReasons.None;
        // A primary constructor's body is its type declaration, top-level statements' their compilation
        // unit: their spans hold other bodies' tokens too, so they keep the walk of their own operations.
        if (root.SemanticModel is not { } model || body is TypeDeclarationSyntax or CompilationUnitSyntax)
            return MayMarkByWalk(body, names) ? ReasonsOf(root, owner, names) : MarkReasons.None;
        var reasons = MarkReasons.None;
        var starts = words.Starts;
        var judgedEnd = -1;
        for (var k = words.FirstAtOrAfter(span.Start); k < starts.Length && starts[k] < span.End; k++)
        {
            // Words of a comment or string lie in one token (FindToken returns the token whose full span,
            // trivia included, holds the position): it is judged once, and judging it again changes nothing.
            if (starts[k] < judgedEnd)
                continue;
            var token = body.FindToken(starts[k]);
            judgedEnd = token.FullSpan.End;
            reasons |= TokenReasons(token, model, owner, reasons, names);
        }
        foreach (var (start, end) in words.Wide)
        {
            if (start >= span.End || end <= span.Start)
                continue;
            // A word checked token by token: every token that starts inside it.
            var stop = Math.Min(end, span.End);
            for (var token = body.FindToken(Math.Max(start, span.Start)); token.RawKind != 0 && token.SpanStart < stop; token = token.GetNextToken(includeZeroWidth: true))
                reasons |= TokenReasons(token, model, owner, reasons, names);
        }
        return reasons;
    }

    /// <summary>
    /// What the call or assignment a candidate identifier token names makes of its body (<see cref="HitReasons"/>),
    /// beyond the <paramref name="known"/> reasons of the body's earlier tokens: a call whose name can add
    /// none of the missing reasons and records no create-path call is not bound at all.
    /// </summary>
    private MarkReasons TokenReasons(SyntaxToken token, SemanticModel model, ISymbol owner, MarkReasons known, CandidateNames names)
    {
        if (!token.IsKind(SyntaxKind.IdentifierToken) || token.Parent is not SimpleNameSyntax name)
            return MarkReasons.None;
        var text = token.ValueText;
        if (!names.IsCandidate(text))
            return MarkReasons.None;
        ExpressionSyntax named = name;
        switch (name.Parent)
        {
            case MemberAccessExpressionSyntax access when access.Name == name:
                named = access;
                break;
            case MemberBindingExpressionSyntax binding:
                named = binding;
                break;
        }
        var outer = named;
        while (outer.Parent is ParenthesizedExpressionSyntax parenthesized)
            outer = parenthesized;
        switch (outer.Parent)
        {
            case InvocationExpressionSyntax invocation when invocation.Expression == outer:
            {
                if ((known & MarkReasons.Cache) != 0 && !MayAddToCacheCall(text, known, token.SyntaxTree!, names))
                    return MarkReasons.None;
                // The invocation operation of the body's own tree, judged as the operation walk judges it: the
                // driver's GetOperation of the body mapped each of its nodes to its operation, so this is one
                // lookup (binding the call's symbol again, GetSymbolInfo, costs several times more).
                return model.GetOperation(invocation) is IInvocationOperation operation ? Reasons(operation, owner, names) : MarkReasons.None;
            }
            case AssignmentExpressionSyntax assignment when assignment.IsKind(SyntaxKind.SimpleAssignmentExpression) && assignment.Left == outer:
                // An assignment adds Cache | EntryExpiry or nothing.
                if ((known & (MarkReasons.Cache | MarkReasons.EntryExpiry)) == (MarkReasons.Cache | MarkReasons.EntryExpiry))
                    return MarkReasons.None;
                return model.GetOperation(assignment) is ISimpleAssignmentOperation { Target: IPropertyReferenceOperation property }
                       && IsCacheAssembly(property.Property.ContainingAssembly)
                    ? MarkReasons.Cache | MarkReasons.EntryExpiry
                    : MarkReasons.None;
            default:
                return MarkReasons.None;
        }
    }

    /// <summary>
    /// In a body already marked <see cref="MarkReasons.Cache"/>, can a call of a method named
    /// <paramref name="name"/> add anything (<see cref="CallReasons"/>)? EntryExpiry only through a method
    /// of the entry extension types, CreatePath only through a clearing verb (the database-write case needs
    /// a create-path owner, which is walked, not judged by its tokens), and a create-path call is recorded
    /// only for a create-named method.
    /// </summary>
    private bool MayAddToCacheCall(string name, MarkReasons known, SyntaxTree tree, CandidateNames names)
    {
        if ((known & MarkReasons.EntryExpiry) == 0 && names.IsEntryExtensionName(name))
            return true;
        if (!names.CreatePaths)
            return false;
        if ((known & MarkReasons.CreatePath) == 0 && InvalidationPrefixAt(name, 0, name.Length) is not null)
            return true;
        return CreatePath.HasCreateVerb(name, TreeRulesFor(tree).CreateVerbs);
    }

    /// <summary>Does the body name anything that could make it worth analyzing? One pass over its identifier tokens.</summary>
    private static bool MayMarkByWalk(SyntaxNode body, CandidateNames names)
    {
        // Every identifier token of the body, by an explicit walk (DescendantTokens' iterator layers cost
        // more than the check itself; the order does not matter, any hit decides).
        var pending = new Stack<SyntaxNode>();
        pending.Push(body);
        while (pending.Count > 0)
        {
            foreach (var child in pending.Pop().ChildNodesAndTokens())
            {
                if (child.IsNode)
                    pending.Push(child.AsNode()!);
                else if (child.IsKind(SyntaxKind.IdentifierToken) && names.IsCandidate(child.AsToken().ValueText))
                    return true;
            }
        }
        return false;
    }

#if VERIFY_MARKS
    /// <summary>
    /// Verification build only (-p:DefineConstants=VERIFY_MARKS): the marks and recorded create-path calls
    /// from the candidate tokens are those of the token walk + operation walk; an exception (AD0001) if not.
    /// </summary>
    private MarkReasons VerifiedHitReasons(IOperation root, ISymbol owner, CandidateWords words, CandidateNames names)
    {
        var byHits = new List<(IMethodSymbol, IMethodSymbol)>();
        var byWalk = new List<(IMethodSymbol, IMethodSymbol)>();
        MarkReasons reasons, old;
        bool mayMark;
        try
        {
            t_capture = byHits;
            reasons = HitReasons(root, owner, words, names);
            t_capture = byWalk;
            mayMark = MayMarkByWalk(root.Syntax, names);
            old = mayMark ? ReasonsOf(root, owner, names) : MarkReasons.None;
        }
        finally
        {
            t_capture = null;
        }
        foreach (var (caller, callee) in byHits)
            AddCreatePathCall(caller, callee);
        var where = root.Syntax.GetLocation().GetLineSpan();
        if (old != reasons)
            throw new InvalidOperationException($"VERIFY_MARKS reasons {where} {owner}: walk {old} (token walk {mayMark}), hits {reasons}");
        foreach (var (caller, callee) in byWalk)
        {
            if (!byHits.Exists(c => SymbolEqualityComparer.Default.Equals(c.Item1, caller) && SymbolEqualityComparer.Default.Equals(c.Item2, callee)))
                throw new InvalidOperationException($"VERIFY_MARKS call {where} {owner}: walk records {caller} -> {callee}, hits do not");
        }
        foreach (var (caller, callee) in byHits)
        {
            if (!byWalk.Exists(c => SymbolEqualityComparer.Default.Equals(c.Item1, caller) && SymbolEqualityComparer.Default.Equals(c.Item2, callee)))
                throw new InvalidOperationException($"VERIFY_MARKS call {where} {owner}: hits record {caller} -> {callee}, the walk does not");
        }
        return reasons;
    }
#endif

    /// <summary>Why the body is worth analyzing: every call and entry-expiry assignment in it, lambdas and local functions included.</summary>
    private MarkReasons ReasonsOf(IOperation root, ISymbol owner, CandidateNames names)
    {
        var reasons = MarkReasons.None;
        foreach (var operation in root.DescendantsAndSelf())
        {
            switch (operation)
            {
                case IInvocationOperation invocation:
                    reasons |= Reasons(invocation, owner, names);
                    break;
                // options.AbsoluteExpirationRelativeToNow = ..., entry.SlidingExpiration = ...: a cache entry's expiry outside any cache call.
                case ISimpleAssignmentOperation { Target: IPropertyReferenceOperation property }
                    when property.Property.ContainingAssembly is { } assembly && IsCacheAssembly(assembly):
                    reasons |= MarkReasons.Cache | MarkReasons.EntryExpiry;
                    break;
            }
        }
        return reasons;
    }

    /// <summary>
    /// The identifier names that can make a body worth analyzing: the members of the cache API types
    /// (methods, and the expiry properties an assignment sets), the project's cache wrapper methods
    /// and, for CG0003, the project's create-named methods and clearing verbs. Built once per compilation.
    /// </summary>
    private sealed class CandidateNames
    {
        private readonly HashSet<string> _names;
        // The first characters (ASCII) any candidate can start with: most identifiers of a body (locals,
        // parameters, fields) are rejected by one array read instead of hashing the name.
        private readonly bool[] _firstChars = new bool[128];

        // The hashes (WordHash) of the names, for the text scan: a word whose hash is not here is no candidate.
        private readonly HashSet<int> _hashes = new();

        // The methods of the entry extension types (SetAbsoluteExpiration, ...): the calls that mark EntryExpiry.
        private readonly HashSet<string> _entryExtensionNames;

        private CandidateNames(HashSet<string> names, HashSet<string> entryExtensionNames, bool createPaths, CandidateNames? cacheOnly, bool defersCreatePaths)
        {
            _names = names;
            _entryExtensionNames = entryExtensionNames;
            CreatePaths = createPaths;
            CacheOnly = cacheOnly ?? this;
            DefersCreatePaths = defersCreatePaths;
            foreach (var name in names)
            {
                if (name.Length > 0 && name[0] < 128)
                    _firstChars[name[0]] = true;
                _hashes.Add(WordHash(name, 0, name.Length));
            }
            if (createPaths)
            {
                foreach (var first in "IERDC")
                    _firstChars[first] = true;
            }
        }

        public bool CreatePaths { get; }

        /// <summary>The names without CG0003's (create-named methods, clearing verbs): what a cache call is named; this when there are none.</summary>
        public CandidateNames CacheOnly { get; }

        /// <summary>
        /// CG0003's part of a method's body is judged at the compilation's end (<see cref="JudgeDeferred"/>): true
        /// when there are create paths and every call into a cache API marks its body (so every negative entry
        /// lies in a body the cache names find); otherwise it is judged when the body is.
        /// </summary>
        public bool DefersCreatePaths { get; }

        public bool IsEntryExtensionName(string name) => _entryExtensionNames.Contains(name);

        public bool IsCandidate(string name)
        {
            if (name.Length == 0 || (name[0] < 128 && !_firstChars[name[0]]))
                return false;
            if (_names.Contains(name))
                return true;
            if (!CreatePaths || name.Length < 5)
                return false;
            // InvalidationLikeByName: Invalidate*, Evict*, and Remove/Delete/Clear* (the receiver decides).
            return InvalidationPrefixAt(name, 0, name.Length) is not null;
        }

        /// <summary>
        /// Could the word <c>word[start..start+length)</c> (ASCII letters, digits, underscores) be a name
        /// <see cref="IsCandidate"/> accepts? True for every such name (and a few others: hashes collide).
        /// </summary>
        public bool MayBeCandidate(string word, int start, int length)
        {
            var first = word[start];
            if (!_firstChars[first])
                return false;
            if (CreatePaths && length >= 5 && first is 'I' or 'E' or 'R' or 'D' or 'C'
                && InvalidationPrefixAt(word, start, length) is not null)
            {
                return true;
            }
            return _hashes.Contains(WordHash(word, start, length));
        }

        private static int WordHash(string word, int start, int length)
        {
            var hash = -2128831035;
            for (var i = start; i < start + length; i++)
                hash = (hash ^ word[i]) * 16777619;
            return hash;
        }

        public static CandidateNames Build(CacheGuardEngine engine)
        {
            var names = new HashSet<string>(StringComparer.Ordinal);
            var types = new List<ITypeSymbol>();
            foreach (var type in ApiTypes(engine.Api))
            {
                if (type is null || !engine.IsCacheAssembly(type.ContainingAssembly))
                    continue;
                types.Add(type);
                foreach (var inherited in type.AllInterfaces)
                {
                    if (engine.IsCacheAssembly(inherited.ContainingAssembly))
                        types.Add(inherited);
                }
                for (var baseType = type.BaseType; baseType is not null && engine.IsCacheAssembly(baseType.ContainingAssembly); baseType = baseType.BaseType)
                    types.Add(baseType);
            }
            // CacheGuard.Runtime: every type of it (GetOrSet, Invalidate, the family helpers, CacheTtl).
            if (engine.Api.RuntimeExtensions?.ContainingNamespace is { } runtimeNamespace && engine.IsCacheAssembly(engine.Api.RuntimeExtensions.ContainingAssembly))
                AddTypes(runtimeNamespace, engine.Api.RuntimeExtensions.ContainingAssembly, types);
            foreach (var type in types)
            {
                foreach (var member in type.GetMembers())
                {
                    switch (member)
                    {
                        // The name first: overloads and inherited members repeat names, and MethodKind is computed per method.
                        case IMethodSymbol method when !names.Contains(method.Name) && !IsCommonName(method.Name)
                                                       && method.MethodKind is MethodKind.Ordinary or MethodKind.ReducedExtension:
                            names.Add(method.Name);
                            break;
                        case IPropertySymbol property when property.Name.IndexOf("Expiration", StringComparison.Ordinal) >= 0:
                            names.Add(property.Name);
                            break;
                    }
                }
            }
            var entryExtensionNames = new HashSet<string>(StringComparer.Ordinal);
            foreach (var type in new[] { engine.Api.DistributedCacheEntryExtensions, engine.Api.MemoryCacheEntryExtensions, engine.Api.MemoryCacheEntryFluentExtensions })
            {
                if (type is null)
                    continue;
                foreach (var member in type.GetMembers())
                {
                    if (member is IMethodSymbol)
                        entryExtensionNames.Add(member.Name);
                }
            }
            foreach (var name in engine.Api.Wrappers.MethodNames)
                names.Add(name);
            var createPaths = false;
            foreach (var rule in engine.Rules)
                createPaths |= rule.NeedsCompilationEnd && !engine.IsSuppressedEverywhere(rule.Id);
            if (!createPaths)
                return new CandidateNames(names, entryExtensionNames, createPaths: false, cacheOnly: null, defersCreatePaths: false);
            var cacheOnly = new CandidateNames(new HashSet<string>(names, StringComparer.Ordinal), entryExtensionNames, createPaths: false, cacheOnly: null, defersCreatePaths: false);
            foreach (var name in CreatePathNames(engine))
                names.Add(name);
            return new CandidateNames(names, entryExtensionNames, createPaths: true, cacheOnly, defersCreatePaths: engine.RecognizedCallsMarkCache);

            static void AddTypes(INamespaceSymbol ns, IAssemblySymbol assembly, List<ITypeSymbol> types)
            {
                foreach (var type in ns.GetTypeMembers())
                {
                    if (SymbolEqualityComparer.Default.Equals(type.ContainingAssembly, assembly) && type.DeclaredAccessibility == Accessibility.Public)
                        types.Add(type);
                }
                foreach (var inner in ns.GetNamespaceMembers())
                    AddTypes(inner, assembly, types);
            }
        }

        /// <summary>
        /// Names every body uses that no rule reads a fact from (<c>object</c>'s members, disposal,
        /// <c>IRedis.Wait</c>): a body whose only cache call is one of them holds no cache operation.
        /// </summary>
        private static bool IsCommonName(string name) => name switch
        {
            "ToString" or "Equals" or "GetHashCode" or "GetType" or "Dispose" or "DisposeAsync" or "Wait" or "WaitAll" or "TryWait" => true,
            _ => false,
        };

        /// <summary>
        /// The names of the project's methods named like a create path (CG0003 records calls to them): from the
        /// method declarations the wrapper catalog's walk of declarations lists, each with its tree's verbs.
        /// </summary>
        private static IEnumerable<string> CreatePathNames(CacheGuardEngine engine)
        {
            var found = new HashSet<string>(StringComparer.Ordinal);
            SyntaxTree? tree = null;
            var verbs = ImmutableArray<string>.Empty;
            foreach (var (declaredIn, name) in engine.Api.Wrappers.MethodDeclarations)
            {
                if (!ReferenceEquals(declaredIn, tree))
                {
                    tree = declaredIn;
                    verbs = engine.TreeRulesFor(declaredIn).CreateVerbs;
                }
                if (CreatePath.HasCreateVerb(name, verbs))
                    found.Add(name);
            }
            return found;
        }
    }

    /// <summary>Why a call makes its body worth analyzing: one reference comparison for most calls.</summary>
    private MarkReasons Reasons(IInvocationOperation invocation, ISymbol owner, CandidateNames names)
    {
        var method = invocation.TargetMethod;
        var reasons = CallReasons(method, owner, invocation.Syntax.SyntaxTree, names, out var askReceiver);
        if (askReceiver && IsCacheNamed(invocation.Instance?.Type ?? method.ContainingType))
            reasons |= MarkReasons.CreatePath;
        return reasons;
    }

    /// <summary>
    /// <see cref="Reasons(IInvocationOperation, ISymbol, CandidateNames)"/> for a call of <paramref name="method"/> (the
    /// invocation's target method) except what its receiver's type decides: <paramref name="askReceiver"/>
    /// is true when the call is a clear through another API if its receiver's type is named like a cache.
    /// </summary>
    private MarkReasons CallReasons(IMethodSymbol method, ISymbol owner, SyntaxTree tree, CandidateNames names, out bool askReceiver)
    {
        askReceiver = false;
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
        if (!names.CreatePaths)
            return MarkReasons.None;

        // CG0003 only: a database write in a method named like a create path, a clear through another
        // API; a call to a create path is recorded (its caller may clear the key), not analyzed now.
        var name = method.Name;
        if (inSource && owner is IMethodSymbol caller && CreatePath.HasCreateVerb(name, TreeRulesFor(tree).CreateVerbs))
            RecordCreatePathCall(caller.OriginalDefinition, method.OriginalDefinition);
        if (IsDatabaseWriteLike(method, name)
            && owner is IMethodSymbol { MethodKind: MethodKind.Ordinary } ownerMethod
            && CreatePath.HasCreateVerb(ownerMethod.Name, TreeRulesFor(tree).CreateVerbs))
        {
            return MarkReasons.CreatePath;
        }
        switch (InvalidationLikeByName(method))
        {
            case true:
                return MarkReasons.CreatePath;
            case null:
                askReceiver = true;
                return MarkReasons.None;
            default:
                return MarkReasons.None;
        }
    }

    private void RecordCreatePathCall(IMethodSymbol caller, IMethodSymbol callee)
    {
#if VERIFY_MARKS
        if (t_capture is { } capture)
        {
            capture.Add((caller, callee));
            return;
        }
#endif
        AddCreatePathCall(caller, callee);
    }

    private void AddCreatePathCall(IMethodSymbol caller, IMethodSymbol callee)
    {
        lock (_createPathCalls)
            _createPathCalls.Add((caller, callee));
    }

#if VERIFY_MARKS
    [ThreadStatic]
    private static List<(IMethodSymbol, IMethodSymbol)>? t_capture;
#endif

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
    public IEnumerable<(IMethodSymbol Caller, IMethodSymbol Callee)> CreatePathCalls
    {
        get
        {
            lock (_createPathCalls)
                return _createPathCalls.ToArray();
        }
    }

    private bool IsCacheAssembly(IAssemblySymbol? assembly)
    {
        if (assembly is null)
            return false;
        foreach (var cache in _cacheAssemblies)
        {
            if (ReferenceEquals(cache, assembly))
                return true;
        }
        return false;
    }

    /// <summary>
    /// Calls that clear a cache key outside the recognized APIs (another cache library, the project's
    /// own invalidator): <c>Invalidate*</c>, <c>Evict*</c>, or <c>Remove/Delete/Clear*</c> on something named
    /// like a cache. Null when only the receiver's type can tell (an instance <c>Remove/Delete/Clear*</c>
    /// whose own name and parameters don't say cache): the invocation's <c>Instance.Type</c> decides.
    /// </summary>
    private static bool? InvalidationLikeByName(IMethodSymbol method)
    {
        var name = method.Name;
        if (name.Length < 5 || name[0] is not ('I' or 'E' or 'R' or 'D' or 'C'))
            return false;
        switch (InvalidationPrefixAt(name, 0, name.Length))
        {
            case null:
                return false;
            case "Invalidate" or "Evict":
                return true;
        }
        if (name.IndexOf("Cache", StringComparison.OrdinalIgnoreCase) >= 0
            || (method.IsExtensionMethod && method.Parameters.Length > 0 && IsCacheNamed(method.Parameters[0].Type)))
        {
            return true;
        }
        // A static method has no instance: its containing type decides.
        return method.IsStatic ? IsCacheNamed(method.ContainingType) : null;
    }

    /// <summary>The clearing verbs a name may start with (<see cref="InvalidationLikeByName"/>; the candidate names and the text scan accept them too).</summary>
    private static readonly string[] InvalidationPrefixes = { "Invalidate", "Evict", "Remove", "Delete", "Clear" };

    /// <summary>The prefix of <see cref="InvalidationPrefixes"/> that <c>word[start..start+length)</c> starts with, or null.</summary>
    private static string? InvalidationPrefixAt(string word, int start, int length)
    {
        foreach (var prefix in InvalidationPrefixes)
        {
            if (length < prefix.Length)
                continue;
            var i = 0;
            while (i < prefix.Length && word[start + i] == prefix[i])
                i++;
            if (i == prefix.Length)
                return prefix;
        }
        return null;
    }

    private static bool IsCacheNamed(ITypeSymbol? type) => type?.Name.IndexOf("Cache", StringComparison.OrdinalIgnoreCase) >= 0;

    /// <summary>The cache operations and database writes of a body, built once and shared by every rule.</summary>
    public MethodCacheFacts FactsFor(ISymbol owner, IOperation root) =>
        _facts.GetOrAdd(root, r => MethodCacheFacts.Build(owner, ImmutableArray.Create(r), Api, TreeRulesFor(r.Syntax.SyntaxTree).WriteVerbs, _touchesOnlyMemory));

    private readonly ConcurrentDictionary<IMethodSymbol, bool> _onlyMemory = new(SymbolEqualityComparer.Default);
    private readonly Func<IMethodSymbol, bool> _touchesOnlyMemory;

    /// <summary>
    /// Does a call to <paramref name="method"/> only change memory? True for a method of this compilation that cannot be
    /// overridden and whose body, and the bodies of the methods of this compilation it calls (three calls deep), call only
    /// the base library's in-memory types (collections, LINQ to objects, strings, <c>System</c>'s value types): a listener's
    /// <c>AddListenedInvoice(invoice) =&gt; _listened.TryAdd(invoice.Id, invoice)</c> is named like a repository write but
    /// writes no database. False when unsure: an interface or virtual method, a delegate, any other library (EF Core, ADO.NET,
    /// an HTTP client), a body not in source. Computed once per method (the body binding is not cancellable: one method).
    /// </summary>
    public bool TouchesOnlyMemory(IMethodSymbol method) => TouchesOnlyMemory(method.OriginalDefinition, null);

    // Only answers that hold whatever the depth are remembered: a top-level one, and any "true" (its callees were all
    // judged within the bound). A deeper "false" may be the bound's or a cycle's; the next top-level ask judges again.
    private bool TouchesOnlyMemory(IMethodSymbol method, HashSet<IMethodSymbol>? visiting)
    {
        if (_onlyMemory.TryGetValue(method, out var known))
            return known;
        if (method.IsAbstract || method.IsVirtual || method.IsExtern
            || method.ContainingType is not { TypeKind: TypeKind.Class or TypeKind.Struct } type
            || (method.IsOverride && !method.IsSealed && !type.IsSealed))
        {
            return false;
        }
        visiting ??= new HashSet<IMethodSymbol>(SymbolEqualityComparer.Default);
        if (visiting.Count > 3 || !visiting.Add(method))
            return false;
        var answer = BodyOf(method, CancellationToken.None) is { } body && BodyTouchesOnlyMemory(body, visiting);
        visiting.Remove(method);
        if (answer || visiting.Count == 0)
            _onlyMemory.TryAdd(method, answer);
        return answer;
    }

    private bool BodyTouchesOnlyMemory(IOperation body, HashSet<IMethodSymbol> visiting)
    {
        foreach (var node in body.DescendantsAndSelf())
        {
            if (node is not IInvocationOperation { TargetMethod: var target })
                continue;
            if (target.MethodKind == MethodKind.LocalFunction)
                continue; // its body is among this one's descendants
            if (target.MethodKind == MethodKind.DelegateInvoke)
                return false;
            if (SymbolEqualityComparer.Default.Equals(target.ContainingAssembly, _sourceAssembly))
            {
                if (!TouchesOnlyMemory(target.OriginalDefinition, visiting))
                    return false;
                continue;
            }
            if (!IsInMemoryLibraryCall(target))
                return false;
        }
        return true;
    }

    /// <summary>The base library's in-memory types: <c>System</c>'s own types, collections, LINQ to objects, text, interlocked counters.</summary>
    private static bool IsInMemoryLibraryCall(IMethodSymbol target)
    {
        if (target.ContainingType is not { } type)
            return false;
        var ns = type.ContainingNamespace?.ToDisplayString() ?? "";
        switch (ns)
        {
            case "System":
                return type.Name is not ("Console" or "Environment" or "AppDomain" or "Activator" or "GC");
            case "System.Linq":
                return type.Name == "Enumerable";
            case "System.Text":
                return true;
            case "System.Threading":
                return type.Name is "Interlocked" or "Volatile" or "Monitor";
            default:
                return ns == "System.Collections" || ns.StartsWith("System.Collections.", StringComparison.Ordinal);
        }
    }

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

    /// <summary>
    /// Before binding a callee (<see cref="BodyOf"/>): may the body of <paramref name="method"/> hold a
    /// recognized cache operation? False when the text of its one declaration holds no candidate word
    /// (the per-tree scan of <see cref="CandidateWords"/>, which every call to a cache API member or a
    /// cache wrapper names), so its <see cref="FactsFor"/> would hold no cache operation. True when unsure.
    /// </summary>
    public bool MayHoldCacheOperation(IMethodSymbol method)
    {
        var references = method.OriginalDefinition.DeclaringSyntaxReferences;
        if (references.Length != 1 || !Compilation.ContainsSyntaxTree(references[0].SyntaxTree))
            return true;
        return HoldsCandidateWord(references[0].SyntaxTree, references[0].Span);
    }

    /// <summary>True the first time a location is reported by a rule that must report it once (a populate shared by several reads).</summary>
    public bool ReportOnce(Location location) => _reportedOnce.TryAdd(location, 0);

    /// <summary>Per-compilation state of one rule, created on first use.</summary>
    public T State<T>(Rule rule, Func<T> create) where T : class =>
        (T)_state.GetOrAdd(rule, _ => create());

    /// <summary>The rules enabled for a file (a rule whose severity is <c>none</c> there does no work), and the project-wide verbs.</summary>
    private TreeRules TreeRulesFor(SyntaxTree tree) =>
        _treeRules.TryGetValue(tree, out var known) ? known : _treeRules.GetOrAdd(tree, BuildTreeRules);

    private TreeRules BuildTreeRules(SyntaxTree tree)
    {
        var builder = ImmutableArray.CreateBuilder<Rule>(_rules.Length);
        foreach (var rule in _rules)
        {
            if (!IsSuppressed(rule.Id, tree))
                builder.Add(rule);
        }
        var config = Options.AnalyzerConfigOptionsProvider.GetOptions(tree);
        var settings = CacheGuardSettings.For(config, "");
        return new TreeRules(builder.ToImmutable(), settings.WriteVerbs, settings.CreateVerbs, GeneratedCode.Is(tree, config));
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

    /// <summary>Turned off for the whole compilation (command line or global config), not just for some files.</summary>
    private bool IsSuppressedEverywhere(string id)
    {
        var options = Compilation.Options;
        if (options.SyntaxTreeOptionsProvider is { } provider && provider.TryGetGlobalDiagnosticValue(id, CancellationToken.None, out var global))
            return global == ReportDiagnostic.Suppress;
        return options.SpecificDiagnosticOptions.TryGetValue(id, out var specific) && specific == ReportDiagnostic.Suppress;
    }

    /// <summary>
    /// Where a tree's text holds a word that could be a candidate name (<see cref="CandidateNames"/>): one
    /// pass over the characters per tree, no syntax walked. A word is a run of ASCII letters, digits and
    /// underscores (any other character ends it, so <c>@Get</c> yields <c>Get</c>); it is recorded when it
    /// may be a candidate, when it holds a non-ASCII character, or is too long to check, and so is every
    /// <c>\u</c> (an escaped identifier). Every identifier token whose value is a candidate therefore starts
    /// at, or inside a word starting at, a recorded position: a body with no recorded position in its span
    /// has no candidate token (comments and strings only add positions, which the token scan then rejects).
    /// </summary>
    private sealed class CandidateWords
    {
        private const int MaxWord = 128;

        // MethodImplOptions.AggressiveOptimization (.NET Core 3.0+; netstandard2.0 does not name it, the runtime honors it).
        private const MethodImplOptions AggressiveOptimization = (MethodImplOptions)512;

        // The scan's buffer of recorded positions, one per thread (a tree is scanned on one thread): grown
        // once to the largest tree's count instead of a list grown and copied for every tree.
        [ThreadStatic]
        private static int[]? t_starts;

        // Positions where a word that may be a candidate starts (the token there holds it), ascending.
        private readonly int[] _starts;

        // Words checked token by token (start, end): non-ASCII, too long, or a number run into a name.
        private readonly (int Start, int End)[] _wide;

        private CandidateWords(int[] starts, (int, int)[] wide)
        {
            _starts = starts;
            _wide = wide;
        }

        /// <summary>True when a recorded word lies inside <paramref name="span"/>.</summary>
        public bool AnyIn(TextSpan span)
        {
            var lo = FirstAtOrAfter(span.Start);
            if (lo < _starts.Length && _starts[lo] < span.End)
                return true;
            foreach (var (start, end) in _wide)
            {
                if (start < span.End && end > span.Start)
                    return true;
            }
            return false;
        }

        /// <summary>The index of the first recorded start at or after <paramref name="position"/>.</summary>
        public int FirstAtOrAfter(int position)
        {
            int lo = 0, hi = _starts.Length;
            while (lo < hi)
            {
                var mid = (lo + hi) >> 1;
                if (_starts[mid] < position)
                    lo = mid + 1;
                else
                    hi = mid;
            }
            return lo;
        }

        public int[] Starts => _starts;

        public (int Start, int End)[] Wide => _wide;

        // Optimized at once: every tree is scanned once, so the scan would run at tier 0 for most of them.
        [MethodImpl(AggressiveOptimization)]
        public static CandidateWords Scan(SourceText text, CandidateNames names)
        {
            var length = text.Length;
            // A StringText (what a file read whole becomes) hands back its own string for the full span;
            // any other text is copied once.
            string chars;
            if (text.GetType().Name == "StringText")
            {
                chars = text.ToString();
            }
            else
            {
                var copy = new char[length];
                text.CopyTo(0, copy, 0, length);
                chars = new string(copy);
            }
            var starts = t_starts ??= new int[256];
            var count = 0;
            List<(int, int)>? wide = null;
            var i = 0;
            while (i < length)
            {
                var c = chars[i];
                if (!IsWordChar(c))
                {
                    i++;
                    continue;
                }
                var start = i;
                var nonAscii = false;
                do
                {
                    if (c >= 128)
                        nonAscii = true;
                    if (++i == length)
                        break;
                    c = chars[i];
                }
                while (IsWordChar(c));
                // \u: an escaped identifier (the token holding the backslash holds the escape).
                if (start > 0 && chars[start - 1] == '\\' && chars[start] is 'u' or 'U')
                    Add(ref starts, ref count, start - 1);
                var wordLength = i - start;
                if (nonAscii || wordLength > MaxWord)
                {
                    (wide ??= new List<(int, int)>()).Add((start, i));
                }
                else if (chars[start] is >= '0' and <= '9')
                {
                    // A number run into a name ("1Get" lexes as 1 and Get): checked token by token when any
                    // suffix that starts with a letter or underscore may be a candidate.
                    for (var k = start + 1; k < i; k++)
                    {
                        if (chars[k] is not (>= '0' and <= '9') && names.MayBeCandidate(chars, k, i - k))
                        {
                            (wide ??= new List<(int, int)>()).Add((start, i));
                            break;
                        }
                    }
                }
                else if (names.MayBeCandidate(chars, start, wordLength))
                {
                    Add(ref starts, ref count, start);
                }
            }
            t_starts = starts;
            var result = new int[count];
            Array.Copy(starts, result, count);
            // Recorded in text order (a \u is recorded before its word, after the previous word's start).
            return new CandidateWords(result, wide is null ? Array.Empty<(int, int)>() : wide.ToArray());

            static void Add(ref int[] starts, ref int count, int position)
            {
                if (count == starts.Length)
                    Array.Resize(ref starts, starts.Length * 2);
                starts[count++] = position;
            }
        }

        private static bool IsWordChar(char c) =>
            c is (>= 'a' and <= 'z') or (>= 'A' and <= 'Z') or (>= '0' and <= '9') or '_' || c >= 128;
    }

    private sealed class TreeRules
    {
        public TreeRules(ImmutableArray<Rule> rules, ImmutableArray<string> writeVerbs, ImmutableArray<string> createVerbs, bool isGeneratedCode)
        {
            Rules = rules;
            WriteVerbs = writeVerbs;
            CreateVerbs = createVerbs;
            IsGeneratedCode = isGeneratedCode;
        }

        public ImmutableArray<Rule> Rules { get; }
        public ImmutableArray<string> WriteVerbs { get; }
        public ImmutableArray<string> CreateVerbs { get; }

        /// <summary>The tree's candidate words, scanned by the first body of the tree that asks (a race scans twice, to the same result).</summary>
        public CandidateWords? Words { get; set; }

        /// <summary>Is the tree generated code as the analyzer driver decides it (<see cref="GeneratedCode"/>)?</summary>
        public bool IsGeneratedCode { get; }
    }
}
