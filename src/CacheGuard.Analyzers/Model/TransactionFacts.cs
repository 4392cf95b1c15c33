using Microsoft.CodeAnalysis;

namespace CacheGuard.Analyzers.Model;

/// <summary>Database transactions whose <c>Commit(Async)</c> makes the writes before it visible.</summary>
internal static class TransactionFacts
{
    /// <summary>
    /// ADO.NET's <c>System.Data.IDbTransaction</c> / <c>System.Data.Common.DbTransaction</c> (every
    /// provider's transaction derives from them) and EF Core's <c>IDbContextTransaction</c>. Matched by
    /// name and namespace, so no type lookup per call.
    /// </summary>
    public static bool IsTransaction(INamedTypeSymbol? type)
    {
        if (type is null)
            return false;
        for (var current = type; current is not null; current = current.BaseType)
        {
            if (Is(current, "System.Data.Common", "DbTransaction"))
                return true;
        }
        if (Is(type, "System.Data", "IDbTransaction") || Is(type, "Microsoft.EntityFrameworkCore.Storage", "IDbContextTransaction"))
            return true;
        foreach (var implemented in type.AllInterfaces)
        {
            if (Is(implemented, "System.Data", "IDbTransaction") || Is(implemented, "Microsoft.EntityFrameworkCore.Storage", "IDbContextTransaction"))
                return true;
        }
        return false;
    }

    private static bool Is(INamedTypeSymbol type, string ns, string name) =>
        type.Name == name && type.ContainingNamespace?.ToDisplayString() == ns;
}
