using System.Linq;
using System.Threading;
using Microsoft.CodeAnalysis;
using Microsoft.CodeAnalysis.CSharp;
using Microsoft.CodeAnalysis.CSharp.Syntax;

namespace CacheGuard.CodeFixes;

/// <summary>
/// CG0001 on an expiry inside a stored entry-options object (<c>static readonly HybridCacheEntryOptions
/// Options = new() { Expiration = ... }</c>): jittering the expiry where it stands would run once per
/// process (or per instance) and every entry written with the shared object would still expire
/// together. Such a field is turned into a get-only property that builds the options on each use
/// (<c>static HybridCacheEntryOptions Options =&gt; new() { Expiration = CacheTtl.Jitter(...) };</c>),
/// when that is provably the same program otherwise: a private field (or get-only auto-property) whose
/// initializer is made only of constants, and whose every use hands it to a cache API call.
/// Anything else stored (a constructor assignment, a mutable or public field, another use) gets no fix.
/// </summary>
internal static class SharedEntryOptions
{
    internal enum Placement
    {
        /// <summary>The expiry is evaluated for each write (a call argument, a local, an expression-bodied member).</summary>
        PerUse,

        /// <summary>Stored once, and the field/property can become a per-use property (<see cref="Member"/>).</summary>
        Convertible,

        /// <summary>Stored once, and no faithful per-use rewrite is known: offer no fix.</summary>
        NotFixable,
    }

    internal readonly struct Result
    {
        public Result(Placement placement, MemberDeclarationSyntax? member)
        {
            Kind = placement;
            Member = member;
        }

        public Placement Kind { get; }

        /// <summary>The field or property declaration to convert (<see cref="Placement.Convertible"/> only).</summary>
        public MemberDeclarationSyntax? Member { get; }
    }

    private static readonly string[] OptionTypes =
    {
        "Microsoft.Extensions.Caching.Hybrid.HybridCacheEntryOptions",
        "Microsoft.Extensions.Caching.Distributed.DistributedCacheEntryOptions",
        "Microsoft.Extensions.Caching.Memory.MemoryCacheEntryOptions",
    };

    public static Result Classify(ExpressionSyntax expiry, SemanticModel model, CancellationToken ct)
    {
        for (SyntaxNode? node = expiry.Parent; node is not null; node = node.Parent)
        {
            switch (node)
            {
                case AnonymousFunctionExpressionSyntax or LocalFunctionStatementSyntax or ArrowExpressionClauseSyntax:
                    // Evaluated per call of the function, unless the function stores the options somewhere:
                    // AddHybridCache(o => o.DefaultEntryOptions = new() { Expiration = ... }) runs once per process.
                    return StoredByAssignment(expiry, node, model, ct)
                        ? new Result(Placement.NotFixable, null)
                        : new Result(Placement.PerUse, null);
                case StatementSyntax statement:
                    // Inside a constructor, or stored into a field/property by an assignment: once per instance.
                    if (statement.FirstAncestorOrSelf<ConstructorDeclarationSyntax>() is not null)
                        return new Result(Placement.NotFixable, null);
                    if (StoredByAssignment(expiry, statement, model, ct))
                        return new Result(Placement.NotFixable, null);
                    return new Result(Placement.PerUse, null);
                case EqualsValueClauseSyntax { Parent: VariableDeclaratorSyntax { Parent: VariableDeclarationSyntax { Parent: FieldDeclarationSyntax field } } declarator } equals:
                    return ConvertibleField(field, declarator, equals.Value, model, ct)
                        ? new Result(Placement.Convertible, field)
                        : new Result(Placement.NotFixable, null);
                case EqualsValueClauseSyntax { Parent: PropertyDeclarationSyntax property } equals:
                    return ConvertibleProperty(property, equals.Value, model, ct)
                        ? new Result(Placement.Convertible, property)
                        : new Result(Placement.NotFixable, null);
                case MemberDeclarationSyntax:
                    return new Result(Placement.NotFixable, null);
            }
        }
        return new Result(Placement.NotFixable, null);
    }

