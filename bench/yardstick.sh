#!/usr/bin/env bash
# The cost yardstick of issue 14, interleaved: for each round, each code base, each snapshot, one fresh `cgeval tree`
# process with CacheGuard first and Meziantou.Analyzer second on the same compilation (cgeval's order). A snapshot is a
# folder holding CacheGuard.Analyzers.dll and CacheGuard.CodeFixes.dll (copy them out of src/*/bin/Release to compare builds).
#   DIRS="Kavita/API eShop/src" bench/yardstick.sh ROUNDS SNAPSHOT_DIR...
# Needs ../shared/tools/cgeval.sh to have run once with CGEVAL_WORK, the corpus checked out (tests/realcode/checkout.sh)
# and its _refs folder (tests/realcode/README.md). Run it with nothing else on the machine.
set -euo pipefail
W=${CGEVAL_WORK:-/tmp/cgeval}
CORPUS=${CACHEGUARD_CORPUS:-/work/corpus}
MEZ=${MEZ:-$HOME/.nuget/packages/meziantou.analyzer/3.0.321/analyzers/dotnet/roslyn5.9/cs/Meziantou.Analyzer.dll}
DIRS=${DIRS:-"Kavita/API CacheManager/src FusionCache/src run-aspnetcore-microservices/src MODiX/src eShop/src"}
rounds=$1; shift
for r in $(seq 1 "$rounds"); do for d in $DIRS; do for snap in "$@"; do
  # A failed run is printed and the loop goes on (set -e would end it with no word on which run failed).
  if ! out=$(dotnet "$W/tool/cgeval.dll" tree --analyzers "$snap/CacheGuard.Analyzers.dll,$snap/CacheGuard.CodeFixes.dll" \
      --refs "$W/runtime,$CORPUS/_refs" --with "$MEZ" "$CORPUS/$d" 2>&1); then
    echo "$r $d $snap FAILED: $(echo "$out" | tail -3 | tr '\n' ' ')"
    continue
  fi
  # cgeval's last line: diagnostics N [...] crashes N cacheguard-time Nms other-time Nms (N analyzers)
  echo "$r $d $snap $(echo "$out" | tail -1 | grep -o 'diagnostics.*other-time [0-9]*ms')"
done; done; done
