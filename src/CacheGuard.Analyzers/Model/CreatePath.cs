using System;
using System.Collections.Generic;
using System.Collections.Immutable;
using Microsoft.CodeAnalysis;
using Microsoft.CodeAnalysis.CSharp.Syntax;
using Microsoft.CodeAnalysis.Operations;

namespace CacheGuard.Analyzers.Model;

/// <summary>An entity a create path writes to the database: a parameter or local of an entity type.</summary>
internal sealed class CreatedEntity
{
    public CreatedEntity(string name, ITypeSymbol type)
    {
        Name = name;
        Type = type;
    }

    /// <summary>The parameter or local that holds it (<c>author</c>).</summary>
    public string Name { get; }

    public ITypeSymbol Type { get; }
}

/// <summary>
/// A method whose name starts with a create verb (Create, Insert, Add, Register, SignUp) and that
/// writes the database: the entities it writes, the values it writes, and where an invalidation
/// of a key built from them would go.
/// </summary>
internal sealed class CreatePath
{
    private CreatePath(
        IMethodSymbol method,
        ImmutableArray<CreatedEntity> entities,
        ImmutableHashSet<string> writtenNames,
        Location? lastWriteStatement,
        string? database)
    {
        Method = method;
        Entities = entities;
        WrittenNames = writtenNames;
        LastWriteStatement = lastWriteStatement;
        Database = database;
    }

    public IMethodSymbol Method { get; }

    /// <summary>The entities written (<c>author</c> in <c>_store.CreateAsync(author)</c> or <c>db.Authors.Add(author)</c>).</summary>
    public ImmutableArray<CreatedEntity> Entities { get; }

    /// <summary>Names of the parameters, locals and members the database writes read (case-insensitive).</summary>
    public ImmutableHashSet<string> WrittenNames { get; }

    /// <summary>The statement of the last database write, when an invalidation can be placed after it.</summary>
    public Location? LastWriteStatement { get; }

    /// <summary>An <c>IDatabase</c> the method can reach (<c>_cache</c>, <c>_redis.GetDatabase()</c>), if any.</summary>
    public string? Database { get; }

    /// <summary>
    /// The <c>IDistributedCache</c> / <c>IMemoryCache</c> / <c>HybridCache</c> the method can reach (a
    /// parameter, field, property or primary-constructor parameter), by family; computed on first use
    /// (only a create path that misses an invalidation needs it, for the fix).
    /// </summary>
    public string? CacheOf(CacheFamily family, CacheApi api)
    {
        var type = family switch
        {
            CacheFamily.DistributedCache => api.DistributedCache,
            CacheFamily.MemoryCache => api.MemoryCache,
            CacheFamily.HybridCache => api.HybridCache,
            _ => null,
        };
        return type is null ? null : FindMember(Method, t => OperationFacts.IsOrInherits(t, type));
    }

    /// <summary>True when <paramref name="name"/> starts with one of the verbs as a word (<c>CreateAsync</c>, not <c>Address</c>).</summary>
    public static bool HasCreateVerb(string name, ImmutableArray<string> verbs)
    {
        foreach (var verb in verbs)
        {
            // The first character rejects most names before a string comparison (called for every body).
            if (verb.Length > 0 && (name.Length == 0 || name[0] != verb[0]))
                continue;
            if (name.Length >= verb.Length
                && name.StartsWith(verb, StringComparison.Ordinal)
                && (name.Length == verb.Length || char.IsUpper(name[verb.Length]) || name[verb.Length] == '_'))
            {
                return true;
            }
        }
        return false;
    }

