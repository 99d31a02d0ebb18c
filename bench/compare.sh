#!/usr/bin/env bash
# Verdicts against the peer, auditwheel-emscripten 0.3.0 (`pyodide auditwheel`, set up by
# bench/peer.sh), on every Emscripten fixture wheel and the pinned PyPI Emscripten wheels, each
# judged by real Pyodide. For every wheel, on the Pyodide release of its platform tag:
#   real       does the wheel as built install and import there (`wasmwheel test`: the
#              release under Node, with the pinned wheels its Requires-Dist asks for)?
#   audit      the error rules `wasmwheel audit` gives (platform-tag-incompatible left out:
#              it repeats the others), or ok
#   peer show  what `pyodide auditwheel show` says: it lists NEEDED and has no verdict, so
#              exit 0 counts as "loads"
#   repair     each tool's repair with the same library folder, and whether what it wrote
#              imports there
# and totals: how often each answer matched real loading, how many broken wheels each repair
# turned into ones that import, and how many repairs wrote a wheel that does not. Prints
# figures; asserts nothing. docs/comparison.md has the results.
#
#   bench/compare.sh
set -euo pipefail
root=$(cd "$(dirname "$0")/.." && pwd)
cd "$root"
# shellcheck source=bench/setup.sh
. bench/setup.sh
work=$(mktemp -d)
trap 'rm -rf "$work"' EXIT

# shellcheck source=bench/peer.sh
. bench/peer.sh
peer_install "$work/venv"
echo "peer: $peer_version"

# release TAGGED-WHEEL: the Pyodide release of the wheel's platform tag.
release() {
  case "$1" in
    *_2024_0_*) echo 0.27.7 ;;
    *_2025_0_*) echo 0.29.3 ;;
    *_2026_0_*) echo 314.0.7 ;;
    *_2026_5_*) echo 315.0.0-alpha.2 ;;
  esac
}
# libdir WHEEL: the folder the fixture's NEEDED libraries are built into.
libdir() {
  case "$(basename "$1")" in
    fxfooa-*) echo testdata/libs/foo-a ;;
    fxfoob-*) echo testdata/libs/foo-b ;;
    *) echo testdata/libs ;;
  esac
}
# deps WHEEL: the pinned PyPI wheels its Requires-Dist asks for, installed with it.
deps() {
  case "$(basename "$1")" in
    pydantic_core-*) echo "$cache/pypi/typing_extensions-4.16.0-py3-none-any.whl" ;;
  esac
}
# imports RELEASE WHEEL DEP...: "yes" when the wheel (with its dependencies) installs and
# imports there, else "no".
imports() {
  if "$wasmwheel" test --offline --no-index --pyodide "$@" >/dev/null 2>&1; then echo yes; else echo no; fi
}
# rules JSON-REPORT: the error rules of an audit report, or "ok".
rules() {
  python3 - "$1" <<'PY'
import json, sys
report = json.load(open(sys.argv[1]))
items = report["wheels"]
found = sorted({f["rule"] for w in items for f in w.get("findings", []) if f["severity"] == "error"})
# platform-tag-incompatible only repeats the others.
shown = [r for r in found if r != "platform-tag-incompatible"] or found
print(",".join(shown) if shown else "ok")
PY
}

# The Emscripten fixtures and the three PyPI wheels docs/comparison.md reports on.
wheels=()
for w in testdata/wheels/*.whl "$cache"/pypi/{msgspec-0.22.0,jiter-0.19.0,pydantic_core-2.50.4}-*.whl; do
  case "$w" in *pyemscripten_*) wheels+=("$w") ;; esac
done
# Fetch each release once, outside the table.
for r in 0.27.7 0.29.3 314.0.7 315.0.0-alpha.2; do
  "$wasmwheel" test --pyodide "$r" testdata/wheels/fxpure-1.0-py3-none-any.whl >/dev/null
done

printf "%-14s %-16s %-5s %-58s %-28s %-22s %s\n" wheel release real "wasmwheel audit" "peer show" \
  "wasmwheel repair" "peer repair"
agree_audit=0 agree_peer=0 fixed_ours=0 fixed_peer=0 bad_ours=0 bad_peer=0 broken=0 total=0
for w in "${wheels[@]}"; do
  name=$(basename "$w")
  r=$(release "$name")
  lib=$(libdir "$w")
  read -r -a dep <<<"$(deps "$w")"
  real=$(imports "$r" "$w" "${dep[@]}")
  total=$((total + 1))

  "$wasmwheel" audit --format json "$w" >"$work/audit.json" || true
  audit=$(rules "$work/audit.json")
  { [ "$audit" = ok ] && [ "$real" = yes ]; } || { [ "$audit" != ok ] && [ "$real" = no ]; } &&
    agree_audit=$((agree_audit + 1))

  if "$peer_cmd" auditwheel show "$w" >"$work/show.txt" 2>&1; then
    needed=$(grep -c '^\s' "$work/show.txt" || true)
    show="exit 0, lists $needed NEEDED"
    # It has no verdict: exit 0 matches real loading only when the wheel loads.
    [ "$real" = yes ] && agree_peer=$((agree_peer + 1))
  else
    show="crash: $(grep -v "^\s*$" "$work/show.txt" | tail -1 | cut -d: -f1)"
    [ "$real" = no ] && agree_peer=$((agree_peer + 1))
  fi

  # Each tool's repair into an empty folder (the peer needs it to exist).
  rm -rf "$work/ours" "$work/peer" && mkdir "$work/peer"
  if "$wasmwheel" repair -w "$work/ours" -L "$lib" "$w" >/dev/null 2>&1; then
    ours="written, imports: $(imports "$r" "$work"/ours/*.whl "${dep[@]}")"
  else
    ours="refused"
  fi
  if "$peer_cmd" auditwheel repair --libdir "$lib" --output-dir "$work/peer" "$w" >/dev/null 2>&1; then
    peer="written, imports: $(imports "$r" "$work"/peer/*.whl "${dep[@]}")"
  else
    peer="exit $?"
    ls "$work"/peer/*.whl >/dev/null 2>&1 && peer="$peer, written, imports: $(imports "$r" "$work"/peer/*.whl "${dep[@]}")"
  fi
  case "$ours" in *"imports: no") bad_ours=$((bad_ours + 1)) ;; esac
  case "$peer" in *"imports: no") bad_peer=$((bad_peer + 1)) ;; esac
  if [ "$real" = no ]; then
    broken=$((broken + 1))
    [ "$ours" = "written, imports: yes" ] && fixed_ours=$((fixed_ours + 1))
    [ "$peer" = "written, imports: yes" ] && fixed_peer=$((fixed_peer + 1))
  fi
  printf "%-14s %-16s %-5s %-58s %-28s %-22s %s\n" "${name%%-*}" "$r" "$real" "$audit" "$show" \
    "$ours" "$peer"
done

echo
echo "verdict matches real loading: wasmwheel audit $agree_audit/$total, auditwheel-emscripten show $agree_peer/$total"
echo "wheels that do not import as built: $broken; repaired into one that imports: wasmwheel $fixed_ours, auditwheel-emscripten $fixed_peer"
echo "repairs that wrote a wheel that does not import: wasmwheel $bad_ours, auditwheel-emscripten $bad_peer"
