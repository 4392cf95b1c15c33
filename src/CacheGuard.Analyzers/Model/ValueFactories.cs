using System.Collections.Generic;
using Microsoft.CodeAnalysis;
using Microsoft.CodeAnalysis.Operations;

namespace CacheGuard.Analyzers.Model;

/// <summary>What produced a cached value.</summary>
internal enum ValueFactoryKind
{
    /// <summary>A delegate the code was handed: <c>factory()</c>, <c>acquire()</c>, <c>next()</c>.</summary>
    Delegate,
    /// <summary>A call that fetches: a repository or service, a database query, an HTTP call, anything awaited.</summary>
    Call,
}

/// <summary>The call that produced a value written to the cache.</summary>
internal sealed class ValueFactory
{
    public ValueFactory(IInvocationOperation invocation, ValueFactoryKind kind)
    {
        Invocation = invocation;
        Kind = kind;
    }

    public IInvocationOperation Invocation { get; }
    public ValueFactoryKind Kind { get; }

    /// <summary>For messages: <c>the delegate 'factory'</c>, <c>'_store.LoadAsync(id)'</c>.</summary>
    public string Describe()
    {
        if (Kind == ValueFactoryKind.Delegate)
        {
            var target = Invocation.Instance?.Syntax.ToString() ?? Invocation.TargetMethod.ContainingType.Name;
            return $"the delegate '{Shorten(target)}'";
        }
        return $"'{Shorten(Invocation.Syntax.ToString())}'";
    }

    private static string Shorten(string text)
    {
        text = OperationFacts.CollapseWhiteSpace(text);
        return text.Length <= 60 ? text : text.Substring(0, 57) + "...";
    }
}

/// <summary>
/// Traces a value written to the cache back to the call that produced it, through locals, awaits,
/// conversions, serialization and member access. Serializers, mappers and BCL helpers are looked
/// through; delegates, awaited calls, database queries, HTTP calls and calls on the class's services
/// (fields, properties, parameters) are factories.
/// </summary>
internal static class ValueFactories
{
    /// <summary>
    /// The earliest factory call feeding <paramref name="value"/> that lies in <paramref name="body"/>
    /// after <paramref name="after"/> (a source position). Parameters the value comes from are added to
    /// <paramref name="parameters"/> (a helper's caller passes the value in).
    /// </summary>
    /// <param name="notFactories">Invocations that never count as the factory (a re-read of the key under a lock).</param>
    public static ValueFactory? Find(IOperation value, IOperation body, int after, List<IParameterSymbol>? parameters = null, ISet<IInvocationOperation>? notFactories = null)
    {
        var tracer = new Tracer(body, after, parameters, notFactories);
        tracer.Visit(value, 0);
        return tracer.Best;
    }

    private sealed class Tracer
    {
        private readonly IOperation _body;
        private readonly int _after;
        private readonly List<IParameterSymbol>? _parameters;
        private readonly HashSet<IOperation> _seen = new();
        private readonly HashSet<ILocalSymbol> _seenLocals = new(SymbolEqualityComparer.Default);
        private Dictionary<ILocalSymbol, List<IOperation>>? _localSources;

        private readonly ISet<IInvocationOperation>? _notFactories;

        public Tracer(IOperation body, int after, List<IParameterSymbol>? parameters, ISet<IInvocationOperation>? notFactories)
        {
            _body = body;
            _after = after;
            _parameters = parameters;
            _notFactories = notFactories;
        }

        public ValueFactory? Best { get; private set; }

        public void Visit(IOperation? operation, int depth)
        {
            if (operation is null || depth > 24 || !_seen.Add(operation))
                return;

            switch (operation)
            {
                case IAnonymousFunctionOperation:
                case ILiteralOperation:
                    return;

                case ILocalReferenceOperation local:
                    if (_seenLocals.Add(local.Local))
                    {
                        foreach (var source in LocalSources(local.Local))
                            Visit(source, depth + 1);
                    }
                    return;

                case IParameterReferenceOperation parameter:
                    _parameters?.Add(parameter.Parameter);
                    return;

                case IPropertyReferenceOperation { Instance: { } instance } property:
                    // invocation.Proceed(); ... invocation.ReturnValue: the call that filled the object is the factory.
                    if (OperationFacts.Unwrap(instance) is IParameterReferenceOperation or ILocalReferenceOperation)
                        VisitFillers(OperationFacts.Unwrap(instance));
                    foreach (var child in operation.ChildOperations)
                        Visit(child, depth + 1);
                    return;

                case IInvocationOperation invocation:
                {
                    if (_notFactories is not null && _notFactories.Contains(invocation))
                        return;
                    var kind = Classify(invocation);
                    if (kind is { } k)
                    {
                        Offer(new ValueFactory(invocation, k));
                        return;
                    }
                    if (IsCacheOrOpaque(invocation))
                        return;
                    Visit(invocation.Instance, depth + 1);
                    foreach (var argument in invocation.Arguments)
                        Visit(argument.Value, depth + 1);
                    return;
                }

                default:
                    foreach (var child in operation.ChildOperations)
                        Visit(child, depth + 1);
                    return;
            }
        }

