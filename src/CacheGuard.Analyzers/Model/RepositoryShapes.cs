using Microsoft.CodeAnalysis;
using Microsoft.CodeAnalysis.Operations;

namespace CacheGuard.Analyzers.Model;

/// <summary>
/// Database writes recognized by shape rather than by a write verb: a call on the project's own
/// repository-like type (an interface or class declared in source and named <c>*Store</c>,
/// <c>*Repository</c>, <c>*Repo</c>, <c>*Dao</c>, <c>*DataAccess</c>, <c>*UnitOfWork</c>) that takes
/// an entity and returns nothing (<c>void</c>, <c>Task</c>, <c>ValueTask</c>): <c>_store.EditAsync(post)</c>,
/// <c>_posts.ArchiveAsync(post)</c>. Reads return what they read (<c>Task&lt;Post?&gt;</c>), so they never
/// match; read-like names (<c>LoadCommentsAsync(post)</c>, <c>ValidateAsync(post)</c>) are excluded too.
/// Plus a unit of work's <c>Commit</c>/<c>Complete</c>.
/// </summary>
internal static class RepositoryShapes
{
    private static readonly string[] RepositorySuffixes = { "Store", "Repository", "Repo", "Dao", "DataAccess", "UnitOfWork" };

    // First words of methods that take an entity and return nothing without writing it.
    private static readonly string[] NonWriteWords =
    {
        "Get", "Load", "Reload", "Find", "Fetch", "Read", "Query", "Search", "List", "Count", "Exists", "Contains",
        "Has", "Is", "Can", "Try", "Validate", "Check", "Verify", "Ensure", "Refresh", "Include", "Attach", "Detach",
        "Track", "Warm", "Preload", "Prefetch", "Map", "Project", "To", "Print", "Log", "Trace", "Dispose", "Begin",
        "Lock", "Unlock", "Wait", "Open", "Close", "Connect", "Set", "Compute", "Calculate", "Evaluate", "Render",
        "Format", "Build", "Describe", "Compare", "Watch", "Subscribe", "Select", "Peek", "Notify", "Send", "Emit",
    };

    // Argument types that describe a query rather than carry an entity.
    private static readonly string[] NonEntitySuffixes = { "Query", "Filter", "Spec", "Specification", "Criteria", "Options", "Settings" };

    /// <summary>True when the call writes through a repository-like type by shape; <paramref name="verb"/> is the method's first word.</summary>
    public static bool IsEntityWrite(IInvocationOperation invocation, out string verb)
    {
        verb = "";
        var method = invocation.TargetMethod;
        if (method.MethodKind != MethodKind.Ordinary || invocation.Instance is null or IInstanceReferenceOperation)
            return false;
        if (invocation.Instance.Type is not INamedTypeSymbol receiver || !IsRepositoryType(receiver))
            return false;

        var word = FirstWord(method.Name);
        if (word.Length == 0 || IsOneOf(word, NonWriteWords))
            return false;

        if (receiver.Name.EndsWith("UnitOfWork", System.StringComparison.Ordinal) && (word == "Commit" || word == "Complete"))
        {
            verb = word;
            return true;
        }

        if (!ReturnsNothing(method))
            return false;
        foreach (var argument in invocation.Arguments)
        {
            if (IsEntityType(argument.Value.Type ?? argument.Parameter?.Type))
            {
                verb = word;
                return true;
            }
        }
        return false;
    }

    /// <summary>A source-declared type named like a repository, and not a cache.</summary>
    public static bool IsRepositoryType(INamedTypeSymbol type)
    {
        // The name's suffix first (most receivers are no repository), then the rest.
        var name = type.Name;
        var suffixed = false;
        foreach (var suffix in RepositorySuffixes)
        {
            if (name.EndsWith(suffix, System.StringComparison.Ordinal))
            {
                suffixed = true;
                break;
            }
        }
        return suffixed && name.IndexOf("Cache", System.StringComparison.OrdinalIgnoreCase) < 0 && IsInSource(type);
    }

    private static bool ReturnsNothing(IMethodSymbol method)
    {
        if (method.ReturnsVoid)
            return true;
        return method.ReturnType is INamedTypeSymbol { IsGenericType: false, Name: "Task" or "ValueTask" } returned
            && OperationFacts.IsNamespace(returned.ContainingNamespace, "System.Threading.Tasks");
    }

    private static bool IsEntityType(ITypeSymbol? type)
    {
        if (type is not INamedTypeSymbol { TypeKind: TypeKind.Class or TypeKind.Struct } named || !IsInSource(named))
            return false;
        foreach (var suffix in NonEntitySuffixes)
        {
            if (named.Name.EndsWith(suffix, System.StringComparison.Ordinal))
                return false;
        }
        return true;
    }

    private static bool IsInSource(ISymbol symbol)
    {
        foreach (var location in symbol.Locations)
        {
            if (location.IsInSource)
                return true;
        }
        return false;
    }

    /// <summary><c>EditAsync</c> → <c>Edit</c>; <c>MarkAsRead</c> → <c>Mark</c>.</summary>
    private static string FirstWord(string name)
    {
        var end = 1;
        while (end < name.Length && char.IsLower(name[end]))
            end++;
        return name.Length == 0 || !char.IsUpper(name[0]) ? "" : name.Substring(0, end);
    }

    private static bool IsOneOf(string word, string[] words)
    {
        foreach (var w in words)
        {
            if (string.Equals(w, word, System.StringComparison.Ordinal))
                return true;
        }
        return false;
    }
}
