using System.Collections.Generic;
using System.Linq;
using Microsoft.CodeAnalysis;
using Microsoft.CodeAnalysis.CSharp;
using Microsoft.CodeAnalysis.CSharp.Syntax;

namespace CacheGuard.Analyzers.Model;

/// <summary>What one method of a project's cache wrapper does, as seen from its callers.</summary>
internal sealed class WrapperMethod
{
    public WrapperMethod(CacheOperationKind kind, int keyOrdinal)
    {
        Kind = kind;
        KeyOrdinal = keyOrdinal;
    }

    /// <summary><see cref="CacheOperationKind.Read"/>, <see cref="CacheOperationKind.Write"/> or <see cref="CacheOperationKind.Delete"/>.</summary>
    public CacheOperationKind Kind { get; }

    /// <summary>The ordinal of the key parameter.</summary>
    public int KeyOrdinal { get; }
}

/// <summary>
/// The project's own cache wrappers: classes declared in source that hold an <c>IDatabase</c>,
/// <c>IConnectionMultiplexer</c>, <c>IDistributedCache</c>, <c>IMemoryCache</c> or <c>HybridCache</c>
/// and whose methods take a key and only read, only write or only delete through it (a
/// <c>GetOrSet</c> helper that does both is analyzed inside its own body instead). Interface methods
/// the class implements count too, so <c>ICacheService.GetAsync</c> is a read when its implementation is.
/// Built once per compilation, from symbols and the methods' syntax (no semantic model of other trees).
/// </summary>
internal sealed class WrapperCatalog
{
    private readonly Dictionary<IMethodSymbol, WrapperMethod> _methods;
    private readonly Dictionary<IMethodSymbol, List<IMethodSymbol>> _implementations;

    private WrapperCatalog(Dictionary<IMethodSymbol, WrapperMethod> methods, Dictionary<IMethodSymbol, List<IMethodSymbol>> implementations,
        List<(SyntaxTree Tree, string Name)> methodDeclarations)
    {
        _methods = methods;
        _implementations = implementations;
        MethodDeclarations = methodDeclarations;
        var names = new HashSet<string>(System.StringComparer.Ordinal);
        foreach (var method in methods.Keys)
            names.Add(method.Name);
        MethodNames = names;
    }

    /// <summary>
    /// Every method declared in a type or namespace of the compilation (not local functions), with its tree:
    /// found by the same walk of declarations that finds the wrapper candidates (CG0003 reads the create-named ones).
    /// </summary>
    public List<(SyntaxTree Tree, string Name)> MethodDeclarations { get; }

    /// <summary>The names of the wrapper methods (a body that names none of them calls none of them).</summary>
    public IEnumerable<string> MethodNames { get; }

    public WrapperMethod? Find(IMethodSymbol method) =>
        _methods.TryGetValue(method.OriginalDefinition, out var found) ? found : null;

    /// <summary>
    /// The source methods a call to <paramref name="method"/> runs: the method itself when it has a body,
    /// else (an interface member) the classified methods of the compilation's types that implement it.
    /// </summary>
    public IEnumerable<IMethodSymbol> Implementations(IMethodSymbol method)
    {
        method = method.OriginalDefinition;
        if (_implementations.TryGetValue(method, out var found))
            return found;
        return method.IsAbstract ? System.Array.Empty<IMethodSymbol>() : new[] { method };
    }

    // One catalog per compilation, shared by every rule's CacheApi.
    private static readonly System.Runtime.CompilerServices.ConditionalWeakTable<Compilation, WrapperCatalog> PerCompilation = new();

    /// <summary>The catalog of <paramref name="api"/>'s compilation, built on first use.</summary>
    public static WrapperCatalog For(CacheApi api) => PerCompilation.GetValue(api.Compilation, _ => Build(api));

    /// <summary>How many layers of wrappers over wrappers are followed (a filter over a cache service over a repository over <c>IDatabase</c>).</summary>
    private const int MaxLayers = 4;

