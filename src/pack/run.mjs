// Runs this bundle's app in a Pyodide release under Node: node run.mjs [PYODIDE_DIR]
// (e.g. node run.mjs node_modules/pyodide; a self-contained bundle defaults to its own copy in
// pyodide/). Written by `wasmwheel pack`: it loads the bundle's
// packages through its pyodide-lock.json (lockFileURL, packageBaseUrl: this folder), runs the
// entry script as __main__ and prints what it prints; the exit status is the script's.
import fs from "node:fs";
import { createRequire } from "node:module";
import path from "node:path";
import { fileURLToPath } from "node:url";

const here = path.dirname(fileURLToPath(import.meta.url));
const bundle = JSON.parse(fs.readFileSync(path.join(here, "package.json"), "utf8")).pyodide;
const own = /^[a-z]+:/.test(bundle.url) ? null : path.join(here, bundle.url);
const release = process.argv[2] ?? own;
if (!release) {
  console.error("usage: node run.mjs PYODIDE_DIR");
  process.exit(2);
}
const require = createRequire(import.meta.url);
const { loadPyodide } = require(path.resolve(release, "pyodide.js"));
const pyodide = await loadPyodide({
  indexURL: path.resolve(release) + path.sep,
  lockFileURL: path.join(here, "pyodide-lock.json"),
  packageBaseUrl: here + path.sep,
  stdout: (line) => process.stdout.write(line + "\n"),
  stderr: (line) => process.stderr.write(line + "\n"),
});
const errors = [];
await pyodide.loadPackage(bundle.packages, { messageCallback: () => {}, errorCallback: (m) => errors.push(m) });
if (errors.length) {
  console.error(errors.join("\n"));
  process.exit(1);
}
const target = "/home/pyodide/" + bundle.entry;
pyodide.FS.writeFile(target, fs.readFileSync(path.join(here, bundle.entry)));
// How wasmwheel runs an entry script (its run_entry.py), as the traced run did.
const RUN_ENTRY = __RUN_ENTRY__;
pyodide.runPython(RUN_ENTRY);
process.exitCode = pyodide.globals.get("_wasmwheel_run")(target);
