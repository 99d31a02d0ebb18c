# Sourced by the benchmarks (after `root` is set and the working folder is the checkout): the
# pinned downloads, a release build, and where they are. Sets `cache` (the test cache),
# WASMWHEEL_CACHE_DIR (wasmwheel's own cache inside it, unless set) and `wasmwheel`: the
# release build of the checkout, or WASMWHEEL_BIN when set (.ci/run: the binary of the release
# wheel it has just built, which saves a build); and the helpers `seconds` and `median`.
# shellcheck shell=bash
# A step that fails names itself (the bench and the line): most steps send their output to
# /dev/null, and `set -e` alone would end the run without a word.
set -E
trap 'rc=$?; echo "$(basename "$0"):$LINENO: \`$BASH_COMMAND\` failed (exit $rc)" >&2' ERR
testdata/fetch.sh >/dev/null
cache=${WASMWHEEL_CACHE:-$root/testdata/cache}
export WASMWHEEL_CACHE_DIR=${WASMWHEEL_CACHE_DIR:-$cache/wasmwheel}
if [ -n "${WASMWHEEL_BIN:-}" ]; then
  wasmwheel=$(realpath "$WASMWHEEL_BIN")
else
  cargo build --release --quiet
  wasmwheel=$root/target/release/wasmwheel
fi
# seconds COMMAND...: the wall time of one run, its output discarded (a run that fails is timed
# too: each bench checks its commands once before it times them).
seconds() {
  local start end
  start=$(date +%s.%N)
  "$@" >/dev/null 2>&1 || true
  end=$(date +%s.%N)
  echo "$end $start" | awk '{printf "%.3f\n", $1 - $2}'
}
# median: the median of the numbers on stdin.
median() { sort -n | awk '{a[NR]=$1} END {print a[int((NR + 1) / 2)]}'; }
