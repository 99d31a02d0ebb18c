//! Runtime variants and their registry, for real: two variants packed here (`pack --runtime`:
//! one of fxclean, a compiled fixture; one of typing-extensions from a loopback index), a
//! registry of them (`wasmwheel registry`), served by a loopback server laid out like the npm
//! CDN (`/<pkg>@<version>/<file>`), loaded in headless Chromium (the registry by script tag and
//! by ESM import: testdata/variants/) and under Node (ESM and require), switched at run time,
//! from the CDN and from a second "self-hosted" server; and the errors a user meets.

use std::path::{Path, PathBuf};
use std::process::Command;
use std::sync::OnceLock;

use serde_json::Value;

use crate::common::*;

const CLEAN: &str = "fxclean-1.0-cp312-abi3-pyemscripten_2024_0_wasm32.whl";
const TYPING: &str = "typing_extensions-4.16.0-py3-none-any.whl";
/// What each page and script runs in a runtime: which of the two packages it can import.
const PROBE: &str = "import importlib.util\nfor m in ('fxclean', 'typing_extensions'):\n    print(m, importlib.util.find_spec(m) is not None)\n";
const ONLY_CLEAN: &str = "fxclean True\ntyping_extensions False\n";
const ONLY_TYPING: &str = "fxclean False\ntyping_extensions True\n";

/// What the tests share, made once: the two variants, the registry, and the CDN's folder
/// (`@demo/py-clean@0.1.0/`, `@demo/py-typed@0.1.0/`, `@demo/runtimes@0.1.0/`, `pages/`).
struct Made {
    root: PathBuf,
    clean: PathBuf,
    typed: PathBuf,
    registry: PathBuf,
    cdn: PathBuf,
}

fn made() -> &'static Made {
    static MADE: OnceLock<Made> = OnceLock::new();
    MADE.get_or_init(make)
}

/// `wasmwheel ARGS` with the shared release cache: its exit status, JSON report and stderr.
fn run(args: &[&str]) -> (i32, Value, String) {
    let out = wasmwheel_env(args, &[("WASMWHEEL_CACHE_DIR", release_cache().as_os_str())]);
    let err = stderr(&out);
    let report = serde_json::from_slice(&out.stdout).unwrap_or_else(|e| panic!("not JSON ({e}): {err}"));
    (out.status.code().unwrap_or(-1), report, err)
}

fn make() -> Made {
    let root = Path::new(env!("CARGO_TARGET_TMPDIR")).join("variants");
    let _ = std::fs::remove_dir_all(&root);
    std::fs::create_dir_all(&root).unwrap();
    // typing-extensions 4.16.0 (pinned) on a loopback index.
    let bytes = std::fs::read(cached(&format!("pypi/{TYPING}"))).unwrap();
    let sha = sha256_hex(&bytes);
    let index = LoopbackServer::start(move |request, _| match request.path.as_str() {
        "/simple/typing-extensions/" => Reply::Ok(
            "application/vnd.pypi.simple.v1+json",
            simple_page(&[(TYPING, &format!("/files/{TYPING}"), &sha)]),
        ),
        p if p == format!("/files/{TYPING}") => Reply::Ok("application/octet-stream", bytes.clone()),
        _ => Reply::Status(404),
    });
    let (clean, typed) = (root.join("py-clean"), root.join("py-typed"));
    let clean_wheel = fixture(CLEAN);
    let index_url = format!("{}/simple", index.url);
    for (dir, args) in [
        (&clean, vec!["--no-index", "--name", "@demo/py-clean", clean_wheel.to_str().unwrap()]),
        (&typed, vec!["--index-url", &index_url, "--with", "typing-extensions==4.16.0", "--name", "@demo/py-typed"]),
    ] {
        let mut all = vec!["pack", "--runtime", "--self-contained", "--format", "json", "--pyodide", "314.0.7", "-o"];
        all.push(dir.to_str().unwrap());
        all.extend(args);
        let (code, report, err) = run(&all);
        assert_eq!(code, 0, "{report:#}\n{err}");
        assert_eq!(report["packs"][0]["verified"], serde_json::json!(["node", "chromium"]), "{report:#}");
    }
    let registry = root.join("runtimes");
    let (clean_arg, typed_arg) = (format!("clean={}", clean.display()), format!("typed={}", typed.display()));
    let args = ["registry", "--format", "json", "--name", "@demo/runtimes", "-o", registry.to_str().unwrap()];
    let (code, report, err) = run(&[&args[..], &[clean_arg.as_str(), typed_arg.as_str()]].concat());
    assert_eq!(code, 0, "{report:#}\n{err}");
    let cdn = root.join("cdn");
    std::fs::create_dir_all(cdn.join("@demo")).unwrap();
    for (dir, at) in [(&clean, "py-clean"), (&typed, "py-typed"), (&registry, "runtimes")] {
        std::os::unix::fs::symlink(dir, cdn.join(format!("@demo/{at}@0.1.0"))).unwrap();
    }
    std::os::unix::fs::symlink(testdata("variants"), cdn.join("pages")).unwrap();
    Made { root, clean, typed, registry, cdn }
}

