using Microsoft.CodeAnalysis;

namespace CacheGuard.Analyzers;

/// <summary>Rule IDs: the public contract users suppress, configure and search for (RULES.md).</summary>
internal static class RuleIds
{
    public const string FixedTtl = "CG0001";
    public const string SetOnWrite = "CG0002";
    public const string CreatePathMissingInvalidation = "CG0003";
    public const string UnguardedPopulate = "CG0004";
    public const string NegativeTtlTooLong = "CG0005";
    public const string InvalidateBeforeWrite = "CG0006";
    public const string UnsafeLockRelease = "CG0007";
    public const string PopulateWithoutExpiry = "CG0008";
}

/// <summary>Every CacheGuard descriptor, each with its help link to <c>docs/rules/CGxxxx.md</c>.</summary>
internal static class Descriptors
{
    public const string HelpLinkBase = "https://github.com/cacheguard/cacheguard/blob/main/docs/rules/";

    private const string Stampede = "CacheGuard.Stampede";
    private const string Consistency = "CacheGuard.Consistency";
    private const string NegativeCaching = "CacheGuard.NegativeCaching";
    private const string Locking = "CacheGuard.Locking";

    public static readonly DiagnosticDescriptor CG0001_FixedTtl = Create(
        RuleIds.FixedTtl, Stampede,
        "Cache entry written with a fixed TTL",
        "Cache entry written with a fixed TTL: {0}, so entries written together expire together; add jitter",
        "Entries written together with the same TTL expire together, and every concurrent miss rebuilds from the database at the same moment (a stampede). Add a random share to the TTL.");

    public static readonly DiagnosticDescriptor CG0002_SetOnWrite = Create(
        RuleIds.SetOnWrite, Consistency,
        "Write path updates the cache instead of invalidating it",
        "This method writes the database ({1}) and also writes '{0}' into the cache; invalidate the key after the database write instead",
        "Writing the new value into the cache on the write path races with concurrent readers and with failures half way; delete the key after the database commit and let the next read repopulate.");

    public static readonly DiagnosticDescriptor CG0003_CreatePathMissingInvalidation = Create(
        RuleIds.CreatePathMissingInvalidation, NegativeCaching,
        "Create path does not clear the negative-cache entry",
        "'{0}' creates {1} but does not invalidate '{2}', where a \"not found\" result is cached",
        "A lookup caches \"not found\" for a key; the method that creates that entity must delete that key, or the new entity stays invisible until the negative entry expires.",
        WellKnownDiagnosticTags.CompilationEnd);

    public static readonly DiagnosticDescriptor CG0004_UnguardedPopulate = Create(
        RuleIds.UnguardedPopulate, Stampede,
        "Unguarded get-then-populate",
        "Cache miss on '{0}' runs {1} and writes the result back with no single-flight: concurrent misses all run it, and a slow populate can land after an invalidation",
        "A cache read that on a miss runs a factory and writes the result back, with no lock around the factory, lets every concurrent miss hit the database (a stampede) and lets a slow populate overwrite a newer invalidation.");

    public static readonly DiagnosticDescriptor CG0005_NegativeTtlTooLong = Create(
        RuleIds.NegativeTtlTooLong, NegativeCaching,
        "Negative result cached too long",
        "A \"not found\" result is cached for {0}, longer than the negative-TTL limit of {1}",
        "A negative entry that lives long hides an entity created meanwhile; keep negative TTLs short.");

    public static readonly DiagnosticDescriptor CG0006_InvalidateBeforeWrite = Create(
        RuleIds.InvalidateBeforeWrite, Consistency,
        "Cache invalidated before the database write",
        "'{0}' is invalidated before the database write; a read in between repopulates the old row. Invalidate after the write.",
        "Deleting a cache key before the database write lets a concurrent read repopulate the old value, which then lives until its TTL.");

    public static readonly DiagnosticDescriptor CG0007_UnsafeLockRelease = Create(
        RuleIds.UnsafeLockRelease, Locking,
        "Lock released without an ownership check",
        "The lock '{0}' is released with a plain delete; if its lease lapsed, this frees another caller's lock. Release with a token check.",
        "A lock taken with SET NX and released with DEL frees whoever holds it now; release by compare-and-delete of the caller's own token.");

    public static readonly DiagnosticDescriptor CG0008_PopulateWithoutExpiry = Create(
        RuleIds.PopulateWithoutExpiry, Consistency,
        "Cache populated without an expiry",
        "'{0}' is populated from the database with no expiry; one missed invalidation lives forever",
        "A cache populate with no expiry turns any missed invalidation into permanently stale data; give every populated entry a TTL.");

    private static DiagnosticDescriptor Create(string id, string category, string title, string message, string description, params string[] customTags) =>
        new(id, title, message, category, DiagnosticSeverity.Warning, isEnabledByDefault: true, description, HelpLinkBase + id + ".md", customTags);
}
