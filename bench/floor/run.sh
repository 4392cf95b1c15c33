#!/usr/bin/env bash
# The floor beside CacheGuard (issue 14): for each round and code base, two fresh `cgeval tree` processes, interleaved,
# each with Meziantou.Analyzer 3.0.321 second on the same compilation: the floor analyzer first, then CacheGuard first.
# Prints one line per run and, at the end, the sums and each one's share of Meziantou's time.
#   DIRS="Kavita/API eShop/src" bench/floor/run.sh ROUNDS [CACHEGUARD_SNAPSHOT_DIR]
# The snapshot holds CacheGuard.Analyzers.dll and CacheGuard.CodeFixes.dll (default: src/*/bin/Release of this tree).
# Needs ../shared/tools/cgeval.sh to have run once with CGEVAL_WORK, the corpus and its _refs (tests/realcode/README.md).
# Run it with nothing else on the machine.
set -uo pipefail
here=$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd); root=$(cd "$here/../.." && pwd)
W=${CGEVAL_WORK:-/tmp/cgeval}
CORPUS=${CACHEGUARD_CORPUS:-/work/corpus}
MEZ=${MEZ:-$HOME/.nuget/packages/meziantou.analyzer/3.0.321/analyzers/dotnet/roslyn5.9/cs/Meziantou.Analyzer.dll}
DIRS=${DIRS:-"Kavita/API CacheManager/src FusionCache/src run-aspnetcore-microservices/src MODiX/src eShop/src"}
rounds=$1; snap=${2:-}
dotnet build "$here/CacheGuard.Floor.csproj" -c Release -nologo -v q >/dev/null || exit 1
floor=$here/bin/Release/netstandard2.0/CacheGuard.Floor.dll
if [ -n "$snap" ]; then cg="$snap/CacheGuard.Analyzers.dll,$snap/CacheGuard.CodeFixes.dll"
else cg="$(find "$root/src/CacheGuard.Analyzers/bin/Release" -name CacheGuard.Analyzers.dll | head -1),$(find "$root/src/CacheGuard.CodeFixes/bin/Release" -name CacheGuard.CodeFixes.dll | head -1)"; fi
log=$(mktemp)
for r in $(seq 1 "$rounds"); do for d in $DIRS; do for who in floor cacheguard; do
  [ "$who" = floor ] && analyzers=$floor || analyzers=$cg
  if ! out=$(dotnet "$W/tool/cgeval.dll" tree --analyzers "$analyzers" --refs "$W/runtime,$CORPUS/_refs" --with "$MEZ" "$CORPUS/$d" 2>&1); then
    echo "$r $d $who FAILED: $(echo "$out" | tail -3 | tr '\n' ' ')"; continue
  fi
  line=$(echo "$out" | tail -1 | grep -o 'diagnostics.*other-time [0-9]*ms')
  echo "$r $d $who $line" | tee -a "$log"
done; done; done
# cacheguard-time is the time of the analyzers passed with --analyzers (the floor's, on its lines).
python3 - "$log" <<'PY'
import re, sys, collections
own = collections.Counter(); mez = collections.Counter()
for line in open(sys.argv[1]):
    m = re.search(r'^\S+ \S+ (\S+) .*cacheguard-time (\d+)ms other-time (\d+)ms', line)
    if m: own[m[1]] += int(m[2]); mez[m[1]] += int(m[3])
for who in ('floor', 'cacheguard'):
    if mez[who]: print(f"{who}: {own[who]} ms against Meziantou's {mez[who]} ms = {100 * own[who] / mez[who]:.2f} %")
PY
rm -f "$log"