        private void VisitFillers(IOperation target)
        {
            var symbol = target switch
            {
                IParameterReferenceOperation p => (ISymbol)p.Parameter,
                ILocalReferenceOperation l => l.Local,
                _ => null,
            };
            if (symbol is null)
                return;
            foreach (var operation in _body.Descendants())
            {
                if (operation is IInvocationOperation { TargetMethod.ReturnsVoid: true, Instance: { } receiver } call
                    && call.Parent is IExpressionStatementOperation
                    && OperationFacts.Unwrap(receiver) switch
                    {
                        IParameterReferenceOperation p => SymbolEqualityComparer.Default.Equals(p.Parameter, symbol),
                        ILocalReferenceOperation l => SymbolEqualityComparer.Default.Equals(l.Local, symbol),
                        _ => false,
                    }
                    && Classify(call) is { } kind)
                {
                    Offer(new ValueFactory(call, kind));
                }
            }
        }

        private void Offer(ValueFactory factory)
        {
            var start = factory.Invocation.Syntax.SpanStart;
            if (start <= _after || !OperationFacts.IsInside(factory.Invocation, _body))
                return;
            if (Best is null || start < Best.Invocation.Syntax.SpanStart)
                Best = factory;
        }

        /// <summary>Where a local's value comes from: its initializer, assignments, and calls and indexer sets that fill it (<c>list.Add(x)</c>, <c>map[k] = v</c>).</summary>
        private IReadOnlyList<IOperation> LocalSources(ILocalSymbol local)
        {
            _localSources ??= LocalSourceIndex.GetValue(_body, BuildLocalSources);
            return _localSources.TryGetValue(local, out var list) ? list : System.Array.Empty<IOperation>();
        }

        // One index per function body, shared by every search in it (each read's populates, each of their values).
        private static readonly System.Runtime.CompilerServices.ConditionalWeakTable<IOperation, Dictionary<ILocalSymbol, List<IOperation>>> LocalSourceIndex = new();

        private static Dictionary<ILocalSymbol, List<IOperation>> BuildLocalSources(IOperation body)
        {
            var sources = new Dictionary<ILocalSymbol, List<IOperation>>(SymbolEqualityComparer.Default);
            foreach (var operation in body.Descendants())
            {
                switch (operation)
                {
                    case IVariableDeclaratorOperation { Initializer.Value: { } init } declarator:
                        Add(declarator.Symbol, init);
                        break;
                    case IAssignmentOperation { Target: ILocalReferenceOperation target } assignment:
                        Add(target.Local, assignment.Value);
                        break;
                    // result[key] = value fills the local as result.Add(key, value) does.
                    case ISimpleAssignmentOperation { Target: IPropertyReferenceOperation { Property.IsIndexer: true, Instance: ILocalReferenceOperation filled } indexer } indexed:
                        foreach (var argument in indexer.Arguments)
                            Add(filled.Local, argument.Value);
                        Add(filled.Local, indexed.Value);
                        break;
                    case IInvocationOperation { Instance: ILocalReferenceOperation receiver } fill when !fill.TargetMethod.ReturnsVoid || fill.Arguments.Length > 0:
                        foreach (var argument in fill.Arguments)
                            Add(receiver.Local, argument.Value);
                        break;
                    case IForEachLoopOperation { LoopControlVariable: IVariableDeclaratorOperation loopVariable } loop:
                        Add(loopVariable.Symbol, loop.Collection);
                        break;
                    case IDeclarationPatternOperation { DeclaredSymbol: ILocalSymbol patternLocal } pattern:
                        // executed.Result is ObjectResult result: result comes from executed.Result
                        for (var up = pattern.Parent; up is not null; up = up.Parent)
                        {
                            if (up is IIsPatternOperation isPattern)
                            {
                                Add(patternLocal, isPattern.Value);
                                break;
                            }
                        }
                        break;
                    case IDeclarationExpressionOperation { Expression: ILocalReferenceOperation outLocal } declaration
                        when declaration.Parent is IArgumentOperation { Parent: IInvocationOperation filler }:
                        Add(outLocal.Local, filler);
                        break;
                }
            }
            return sources;

            void Add(ILocalSymbol symbol, IOperation source)
            {
                if (!sources.TryGetValue(symbol, out var list))
                    sources[symbol] = list = new List<IOperation>();
                list.Add(source);
            }
        }
    }

