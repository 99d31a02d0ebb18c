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

# row WHEEL OUT: the wheel's row of the table into OUT, then its tallies as a last line
# "tally AUDIT PEER BROKEN FIXED_OURS FIXED_PEER BAD_OURS BAD_PEER" (each 0 or 1). Its files
# are in a folder of its own, so that two rows can run at once.
row() {
  local w=$1 out=$2 dir name r lib real audit show ours peer
  local agree_audit=0 agree_peer=0 broken=0 fixed_ours=0 fixed_peer=0 bad_ours=0 bad_peer=0
  dir=$(mktemp -d "$work/row.XXXX")
  name=$(basename "$w")
  r=$(release "$name")
  lib=$(libdir "$w")
  read -r -a dep <<<"$(deps "$w")"
  real=$(imports "$r" "$w" "${dep[@]}")

  "$wasmwheel" audit --format json "$w" >"$dir/audit.json" || true
  audit=$(rules "$dir/audit.json")
  { [ "$audit" = ok ] && [ "$real" = yes ]; } || { [ "$audit" != ok ] && [ "$real" = no ]; } &&
    agree_audit=1

  if "$peer_cmd" auditwheel show "$w" >"$dir/show.txt" 2>&1; then
    needed=$(grep -c '^\s' "$dir/show.txt" || true)
    show="exit 0, lists $needed NEEDED"
    # It has no verdict: exit 0 matches real loading only when the wheel loads.
    [ "$real" = yes ] && agree_peer=1
  else
    show="crash: $(grep -v "^\s*$" "$dir/show.txt" | tail -1 | cut -d: -f1)"
    [ "$real" = no ] && agree_peer=1
  fi

  # Each tool's repair into an empty folder (the peer needs it to exist).
  mkdir "$dir/peer"
  if "$wasmwheel" repair -w "$dir/ours" -L "$lib" "$w" >/dev/null 2>&1; then
    ours="written, imports: $(imports "$r" "$dir"/ours/*.whl "${dep[@]}")"
  else
    ours="refused"
  fi
  if "$peer_cmd" auditwheel repair --libdir "$lib" --output-dir "$dir/peer" "$w" >/dev/null 2>&1; then
    peer="written, imports: $(imports "$r" "$dir"/peer/*.whl "${dep[@]}")"
  else
    peer="exit $?"
    ls "$dir"/peer/*.whl >/dev/null 2>&1 && peer="$peer, written, imports: $(imports "$r" "$dir"/peer/*.whl "${dep[@]}")"
  fi
  case "$ours" in *"imports: no") bad_ours=1 ;; esac
  case "$peer" in *"imports: no") bad_peer=1 ;; esac
  if [ "$real" = no ]; then
    broken=1
    [ "$ours" = "written, imports: yes" ] && fixed_ours=1
    [ "$peer" = "written, imports: yes" ] && fixed_peer=1
  fi
  {
    printf "%-14s %-16s %-5s %-58s %-28s %-22s %s\n" "${name%%-*}" "$r" "$real" "$audit" "$show" \
      "$ours" "$peer"
    echo "tally $agree_audit $agree_peer $broken $fixed_ours $fixed_peer $bad_ours $bad_peer"
  } >"$out"
}

# The rows, two at a time (the machines this runs on have two cores), printed in order.
n=${#wheels[@]}
for ((i = 0; i < n; i += 2)); do
  row "${wheels[$i]}" "$work/row-$i" &
  if ((i + 1 < n)); then row "${wheels[$((i + 1))]}" "$work/row-$((i + 1))" & fi
  wait
done
printf "%-14s %-16s %-5s %-58s %-28s %-22s %s\n" wheel release real "wasmwheel audit" "peer show" \
  "wasmwheel repair" "peer repair"
agree_audit=0 agree_peer=0 fixed_ours=0 fixed_peer=0 bad_ours=0 bad_peer=0 broken=0 total=0
for ((i = 0; i < n; i++)); do
  [ -s "$work/row-$i" ] || { echo "compare.sh: no row for ${wheels[$i]}" >&2; exit 1; }
  grep -v '^tally ' "$work/row-$i"
  read -r _ a p b fo fp bo bp < <(grep '^tally ' "$work/row-$i")
  total=$((total + 1))
  agree_audit=$((agree_audit + a)) agree_peer=$((agree_peer + p)) broken=$((broken + b))
  fixed_ours=$((fixed_ours + fo)) fixed_peer=$((fixed_peer + fp))
  bad_ours=$((bad_ours + bo)) bad_peer=$((bad_peer + bp))
done

echo
echo "verdict matches real loading: wasmwheel audit $agree_audit/$total, auditwheel-emscripten show $agree_peer/$total"
echo "wheels that do not import as built: $broken; repaired into one that imports: wasmwheel $fixed_ours, auditwheel-emscripten $fixed_peer"
echo "repairs that wrote a wheel that does not import: wasmwheel $bad_ours, auditwheel-emscripten $bad_peer"