    private static WrapperCatalog Build(CacheApi api)
    {
        var methods = new Dictionary<IMethodSymbol, WrapperMethod>(SymbolEqualityComparer.Default);
        var implementations = new Dictionary<IMethodSymbol, List<IMethodSymbol>>(SymbolEqualityComparer.Default);
        var conflicting = new HashSet<IMethodSymbol>(SymbolEqualityComparer.Default);
        // Which type declarations can hold a cache or a wrapper, from the type names their fields,
        // properties, constructor parameters and extension receivers are written with: a syntax scan of
        // declarations (no bodies, no symbols), so only those few types are ever bound.
        var methodDeclarations = new List<(SyntaxTree, string)>();
        var declarations = TypeDeclarations(api.Compilation, methodDeclarations);
        var names = new HashSet<string>(System.StringComparer.Ordinal)
        {
            "IDatabase", "IDatabaseAsync", "IBatch", "ITransaction", "IConnectionMultiplexer", "ConnectionMultiplexer",
            "IDistributedCache", "IBufferDistributedCache", "RedisCache", "MemoryDistributedCache", "IMemoryCache", "MemoryCache", "HybridCache",
        };
        var seenDeclarations = new HashSet<TypeDeclarationSyntax>();
        var types = new List<INamedTypeSymbol>();
        void AddCandidates()
        {
            foreach (var (declaration, mentioned) in declarations)
            {
                if (seenDeclarations.Contains(declaration) || !MentionsAny(mentioned, names))
                    continue;
                seenDeclarations.Add(declaration);
#pragma warning disable RS1030 // the driver's semantic models are cached per tree: a declared symbol, no body bound
                if (api.Compilation.GetSemanticModel(declaration.SyntaxTree).GetDeclaredSymbol(declaration) is INamedTypeSymbol { TypeKind: TypeKind.Class or TypeKind.Struct } symbol
                    && !types.Contains(symbol, SymbolEqualityComparer.Default))
                {
                    types.Add(symbol);
                }
#pragma warning restore RS1030
            }
        }
        AddCandidates();

        // Layer 0: types holding a cache API. Each further layer: types holding a type whose methods
        // were classified in an earlier layer (wrappers over wrappers). Stops when a layer adds nothing.
        var wrapperTypes = new HashSet<ITypeSymbol>(SymbolEqualityComparer.Default);
        // Classify's answer for a method of a type that holds only cache APIs (no wrapper) depends on the
        // names of those members alone, so a later layer reuses it instead of walking the body again.
        var settled = new Dictionary<IMethodSymbol, (string Receivers, WrapperMethod? Wrapper)>(SymbolEqualityComparer.Default);
        // Its answer for a method of a type that holds a wrapper, with the receivers and the kinds it was found with.
        var heldWrapper = new Dictionary<IMethodSymbol, (Dictionary<string, ITypeSymbol?> Receivers, List<((ITypeSymbol, string) Key, CacheOperationKind? Kind)> Lookups, WrapperMethod? Wrapper)>(SymbolEqualityComparer.Default);
        var membersOf = new Dictionary<INamedTypeSymbol, List<(string Name, ITypeSymbol Type, bool IsCache)>>(SymbolEqualityComparer.Default);
        // IsCacheType per type, once: the members of the candidate types share most of their types (string, ILogger<T>, options).
        var cacheTypes = new Dictionary<ITypeSymbol, bool>(SymbolEqualityComparer.Default);
        System.Func<ITypeSymbol, bool> isCacheType = type =>
        {
            if (!cacheTypes.TryGetValue(type, out var isCache))
                cacheTypes[type] = isCache = IsCacheType(type, api);
            return isCache;
        };
        // A method's syntax, read once: a type holding a wrapper is classified again in every later layer.
        var syntaxOf = new Dictionary<IMethodSymbol, MethodSyntax>(SymbolEqualityComparer.Default);
        for (var layer = 0; layer < MaxLayers; layer++)
        {
            var kinds = KindsByName(methods);
            var before = methods.Count;
            var typesBefore = wrapperTypes.Count;
            foreach (var type in types)
            {
                if (!membersOf.TryGetValue(type, out var members))
                    membersOf[type] = members = MembersOf(type, isCacheType);
                var receivers = CacheMembers(members, wrapperTypes);
                if (receivers.Count == 0 && !type.MightContainExtensionMethods)
                    continue;

                var classified = new Dictionary<IMethodSymbol, WrapperMethod>(SymbolEqualityComparer.Default);
                string? signature = null;
                foreach (var member in type.GetMembers())
                {
                    // Instance methods of a class holding a cache, and extension methods over a cache type
                    // (static class DistributedCacheExtensions { GetObject(this IDistributedCache cache, string key) }).
                    if (member is not IMethodSymbol { MethodKind: MethodKind.Ordinary } method)
                        continue;
                    var isWrapperMethod = method.IsStatic
                        ? method.IsExtensionMethod && ExtendsCacheType(method)
                        : receivers.Count > 0;
                    if (isWrapperMethod && ClassifyOnce(method, receivers, kinds, ref signature) is { } wrapper)
                    {
                        classified[method] = wrapper;
                        methods[method] = wrapper;
                    }
                }
                if (classified.Count == 0)
                    continue;
                wrapperTypes.Add(type);

                // An interface method is implemented by a classified one only under its own name (a classified
                // method is an ordinary method, never an explicit implementation): other names are not looked up.
                var classifiedNames = new HashSet<string>(System.StringComparer.Ordinal);
                foreach (var method in classified.Keys)
                    classifiedNames.Add(method.Name);
                foreach (var @interface in type.AllInterfaces)
                {
                    if (!@interface.Locations.Any(l => l.IsInSource))
                        continue;
                    foreach (var member in @interface.GetMembers().OfType<IMethodSymbol>())
                    {
                        if (!classifiedNames.Contains(member.Name)
                            || type.FindImplementationForInterfaceMember(member) is not IMethodSymbol implementation
                            || !classified.TryGetValue(implementation.OriginalDefinition, out var wrapper))
                        {
                            continue;
                        }
                        var key = member.OriginalDefinition;
                        if (!implementations.TryGetValue(key, out var implementing))
                            implementations[key] = implementing = new List<IMethodSymbol>();
                        if (!implementing.Contains(implementation.OriginalDefinition, SymbolEqualityComparer.Default))
                            implementing.Add(implementation.OriginalDefinition);
                        if (methods.TryGetValue(key, out var existing) && existing.Kind != wrapper.Kind)
                            conflicting.Add(key);
                        else
                            methods[key] = new WrapperMethod(wrapper.Kind, wrapper.KeyOrdinal);
                        wrapperTypes.Add(@interface.OriginalDefinition);
                    }
                }
            }
            if (methods.Count == before && wrapperTypes.Count == typesBefore)
                break;
            foreach (var wrapperType in wrapperTypes)
                names.Add(wrapperType.Name);
            AddCandidates();
        }
        foreach (var method in conflicting)
            methods.Remove(method);
        return new WrapperCatalog(methods, implementations, methodDeclarations);

        WrapperMethod? ClassifyOnce(IMethodSymbol method, Dictionary<string, ITypeSymbol?> receivers, Dictionary<(ITypeSymbol, string), CacheOperationKind?> kinds, ref string? signature)
        {
            if (!syntaxOf.TryGetValue(method, out var syntax))
                syntaxOf[method] = syntax = MethodSyntax.Of(method);
            if (HoldsWrapper(receivers))
            {
                // Classified again in each later layer: the answer changes only when the members' wrapper types
                // change or a kind its calls on them looked up does (the other methods a layer classifies).
                if (heldWrapper.TryGetValue(method, out var last) && SameReceivers(last.Receivers, receivers) && SameKinds(last.Lookups, kinds))
                {
#if VERIFY_CATALOG
                    var again = Classify(method, syntax, receivers, kinds, api, lookups: null);
                    if (again?.Kind != last.Wrapper?.Kind || again?.KeyOrdinal != last.Wrapper?.KeyOrdinal)
                        throw new System.InvalidOperationException("VERIFY_CATALOG: held-wrapper memo differs for " + method.ToDisplayString());
#endif
                    return last.Wrapper;
                }
                var lookups = new List<((ITypeSymbol, string) Key, CacheOperationKind? Kind)>();
                var classified = Classify(method, syntax, receivers, kinds, api, lookups);
                heldWrapper[method] = (receivers, lookups, classified);
                return classified;
            }
            // The type's receiver names, the same for each of its methods: joined once per type and layer.
            signature ??= string.Join(",", receivers.Keys.OrderBy(k => k, System.StringComparer.Ordinal));
            if (settled.TryGetValue(method, out var known) && known.Receivers == signature)
                return known.Wrapper;
            var found = Classify(method, syntax, receivers, kinds, api, lookups: null);
            settled[method] = (signature, found);
            return found;
        }

        // The receiver type of an extension method, bound alone from its syntax: Parameters binds the whole
        // signature, and most extension methods of a candidate class extend something else (FusionCache's 265
        // GetOrSet overloads over IFusionCache, a wrapper interface, so their class is a candidate from layer 2 on).
        bool ExtendsCacheType(IMethodSymbol method)
        {
            var references = method.DeclaringSyntaxReferences;
            if (references.Length != 1
                || references[0].GetSyntax() is not MethodDeclarationSyntax { ParameterList.Parameters: { Count: > 0 } parameters }
                || parameters[0].Type is not { } receiverSyntax)
            {
                return method.Parameters.Length > 0 && isCacheType(method.Parameters[0].Type);
            }
            // A keyword type, an array, a tuple or a pointer is no cache API.
            if (receiverSyntax is PredefinedTypeSyntax or ArrayTypeSyntax or TupleTypeSyntax or PointerTypeSyntax or FunctionPointerTypeSyntax)
                return Checked(false);
#pragma warning disable RS1030 // the driver's semantic models are cached per tree: one type of a signature bound, no body
            var receiverType = api.Compilation.GetSemanticModel(receiverSyntax.SyntaxTree).GetTypeInfo(receiverSyntax).Type;
#pragma warning restore RS1030
            return Checked(receiverType is not null && isCacheType(receiverType));

            bool Checked(bool extendsCache)
            {
#if VERIFY_CATALOG
                if (extendsCache != (method.Parameters.Length > 0 && isCacheType(method.Parameters[0].Type)))
                    throw new System.InvalidOperationException("VERIFY_CATALOG: ExtendsCacheType differs for " + method.ToDisplayString());
#endif
                return extendsCache;
            }
        }

        static bool MentionsAny(string[] mentioned, HashSet<string> names)
        {
            foreach (var name in mentioned)
            {
                if (names.Contains(name))
                    return true;
            }
            return false;
        }

        static bool SameReceivers(Dictionary<string, ITypeSymbol?> before, Dictionary<string, ITypeSymbol?> now)
        {
            if (before.Count != now.Count)
                return false;
            foreach (var pair in before)
            {
                if (!now.TryGetValue(pair.Key, out var type) || !SymbolEqualityComparer.Default.Equals(type, pair.Value))
                    return false;
            }
            return true;
        }

        static bool SameKinds(List<((ITypeSymbol, string) Key, CacheOperationKind? Kind)> lookups, Dictionary<(ITypeSymbol, string), CacheOperationKind?> kinds)
        {
            foreach (var (key, kind) in lookups)
            {
                if ((kinds.TryGetValue(key, out var now) ? now : null) != kind)
                    return false;
            }
            return true;
        }

        static bool HoldsWrapper(Dictionary<string, ITypeSymbol?> receivers)
        {
            foreach (var value in receivers.Values)
            {
                if (value is not null)
                    return true;
            }
            return false;
        }
    }

