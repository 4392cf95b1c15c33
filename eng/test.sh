#!/usr/bin/env bash
# Every test: analyzers and code fixes, the runtime against real redis-server processes
# (single node and a local cluster), behavioural tests, and the end-to-end tests that pack the
# package and build a real consumer from a local feed. Needs the .NET SDK; installs redis-server
# with apt-get when it is missing and we are root.
set -euo pipefail
root=$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)
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
echo "==> Building"
dotnet build "$root/CacheGuard.Analyzers.sln" -c Release -nologo -v q
echo "==> Testing"
dotnet test "$root/CacheGuard.Analyzers.sln" -c Release --no-build -nologo --logger "console;verbosity=normal" "$@"
