using Microsoft.CodeAnalysis;
using Microsoft.CodeAnalysis.Diagnostics;

namespace CacheGuard.Analyzers.Engine;

/// <summary>
/// One rule: a sentence of RULES.md read against the engine's model of one function body. A rule
/// never walks bodies or resolves types itself; it reads <see cref="MethodContext"/> (the body's
/// cache operations, database writes, get-then-populate patterns, all built once per body and shared
/// by every rule) and reports.
/// </summary>
internal abstract class Rule
{
    protected Rule(DiagnosticDescriptor descriptor) => Descriptor = descriptor;

    public DiagnosticDescriptor Descriptor { get; }

    public string Id => Descriptor.Id;

    /// <summary>Runs once for every function body that touches a cache API, a wrapper or a create path.</summary>
    public abstract void Analyze(MethodContext context);

    /// <summary>For rules that correlate across bodies (CG0003): runs once, at the end of the compilation.</summary>
    public virtual void CompilationEnd(CompilationAnalysisContext context, CacheGuardEngine engine)
    {
    }

    public virtual bool NeedsCompilationEnd => false;
}