    /// <summary>(type, method name) → what every classified method of that name on that type does; absent when they disagree.</summary>
    private static Dictionary<(ITypeSymbol, string), CacheOperationKind?> KindsByName(Dictionary<IMethodSymbol, WrapperMethod> methods)
    {
        var kinds = new Dictionary<(ITypeSymbol, string), CacheOperationKind?>(new TypeNameComparer());
        foreach (var pair in methods)
        {
            var key = ((ITypeSymbol)pair.Key.ContainingType.OriginalDefinition, pair.Key.Name);
            kinds[key] = kinds.TryGetValue(key, out var existing) && existing != pair.Value.Kind ? null : pair.Value.Kind;
        }
        return kinds;
    }

    private sealed class TypeNameComparer : IEqualityComparer<(ITypeSymbol Type, string Name)>
    {
        public bool Equals((ITypeSymbol Type, string Name) x, (ITypeSymbol Type, string Name) y) =>
            SymbolEqualityComparer.Default.Equals(x.Type, y.Type) && string.Equals(x.Name, y.Name, System.StringComparison.Ordinal);

        public int GetHashCode((ITypeSymbol Type, string Name) obj) =>
            SymbolEqualityComparer.Default.GetHashCode(obj.Type) ^ System.StringComparer.Ordinal.GetHashCode(obj.Name);
    }

