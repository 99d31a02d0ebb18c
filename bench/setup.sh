# Sourced by the benchmarks (after `root` is set and the working folder is the checkout): the
# pinned downloads, a release build, and where they are. Sets `cache` (the test cache),
# WASMWHEEL_CACHE_DIR (wasmwheel's own cache inside it, unless set) and `wasmwheel`: the
# release build of the checkout, or WASMWHEEL_BIN when set (.ci/run: the binary of the release
# wheel it has just built, which saves a build).
# shellcheck shell=bash
testdata/fetch.sh >/dev/null
cache=${WASMWHEEL_CACHE:-$root/testdata/cache}
export WASMWHEEL_CACHE_DIR=${WASMWHEEL_CACHE_DIR:-$cache/wasmwheel}
if [ -n "${WASMWHEEL_BIN:-}" ]; then
  wasmwheel=$(realpath "$WASMWHEEL_BIN")
else
  cargo build --release --quiet
  wasmwheel=$root/target/release/wasmwheel
fi
