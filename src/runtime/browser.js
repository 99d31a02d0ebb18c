// The driver in a real browser: run under Node as `node -e <this>`, with {"job", "browser"} on
// stdin (never on the command line); or as a session: {"protocol", "session", "browser"} on
// the first line of stdin, then jobs one per line, each answered with its `id` (see
// `session` below). Serves the
// release, the run's folder and the entry over HTTP on 127.0.0.1 (an ephemeral port; `.wasm`
// as application/wasm, `.mjs` as JavaScript, as a browser needs them), opens a page in
// headless Chromium (the system's, through playwright-core), runs the same driver there
// (driver.js, served to the page), and prints its answer after a record separator (U+001E).
// Nothing but that server is reachable from the page. `<browser>` is
// {"executable", "playwright", "driver", "timeout_ms"}.
//
// With `<browser>.page` ({"dir", "intercept": [[url, file]...]}) it opens `dir/index.html` (a
// bundle `wasmwheel pack` wrote) instead, answers the URLs of `intercept` from those files (a
// CDN the page would fetch from), waits for the page's `window.wasmwheelResult`, and prints
// {"page": that} after the separator.
"use strict";
const fs = require("fs");
const http = require("http");
const path = require("path");

const MIME = {
  ".html": "text/html; charset=utf-8",
  ".js": "text/javascript; charset=utf-8",
  ".mjs": "text/javascript; charset=utf-8",
  ".json": "application/json",
  ".wasm": "application/wasm",
  ".zip": "application/zip",
  ".whl": "application/zip",
  ".tar": "application/x-tar",
  ".py": "text/plain; charset=utf-8",
  ".txt": "text/plain; charset=utf-8",
};

const PAGE = `<!doctype html><meta charset="utf-8"><title>wasmwheel</title><script src="/__wasmwheel/driver.js"></script>`;

// A static server for `roots` ([prefix, folder]); `files` are served from memory.
function serve(roots, files) {
  const server = http.createServer((req, res) => {
    const url = decodeURIComponent(new URL(req.url, "http://x").pathname);
    if (files[url] !== undefined) {
      res.writeHead(200, { "content-type": MIME[path.extname(url)] || "application/octet-stream" });
      return res.end(files[url]);
    }
    for (const [prefix, dir] of roots) {
      if (!url.startsWith(prefix)) continue;
      const rel = url.slice(prefix.length);
      const file = path.resolve(dir, rel);
      if (rel.split("/").includes("..") || !file.startsWith(path.resolve(dir))) break;
      fs.stat(file, (err, st) => {
        if (err || !st.isFile()) {
          res.writeHead(404);
          return res.end();
        }
        res.writeHead(200, { "content-type": MIME[path.extname(file)] || "application/octet-stream", "content-length": st.size });
        fs.createReadStream(file).pipe(res);
      });
      return;
    }
    res.writeHead(404);
    res.end();
  });
  return new Promise((resolve) => server.listen(0, "127.0.0.1", () => resolve(server)));
}

function print(answer) {
  process.stdout.write("\n\u001e" + JSON.stringify(answer) + "\n");
}

async function launch(config) {
  const { chromium } = require(config.playwright);
  return chromium.launch({
    executablePath: config.executable,
    headless: true,
    args: [
      "--no-sandbox",
      "--disable-gpu",
      "--disable-dev-shm-usage",
      "--disable-quic",
      "--no-first-run",
      "--disable-background-networking",
      "--disable-component-update",
      "--disable-sync",
    ],
  });
}

// The page of a bundle, with a CDN's files answered locally; what it shows.
async function openPage(config) {
  const server = await serve([["/", config.page.dir]], {});
  const origin = `http://127.0.0.1:${server.address().port}`;
  const browser = await launch(config);
  const intercepted = new Map(config.page.intercept);
  const failed = [];
  try {
    const context = await browser.newContext();
    await context.route("**/*", (route) => {
      const url = route.request().url();
      if (url.startsWith(origin + "/")) return route.continue();
      const file = intercepted.get(url.split("?")[0]);
      if (file) return route.fulfill({ path: file, contentType: MIME[path.extname(file)] || "application/octet-stream" });
      failed.push(url);
      return route.abort("blockedbyclient");
    });
    const page = await context.newPage();
    const console_ = [];
    page.on("console", (m) => m.type() === "error" && console_.push(m.text()));
    await page.goto(origin + "/index.html");
    await page.waitForFunction(() => window.wasmwheelResult !== undefined, null, { timeout: config.timeout_ms });
    const result = await page.evaluate(() => window.wasmwheelResult);
    if (result.error && failed.length) result.error += ` (blocked: ${failed.slice(0, 3).join(", ")})`;
    if (result.error && console_.length) result.error += ` (console: ${console_.slice(-2).join(" | ")})`;
    print({ page: result });
  } finally {
    await browser.close().catch(() => {});
    server.close();
  }
}

