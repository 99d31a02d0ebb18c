#!/usr/bin/env bash
# The whole test suite, from a fresh machine: installs the system tools the tests use (as root,
# with apt-get, when they are missing), downloads the pinned third-party wheels and Pyodide
# releases (testdata/fetch.sh), checks formatting, lints, rebuilds the fixtures to check they
# match what is committed, runs every test, then each fuzz target for a bounded time.
# Nothing is skipped: tests that need a download or a tool are `#[ignore = "needs ..."]`, and
# this script runs them too (--include-ignored), so a missing download or tool fails them.
set -euo pipefail
cd "$(dirname "$0")/.."

need=()
command -v emcc >/dev/null || need+=(emscripten)
command -v wasm-objdump >/dev/null || need+=(wabt)
command -v unzip >/dev/null || need+=(unzip)
command -v node >/dev/null || need+=(nodejs npm)
command -v chromium >/dev/null || need+=(chromium)
if [ ${#need[@]} -gt 0 ]; then
  if [ "$(id -u)" = 0 ] && command -v apt-get >/dev/null; then
    echo "test.sh: installing ${need[*]}"
    apt-get update -qq
    DEBIAN_FRONTEND=noninteractive apt-get install -y -qq "${need[@]}" >/dev/null
  else
    echo "test.sh: please install: ${need[*]}" >&2
    exit 1
  fi
fi

testdata/fetch.sh

echo "test.sh: rebuilding fixtures"
testdata/build.sh >/dev/null 2>&1
if ! git diff --quiet -- testdata/ || [ -n "$(git ls-files --others --exclude-standard -- testdata/)" ]; then
  git status --short -- testdata/
  echo "test.sh: testdata/build.sh does not reproduce the committed fixtures" >&2
  exit 1
fi

cargo fmt --all -- --check
cargo fmt --manifest-path fuzz/Cargo.toml -- --check
cargo clippy --all-targets --quiet -- -D warnings
cargo test --quiet -- --include-ignored
# The command as pip installs it is checked by scripts/release.sh (.ci/run runs it), from the
# built wheel and, in its full form, from the sdist built from scratch.
# Every fuzz target for a bounded time (a minute each by default).
scripts/fuzz.sh
echo "test.sh: all passed"
