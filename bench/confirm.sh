#!/usr/bin/env bash
# Benchmark of the runtime pool: `wasmwheel audit --confirm` on N wheels, each loaded in the
# four releases (N x 4 runs), served by one session per release (a fresh Pyodide restored
# from a snapshot for each run), against one bare `loadPyodide()` under Node (a new process
# that starts 314.0.7 and exits), measured side by side in one run; the old way, a process per
# run (`--isolate`), on a few of the wheels; a warm `wasmwheel test` of one small wheel against
# the same bare start; and the peak memory of all processes of the confirm together.
# Prints the figures; asserts nothing. The goals (issue "Confirm deep and fast"): per
# wheel-release at most 0.1x the bare start; the warm test at most 0.3x; peak RSS under 2 GiB.
#
#   bench/confirm.sh                  # N=100
#   BENCH_WHEELS=20 bench/confirm.sh  # the quick form CI runs
set -euo pipefail
root=$(cd "$(dirname "$0")/.." && pwd)
cd "$root"
# shellcheck source=bench/setup.sh
. bench/setup.sh
# bc for the arithmetic, ps (procps: not on every fresh machine) for the peak memory.
if ! command -v bc >/dev/null || ! command -v ps >/dev/null; then
  apt-get update -qq && DEBIAN_FRONTEND=noninteractive apt-get install -y -qq bc procps >/dev/null
fi
work=$(mktemp -d)
trap 'rm -rf "$work"' EXIT
n=${BENCH_WHEELS:-100}
isolated=${BENCH_ISOLATED:-5}

# The wheel set: the Emscripten fixtures, copied (a build tag keeps every copy distinct)
# until there are N.
sources=(testdata/wheels/*pyemscripten_*.whl)
mkdir -p "$work/wheels" "$work/few"
i=0
while [ "$i" -lt "$n" ]; do
  for w in "${sources[@]}"; do
    [ "$i" -lt "$n" ] || break
    base=$(basename "$w" .whl)
    name=${base%%-*}; rest=${base#*-}; version=${rest%%-*}; tags=${rest#*-}
    cp "$w" "$work/wheels/$name-$version-$i-$tags.whl"
    [ "$i" -lt "$isolated" ] && cp "$w" "$work/few/$name-$version-$i-$tags.whl"
    i=$((i + 1))
  done
done
wheels=("$work"/wheels/*.whl)
few=("$work"/few/*.whl)
small=testdata/wheels/fxclean-1.0-cp312-abi3-pyemscripten_2024_0_wasm32.whl
if ! "$wasmwheel" test --no-index --pyodide 314.0.7 "$small" >"$work/warm.log" 2>&1; then
  cat "$work/warm.log" >&2
  echo "confirm.sh: wasmwheel test of $small failed (above)" >&2
  exit 1
fi
release=$WASMWHEEL_CACHE_DIR/pyodide/314.0.7

# peak_rss COMMAND...: the wall time, and the largest sum of the resident memory (MiB) of the
# command and everything it started, sampled every 0.2 s.
peak_rss() {
  local start end pid peak=0 now
  start=$(date +%s.%N)
  setsid "$@" >/dev/null 2>&1 &
  pid=$!
  while kill -0 "$pid" 2>/dev/null; do
    # The command may end between the check and ps: that sample is 0, not a failure.
    now=$(ps -o rss= -s "$pid" 2>/dev/null | awk '{s += $1} END {print int(s / 1024)}' || true)
    [ "${now:-0}" -gt "$peak" ] && peak=$now
    sleep 0.2
  done
  wait "$pid" || true
  end=$(date +%s.%N)
  echo "$(echo "$end - $start" | bc) $peak"
}
bare() { node -e "require('$release/pyodide.js').loadPyodide().then(() => process.exit(0))"; }

# Warm every release, its snapshot and the page cache.
"$wasmwheel" audit --confirm --no-index "${few[@]}" >/dev/null 2>&1 || true
bare_times=() test_times=()
for _ in 1 2 3; do
  bare_times+=("$(seconds bare)")
  test_times+=("$(seconds "$wasmwheel" test --no-index --pyodide 314.0.7 "$small")")
done
bare_s=$(printf "%s\n" "${bare_times[@]}" | median)
test_s=$(printf "%s\n" "${test_times[@]}" | median)
read -r pool_s pool_mib < <(peak_rss "$wasmwheel" audit --confirm --no-index "${wheels[@]}")
read -r iso_s iso_mib < <(peak_rss "$wasmwheel" audit --confirm --isolate --no-index "${few[@]}")
runs=$((${#wheels[@]} * 4))
iso_runs=$((${#few[@]} * 4))
per_run=$(echo "$pool_s / $runs" | bc -l)
per_iso=$(echo "$iso_s / $iso_runs" | bc -l)

printf "\n%-56s %9s %9s\n" "on $(nproc) cores" "wall (s)" "peak MiB"
printf "%-56s %9.2f\n" "bare loadPyodide() under Node, 314.0.7 (median of 3)" "$bare_s"
printf "%-56s %9.2f %9s\n" "audit --confirm, $runs runs (sessions, snapshots)" "$pool_s" "$pool_mib"
printf "%-56s %9.2f %9s\n" "audit --confirm --isolate, $iso_runs runs (a process each)" "$iso_s" "$iso_mib"
printf "%-56s %9.2f\n" "warm test of one small wheel (median of 3)" "$test_s"
printf "per wheel-release: %.3f s = %.3fx the bare start (goal <= 0.1x); --isolate: %.3f s = %.2fx\n" \
  "$per_run" "$(echo "$per_run / $bare_s" | bc -l)" "$per_iso" "$(echo "$per_iso / $bare_s" | bc -l)"
printf "warm test: %.2fx the bare start (goal <= 0.3x); peak memory of the confirm: %s MiB (goal < 2048)\n" \
  "$(echo "$test_s / $bare_s" | bc -l)" "$pool_mib"