    /// <summary>
    /// Every class, struct and record declaration of the compilation with the simple type names its members are
    /// declared with (those that declare any), in document order, outer types before the types nested in them.
    /// </summary>
    private static List<(TypeDeclarationSyntax Declaration, string[] Names)> TypeDeclarations(Compilation compilation, List<(SyntaxTree, string)> methodDeclarations)
    {
        var found = new List<(TypeDeclarationSyntax, string[])>();
        // One set reused for every declaration: most declare members (DTOs, entities), and only their names are kept.
        var mentioned = new HashSet<string>(System.StringComparer.Ordinal);
        foreach (var tree in compilation.SyntaxTrees)
        {
            if (tree.GetRoot() is CompilationUnitSyntax unit)
                Visit(unit.Members, tree);
        }
        return found;

        // Namespaces and types only: the members' bodies are never entered.
        void Visit(SyntaxList<MemberDeclarationSyntax> members, SyntaxTree tree)
        {
            foreach (var member in members)
            {
                switch (member)
                {
                    case BaseNamespaceDeclarationSyntax ns:
                        Visit(ns.Members, tree);
                        break;
                    case MethodDeclarationSyntax declaredMethod:
                        methodDeclarations.Add((tree, declaredMethod.Identifier.ValueText));
                        break;
                    case TypeDeclarationSyntax declaration:
                        if (declaration is ClassDeclarationSyntax or StructDeclarationSyntax or RecordDeclarationSyntax)
                        {
                            AddMemberTypeNames(declaration, mentioned);
                            if (mentioned.Count > 0)
                            {
                                found.Add((declaration, mentioned.ToArray()));
                                mentioned.Clear();
                            }
                        }
                        Visit(declaration.Members, tree);
                        break;
                }
            }
        }
    }

