#!/usr/bin/env bash
# Where CacheGuard's analyzer time goes in a fresh process, per kind of callback: wall (what cgeval reports), this
# thread's CPU, JIT, GC pause, allocations. Builds an instrumented copy of the analyzers (never the package), then runs
# cgeval's tree mode ROUNDS times per code base, CacheGuard alone.
#   bench/cgstats/run.sh ROUNDS DIR...        (e.g. bench/cgstats/run.sh 3 /work/corpus/eShop/src /work/corpus/Kavita/API)
# Needs ../shared/tools/cgeval.sh to have run once with CGEVAL_WORK (default /tmp/cgeval-stats), for its tool and runtime.
set -euo pipefail
here=$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd); root=$(cd "$here/../.." && pwd)
rounds=$1; shift
work=${CGEVAL_WORK:-/tmp/cgeval-stats}; scratch=$work/instrumented
rm -rf "$scratch" && mkdir -p "$scratch"
cp -r "$root/src" "$scratch/"
for f in "$root"/*.props "$root"/*.targets "$root"/global.json "$root"/[Nn]u[Gg]et.config; do if [ -f "$f" ]; then cp "$f" "$scratch/"; fi; done
python3 "$here/instrument.py" "$scratch/src/CacheGuard.Analyzers"
dotnet build "$scratch/src/CacheGuard.CodeFixes" -c Release -nologo -v q -o "$scratch/out" >"$work/instrumented-build.log" 2>&1 \
  || { grep -E " error " "$work/instrumented-build.log" | head; exit 1; }
cgeval=${CGEVAL:-$root/../shared/tools/cgeval.sh}
[ -f "$work/tool/cgeval.dll" ] && [ -d "$work/runtime" ] || (cd "$root" && CGEVAL_WORK=$work "$cgeval" >/dev/null)
for dir in "$@"; do
  for r in $(seq "$rounds"); do
    echo "== $dir round $r"
    dotnet "$work/tool/cgeval.dll" tree --analyzers "$scratch/out/CacheGuard.Analyzers.dll,$scratch/out/CacheGuard.CodeFixes.dll" \
      --refs "$work/runtime" "$dir" 2>&1 | grep -E "^CGSTATS|^CGCOUNT|cacheguard-time"
  done
done
