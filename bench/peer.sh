# Sourced by the bench scripts: auditwheel-emscripten 0.3.0, the peer, installed as its users
# install it: a venv of Python 3.12 or later (0.3.0 needs it; a pyenv 3.13 or 3.12 is looked
# for), `wheel<0.46` (its repair runs the `wheel` command), and the venv's bin on PATH.
# Without such a Python it falls back to python3 and the newest release that supports it, and
# says so. Sets `peer_cmd` (the `pyodide` command) and `peer_version`.
#
#   peer_install DIR
peer_install() {
  local python="" candidate
  for candidate in python3.13 python3.12 "$HOME"/.pyenv/versions/3.13*/bin/python3 \
    "$HOME"/.pyenv/versions/3.12*/bin/python3; do
    if "$candidate" -c 'import sys; sys.exit(sys.version_info < (3, 12))' 2>/dev/null; then
      python=$candidate && break
    fi
  done
  local spec="auditwheel-emscripten==0.3.0"
  if [ -z "$python" ]; then
    echo "bench: no Python 3.12 or later: measuring the newest auditwheel-emscripten python3 can run" >&2
    python=python3 spec=auditwheel-emscripten
  fi
  "$python" -m venv "$1"
  "$1/bin/pip" install --quiet --disable-pip-version-check "$spec" "wheel<0.46"
  export PATH=$1/bin:$PATH
  peer_cmd=$1/bin/pyodide
  peer_version="auditwheel-emscripten $("$1/bin/python" -c 'import importlib.metadata as m; print(m.version("auditwheel-emscripten"))') (Python $("$1/bin/python" -c 'import platform; print(platform.python_version())'))"
}
