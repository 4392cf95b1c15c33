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
    /// <remarks>
    /// For an expiry that moves a clock reading by a fixed offset (<see cref="ExpiryOrigin.IsClockBased"/>:
    /// <c>DateTime.UtcNow.Date.AddDays(1)</c>, <c>DateTimeOffset.UtcNow.AddMinutes(_options.Value.Minutes)</c>), members of
    /// a time value and of configuration are the clock's and the offset's, not the data's: only other members count.
    /// </remarks>
    public static bool IsDataDeadline(IOperation expiry, CacheApi api, bool clockBased = false)
    {
        var value = OperationFacts.UnwrapImplicit(expiry);
        if (!IsInstantType(value.Type, api))
            return false;
        foreach (var operation in value.DescendantsAndSelf())
        {
            if (operation is IMemberReferenceOperation { Instance: { } instance } && instance is not IInstanceReferenceOperation)
            {
                if (clockBased && (IsInstantType(instance.Type, api)
                                   || ExpiryOrigin.IsConfigurationType(instance.Type)))
                {
                    continue;
                }
                return true;
            }
        }
        return false;
    }

    /// <summary>Is <paramref name="type"/> an instant: <c>DateTime</c> or <c>DateTimeOffset</c> (nullable or not)?</summary>
    public static bool IsInstantType(ITypeSymbol? type, CacheApi api)
    {
        if (type is null)
            return false;
        type = OperationFacts.StripNullable(type);
        return SymbolEqualityComparer.Default.Equals(type, api.DateTimeOffset) || SymbolEqualityComparer.Default.Equals(type, api.DateTime);
    }
}
