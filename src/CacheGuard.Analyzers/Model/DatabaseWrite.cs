using System.Collections.Immutable;
using Microsoft.CodeAnalysis;
using Microsoft.CodeAnalysis.Operations;

namespace CacheGuard.Analyzers.Model;

/// <summary>How a call writes the database.</summary>
internal enum DatabaseWriteKind
{
    /// <summary>EF Core <c>SaveChanges(Async)</c>, <c>ExecuteUpdate(Async)</c>, <c>ExecuteDelete(Async)</c>.</summary>
    EntityFramework,
    /// <summary>Dapper <c>Execute(Async)</c>.</summary>
    Dapper,
    /// <summary>ADO.NET <c>ExecuteNonQuery(Async)</c>.</summary>
    AdoNet,
    /// <summary>A repository-like method whose name starts with a write verb.</summary>
    Repository,
}

/// <summary>A call that writes the database.</summary>
internal sealed class DatabaseWrite
{
    public DatabaseWrite(IInvocationOperation invocation, DatabaseWriteKind kind, string verb)
    {
        Invocation = invocation;
        Kind = kind;
        Verb = verb;
    }

    public IInvocationOperation Invocation { get; }
    public DatabaseWriteKind Kind { get; }

    /// <summary>The write verb the method name starts with (for repository writes), else the method name.</summary>
    public string Verb { get; }

    /// <summary>The entities the call writes: arguments whose type is a class declared in source.</summary>
    public ImmutableArray<IOperation> EntityArguments
    {
        get
        {
            var builder = ImmutableArray.CreateBuilder<IOperation>();
            foreach (var argument in Invocation.Arguments)
            {
                var value = OperationFacts.Unwrap(argument.Value);
                if (value.Type is INamedTypeSymbol { TypeKind: TypeKind.Class } type && type.Locations.Length > 0 && type.Locations[0].IsInSource)
                    builder.Add(value);
            }
            return builder.ToImmutable();
        }
    }
}

/// <summary>Recognizes database writes: EF Core, Dapper, ADO.NET and repository-like calls.</summary>
internal static class DatabaseWrites
{
    /// <summary>The default write verbs (option <c>cacheguard.write_verbs</c> replaces them).</summary>
    public static readonly ImmutableArray<string> DefaultVerbs = ImmutableArray.Create(
        "Insert", "Add", "Create", "Update", "Save", "Upsert", "Delete", "Remove", "Store", "Put", "Register", "Persist");

    public static DatabaseWrite? Recognize(IInvocationOperation invocation, CacheApi api, ImmutableArray<string> verbs)
    {
        var method = invocation.TargetMethod;
        var name = method.Name;

        if (CacheApi.IsRuntimeSymbol(method))
            return null;

        switch (name)
        {
            case "SaveChanges":
            case "SaveChangesAsync":
                if (OperationFacts.IsOrInherits(method.ContainingType, api.DbContext))
                    return new DatabaseWrite(invocation, DatabaseWriteKind.EntityFramework, name);
                break;
            case "ExecuteUpdate":
            case "ExecuteUpdateAsync":
            case "ExecuteDelete":
            case "ExecuteDeleteAsync":
                if (OperationFacts.IsNamespace(method.ContainingNamespace, "Microsoft.EntityFrameworkCore"))
                    return new DatabaseWrite(invocation, DatabaseWriteKind.EntityFramework, name);
                break;
            case "Execute":
            case "ExecuteAsync":
                if (api.DapperSqlMapper is not null && SymbolEqualityComparer.Default.Equals(method.ContainingType?.OriginalDefinition, api.DapperSqlMapper))
                    return new DatabaseWrite(invocation, DatabaseWriteKind.Dapper, name);
                break;
            case "Commit":
            case "CommitAsync":
                // The commit of an explicit transaction is when the write becomes visible.
                if (TransactionFacts.IsTransaction(method.ContainingType))
                    return new DatabaseWrite(invocation, DatabaseWriteKind.AdoNet, name);
                break;
            case "ExecuteNonQuery":
            case "ExecuteNonQueryAsync":
                if (OperationFacts.IsOrInherits(method.ContainingType, api.AdoDbCommand) || OperationFacts.IsOrInherits(method.ContainingType, api.AdoIDbCommand))
                    return new DatabaseWrite(invocation, DatabaseWriteKind.AdoNet, name);
                break;
        }

        if (IsRepositoryWrite(invocation, api, verbs, out var verb))
            return new DatabaseWrite(invocation, DatabaseWriteKind.Repository, verb);

        // A verb outside the list on the project's own repository type: _store.EditAsync(post).
        return RepositoryShapes.IsEntityWrite(invocation, out var word)
            ? new DatabaseWrite(invocation, DatabaseWriteKind.Repository, word)
            : null;
    }

