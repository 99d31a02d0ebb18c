#!/usr/bin/env bash
# Build the release artifacts of the Linux machines users run, and check them, from a fresh
# machine (it installs what it needs; tools go into a virtual environment of their own):
#
#   scripts/release.sh [OUT_DIR]        # default dist/
#   RELEASE_BIN=PATH scripts/release.sh # also leaves the x86_64 wheel's binary at PATH
#   RELEASE_QUICK=1 scripts/release.sh  # what CI runs: the x86_64 manylinux wheel only (one
#                                       # cross build), the sdist, and the crate unverified and
#                                       # not installed
#
# - maturin (--zig, with ziglang from PyPI, to link against glibc 2.17 and musl whatever this
#   machine has): manylinux_2_17 x86_64 and aarch64 wheels, a musllinux_1_2 x86_64 wheel;
# - the sdist, then `pip install` of it into a fresh venv, which builds it from scratch, and
#   the command it installs runs (quick: `pip install` of the x86_64 wheel);
# - `auditwheel show` on each Linux wheel: no manylinux tag newer than manylinux_2_17 (and
#   musllinux_1_2 for the musl one); the aarch64 wheel's binary is an aarch64 ELF;
# - `twine check` on every artifact;
# - `cargo package` (the crate carries spec/, built from the package alone) and
#   `cargo install --path .`.
# macOS and Windows wheels come from .github/workflows/release.yml, which builds all of them on
# a tag and publishes with trusted publishing.
set -euo pipefail
root=$(cd "$(dirname "$0")/.." && pwd)
cd "$root"
out=$(realpath -m "${1:-dist}")
work=$(mktemp -d)
trap 'rm -rf "$work"' EXIT
version=$(sed -n 's/^version = "\(.*\)"/\1/p' Cargo.toml | head -1)

[ -n "${RELEASE_QUICK:-}" ] || rustup target add aarch64-unknown-linux-gnu x86_64-unknown-linux-musl >/dev/null
python3 -m venv "$work/tools"
"$work/tools/bin/pip" install --quiet --disable-pip-version-check \
  maturin==1.16.0 ziglang==0.14.1 auditwheel==6.8.2 twine==7.0.0
export PATH="$work/tools/bin:$PATH"

rm -rf "$out"
mkdir -p "$out"
build() { # build TARGET COMPATIBILITY
  echo "release.sh: $1 ($2)"
  maturin build --quiet --release --strip --zig --target "$1" --compatibility "$2" --out "$out"
}
quick=${RELEASE_QUICK:-}
build x86_64-unknown-linux-gnu manylinux2014
if [ -z "$quick" ]; then
  build aarch64-unknown-linux-gnu manylinux2014
  build x86_64-unknown-linux-musl musllinux_1_2
fi
maturin sdist --out "$out" >/dev/null
ls -l "$out"

fail() {
  echo "release.sh: $*" >&2
  exit 1
}
wheel() { # wheel GLOB: the one artifact matching it
  local found=("$out"/$1)
  [ ${#found[@]} = 1 ] && [ -f "${found[0]}" ] || fail "expected one $1 in $out"
  echo "${found[0]}"
}
x86=$(wheel "wasmwheel-$version-py3-none-*manylinux_2_17_x86_64.whl")
sdist=$(wheel "wasmwheel-$version.tar.gz")
linux=("$x86")
if [ -z "$quick" ]; then
  arm=$(wheel "wasmwheel-$version-py3-none-*manylinux_2_17_aarch64.whl")
  musl=$(wheel "wasmwheel-$version-py3-none-musllinux_1_2_x86_64.whl")
  linux+=("$arm" "$musl")
fi

# auditwheel: what each Linux wheel is consistent with. A glibc wheel must not need more than
# glibc 2.17 (manylinux2014); the musl wheel, no more than musllinux_1_2.
for w in "${linux[@]}"; do
  shown=$(auditwheel show "$w")
  echo "$shown" | tr '\n' ' ' | sed 's/  */ /g'
  echo
  tag=$(echo "$shown" | tr '\n' ' ' | grep -o '"\(manylinux\|musllinux\)_[0-9]*_[0-9]*_[a-z0-9_]*"' | head -1 | tr -d '"')
  case "$w" in
    *musllinux*) [[ "$tag" == musllinux_1_[12]_x86_64 ]] || fail "$(basename "$w"): auditwheel says $tag" ;;
    *)
      minor=$(echo "$tag" | sed -n 's/^manylinux_2_\([0-9]*\)_.*/\1/p')
      [ -n "$minor" ] && [ "$minor" -le 17 ] || fail "$(basename "$w"): auditwheel says $tag, newer than manylinux_2_17"
      ;;
  esac
