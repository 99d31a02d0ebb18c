# Sourced by the benchmarks (after `root` is set and the working folder is the checkout): the
# pinned downloads, a release build, and where they are. Sets `cache` (the test cache),
# WASMWHEEL_CACHE_DIR (wasmwheel's own cache inside it, unless set) and `wasmwheel`.
# shellcheck shell=bash
testdata/fetch.sh >/dev/null
cargo build --release --quiet
cache=${WASMWHEEL_CACHE:-$root/testdata/cache}
export WASMWHEEL_CACHE_DIR=${WASMWHEEL_CACHE_DIR:-$cache/wasmwheel}
wasmwheel=$root/target/release/wasmwheel