    public static CreatePath? TryCreate(IMethodSymbol method, ImmutableArray<IOperation> blocks, MethodCacheFacts facts, CacheApi api, ImmutableArray<string> createVerbs)
    {
        if (method.MethodKind != MethodKind.Ordinary || !HasCreateVerb(method.Name, createVerbs) || facts.DatabaseWrites.IsEmpty)
            return null;

        var entities = new List<CreatedEntity>();
        var names = ImmutableHashSet.CreateBuilder<string>(StringComparer.OrdinalIgnoreCase);
        // Only inserts create: an update, delete or unrelated statement in a method named AddRole is no create.
        var written = new List<IInvocationOperation>();
        foreach (var write in facts.DatabaseWrites)
        {
            if (IsInsert(write))
                written.Add(write.Invocation);
        }

        // EF Core: db.Authors.Add(author), saved by the SaveChanges that made this a database write.
        foreach (var block in blocks)
        {
            foreach (var operation in block.Descendants())
            {
                if (operation is IInvocationOperation { TargetMethod.Name: "Add" or "AddAsync" or "AddRange" or "AddRangeAsync" } add
                    && add.Instance?.Type is { } receiver
                    && (OperationFacts.IsOrInherits(receiver, api.DbSet) || OperationFacts.IsOrInherits(receiver, api.DbContext)))
                {
                    written.Add(add);
                }
            }
        }
        if (written.Count == 0)
            return null;

        foreach (var invocation in written)
        {
            foreach (var argument in invocation.Arguments)
            {
                // The entity itself is passed (not merely read from, as in new Friendship(user.Id, ...)).
                var direct = OperationFacts.Unwrap(argument.Value);
                if (direct is IParameterReferenceOperation p)
                    AddEntity(p.Parameter.Name, p.Parameter.Type);
                else if (direct is ILocalReferenceOperation l)
                    AddEntity(l.Local.Name, l.Local.Type);

                foreach (var operation in argument.Value.DescendantsAndSelf())
                {
                    switch (operation)
                    {
                        case IParameterReferenceOperation parameter:
                            names.Add(parameter.Parameter.Name);
                            break;
                        case ILocalReferenceOperation local:
                            names.Add(local.Local.Name);
                            break;
                        case IPropertyReferenceOperation property:
                            names.Add(property.Property.Name);
                            break;
                        case IFieldReferenceOperation field:
                            names.Add(field.Field.Name);
                            break;
                    }
                }
            }
        }

        return new CreatePath(method, entities.ToImmutableArray(), names.ToImmutable(), InsertionPoint(facts), FindDatabase(method, api));

        void AddEntity(string name, ITypeSymbol type)
        {
            if (NegativeCacheWrites.EntityTypeOf(type) is not { } entity)
                return;
            foreach (var existing in entities)
            {
                if (existing.Name == name)
                    return;
            }
            entities.Add(new CreatedEntity(name, entity));
        }
    }

    /// <summary>
    /// A write that can insert: a repository call with an insert-like verb, Dapper with INSERT /
    /// MERGE / upsert SQL (or SQL it can't read); not EF's SaveChanges alone (its Add calls count).
    /// </summary>
    private static bool IsInsert(DatabaseWrite write)
    {
        switch (write.Kind)
        {
            case DatabaseWriteKind.Repository:
                return write.Verb is not ("Update" or "Delete" or "Remove");
            case DatabaseWriteKind.Dapper:
                foreach (var argument in write.Invocation.Arguments)
                {
                    if (argument.Parameter?.Name == "sql")
                    {
                        if (argument.Value.ConstantValue is not { HasValue: true, Value: string sql })
                            return true;
                        return sql.IndexOf("INSERT", StringComparison.OrdinalIgnoreCase) >= 0
                            || sql.IndexOf("MERGE", StringComparison.OrdinalIgnoreCase) >= 0
                            || sql.IndexOf("UPSERT", StringComparison.OrdinalIgnoreCase) >= 0;
                    }
                }
                return true;
            default:
                return false;
        }
    }

    /// <summary>
    /// The statement holding the last database write, when it is a plain statement in a block
    /// (not a <c>return</c> or an expression body).
    /// </summary>
    private static Location? InsertionPoint(MethodCacheFacts facts)
    {
        var last = facts.DatabaseWrites[facts.DatabaseWrites.Length - 1].Invocation.Syntax;
        for (SyntaxNode? node = last; node is not null; node = node.Parent)
        {
            if (node is StatementSyntax statement)
            {
                return statement is ExpressionStatementSyntax or LocalDeclarationStatementSyntax && statement.Parent is BlockSyntax
                    ? statement.GetLocation()
                    : null;
            }
            if (node is LambdaExpressionSyntax or AnonymousMethodExpressionSyntax)
                return null;
        }
        return null;
    }

