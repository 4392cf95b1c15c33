#!/usr/bin/env bash
# Where CacheGuard's cold-process analyzer time goes, stage by stage (issue 14): builds the engine cut after each stage
# (variants.py: start, symstart, names, wrappers, gate, marks, full), then runs cgeval's tree mode, CacheGuard alone,
# ROUNDS times per code base with the variants interleaved (one fresh process each), and prints each variant's sum per
# round. The difference of two neighbouring stages is what the later one adds. Wall time of Roslyn's callbacks, as the
# yardstick charges it: run it with nothing else on the machine, and read sums over rounds, not single runs.
#   DIRS="Kavita/API eShop/src" CGEVAL_WORK=/tmp/cgeval bench/decompose/run.sh ROUNDS [VARIANT...]
# Needs ../shared/tools/cgeval.sh to have run once with CGEVAL_WORK, the corpus and its _refs (tests/realcode/README.md).
set -uo pipefail
here=$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd); root=$(cd "$here/../.." && pwd)
W=${CGEVAL_WORK:-/tmp/cgeval}
CORPUS=${CACHEGUARD_CORPUS:-/work/corpus}
DIRS=${DIRS:-"Kavita/API CacheManager/src FusionCache/src run-aspnetcore-microservices/src MODiX/src eShop/src"}
rounds=$1; shift
variants=${*:-"start symstart wrappers names gate marks full"}
snaps=$(mktemp -d)
python3 "$here/variants.py" "$root" "$snaps" $variants || exit 1
log=$(mktemp)
# The interleaved loop is bench/cgtime.sh's (one fresh cgeval process per round, code base and variant).
snapdirs=""; for v in $variants; do snapdirs="$snapdirs $snaps/$v"; done
DIRS="$DIRS" CGEVAL_WORK="$W" CACHEGUARD_CORPUS="$CORPUS" "$here/../cgtime.sh" "$rounds" $snapdirs | tee "$log"
python3 - "$log" $variants <<'PY'
import sys, collections, os, re
log, variants = sys.argv[1], sys.argv[2:]
per = collections.defaultdict(lambda: collections.defaultdict(int))
for line in open(log):
    m = re.match(r"(\d+) \S+ (\S+) .*cacheguard-time (\d+)ms", line)
    if m:
        per[os.path.basename(m.group(2))][m.group(1)] += int(m.group(3))
rounds = sorted({r for v in per for r in per[v]}, key=int)
print("variant  " + "  ".join(f"round {r:>3}" for r in rounds) + "   mean")
for v in variants:
    sums = [per[v][r] for r in rounds]
    print(f"{v:<8} " + "  ".join(f"{s:>9}" for s in sums) + f"  {sum(sums) / max(len(sums), 1):>6.0f} ms")
PY
rm -rf "$snaps" "$log"
