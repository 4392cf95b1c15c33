#!/usr/bin/env bash
# What each stage of the engine makes the runtime JIT-compile (issue 14): one cgeval tree run per variant on one code base
# with DOTNET_JitDisasmSummary (every method the JIT compiles, in a file), then, for each stage over the one before it, how
# many more distinct methods were compiled, by where they come from: CacheGuard's own, Roslyn's IOperation code, the
# rest of Roslyn, the rest (the runtime's generics, the driver). cgeval loads Roslyn from NuGet as IL, so Roslyn code the
# engine is first to run is compiled inside CacheGuard's callbacks and charged to it.
#   CGEVAL_WORK=/tmp/cgeval bench/decompose/jit.sh CORPUS_SUBDIR [VARIANT...]
set -uo pipefail
here=$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd); root=$(cd "$here/../.." && pwd)
W=${CGEVAL_WORK:-/tmp/cgeval}
CORPUS=${CACHEGUARD_CORPUS:-/work/corpus}
dir=$1; shift
variants=${*:-"start symstart names gate marks full"}
snaps=$(mktemp -d)
python3 "$here/variants.py" "$root" "$snaps" $variants || exit 1
for v in $variants; do
  DOTNET_JitDisasmSummary=1 DOTNET_JitStdOutFile="$snaps/$v.jit" dotnet "$W/tool/cgeval.dll" tree \
    --analyzers "$snaps/$v/CacheGuard.Analyzers.dll,$snaps/$v/CacheGuard.CodeFixes.dll" --refs "$W/runtime,$CORPUS/_refs" "$CORPUS/$dir" \
    2>&1 | tail -1 | sed "s/^/$v: /"
done
python3 - "$snaps" $variants <<'PY'
import re, sys, collections
snaps, variants = sys.argv[1], sys.argv[2:]
def methods(v):
    found = set()
    for line in open(f"{snaps}/{v}.jit", errors="replace"):
        m = re.match(r"\s*\d+: JIT compiled (.*) \[", line)
        if m:
            found.add(m.group(1))
    return found
def origin(m):
    owner = m.split("(")[0].split(":")[0]
    if "CacheGuard" in owner: return "CacheGuard"
    if m.startswith("Microsoft.CodeAnalysis") and "Operation" in owner: return "Roslyn IOperation"
    if m.startswith("Microsoft.CodeAnalysis"): return "Roslyn other"
    return "other"
previous = None
for v in variants:
    now = methods(v)
    if previous is not None:
        extra = now - previous[1]
        by = collections.Counter(origin(m) for m in extra)
        print(f"{v:<8} over {previous[0]:<8} +{len(extra):>5} methods: " + ", ".join(f"{k} {n}" for k, n in by.most_common()))
    previous = (v, now)
PY
rm -rf "$snaps"
