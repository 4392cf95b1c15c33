#!/usr/bin/env bash
# CacheGuard's analyzer time alone, interleaved: for each round, code base and snapshot, one fresh `cgeval tree`
# process (the cold-process figure the yardstick charges CacheGuard, which cgeval runs first), without Meziantou's
# second pass, so a round takes a third of bench/yardstick.sh's. Prints one line per run; the diagnostics line
# lets two snapshots be checked for the same reports. For the ratio to Meziantou use bench/yardstick.sh.
#   DIRS="Kavita/API eShop/src" CGEVAL_WORK=/tmp/cgeval bench/cgtime.sh ROUNDS SNAPSHOT_DIR...
set -uo pipefail
W=${CGEVAL_WORK:-/tmp/cgeval}
CORPUS=${CACHEGUARD_CORPUS:-/work/corpus}
DIRS=${DIRS:-"Kavita/API CacheManager/src FusionCache/src run-aspnetcore-microservices/src MODiX/src eShop/src"}
rounds=$1; shift
for r in $(seq 1 "$rounds"); do for d in $DIRS; do for snap in "$@"; do
  if ! out=$(dotnet "$W/tool/cgeval.dll" tree --analyzers "$snap/CacheGuard.Analyzers.dll,$snap/CacheGuard.CodeFixes.dll" \
      --refs "$W/runtime,$CORPUS/_refs" "$CORPUS/$d" 2>&1); then
    echo "$r $d $snap FAILED: $(echo "$out" | tail -3 | tr '\n' ' ')"; continue
  fi
  echo "$r $d $snap $(echo "$out" | tail -1 | grep -o 'diagnostics.*cacheguard-time [0-9]*ms')"
done; done; done
