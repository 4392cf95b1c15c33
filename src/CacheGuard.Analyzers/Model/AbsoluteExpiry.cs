using Microsoft.CodeAnalysis;
using Microsoft.CodeAnalysis.Operations;

namespace CacheGuard.Analyzers.Model;

/// <summary>Absolute expiries (<c>DateTime</c>/<c>DateTimeOffset</c>): a shared cut-off, or the data's own deadline.</summary>
internal static class AbsoluteExpiry
{
    /// <summary>
    /// True for an absolute expiry read from an object (<c>token.ExpiresAt</c>, <c>offer.EndsAt</c>):
    /// each entry expires with its own data, which is not synchronized expiry. A static cut-off
    /// (<c>EndOfSale</c>) or a literal date is not.
    /// </summary>
    public static bool IsDataDeadline(IOperation expiry, CacheApi api)
    {
        var value = OperationFacts.UnwrapImplicit(expiry);
        var type = value.Type is null ? null : OperationFacts.StripNullable(value.Type);
        if (!SymbolEqualityComparer.Default.Equals(type, api.DateTimeOffset) && !SymbolEqualityComparer.Default.Equals(type, api.DateTime))
            return false;
        foreach (var operation in value.DescendantsAndSelf())
        {
            if (operation is IMemberReferenceOperation { Instance: { } instance } && instance is not IInstanceReferenceOperation)
                return true;
        }
        return false;
    }
}
