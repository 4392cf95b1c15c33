using System.Collections.Immutable;
using System.Globalization;
using CacheGuard.Analyzers.Configuration;
using CacheGuard.Analyzers.Model;
using Microsoft.CodeAnalysis;
using CacheGuard.Analyzers.Engine;
using Microsoft.CodeAnalysis.Diagnostics;
using Microsoft.CodeAnalysis.Operations;

namespace CacheGuard.Analyzers.Rules;

/// <summary>
/// CG0001: a cache entry written with a TTL that is the same for every entry written at the same
/// moment (a literal, constant, field, configuration value, or a parameter passed through).
/// </summary>
[DiagnosticAnalyzer(LanguageNames.CSharp)]
public sealed class FixedTtlAnalyzer : RuleAnalyzer
{
    /// <summary>Diagnostic property: the jitter fraction the fix should pass (invariant culture).</summary>
    public const string FractionProperty = "Fraction";

    /// <summary>Diagnostic property present when the expiry can be wrapped in <c>CacheTtl.Jitter</c>.</summary>
    public const string FixableProperty = "Fixable";

    public FixedTtlAnalyzer()
        : base(FixedTtlRule.Instance)
    {
    }
}

/// <summary>CG0001, read against the engine's model of one body.</summary>
internal sealed class FixedTtlRule : Rule
{
    public static readonly FixedTtlRule Instance = new();

    private FixedTtlRule()
        : base(Descriptors.CG0001_FixedTtl)
    {
    }

    public override void Analyze(MethodContext context)
    {
        var api = context.Api;
        var settings = context.Settings(RuleIds.FixedTtl);
        if (settings.IsExcluded(context.OwningSymbol))
            return;

        var facts = context.Facts;
        foreach (var operation in facts.CacheOperations)
        {
            // The cheap checks first: most writes pass no expiry argument (options, or none at all).
            if (operation.Expiry is not { } expiry || !operation.HasExpiry || !IsCacheEntryTtl(operation, facts, api))
                continue;
            if (operation.Kind == CacheOperationKind.Write && KeyPurpose.Of(operation, facts, api) != KeyPurposeKind.CacheEntry)
                continue; // a lock or lease, a marker or cooldown, a counter's window, a temporary store

            var origin = ExpiryOrigin.Of(expiry.Value, api);
            if (origin.Kind != ExpiryOriginKind.Fixed || AbsoluteExpiry.IsDataDeadline(expiry.Value, api, origin.IsClockBased))
                continue;
            // A TTL parameter passed straight through is fixed only if some caller passes a fixed one, or
            // (no caller in the compilation) if the method itself is a get-or-create helper: it reads the
            // key and falls back to a load. A bare Set(key, value, ttl) of a library is left alone.
            string? callerPasses = null;
            if (!origin.PassedThrough.IsEmpty
                && PassedTtls.Of(origin, api, context.CancellationToken, out callerPasses, WrittenValueParameter(facts)) == PassedTtlKind.NoEvidence
                && !ReadsSameKey(operation, facts))
            {
                continue;
            }

            var properties = ImmutableDictionary<string, string?>.Empty
                .Add(FixedTtlAnalyzer.FractionProperty, settings.JitterFraction.ToString("R", CultureInfo.InvariantCulture));
            if (IsJitterable(expiry, api) || IsJitterableFromNow(origin, expiry.Value))
                properties = properties.Add(FixedTtlAnalyzer.FixableProperty, "true");

            var location = expiry.Syntax is Microsoft.CodeAnalysis.CSharp.Syntax.ArgumentSyntax argument ? argument.Expression.GetLocation() : expiry.Syntax.GetLocation();
            context.ReportDiagnostic(Diagnostic.Create(Descriptors.CG0001_FixedTtl, location, properties, Explain(origin, callerPasses, operation)));
        }

        // IDistributedCache / IMemoryCache / HybridCache: expiries set on options objects and entries,
        // reported on the assignment (or the fluent call's argument).
        if ((context.Reasons & MarkReasons.EntryExpiry) == 0)
            return;
        foreach (var entryExpiry in EntryExpiries.In(context.OperationBlocks, api))
        {
            // A real sliding expiration (a hot entry never expires, cold ones one by one) does not synchronize loads (RULES.md).
            if (entryExpiry.Member is "SlidingExpiration" or "SetSlidingExpiration")
                continue;
            // HybridCache's LocalCacheExpiration bounds the in-process (L1) copy only: L1 copies expiring
            // together fall back to the distributed (L2) entry, not to the factory (issue 18 decision).
            if (entryExpiry.Member == "LocalCacheExpiration")
                continue;
            // Options handed to the runtime's GetOrSet over IDistributedCache: it jitters the relative TTL per write.
            if (EntryExpiries.JitteredByTheRuntime(entryExpiry))
                continue;
            // The memo of an in-memory computation (GetOrCreate(key, e => Engine.PrepareScript(s))): no load
            // to synchronise, so its TTL is not a stampede (RULES.md: not a factory; issue 18 decision).
            if (IsComputationMemo(entryExpiry, context))
                continue;
            var origin = ExpiryOrigin.Of(entryExpiry.Value, api);
            if (origin.Kind != ExpiryOriginKind.Fixed || AbsoluteExpiry.IsDataDeadline(entryExpiry.Value, api, origin.IsClockBased)
                || !EntryExpiries.IsValueLifetime(entryExpiry, context))
            {
                continue;
            }
            string? passed = null;
            if (!origin.PassedThrough.IsEmpty
                && PassedTtls.Of(origin, api, context.CancellationToken, out passed, WrittenValueParameter(facts)) == PassedTtlKind.NoEvidence
                && !IsGetOrCreateHelper(facts))
            {
                continue;
            }
            var properties = ImmutableDictionary<string, string?>.Empty
                .Add(FixedTtlAnalyzer.FractionProperty, settings.JitterFraction.ToString("R", CultureInfo.InvariantCulture));
            if (IsJitterable(entryExpiry.Value, entryExpiry.ReportOn, api) || IsJitterableFromNow(origin, entryExpiry.Value))
                properties = properties.Add(FixedTtlAnalyzer.FixableProperty, "true");
            context.ReportDiagnostic(Diagnostic.Create(Descriptors.CG0001_FixedTtl, entryExpiry.ReportOn.GetLocation(), properties, origin.Explain(passed)));
        }
    }

