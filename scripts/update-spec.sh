#!/usr/bin/env bash
# Regenerate the data under spec/ from the real releases it comes from:
# - spec/policies/*.json.gz from the Pyodide npm tarballs (with the micropip wheel each one's
#   lock pins) and the componentize-py wheel (wasmwheel policy import);
# - spec/limited-api.txt from the abi3info wheel on PyPI.
# The versions are pinned in testdata/external.lock; tests/policy.rs checks the result.
# 315.0.0-alpha.2 is a prerelease (its policy says so): when 315.0.0 is final, pin it in
# external.lock and replace it here and in fetch.sh (docs/test.md has the steps).
set -euo pipefail
cd "$(dirname "$0")/.."
testdata/fetch.sh
cache=${WASMWHEEL_CACHE:-testdata/cache}
cargo run --quiet --release -- policy import -o spec/policies \
  "$cache/npm/pyodide-0.27.7.tgz" "$cache/npm/pyodide-0.29.3.tgz" "$cache/npm/pyodide-314.0.7.tgz" \
  "$cache/npm/pyodide-315.0.0-alpha.2.tgz" \
  "$cache"/pypi/micropip-*.whl "$cache"/pypi/componentize_py-*.whl
python3 spec/gen_limited_api.py "$cache"/pypi/abi3info-*.whl >spec/limited-api.txt
git status --short spec/
