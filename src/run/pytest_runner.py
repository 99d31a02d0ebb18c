# wasmwheel's pytest runner, run by the driver inside the release (src/run/pytest.rs sends it
# with the job): pytest.main with a plugin that records what happened to each test, as data.
# `_wasmwheel_pytest(packages, args)` (the folders of `packages` collected first, as
# `--pyargs` would: pytest 9's own --pyargs collects nothing in Pyodide 0.27) returns JSON: pytest's exit status, every test (node id, outcome,
# where it is (its file relative to the working folder, where the host's tests are, or to
# site-packages, where the tests a wheel ships are: `pkg/tests/test_x.py`), how long it took, the one-line reason of a failure, error or skip), the
# collection errors, and how long collecting and running took.
import json
import os
import sysconfig
import time


def _wasmwheel_reason(report):
    longrepr = getattr(report, "longrepr", None)
    if longrepr is None:
        return None
    if isinstance(longrepr, tuple) and len(longrepr) == 3:
        return str(longrepr[2]).removeprefix("Skipped: ")
    crash = getattr(longrepr, "reprcrash", None)
    if crash is not None and getattr(crash, "message", None):
        lines = [l for l in str(crash.message).splitlines() if l.strip()]
        return lines[0].strip() if lines else None
    lines = [l for l in str(longrepr).splitlines() if l.strip()]
    return lines[-1].strip() if lines else None


def _wasmwheel_site():
    # sysconfig says `//lib/…` where the prefix is `/`.
    return "/" + sysconfig.get_paths()["purelib"].lstrip("/")


class _WasmwheelRecorder:
    def __init__(self):
        self.tests = {}
        self.order = []
        self.collect_errors = []
        self.collected = 0
        self.started = time.monotonic()
        self.collected_at = None
        self.rootpath = None

    def pytest_sessionstart(self, session):
        self.rootpath = str(session.config.rootpath)

    def _where(self, file):
        path = os.path.normpath(os.path.join(self.rootpath or os.getcwd(), file))
        for base in (os.getcwd(), _wasmwheel_site()):
            if path.startswith(base.rstrip("/") + "/"):
                return os.path.relpath(path, base)
        return path

    def _test(self, report):
        test = self.tests.get(report.nodeid)
        if test is None:
            file, line, _ = report.location
            test = {"nodeid": report.nodeid, "outcome": "passed", "file": self._where(file),
                    "line": (line + 1) if line is not None else None, "ms": 0, "message": None}
            self.tests[report.nodeid] = test
            self.order.append(report.nodeid)
        return test

    def pytest_collectreport(self, report):
        if report.failed:
            self.collect_errors.append({"nodeid": report.nodeid or "<collection>",
                                        "message": _wasmwheel_reason(report) or "collection error"})

    def pytest_collection_finish(self, session):
        self.collected = len(session.items)
        self.collected_at = time.monotonic()

    def pytest_runtest_logreport(self, report):
        test = self._test(report)
        test["ms"] += int(round(getattr(report, "duration", 0) * 1000))
        xfail = hasattr(report, "wasxfail")
        if report.when == "call":
            if xfail:
                test["outcome"] = "xpassed" if report.passed else "xfailed"
                test["message"] = (report.wasxfail or None) if report.passed else _wasmwheel_reason(report)
            elif report.failed:
                test["outcome"], test["message"] = "failed", _wasmwheel_reason(report)
            elif report.skipped:
                test["outcome"], test["message"] = "skipped", _wasmwheel_reason(report)
        elif report.failed:
            # A setup or teardown that failed is an error of the test.
            test["outcome"], test["message"] = "error", _wasmwheel_reason(report)
        elif report.skipped and report.when == "setup":
            test["outcome"] = "xfailed" if xfail else "skipped"
            test["message"] = _wasmwheel_reason(report)


def _wasmwheel_folders(packages):
    import importlib.util

    folders = []
    for name in packages:
        spec = importlib.util.find_spec(name)
        folders.extend(spec.submodule_search_locations or [] if spec else [])
    return folders


def _wasmwheel_pytest(packages, args):
    import pytest

    recorder = _WasmwheelRecorder()
    arguments = list(args)
    folders = _wasmwheel_folders(packages)
    if folders:
        # The tests wheels ship, their node ids `pkg/tests/test_x.py::…` (a chdir there would
        # make Emscripten's getcwd answer `//lib/…`).
        arguments = ["--rootdir", _wasmwheel_site()] + folders + arguments
    try:
        status = int(pytest.main(arguments, plugins=[recorder]))
    except SystemExit as e:
        status = e.code if isinstance(e.code, int) else 4
    ended = time.monotonic()
    collected_at = recorder.collected_at or ended
    return json.dumps({
        "exit": status,
        "collected": recorder.collected,
        "tests": [recorder.tests[n] for n in recorder.order],
        "collect_errors": recorder.collect_errors,
        "collect_ms": int((collected_at - recorder.started) * 1000),
        "run_ms": int((ended - collected_at) * 1000),
    })
