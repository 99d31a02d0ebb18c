//! The web, for real: `test --browser chromium` and `audit --confirm --browser chromium` in a
//! page of headless Chromium (Debian's, through playwright-core); the page every bundle
//! carries, verified there by `pack`, served by a plain static server when self-contained, and
//! loaded from a CDN-like path with the snippet docs/pack.md shows.

use std::path::{Path, PathBuf};
use std::process::Command;

use serde_json::Value;

use crate::common::*;

const BABEL: &str = "pypi/babel-2.19.0-py3-none-any.whl";
const MSGSPEC: &str = "pypi/msgspec-0.22.0-cp314-cp314-pyemscripten_2026_0_wasm32.whl";

/// The playwright-core wasmwheel fetched into the shared cache (any `--browser` run does).
fn playwright() -> PathBuf {
    let dir = release_cache().join(format!("npm/playwright-core/{}", wasmwheel::testing::PLAYWRIGHT_VERSION));
    assert!(dir.join("package.json").is_file(), "{} is missing: run a --browser test first", dir.display());
    dir
}

/// What a page served at `url` shows in Chromium (tests/pyodide/page.js): the text of its
/// #output, its `wasmwheelResult`, and the requests outside `origin` it made (refused).
fn open(url: &str, origin: &str) -> (String, Value, String) {
    let script = testdata("../tests/pyodide/page.js");
    let chromium = wasmwheel::testing::chromium_on_path().expect("chromium on PATH");
    let out =
        Command::new(tool("node")).arg(script).arg(playwright()).arg(chromium).args([url, origin]).output().unwrap();
    let stdout = String::from_utf8_lossy(&out.stdout).into_owned();
    assert!(out.status.success(), "{stdout}{}", stderr(&out));
    let (shown, result) = stdout.trim_end().rsplit_once('\n').unwrap_or(("", stdout.trim_end()));
    (format!("{shown}\n"), serde_json::from_str(result).unwrap(), stderr(&out))
}

fn pack(entry: &Path, out: &Path, extra: &[&str], wheels: &[PathBuf]) -> (i32, Value) {
    let mut args: Vec<String> =
        ["pack", "--format", "json", "--no-index", "--pyodide", "314.0.7", "-o"].map(String::from).to_vec();
    args.push(out.display().to_string());
    args.extend(extra.iter().map(|s| s.to_string()));
    args.push(entry.display().to_string());
    args.extend(wheels.iter().map(|w| w.display().to_string()));
    wasmwheel_json_cached(&args)
}

#[test]
#[ignore = "needs Node, Chromium, the npm registry and the PyPI wheels"]
fn test_in_chromium_passes_a_real_wheel_and_names_a_missing_library() {
    let msgspec = cached(MSGSPEC);
    let code = "import msgspec; print(msgspec.json.encode([1, 2]).decode())";
    let (status, report) = wasmwheel_json_cached([
        "test",
        "--format",
        "json",
        "--browser",
        "chromium",
        "--pyodide",
        "314.0.7",
        "-c",
        code,
        msgspec.to_str().unwrap(),
    ]);
    assert_eq!(status, 0, "{report:#}");
    let run = &report["tests"][0];
    assert_eq!(run["runtime"], "chromium");
    assert_eq!(run["code"]["stdout"], "[1,2]\n");

    let broken = fixture("fxpkg-1.0-cp314-cp314-pyemscripten_2026_0_wasm32.whl");
    let (status, report) = wasmwheel_json_cached([
        "test",
        "--format",
        "json",
        "--browser",
        "chromium",
        "--pyodide",
        "314.0.7",
        broken.to_str().unwrap(),
    ]);
    assert_eq!(status, 1, "{report:#}");
    let error = report["tests"][0]["install"]["error"].as_str().unwrap_or_default();
    assert!(error.contains("Failed to find dynamic library \"libb.so\""), "names the library, as under Node: {error}");

    // --confirm in the browser: the same verdicts.
    let clean = fixture("fxclean-1.0-cp312-abi3-pyemscripten_2024_0_wasm32.whl");
    let (status, report) = wasmwheel_json_cached([
        "audit",
        "--confirm",
        "--browser",
        "chromium",
        "--format",
        "json",
        clean.to_str().unwrap(),
    ]);
    assert_eq!(status, 0, "{report:#}");
    let confirmed = report["wheels"][0]["confirmed"].as_array().unwrap();
    assert!(confirmed.iter().all(|c| c["runtime"] == "chromium" && c["loads"] == c["compatible"]), "{confirmed:#?}");
}

