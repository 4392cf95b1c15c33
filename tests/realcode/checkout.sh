#!/usr/bin/env bash
# Checks out the real-code corpus (corpus.tsv) into $CACHEGUARD_CORPUS (default /work/corpus):
# only the .cs files of each repository at its pinned commit. The repositories come from
# snapshots (git directories) under $CACHEGUARD_MIRRORS (default /work/.mirror/<owner>+<name>/repo,
# where the workplace's snapshot tool puts them) or are cloned from GitHub when there is network.
# Public code is never committed to this repository.
set -euo pipefail
here=$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)
corpus=${CACHEGUARD_CORPUS:-/work/corpus}
mirrors=${CACHEGUARD_MIRRORS:-/work/.mirror}
mkdir -p "$corpus"
tail -n +2 "$here/corpus.tsv" | while IFS=$'\t' read -r name repo commit folder; do
  dest="$corpus/$name"
  if [ -d "$dest" ] && [ -f "$dest/.cacheguard-commit" ] && [ "$(cat "$dest/.cacheguard-commit")" = "$commit" ]; then
    continue
  fi
  gitdir="$mirrors/${repo/\//+}/repo"
  if [ ! -d "$gitdir" ]; then
    echo "==> cloning $repo" >&2
    gitdir="$corpus/.git-$name"
    [ -d "$gitdir" ] || git clone --bare --filter=blob:none "https://github.com/$repo" "$gitdir" >&2
  fi
  git --git-dir="$gitdir" cat-file -e "$commit^{commit}" 2>/dev/null \
    || { echo "$repo: commit $commit is not in $gitdir" >&2; exit 1; }
  rm -rf "$dest" && mkdir -p "$dest"
  git --git-dir="$gitdir" archive "$commit" -- ':(glob)**/*.cs' | tar -x -C "$dest"
  echo "$commit" > "$dest/.cacheguard-commit"
  echo "==> $name: $(find "$dest" -name '*.cs' | wc -l) files" >&2
done