    /// <summary>Null when the call only transforms its inputs (look through it); else what kind of factory it is.</summary>
    public static ValueFactoryKind? Classify(IInvocationOperation invocation)
    {
        var method = invocation.TargetMethod;
        if (method.MethodKind == MethodKind.DelegateInvoke)
            return ValueFactoryKind.Delegate;
        if (CacheApi.IsRuntimeSymbol(method))
            return null;

        var type = method.ContainingType;
        var ns = type?.ContainingNamespace?.ToDisplayString() ?? "";

        if (StartsWith(ns, "System.Net") || StartsWith(ns, "System.Data") || StartsWith(ns, "System.IO")
            || StartsWith(ns, "Microsoft.EntityFrameworkCore") || StartsWith(ns, "Dapper"))
        {
            return ValueFactoryKind.Call;
        }
        if (ns == "System.Linq" && type?.Name == "Queryable")
            return ValueFactoryKind.Call;
        if (ns == "System.Threading.Tasks" && method.Name == "Run")
            return ValueFactoryKind.Call;
        if (IsLookThrough(ns) || method.Name is "ToString" or "GetHashCode" or "Equals" or "GetType")
            return null;
        if (IsAwaitable(method.ReturnType))
            return ValueFactoryKind.Call;
        // A synchronous parse, compile or build works on what it is given in memory (RULES.md: a pure
        // in-memory computation is not a factory): _parser.Parse(userAgent), TryParse(source, out t).
        if (IsComputationName(method.Name))
            return null;

        // A call on one of the class's services (a field, property, parameter or this) fetches;
        // a static helper or a method on a local value transforms it.
        var receiver = method.IsExtensionMethod && invocation.Arguments.Length > 0
            ? OperationFacts.Unwrap(invocation.Arguments[0].Value)
            : invocation.Instance is null ? null : OperationFacts.Unwrap(invocation.Instance);
        if (method.IsStatic && !method.IsExtensionMethod)
            return null;
        switch (receiver)
        {
            case IInstanceReferenceOperation:
            case IFieldReferenceOperation:
                return ValueFactoryKind.Call;
            case IPropertyReferenceOperation property:
                // context.App.PartitionResolver(): a member of a data object the caller handed in.
                if (property.Instance is { } owner && OperationFacts.Unwrap(owner) is IParameterReferenceOperation or ILocalReferenceOperation)
                    return IsServiceType(property.Type) ? ValueFactoryKind.Call : null;
                return ValueFactoryKind.Call;
            case IParameterReferenceOperation parameter:
                // A service handed in (IProductStore store, HttpClient client) fetches; a data object
                // handed in (User user) is what the caller already has: user.ToJson() only transforms it.
                return IsServiceType(parameter.Type) ? ValueFactoryKind.Call : null;
            default:
                return null;
        }
    }

    private static readonly string[] ComputationWords =
    {
        "Parse", "TryParse", "Compile", "TryCompile", "Prepare", "Convert", "Tokenize",
    };

    /// <summary>A method named for an in-memory computation: <c>Parse</c>, <c>TryParse</c>, <c>ConvertToEdm</c>, <c>BuildModel</c>.</summary>
    public static bool IsComputationName(string name)
    {
        foreach (var word in ComputationWords)
        {
            if (name.StartsWith(word, System.StringComparison.Ordinal) && (name.Length == word.Length || !char.IsLower(name[word.Length])))
                return true;
        }
        return false;
    }

    private static readonly string[] HelperComputationWords = { "Build", "Format", "Compute", "Calculate", "Hash", "Normalize", "Combine" };

    /// <summary>A helper of the project's own (static, or on this object) named for building or formatting in memory: <c>BuildQueryModel</c>, <c>ContentQueryModel.Build</c>.</summary>
    private static bool IsHelperComputationName(string name)
    {
        foreach (var word in HelperComputationWords)
        {
            if (name.StartsWith(word, System.StringComparison.Ordinal) && (name.Length == word.Length || !char.IsLower(name[word.Length])))
                return true;
        }
        return false;
    }

