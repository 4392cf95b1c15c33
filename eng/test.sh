#!/usr/bin/env bash
# Every test: analyzers and code fixes, the runtime against real redis-server processes
# (single node and a local cluster), behavioural tests, and the end-to-end tests that pack the
# packages and build real consumers from a local feed. Needs the .NET SDK; installs redis-server
# with apt-get when it is missing and we are root.
#
# The runtime is built and tested against its StackExchange.Redis floor (2.7.27, what the CacheGuard
# package asks for). `./eng/test.sh --redis-newest` builds and tests everything against the newest
# served StackExchange.Redis instead (3.4.35). Other arguments go to `dotnet test`.
set -euo pipefail
root=$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)
redis=()
redis_label="its 2.7.27 floor"
if [ "${1:-}" = "--redis-newest" ]; then
  shift
  redis=("-p:CacheGuardRedisVersion=3.4.35")
  redis_label="3.4.35, the newest"
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
echo "==> Building (the runtime on StackExchange.Redis $redis_label)"
dotnet build "$root/CacheGuard.Analyzers.sln" -c Release -nologo -v q "${redis[@]}"
echo "==> Testing"
dotnet test "$root/CacheGuard.Analyzers.sln" -c Release --no-build -nologo --logger "console;verbosity=normal" "${redis[@]}" "$@"