fn content_type(path: &str) -> &'static str {
    match path.rsplit('.').next() {
        Some("mjs" | "js" | "cjs") => "text/javascript",
        Some("wasm") => "application/wasm",
        Some("json") => "application/json",
        Some("html") => "text/html",
        _ => "application/octet-stream",
    }
}

/// A loopback server that serves `root` as the npm CDN does: `/<pkg>@<version>/<file>`.
fn cdn_server(root: &Path) -> LoopbackServer {
    let root = root.to_path_buf();
    LoopbackServer::start(move |request, _| {
        let path = request.path.split('?').next().unwrap_or("/").trim_start_matches('/').to_string();
        if path.split('/').any(|part| part == "..") {
            return Reply::Status(404);
        }
        match std::fs::read(root.join(&path)) {
            Ok(bytes) => Reply::Ok(content_type(&path), bytes),
            Err(_) => Reply::Status(404),
        }
    })
}

/// A copy of the CDN's variants (links to their files) with the bytes of `damaged` (a file of
/// py-clean) changed.
fn damaged_cdn(made: &Made, damaged: &str) -> PathBuf {
    let root = made.root.join(format!("damaged-{}", damaged.len()));
    let _ = std::fs::remove_dir_all(&root);
    let copy = root.join("@demo/py-clean@0.1.0");
    std::fs::create_dir_all(&copy).unwrap();
    for entry in std::fs::read_dir(&made.clean).unwrap() {
        let entry = entry.unwrap();
        std::os::unix::fs::symlink(entry.path(), copy.join(entry.file_name())).unwrap();
    }
    let file = copy.join(damaged);
    let mut bytes = std::fs::read(&file).unwrap();
    let last = bytes.len() - 30;
    bytes[last] ^= 0xff;
    std::fs::remove_file(&file).unwrap();
    std::fs::write(&file, bytes).unwrap();
    root
}

/// The playwright-core wasmwheel fetched into the shared cache (packing verified in Chromium).
fn playwright() -> PathBuf {
    release_cache().join(format!("npm/playwright-core/{}", wasmwheel::testing::PLAYWRIGHT_VERSION))
}

/// What a page shows in Chromium (tests/pyodide/page.js): its `wasmwheelResult`, requests
/// allowed to `origins` only.
fn page(url: &str, origins: &[&str]) -> Value {
    let chromium = wasmwheel::testing::chromium_on_path().expect("chromium on PATH");
    let out = Command::new(tool("node"))
        .arg(testdata("../tests/pyodide/page.js"))
        .arg(playwright())
        .arg(chromium)
        .args([url, &origins.join(",")])
        .output()
        .unwrap();
    let stdout = String::from_utf8_lossy(&out.stdout).into_owned();
    assert!(out.status.success(), "{stdout}{}", stderr(&out));
    let last = stdout.trim_end().rsplit('\n').next().unwrap();
    serde_json::from_str(last).unwrap_or_else(|e| panic!("{e}: {stdout}"))
}

