# How wasmwheel runs an app's entry script in Pyodide: as `python script.py` would, as
# `__main__`, its folder first on sys.path. Shared by the `pack` trace (wasmwheel's driver,
# with an audit hook) and the `run.mjs` of every bundle, so both runs behave the same.
import os
import runpy
import sys


def _wasmwheel_run(path, hook=None):
    """Runs the script at `path`; returns its exit status: SystemExit's code (a non-integer
    code is printed on stderr and gives 1), 1 for an exception (its traceback on stderr)."""
    sys.path.insert(0, os.path.dirname(path))
    if hook is not None:
        sys.addaudithook(hook)
    try:
        runpy.run_path(path, run_name="__main__")
        status = 0
    except SystemExit as e:
        if e.code is None or isinstance(e.code, int):
            status = e.code or 0
        else:
            print(e.code, file=sys.stderr)
            status = 1
    except BaseException:
        import traceback

        traceback.print_exc()
        status = 1
    sys.stdout.flush()
    sys.stderr.flush()
    return status
