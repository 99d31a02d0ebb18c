#!/usr/bin/env bash
# Benchmark of `wasmwheel pack` on the test apps of testdata/apps (real PyPI wheels, Pyodide
# 314.0.7 under Node): how long a pack takes (trace, trim, lock, verify) and how much smaller
# the bundle is than the wheels it came from. Prints figures; asserts nothing.
#
#   bench/pack.sh
set -euo pipefail
root=$(cd "$(dirname "$0")/.." && pwd)
cd "$root"
# shellcheck source=bench/setup.sh
. bench/setup.sh
work=$(mktemp -d)
trap 'rm -rf "$work"' EXIT

# app WHEEL...: the entry script testdata/apps/<app>, and the wheels it uses.
apps=(
  "prices.py $cache/pypi/babel-2.19.0-py3-none-any.whl $cache/pypi/msgspec-0.22.0-cp314-cp314-pyemscripten_2026_0_wasm32.whl"
)
# One pack first, so that the release is fetched and cached outside the timings.
read -r -a first <<<"${apps[0]}"
"$wasmwheel" pack --pyodide 314.0.7 -o "$work/warm" "testdata/apps/${first[0]}" "${first[@]:1}" >/dev/null

printf "%-12s %8s %8s %8s %22s %22s\n" "app" "pack (s)" "trace" "verify" "compressed" "unpacked"
for line in "${apps[@]}"; do
  read -r -a app <<<"$line"
  start=$(date +%s.%N)
  "$wasmwheel" pack --format json --pyodide 314.0.7 -o "$work/${app[0]%.py}" \
    "testdata/apps/${app[0]}" "${app[@]:1}" >"$work/report.json"
  end=$(date +%s.%N)
  python3 - "$work/report.json" "${app[0]}" "$(echo "$end - $start" | bc)" <<'PY'
import json, sys
report, app, seconds = sys.argv[1], sys.argv[2], float(sys.argv[3])
pack = json.load(open(report))["packs"][0]
t = pack["total"]
mb = lambda b: f"{b / 1e6:.1f} MB"
pct = lambda a, b: f"{100 * (1 - a / b):.0f}%"
print(f"{app:<12} {seconds:8.1f} {pack['trace_ms'] / 1000:8.1f} {pack['verify_ms'] / 1000:8.1f} "
      f"{mb(t['compressed_before']) + ' -> ' + mb(t['compressed_after']) + ' ' + pct(t['compressed_after'], t['compressed_before']):>22} "
      f"{mb(t['unpacked_before']) + ' -> ' + mb(t['unpacked_after']) + ' ' + pct(t['unpacked_after'], t['unpacked_before']):>22}")
PY
done