#[test]
#[ignore = "needs Node, Chromium, the npm registry and the PyPI wheels"]
fn pack_verifies_the_page_in_chromium_and_fails_when_it_differs() {
    let dir = tempfile::tempdir().unwrap();
    let out = dir.path().join("bundle");
    let (code, report) = pack(&testdata("apps/prices.py"), &out, &[], &[cached(BABEL), cached(MSGSPEC)]);
    assert_eq!(code, 0, "{report:#}");
    assert_eq!(report["packs"][0]["verified"], serde_json::json!(["node", "chromium"]));
    for file in ["index.html", "loader.mjs", "run.mjs", "package.json"] {
        assert!(out.join(file).is_file(), "{file}");
    }
    let manifest: Value = serde_json::from_slice(&std::fs::read(out.join("package.json")).unwrap()).unwrap();
    assert_eq!(manifest["pyodide"]["url"], "https://cdn.jsdelivr.net/pyodide/v314.0.7/full/");

    // An app that sees it is in a browser: the page does not print what the trace did.
    let entry = dir.path().join("where.py");
    std::fs::write(&entry, "import js\nprint('in a page' if hasattr(js, 'document') else 'not in a page')\n").unwrap();
    let differs = dir.path().join("differs");
    let (code, report) = pack(&entry, &differs, &[], &[]);
    assert_eq!(code, 1, "{report:#}");
    let failure = report["packs"][0]["failure"].as_str().unwrap();
    assert!(failure.contains("in Chromium") && failure.contains("stdout differs"), "{failure}");
    assert!(!differs.exists(), "nothing written");
    let (code, report) = pack(&entry, &differs, &["--verify", "node"], &[]);
    assert_eq!(code, 0, "{report:#}");
    assert_eq!(report["packs"][0]["verified"], serde_json::json!(["node"]));
}

#[test]
#[ignore = "needs Node, Chromium, the npm registry and the PyPI wheels"]
fn a_self_contained_bundle_runs_from_a_plain_static_server_with_nothing_else_reachable() {
    let dir = tempfile::tempdir().unwrap();
    let out = dir.path().join("bundle");
    let (code, report) =
        pack(&testdata("apps/prices.py"), &out, &["--self-contained"], &[cached(BABEL), cached(MSGSPEC)]);
    assert_eq!(code, 0, "{report:#}");
    let traced = report["packs"][0]["stdout"].as_str().unwrap().to_string();
    assert!(out.join("pyodide/pyodide.asm.wasm").is_file() && out.join("pyodide/pyodide.mjs").is_file());
    let server = StaticServer::serve(&out);
    let (shown, result, refused) = open(&format!("{}index.html", server.url), &server.url);
    assert_eq!(result["exit"], 0, "{result:#}");
    assert_eq!(result["stdout"], traced);
    assert_eq!(shown, traced, "the page shows the app's output");
    assert!(refused.is_empty(), "the page fetched from outside its folder: {refused}");
    // Under Node too, from its own copy of the runtime.
    let run = Command::new(tool("node")).arg(out.join("run.mjs")).output().unwrap();
    assert_eq!(String::from_utf8_lossy(&run.stdout), traced, "{}", stderr(&run));
}

/// The snippet docs/pack.md gives for loading a published bundle from a CDN.
fn cdn_snippet() -> String {
    let docs = std::fs::read_to_string(testdata("../docs/pack.md")).unwrap();
    let start = docs.find("<!-- cdn snippet -->").expect("the marked snippet in docs/pack.md");
    let block = &docs[start..];
    let open = block.find("```html\n").unwrap() + "```html\n".len();
    let close = block[open..].find("```").unwrap();
    block[open..open + close].to_string()
}

