#!/usr/bin/env bash
# Where CacheGuard's cold-process analyzer time goes on one code base: runs `cgeval tree` (CacheGuard alone) under
# dotnet-trace's sampled thread-time profile and prints bench/profile/attribute.py's report (time with a CacheGuard
# frame on the stack, by our method, by the API it called, by leaf). Sampling shows where the CPU goes; a gen-1 GC
# the compiler's own allocation triggers lands as a 10-40 ms lump on whatever frame was running, so read the large
# items, not the small ones, and compare two snapshots by their profiles rather than by one run's total.
#   CGEVAL_WORK=/tmp/cgeval bench/profile/run.sh SNAPSHOT_DIR CORPUS_SUBDIR [OUT_DIR]
# Needs dotnet-trace (dotnet tool install -g dotnet-trace) and ../shared/tools/cgeval.sh to have run once with CGEVAL_WORK.
set -euo pipefail
here=$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)
W=${CGEVAL_WORK:-/tmp/cgeval}
CORPUS=${CACHEGUARD_CORPUS:-/work/corpus}
snap=$1; dir=$2; out=${3:-/tmp/cgprofile}
mkdir -p "$out"
name=$(echo "$dir" | tr '/' '_')
export PATH="$PATH:$HOME/.dotnet/tools"
dotnet-trace collect --show-child-io --profile dotnet-sampled-thread-time -o "$out/$name.nettrace" --format Speedscope -- \
  dotnet "$W/tool/cgeval.dll" tree --analyzers "$snap/CacheGuard.Analyzers.dll,$snap/CacheGuard.CodeFixes.dll" \
  --refs "$W/runtime,$CORPUS/_refs" "$CORPUS/$dir" > "$out/$name.out" 2>&1
grep -o 'diagnostics.*cacheguard-time [0-9]*ms' "$out/$name.out" || tail -5 "$out/$name.out"
python3 "$here/attribute.py" "$out/$name.speedscope.json" 25