done

# The binaries are for the machines their tags name (e_machine: 62 x86-64, 183 AArch64).
machine() { # machine WHEEL: the ELF machine of its wasmwheel binary
  python3 - "$1" <<'PY'
import struct, sys, zipfile
z = zipfile.ZipFile(sys.argv[1])
name = next(n for n in z.namelist() if n.endswith("/scripts/wasmwheel"))
head = z.read(name)[:20]
assert head[:4] == b"\x7fELF", f"{name} is not an ELF file"
print(struct.unpack("<H", head[18:20])[0])
PY
}
[ "$(machine "$x86")" = 62 ] || fail "$(basename "$x86") does not hold an x86-64 binary"
runnable=("$x86")
if [ -z "$quick" ]; then
  [ "$(machine "$arm")" = 183 ] || fail "$(basename "$arm") does not hold an aarch64 binary"
  [ "$(machine "$musl")" = 62 ] || fail "$(basename "$musl") does not hold an x86-64 binary"
  runnable+=("$musl")
fi
# The x86-64 ones run here (the musl one is static).
for w in "${runnable[@]}"; do
  bin=$work/$(basename "$w").bin
  python3 -c 'import sys, zipfile; z = zipfile.ZipFile(sys.argv[1]); n = next(n for n in z.namelist() if n.endswith("/scripts/wasmwheel")); open(sys.argv[2], "wb").write(z.read(n))' "$w" "$bin"
  chmod +x "$bin"
  "$bin" audit testdata/wheels/fxclean-1.0-cp312-abi3-pyemscripten_2024_0_wasm32.whl >/dev/null || fail "the binary of $(basename "$w") does not run"
done
# RELEASE_BIN=PATH: the checked binary of the x86_64 manylinux wheel is left there (.ci/run
# benchmarks it).
[ -z "${RELEASE_BIN:-}" ] || cp "$work/$(basename "$x86").bin" "$RELEASE_BIN"

twine check --strict "$out"/*

# pip installs the command, and it works: from the sdist, built from scratch in a fresh venv
# (quick: from the x86_64 wheel, which saves a release build).
python3 -m venv "$work/installed"
if [ -z "$quick" ]; then from=$sdist; else from=$x86; fi
"$work/installed/bin/pip" install --quiet --disable-pip-version-check "$from"
"$work/installed/bin/wasmwheel" audit testdata/wheels/fxclean-1.0-cp312-abi3-pyemscripten_2024_0_wasm32.whl

# The crate: what `cargo package` ships builds on its own; `cargo install` works.
if [ -z "$quick" ]; then
  cargo package --quiet --allow-dirty --target-dir "$work/package-target"
else
  cargo package --quiet --allow-dirty --no-verify
fi
cargo package --allow-dirty --list | grep -q '^spec/policies/pyemscripten_2026_0.json.gz$' || fail "the crate lacks spec/"
if [ -z "$quick" ]; then
  cargo install --quiet --locked --path . --root "$work/cargo-root" --target-dir target
  "$work/cargo-root/bin/wasmwheel" --version
fi
echo "release.sh: all artifacts in $out checked"
