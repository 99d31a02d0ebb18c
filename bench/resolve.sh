#!/usr/bin/env bash
# Benchmark of resolution: a warm `wasmwheel test` that resolves what a wheel requires (the
# index page and the wheel from the cache) against the same test with every wheel given
# (--no-index). pydantic-core 2.50.5 needs typing-extensions>=4.16.0, which Pyodide 314.0.7's
# lock does not have: the resolved run takes it from PyPI. Prints the median of RUNS runs of
# each and the ratio; asserts nothing (the goal: at most 1.10).
#
#   bench/resolve.sh            # RUNS=5 by default
set -euo pipefail
root=$(cd "$(dirname "$0")/.." && pwd)
cd "$root"
# shellcheck source=bench/setup.sh
. bench/setup.sh
runs=${RUNS:-5}
core=$cache/pypi/pydantic_core-2.50.5-cp314-cp314-pyemscripten_2026_0_wasm32.whl
typing=$cache/pypi/typing_extensions-4.16.0-py3-none-any.whl

# Warm: the release, the index page, the index's wheel.
"$wasmwheel" test --pyodide 314.0.7 "$core" >/dev/null
"$wasmwheel" test --no-index --pyodide 314.0.7 "$core" "$typing" >/dev/null

# The two runs alternate, so that what else the machine does weighs on both alike.
# strict_seconds COMMAND...: the wall time of one run; a run that fails ends the bench.
strict_seconds() {
  local start end
  start=$(date +%s.%N)
  "$@" >/dev/null
  end=$(date +%s.%N)
  echo "$end - $start" | bc
}
given_times=() resolved_times=()
for _ in $(seq "$runs"); do
  given_times+=("$(strict_seconds "$wasmwheel" test --no-index --pyodide 314.0.7 "$core" "$typing")")
  resolved_times+=("$(strict_seconds "$wasmwheel" test --pyodide 314.0.7 "$core")")
done
given=$(printf "%s\n" "${given_times[@]}" | median)
resolved=$(printf "%s\n" "${resolved_times[@]}" | median)
printf "%-44s %8s\n" "wasmwheel test (median of $runs)" "wall (s)"
printf "%-44s %8.2f\n" "every wheel given (--no-index)" "$given"
printf "%-44s %8.2f\n" "typing-extensions resolved from the index" "$resolved"
printf "resolving costs %.2fx the run with every wheel given\n" "$(echo "$resolved / $given" | bc -l)"
