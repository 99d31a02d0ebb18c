"""The tests fxtested ships: `wasmwheel test --pytest` runs them in each release (some pass,
one skips, one fails as expected, one needs the plugin of the `test` extra)."""

import sys

import pytest

import fxtested
from fxtested import _clean


def test_value_comes_from_the_extension():
    assert fxtested.value() == 7
    assert _clean.__file__.endswith(".so")


@pytest.mark.parametrize("times", [1, 2, 3])
def test_value_is_stable(times):
    assert [fxtested.value() for _ in range(times)] == [7] * times


def test_the_plugin_of_the_test_extra_is_loaded(request):
    assert request.config.pluginmanager.hasplugin("timeout")


@pytest.mark.skipif(sys.platform == "emscripten", reason="no subprocesses in Pyodide")
def test_a_subprocess_runs():
    import subprocess

    subprocess.run([sys.executable, "-c", "pass"], check=True)


@pytest.mark.xfail(sys.platform == "emscripten", reason="no threads in Pyodide", raises=RuntimeError, strict=True)
def test_a_thread_starts():
    import threading

    thread = threading.Thread(target=lambda: None)
    thread.start()
    thread.join()
