// Install wheels into a real Pyodide under Node, then run Python code.
//
// usage: node import.js PYODIDE_DIR INSTALLER CODE WHEEL...
// INSTALLER is `loadPackage`, or `micropip:A.whl,B.whl` (micropip and what it needs, loaded
// first with loadPackage; then every WHEEL is written into Pyodide's file system and installed
// with one `micropip.install` of `emfs:` URLs).
// Prints the repr of CODE's value on the last line of stdout. Exits 1, with the error on
// stderr, when a wheel fails to install or the code raises.
"use strict";
const fs = require("fs");
const path = require("path");

async function loadPackages(pyodide, wheels) {
  const errors = [];
  for (const wheel of wheels) {
    await pyodide.loadPackage("file://" + path.resolve(wheel), {
      messageCallback: () => {},
      errorCallback: (message) => errors.push(message),
    });
  }
  if (errors.length) throw new Error("loadPackage failed: " + errors.join(" "));
}

async function main() {
  const [dir, installer, code, ...wheels] = process.argv.slice(2);
  const { loadPyodide } = require(path.resolve(dir, "pyodide.js"));
  const pyodide = await loadPyodide({ indexURL: path.resolve(dir) + path.sep, stdout: () => {}, stderr: () => {} });
  if (installer === "loadPackage") {
    await loadPackages(pyodide, wheels);
  } else {
    await loadPackages(pyodide, installer.replace(/^micropip:/, "").split(","));
    const urls = wheels.map((wheel) => {
      const target = "/tmp/" + path.basename(wheel);
      pyodide.FS.writeFile(target, fs.readFileSync(wheel));
      return "emfs:" + target;
    });
    pyodide.globals.set("wheel_urls", pyodide.toPy(urls));
    await pyodide.runPythonAsync("import micropip\nawait micropip.install(list(wheel_urls))");
  }
  const result = await pyodide.runPythonAsync(code);
  console.log(String(result));
}

main().catch((e) => {
  const message = String((e && e.message) || e).trim().split("\n");
  console.error(message.slice(-3).join(" | "));
  process.exit(1);
});
