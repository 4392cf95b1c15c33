#!/usr/bin/env bash
# Builds samples/CacheGuard.Sample against a freshly packed CacheGuard (as eng/sample.sh does) with
# -p:ReportAnalyzer=true and a binary log, then replays the binlog and prints the compiler's own
# per-analyzer times: CacheGuard's analyzers, the total of every analyzer, and the Csc task time.
# Usage: bench/analyzer-binlog.sh [output-dir]   (default: artifacts/bench; REPLAY_ONLY=1 re-reads an existing binlog)
set -euo pipefail
root=$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)
out=${1:-$root/artifacts/bench}
mkdir -p "$out"
binlog="$out/sample-analyzers.binlog"
if [ "${REPLAY_ONLY:-0}" = "1" ] && [ -f "$binlog" ]; then
  echo "==> Reusing $binlog (REPLAY_ONLY=1)"
else
echo "==> Packing CacheGuard"
version=$("$root/eng/pack-local.sh")
echo "    CacheGuard $version -> artifacts/feed"
echo "==> Building samples/CacheGuard.Sample with -p:ReportAnalyzer=true -bl:$binlog"
log=$(mktemp)
if ! dotnet build "$root/samples/CacheGuard.Sample" --no-incremental -nologo -v q \
  -p:CacheGuardPackageVersion="$version" \
  -p:RestoreAdditionalProjectSources="$root/artifacts/feed" \
  -p:ReportAnalyzer=true -bl:"$binlog" >"$log" 2>&1; then
  cat "$log"; rm -f "$log"; echo "sample build failed" >&2; exit 1
fi
rm -f "$log"
fi
echo "==> Replaying the binlog (diagnostic verbosity)"
replay="$out/sample-analyzers.replay.log"
dotnet msbuild "$binlog" -noconlog -flp:"logfile=$replay;verbosity=diagnostic;PerformanceSummary" >/dev/null 2>&1 || true
if ! grep -q "Total analyzer execution time" "$replay"; then
  echo "no analyzer report found in $replay" >&2; exit 1
fi
echo
echo "Compiler's analyzer report (ReportAnalyzer): the total, the 5 slowest analyzer assemblies, and every CacheGuard line"
# In the report an assembly line is indented 3 spaces after the percentage, an analyzer line 6.
awk '
  /Total analyzer execution time/ { on = 1; n = 0; sub(/^[ \t]+/, ""); sub(/ \(TaskId:[0-9]+\)/, ""); print "  " $0; next }
  on && /Total generator execution time/ { on = 0; next }
  on && /Time \(s\)/ { sub(/^[ \t]+/, ""); sub(/ \(TaskId:[0-9]+\)/, ""); print "  " $0; next }
  on && /^[ \t]*[0-9.<]+[ \t]+[0-9<]+[ \t]+/ {
    line = $0; sub(/ \(TaskId:[0-9]+\)/, "", line); sub(/^[ \t]+/, "", line)
    isAssembly = (line ~ /^[0-9.<]+ +[0-9<]+   [^ ]/)
    if (line ~ /CacheGuard/) { print "  " line; next }
    if (isAssembly && n < 5) { print "  " line; n++ }
  }
' "$replay"
echo
echo "Csc task time (MSBuild performance summary):"
grep -E "^\s+[0-9]+ ms\s+Csc\s" "$replay" | head -3 | sed -E 's/^[[:space:]]+/  /'
echo
echo "binlog: $binlog"
echo "replay: $replay"
