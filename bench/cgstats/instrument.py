#!/usr/bin/env python3
"""Instruments a scratch copy of src/CacheGuard.Analyzers with Stats.Scope around Roslyn's callbacks and the shared
facts. Every edit is anchored on a line of today's code: an anchor that is gone stops the script (update it here)."""
import sys, pathlib
root = pathlib.Path(sys.argv[1])
def edit(rel, pairs):
    p = root / rel
    s = p.read_text()
    for old, new in pairs:
        if s.count(old) != 1:
            sys.exit(f"instrument.py: anchor not found once in {rel}: {old.strip()[:80]!r}")
        s = s.replace(old, new)
    p.write_text(s)
edit("Engine/CacheGuardAnalyzer.cs", [(
    "        context.RegisterCompilationStartAction(start =>\n        {\n",
    "        context.RegisterCompilationStartAction(start =>\n        {\n            using var stats = new Stats.Scope(0);\n")])
edit("Engine/CacheGuardEngine.cs", [
    ("                if (MayHoldMarkedBody((INamedTypeSymbol)symbolStart.Symbol))\n                    symbolStart.RegisterOperationBlockAction(context => OnBlock(context, rules));",
     "                using var stats = new Stats.Scope(1);\n                if (MayHoldMarkedBody((INamedTypeSymbol)symbolStart.Symbol))\n                    symbolStart.RegisterOperationBlockAction(context => { using var block = new Stats.Scope(2); OnBlock(context, rules); });"),
    ("start.RegisterCompilationEndAction(end => rule.CompilationEnd(end, this));",
     "start.RegisterCompilationEndAction(end => { using var stats = new Stats.Scope(3); rule.CompilationEnd(end, this); });"),
    ("_names = new Lazy<CandidateNames>(() => CandidateNames.Build(this));",
     "_names = new Lazy<CandidateNames>(() => { using var stats = new Stats.Scope(5); return CandidateNames.Build(this); });"),
    ("tree.Words ??= CandidateWords.Scan(syntaxTree.GetText(), _names.Value);",
     "tree.Words ??= ScanWords(syntaxTree);\n\n    private CandidateWords ScanWords(SyntaxTree syntaxTree)\n    {\n        var names = _names.Value;\n        using var stats = new Stats.Scope(6);\n        return CandidateWords.Scan(syntaxTree.GetText(), names);\n    }"),
    ("        var mayHold = ComputeMayHoldMarkedBody(type);",
     "        Stats.Count(0);\n        var mayHold = ComputeMayHoldMarkedBody(type);"),
    ("        var state = ComputeStateOf(root, owner);",
     "        BodyState state;\n        using (new Stats.Scope(7))\n            state = ComputeStateOf(root, owner);"),
    ("        if (!createPath && !holdsWords)\n            return BodyState.Unmarked;\n",
     "        if (!createPath && !holdsWords)\n            return BodyState.Unmarked;\n        Stats.Count(1);\n"),
    ("                foreach (var diagnostic in ResultsOf(state, rule, context, root))\n                    context.ReportDiagnostic(diagnostic);",
     "                ImmutableArray<Diagnostic> found;\n                using (new Stats.Scope(9))\n                    found = ResultsOf(state, rule, context, root);\n                foreach (var diagnostic in found)\n                {\n                    using var report = new Stats.Scope(8);\n                    context.ReportDiagnostic(diagnostic);\n                }"),
])
edit("Model/WrapperCatalog.cs", [(
    "PerCompilation.GetValue(api.Compilation, _ => Build(api));",
    "PerCompilation.GetValue(api.Compilation, _ => { using var stats = new CacheGuard.Analyzers.Engine.Stats.Scope(4); return Build(api); });")])
(root / "Engine/Stats.cs").write_text((pathlib.Path(__file__).parent / "Stats.cs").read_text())
print("instrumented", root)