/// In headless Chromium, pages that load the registry by script tag and by ESM import switch
/// between the variants with `?rt=` (two at once in one page), each runtime imports only its
/// own packages, `register` adds one, `setCDN` fetches from a second ("self-hosted") server,
/// and an unknown variant and a damaged file reject, naming what failed.
#[test]
#[ignore = "needs Node, Chromium, the npm registry and the pinned PyPI wheels"]
fn variants_switch_at_run_time_in_chromium() {
    let made = made();
    let cdn = cdn_server(&made.cdn);
    let script = format!("{}/pages/script.html", cdn.url);
    let esm = format!("{}/pages/esm.html", cdn.url);
    let shown = page(&format!("{script}?rt=typed"), &[&cdn.url]);
    assert_eq!((shown["variant"].as_str(), shown["stdout"].as_str()), (Some("typed"), Some(ONLY_TYPING)), "{shown:#}");
    let shown = page(&script, &[&cdn.url]);
    assert_eq!((shown["variant"].as_str(), shown["stdout"].as_str()), (Some("clean"), Some(ONLY_CLEAN)), "the default");

    let shown = page(&format!("{esm}?rt=typed,clean,custom"), &[&cdn.url]);
    assert_eq!(shown["exit"], 0, "{shown:#}");
    let results = shown["results"].as_array().unwrap();
    let got: Vec<(&str, &str)> =
        results.iter().map(|r| (r["variant"].as_str().unwrap(), r["stdout"].as_str().unwrap())).collect();
    assert_eq!(got, [("typed", ONLY_TYPING), ("clean", ONLY_CLEAN), ("custom", ONLY_CLEAN)], "three alive at once");
    assert_eq!(shown["variants"], serde_json::json!(["clean", "typed", "custom"]));

    // Self-hosted: the variants from a second server, the page and registry from the first.
    let hosted_root = made.root.join("hosted");
    if !hosted_root.exists() {
        std::fs::create_dir_all(hosted_root.join("@demo")).unwrap();
        for (dir, at) in [(&made.clean, "py-clean"), (&made.typed, "py-typed")] {
            std::os::unix::fs::symlink(dir, hosted_root.join(format!("@demo/{at}@0.1.0"))).unwrap();
        }
    }
    let hosted = cdn_server(&hosted_root);
    let before = cdn.seen().len();
    let shown = page(&format!("{esm}?rt=typed&cdn={}", hosted.url), &[&cdn.url, &hosted.url]);
    assert_eq!(shown["results"][0]["stdout"], ONLY_TYPING, "{shown:#}");
    assert!(hosted.seen().iter().any(|s| s.path == "/@demo/py-typed@0.1.0/pyodide-lock.json"));
    assert!(cdn.seen()[before..].iter().all(|s| !s.path.starts_with("/@demo/py-")), "nothing from the first");

    let shown = page(&format!("{script}?rt=nope"), &[&cdn.url]);
    assert_eq!(shown["error"], "wasmwheel registry: unknown variant \"nope\" (known: clean, typed)");
    let damaged = cdn_server(&damaged_cdn(made, CLEAN));
    let shown = page(&format!("{script}?rt=clean&cdn={}", damaged.url), &[&cdn.url, &damaged.url]);
    let error = shown["error"].as_str().unwrap();
    assert!(error.contains(CLEAN) && error.contains("sha256") && error.contains("lock"), "{error}");
}

/// An app's folder: the registry installed from npm (`node_modules/@demo/runtimes`), the
/// variants too (`node_modules/@demo/py-*`), and `node_modules/pyodide` the release `version`.
fn node_app(made: &Made, name: &str, version: &str) -> PathBuf {
    let app = made.root.join(name);
    let _ = std::fs::remove_dir_all(&app);
    let modules = app.join("node_modules");
    std::fs::create_dir_all(modules.join("@demo")).unwrap();
    // The registry copied, as npm installs it (Node resolves `pyodide` from where a module
    // really is); the variants linked.
    std::fs::create_dir_all(modules.join("@demo/runtimes")).unwrap();
    for entry in std::fs::read_dir(&made.registry).unwrap() {
        let entry = entry.unwrap();
        std::fs::copy(entry.path(), modules.join("@demo/runtimes").join(entry.file_name())).unwrap();
    }
    for (dir, at) in [(&made.clean, "py-clean"), (&made.typed, "py-typed")] {
        std::os::unix::fs::symlink(dir, modules.join(format!("@demo/{at}"))).unwrap();
    }
    std::os::unix::fs::symlink(release_cache().join(format!("pyodide/{version}")), modules.join("pyodide")).unwrap();
    app
}

