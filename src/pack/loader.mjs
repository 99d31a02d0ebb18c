// Runs this bundle's app in a browser (or any ES module host with fetch). Written by
// `wasmwheel pack`. Every URL is resolved against this module's own folder, or `base`: the
// bundle works from its own folder and from a CDN that serves the npm package.
//
//   import { run } from "./loader.mjs";
//   const exit = await run({ stdout: (line) => show(line), stderr: (line) => show(line) });
//
// Options: `base` (the bundle's folder; default: this module's), `pyodideUrl` (where Pyodide
// is; default: package.json's `pyodide.url`, the release's CDN or the bundle's own copy),
// `stdout` and `stderr` (called with each line). Resolves to the entry script's exit status.
const RUN_ENTRY = __RUN_ENTRY__;

export async function run({ base, pyodideUrl, stdout = console.log, stderr = console.error } = {}) {
  const root = new URL(base ?? ".", import.meta.url);
  const manifest = (await (await fetch(new URL("package.json", root))).json()).pyodide;
  const indexURL = new URL(pyodideUrl ?? manifest.url, root).href;
  const { loadPyodide } = await import(new URL("pyodide.mjs", indexURL).href);
  const pyodide = await loadPyodide({
    indexURL,
    lockFileURL: new URL("pyodide-lock.json", root).href,
    packageBaseUrl: root.href,
    stdout,
    stderr,
  });
  const errors = [];
  await pyodide.loadPackage(manifest.packages, { messageCallback: () => {}, errorCallback: (m) => errors.push(m) });
  if (errors.length) throw new Error(errors.join("\n"));
  const target = "/home/pyodide/" + manifest.entry;
  const entry = await fetch(new URL(manifest.entry, root));
  pyodide.FS.writeFile(target, new Uint8Array(await entry.arrayBuffer()));
  pyodide.runPython(RUN_ENTRY);
  return pyodide.globals.get("_wasmwheel_run")(target);
}
