#!/usr/bin/env bash
# Benchmark: wasmwheel against auditwheel-emscripten (`pyodide auditwheel show`) on the same
# ~200 Emscripten wheels, with `unzip -t` (read and check every member) as the floor any tool
# that reads the wheels must pay. Prints wall time and peak memory of each, and the ratios.
#
#   bench/run.sh            # on a fresh machine: installs what it needs
#   BENCH_FILES=50 bench/run.sh
#
# The wheels: the Emscripten fixtures of testdata/wheels and the PyPI wheels of the test cache
# (msgspec, jiter, pydantic-core), copied until there are about 200, all renamed to the
# pyodide_* spelling, which every auditwheel-emscripten reads (before 0.3.0 it refused
# pyemscripten_* filenames). The peer is set up by bench/peer.sh.
# auditwheel-emscripten reads one wheel per run, as its CLI takes one; wasmwheel takes them
# all in one run, as it is meant to be used; unzip -t, one per run.
set -euo pipefail
root=$(cd "$(dirname "$0")/.." && pwd)
cd "$root"
work=$(mktemp -d)
trap 'rm -rf "$work"' EXIT
target=${BENCH_FILES:-200}

if ! [ -x /usr/bin/time ] || ! command -v unzip >/dev/null || ! command -v bc >/dev/null; then
  apt-get update -qq && DEBIAN_FRONTEND=noninteractive apt-get install -y -qq time unzip bc >/dev/null
fi
# shellcheck source=bench/setup.sh
. bench/setup.sh

# shellcheck source=bench/peer.sh
. bench/peer.sh
peer_install "$work/venv"
auditwheel=$peer_cmd
echo "bench: $peer_version"

# The wheel set.
sources=()
for w in testdata/wheels/*.whl "${WASMWHEEL_CACHE:-testdata/cache}"/pypi/*.whl; do
  case "$w" in *pyemscripten_*|*pyodide_*) sources+=("$w") ;; esac
done
mkdir -p "$work/wheels"
n=0
while [ "$n" -lt "$target" ]; do
  for w in "${sources[@]}"; do
    [ "$n" -lt "$target" ] || break
    base=$(basename "$w" .whl)
    name=${base%%-*}; rest=${base#*-}; version=${rest%%-*}; tags=${rest#*-}
    # A build tag keeps every copy a distinct, valid wheel filename.
    cp "$w" "$work/wheels/$name-$version-$n-${tags//pyemscripten_/pyodide_}.whl"
    n=$((n + 1))
  done
done
files=("$work"/wheels/*.whl)
bytes=$(du -cb "${files[@]}" | tail -1 | cut -f1)
echo "bench: ${#files[@]} wheels, $((bytes / 1024)) KiB"

# measure NAME COMMAND...: wall seconds and peak RSS (KiB) of one command.
measure() {
  /usr/bin/time -f "%e %M" -o "$work/time" "$@" >/dev/null 2>&1 || true
  tail -n 1 "$work/time"
}
# measure_each NAME COMMAND...: the command once per wheel; total wall time, largest RSS.
measure_each() {
  local start end peak=0 line
  start=$(date +%s.%N)
  for f in "${files[@]}"; do
    line=$(measure "$@" "$f")
    peak=$(( ${line#* } > peak ? ${line#* } : peak ))
  done
  end=$(date +%s.%N)
  echo "$(echo "$end - $start" | bc) $peak"
}

# Warm the page cache and the binaries once.
measure "$wasmwheel" audit "${files[@]}" >/dev/null
read -r ww_time ww_mem < <(measure "$wasmwheel" audit "${files[@]}")
read -r we_time we_mem < <(measure_each "$wasmwheel" audit)
read -r uz_time uz_mem < <(measure_each unzip -tq)
read -r aw_time aw_mem < <(measure_each "$auditwheel" auditwheel show)

printf "\n%-34s %10s %14s\n" "tool" "wall (s)" "peak RSS (MiB)"
printf "%-34s %10.2f %14.1f\n" "wasmwheel audit (one run)" "$ww_time" "$(echo "$ww_mem / 1024" | bc -l)"
printf "%-34s %10.2f %14.1f\n" "wasmwheel audit (each)" "$we_time" "$(echo "$we_mem / 1024" | bc -l)"
printf "%-34s %10.2f %14.1f\n" "auditwheel-emscripten show (each)" "$aw_time" "$(echo "$aw_mem / 1024" | bc -l)"
printf "%-34s %10.2f %14.1f\n" "unzip -t (each)" "$uz_time" "$(echo "$uz_mem / 1024" | bc -l)"
printf "\nwasmwheel is %.1fx faster than auditwheel-emscripten (%.1fx run per wheel, as it runs),\n" \
  "$(echo "$aw_time / $ww_time" | bc -l)" "$(echo "$aw_time / $we_time" | bc -l)"
printf "and takes %.2fx the time of unzip -t (%.2fx run per wheel, as unzip runs)\n" \
  "$(echo "$ww_time / $uz_time" | bc -l)" "$(echo "$we_time / $uz_time" | bc -l)"