/// Runs `script` (written as `file` in `app`) with node; its last line, as JSON.
fn node(app: &Path, file: &str, script: &str) -> Value {
    std::fs::write(app.join(file), script).unwrap();
    let out = Command::new(tool("node")).arg(app.join(file)).current_dir(app).output().unwrap();
    let stdout = String::from_utf8_lossy(&out.stdout).into_owned();
    assert!(out.status.success(), "{stdout}{}", stderr(&out));
    serde_json::from_str(stdout.trim_end().rsplit('\n').next().unwrap()).unwrap_or_else(|e| panic!("{e}: {stdout}"))
}

/// What the Node scripts do: make a runtime of a variant and run the probe, or say why not.
fn probe_script(import: &str, cdn: &str, name: &str, options: &str) -> String {
    format!(
        "{import}\nsetCDN({cdn});\ncreateRuntime({name:?}, {options})\n  .then(async (py) => {{ const r = await py.run({PROBE:?}); await py.destroy(); return Object.assign({{ variant: py.variant }}, r); }})\n  .catch((e) => ({{ error: e.message }}))\n  .then((r) => console.log(JSON.stringify(r)));\n"
    )
}

/// Under Node: the registry by ESM import with the variants from the loopback CDN (the runtime
/// files then from the installed `pyodide` package), and by `require` with the variants from
/// local node_modules; a CDN that never answers, a damaged file, and runtime files of another
/// release reject, naming what failed.
#[test]
#[ignore = "needs Node, Chromium, the npm registry and the pinned PyPI wheels"]
fn variants_load_under_node_by_import_and_require() {
    let made = made();
    let cdn = cdn_server(&made.cdn);
    let app = node_app(made, "app", "314.0.7");
    let esm = "import { createRuntime, setCDN } from \"@demo/runtimes\";";
    let over_http = format!("(pkg, version, file) => `{}/${{pkg}}@${{version}}/${{file}}`", cdn.url);
    let shown = node(&app, "esm.mjs", &probe_script(esm, &over_http, "typed", "{}"));
    assert_eq!((shown["variant"].as_str(), shown["stdout"].as_str()), (Some("typed"), Some(ONLY_TYPING)), "{shown:#}");

    let cjs = "const { createRuntime, setCDN } = require(\"@demo/runtimes\");\nconst { pathToFileURL } = require(\"node:url\");";
    let local = "(pkg, version, file) => pathToFileURL(`${__dirname}/node_modules/${pkg}/`).href + file";
    let shown = node(&app, "cjs.cjs", &probe_script(cjs, local, "clean", "{}"));
    assert_eq!((shown["variant"].as_str(), shown["stdout"].as_str()), (Some("clean"), Some(ONLY_CLEAN)), "{shown:#}");

    let stall = LoopbackServer::start(|_, _| Reply::Stall);
    let stalled = format!("(pkg, version, file) => `{}/${{pkg}}@${{version}}/${{file}}`", stall.url);
    let started = std::time::Instant::now();
    let shown = node(&app, "stall.mjs", &probe_script(esm, &stalled, "clean", "{ timeout: 1500 }"));
    let error = shown["error"].as_str().unwrap();
    assert!(error.contains("package.json: no answer in 1.5 s"), "{error}");
    assert!(started.elapsed().as_secs() < 30, "it ends");

    let damaged = cdn_server(&damaged_cdn(made, CLEAN));
    let from_damaged = format!("(pkg, version, file) => `{}/${{pkg}}@${{version}}/${{file}}`", damaged.url);
    let shown = node(&app, "damaged.mjs", &probe_script(esm, &from_damaged, "clean", "{}"));
    let error = shown["error"].as_str().unwrap();
    assert!(error.contains(CLEAN) && error.contains("sha256"), "{error}");

    let older = node_app(made, "app-0.29", "0.29.3");
    let shown = node(&older, "esm.mjs", &probe_script(esm, &over_http, "typed", "{}"));
    let error = shown["error"].as_str().unwrap();
    assert!(error.contains("made for Pyodide 314.0.7") && error.contains("are Pyodide 0.29.3"), "{error}");
}

