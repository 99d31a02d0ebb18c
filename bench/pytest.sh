#!/usr/bin/env bash
# Benchmark of `wasmwheel test --pytest` against the least a user could write by hand: a Node
# script that loads the same Pyodide (314.0.7), installs the same wheels (simplejson 4.3.0,
# which ships its test suite, with pytest and what pytest needs, the files wasmwheel's own
# lock picked) with loadPackage, and calls pytest.main on the same tests with the same
# arguments. Both run warm (releases, snapshots and wheels cached; index pages fresh), median
# of N runs each, alternated. Prints the figures; asserts nothing. The goal (issue "Run the
# package's own tests"): wasmwheel at most 1.1x the hand-written script.
#
#   bench/pytest.sh                  # N=5
#   BENCH_RUNS=3 bench/pytest.sh     # the quick form CI runs
set -euo pipefail
root=$(cd "$(dirname "$0")/.." && pwd)
cd "$root"
# shellcheck source=bench/setup.sh
. bench/setup.sh
work=$(mktemp -d)
trap 'rm -rf "$work"' EXIT
runs=${BENCH_RUNS:-5}
wheel=$cache/pypi/simplejson-4.3.0-cp314-cp314-pyemscripten_2026_0_wasm32.whl
from_index=pytest,iniconfig,pluggy,packaging,pygments
pytest_args=(-q)

# The same wheels for both: those wasmwheel's lock picks, copied beside the lock.
"$wasmwheel" lock --pyodide 314.0.7 -o "$work/set" --from-index "$from_index" --with pytest "$wheel" >/dev/null
release=$WASMWHEEL_CACHE_DIR/pyodide/314.0.7
cat >"$work/by-hand.js" <<JS
const fs = require("fs");
const path = require("path");
const { pathToFileURL } = require("url");
const { loadPyodide } = require("$release/pyodide.js");
(async () => {
  const pyodide = await loadPyodide();
  const dir = "$work/set";
  const wheels = fs.readdirSync(dir).filter((f) => f.endsWith(".whl"));
  await pyodide.loadPackage(wheels.map((f) => pathToFileURL(path.join(dir, f)).href));
  const exit = pyodide.runPython(
    "import pytest; int(pytest.main(['-p', 'no:cacheprovider', '--color=no', '--capture=sys', '-q', '--pyargs', 'simplejson']))",
  );
  process.exit(exit);
})();
JS

ours() { "$wasmwheel" test --pytest --pyodide 314.0.7 --from-index "$from_index" --with pytest "$wheel" -- "${pytest_args[@]}"; }
hand() { node "$work/by-hand.js"; }

# Warm: the release, its snapshot, the wheels, the index pages; and the same tests pass.
if ! ours >"$work/warm.log" 2>&1; then
  cat "$work/warm.log" >&2
  echo "pytest.sh: wasmwheel test --pytest failed (above)" >&2
  exit 1
fi
node "$work/by-hand.js" | tail -1
ours_times=() hand_times=()
for _ in $(seq "$runs"); do
  hand_times+=("$(seconds hand)")
  ours_times+=("$(seconds ours)")
done
hand_s=$(printf "%s\n" "${hand_times[@]}" | median)
ours_s=$(printf "%s\n" "${ours_times[@]}" | median)
printf "\n%-64s %9s\n" "simplejson 4.3.0's own tests in Pyodide 314.0.7, on $(nproc) cores" "wall (s)"
printf "%-64s %9.2f\n" "by hand: node, loadPyodide, loadPackage, pytest.main (median of $runs)" "$hand_s"
printf "%-64s %9.2f\n" "wasmwheel test --pytest (median of $runs)" "$ours_s"
printf "wasmwheel: %.2fx the hand-written script (goal <= 1.1x)\n" "$(echo "$ours_s $hand_s" | awk '{print $1 / $2}')"
