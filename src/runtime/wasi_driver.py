# wasmwheel's driver in a WASI host, run by the host's Python as
# `python -c <this> <job> <config>`: installs the job's wheels into a site folder (as pip
# would), writes a small app that imports their modules at its top level (componentize-py
# pre-initialises an app when it builds it: a module first imported at run time is not found),
# links app and wheels into a component with componentize-py (cached by the wheels' hashes),
# runs it in wasmtime (its compiled code cached too), and prints one JSON answer of the driver
# protocol after a record separator (U+001E). <config> is {"cache", "host"}.
import hashlib
import json
import os
import subprocess
import sys
import tempfile
import time
import zipfile

PROTOCOL = __WASMWHEEL_PROTOCOL__  # written in by wasmwheel (protocol::embed)
# componentize-py's command, run by this Python (the venv's): its console script names the
# folder the venv was made in.
COMPONENTIZE = "import sys; from componentize_py import script; sys.argv[0] = 'componentize-py'; sys.exit(script())"
WIT = "package wasmwheel:check;\n\nworld check {\n  export check: func(code: string) -> string;\n}\n"
APP = '''import contextlib, io, json, traceback
import wit_world

MODULES = __MODULES__
_imports = []
for _name in MODULES:
    try:
        __import__(_name)
        _imports.append({"module": _name, "ok": True, "error": None, "ms": 0})
    except BaseException as e:
        _imports.append({"module": _name, "ok": False, "error": f"{type(e).__name__}: {e}", "ms": 0})


class WitWorld(wit_world.WitWorld):
    def check(self, code: str) -> str:
        result = {"imports": _imports, "code": None}
        if code:
            out = io.StringIO()
            try:
                with contextlib.redirect_stdout(out):
                    exec(compile(code, "<-c>", "exec"), {"__name__": "__main__"})
                result["code"] = {"ok": True, "error": None, "stdout": out.getvalue(), "ms": 0}
            except BaseException as e:
                result["code"] = {"ok": False, "error": f"{type(e).__name__}: {e}", "stdout": out.getvalue(), "ms": 0}
        return json.dumps(result)
'''


def answer(body):
    sys.stdout.write("\n\x1e" + json.dumps({"protocol": PROTOCOL, **body}) + "\n")
    sys.stdout.flush()


def clock():
    return int(time.monotonic() * 1000)


def install(wheel, site):
    """Unpacks `wheel` into `site` as pip would: `<name>.data/purelib` and `platlib` to the
    root, the other schemes left out (a component has no prefix to put them in)."""
    with zipfile.ZipFile(wheel) as archive:
        for info in archive.infolist():
            name = info.filename
            if name.endswith("/"):
                continue
            parts = name.split("/")
            if parts[0].endswith(".data"):
                if len(parts) < 3 or parts[1] not in ("purelib", "platlib"):
                    continue
                parts = parts[2:]
            if any(p in ("", ".", "..") for p in parts) or name.startswith("/"):
                raise ValueError(f"{wheel}: member {name!r} leaves site-packages")
            target = os.path.join(site, *parts)
            os.makedirs(os.path.dirname(target), exist_ok=True)
            with archive.open(info) as src, open(target, "wb") as dst:
                dst.write(src.read())


def failure(stderr):
    """The lines of a failed build that say why: the error and what it names, up to the
    backtrace."""
    lines = [l.strip() for l in stderr.splitlines() if l.strip()]
    for i, line in enumerate(lines):
        if "Error" in line or "error" in line.split(":")[0]:
            said = []
            for l in lines[i : i + 6]:
                if l.startswith(("Stack backtrace", "Caused by", "Traceback")) or l[:1].isdigit():
                    break
                said.append(l)
            return " ".join(said)
    return " ".join(lines[-2:]) or "componentize-py failed"