    /// <summary>The names the types of a declaration's fields, properties, constructor parameters and extension receivers are written with.</summary>
    private static void AddMemberTypeNames(TypeDeclarationSyntax declaration, HashSet<string> mentioned)
    {
        if (declaration.ParameterList is { } primary)
        {
            foreach (var parameter in primary.Parameters)
                AddName(parameter.Type, mentioned);
        }
        foreach (var member in declaration.Members)
        {
            switch (member)
            {
                case BaseFieldDeclarationSyntax field:
                    AddName(field.Declaration.Type, mentioned);
                    break;
                case PropertyDeclarationSyntax property:
                    AddName(property.Type, mentioned);
                    break;
                case ConstructorDeclarationSyntax constructor:
                    foreach (var parameter in constructor.ParameterList.Parameters)
                        AddName(parameter.Type, mentioned);
                    break;
                case MethodDeclarationSyntax method when method.ParameterList.Parameters.Count > 0
                    && method.ParameterList.Parameters[0].Modifiers.Any(SyntaxKind.ThisKeyword):
                    AddName(method.ParameterList.Parameters[0].Type, mentioned);
                    break;
            }
        }
    }

    /// <summary>The simple name a type is written with: <c>IDatabase</c> for <c>StackExchange.Redis.IDatabase?</c>, <c>Lazy&lt;IDatabase&gt;</c> adds both.</summary>
    private static void AddName(TypeSyntax? type, HashSet<string> names)
    {
        switch (type)
        {
            case null:
                return;
            case IdentifierNameSyntax identifier:
                names.Add(identifier.Identifier.ValueText);
                return;
            case GenericNameSyntax generic:
                names.Add(generic.Identifier.ValueText);
                foreach (var argument in generic.TypeArgumentList.Arguments)
                    AddName(argument, names);
                return;
            case QualifiedNameSyntax qualified:
                AddName(qualified.Right, names);
                return;
            case AliasQualifiedNameSyntax alias:
                AddName(alias.Name, names);
                return;
            case NullableTypeSyntax nullable:
                AddName(nullable.ElementType, names);
                return;
        }
    }

    /// <summary>
    /// The names through which the type can reach something (fields, properties, constructor parameters,
    /// in declaration order) with their types, and whether that type is a cache API: read once per type,
    /// whatever the layer.
    /// </summary>
    private static List<(string Name, ITypeSymbol Type, bool IsCache)> MembersOf(INamedTypeSymbol type, System.Func<ITypeSymbol, bool> isCacheType)
    {
        var members = new List<(string, ITypeSymbol, bool)>();
        foreach (var member in type.GetMembers())
        {
            switch (member)
            {
                // An auto-property's backing field: no code names it (the property, listed too, is how it is reached).
                case IFieldSymbol { IsImplicitlyDeclared: true }:
                    break;
                case IFieldSymbol field:
                    members.Add((field.Name, field.Type, isCacheType(field.Type)));
                    break;
                case IPropertySymbol property:
                    members.Add((property.Name, property.Type, isCacheType(property.Type)));
                    break;
                case IMethodSymbol { MethodKind: MethodKind.Constructor } constructor:
                    foreach (var parameter in constructor.Parameters)
                        members.Add((parameter.Name, parameter.Type, isCacheType(parameter.Type))); // primary constructor parameters are captured by name
                    break;
            }
        }
        return members;
    }

    /// <summary>
    /// Names through which the type reaches a cache (fields, properties, constructor parameters),
    /// each with the wrapper type it holds, or null for a cache API itself.
    /// </summary>
    private static Dictionary<string, ITypeSymbol?> CacheMembers(List<(string Name, ITypeSymbol Type, bool IsCache)> members, HashSet<ITypeSymbol> wrapperTypes)
    {
        var names = new Dictionary<string, ITypeSymbol?>(System.StringComparer.Ordinal);
        foreach (var (name, memberType, isCache) in members)
        {
            if (isCache)
                names[name] = null;
            else if (wrapperTypes.Count > 0 && wrapperTypes.Contains(memberType.OriginalDefinition) && !names.ContainsKey(name))
                names[name] = memberType.OriginalDefinition;
        }
        return names;
    }

