// The registry of Python runtime variants, written by `wasmwheel registry`: which variants
// there are (name -> npm package and version), where their files are fetched from (a public
// npm CDN, or one you host: setCDN), and how a runtime is made from one (createRuntime). It
// depends on nothing; the same code is wrapped as ESM, CommonJS and UMD.
const VARIANTS = __VARIANTS__;
// How wasmwheel runs a script (its run_entry.py): as __main__, its exit status returned.
const RUN_ENTRY = __RUN_ENTRY__;
const ORDER = Object.keys(VARIANTS);
const IN_NODE =
  typeof process === "object" && !!process.versions && !!process.versions.node && typeof window === "undefined";
let cdn = (pkg, version, file) => `https://cdn.jsdelivr.net/npm/${pkg}@${version}/${file}`;
let made = 0;

/** Where variants are fetched from: `url(pkg, version, file)`; "" as `file` is the package's folder. */
function setCDN(url) {
  if (typeof url !== "function") throw new TypeError("setCDN takes a function (pkg, version, file) => url");
  cdn = url;
}

/** Adds (or replaces) the variant `name`: the npm package `pkg` at `version`. */
function register(name, variant) {
  const { pkg, version } = variant || {};
  if (typeof name !== "string" || !name || typeof pkg !== "string" || typeof version !== "string") {
    throw new TypeError("register(name, { pkg, version }) takes a name and an npm package and version");
  }
  if (!(name in VARIANTS)) ORDER.push(name);
  VARIANTS[name] = { pkg, version };
}

/** The variants, the default (first) one first. */
function variants() {
  return ORDER.map((name) => Object.assign({ name }, VARIANTS[name]));
}

// Module specifiers kept in variables, so that bundlers leave Node's modules alone.
const nodeModule = (name) => import(/* webpackIgnore: true */ /* @vite-ignore */ name);

// A promise that rejects after `ms`, saying what did not answer.
function within(ms, what, promise) {
  let timer;
  const late = new Promise((_, reject) => {
    timer = setTimeout(() => reject(new Error(`${what}: no answer in ${ms / 1000} s`)), ms);
  });
  return Promise.race([promise, late]).finally(() => clearTimeout(timer));
}

// The bytes at `url` (a file: URL under Node is read from disk), or an error naming it.
async function bytesAt(url, ms) {
  if (IN_NODE && url.startsWith("file:")) {
    const fs = await nodeModule("node:fs/promises");
    const { fileURLToPath } = await nodeModule("node:url");
    return new Uint8Array(await fs.readFile(fileURLToPath(url)));
  }
  const controller = new AbortController();
  const timer = setTimeout(() => controller.abort(), ms);
  try {
    const response = await fetch(url, { signal: controller.signal });
    if (!response.ok) throw new Error(`HTTP ${response.status}`);
    return new Uint8Array(await response.arrayBuffer());
  } catch (e) {
    throw new Error(`${url}: ${e.name === "AbortError" ? `no answer in ${ms / 1000} s` : e.message}`);
  } finally {
    clearTimeout(timer);
  }
}

async function jsonAt(url, ms) {
  const bytes = await bytesAt(url, ms);
  try {
    return JSON.parse(new TextDecoder().decode(bytes));
  } catch (e) {
    throw new Error(`${url}: not JSON (${e.message})`);
  }
}

// SHA-256 as hex, or null where no Web Crypto is at hand (a page served over plain HTTP):
// the browser's subresource integrity then checks what Pyodide fetches.
async function sha256(bytes) {
  let subtle = globalThis.crypto && globalThis.crypto.subtle;
  if (!subtle && IN_NODE) subtle = (await nodeModule("node:crypto")).webcrypto.subtle;
  if (!subtle) return null;
  const digest = new Uint8Array(await subtle.digest("SHA-256", bytes));
  return Array.from(digest, (b) => b.toString(16).padStart(2, "0")).join("");
}

// The lock keys `roots` need, with what they depend on.
function closure(lock, roots) {
  const seen = new Set();
  const stack = [...roots];
  while (stack.length) {
    const key = stack.pop();
    if (seen.has(key)) continue;
    const entry = lock.packages[key];
    if (!entry) throw new Error(`the lock has no package "${key}"`);
    seen.add(key);
    stack.push(...(entry.depends || []));
  }
  return [...seen].sort();
}

// Each package file fetched once and checked against the lock; the lock then names the
// checked bytes (a blob: URL in a page; a file under Node, in a folder `destroy` removes).
async function fetchChecked(lock, keys, base, ms, cleanup) {
  let folder = null;
  for (const key of keys) {
    const entry = lock.packages[key];
    const url = new URL(entry.file_name, base).href;
    const bytes = await bytesAt(url, ms);
    const hash = await sha256(bytes);
    if (hash === null) {
      entry.file_name = url;
      continue;
    }
    if (hash !== entry.sha256) {
      throw new Error(`${url}: its sha256 is ${hash}, the variant's lock says ${entry.sha256}`);
    }
    const name = url.split("/").pop().split("?")[0];
    if (IN_NODE) {
      const fs = await nodeModule("node:fs/promises");
      const path = await nodeModule("node:path");
      const { tmpdir } = await nodeModule("node:os");
      if (!folder) {
        folder = await fs.mkdtemp(path.join(tmpdir(), "wasmwheel-runtime-"));
        cleanup.push(() => fs.rm(folder, { recursive: true, force: true }));
      }
      const file = path.join(folder, name);
      await fs.writeFile(file, bytes);
      // An absolute path: Pyodide under Node resolves any other name against its base.
      entry.file_name = file;
    } else {
      const blob = URL.createObjectURL(new Blob([bytes]));
      cleanup.push(() => URL.revokeObjectURL(blob));
      // The file's name after `#/` (fetch ignores a fragment): Pyodide reads the wheel's
      // name from what follows the last `/`.
      entry.file_name = `${blob}#/${name}`;
    }
  }
}

