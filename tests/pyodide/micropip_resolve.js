// What the release's own micropip resolves requirements to, in a real Pyodide under Node:
// micropip's Transaction, made as micropip.install makes it (PyPI, its default index, so the
// release's lock is searched first; keep_going, so every failure is listed), asked to gather
// the requirements; nothing is installed. Its lock packages are completed with what
// loadPackage would load with them (their lock `depends`, transitively).
//
// usage: node micropip_resolve.js PYODIDE_DIR MICROPIP_WHEEL REQUIREMENT...
// Prints one JSON line: {"index": [[name, version]], "release": [[name, version]], "failed": [requirement]}.
"use strict";
const path = require("path");

const CODE = `
import json
from micropip._compat import compatibility_layer as compat
from micropip._vendored.packaging.src.packaging.markers import default_environment
from micropip._vendored.packaging.src.packaging.utils import canonicalize_name
from micropip.package_index import DEFAULT_INDEX_URLS
from micropip.transaction import Transaction

async def _resolve(requirements):
    t = Transaction(
        _compat_layer=compat, ctx=default_environment(), ctx_extras=[], keep_going=True, deps=True,
        pre=False, fetch_kwargs={}, verbose=False, index_urls=DEFAULT_INDEX_URLS, constraints=None,
        reinstall=False,
    )
    await t.gather_requirements(list(requirements))
    lock = compat.lockfile_packages
    release = {}
    queue = [canonicalize_name(p.name) for p in t.pyodide_packages]
    while queue:
        name = queue.pop()
        if name in release or name not in lock:
            continue
        release[name] = lock[name]["version"]
        queue.extend(canonicalize_name(d) for d in lock[name]["depends"])
    index = sorted([canonicalize_name(w.name), str(w.version)] for w in t.wheels)
    return json.dumps({"index": index, "release": sorted([n, v] for n, v in release.items()),
                       "failed": sorted(str(r) for r in t.failed)})
`;

async function main() {
  const [dir, micropip, ...requirements] = process.argv.slice(2);
  const { loadPyodide } = require(path.resolve(dir, "pyodide.js"));
  const pyodide = await loadPyodide({ indexURL: path.resolve(dir) + path.sep, stdout: () => {}, stderr: () => {} });
  await pyodide.loadPackage("file://" + path.resolve(micropip), { messageCallback: () => {}, errorCallback: () => {} });
  pyodide.runPython(CODE);
  const resolve = pyodide.globals.get("_resolve");
  console.log(await resolve(pyodide.toPy(requirements)));
}

main().catch((e) => {
  console.error(String((e && e.message) || e).trim().split("\n").slice(-3).join(" | "));
  process.exit(1);
});