    private static bool IsCacheType(ITypeSymbol type, CacheApi api) =>
        OperationFacts.IsOrInherits(type, api.RedisDatabaseAsync)
        || OperationFacts.IsOrInherits(type, api.RedisConnection)
        || OperationFacts.IsOrInherits(type, api.DistributedCache)
        || OperationFacts.IsOrInherits(type, api.MemoryCache)
        || OperationFacts.IsOrInherits(type, api.HybridCache);

    /// <summary>
    /// What <see cref="Classify"/> reads of a method's syntax: its body, the member calls and the initialized
    /// locals in it (each in source order). Read once per method, whichever layer asks again.
    /// </summary>
    private sealed class MethodSyntax
    {
        public static readonly MethodSyntax None = new(null, new List<VariableDeclaratorSyntax>(), new List<(InvocationExpressionSyntax, MemberAccessExpressionSyntax)>());

        private int _keyOrdinal = int.MinValue;

        private MethodSyntax(SyntaxNode? body, List<VariableDeclaratorSyntax> declarators, List<(InvocationExpressionSyntax Call, MemberAccessExpressionSyntax Access)> calls)
        {
            Body = body;
            Declarators = declarators;
            Calls = calls;
        }

        /// <summary>The block or expression body; null when the method has none or more than one declaration.</summary>
        public SyntaxNode? Body { get; }

        /// <summary>Locals declared with an initializer.</summary>
        public List<VariableDeclaratorSyntax> Declarators { get; }

        /// <summary>Calls of a member (<c>x.Get(...)</c>, <c>this._cache.Set(...)</c>), with their member access.</summary>
        public List<(InvocationExpressionSyntax Call, MemberAccessExpressionSyntax Access)> Calls { get; }

        /// <summary><see cref="KeyParameter"/>, bound once (it reads the parameters' types).</summary>
        public int KeyOrdinal(IMethodSymbol method, CacheApi api) =>
            _keyOrdinal == int.MinValue ? _keyOrdinal = KeyParameter(method, api) : _keyOrdinal;

        public static MethodSyntax Of(IMethodSymbol method)
        {
            if (method.DeclaringSyntaxReferences.Length != 1
                || method.DeclaringSyntaxReferences[0].GetSyntax() is not MethodDeclarationSyntax declaration
                || ((SyntaxNode?)declaration.Body ?? declaration.ExpressionBody) is not { } body
                || !MayTakeKey(declaration.ParameterList))
            {
                return None;
            }
            // One walk of the body for both lists.
            var declarators = new List<VariableDeclaratorSyntax>();
            var calls = new List<(InvocationExpressionSyntax, MemberAccessExpressionSyntax)>();
            foreach (var node in body.DescendantNodes())
            {
                if (node is VariableDeclaratorSyntax { Initializer: not null } declarator)
                    declarators.Add(declarator);
                else if (node is InvocationExpressionSyntax { Expression: MemberAccessExpressionSyntax access } call)
                    calls.Add((call, access));
            }
            return new MethodSyntax(body, declarators, calls);
        }
    }

    /// <summary>
    /// Could <see cref="KeyParameter"/> find a key among these parameters? Not when there are none, or when each
    /// is written with a keyword type other than <c>string</c> (a key is a string or a RedisKey): such a method is
    /// no wrapper, so its body is not read.
    /// </summary>
    private static bool MayTakeKey(ParameterListSyntax parameters)
    {
        foreach (var parameter in parameters.Parameters)
        {
            if (parameter.Type is not PredefinedTypeSyntax predefined || predefined.Keyword.IsKind(SyntaxKind.StringKeyword))
                return true;
        }
        return false;
    }

