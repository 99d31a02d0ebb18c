// Load packages through a pyodide-lock.json that `wasmwheel lock` wrote, in a real Pyodide
// under Node, then run Python code.
//
// usage: node lock.js PYODIDE_DIR LOCK_DIR CODE PACKAGE...
// 0.28 and later: loadPyodide({lockFileURL: LOCK_DIR/pyodide-lock.json, packageBaseUrl:
// LOCK_DIR/}). 0.27 has no packageBaseUrl and fetches relative file names from its indexURL,
// so the lock's files go into the release folder, as docs/deploy.md says: here, a folder of
// links to the release's files and the lock's (the lock's win).
// Prints the repr of CODE's value on the last line of stdout; exits 1 with the error on
// stderr when a package fails to load or the code raises.
"use strict";
const fs = require("fs");
const os = require("os");
const path = require("path");

function merged(release, lockDir) {
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), "wasmwheel-lock-"));
  for (const from of [release, lockDir]) {
    for (const name of fs.readdirSync(from)) {
      const target = path.join(dir, name);
      fs.rmSync(target, { force: true });
      fs.symlinkSync(path.resolve(from, name), target);
    }
  }
  return dir;
}

async function main() {
  const [release, lockDir, code, ...packages] = process.argv.slice(2);
  const { loadPyodide } = require(path.resolve(release, "pyodide.js"));
  const takesBaseUrl = fs.readFileSync(path.resolve(release, "pyodide.js"), "utf8").includes("packageBaseUrl");
  const options = { stdout: () => {}, stderr: () => {} };
  if (takesBaseUrl) {
    options.indexURL = path.resolve(release) + path.sep;
    options.lockFileURL = path.resolve(lockDir, "pyodide-lock.json");
    options.packageBaseUrl = path.resolve(lockDir) + path.sep;
  } else {
    const dir = merged(release, lockDir);
    options.indexURL = dir + path.sep;
    options.lockFileURL = path.join(dir, "pyodide-lock.json");
  }
  const pyodide = await loadPyodide(options);
  const errors = [];
  await pyodide.loadPackage(packages, { messageCallback: () => {}, errorCallback: (m) => errors.push(m) });
  if (errors.length) throw new Error("loadPackage failed: " + errors.join(" "));
  console.log(String(await pyodide.runPythonAsync(code)));
}

main().catch((e) => {
  const message = String((e && e.message) || e).trim().split("\n");
  console.error(message.slice(-3).join(" | "));
  process.exit(1);
});
