#!/usr/bin/env bash
# Download the real third-party inputs the tests use into a cache (default testdata/cache,
# or $WASMWHEEL_CACHE): wheels from PyPI, and Pyodide releases from npm, both as tarballs
# (for `wasmwheel policy import`) and installed for Node (for the import tests).
#
# Every file is pinned by version and sha256 (testdata/external.lock); a mismatch fails.
# Already-cached files are checked and kept. Needs pip and npm.
set -euo pipefail
here=$(cd "$(dirname "$0")" && pwd)
cache=${WASMWHEEL_CACHE:-$here/cache}
mkdir -p "$cache/pypi" "$cache/npm"

check() { # check FILE SHA256
  echo "$2  $1" | sha256sum --check --status || { echo "fetch.sh: $1 does not match its pinned sha256" >&2; exit 1; }
}

while read -r kind spec platform pyver file sha; do
  case "$kind" in
  pypi)
    dest="$cache/pypi/$file"
    if [ ! -f "$dest" ]; then
      args=(--no-deps --only-binary=:all: --dest "$cache/pypi" "$spec")
      if [ "$platform" != "-" ]; then
        args+=(--platform "$platform" --python-version "$pyver" --implementation cp)
      fi
      python3 -m pip download --quiet --disable-pip-version-check "${args[@]}"
    fi
    check "$dest" "$sha"
    ;;
  npm)
    dest="$cache/npm/$file"
    if [ ! -f "$dest" ]; then
      (cd "$cache/npm" && npm pack --silent "$spec" >/dev/null)
    fi
    check "$dest" "$sha"
    ;;
  esac
done < <(grep -v '^#' "$here/external.lock" | grep .)

# Pyodide for Node: each release unpacked under node/<abi>/ (it needs nothing else under Node).
node_dir="$cache/node"
while read -r abi tarball; do
  if [ ! -f "$node_dir/$abi/.complete" ]; then
    rm -rf "$node_dir/$abi"
    mkdir -p "$node_dir/$abi"
    tar -xzf "$cache/npm/$tarball" -C "$node_dir/$abi" --strip-components=1
    touch "$node_dir/$abi/.complete"
  fi
done <<EOF
2024_0 pyodide-0.27.7.tgz
2025_0 pyodide-0.29.3.tgz
2026_0 pyodide-314.0.7.tgz
2026_5 pyodide-315.0.0-alpha.2.tgz
EOF
# testdata/releases/<version>/ holds each release's package.json, pyodide.js and
# pyodide-lock.json, committed: the tests of what only reads a release (lock, resolution,
# fake-host runs) use them without a download. They must be the pinned tarballs' own.
while read -r abi version; do
  for file in package.json pyodide.js pyodide-lock.json; do
    if ! cmp -s "$node_dir/$abi/$file" "$here/releases/$version/$file"; then
      echo "fetch.sh: testdata/releases/$version/$file is not the pinned release's own (cp $node_dir/$abi/$file $here/releases/$version/)" >&2
      exit 1
    fi
  done
done <<EOF
2024_0 0.27.7
2025_0 0.29.3
2026_0 314.0.7
2026_5 315.0.0-alpha.2
EOF
# Zig (from its PyPI wheel) for the WASI fixtures: its clang emits position-independent code
# for wasm32-wasi, which Debian's clang 14 does not.
if [ ! -x "$cache/zig/ziglang/zig" ]; then
  rm -rf "$cache/zig"
  python3 -m zipfile -e "$cache"/pypi/ziglang-*.whl "$cache/zig"
  chmod +x "$cache/zig/ziglang/zig"
fi
echo "fetch.sh: cache ready in $cache"