    /// <summary>
    /// What <paramref name="method"/> does as a wrapper, or null. Each lookup of <paramref name="wrapperKinds"/>
    /// goes into <paramref name="lookups"/> (when given) with what it found: with the same receivers and the same
    /// answers to those lookups, the answer is the same.
    /// </summary>
    private static WrapperMethod? Classify(IMethodSymbol method, MethodSyntax syntax, Dictionary<string, ITypeSymbol?> typeReceivers, Dictionary<(ITypeSymbol, string), CacheOperationKind?> wrapperKinds, CacheApi api,
        List<((ITypeSymbol, string) Key, CacheOperationKind? Kind)>? lookups)
    {
        if (syntax.Body is not { } body)
            return null;
        var declarators = syntax.Declarators;
        var invocations = syntax.Calls;
        // Most methods of a type holding a cache make no call a wrapper is made of: told from the syntax
        // alone, before the method's parameters are bound (the answer would be null anyway).
        if (!AnyWrapperCall(invocations, typeReceivers))
            return null;
        var keyOrdinal = syntax.KeyOrdinal(method, api);
        if (keyOrdinal < 0)
            return null;

        var receivers = new HashSet<string>(System.StringComparer.Ordinal);
        var wrappers = new Dictionary<string, ITypeSymbol>(System.StringComparer.Ordinal);
        foreach (var pair in typeReceivers)
        {
            if (pair.Value is null)
                receivers.Add(pair.Key);
            else
                wrappers[pair.Key] = pair.Value;
        }
        foreach (var parameter in method.Parameters)
        {
            if (IsCacheType(parameter.Type, api))
                receivers.Add(parameter.Name);
        }
        // Locals taken from the cache members: var db = _redis.GetDatabase();
        foreach (var local in declarators)
        {
            var init = local.Initializer!.Value;
            if (init is InvocationExpressionSyntax { Expression: MemberAccessExpressionSyntax { Name.Identifier.ValueText: "GetDatabase" } } getDatabase
                    && Mentions(getDatabase, receivers)
                || init is IdentifierNameSyntax or MemberAccessExpressionSyntax { Expression: ThisExpressionSyntax } && Mentions(init, receivers))
            {
                receivers.Add(local.Identifier.ValueText);
            }
        }

        bool reads = false, writes = false, deletes = false, other = false;
        foreach (var (_, access) in invocations)
        {
            // A call on a wrapper this type holds (_cacheService.GetAsync(key)): what that wrapper method does.
            if (wrappers.Count > 0 && ReceiverName(access.Expression) is { } receiverName
                && wrappers.TryGetValue(receiverName, out var wrapperType))
            {
                var key = (wrapperType, access.Name.Identifier.ValueText);
                var kind = wrapperKinds.TryGetValue(key, out var found) ? found : null;
                lookups?.Add((key, kind));
                if (kind is null)
                    continue;
                reads |= kind == CacheOperationKind.Read;
                writes |= kind == CacheOperationKind.Write;
                deletes |= kind == CacheOperationKind.Delete;
                continue;
            }
            if (!Mentions(access.Expression, receivers))
                continue;
            switch (KindOfCall(access.Name.Identifier.ValueText))
            {
                case CallKind.Read:
                    reads = true;
                    break;
                case CallKind.Write:
                    writes = true;
                    break;
                case CallKind.Delete:
                    deletes = true;
                    break;
                case CallKind.Other:
                    other = true;
                    break;
            }
        }
        if (other)
            return null;
        if (reads && !writes && !deletes)
            return method.ReturnsVoid ? null : new WrapperMethod(CacheOperationKind.Read, keyOrdinal);
        if (writes && !reads && !deletes)
            return WritesCallersValue(method, body, keyOrdinal, receivers) ? new WrapperMethod(CacheOperationKind.Write, keyOrdinal) : null;
        if (deletes && !reads && !writes)
            return new WrapperMethod(CacheOperationKind.Delete, keyOrdinal);
        return null;
    }

    private enum CallKind
    {
        None,
        Read,
        Write,
        Delete,
        Other,
    }

    /// <summary>What a call of this name on a cache API does, for <see cref="Classify"/>.</summary>
    private static CallKind KindOfCall(string name) => name switch
    {
        "StringGet" or "StringGetAsync" or "StringGetWithExpiry" or "StringGetWithExpiryAsync"
            or "HashGet" or "HashGetAsync" or "HashGetAll" or "HashGetAllAsync"
            or "GetString" or "GetStringAsync" or "Get" or "GetAsync"
            or "TryGetValue" or "TryGet" or "TryGetAsync" => CallKind.Read,
        "StringSet" or "StringSetAsync" or "HashSet" or "HashSetAsync"
            or "SetString" or "SetStringAsync" or "Set" or "SetAsync" or "CreateEntry" => CallKind.Write,
        "KeyDelete" or "KeyDeleteAsync" or "Remove" or "RemoveAsync" => CallKind.Delete,
        "GetOrCreate" or "GetOrCreateAsync" or "StringGetDelete" or "StringGetDeleteAsync"
            or "StringSetAndGet" or "StringSetAndGetAsync" => CallKind.Other,
        _ => CallKind.None,
    };

    /// <summary>
    /// Could <see cref="Classify"/> find a read, write or delete among these calls? A member call named like a
    /// cache read, write or delete, or any member call on a wrapper the type holds. False means it finds none.
    /// </summary>
    private static bool AnyWrapperCall(List<(InvocationExpressionSyntax Call, MemberAccessExpressionSyntax Access)> invocations, Dictionary<string, ITypeSymbol?> typeReceivers)
    {
        foreach (var (_, access) in invocations)
        {
            var kind = KindOfCall(access.Name.Identifier.ValueText);
            if (kind is CallKind.Read or CallKind.Write or CallKind.Delete)
                return true;
            if (ReceiverName(access.Expression) is { } receiverName && typeReceivers.TryGetValue(receiverName, out var wrapperType) && wrapperType is not null)
                return true;
        }
        return false;
    }