def build(job, config, component):
    """Links the wheels and the app into `component`; None, or why it failed."""
    with tempfile.TemporaryDirectory(prefix="wasmwheel-wasi-") as work:
        site, app, wit = (os.path.join(work, d) for d in ("site", "app", "wit"))
        for d in (site, app, wit):
            os.makedirs(d)
        for wheel in job["wheels"]:
            install(wheel, site)
        with open(os.path.join(app, "app.py"), "w") as f:
            f.write(APP.replace("__MODULES__", json.dumps(job["imports"])))
        with open(os.path.join(wit, "check.wit"), "w") as f:
            f.write(WIT)
        out = os.path.join(work, "app.wasm")
        argv = [sys.executable, "-c", COMPONENTIZE, "-d", wit, "-w", "check", "componentize", "app", "-p", app, "-p", site, "-o", out]
        ran = subprocess.run(argv, capture_output=True, text=True)
        if ran.returncode != 0 or not os.path.exists(out):
            return failure(ran.stderr + ran.stdout)
        os.makedirs(os.path.dirname(component), exist_ok=True)
        os.replace(out, component)
    return None


def run(job, config):
    result = {"startup_ms": 0, "install": None, "imports": [], "link": [], "code": None, "entry": None}
    digest = hashlib.sha256()
    for wheel in sorted(job["wheels"]):
        with open(wheel, "rb") as f:
            digest.update(hashlib.sha256(f.read()).digest())
    digest.update(json.dumps([job["imports"], APP, WIT, config["host"]]).encode())
    key = digest.hexdigest()
    component = os.path.join(config["cache"], "components", key + ".wasm")
    start = clock()
    if not os.path.exists(component):
        why = build(job, config, component)
        if why:
            result["install"] = {"ok": False, "error": why, "ms": clock() - start}
            return result
    result["install"] = {"ok": True, "error": None, "ms": clock() - start}

    from wasmtime import Config, Engine, Store, WasiConfig
    from wasmtime.component import Component, Linker

    start = clock()
    engine = Engine(Config())
    compiled = os.path.join(config["cache"], "compiled", key + ".cwasm")
    try:
        with open(compiled, "rb") as f:
            loaded = Component.deserialize(engine, f.read())
    except Exception:
        loaded = Component.from_file(engine, component)
        os.makedirs(os.path.dirname(compiled), exist_ok=True)
        partial = compiled + f".{os.getpid()}"
        with open(partial, "wb") as f:
            f.write(loaded.serialize())
        os.replace(partial, compiled)
    store = Store(engine)
    store.set_wasi(WasiConfig())
    linker = Linker(engine)
    linker.add_wasip2()
    instance = linker.instantiate(store, loaded)
    result["startup_ms"] = clock() - start
    start = clock()
    try:
        checked = json.loads(instance.get_func(store, "check")(store, job.get("code") or ""))
    except Exception as e:
        error = str(e).strip().splitlines()[0] if str(e).strip() else type(e).__name__
        if job.get("code"):
            result["code"] = {"ok": False, "error": f"the component trapped: {error}", "stdout": "", "ms": clock() - start}
        else:
            result["install"] = {"ok": False, "error": f"the component trapped: {error}", "ms": clock() - start}
        return result
    result["imports"] = checked["imports"]
    if checked["code"] is not None:
        checked["code"]["ms"] = clock() - start
        result["code"] = checked["code"]
    return result


def main():
    # The job and the host's settings come on stdin, never on the command line.
    message = json.load(sys.stdin)
    job, config = message["job"], message["host"]
    if job.get("protocol") != PROTOCOL:
        return answer({"fatal": f"the job speaks protocol {job.get('protocol')}, this driver {PROTOCOL}"})
    if job.get("lock") or job.get("entry"):
        return answer({"fatal": "a WASI host installs wheel files and runs code; it takes no lock and no entry script"})
    answer({"result": run(job, config)})


try:
    main()
except Exception as e:
    answer({"fatal": f"{type(e).__name__}: {e}"})
