#!/usr/bin/env python3
"""Writes the stages of CacheGuard's engine as separate builds, for bench/decompose/run.sh: each variant is a scratch
copy of src/ with one edit that stops the engine after a stage. Every edit is anchored on a line of today's code: an
anchor that is gone stops the script (update it here). The variants are never packaged.
  variants.py SRC_ROOT OUT_DIR      (SRC_ROOT holds src/ and the build props; OUT_DIR/VARIANT/ gets the two DLLs)

  full     main as it is
  start    compilation start only: the engine is created (cache types resolved, options read), nothing registered
  symstart + one symbol-start callback per type and analyzer, doing nothing
  names    + the first symbol start builds the candidate names (API member names, the wrapper catalog, create paths)
  wrappers + the first symbol start builds the wrapper catalog alone (a part of names)
  gate     + the type gate (the text scan of each tree for candidate words), no operation-block callback
  marks    + the block callbacks and the marking of bodies, no rule run
"""
import pathlib, shutil, subprocess, sys

src_root, out = pathlib.Path(sys.argv[1]), pathlib.Path(sys.argv[2])
ENGINE = "src/CacheGuard.Analyzers/Engine/CacheGuardEngine.cs"
GATE = ("                if (MayHoldMarkedBody((INamedTypeSymbol)symbolStart.Symbol))\n"
        "                    symbolStart.RegisterOperationBlockAction(context => OnBlock(context, rules));")
REGISTER = "        start.RegisterSymbolStartAction(\n"
ONBLOCK = "    private void OnBlock(OperationBlockAnalysisContext context, ImmutableArray<Rule> rules)\n    {\n"
VARIANTS = {
    "full": [],
    "start": [(REGISTER, "        if (start.Compilation.AssemblyName != \"\\u0000\")\n            return;\n" + REGISTER)],
    "symstart": [(GATE, "                { }")],
    "names": [(GATE, "                _ = _names.Value;")],
    "wrappers": [(GATE, "                _ = Api.Wrappers;")],
    "gate": [(GATE, "                _ = MayHoldMarkedBody((INamedTypeSymbol)symbolStart.Symbol);")],
    "marks": [(ONBLOCK, ONBLOCK + "        rules = ImmutableArray<Rule>.Empty;\n")],
}
wanted = sys.argv[3:] or list(VARIANTS)
scratch = out / "scratch"
for name in wanted:
    if scratch.exists():
        shutil.rmtree(scratch)
    shutil.copytree(src_root / "src", scratch / "src", ignore=shutil.ignore_patterns("bin", "obj"))
    for f in src_root.iterdir():
        if f.is_file() and (f.suffix in (".props", ".targets") or f.name.lower() in ("global.json", "nuget.config")):
            shutil.copy(f, scratch / f.name)
    path = scratch / ENGINE
    text = path.read_text()
    for old, new in VARIANTS[name]:
        if text.count(old) != 1:
            sys.exit(f"variants.py: anchor not found once for {name}: {old.strip()[:80]!r}")
        text = text.replace(old, new)
    path.write_text(text)
    built = scratch / "out"
    result = subprocess.run(["dotnet", "build", str(scratch / "src/CacheGuard.CodeFixes"), "-c", "Release", "-nologo", "-v", "q",
                             "-o", str(built)], capture_output=True, text=True)
    if result.returncode != 0:
        sys.exit(f"variants.py: {name} does not build:\n" + "\n".join(l for l in result.stdout.splitlines() if " error " in l)[:2000])
    (out / name).mkdir(parents=True, exist_ok=True)
    for dll in ("CacheGuard.Analyzers.dll", "CacheGuard.CodeFixes.dll"):
        shutil.copy(built / dll, out / name / dll)
    print("built", name, file=sys.stderr)
shutil.rmtree(scratch, ignore_errors=True)
