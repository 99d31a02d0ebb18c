// The driver under Node: run as `node -e <driver.js + this>`, the job on stdin (never on the
// command line, which Pyodide sees as its program's arguments). Locates the release and
// the run's lock as paths, prints the answer after a record separator (U+001E) on stdout, and
// answers for a fatal error that ends the run from outside any await.
const path = require("path");
const { pathToFileURL } = require("url");

(function () {
  const job = JSON.parse(require("fs").readFileSync(0, "utf8"));
  const release = path.resolve(job.pyodide || ".");
  const options = { indexURL: release + path.sep };
  if (job.lock) {
    options.lockFileURL = path.join(path.resolve(job.lock.dir), "pyodide-lock.json");
    options.packageBaseUrl = path.resolve(job.lock.dir) + path.sep;
  }
  const host = {
    clock: () => Number(process.hrtime.bigint() / 1000000n),
    loadPyodide: (o) => require(path.join(release, "pyodide.js")).loadPyodide(o),
    options,
    packages: job.lock ? job.lock.packages : job.wheels.map((w) => pathToFileURL(path.resolve(w)).href),
    readEntry: async () => require("fs").readFileSync(job.entry),
    readRunFile: async (name) => require("fs").readFileSync(path.join(path.resolve(job.lock.dir), name)),
    onLine: (stream, line) => process.stdout.write("\u001f" + JSON.stringify({ stream, line }) + "\n"),
  };
  const driver = wasmwheelDriver(job, host);
  let printed = false;
  const print = (answer) => {
    if (printed) return;
    printed = true;
    process.stdout.write("\n\u001e" + JSON.stringify(answer) + "\n");
  };
  const fatal = (e) => {
    print(driver.fail(e));
    process.exit(0);
  };
  process.on("uncaughtException", fatal);
  process.on("unhandledRejection", fatal);
  driver.run().then(print, fatal);
})();