// The Pyodide module of a variant's runtime files: `pyodide.mjs` at `indexURL`, or under
// Node where that is not a file, the `pyodide` package installed beside the registry.
async function runtimeModule(indexURL, options, ms) {
  if (options.pyodide) return { mod: options.pyodide, where: "the pyodide option", local: true };
  if (IN_NODE && !indexURL.startsWith("file:")) {
    try {
      return { mod: await nodeModule("pyodide"), where: "the installed pyodide package", local: true };
    } catch (e) {
      throw new Error(`Node cannot load ${indexURL}pyodide.mjs over HTTP, and no pyodide package is installed (npm install pyodide)`);
    }
  }
  const url = `${indexURL}pyodide.mjs`;
  const load = IN_NODE ? nodeModule(url) : import(/* webpackIgnore: true */ /* @vite-ignore */ url);
  return { mod: await within(ms, url, load), where: url, local: false };
}

async function make(name, at, options, ms) {
  const manifest = (await jsonAt(at("package.json"), ms)).pyodide;
  if (!manifest || !manifest.variant || !manifest.release) {
    throw new Error(`${at("package.json")} is not a runtime variant's (wasmwheel pack --runtime)`);
  }
  const lock = await jsonAt(at("pyodide-lock.json"), ms);
  if (!lock.packages || typeof lock.packages !== "object") {
    throw new Error(`${at("pyodide-lock.json")} is not a pyodide-lock.json`);
  }
  const base = at("");
  const indexURL = new URL(manifest.url, base).href;
  const { mod, where, local } = await runtimeModule(indexURL, options, ms);
  if (mod.version !== manifest.release) {
    throw new Error(`it was made for Pyodide ${manifest.release}, but its runtime files (${where}) are Pyodide ${mod.version}`);
  }
  const cleanup = [];
  try {
    await fetchChecked(lock, closure(lock, manifest.packages), base, ms, cleanup);
    let sink = null;
    const echo = (stream) => (line) => {
      if (sink) sink[stream].push(line);
      if (options[stream]) options[stream](line);
    };
    const config = { lockFileContents: JSON.stringify(lock), packageBaseUrl: base };
    if (!local) config.indexURL = IN_NODE ? (await nodeModule("node:url")).fileURLToPath(indexURL) + "/" : indexURL;
    Object.assign(config, { stdout: echo("stdout"), stderr: echo("stderr") });
    const pyodide = await within(ms, `loadPyodide (${where})`, mod.loadPyodide(config));
    const errors = [];
    const loading = pyodide.loadPackage(manifest.packages, {
      messageCallback: () => {},
      errorCallback: (m) => errors.push(m),
    });
    await within(ms, "loadPackage", loading);
    if (errors.length) throw new Error(errors.join("; "));
    pyodide.runPython(RUN_ENTRY);
    const runner = pyodide.globals.get("_wasmwheel_run");
    let destroyed = false;
    return {
      variant: name,
      pyodide,
      /** Runs `code` as a script; resolves to { exit, stdout, error } (error: the exception's last line). */
      async run(code) {
        if (destroyed) throw new Error(`wasmwheel registry: variant "${name}": this runtime was destroyed`);
        const path = `/tmp/wasmwheel_run_${++made}.py`;
        pyodide.FS.writeFile(path, String(code));
        sink = { stdout: [], stderr: [] };
        const lines = sink;
        let exit;
        try {
          exit = runner(path);
        } finally {
          sink = null;
          pyodide.FS.unlink(path);
        }
        const last = lines.stderr.filter((l) => l.trim()).pop();
        return { exit, stdout: lines.stdout.map((l) => l + "\n").join(""), error: exit === 0 ? null : last || null };
      },
      /** Lets go of the runtime and the files it was given. */
      destroy() {
        destroyed = true;
        return Promise.all(cleanup.map((f) => f())).then(() => undefined);
      },
    };
  } catch (e) {
    await Promise.all(cleanup.map((f) => f()));
    throw e;
  }
}

/**
 * A fresh Python runtime of the variant `name` (default: the first): its packages fetched
 * from the CDN and checked against its lock, loaded in a Pyodide of the release it was made
 * for. Rejects, naming what failed, for an unknown variant, a file that cannot be had or is
 * not what the lock says, or runtime files of another release; never hangs (`timeout`, ms).
 */
async function createRuntime(name, options) {
  const chosen = name === undefined || name === null ? ORDER[0] : name;
  const variant = VARIANTS[chosen];
  if (!variant) {
    throw new Error(`wasmwheel registry: unknown variant "${chosen}" (known: ${ORDER.join(", ") || "none"})`);
  }
  const opts = options || {};
  const at = (file) => cdn(variant.pkg, variant.version, file);
  try {
    return await make(chosen, at, opts, opts.timeout || 60000);
  } catch (e) {
    throw new Error(`wasmwheel registry: variant "${chosen}" (${variant.pkg}@${variant.version}): ${e.message}`);
  }
}