// A browser and a page serving the jobs of one release, one after the other, each in a fresh
// Pyodide restored from a snapshot the page takes once after the release starts (kept in the
// page, not on disk), the main module compiled once. Each job's folders are served under
// /jobs/<id>/ while it runs.
async function session(hello, lines) {
  const config = hello.browser;
  const roots = [["/release/", hello.session.release]];
  const server = await serve(roots, { "/__wasmwheel/page.html": PAGE, "/__wasmwheel/driver.js": config.driver });
  const origin = `http://127.0.0.1:${server.address().port}`;
  const browser = await launch(config);
  const context = await browser.newContext();
  await context.route("**/*", (route) =>
    route.request().url().startsWith(origin + "/") ? route.continue() : route.abort("blockedbyclient"),
  );
  const page = await context.newPage();
  let current = null;
  await page.exposeFunction("wasmwheelLine", (stream, line) =>
    process.stdout.write("\u001f" + JSON.stringify({ id: current, stream, line }) + "\n"),
  );
  await page.goto(origin + "/__wasmwheel/page.html");
  const started = Date.now();
  const how = await page.evaluate(
    async ({ origin, make }) => {
      const compiled = new Map();
      const instantiate = WebAssembly.instantiate;
      WebAssembly.instantiateStreaming = async (response, imports) => {
        const answer = await response;
        if (!compiled.has(answer.url)) compiled.set(answer.url, await WebAssembly.compile(await answer.arrayBuffer()));
        const module = compiled.get(answer.url);
        return { instance: await instantiate.call(WebAssembly, module, imports), module };
      };
      const { loadPyodide } = await import(origin + "/release/pyodide.mjs");
      window.wasmwheelLoad = loadPyodide;
      if (!make) return "none";
      try {
        const first = await loadPyodide({ indexURL: origin + "/release/", _makeSnapshot: true });
        // What every job imports anyway (see node_session.js): standard-library modules only.
        first.runPython(
          'for name in ("sysconfig", "zipfile", "tarfile", "shutil", "importlib", "importlib.metadata", "pyodide._package_loader"):\n' +
            "    try:\n        __import__(name)\n    except ImportError:\n        pass\n" +
            "import sysconfig\nsysconfig.get_paths()\n",
        );
        window.wasmwheelSnapshot = first.makeMemorySnapshot();
        return "made";
      } catch (e) {
        return `none (${String((e && e.message) || e).split("\n")[0]})`;
      }
    },
    { origin, make: hello.session.make_snapshot },
  );
  print({ protocol: __WASMWHEEL_PROTOCOL__, ready: { snapshot: how, ms: Date.now() - started } });
  for await (const line of lines) {
    if (!line.trim()) continue;
    const job = JSON.parse(line);
    const prefix = `/jobs/${job.id}/`;
    const mine = [[prefix + "index/", job.pyodide || hello.session.release]];
    if (job.lock) mine.push([prefix + "run/", job.lock.dir]);
    if (job.entry) mine.push([prefix + "entry/", path.dirname(job.entry)]);
    const wheels = (job.wheels || []).map((w, i) => {
      mine.push([`${prefix}wheels/${i}/`, path.dirname(w)]);
      return `${prefix}wheels/${i}/${path.basename(w)}`;
    });
    roots.push(...mine);
    current = job.id;
    let answer;
    try {
      answer = await page.evaluate(
        async ({ job, origin, prefix, wheels }) => {
          const options = { indexURL: origin + prefix + "index/" };
          if (job.lock) {
            options.lockFileURL = origin + prefix + "run/pyodide-lock.json";
            options.packageBaseUrl = origin + prefix + "run/";
          }
          if (window.wasmwheelSnapshot) options._loadSnapshot = window.wasmwheelSnapshot;
          const entry = job.entry ? origin + prefix + "entry/" + job.entry.split("/").pop() : null;
          const host = {
            clock: () => Math.round(performance.now()),
            loadPyodide: window.wasmwheelLoad,
            options,
            packages: job.lock ? job.lock.packages : wheels.map((w) => origin + w),
            readEntry: async () => new Uint8Array(await (await fetch(entry)).arrayBuffer()),
            readRunFile: async (name) =>
              new Uint8Array(await (await fetch(origin + prefix + "run/" + name)).arrayBuffer()),
            onLine: (stream, line) => window.wasmwheelLine(stream, line),
          };
          const driver = wasmwheelDriver(job, host);
          const fatal = new Promise((resolve) => {
            const fail = (e) => !driver.done() && resolve(driver.fail(e));
            window.addEventListener("error", (e) => fail(e.error || e.message), { once: true });
            window.addEventListener("unhandledrejection", (e) => fail(e.reason), { once: true });
          });
          return await Promise.race([driver.run(), fatal]);
        },
        { job, origin, prefix, wheels },
      );
    } catch (e) {
      answer = { protocol: __WASMWHEEL_PROTOCOL__, fatal: String((e && e.message) || e).split("\n")[0] };
    }
    for (const root of mine) roots.splice(roots.indexOf(root), 1);
    print({ id: job.id, ...answer });
  }
  await browser.close().catch(() => {});
  server.close();
}

