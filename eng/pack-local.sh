#!/usr/bin/env bash
# Packs both packages, CacheGuard.Analyzers (src/CacheGuard.CodeFixes) and CacheGuard
# (src/CacheGuard.Runtime, which depends on it), into a local feed with a version of their own, so a
# consumer restoring them never picks up an older copy from the NuGet cache. Prints the version.
#   eng/pack-local.sh [FEED [VERSION]]    (defaults: artifacts/feed, 0.1.0-local.<unix time>)
set -euo pipefail
root=$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)
feed="${1:-$root/artifacts/feed}"
version="${2:-0.1.0-local.$(date +%s)}"
mkdir -p "$feed"
log=$(mktemp)
trap 'rm -f "$log"' EXIT
# The runtime's pack builds the analyzers and code fixes too (with the same version); the
# analyzer package is then packed from that build.
if ! dotnet pack "$root/src/CacheGuard.Runtime" -c Release -o "$feed" -p:Version="$version" -nologo -v q >"$log" 2>&1 \
  || ! dotnet pack "$root/src/CacheGuard.CodeFixes" -c Release -o "$feed" -p:Version="$version" --no-build -nologo -v q >>"$log" 2>&1; then
  cat "$log" >&2
  exit 1
fi
echo "$version"