    /// <summary>
    /// The declaration rewritten into a per-use property, its initializer taken from <paramref name="newValue"/>
    /// (the original initializer with the expiry jittered).
    /// </summary>
    public static MemberDeclarationSyntax ToProperty(MemberDeclarationSyntax member, ExpressionSyntax newValue)
    {
        switch (member)
        {
            case FieldDeclarationSyntax field:
            {
                var declarator = field.Declaration.Variables[0];
                var equals = declarator.Initializer!.EqualsToken;
                var modifiers = RemoveReadonly(field.Modifiers, out var leading);
                var type = field.Declaration.Type;
                if (leading is { } l)
                    type = type.WithLeadingTrivia(l.AddRange(type.GetLeadingTrivia()));
                return SyntaxFactory.PropertyDeclaration(
                        field.AttributeLists, modifiers, type, explicitInterfaceSpecifier: null, declarator.Identifier, accessorList: null,
                        SyntaxFactory.ArrowExpressionClause(SyntaxFactory.Token(equals.LeadingTrivia, SyntaxKind.EqualsGreaterThanToken, equals.TrailingTrivia), newValue),
                        initializer: null, field.SemicolonToken);
            }
            case PropertyDeclarationSyntax property:
            {
                var equals = property.Initializer!.EqualsToken;
                // `{ get; } = value;` → `=> value;` (the accessor list's trailing space moves to the arrow).
                var identifier = property.Identifier.WithTrailingTrivia(property.AccessorList!.GetTrailingTrivia());
                return property
                    .WithIdentifier(identifier)
                    .WithAccessorList(null)
                    .WithInitializer(null)
                    .WithExpressionBody(SyntaxFactory.ArrowExpressionClause(SyntaxFactory.Token(equals.LeadingTrivia, SyntaxKind.EqualsGreaterThanToken, equals.TrailingTrivia), newValue))
                    .WithSemicolonToken(property.SemicolonToken);
            }
            default:
                return member;
        }
    }

    /// <summary>The initializer expression of a convertible member.</summary>
    public static ExpressionSyntax? InitializerOf(MemberDeclarationSyntax member) => member switch
    {
        FieldDeclarationSyntax field => field.Declaration.Variables[0].Initializer?.Value,
        PropertyDeclarationSyntax property => property.Initializer?.Value,
        _ => null,
    };

    private static SyntaxTokenList RemoveReadonly(SyntaxTokenList modifiers, out SyntaxTriviaList? leading)
    {
        leading = null;
        var index = modifiers.IndexOf(SyntaxKind.ReadOnlyKeyword);
        if (index < 0)
            return modifiers;
        var removed = modifiers[index];
        var result = modifiers.RemoveAt(index);
        if (index == 0)
        {
            if (result.Count > 0)
                result = result.Replace(result[0], result[0].WithLeadingTrivia(removed.LeadingTrivia.AddRange(result[0].LeadingTrivia)));
            else
                leading = removed.LeadingTrivia;
        }
        return result;
    }

    private static bool StoredByAssignment(ExpressionSyntax expiry, SyntaxNode stop, SemanticModel model, CancellationToken ct)
    {
        // The expiry's options object (its creation, or the fluent chain on it) assigned to a field or property:
        // `_options = new() { ... }`, `o.DefaultEntryOptions = new() { ... }`, or, inside an object initializer,
        // to a member typed as entry options (`new HybridCacheOptions { DefaultEntryOptions = new() { ... } }`).
        for (SyntaxNode? node = expiry.Parent; node is not null && node != stop; node = node.Parent)
        {
            if (node is AssignmentExpressionSyntax { RawKind: (int)SyntaxKind.SimpleAssignmentExpression or (int)SyntaxKind.CoalesceAssignmentExpression } assignment
                && assignment.Right.Span != expiry.Span // the expiry assignment itself (options.X = ttl)
                && !assignment.Left.Span.Contains(expiry.Span)
                && model.GetSymbolInfo(assignment.Left, ct).Symbol is { } target and (IFieldSymbol or IPropertySymbol)
                && (assignment.Parent is not InitializerExpressionSyntax
                    || IsOptionsType((target is IFieldSymbol field ? field.Type : ((IPropertySymbol)target).Type).WithNullableAnnotation(NullableAnnotation.None))))
            {
                return true;
            }
        }
        return false;
    }

