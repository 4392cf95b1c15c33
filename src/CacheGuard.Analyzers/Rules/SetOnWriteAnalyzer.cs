using System.Collections.Immutable;
using CacheGuard.Analyzers.Configuration;
using CacheGuard.Analyzers.Model;
using Microsoft.CodeAnalysis;
using CacheGuard.Analyzers.Engine;
using Microsoft.CodeAnalysis.Diagnostics;
using Microsoft.CodeAnalysis.Operations;

namespace CacheGuard.Analyzers.Rules;

/// <summary>
/// CG0002: a method that writes the database and also writes a value into the cache, before or
/// after the database write. The writer should invalidate after the commit and let the next read
/// repopulate from the committed row.
/// </summary>
[DiagnosticAnalyzer(LanguageNames.CSharp)]
public sealed class SetOnWriteAnalyzer : RuleAnalyzer
{
    public SetOnWriteAnalyzer()
        : base(SetOnWriteRule.Instance)
    {
    }
}

/// <summary>CG0002, read against the engine's model of one body.</summary>
internal sealed class SetOnWriteRule : Rule
{
    public static readonly SetOnWriteRule Instance = new();

    private SetOnWriteRule()
        : base(Descriptors.CG0002_SetOnWrite)
    {
    }

    public override void Analyze(MethodContext context)
    {
        var api = context.Api;
        var settings = context.Settings(RuleIds.SetOnWrite);
        if (settings.IsExcluded(context.OwningSymbol))
            return;

        var facts = context.Facts;
        if (context.WritePath is not { } writePath)
            return; // no database write: a read path or an event-driven projection

        foreach (var operation in facts.CacheOperations)
        {
            if (!IsCachedValueWrite(operation, writePath, facts)
                || (operation.Family != CacheFamily.Wrapper && KeyPurpose.Of(operation, facts, api) != KeyPurposeKind.CacheEntry)
                || IsOwnMemoryCache(operation))
            {
                continue;
            }
            var writes = writePath.WritesRelatedTo(operation);
            if (writes.IsEmpty)
                continue;

            var plan = InvalidationPlan.For(operation, writes, context.OwningSymbol, api);
            context.ReportDiagnostic(Diagnostic.Create(
                Descriptors.CG0002_SetOnWrite, operation.Syntax.GetLocation(), plan.ToProperties(), CacheKeys.Describe(operation.Key), DescribeWrite(writes[0])));
        }
    }

    /// <summary>
    /// The write goes to a <c>MemoryCache</c> the class creates for itself (<c>memoryCache = new MemoryCache(...)</c>):
    /// its own working state (an event projection's latest state for the next event), which no other
    /// reader shares, not a cache whose readers a write-through races with.
    /// </summary>
    private static bool IsOwnMemoryCache(CacheOperation operation)
    {
        if (operation.Family != CacheFamily.MemoryCache)
            return false;
        var receiver = operation.Invocation.Instance
            ?? (operation.Method.IsExtensionMethod && operation.Invocation.Arguments.Length > 0 ? operation.Invocation.Arguments[0].Value : null);
        if (receiver is null)
            return false;
        ISymbol? member = OperationFacts.Unwrap(receiver) switch
        {
            IFieldReferenceOperation field => field.Field,
            IPropertyReferenceOperation property => property.Property,
            _ => null,
        };
        if (member?.ContainingType is not { } type)
            return false;
        foreach (var reference in type.DeclaringSyntaxReferences)
        {
            foreach (var node in reference.GetSyntax().DescendantNodes())
            {
                var created = node switch
                {
                    Microsoft.CodeAnalysis.CSharp.Syntax.AssignmentExpressionSyntax assignment
                        when Named(assignment.Left, member.Name) => assignment.Right,
                    Microsoft.CodeAnalysis.CSharp.Syntax.VariableDeclaratorSyntax declarator
                        when declarator.Identifier.ValueText == member.Name => declarator.Initializer?.Value,
                    _ => null,
                };
                if (created is Microsoft.CodeAnalysis.CSharp.Syntax.ObjectCreationExpressionSyntax { Type: var createdType }
                    && createdType.ToString().EndsWith("MemoryCache", System.StringComparison.Ordinal))
                {
                    return true;
                }
            }
        }
        return false;

        static bool Named(Microsoft.CodeAnalysis.CSharp.Syntax.ExpressionSyntax target, string name) => target switch
        {
            Microsoft.CodeAnalysis.CSharp.Syntax.IdentifierNameSyntax identifier => identifier.Identifier.ValueText == name,
            Microsoft.CodeAnalysis.CSharp.Syntax.MemberAccessExpressionSyntax { Expression: Microsoft.CodeAnalysis.CSharp.Syntax.ThisExpressionSyntax } access => access.Name.Identifier.ValueText == name,
            _ => false,
        };
    }

    /// <summary>The database write the message names: <c>'_store.EditAsync(post)'</c>.</summary>
    private static string DescribeWrite(DatabaseWrite write)
    {
        var text = OperationFacts.CollapseWhiteSpace(write.Invocation.Syntax.ToString());
        return "'" + (text.Length <= 50 ? text : text.Substring(0, 47) + "...") + "'";
    }

    /// <summary>
    /// A write of a cached value: not a lock acquisition or an only-if-absent write, not a flag or
    /// cooldown (a bool), not a counter's reset or a bookkeeping key (session, idempotency, rate
    /// limit), not a key minted from a fresh Guid (a new entry no reader can hold stale), and not the
    /// populate of a cache-aside read of the same key.
    /// </summary>
    private static bool IsCachedValueWrite(CacheOperation operation, WritePathFacts writePath, MethodCacheFacts facts) =>
        operation.Kind == CacheOperationKind.Write
        && !operation.OnlyIfNotExists
        && operation.Key is not null
        && operation.Value?.Type?.SpecialType != SpecialType.System_Boolean
        && !writePath.IsLockCounterOrFlagKey(operation.Key)
        && !WritePathFacts.IsFreshKey(operation.Key, facts)
        && !writePath.IsPopulateAfterRead(operation);
}