    /// <summary>The parameter of this body's own method that its cache writes store as the value (a wrapper's <c>value</c>), if one.</summary>
    private static IParameterSymbol? WrittenValueParameter(MethodCacheFacts facts)
    {
        foreach (var operation in facts.CacheOperations)
        {
            if (operation.Kind == CacheOperationKind.Write && operation.Value is { } value
                && OperationFacts.Unwrap(value) is IParameterReferenceOperation { Parameter: var parameter }
                && SymbolEqualityComparer.Default.Equals(parameter.ContainingSymbol, facts.Owner))
            {
                return parameter;
            }
        }
        return null;
    }

    /// <summary>
    /// The message's clause for a Redis-family write: a value named "sliding" that reaches Redis as a
    /// plain TTL (SET EX, KeyExpire) does not slide, so it is as fixed as any other; else what the origin says.
    /// </summary>
    private static string Explain(ExpiryOrigin origin, string? callerPasses, CacheOperation operation)
    {
        if (operation.Family == CacheFamily.Redis && origin.Text.IndexOf("Sliding", System.StringComparison.OrdinalIgnoreCase) >= 0)
            return $"the 'sliding' TTL '{origin.Text}' reaches Redis as a plain TTL, which does not slide";
        return origin.Explain(callerPasses);
    }