/// Each package npm would publish: `npm pack` of both variants and of the registry works, the
/// registry is a few KB with no dependencies, and its exports name the three builds and types.
#[test]
#[ignore = "needs Node, Chromium, the npm registry and the pinned PyPI wheels"]
fn every_package_packs_with_npm() {
    let made = made();
    for dir in [&made.clean, &made.typed, &made.registry] {
        let out = Command::new("npm")
            .args(["pack", "--dry-run", "--json", "--ignore-scripts"])
            .current_dir(dir)
            .env("npm_config_cache", made.root.join("npm-cache"))
            .output()
            .unwrap();
        assert!(out.status.success(), "{}: {}", dir.display(), stderr(&out));
        let packed: Value = serde_json::from_slice(&out.stdout).unwrap();
        let files: Vec<&str> =
            packed[0]["files"].as_array().unwrap().iter().map(|f| f["path"].as_str().unwrap()).collect();
        assert!(files.contains(&"package.json"), "{files:?}");
        if dir == &made.registry {
            assert!(packed[0]["size"].as_u64().unwrap() < 16 * 1024, "{:#}", packed[0]);
            for file in ["index.mjs", "index.cjs", "registry.umd.js", "index.d.ts"] {
                assert!(files.contains(&file), "{files:?}");
            }
        } else {
            assert!(files.iter().any(|f| f.ends_with(".whl")) && files.contains(&"pyodide-lock.json"), "{files:?}");
            assert!(
                !files.iter().any(|f| f.ends_with(".mjs") && !f.starts_with("pyodide/")),
                "no JavaScript of its own"
            );
        }
    }
    let manifest: Value = serde_json::from_slice(&std::fs::read(made.registry.join("package.json")).unwrap()).unwrap();
    let exports = &manifest["exports"]["."];
    assert_eq!((exports["import"].as_str(), exports["require"].as_str()), (Some("./index.mjs"), Some("./index.cjs")));
    assert_eq!(exports["types"], "./index.d.ts");
    assert!(manifest.get("dependencies").is_none());
}