#[test]
#[ignore = "needs Node, Chromium, the npm registry and the PyPI wheels"]
fn the_docs_cdn_snippet_loads_a_published_bundle() {
    let dir = tempfile::tempdir().unwrap();
    let site = dir.path().join("site");
    let out = site.join("npm/prices@0.1.0");
    std::fs::create_dir_all(out.parent().unwrap()).unwrap();
    let (code, report) = pack(
        &testdata("apps/prices.py"),
        &out,
        &["--self-contained", "--name", "prices"],
        &[cached(BABEL), cached(MSGSPEC)],
    );
    assert_eq!(code, 0, "{report:#}");
    let traced = report["packs"][0]["stdout"].as_str().unwrap().to_string();
    let server = StaticServer::serve(&site);
    let snippet = cdn_snippet();
    assert!(snippet.contains("https://cdn.jsdelivr.net/npm/prices@0.1.0/loader.mjs"), "{snippet}");
    let page = snippet.replace("https://cdn.jsdelivr.net/", &server.url);
    std::fs::write(site.join("page.html"), format!("<!doctype html><meta charset=\"utf-8\">\n{page}")).unwrap();
    let (shown, result, refused) = open(&format!("{}page.html", server.url), &server.url);
    assert_eq!(result["exit"], 0, "{result:#}");
    assert_eq!(shown, traced);
    assert!(refused.is_empty(), "{refused}");
}

/// On a machine with Node (a stand-in that says it is Node 20) and no Chromium.
#[test]
fn without_chromium_a_browser_run_stops_saying_what_to_install() {
    let dir = tempfile::tempdir().unwrap();
    let clean = fixture("fxclean-1.0-cp312-abi3-pyemscripten_2024_0_wasm32.whl");
    let bin = fake_node(dir.path(), "exit 3");
    let path = bin.as_os_str();
    let out = wasmwheel_env(
        ["test", "--browser", "chromium", clean.to_str().unwrap()],
        &[("PATH", path), ("WASMWHEEL_CHROMIUM", "".as_ref())],
    );
    assert_eq!(out.status.code(), Some(2));
    let err = stderr(&out);
    assert!(err.contains("apt-get install chromium") && err.lines().count() == 1, "{err}");
    // audit never needs a browser (nor Node).
    let out = wasmwheel_env(["audit", clean.to_str().unwrap()], &[("PATH", path)]);
    assert_eq!(out.status.code(), Some(0));
}

/// Without Chromium, `pack` verifies under Node and says once that the page was not
/// verified. A stand-in `node` answers the trace and runs the bundle's `run.mjs` as traced.
#[test]
fn without_chromium_pack_says_so_once_and_verifies_under_node() {
    let dir = tempfile::tempdir().unwrap();
    let node = protocol_node(dir.path(), &traced_outcome(0, "hello\n", ""), "hello\n", 0);
    let path = path_with(&node);
    let release = release_dir("314.0.7", dir.path());
    let entry = dir.path().join("app.py");
    std::fs::write(&entry, "import fxpure\nprint('hello')\n").unwrap();
    let out = dir.path().join("bundle");
    let wheel = fixture("fxpure-1.0-py3-none-any.whl");
    let cache = dir.path().join("cache");
    let ran = wasmwheel_env(
        [
            "pack",
            "--format",
            "json",
            "--no-index",
            "--pyodide",
            release.to_str().unwrap(),
            "-o",
            out.to_str().unwrap(),
            entry.to_str().unwrap(),
            wheel.to_str().unwrap(),
        ],
        &[("PATH", path.as_os_str()), ("WASMWHEEL_CHROMIUM", "".as_ref()), ("WASMWHEEL_CACHE_DIR", cache.as_os_str())],
    );
    let report: Value = serde_json::from_slice(&ran.stdout).unwrap_or_else(|_| panic!("{}", stderr(&ran)));
    assert_eq!(ran.status.code(), Some(0), "{report:#}");
    let pack = &report["packs"][0];
    assert_eq!(pack["verified"], serde_json::json!(["node"]));
    let said: Vec<&Value> = pack["warnings"]
        .as_array()
        .unwrap()
        .iter()
        .filter(|w| w.as_str().unwrap().contains("apt-get install chromium"))
        .collect();
    assert_eq!(said.len(), 1, "{pack:#}");
    assert!(out.join("package.json").is_file());
}
