#!/usr/bin/env bash
# The main job: pack CacheGuard, build the bundled sample against the package from a local feed,
# and print the CacheGuard warnings it raises. Needs only the .NET SDK.
set -euo pipefail
root=$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)
echo "==> Packing CacheGuard"
version=$("$root/eng/pack-local.sh")
echo "    CacheGuard $version -> artifacts/feed"
echo "==> Building samples/CacheGuard.Sample against it"
log=$(mktemp)
set +e
dotnet build "$root/samples/CacheGuard.Sample" --no-incremental -nologo \
  -p:CacheGuardPackageVersion="$version" \
  -p:RestoreAdditionalProjectSources="$root/artifacts/feed" >"$log" 2>&1
status=$?
set -e
if [ $status -ne 0 ]; then
  cat "$log"
  echo "sample build failed" >&2
  exit $status
fi
# One line per warning (MSBuild repeats them in its summary), paths relative to the repo.
warnings=$(grep -E "warning CG[0-9]{4}" "$log" | sed -E "s| \[[^]]*\]$||; s|$root/||" | sort -u)
echo
echo "$warnings"
echo
echo "==> CacheGuard warnings by rule"
echo "$warnings" | grep -oE "warning CG[0-9]{4}" | awk '{print $2}' | sort | uniq -c | awk '{printf "    %s  %d\n", $2, $1}'
echo "    total $(echo "$warnings" | grep -c . || true)"
rm -f "$log"
