using System.Collections.Generic;
using System.Collections.Immutable;
using CacheGuard.Analyzers.Configuration;
using CacheGuard.Analyzers.Model;
using Microsoft.CodeAnalysis;
using Microsoft.CodeAnalysis.CSharp.Syntax;
using CacheGuard.Analyzers.Engine;
using Microsoft.CodeAnalysis.Diagnostics;
using Microsoft.CodeAnalysis.Operations;

namespace CacheGuard.Analyzers.Rules;

/// <summary>
/// CG0007: a Redis lock taken with <c>SET NX</c> (or <c>LockTake</c>) and released with a plain
/// <c>KeyDelete</c> of the same key in the same method. Once the lease lapses and another caller
/// takes the lock, the delete frees that caller's lock.
/// </summary>
[DiagnosticAnalyzer(LanguageNames.CSharp)]
public sealed class UnsafeLockReleaseAnalyzer : RuleAnalyzer
{
    /// <summary>Diagnostic property: <c>Stable</c> (release with the acquisition's value) or <c>Shared</c> (introduce a token).</summary>
    public const string TokenProperty = "Token";

    /// <summary>
    /// Additional locations: [0] the acquisition call, [1] the value it writes, then every other
    /// plain release of the same lock in the method (the fix rewrites them together).
    /// </summary>
    public const int AcquisitionLocation = 0;

    /// <inheritdoc cref="AcquisitionLocation"/>
    public const int ValueLocation = 1;

    public UnsafeLockReleaseAnalyzer()
        : base(UnsafeLockReleaseRule.Instance)
    {
    }
}

/// <summary>CG0007, read against the engine's model of one body.</summary>
internal sealed class UnsafeLockReleaseRule : Rule
{
    public static readonly UnsafeLockReleaseRule Instance = new();

    private UnsafeLockReleaseRule()
        : base(Descriptors.CG0007_UnsafeLockRelease)
    {
    }

    public override void Analyze(MethodContext context)
    {
        var api = context.Api;
        var settings = context.Settings(RuleIds.UnsafeLockRelease);
        if (settings.IsExcluded(context.OwningSymbol))
            return;

        if (!api.HasRedis)
            return;
        var facts = context.Facts;
        // Acquire and release in different methods: a lock service's AcquireAsync/ReleaseAsync, a lock
        // handle released in Dispose(Async). Reported at the plain delete, without a fix (the token lives elsewhere).
        foreach (var delete in LockServices.ReleasesOfLocksTakenElsewhere(context))
        {
            if (context.Engine.ReportOnce(delete.Syntax.GetLocation()))
                context.ReportDiagnostic(Diagnostic.Create(Descriptor, delete.Syntax.GetLocation(), DescribeLock(delete.Key!)));
        }
        if (!HasLockAndDelete(facts))
            return;

        // Group the plain releases by the lock they release, so every diagnostic knows its siblings.
        var releases = new List<(CacheOperation Delete, IReadOnlyList<CacheOperation> Acquisitions)>();
        foreach (var operation in facts.CacheOperations)
        {
            if (operation.Kind != CacheOperationKind.Delete)
                continue;
            var acquisitions = LockRelease.AcquisitionsReleasedBy(operation, facts);
            if (acquisitions.Count > 0)
                releases.Add((operation, acquisitions));
        }

        foreach (var (delete, acquisitions) in releases)
        {
            var properties = ImmutableDictionary<string, string?>.Empty;
            var additional = new List<Location>();

            // One acquisition with an explicit value: the fix knows which token to release with.
            if (acquisitions.Count == 1
                && acquisitions[0] is { Value: { } value } acquisition
                && ValueArgument(acquisition) is { } valueSyntax)
            {
                properties = properties.Add(UnsafeLockReleaseAnalyzer.TokenProperty, LockRelease.TokenKind(value).ToString());
                additional.Add(acquisition.Syntax.GetLocation());
                additional.Add(valueSyntax.GetLocation());
                foreach (var (other, otherAcquisitions) in releases)
                {
                    if (other != delete && otherAcquisitions.Count == 1 && otherAcquisitions[0] == acquisition)
                        additional.Add(other.Syntax.GetLocation());
                }
            }

            context.ReportDiagnostic(Diagnostic.Create(
                Descriptors.CG0007_UnsafeLockRelease,
                delete.Syntax.GetLocation(),
                additional,
                properties,
                DescribeLock(delete.Key!)));
        }
    }

    private static bool HasLockAndDelete(MethodCacheFacts facts)
    {
        bool sawLock = false, sawDelete = false;
        foreach (var operation in facts.CacheOperations)
        {
            sawLock |= operation.Kind == CacheOperationKind.LockAcquire;
            sawDelete |= operation.Kind == CacheOperationKind.Delete;
        }
        return sawLock && sawDelete;
    }

    /// <summary>A literal key by its value (<c>lock:sitemap</c>), anything else by its expression.</summary>
    private static string DescribeLock(IOperation key) =>
        key.ConstantValue is { HasValue: true, Value: string text } && key is ILiteralOperation ? text : CacheKeys.Describe(key);

    /// <summary>The value expression as written in the acquisition's argument list, or null when it isn't there.</summary>
    private static ExpressionSyntax? ValueArgument(CacheOperation acquisition)
    {
        foreach (var argument in acquisition.Invocation.Arguments)
        {
            if (argument.ArgumentKind == ArgumentKind.Explicit
                && argument.Syntax is ArgumentSyntax syntax
                && OperationFacts.Unwrap(argument.Value) == acquisition.Value)
            {
                return syntax.Expression;
            }
        }
        return null;
    }
}
