// wasmwheel's driver, embedded in the binary: loads a Pyodide release, installs packages with
// loadPackage (by name through the run's lock, or wheel URLs), imports modules, checks that
// every function the loaded side modules import can be resolved, runs code or an entry script,
// and answers with one JSON result. It knows nothing of where it runs: node.js runs it under
// Node, browser.js in a page of a real browser.
"use strict";

// The protocol this driver speaks (src/runtime/protocol.rs, spec/driver.schema.json): every
// answer carries it, and a job of another version is refused. wasmwheel writes its version in
// when it embeds the driver (protocol::embed), so it is stated in one place.
const WASMWHEEL_PROTOCOL = __WASMWHEEL_PROTOCOL__;

// The driver of one job. `host` is where it runs: `clock()` in milliseconds,
// `loadPyodide(options)`, the `options` that locate the release and the lock (indexURL,
// lockFileURL, packageBaseUrl), `packages` to loadPackage (names, or wheel URLs), and
// `readEntry()` (the entry script's bytes). `run()` resolves to the answer; `fail(e)` is the
// answer for a fatal error that ended the run from outside any await.
function wasmwheelDriver(job, host) {
const clock = host.clock;
const basename = (p) => String(p).split("/").pop();

// One line for an error: a Python exception's own line, `Type: message` (its traceback comes
// before it, and Pyodide may add hints after it: "See https://pyodide.org/..."), or the first
// line of anything else.
function describe(e) {
  const lines = String((e && e.message) || e).split("\n").map((l) => l.trim()).filter(Boolean);
  if (e && e.type) {
    const own = lines.filter((l) => l === e.type || l.startsWith(`${e.type}:`));
    return own[own.length - 1] || lines[lines.length - 1] || String(e.type);
  }
  return lines[0] || "unknown error";
}

// loadPackage reports through its errorCallback; it announces each error with a line of its own.
function installErrors(messages) {
  return messages
    .map((m) => String(m).replace(/\s+/g, " ").trim())
    .filter((m) => m && !/^The following error occurred while loading/.test(m));
}

// Emscripten binds a side module's function imports lazily: one that nothing provides becomes
// a stub that throws "Dynamic linking error: cannot resolve symbol" when first called, so an
// import can work while the module cannot. For each side module loaded since `before`, the
// function imports that neither the main module, nor the module itself, nor the libraries it
// NEEDs (transitively) provide: what the stubs would find, asked of the loader itself.
function unresolvedImports(pyodide, before, sitePackages) {
  const module = pyodide._module;
  const loaded = module.LDSO.loadedLibsByName;
  const byBase = new Map();
  for (const [name, dso] of Object.entries(loaded)) byBase.set(basename(name), dso);
  // A wasm module's bytes; null for what is not one (a library that failed to load stays
  // listed, whatever its file holds).
  const read = (name) => {
    try {
      const bytes = pyodide.FS.readFile(name);
      const magic = bytes.length >= 4 && bytes[0] === 0 && bytes[1] === 0x61 && bytes[2] === 0x73 && bytes[3] === 0x6d;
      return magic ? bytes : null;
    } catch (e) {
      return null;
    }
  };
  // NEEDED of a module; none when its dylink section is one this loader does not read.
  const needed = (bytes) => {
    try {
      return module.getDylinkMetadata(bytes).neededDynlibs || [];
    } catch (e) {
      return [];
    }
  };
  const imports = (bytes) => {
    try {
      return WebAssembly.Module.imports(new WebAssembly.Module(bytes));
    } catch (e) {
      return [];
    }
  };
  const result = [];
  for (const [name, dso] of Object.entries(loaded)) {
    if (before.has(name) || !name.startsWith("/")) continue;
    const bytes = read(name);
    if (!bytes) continue;
    // The module and its NEEDED closure, as loaded.
    const scope = [dso];
    const queue = [bytes];
    const seen = new Set([basename(name)]);
    while (queue.length) {
      for (const lib of needed(queue.pop())) {
        const base = basename(lib);
        const dep = byBase.get(base);
        if (seen.has(base) || !dep) continue;
        seen.add(base);
        scope.push(dep);
        const depPath = Object.keys(loaded).find((k) => loaded[k] === dep);
        const depBytes = depPath && depPath.startsWith("/") ? read(depPath) : null;
        if (depBytes) queue.push(depBytes);
      }
    }
    const missing = imports(bytes)
      .filter((i) => i.kind === "function" && (i.module === "env" || i.module === "wasi_snapshot_preview1"))
      .map((i) => i.name)
      .filter((n) => !module.resolveGlobalSymbol(n).sym && !scope.some((d) => d.exports && d.exports[n]));
    if (missing.length) {
      const shown = name.startsWith(sitePackages + "/") ? name.slice(sitePackages.length + 1) : name;
      result.push({ library: shown, unresolved: [...new Set(missing)].sort() });
    }
  }
  return result.sort((a, b) => (a.library < b.library ? -1 : 1));
}

// What has been found so far, and the step under way: a fatal Pyodide error (a wasm trap, a
// function that cannot be resolved being called) may end the run from outside any await, and
// is then recorded against that step.
const result = { startup_ms: 0, install: null, imports: [], link: [], code: null, entry: null, pytest: null };
const output = [];
const errput = [];
const opened = new Set();
let pyodide = null;
let before = new Set();
let sitePackages = "";
let step = { kind: "startup", start: clock() };
let done = false;

function begin(kind, name) {
  step = { kind, name, start: clock() };
}

function answer(body) {
  return { protocol: WASMWHEEL_PROTOCOL, ...body };
}

function emit() {
  done = true;
  return answer({ result });
}

function fail(e) {
  const error = describe(e);
  const ms = clock() - step.start;
  if (step.kind === "startup") {
    done = true;
    return answer({ fatal: error });
  }
  if (step.kind === "install") result.install = { ok: false, error, ms };
  if (step.kind === "import") result.imports.push({ module: step.name, ok: false, error, ms });
  if (step.kind === "code") result.code = { ok: false, error, stdout: stdoutText(), ms };
  if (step.kind === "entry") result.entry = entryResult(null, error, [], [], ms);
  if (step.kind === "pytest") {
    result.pytest = { exit: 3, collected: 0, tests: [], collect_errors: [{ nodeid: "<pytest>", message: `pytest could not run: ${error}` }], collect_ms: 0, run_ms: ms, output: stdoutText(), ms };
  }
  if (step.kind === "import") {
    try {
      result.link = unresolvedImports(pyodide, before, sitePackages);
    } catch (ignored) {
      // Pyodide is dead; what it loaded cannot be asked any more.
    }
  }
  if (!result.install) result.install = { ok: false, error, ms };
  return emit();
}

// Python's stdout and stderr as bytes (setStdout's `write`), cut into lines here: Pyodide's
// line-batched callback also hands over what a flush leaves (pytest flushes a character at a
// time), and those pieces would come back as lines of their own. With `job.stream`, each line
// also goes to the host as it comes (`host.onLine`).
function lineWriter(lines, stream) {
  const decoder = new TextDecoder();
  let pending = "";
  const push = (line) => {
    lines.push(line);
    if (job.stream && host.onLine) host.onLine(stream, line);
  };
  return {
    write(buffer) {
      pending += decoder.decode(buffer, { stream: true });
      let at;
      while ((at = pending.indexOf("\n")) >= 0) {
        push(pending.slice(0, at));
        pending = pending.slice(at + 1);
      }
      return buffer.length;
    },
    flush() {
      if (pending) push(pending);
      pending = "";
    },
  };
}
const outWriter = lineWriter(output, "stdout");
const errWriter = lineWriter(errput, "stderr");

function stdoutText() {
  outWriter.flush();
  errWriter.flush();
  return output.map((l) => l + "\n").join("");
}

function entryResult(exit, error, files, loaded, ms) {
  const stderr = errput.slice(-20).map((l) => l + "\n").join("");
  return { exit, error, stdout: stdoutText(), stderr, site_packages: sitePackages, files, opened: [...opened].sort(), loaded, ms };
}

// The entry script runs through job.runner (run_entry.py: as `__main__`, its exit status
// returned), with an audit hook recording every file Python opens or imports; then
// sys.modules adds every module's file. The file system's own opens (native code's too) and
// the libraries the loader loads while it runs are recorded on the JavaScript side.
const TRACE = `
import os, sys
_wasmwheel_seen = set()
def _wasmwheel_hook(event, args):
    if event == "open" and args and isinstance(args[0], str):
        _wasmwheel_seen.add(args[0])
    elif event == "import" and len(args) > 1 and isinstance(args[1], str):
        _wasmwheel_seen.add(args[1])
    elif event == "ctypes.dlopen" and args and isinstance(args[0], str):
        _wasmwheel_seen.add(args[0])
def _wasmwheel_files():
    files = {os.path.abspath(p) for p in _wasmwheel_seen}
    files.update(os.path.abspath(m.__file__) for m in list(sys.modules.values()) if isinstance(getattr(m, "__file__", None), str))
    return sorted(files)
`;

async function runEntry(module) {
  const target = "/home/pyodide/" + basename(job.entry);
  pyodide.FS.writeFile(target, await host.readEntry());
  const loadedBefore = new Set(Object.keys(module.LDSO.loadedLibsByName));
  const FS = pyodide.FS;
  const open = FS.open;
  FS.open = function (p, ...rest) {
    if (typeof p === "string") opened.add(p);
    return open.call(this, p, ...rest);
  };
  output.length = 0;
  errput.length = 0;
  pyodide.runPython(job.runner);
  pyodide.runPython(TRACE);
  const exit = pyodide.globals.get("_wasmwheel_run")(target, pyodide.globals.get("_wasmwheel_hook"));
  FS.open = open;
  const files = pyodide.globals.get("_wasmwheel_files")().toJs();
  const loaded = Object.keys(module.LDSO.loadedLibsByName).filter((k) => !loadedBefore.has(k) && k.startsWith("/"));
  return entryResult(exit, null, files, loaded.sort(), clock() - step.start);
}

async function main() {
  const options = {
    ...host.options,
    stdout: (line) => output.push(line),
    stderr: (line) => errput.push(line),
  };
  pyodide = await host.loadPyodide(options);
  result.startup_ms = clock() - step.start;
  if (typeof pyodide.setStdout === "function") {
    pyodide.setStdout({ write: (buffer) => outWriter.write(buffer) });
    pyodide.setStderr({ write: (buffer) => errWriter.write(buffer) });
  }
  // Pyodide 0.27 asks locateFile for a library its dynamic loader cannot find in the file
  // system, and locateFile then throws "Didn't expect to load any more file_packager files!".
  // Throwing with the library's name instead changes that message and nothing else.
  const module = pyodide._module;
  if (module && typeof module.locateFile === "function") {
    module.locateFile = (name) => {
      throw new Error(`Failed to find dynamic library "${name}"`);
    };
  }
  before = new Set(Object.keys(module.LDSO.loadedLibsByName));
  // sysconfig says `//lib/python3.X/site-packages` (its prefix is `/`).
  const purelib = pyodide.runPython("import sysconfig; sysconfig.get_paths()['purelib']");
  sitePackages = "/" + purelib.replace(/^\/+/, "");

  begin("install");
  const messages = [];
  try {
    await pyodide.loadPackage(
      host.packages,
      {
        messageCallback: () => {},
        errorCallback: (m) => messages.push(m),
      },
    );
  } catch (e) {
    messages.push(describe(e));
  }
  const errors = installErrors(messages);
  result.install = { ok: errors.length === 0, error: errors.length ? errors.join("; ") : null, ms: clock() - step.start };

  for (const name of job.imports) {
    begin("import", name);
    try {
      pyodide.pyimport(name);
      result.imports.push({ module: name, ok: true, error: null, ms: clock() - step.start });
    } catch (e) {
      result.imports.push({ module: name, ok: false, error: describe(e), ms: clock() - step.start });
    }
  }
  begin("link");
  result.link = unresolvedImports(pyodide, before, sitePackages);

  if (job.code !== null) {
    output.length = 0;
    begin("code");
    try {
      await pyodide.runPythonAsync(job.code);
      result.code = { ok: true, error: null, stdout: stdoutText(), ms: clock() - step.start };
    } catch (e) {
      result.code = { ok: false, error: describe(e), stdout: stdoutText(), ms: clock() - step.start };
    }
  }
  if (job.entry) {
    begin("entry");
    result.entry = await runEntry(module);
  }
  if (job.pytest) {
    begin("pytest");
    result.pytest = await runPytest();
  }
  return emit();
}

// The tests (a zip of the host's test folders, unpacked into the home folder, the working
// folder, so that their relative layout holds), then pytest with the recorder of
// src/run/pytest_runner.py: its answer, with what pytest printed.
async function runPytest() {
  const spec = job.pytest;
  if (spec.archive) {
    // A copy as a plain Uint8Array: Pyodide does not take Node's Buffer.
    const archive = new Uint8Array(await host.readRunFile(spec.archive));
    pyodide.unpackArchive(archive, "zip", { extractDir: "/home/pyodide" });
  }
  output.length = 0;
  errput.length = 0;
  pyodide.runPython(spec.runner);
  const run = pyodide.globals.get("_wasmwheel_pytest");
  const answer = JSON.parse(run(pyodide.toPy(spec.packages), pyodide.toPy(spec.args)));
  answer.output = stdoutText();
  answer.ms = clock() - step.start;
  return answer;
}

async function run() {
  if (job.protocol !== WASMWHEEL_PROTOCOL) {
    done = true;
    return answer({ fatal: `the job speaks protocol ${job.protocol}, this driver ${WASMWHEEL_PROTOCOL}` });
  }
  try {
    return await main();
  } catch (e) {
    return fail(e);
  }
}

return { run, fail, done: () => done };
}

