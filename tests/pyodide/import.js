// Load wheels into a real Pyodide under Node and run Python code.
//
// usage: node import.js PYODIDE_DIR CODE WHEEL...
// Prints the repr of CODE's value on the last line of stdout. Exits 1, with the error on
// stderr, when a wheel fails to install or the code raises.
"use strict";
const path = require("path");

async function main() {
  const [dir, code, ...wheels] = process.argv.slice(2);
  const { loadPyodide } = require(path.resolve(dir, "pyodide.js"));
  const errors = [];
  const pyodide = await loadPyodide({ indexURL: path.resolve(dir) + path.sep, stdout: () => {}, stderr: () => {} });
  for (const wheel of wheels) {
    await pyodide.loadPackage("file://" + path.resolve(wheel), {
      messageCallback: () => {},
      errorCallback: (message) => errors.push(message),
    });
  }
  if (errors.length) throw new Error("loadPackage failed: " + errors.join(" "));
  const result = await pyodide.runPythonAsync(code);
  console.log(String(result));
}

main().catch((e) => {
  const message = String((e && e.message) || e).trim().split("\n");
  console.error(message.slice(-3).join(" | "));
  process.exit(1);
});