    /// <summary>
    /// Writes of cached values and expiries set on entries this method populated count; lock
    /// acquisitions, flags and cooldowns, and counter windows do not.
    /// </summary>
    private static bool IsCacheEntryTtl(CacheOperation operation, MethodCacheFacts facts, CacheApi api)
    {
        switch (operation.Kind)
        {
            case CacheOperationKind.Write:
                // A wrapper's own body is where its TTL is reported (a parameter passed straight through).
                if (operation.Family == CacheFamily.Wrapper)
                    return false;
                // A bool is a flag or a cooldown: its TTL is the point, not a cache lifetime.
                return operation.Value?.Type?.SpecialType != SpecialType.System_Boolean;

            case CacheOperationKind.Expire:
                if (operation.Method.Name.StartsWith("StringGetSetExpiry", System.StringComparison.Ordinal))
                    return true;
                // KeyExpire: only on a key this method wrote, and never the window of a counter.
                var populated = false;
                foreach (var write in facts.OnKey(operation.Key, CacheOperationKind.Write))
                {
                    if (write.Value?.Type?.SpecialType == SpecialType.System_Boolean)
                        return false;
                    // A compare-and-set update of an entry that exists (a transaction guarded by a condition,
                    // tran.AddCondition(Condition.HashEqual(key, ...))) does not populate it: a KeyExpire after
                    // it renews that entry's own expiry when it is updated, like a read's sliding renewal.
                    if (IsConditionalTransactionWrite(write))
                        continue;
                    // The expiry of a key that is no cache entry (a sorted set kept only in Redis, a marker, a temporary
                    // store): Mewdeko's snipe log, SortedSetAdd then KeyExpire(key, SnipeExpiry) in one batch.
                    if (KeyPurpose.Of(write, facts, api) != KeyPurposeKind.CacheEntry)
                        continue;
                    populated = true;
                }
                foreach (var _ in facts.OnKey(operation.Key, CacheOperationKind.Increment))
                    return false;
                foreach (var _ in facts.OnKey(operation.Key, CacheOperationKind.LockAcquire))
                    return false;
                return populated;

            default:
                return false;
        }
    }

    /// <summary>
    /// The write is queued on a transaction that the same body guards with <c>AddCondition(...)</c>: it is
    /// applied only if the condition holds at <c>Execute</c>, so it is not provably an unconditional populate
    /// (RULES.md: a write whose <c>When</c> is not provably <c>Always</c>).
    /// </summary>
    private static bool IsConditionalTransactionWrite(CacheOperation write)
    {
        var receiver = write.Invocation.Instance is { } instance ? OperationFacts.Unwrap(instance) : null;
        ISymbol? transaction = receiver switch
        {
            ILocalReferenceOperation local => local.Local,
            IFieldReferenceOperation field => field.Field,
            IParameterReferenceOperation parameter => parameter.Parameter,
            _ => null,
        };
        if (transaction is null || receiver!.Type is not { Name: "ITransaction" })
            return false;
        foreach (var node in OperationFacts.Root(write.Invocation).Descendants())
        {
            if (node is IInvocationOperation { TargetMethod.Name: "AddCondition", Instance: { } conditioned }
                && OperationFacts.Unwrap(conditioned) switch
                {
                    ILocalReferenceOperation l => SymbolEqualityComparer.Default.Equals(l.Local, transaction),
                    IFieldReferenceOperation f => SymbolEqualityComparer.Default.Equals(f.Field, transaction),
                    IParameterReferenceOperation p => SymbolEqualityComparer.Default.Equals(p.Parameter, transaction),
                    _ => false,
                })
            {
                return true;
            }
        }
        return false;
    }

