#!/usr/bin/env bash
# Build the fixture side modules and wheels from testdata/src.
#
# Needs Debian's emscripten (apt-get install emscripten: emcc 3.1.6), gcc, and for the WASI
# fixtures the zig that testdata/fetch.sh unpacks from PyPI (its clang builds position-
# independent code for wasm32-wasi; Debian's clang 14 cannot). The outputs are
# committed: testdata/libs/ (side-module libraries that wheels NEED but do not ship),
# testdata/wheels/ (the fixture wheels), testdata/check/ (one wheel per `check` rule) and
# testdata/hostile/ (wheels crafted to break readers).
# Running it again gives the same bytes; CI checks that.
set -euo pipefail
here=$(cd "$(dirname "$0")" && pwd)
cd "$here"
EMCC=${EMCC:-emcc}
ZIG=${ZIG:-${WASMWHEEL_CACHE:-$here/cache}/zig/ziglang/zig}
tmp=$(mktemp -d)
trap 'rm -rf "$tmp"' EXIT

side() { # side OUT SRC... [flags]: an Emscripten side module
  local out=$1
  shift
  "$EMCC" -O2 -sSIDE_MODULE=1 "$@" -o "$out"
}

mkdir -p libs/foo-a libs/foo-b wheels
rm -f wheels/*.whl

# Libraries: libb NEEDs liba; two incompatible builds of libfoo.
side libs/liba.so -sWASM_BIGINT src/liba.c
side libs/libb.so -sWASM_BIGINT src/libb.c libs/liba.so
side libs/foo-a/libfoo.so -sWASM_BIGINT src/foo_a.c
side libs/foo-b/libfoo.so -sWASM_BIGINT src/foo_b.c

# Extensions.
side "$tmp/ext.so" -sWASM_BIGINT src/ext.c libs/libb.so
side "$tmp/clean.so" -sWASM_BIGINT src/clean.c
side "$tmp/usefoo.so" -sWASM_BIGINT src/usefoo.c libs/foo-a/libfoo.so
side "$tmp/cppjs.so" -sWASM_BIGINT -fexceptions src/cppext.cpp
side "$tmp/cppwasm.so" -sWASM_BIGINT -fwasm-exceptions src/cppext.cpp
side "$tmp/wide.so" src/wide.c
side "$tmp/threads.so" -sWASM_BIGINT -pthread src/threads.c
side "$tmp/debug.so" -sWASM_BIGINT -g "-fdebug-prefix-map=$here=." src/clean.c
side "$tmp/speedup.so" -sWASM_BIGINT src/speedup.c
python3 legacy_dylink.py "$tmp/clean.so" "$tmp/oldlink.so"
# WASI shared objects, compiled and linked as wasi-sdk would (-fPIC, then wasm-ld -shared).
wasi() { # wasi OUT SRC [LIBS...]
  local out=$1 src=$2
  shift 2
  "$ZIG" cc --target=wasm32-wasi -O2 -g0 -fPIC -fvisibility=default -c "$src" -o "$tmp/wasi.o"
  "$ZIG" wasm-ld --experimental-pic -shared --unresolved-symbols=import-dynamic -o "$out" "$tmp/wasi.o" "$@"
}
mkdir -p libs/wasi
wasi libs/wasi/libwasilib.so src/wasilib.c
wasi "$tmp/wasiext.so" src/wasiext.c
wasi "$tmp/wasiuse.so" src/wasiuse.c libs/wasi/libwasilib.so
printf 'int native_value(void) { return 1; }\n' >"$tmp/native.c"
gcc -shared -fPIC -O2 -Wl,--build-id=none -o "$tmp/native.so" "$tmp/native.c"

wheel() { python3 make_wheel.py wheels "$@" >/dev/null; }
init() { echo "$1/__init__.py:=from .$2 import value"$'\n'; }

# The extension NEEDs libb.so -> liba.so, which the wheels do not ship: one wheel per ABI.
for abi in 2024_0:312 2025_0:313 2026_0:314 2026_5:315; do
  py=${abi#*:}
  wheel fxpkg 1.0 "cp$py-cp$py-pyemscripten_${abi%:*}_wasm32" "$(init fxpkg _ext)" \
    "fxpkg/_ext.cpython-$py-wasm32-emscripten.so=$tmp/ext.so"
done
# Self-contained limited-API extension: loads on every ABI.
wheel fxclean 1.0 cp312-abi3-pyemscripten_2024_0_wasm32 "$(init fxclean _clean)" "fxclean/_clean.abi3.so=$tmp/clean.so"
# The same, under the legacy tag spelling PyPI rejects.
wheel fxlegacy 1.0 cp312-abi3-pyodide_2024_0_wasm32 "$(init fxlegacy _clean)" "fxlegacy/_clean.abi3.so=$tmp/clean.so"
# Two packages that NEED libfoo.so, to be repaired against different builds of it.
for pkg in fxfooa fxfoob; do
  wheel $pkg 1.0 cp312-abi3-pyemscripten_2024_0_wasm32 "$(init $pkg _ext)" "$pkg/_ext.abi3.so=$tmp/usefoo.so"
done
# C++ exceptions: JavaScript style (2024_0) and wasm style (2025_0 and later).
wheel fxcppjs 1.0 cp312-abi3-pyemscripten_2024_0_wasm32 "$(init fxcppjs _cpp)" "fxcppjs/_cpp.abi3.so=$tmp/cppjs.so"
wheel fxcppwasm 1.0 cp313-abi3-pyemscripten_2025_0_wasm32 "$(init fxcppwasm _cpp)" "fxcppwasm/_cpp.abi3.so=$tmp/cppwasm.so"
# Built wrong: no bigint, pthreads, the old dylink section, a native ELF library.
wheel fxwide 1.0 cp312-abi3-pyemscripten_2024_0_wasm32 "$(init fxwide _wide)" "fxwide/_wide.abi3.so=$tmp/wide.so"
wheel fxthreads 1.0 cp312-abi3-pyemscripten_2024_0_wasm32 "$(init fxthreads _threads)" "fxthreads/_threads.abi3.so=$tmp/threads.so"
wheel fxoldlink 1.0 cp312-abi3-pyemscripten_2026_0_wasm32 "$(init fxoldlink _clean)" "fxoldlink/_clean.abi3.so=$tmp/oldlink.so"
wheel fxnative 1.0 cp312-abi3-pyemscripten_2024_0_wasm32 "fxnative/__init__.py:=" "fxnative/helper.so=$tmp/native.so"
# An optional speedup with a pure-Python fallback: the package imports everywhere, the
# extension only on 2026_0 (Python 3.14, and a function only 3.14 has).
wheel fxfallback 1.0 cp314-cp314-pyemscripten_2026_0_wasm32 \
  "fxfallback/__init__.py:=try:"$'\n'"    from ._speedup import value"$'\n'"except ImportError:"$'\n\n'"    def value():"$'\n'"        return 7"$'\n' \
  "fxfallback/_speedup.cpython-314-wasm32-emscripten.so=$tmp/speedup.so"
# Tests inside the wheel, for `test --pytest`: they pass (one skips, one fails as expected)
# with the `test` extra's plugin; and a variant with a failing test.
wheel fxtested 1.0 cp312-abi3-pyemscripten_2024_0_wasm32 "$(init fxtested _clean)" "fxtested/_clean.abi3.so=$tmp/clean.so" \
  "fxtested/tests/__init__.py:=" "fxtested/tests/test_fxtested.py=src/shipped_tests/test_fxtested.py" \
  --metadata "Provides-Extra: test" --metadata 'Requires-Dist: pytest-timeout; extra == "test"'
wheel fxfailing 1.0 cp312-abi3-pyemscripten_2024_0_wasm32 "$(init fxfailing _clean)" "fxfailing/_clean.abi3.so=$tmp/clean.so" \
  "fxfailing/tests/__init__.py:=" "fxfailing/tests/test_fxfailing.py=src/shipped_tests/test_fxfailing.py"
# With DWARF and a name section, for `repair --strip`.
wheel fxdebug 1.0 cp312-abi3-pyemscripten_2024_0_wasm32 "$(init fxdebug _clean)" "fxdebug/_clean.abi3.so=$tmp/debug.so"
# WASI: the extension in a WASI wheel, the same file in an Emscripten wheel, and an
# Emscripten module (JS exceptions) in a WASI wheel.
wheel fxwasi 1.0 cp314-cp314-wasi_0_0_0_wasm32 "$(init fxwasi _wasiext)" "fxwasi/_wasiext.cpython-314-wasm32-wasi.so=$tmp/wasiext.so"
wheel fxwasiemsc 1.0 cp314-cp314-pyemscripten_2026_0_wasm32 "$(init fxwasiemsc _wasiext)" "fxwasiemsc/_wasiext.cpython-314-wasm32-wasi.so=$tmp/wasiext.so"
wheel fxemscwasi 1.0 cp312-abi3-wasi_0_0_0_wasm32 "$(init fxemscwasi _cpp)" "fxemscwasi/_cpp.abi3.so=$tmp/cppjs.so"
# A WASI extension that NEEDs a WASI library it does not ship.
wheel fxwasiuse 1.0 cp314-cp314-wasi_0_0_0_wasm32 "$(init fxwasiuse _wasiuse)" "fxwasiuse/_wasiuse.cpython-314-wasm32-wasi.so=$tmp/wasiuse.so"
# The package and its extension under <name>.data/platlib/, where pip installs them and
# Pyodide's installers do not; with a console script, a header and a data file.
wheel fxdata 1.0 cp312-abi3-pyemscripten_2024_0_wasm32 "$(init fxdata-1.0.data/platlib/fxdata _clean)" \
  "fxdata-1.0.data/platlib/fxdata/_clean.abi3.so=$tmp/clean.so" \
  "fxdata-1.0.data/scripts/fxdata-run:=#!python"$'\n'"import fxdata; print(fxdata.value())"$'\n' \
  "fxdata-1.0.data/headers/fxdata.h:=int fxdata_value(void);"$'\n' \
  "fxdata-1.0.data/data/share/fxdata/notes.txt:=notes"$'\n'
# A pure wheel.
wheel fxpure 1.0 py3-none-any --purelib "fxpure/__init__.py:=value = 1"$'\n'
# A pure package that needs fxpkg (given beside it to `lock`) and micropip (a package of each
# Pyodide release); its other requirements do not apply in Pyodide.
wheel fxapp 1.0 py3-none-any --purelib \
  "fxapp/__init__.py:=import micropip"$'\n'"from fxpkg import value as _value"$'\n\n'"def value():"$'\n'"    return _value() + 1"$'\n' \
  --metadata "Requires-Dist: fxpkg>=1.0" --metadata "Requires-Dist: micropip" \
  --metadata 'Requires-Dist: numpy; extra == "plot"' --metadata 'Requires-Dist: pywin32; sys_platform == "win32"' \
  --metadata 'Requires-Dist: tomli; python_version < "3.11"' --metadata "Provides-Extra: plot"

# The `wasmwheel check` fixtures, one folder per rule, derived from fxclean.
python3 check/make.py
# The hostile corpus: wheels crafted to break readers.
python3 hostile/make.py

ls wheels libs libs/foo-a libs/foo-b libs/wasi check hostile
