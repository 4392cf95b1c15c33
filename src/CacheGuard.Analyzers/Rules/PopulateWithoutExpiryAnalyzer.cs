using System.Collections.Generic;
using System.Collections.Immutable;
using System.Globalization;
using CacheGuard.Analyzers.Model;
using Microsoft.CodeAnalysis;
using Microsoft.CodeAnalysis.Diagnostics;
using CacheGuard.Analyzers.Engine;
using Microsoft.CodeAnalysis.Operations;

namespace CacheGuard.Analyzers.Rules;

/// <summary>
/// CG0008: a get-then-populate (CG0004's shape, guarded or not) whose populate sets no expiry, and no
/// <c>KeyExpire</c> of the key follows it. Redis used as a store (no read-miss before the write) is not flagged.
/// </summary>
[DiagnosticAnalyzer(LanguageNames.CSharp)]
public sealed class PopulateWithoutExpiryAnalyzer : RuleAnalyzer
{
    /// <summary>Diagnostic property: the TTL in seconds the fix writes (before jitter).</summary>
    public const string DefaultTtlSecondsProperty = "DefaultTtlSeconds";

    public PopulateWithoutExpiryAnalyzer()
        : base(PopulateWithoutExpiryRule.Instance)
    {
    }
}

/// <summary>CG0008, read against the engine's model of one body: the populates of its get-then-populate patterns.</summary>
internal sealed class PopulateWithoutExpiryRule : Rule
{
    public static readonly PopulateWithoutExpiryRule Instance = new();

    private PopulateWithoutExpiryRule()
        : base(Descriptors.CG0008_PopulateWithoutExpiry)
    {
    }

    public override void Analyze(MethodContext context)
    {
        var settings = context.Settings(RuleIds.PopulateWithoutExpiry);
        if (settings.IsExcluded(context.OwningSymbol))
            return;
        foreach (var pattern in context.GetThenPopulates)
        {
            foreach (var populate in pattern.Populates)
            {
                if (populate.HasExpiry || ExpiresLater(populate))
                    continue;
                // Several reads can share a populate (through a helper): report each populate once.
                var location = populate.Syntax.GetLocation();
                if (!context.Engine.ReportOnce(location))
                    continue;
                var properties = ImmutableDictionary<string, string?>.Empty
                    .Add(PopulateWithoutExpiryAnalyzer.DefaultTtlSecondsProperty, settings.DefaultTtl.TotalSeconds.ToString("R", CultureInfo.InvariantCulture));
                context.ReportDiagnostic(Diagnostic.Create(
                    Descriptor, location, properties, CacheKeys.Describe(populate.Key)));
            }
        }
    }

    /// <summary>A <c>KeyExpire</c> of the same key after the write, in the same body (hash entries are often written that way).</summary>
    private static bool ExpiresLater(CacheOperation populate)
    {
        var body = FunctionBodies.Of(populate.Invocation);
        foreach (var operation in body.Descendants())
        {
            if (operation is IInvocationOperation invocation
                && invocation.Syntax.SpanStart > populate.Syntax.SpanStart
                && invocation.TargetMethod.Name is "KeyExpire" or "KeyExpireAsync"
                && invocation.Arguments.Length > 0
                && CacheKeys.AreSame(invocation.Arguments[0].Value, populate.Key))
            {
                return true;
            }
        }
        return false;
    }
}