    /// <summary>The verb <paramref name="name"/> starts with, as a word (<c>AddAsync</c>, not <c>Address</c>).</summary>
    public static string? LeadingVerb(string name, ImmutableArray<string> verbs)
    {
        foreach (var verb in verbs)
        {
            if (name.Length >= verb.Length
                && name.StartsWith(verb, System.StringComparison.Ordinal)
                && (name.Length == verb.Length || !char.IsLower(name[verb.Length])))
            {
                return verb;
            }
        }
        return null;
    }

    private static bool IsRepositoryWrite(IInvocationOperation invocation, CacheApi api, ImmutableArray<string> verbs, out string verb)
    {
        verb = "";
        var method = invocation.TargetMethod;
        if (LeadingVerb(method.Name, verbs) is not { } found)
            return false;

        // A call on the method's own object is the class's own helper, not a repository.
        if (invocation.Instance is null or IInstanceReferenceOperation)
            return false;

        var receiver = OperationFacts.StripNullable(invocation.Instance.Type!);
        if (receiver is null || receiver.SpecialType != SpecialType.None)
            return false;

        // Collections (List.Add, HashSet.Remove), EF's change tracker (DbSet.Add is saved by SaveChanges),
        // caches themselves, and framework types are not database writes.
        if (OperationFacts.IsOrInherits(receiver, api.IEnumerable))
            return false;
        if (IsCacheType(receiver, api) || method.Name.IndexOf("Cache", System.StringComparison.OrdinalIgnoreCase) >= 0)
            return false;
        // A factory or builder makes an object in memory (factory.Create()); so does a parameterless
        // Create()/New() that returns what it made: nothing is written anywhere.
        if (receiver.Name.EndsWith("Factory", System.StringComparison.Ordinal) || receiver.Name.EndsWith("Builder", System.StringComparison.Ordinal))
            return false;
        if (found is "Create" && BuildsInMemory(method))
            return false;
        // The display string's prefix, from its first segment (no string built per call).
        var ns = OperationFacts.OutermostNamespace(receiver.ContainingNamespace);
        if (ns.StartsWith("System", System.StringComparison.Ordinal)
            || ns.StartsWith("Microsoft", System.StringComparison.Ordinal)
            || ns.StartsWith("StackExchange", System.StringComparison.Ordinal))
        {
            return false;
        }

        verb = found;
        return true;
    }

    /// <summary>No parameters (a cancellation token aside) and a synchronous result: <c>Basket Create()</c>.</summary>
    private static bool BuildsInMemory(IMethodSymbol method)
    {
        foreach (var parameter in method.Parameters)
        {
            if (parameter.Type.Name != "CancellationToken")
                return false;
        }
        if (method.ReturnsVoid)
            return false;
        return method.ReturnType is not INamedTypeSymbol { Name: "Task" or "ValueTask" };
    }

    private static bool IsCacheType(ITypeSymbol type, CacheApi api) =>
        OperationFacts.IsOrInherits(type, api.RedisDatabaseAsync)
        || OperationFacts.IsOrInherits(type, api.DistributedCache)
        || OperationFacts.IsOrInherits(type, api.MemoryCache)
        || OperationFacts.IsOrInherits(type, api.HybridCache)
        || type.Name.IndexOf("Cache", System.StringComparison.OrdinalIgnoreCase) >= 0;
}
