#!/usr/bin/env bash
# Packs the CacheGuard package into artifacts/feed with a version of its own, so a consumer
# restoring it never picks up an older copy from the NuGet cache. Prints the version.
set -euo pipefail
root=$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)
version="0.1.0-local.$(date +%s)"
feed="$root/artifacts/feed"
mkdir -p "$feed"
log=$(mktemp)
if ! dotnet pack "$root/src/CacheGuard.Runtime" -c Release -o "$feed" -p:Version="$version" -nologo -v q >"$log" 2>&1; then
  cat "$log" >&2
  rm -f "$log"
  exit 1
fi
rm -f "$log"
echo "$version"
