using System.Collections.Immutable;
using System.Linq;
using Microsoft.CodeAnalysis;
using Microsoft.CodeAnalysis.Diagnostics;
using Microsoft.CodeAnalysis.Operations;

namespace CacheGuard.Floor;

/// <summary>
/// CacheGuard's first step and nothing after it: resolve the cache API once per compilation, bail out when it is
/// absent, then one operation callback per invocation that compares the target's type and reports a StringSet with
/// a TTL argument. What any analyzer of cache calls pays at least; CacheGuard's cost is read against it.
/// </summary>
[DiagnosticAnalyzer(LanguageNames.CSharp)]
public sealed class FloorAnalyzer : DiagnosticAnalyzer
{
    private static readonly DiagnosticDescriptor Rule = new(
        "CGFLOOR", "A StringSet with a TTL", "StringSet with a TTL", "Benchmark", DiagnosticSeverity.Warning, isEnabledByDefault: true);

    public override ImmutableArray<DiagnosticDescriptor> SupportedDiagnostics => ImmutableArray.Create(Rule);

    public override void Initialize(AnalysisContext context)
    {
        context.ConfigureGeneratedCodeAnalysis(GeneratedCodeAnalysisFlags.None);
        context.EnableConcurrentExecution();
        context.RegisterCompilationStartAction(start =>
        {
            var database = start.Compilation.GetTypeByMetadataName("StackExchange.Redis.IDatabaseAsync");
            var distributed = start.Compilation.GetTypeByMetadataName("Microsoft.Extensions.Caching.Distributed.IDistributedCache");
            if (database is null && distributed is null)
                return;
            start.RegisterOperationAction(operation =>
            {
                var invocation = (IInvocationOperation)operation.Operation;
                var type = invocation.TargetMethod.ContainingType;
                if (type is null
                    || !(SymbolEqualityComparer.Default.Equals(type, database) || SymbolEqualityComparer.Default.Equals(type, distributed)
                         || (database is not null && type.AllInterfaces.Contains(database, SymbolEqualityComparer.Default))))
                {
                    return;
                }
                if (invocation.TargetMethod.Name.StartsWith("StringSet", System.StringComparison.Ordinal) && invocation.Arguments.Length > 2)
                    operation.ReportDiagnostic(Diagnostic.Create(Rule, invocation.Syntax.GetLocation()));
            }, OperationKind.Invocation);
        });
    }
}