/// A folder that is not a variant, two variants of one name and an npm name npm refuses are
/// refused (one line, exit 2, nothing written); a registry of hand-made variant manifests
/// knows them, in order.
#[test]
fn registry_inputs_are_checked_and_the_variants_written_in() {
    let dir = tempfile::tempdir().unwrap();
    let variant = |name: &str, npm: &str| {
        let path = dir.path().join(name);
        std::fs::create_dir_all(&path).unwrap();
        let manifest = serde_json::json!({"name": npm, "version": "2.0.0",
            "pyodide": {"variant": name, "release": "314.0.7", "url": "pyodide/", "packages": ["fxclean"]}});
        std::fs::write(path.join("package.json"), manifest.to_string()).unwrap();
        path.display().to_string()
    };
    let (a, b) = (variant("a", "@me/py-a"), variant("b", "@me/py-b"));
    let plain = dir.path().join("plain");
    std::fs::create_dir_all(&plain).unwrap();
    std::fs::write(plain.join("package.json"), "{\"name\": \"plain\", \"version\": \"1.0.0\"}").unwrap();
    let out = dir.path().join("out");
    let refused = |args: &[&str], says: &str| {
        let mut all = vec!["registry", "--name", "@me/runtimes", "-o", out.to_str().unwrap()];
        all.extend(args);
        let ran = wasmwheel(&all);
        let err = stderr(&ran);
        assert_eq!(ran.status.code(), Some(2), "{args:?}: {err}");
        assert!(err.contains(says) && err.lines().count() == 1, "{args:?}: {err}");
        assert!(!out.exists(), "nothing written");
    };
    refused(&[&a, plain.to_str().unwrap()], "not a runtime variant: no pyodide.variant");
    refused(&[&a, &format!("a={b}")], "two variants are called `a`");
    refused(&[&a, dir.path().join("none").to_str().unwrap()], "no package.json");
    let ran = wasmwheel(["registry", "--name", "Bad Name", "-o", out.to_str().unwrap(), &a]);
    assert_eq!(ran.status.code(), Some(2));

    let (code, report) = wasmwheel_json([
        "registry",
        "--format",
        "json",
        "--name",
        "@me/runtimes",
        "-o",
        out.to_str().unwrap(),
        &b,
        &format!("first={a}"),
    ]);
    assert_eq!(code, 0, "{report:#}");
    let names: Vec<&str> =
        report["registries"][0]["variants"].as_array().unwrap().iter().map(|v| v["name"].as_str().unwrap()).collect();
    assert_eq!(names, ["b", "first"]);
    let esm = std::fs::read_to_string(out.join("index.mjs")).unwrap();
    let b_at = esm.find("\"pkg\": \"@me/py-b\"").unwrap();
    assert!(b_at < esm.find("\"pkg\": \"@me/py-a\"").unwrap(), "the default first");
    assert!(esm.contains("export { createRuntime, setCDN, register, variants };"));
    let umd = std::fs::read_to_string(out.join("registry.umd.js")).unwrap();
    assert!(umd.contains("root.wasmwheelRegistry = factory()"));
}

/// `--smoke CODE` traces the code and trims the variant's wheels to what it touched, as `pack`
/// does for an app (babel: its locale data dropped but for what formatting a number read);
/// without it the wheels stay whole.
#[test]
#[ignore = "needs Node, the npm registry and the pinned PyPI wheels"]
fn a_smoke_variant_keeps_what_its_code_touched() {
    let dir = tempfile::tempdir().unwrap();
    let babel = cached("pypi/babel-2.19.0-py3-none-any.whl");
    let out = dir.path().join("py-babel");
    let smoke = "from babel.numbers import format_decimal; print(format_decimal(1234.5, locale='en_US'))";
    let args = ["pack", "--runtime", "--name", "py-babel", "--verify", "node", "--no-index", "--format", "json"];
    let (code, report, err) = run(&[
        &args[..],
        &["--pyodide", "314.0.7", "-o", out.to_str().unwrap(), "--smoke", smoke, babel.to_str().unwrap()],
    ]
    .concat());
    assert_eq!(code, 0, "{report:#}\n{err}");
    let pack = &report["packs"][0];
    assert_eq!(pack["variant"], "py-babel");
    assert!(pack["stdout"].as_str().unwrap().ends_with("1,234.5\n"), "{pack:#}");
    let (before, after) =
        (pack["total"]["files_before"].as_u64().unwrap(), pack["total"]["files_after"].as_u64().unwrap());
    assert!(after * 10 < before, "trimmed: {before} -> {after}");
    let kept = std::fs::read(out.join("babel-2.19.0-py3-none-any.whl")).unwrap();
    let archive = zip::ZipArchive::new(std::io::Cursor::new(kept)).unwrap();
    let names: Vec<String> = archive.file_names().map(|n| n.unwrap().into_owned()).collect();
    assert!(
        names.iter().any(|n| n == "babel/locale-data/en_US.dat")
            && !names.iter().any(|n| n == "babel/locale-data/fr.dat")
    );
    let manifest: Value = serde_json::from_slice(&std::fs::read(out.join("package.json")).unwrap()).unwrap();
    assert_eq!(manifest["pyodide"]["packages"], serde_json::json!(["babel"]));
    assert!(!out.join("run.mjs").exists() && !out.join("wasmwheel_runtime_smoke.py").exists(), "no app files");
}