async function main() {
  const lines = require("readline").createInterface({ input: process.stdin, crlfDelay: Infinity })[Symbol.asyncIterator]();
  const first = await lines.next();
  const message = JSON.parse(first.done ? "{}" : first.value);
  if (message.session) return session(message, lines);
  const { job, browser: config } = message;
  if (config.page) return openPage(config);
  const roots = [["/release/", job.pyodide]];
  if (job.lock) roots.push(["/run/", job.lock.dir]);
  if (job.entry) roots.push(["/entry/", path.dirname(job.entry)]);
  const wheels = (job.wheels || []).map((w, i) => {
    roots.push([`/wheels/${i}/`, path.dirname(w)]);
    return `/wheels/${i}/${path.basename(w)}`;
  });
  const server = await serve(roots, { "/__wasmwheel/page.html": PAGE, "/__wasmwheel/driver.js": config.driver });
  const origin = `http://127.0.0.1:${server.address().port}`;
  const browser = await launch(config);
  const stop = setTimeout(async () => {
    print({ protocol: __WASMWHEEL_PROTOCOL__, fatal: `the browser ran for more than ${config.timeout_ms} ms` });
    await browser.close().catch(() => {});
    process.exit(0);
  }, config.timeout_ms);
  try {
    const context = await browser.newContext();
    // The page reaches this server and nothing else.
    await context.route("**/*", (route) =>
      route.request().url().startsWith(origin + "/") ? route.continue() : route.abort("blockedbyclient"),
    );
    const page = await context.newPage();
    await page.exposeFunction("wasmwheelLine", (stream, line) =>
      process.stdout.write("\u001f" + JSON.stringify({ stream, line }) + "\n"),
    );
    await page.goto(origin + "/__wasmwheel/page.html");
    const answer = await page.evaluate(
      async ({ job, origin, wheels }) => {
        const { loadPyodide } = await import(origin + "/release/pyodide.mjs");
        const options = { indexURL: origin + "/release/" };
        if (job.lock) {
          options.lockFileURL = origin + "/run/pyodide-lock.json";
          options.packageBaseUrl = origin + "/run/";
        }
        const entry = job.entry ? origin + "/entry/" + job.entry.split("/").pop() : null;
        const host = {
          clock: () => Math.round(performance.now()),
          loadPyodide,
          options,
          packages: job.lock ? job.lock.packages : wheels.map((w) => origin + w),
          readEntry: async () => new Uint8Array(await (await fetch(entry)).arrayBuffer()),
          readRunFile: async (name) => new Uint8Array(await (await fetch(origin + "/run/" + name)).arrayBuffer()),
          onLine: (stream, line) => window.wasmwheelLine(stream, line),
        };
        const driver = wasmwheelDriver(job, host);
        const fatal = new Promise((resolve) => {
          window.addEventListener("error", (e) => resolve(driver.fail(e.error || e.message)));
          window.addEventListener("unhandledrejection", (e) => resolve(driver.fail(e.reason)));
        });
        return await Promise.race([driver.run(), fatal]);
      },
      { job, origin, wheels },
    );
    print(answer);
  } catch (e) {
    print({ protocol: __WASMWHEEL_PROTOCOL__, fatal: String((e && e.message) || e).split("\n")[0] });
  } finally {
    clearTimeout(stop);
    await browser.close().catch(() => {});
    server.close();
  }
}

main().catch((e) => {
  print({ protocol: __WASMWHEEL_PROTOCOL__, fatal: String((e && e.message) || e).split("\n")[0] });
  process.exit(0);
});
