using System.Collections.Generic;
using System.Collections.Immutable;
using System.Globalization;
using CacheGuard.Analyzers.Model;
using Microsoft.CodeAnalysis;
using Microsoft.CodeAnalysis.Diagnostics;
using Microsoft.CodeAnalysis.Operations;

namespace CacheGuard.Analyzers.Rules;

/// <summary>
/// CG0008: a get-then-populate (CG0004's shape, guarded or not) whose populate sets no expiry, and no
/// <c>KeyExpire</c> of the key follows it. Redis used as a store (no read-miss before the write) is not flagged.
/// </summary>
[DiagnosticAnalyzer(LanguageNames.CSharp)]
public sealed class PopulateWithoutExpiryAnalyzer : DiagnosticAnalyzer
{
    /// <summary>Diagnostic property: the TTL in seconds the fix writes (before jitter).</summary>
    public const string DefaultTtlSecondsProperty = "DefaultTtlSeconds";

    public override ImmutableArray<DiagnosticDescriptor> SupportedDiagnostics { get; } = ImmutableArray.Create(Descriptors.PopulateWithoutExpiry);

    public override void Initialize(AnalysisContext context)
    {
        context.ConfigureGeneratedCodeAnalysis(GeneratedCodeAnalysisFlags.None);
        context.EnableConcurrentExecution();
        context.RegisterCompilationStartAction(start =>
        {
            if (CacheApi.TryCreate(start.Compilation) is not { } api)
                return;
            // Several reads can share a populate (through a helper): report each populate once.
            var reported = new HashSet<Location>();
            GetThenPopulateAnalysis.Register(start, api, RuleIds.PopulateWithoutExpiry, (context, pattern, settings) =>
            {
                foreach (var populate in pattern.Populates)
                {
                    if (populate.HasExpiry || ExpiresLater(populate))
                        continue;
                    var location = populate.Syntax.GetLocation();
                    lock (reported)
                    {
                        if (!reported.Add(location))
                            continue;
                    }
                    var properties = ImmutableDictionary<string, string?>.Empty
                        .Add(DefaultTtlSecondsProperty, settings.DefaultTtl.TotalSeconds.ToString("R", CultureInfo.InvariantCulture));
                    context.ReportDiagnostic(Diagnostic.Create(
                        Descriptors.PopulateWithoutExpiry, location, properties, CacheKeys.Describe(populate.Key)));
                }
            });
        });
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