    /// <summary>
    /// An invocation that provably does no I/O (RULES.md: not a factory): not awaited, not a delegate,
    /// not a fetch by <see cref="Classify"/>; a helper in source (static, or on this object) only when
    /// its own body (through <paramref name="bodyOf"/>, two levels deep) is computation too.
    /// </summary>
    public static bool IsComputation(IInvocationOperation invocation, System.Func<IMethodSymbol, IOperation?> bodyOf, int depth = 0)
    {
        var method = invocation.TargetMethod;
        // Task.FromResult(new RoomStats { ... }): wraps a value built here; its argument is judged on its own.
        if (IsCompletedTask(method))
            return true;
        if (method.MethodKind == MethodKind.DelegateInvoke || IsAwaitable(method.ReturnType))
            return false;
        if (IsCacheOrOpaque(invocation))
            return true; // reading another cache entry is not the load
        var inSource = method.DeclaringSyntaxReferences.Length > 0;
        var helper = inSource && (method.IsStatic && !method.IsExtensionMethod || invocation.Instance is null or IInstanceReferenceOperation);
        if (helper)
        {
            if (IsComputationName(method.Name) || IsHelperComputationName(method.Name))
                return true;
            if (depth >= 2 || bodyOf(method) is not { } body)
                return false;
            return BodyIsComputation(body, bodyOf, depth + 1);
        }
        return Classify(invocation) is null;
    }

    /// <summary><c>Task.FromResult(value)</c> / <c>ValueTask.FromResult(value)</c>: a finished task around a value, no work.</summary>
    private static bool IsCompletedTask(IMethodSymbol method) =>
        method.Name == "FromResult"
        && method.ContainingType is { Name: "Task" or "ValueTask" } type
        && OperationFacts.IsNamespace(type.ContainingNamespace, "System.Threading.Tasks");

    /// <summary>Every call in <paramref name="body"/> is a computation and nothing is awaited.</summary>
    public static bool BodyIsComputation(IOperation body, System.Func<IMethodSymbol, IOperation?> bodyOf, int depth = 0)
    {
        foreach (var operation in body.Descendants())
        {
            if (operation is IAwaitOperation)
                return false;
            if (operation is IInvocationOperation call && !IsComputation(call, bodyOf, depth))
                return false;
        }
        return true;
    }

    private static readonly string[] ServiceSuffixes =
    {
        "Repository", "Store", "Service", "Client", "Context", "Db", "Provider", "Source", "Api", "Gateway",
        "Dao", "Loader", "Fetcher", "Handler", "Query", "Connection", "Proxy", "Invocation",
    };

    private static bool IsServiceType(ITypeSymbol? type)
    {
        if (type is null)
            return false;
        if (type.TypeKind is TypeKind.Interface or TypeKind.Delegate || type.IsAbstract)
            return true;
        foreach (var suffix in ServiceSuffixes)
        {
            if (type.Name.EndsWith(suffix, System.StringComparison.Ordinal))
                return true;
        }
        return false;
    }

    /// <summary>Cache calls (a value copied from another cache entry is not fetched) and framework plumbing.</summary>
    private static bool IsCacheOrOpaque(IInvocationOperation invocation)
    {
        var ns = invocation.TargetMethod.ContainingType?.ContainingNamespace?.ToDisplayString() ?? "";
        return StartsWith(ns, "StackExchange.Redis") || StartsWith(ns, "Microsoft.Extensions.Caching");
    }

    private static bool IsLookThrough(string ns) =>
        ns == "System" || ns.StartsWith("System.", System.StringComparison.Ordinal)
        || StartsWith(ns, "Newtonsoft.Json") || StartsWith(ns, "MessagePack") || StartsWith(ns, "ProtoBuf")
        || StartsWith(ns, "Google.Protobuf") || StartsWith(ns, "AutoMapper") || StartsWith(ns, "Mapster")
        || StartsWith(ns, "Microsoft.Extensions.Logging") || StartsWith(ns, "Microsoft.Extensions.Configuration")
        || StartsWith(ns, "Microsoft.Extensions.Options") || StartsWith(ns, "StackExchange.Redis")
        || StartsWith(ns, "Microsoft.Extensions.Caching");

    private static bool StartsWith(string ns, string prefix) =>
        ns == prefix || ns.StartsWith(prefix + ".", System.StringComparison.Ordinal);

    private static bool IsAwaitable(ITypeSymbol? type)
    {
        if (type is not INamedTypeSymbol named)
            return false;
        var name = named.OriginalDefinition.ToDisplayString();
        return name is "System.Threading.Tasks.Task" or "System.Threading.Tasks.Task<TResult>"
            or "System.Threading.Tasks.ValueTask" or "System.Threading.Tasks.ValueTask<TResult>";
    }
}