    private static bool ConvertibleField(FieldDeclarationSyntax field, VariableDeclaratorSyntax declarator, ExpressionSyntax value, SemanticModel model, CancellationToken ct)
    {
        if (field.Declaration.Variables.Count != 1 || field.AttributeLists.Count > 0
            || !field.Modifiers.Any(SyntaxKind.ReadOnlyKeyword)
            || field.Modifiers.Any(m => m.IsKind(SyntaxKind.PublicKeyword) || m.IsKind(SyntaxKind.InternalKeyword) || m.IsKind(SyntaxKind.ProtectedKeyword)
                                        || m.IsKind(SyntaxKind.VolatileKeyword) || m.IsKind(SyntaxKind.ConstKeyword) || m.IsKind(SyntaxKind.NewKeyword)
                                        || m.IsKind(SyntaxKind.FixedKeyword) || m.IsKind(SyntaxKind.UnsafeKeyword))
            || field.Parent is not (ClassDeclarationSyntax or RecordDeclarationSyntax { ClassOrStructKeyword.RawKind: not (int)SyntaxKind.StructKeyword }))
        {
            return false;
        }
        return model.GetDeclaredSymbol(declarator, ct) is IFieldSymbol { DeclaredAccessibility: Accessibility.Private } symbol
               && IsOptionsType(symbol.Type)
               && ConstantInitializer(value, symbol.Type, model, ct)
               && EveryUseIsACacheCall(symbol, field.Parent!, model, ct);
    }

    private static bool ConvertibleProperty(PropertyDeclarationSyntax property, ExpressionSyntax value, SemanticModel model, CancellationToken ct)
    {
        if (property.AttributeLists.Count > 0 || property.ExplicitInterfaceSpecifier is not null
            || property.AccessorList is not { Accessors: { Count: 1 } accessors }
            || accessors[0] is not { RawKind: (int)SyntaxKind.GetAccessorDeclaration, Body: null, ExpressionBody: null, AttributeLists.Count: 0, Modifiers.Count: 0 }
            || property.Modifiers.Any(m => m.IsKind(SyntaxKind.PublicKeyword) || m.IsKind(SyntaxKind.InternalKeyword) || m.IsKind(SyntaxKind.ProtectedKeyword)
                                           || m.IsKind(SyntaxKind.VirtualKeyword) || m.IsKind(SyntaxKind.OverrideKeyword) || m.IsKind(SyntaxKind.AbstractKeyword)
                                           || m.IsKind(SyntaxKind.NewKeyword))
            || property.Parent is not (ClassDeclarationSyntax or RecordDeclarationSyntax { ClassOrStructKeyword.RawKind: not (int)SyntaxKind.StructKeyword }))
        {
            return false;
        }
        return model.GetDeclaredSymbol(property, ct) is IPropertySymbol { DeclaredAccessibility: Accessibility.Private } symbol
               && IsOptionsType(symbol.Type)
               && ConstantInitializer(value, symbol.Type, model, ct)
               && EveryUseIsACacheCall(symbol, property.Parent!, model, ct);
    }

    private static bool IsOptionsType(ITypeSymbol type) => OptionTypes.Contains(type.ToDisplayString());

