#!/usr/bin/env bash
# Every test: analyzers and code fixes, the runtime against real redis-server processes
# (single node and a local cluster), behavioural tests, and the end-to-end tests that pack the
# packages and build real consumer projects from a local feed. Needs the .NET SDK; installs
# redis-server with apt-get when it is missing and we are root.
#
# Two StackExchange.Redis legs (Directory.Packages.props):
#   1. floor:  everything built and tested against 2.7.27, the version the CacheGuard package is
#              compiled against and asks for;
#   2. newest: the runtime tests again, with the runtime as packed (compiled against 2.7.27) running
#              on 3.4.35, the newest served: what a StackExchange.Redis 3.x consumer executes. It
#              builds into bin/run-redis-3.4.35/ and obj/run-redis-3.4.35/, beside leg 1's outputs.
# `./eng/test.sh --redis-newest` instead compiles everything against 3.4.35 (source compatibility;
# Microsoft.Extensions 10.0.15 on every target, as StackExchange.Redis 3.x requires) and tests it
# all there. `./eng/test.sh --net8` runs only the runtime tests, on .NET 8 (self-contained from the
# runtime pack: the machine needs no .NET 8 shared runtime) and StackExchange.Redis 2.8.16, executing
# the runtime's net8.0 build (not in CI: CI executes the packed net8.0 asset in RuntimeExecutionTests).
# Other arguments go to `dotnet test` (in both legs).
set -euo pipefail
root=$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)
newest=3.4.35
redis=()
redis_label="its 2.7.27 floor"
second_leg=true
if [ "${1:-}" = "--redis-newest" ]; then
  shift
  redis=("-p:CacheGuardRedisVersion=$newest")
  redis_label="$newest, the newest"
  second_leg=false
fi
if ! command -v redis-server >/dev/null 2>&1; then
  if [ "$(id -u)" = "0" ] && command -v apt-get >/dev/null 2>&1; then
    echo "==> Installing redis-server"
    (apt-get install -y redis-server >/dev/null 2>&1 || { apt-get update >/dev/null 2>&1 && apt-get install -y redis-server >/dev/null; })
  else
    echo "redis-server is missing: install it (apt-get install -y redis-server) or run as root" >&2
    exit 1
  fi
fi
# Services that the package's redis-server starts on install are not ours: tests start their own.
command -v systemctl >/dev/null 2>&1 && systemctl stop redis-server >/dev/null 2>&1 || true
if [ "${1:-}" = "--net8" ]; then
  shift
  echo "==> Runtime tests on .NET 8 (self-contained) and StackExchange.Redis 2.8.16"
  dotnet test "$root/tests/CacheGuard.Runtime.Tests" -c Release -nologo -v q --logger "console;verbosity=normal" \
    -p:CacheGuardTestFramework=net8.0 -p:RuntimeIdentifier=linux-x64 -p:SelfContained=true -p:CacheGuardRedisTestVersion=2.8.16 "$@"
  echo "==> Done in ${SECONDS}s"
  exit 0
fi
# Each test leg runs to the end even when an earlier one failed; its output is kept, and the
# summary at the very end names every failed test with its message (CI shows the tail).
logdir=$(mktemp -d)
failed_legs=()
run_leg() { # label, command...
  local label=$1; shift
  local log="$logdir/$((${#legs[@]} + 1)).log"
  legs+=("$label")
  local rc=0
  "$@" 2>&1 | tee "$log" || rc=$?
  if [ "$rc" -ne 0 ]; then failed_legs+=("$label (exit $rc)"); fi
}
legs=()
summary() {
  echo "==> Summary (${SECONDS}s)"
  local i=1
  for label in "${legs[@]}"; do
    local counts
    counts=$(grep -hE '^\s+(Passed|Failed|Skipped):' "$logdir/$i.log" | tr -s ' ' | tr '\n' ' ' || true)
    echo "    $label: ${counts:-no test counts printed}"
    i=$((i + 1))
  done
  if [ "${#failed_legs[@]}" -ne 0 ]; then
    echo "==> FAILED: ${failed_legs[*]}"
    for log in "$logdir"/*.log; do
      # Each failed test's block: its name, error message and the top of its stack trace.
      awk '/^  Failed /{p=1; n=0} /^  (Passed|Skipped) |^Test Run |^\[xUnit/{p=0} p && n < 30 {print; n++}' "$log"
    done
    return 1
  fi
}
echo "==> Building (the runtime on StackExchange.Redis $redis_label)"
dotnet build "$root/CacheGuard.Analyzers.sln" -c Release -nologo -v q "${redis[@]}"
echo "==> Testing (StackExchange.Redis $redis_label; ${SECONDS}s so far)"
run_leg "StackExchange.Redis $redis_label" \
  dotnet test "$root/CacheGuard.Analyzers.sln" -c Release --no-build -nologo --logger "console;verbosity=normal" "${redis[@]}" "$@"
if [ "$second_leg" = true ]; then
  echo "==> Runtime tests on StackExchange.Redis $newest (the runtime as packed, compiled against 2.7.27; ${SECONDS}s so far)"
  run_leg "runtime on StackExchange.Redis $newest" \
    dotnet test "$root/tests/CacheGuard.Runtime.Tests" -c Release -nologo -v q --logger "console;verbosity=normal" \
    "-p:CacheGuardRedisTestVersion=$newest" "$@"
fi
summary
echo "==> Done in ${SECONDS}s"