    /// <summary>A parameter, member (own, or a base type's non-private) or primary-constructor parameter of a type <paramref name="matches"/> accepts.</summary>
    private static string? FindMember(IMethodSymbol method, Func<ITypeSymbol, bool> matches)
    {
        foreach (var parameter in method.Parameters)
        {
            if (matches(parameter.Type))
                return parameter.Name;
        }
        if (FindField(method, matches) is { } member)
            return member;
        // C# 12 primary constructor parameters are in scope in every instance member.
        if (!method.IsStatic && method.ContainingType is { } containing)
        {
            foreach (var constructor in containing.InstanceConstructors)
            {
                if (constructor.DeclaringSyntaxReferences.Length == 0
                    || constructor.DeclaringSyntaxReferences[0].GetSyntax() is not TypeDeclarationSyntax)
                {
                    continue;
                }
                foreach (var parameter in constructor.Parameters)
                {
                    if (matches(parameter.Type))
                        return parameter.Name;
                }
            }
        }
        return null;
    }

    /// <summary>A field or readable property (own, or a base type's non-private) the method can use, of a type <paramref name="matches"/> accepts.</summary>
    private static string? FindField(IMethodSymbol method, Func<ITypeSymbol, bool> matches)
    {
        for (var type = method.ContainingType; type is not null; type = type.BaseType)
        {
            foreach (var member in type.GetMembers())
            {
                if (member.IsImplicitlyDeclared || (member.IsStatic == false && method.IsStatic))
                    continue;
                if (!SymbolEqualityComparer.Default.Equals(type, method.ContainingType) && member.DeclaredAccessibility == Accessibility.Private)
                    continue;
                var memberType = member switch
                {
                    IFieldSymbol f => f.Type,
                    IPropertySymbol { IsIndexer: false, GetMethod: not null } p => p.Type,
                    _ => null,
                };
                if (memberType is not null && matches(memberType))
                    return member.Name;
            }
        }
        return null;
    }

    /// <summary>
    /// The expression that reaches an <c>IDatabase</c> from the method: a parameter, field, property or
    /// primary-constructor parameter; failing those, <c>GetDatabase()</c> on an <c>IConnectionMultiplexer</c> field or property.
    /// </summary>
    private static string? FindDatabase(IMethodSymbol method, CacheApi api) =>
        FindMember(method, t => OperationFacts.IsOrInherits(t, api.RedisDatabase))
        ?? (FindField(method, t => t.Name == "IConnectionMultiplexer" && t.ContainingNamespace?.Name == "Redis") is { } multiplexer
            ? multiplexer + ".GetDatabase()"
            : null);

    /// <summary>The instance member of <paramref name="type"/> a key part named <paramref name="name"/> reads (<c>handle</c> → <c>Handle</c>, <c>userId</c> → <c>Id</c>).</summary>
    public static string? MemberFor(ITypeSymbol type, string name)
    {
        if (Member(type, name) is { } direct)
            return direct;
        if (name.Length > type.Name.Length && name.StartsWith(type.Name, StringComparison.OrdinalIgnoreCase))
            return Member(type, name.Substring(type.Name.Length));
        return null;
    }

    private static string? Member(ITypeSymbol type, string name)
    {
        for (var current = type; current is not null; current = current.BaseType)
        {
            foreach (var member in current.GetMembers())
            {
                if (member.IsStatic || member.IsImplicitlyDeclared || !string.Equals(member.Name, name, StringComparison.OrdinalIgnoreCase))
                    continue;
                if (member.DeclaredAccessibility is not (Accessibility.Public or Accessibility.Internal))
                    continue;
                if (member is IPropertySymbol { IsIndexer: false, GetMethod: not null } or IFieldSymbol)
                    return member.Name;
            }
        }
        return null;
    }
}