    /// <summary>
    /// The initializer gives the same object on every evaluation: an options creation whose member
    /// assignments and fluent <c>Set…</c> calls use only literals, constants, enum members, static
    /// readonly TimeSpan fields, <c>TimeSpan</c> factories and arithmetic.
    /// </summary>
    private static bool ConstantInitializer(ExpressionSyntax value, ITypeSymbol optionsType, SemanticModel model, CancellationToken ct)
    {
        foreach (var node in value.DescendantNodesAndSelf())
        {
            switch (node)
            {
                case ObjectCreationExpressionSyntax or ImplicitObjectCreationExpressionSyntax:
                {
                    var created = model.GetTypeInfo(node, ct).Type;
                    if (created is null || !(SymbolEqualityComparer.Default.Equals(created, optionsType) || created.ToDisplayString() == "System.TimeSpan"))
                        return false;
                    if (node is ObjectCreationExpressionSyntax { Initializer: { } init } && init.IsKind(SyntaxKind.CollectionInitializerExpression))
                        return false;
                    break;
                }
                case InitializerExpressionSyntax init:
                    if (!init.IsKind(SyntaxKind.ObjectInitializerExpression))
                        return false;
                    break;
                case AssignmentExpressionSyntax assignment:
                    if (!assignment.IsKind(SyntaxKind.SimpleAssignmentExpression) || assignment.Parent is not InitializerExpressionSyntax
                        || model.GetSymbolInfo(assignment.Left, ct).Symbol is not IPropertySymbol { ContainingType: var owner }
                        || !SymbolEqualityComparer.Default.Equals(owner, optionsType))
                    {
                        return false;
                    }
                    break;
                case InvocationExpressionSyntax invocation:
                    if (model.GetSymbolInfo(invocation, ct).Symbol is not IMethodSymbol method)
                        return false;
                    var owner2 = method.ContainingType?.ToDisplayString();
                    var fluent = method.Name is "SetAbsoluteExpiration" or "SetSlidingExpiration" or "SetPriority" or "SetSize"
                                 && owner2 is "Microsoft.Extensions.Caching.Distributed.DistributedCacheEntryExtensions" or "Microsoft.Extensions.Caching.Memory.MemoryCacheEntryExtensions"
                                 && method.Parameters.All(p => p.Type.ToDisplayString() is not "System.DateTimeOffset");
                    var timeSpanFactory = method.IsStatic && owner2 == "System.TimeSpan" && method.Name.StartsWith("From", System.StringComparison.Ordinal);
                    if (!fluent && !timeSpanFactory)
                        return false;
                    break;
                case IdentifierNameSyntax identifier:
                {
                    var symbol = model.GetSymbolInfo(identifier, ct).Symbol;
                    var ok = symbol switch
                    {
                        null => false,
                        IFieldSymbol { IsConst: true } => true,
                        IFieldSymbol { IsStatic: true, IsReadOnly: true, Type: var t } => t.ToDisplayString() is "System.TimeSpan" or "System.TimeSpan?",
                        IPropertySymbol p => SymbolEqualityComparer.Default.Equals(p.ContainingType, optionsType) && identifier.Parent is AssignmentExpressionSyntax a && a.Left == identifier,
                        INamedTypeSymbol or INamespaceSymbol => true,
                        IMethodSymbol => true, // checked at the invocation
                        _ => false,
                    };
                    if (!ok)
                        return false;
                    break;
                }
                case LiteralExpressionSyntax or PredefinedTypeSyntax or QualifiedNameSyntax or ArgumentListSyntax or ArgumentSyntax
                    or MemberAccessExpressionSyntax or ParenthesizedExpressionSyntax or CastExpressionSyntax or GenericNameSyntax or TypeArgumentListSyntax:
                    break;
                case BinaryExpressionSyntax binary:
                    if (binary.IsKind(SyntaxKind.CoalesceExpression) || binary.IsKind(SyntaxKind.AsExpression) || binary.IsKind(SyntaxKind.IsExpression))
                        return false;
                    break;
                case PrefixUnaryExpressionSyntax prefix:
                    if (!prefix.IsKind(SyntaxKind.UnaryMinusExpression) && !prefix.IsKind(SyntaxKind.UnaryPlusExpression))
                        return false;
                    break;
                default:
                    return false;
            }
        }
        return true;
    }

    /// <summary>Every reference to <paramref name="symbol"/> in its type is a by-value argument of a cache API call.</summary>
    private static bool EveryUseIsACacheCall(ISymbol symbol, SyntaxNode type, SemanticModel model, CancellationToken ct)
    {
        // A private member of a partial type can be used from its other parts: then look no further.
        if (symbol.ContainingType.DeclaringSyntaxReferences.Length != 1)
            return false;
        foreach (var identifier in type.DescendantNodes().OfType<IdentifierNameSyntax>())
        {
            if (identifier.Identifier.ValueText != symbol.Name)
                continue;
            if (!SymbolEqualityComparer.Default.Equals(model.GetSymbolInfo(identifier, ct).Symbol, symbol))
                continue;
            ExpressionSyntax use = identifier;
            if (use.Parent is MemberAccessExpressionSyntax { Name: var name } access && name == identifier
                && access.Expression is ThisExpressionSyntax or IdentifierNameSyntax or QualifiedNameSyntax or MemberAccessExpressionSyntax)
            {
                use = access;
            }
            if (use.Parent is not ArgumentSyntax { RefKindKeyword.RawKind: (int)SyntaxKind.None } argument
                || argument.Parent?.Parent is not InvocationExpressionSyntax invocation
                || model.GetSymbolInfo(invocation, ct).Symbol is not IMethodSymbol method
                || !IsCacheApi(method))
            {
                return false;
            }
        }
        return true;
    }

    private static bool IsCacheApi(IMethodSymbol method)
    {
        var ns = method.ContainingNamespace?.ToDisplayString() ?? "";
        return ns is "Microsoft.Extensions.Caching.Distributed" or "Microsoft.Extensions.Caching.Memory" or "Microsoft.Extensions.Caching.Hybrid" or "CacheGuard";
    }
}