    /// <summary>
    /// A write wrapper stores what its caller hands in: some parameter other than the key, the expiry
    /// and the cancellation token is used outside the key arguments of the cache calls. A method that
    /// writes only what it mints itself (a token provider's <c>GenerateTokenAsync(name, userId)</c>) is not
    /// a cache write of its caller's data.
    /// </summary>
    private static bool WritesCallersValue(IMethodSymbol method, SyntaxNode body, int keyOrdinal, HashSet<string> receivers)
    {
        var candidates = new HashSet<string>(System.StringComparer.Ordinal);
        foreach (var parameter in method.Parameters)
        {
            if (parameter.Ordinal == keyOrdinal || parameter.Type.Name is "CancellationToken" or "TimeSpan" or "DateTimeOffset" or "DateTime"
                    or "When" or "CommandFlags" or "Expiration" or "DistributedCacheEntryOptions" or "MemoryCacheEntryOptions" or "HybridCacheEntryOptions"
                || (parameter.Type is INamedTypeSymbol { Name: "Nullable", TypeArguments.Length: 1 } nullable && nullable.TypeArguments[0].Name is "TimeSpan" or "DateTimeOffset" or "DateTime"))
            {
                continue;
            }
            candidates.Add(parameter.Name);
        }
        if (candidates.Count == 0)
            return true; // nothing else to tell by: keep the wrapper
        var keySpans = new List<Microsoft.CodeAnalysis.Text.TextSpan>();
        foreach (var invocation in body.DescendantNodes().OfType<InvocationExpressionSyntax>())
        {
            if (invocation.Expression is MemberAccessExpressionSyntax access && Mentions(access.Expression, receivers)
                && invocation.ArgumentList.Arguments.Count > 0)
            {
                var keyArgument = invocation.ArgumentList.Arguments[0];
                keySpans.Add(keyArgument.Span);
                // var key = $"{name}:{userId}"; cache.SetStringAsync(key, ...)
                if (keyArgument.Expression is IdentifierNameSyntax keyLocal)
                {
                    foreach (var declarator in body.DescendantNodes().OfType<VariableDeclaratorSyntax>())
                    {
                        if (declarator.Identifier.ValueText == keyLocal.Identifier.ValueText && declarator.Initializer is { } init)
                            keySpans.Add(init.Span);
                    }
                }
            }
        }
        foreach (var token in body.DescendantTokens())
        {
            if (!token.IsKind(SyntaxKind.IdentifierToken) || !candidates.Contains(token.ValueText))
                continue;
            var inKey = false;
            foreach (var span in keySpans)
            {
                if (span.Contains(token.Span))
                {
                    inKey = true;
                    break;
                }
            }
            if (!inKey)
                return true;
        }
        return false;
    }

    /// <summary>The key: a string or RedisKey parameter named like a key, or the first parameter that is not the cache.</summary>
    private static int KeyParameter(IMethodSymbol method, CacheApi api)
    {
        var first = -1;
        var sawOther = false;
        foreach (var parameter in method.Parameters)
        {
            var isKeyType = parameter.Type.SpecialType == SpecialType.System_String
                || SymbolEqualityComparer.Default.Equals(parameter.Type, api.RedisKey);
            if (isKeyType && parameter.Name.IndexOf("key", System.StringComparison.OrdinalIgnoreCase) >= 0)
                return parameter.Ordinal;
            if (isKeyType && first < 0 && !sawOther)
                first = parameter.Ordinal;
            if (!IsCacheType(parameter.Type, api))
                sawOther = true;
        }
        return first;
    }

    /// <summary><c>_cache</c> or <c>this._cache</c>.</summary>
    private static string? ReceiverName(ExpressionSyntax expression) => expression switch
    {
        IdentifierNameSyntax identifier => identifier.Identifier.ValueText,
        MemberAccessExpressionSyntax { Expression: ThisExpressionSyntax, Name: IdentifierNameSyntax name } => name.Identifier.ValueText,
        _ => null,
    };

    /// <summary>Does <paramref name="node"/> hold an identifier token whose value is one of <paramref name="names"/>?</summary>
    internal static bool Mentions(SyntaxNode node, HashSet<string> names)
    {
        foreach (var token in node.DescendantTokens())
        {
            if (token.IsKind(SyntaxKind.IdentifierToken) && names.Contains(token.ValueText))
                return true;
        }
        return false;
    }
}
