// The driver as a session under Node: one process serves every job of one release, each in a
// fresh interpreter. Run as `node --expose-gc -e <driver.js + this>`; messages come on stdin,
// one JSON object per line, and each answer is printed after a record separator (U+001E) on
// a line of its own:
//   {"protocol", "session": {"release", "snapshot", "make_snapshot"}}  ->  {"protocol", "ready": {...}}
//   {"protocol", "id", ...job}                                         ->  {"protocol", "id", "result" | "fatal"}
// and, with `job.stream`, each line the job prints as it comes, after a unit separator
// (U+001F): {"id", "stream", "line"}.
// A fresh interpreter is a memory snapshot of the started release restored (taken here once
// and written to `snapshot` when `make_snapshot`, else read from it), or, without a snapshot,
// a fresh loadPyodide. The main module is compiled once and instantiated for each.
const path = require("path");
const fs = require("fs");
const crypto = require("crypto");
const readline = require("readline");
const { pathToFileURL } = require("url");

// What every job imports anyway, imported before the snapshot is taken: the modules of
// Pyodide's package loader and of the driver's questions (a job's install takes a quarter of
// the time). Standard-library modules only: nothing a wheel brings.
const WARM = `
import sys
for name in ("sysconfig", "zipfile", "tarfile", "shutil", "importlib", "importlib.metadata", "pyodide._package_loader"):
    try:
        __import__(name)
    except ImportError:
        pass
import sysconfig
sysconfig.get_paths()
`;

(async function () {
  const clock = () => Number(process.hrtime.bigint() / 1000000n);
  const print = (answer) => process.stdout.write("\n\u001e" + JSON.stringify({ protocol: WASMWHEEL_PROTOCOL, ...answer }) + "\n");

  // Every interpreter instantiates the same main module: compile it once (by its bytes' hash).
  const instantiate = WebAssembly.instantiate;
  const compiled = new Map();
  WebAssembly.instantiate = async function (source, imports) {
    if (source instanceof WebAssembly.Module || !source || source.byteLength < 1 << 20) {
      return instantiate.call(WebAssembly, source, imports);
    }
    const key = crypto.createHash("sha256").update(new Uint8Array(source.buffer || source, source.byteOffset || 0, source.byteLength)).digest("hex");
    if (!compiled.has(key)) compiled.set(key, await WebAssembly.compile(source));
    const module = compiled.get(key);
    return { instance: await instantiate.call(WebAssembly, module, imports), module };
  };

  // The job under way, whose driver answers for a fatal error from outside any await.
  let current = null;
  const fatal = (e) => {
    if (current && !current.driver.done()) {
      const answer = current.driver.fail(e);
      current.finish(answer);
    } else {
      process.stderr.write(`wasmwheel session: ${String((e && e.stack) || e).split("\n")[0]}\n`);
    }
  };
  process.on("uncaughtException", fatal);
  process.on("unhandledRejection", fatal);

  const lines = readline.createInterface({ input: process.stdin, crlfDelay: Infinity })[Symbol.asyncIterator]();
  const first = await lines.next();
  const hello = first.done ? {} : JSON.parse(first.value);
  if (hello.protocol !== WASMWHEEL_PROTOCOL || !hello.session) {
    print({ fatal: `the session speaks protocol ${hello.protocol}, this driver ${WASMWHEEL_PROTOCOL}` });
    return;
  }
  const release = path.resolve(hello.session.release);
  const { loadPyodide } = require(path.join(release, "pyodide.js"));
  const started = clock();
  let snapshot = null;
  let how = "none";
  try {
    if (hello.session.snapshot && hello.session.make_snapshot) {
      const made = await loadPyodide({ indexURL: release + path.sep, _makeSnapshot: true });
      made.runPython(WARM);
      snapshot = made.makeMemorySnapshot();
      const partial = `${hello.session.snapshot}.${process.pid}.partial`;
      fs.writeFileSync(partial, snapshot);
      fs.renameSync(partial, hello.session.snapshot);
      how = "made";
    } else if (hello.session.snapshot) {
      snapshot = fs.readFileSync(hello.session.snapshot);
      how = "loaded";
    }
  } catch (e) {
    // A release whose snapshot cannot be made or read is served by fresh starts.
    snapshot = null;
    how = `none (${String((e && e.message) || e).split("\n")[0]})`;
  }
  print({ ready: { snapshot: how, ms: clock() - started } });

  for await (const line of lines) {
    if (!line.trim()) continue;
    const job = JSON.parse(line);
    const indexURL = path.resolve(job.pyodide || release) + path.sep;
    const options = { indexURL };
    if (job.lock) {
      options.lockFileURL = path.join(path.resolve(job.lock.dir), "pyodide-lock.json");
      options.packageBaseUrl = path.resolve(job.lock.dir) + path.sep;
    }
    if (snapshot) options._loadSnapshot = snapshot;
    const host = {
      clock,
      loadPyodide: (o) => loadPyodide(o),
      options,
      packages: job.lock ? job.lock.packages : job.wheels.map((w) => pathToFileURL(path.resolve(w)).href),
      readEntry: async () => fs.readFileSync(job.entry),
      readRunFile: async (name) => fs.readFileSync(path.join(path.resolve(job.lock.dir), name)),
      onLine: (stream, line) => process.stdout.write("\u001f" + JSON.stringify({ id: job.id, stream, line }) + "\n"),
    };
    const answer = await new Promise((resolve) => {
      const driver = wasmwheelDriver(job, host);
      let finished = false;
      current = {
        driver,
        finish: (a) => {
          if (!finished) {
            finished = true;
            resolve(a);
          }
        },
      };
      driver.run().then(current.finish, (e) => current.finish(driver.fail(e)));
    });
    current = null;
    print({ id: job.id, ...answer });
    if (global.gc) global.gc();
  }
})();