    /// <summary>The expiry is set inside a get-or-create factory lambda that only computes in memory.</summary>
    private static bool IsComputationMemo(EntryExpiry expiry, MethodContext context)
    {
        IAnonymousFunctionOperation? lambda = null;
        for (var current = expiry.Value.Parent; current is not null; current = current.Parent)
        {
            if (current is IAnonymousFunctionOperation found)
            {
                lambda = found;
                break;
            }
        }
        if (lambda is null)
            return false;
        foreach (var operation in context.Facts.CacheOperations)
        {
            if (operation.Kind != CacheOperationKind.GetOrCreate || operation.Factory is not { } factory)
                continue;
            var inner = OperationFacts.Unwrap(factory);
            if (inner is IDelegateCreationOperation creation)
                inner = creation.Target;
            if (inner == lambda)
                return ValueFactories.BodyIsComputation(lambda.Body, m => context.Engine.BodyOf(m, context.CancellationToken));
        }
        // A GetOrCreate the compiler could not bind (its factory's result type is missing from the
        // references): the lambda is still the factory of that call.
        if (lambda.Syntax.Parent is Microsoft.CodeAnalysis.CSharp.Syntax.ArgumentSyntax { Parent.Parent: Microsoft.CodeAnalysis.CSharp.Syntax.InvocationExpressionSyntax call }
            && call.Expression is Microsoft.CodeAnalysis.CSharp.Syntax.MemberAccessExpressionSyntax { Name.Identifier.ValueText: "GetOrCreate" or "GetOrCreateAsync" })
        {
            return ValueFactories.BodyIsComputation(lambda.Body, m => context.Engine.BodyOf(m, context.CancellationToken));
        }
        return false;
    }

    /// <summary>The body reads a key or runs a get-or-create (Ombi's <c>GetOrAdd(key, factory, absoluteExpiration)</c>): a get-or-create helper, whose TTL parameter is reported.</summary>
    private static bool IsGetOrCreateHelper(MethodCacheFacts facts)
    {
        foreach (var operation in facts.CacheOperations)
        {
            if (operation.Kind == CacheOperationKind.GetOrCreate)
                return true;
            // A read of the key a later write populates (not a check after the write: Set(key, value); return Exists(key)).
            if (operation.Kind == CacheOperationKind.Write && facts.IsReadBefore(operation))
                return true;
        }
        return false;
    }

    /// <summary>The body reads the key it writes (a get-or-create helper: the write is the populate of a miss).</summary>
    private static bool ReadsSameKey(CacheOperation write, MethodCacheFacts facts)
    {
        foreach (var read in facts.OnKey(write.Key, CacheOperationKind.Read))
        {
            if (read.Invocation.Syntax.SpanStart < write.Invocation.Syntax.SpanStart)
                return true;
        }
        return false;
    }

    /// <summary>
    /// The clock moved by a fixed offset, written as <c>now + ttl</c>, <c>now.Add(ttl)</c> or <c>now.AddMinutes(n)</c>: the fix
    /// jitters the offset (<see cref="ClockOffsetSyntax"/>). Any other instant (a day's start plus a day) gets no fix.
    /// </summary>
    private static bool IsJitterableFromNow(ExpiryOrigin origin, IOperation value) =>
        origin.IsFromNow
        && !value.Syntax.ContainsDiagnostics
        && OperationFacts.UnwrapImplicit(value).Syntax is Microsoft.CodeAnalysis.CSharp.Syntax.ExpressionSyntax expression
        && ClockOffsetSyntax.Find(expression) is not null;

    /// <summary>
    /// TimeSpan, TimeSpan? and Expiration expiries can be jittered (with CacheGuard.Runtime's
    /// CacheTtl.Jitter, or inline without it: the fix decides which); an absolute DateTime gets no fix.
    /// </summary>
    private static bool IsJitterable(IArgumentOperation expiry, CacheApi api) => IsJitterable(expiry.Value, expiry.Syntax, api);

    private static bool IsJitterable(IOperation value, SyntaxNode syntax, CacheApi api)
    {
        if (syntax.ContainsDiagnostics)
            return false;
        var type = OperationFacts.UnwrapImplicit(value).Type;
        if (type is null)
            return false;
        var stripped = OperationFacts.StripNullable(type);
        return SymbolEqualityComparer.Default.Equals(stripped, api.TimeSpan)
            || SymbolEqualityComparer.Default.Equals(stripped, api.RedisExpiration);
    }
}
