//! Resolving what wheels require, as the release's micropip would: against PyPI for real
//! (compared with the release's own micropip under Node on the same requirements), against a
//! release mirror a test builds and serves on 127.0.0.1 (the release CDN is unreachable from
//! these machines), with the cache, `--offline`, `--no-index`, a tampered file, a conflict and
//! a requirement no source has.

use std::collections::BTreeMap;
use std::path::{Path, PathBuf};
use std::process::Command;

use serde_json::Value;

use crate::common::*;

/// The pinned pydantic-core 2.50.5 (needs typing-extensions>=4.16.0; 314.0.7's lock has 4.15.0).
fn pydantic_core() -> PathBuf {
    cached("pypi/pydantic_core-2.50.5-cp314-cp314-pyemscripten_2026_0_wasm32.whl")
}

/// The packages of a report's resolution: name -> (version, source).
fn resolved(resolution: &Value) -> BTreeMap<String, (String, String)> {
    resolution["packages"]
        .as_array()
        .unwrap()
        .iter()
        .map(|p| {
            let name = p["name"].as_str().unwrap().to_string();
            (name, (p["version"].as_str().unwrap().to_string(), p["source"].as_str().unwrap().to_string()))
        })
        .collect()
}

fn version_of(resolution: &Value, name: &str) -> pep440_rs::Version {
    resolved(resolution).get(name).unwrap_or_else(|| panic!("{name} not resolved: {resolution:#}")).0.parse().unwrap()
}

#[test]
#[ignore = "needs Node, the npm registry and PyPI"]
fn pydantic_core_passes_with_typing_extensions_from_the_index() {
    let wheel = pydantic_core();
    let (code, report) =
        wasmwheel_json_cached(["test", "--format", "json", "--pyodide", "314.0.7", wheel.to_str().unwrap()]);
    assert_eq!(code, 0, "{report:#}");
    let run = &report["tests"][0];
    let packages = resolved(&run["resolution"]);
    assert_eq!(packages["typing-extensions"].1, "index", "{:#}", run["resolution"]);
    assert!(version_of(&run["resolution"], "typing-extensions") >= "4.16.0".parse().unwrap());
    assert_eq!(packages["pydantic-core"], ("2.50.5".into(), "given".into()));
    let ours =
        run["resolution"]["packages"].as_array().unwrap().iter().find(|p| p["name"] == "typing-extensions").unwrap();
    assert_eq!(ours["requested_by"], serde_json::json!(["pydantic-core 2.50.5"]));
    assert_eq!(ours["index"], "https://pypi.org/simple");
    let index_wheel = run["wheels"].as_array().unwrap().iter().find(|w| w["source"] == "index").unwrap();
    assert_eq!(index_wheel["audit"]["compatible"], true, "the dependency is audited too: {index_wheel:#}");

    // The text report says what came from where.
    let cache = release_cache();
    let out = wasmwheel_env(
        ["test", "--pyodide", "314.0.7", wheel.to_str().unwrap()],
        &[("WASMWHEEL_CACHE_DIR", cache.as_os_str())],
    );
    let text = String::from_utf8_lossy(&out.stdout);
    assert!(
        text.contains("with typing-extensions 4.")
            && text.contains("from https://pypi.org/simple, for pydantic-core 2.50.5"),
        "{text}"
    );

    // Warm, and --offline: the index page and the wheel come from the cache.
    let out = wasmwheel_env(
        ["test", "--offline", "--pyodide", "314.0.7", wheel.to_str().unwrap()],
        &[("WASMWHEEL_CACHE_DIR", cache.as_os_str())],
    );
    assert_eq!(out.status.code(), Some(0), "{}", stderr(&out));

    // --no-index: only the release's 4.15.0, which does not fit: nothing is installed.
    let (code, report) = wasmwheel_json_cached([
        "test",
        "--format",
        "json",
        "--no-index",
        "--pyodide",
        "314.0.7",
        wheel.to_str().unwrap(),
    ]);
    assert_eq!(code, 1, "{report:#}");
    let run = &report["tests"][0];
    let unmet = &run["resolution"]["unmet"][0];
    assert_eq!(unmet["requirement"], "typing-extensions>=4.16.0");
    assert_eq!(unmet["requested_by"], "pydantic-core 2.50.5");
    let had = unmet["sources"].to_string();
    assert!(had.contains("typing-extensions 4.15.0") && had.contains("--no-index"), "{had}");
    assert_eq!(run["startup_ms"], 0, "no Pyodide was started: {run:#}");
}

#[test]
#[ignore = "needs Node, the npm registry and PyPI"]
fn a_conflict_and_a_requirement_no_source_has_are_named() {
    let wheel = pydantic_core();
    let (code, report) = wasmwheel_json_cached([
        "test",
        "--format",
        "json",
        "--pyodide",
        "314.0.7",
        "--with",
        "typing-extensions==4.15.0",
        "--with",
        "no-such-project-for-wasmwheel-tests>=1",
        wheel.to_str().unwrap(),
    ]);
    assert_eq!(code, 1, "{report:#}");
    let resolution = &report["tests"][0]["resolution"];
    let conflict = &resolution["conflicts"][0];
    assert_eq!(conflict["requirement"], "typing-extensions==4.15.0");
    assert_eq!(conflict["requested_by"], "--with");
    assert!(conflict["chosen"].as_str().unwrap().ends_with("(from the index)"), "{conflict:#}");
    assert_eq!(conflict["chosen_by"], serde_json::json!(["pydantic-core 2.50.5"]));
    let unmet = &resolution["unmet"][0];
    assert_eq!(unmet["requirement"], "no-such-project-for-wasmwheel-tests>=1");
    assert!(unmet["sources"].to_string().contains("https://pypi.org/simple: no such project"), "{unmet:#}");
}

/// A release mirror the test builds: 314.0.7 with the repaired fxpkg as a package of its own,
/// and micropip 0.11.1 from PyPI in place of the release's (whose file is on the CDN).
fn mirror(dir: &Path) -> (PathBuf, PathBuf) {
    let out = dir.join("repaired");
    let fxpkg = repaired(&fixture("fxpkg-1.0-cp314-cp314-pyemscripten_2026_0_wasm32.whl"), &out);
    let micropip = cached("pypi/micropip-0.11.1-py3-none-any.whl");
    let release = release_with("2026_0", dir, &[(&fxpkg, &[]), (&micropip, &[])]);
    let served = dir.join("served");
    std::fs::create_dir_all(&served).unwrap();
    for file in [&fxpkg, &micropip] {
        std::fs::copy(file, served.join(file.file_name().unwrap())).unwrap();
    }
    (release, served)
}

#[test]
#[ignore = "needs Node and the Pyodide releases (testdata/fetch.sh)"]
fn a_wheel_that_needs_release_packages_passes_with_a_release_mirror() {
    let dir = tempfile::tempdir().unwrap();
    let (release, served) = mirror(dir.path());
    let server = StaticServer::serve(&served);
    let cache = tempfile::tempdir().unwrap();
    let env = [("WASMWHEEL_CACHE_DIR", cache.path().as_os_str())];
    let app = fixture("fxapp-1.0-py3-none-any.whl");
    let args = |extra: &[&str]| -> Vec<String> {
        let mut args = vec!["test", "--format", "json", "--no-index", "--pyodide", release.to_str().unwrap()];
        args.extend(extra);
        args.push(app.to_str().unwrap());
        args.into_iter().map(String::from).collect()
    };
    let out = wasmwheel_env(args(&["--release-url", &server.url, "-c", "import fxapp; print(fxapp.value())"]), &env);
    let report: Value = serde_json::from_slice(&out.stdout).unwrap_or_else(|_| panic!("{}", stderr(&out)));
    assert_eq!(out.status.code(), Some(0), "{report:#}");
    let run = &report["tests"][0];
    let packages = resolved(&run["resolution"]);
    assert_eq!(packages["fxpkg"], ("1.0".into(), "release".into()), "{packages:?}");
    assert_eq!(packages["micropip"], ("0.11.1".into(), "release".into()));
    assert_eq!(run["code"]["stdout"], "4202\n", "fxapp uses fxpkg's vendored library: {run:#}");

    // Warm: the mirror is gone, --offline; the cache has what was checked.
    drop(server);
    let out = wasmwheel_env(args(&["--offline", "--release-url", "http://127.0.0.1:9/"]), &env);
    assert_eq!(out.status.code(), Some(0), "{}", String::from_utf8_lossy(&out.stdout));

    // A cold cache, --offline: the run is not made, said clearly (in the report and on one
    // line of stderr), exit 2, nothing left behind.
    let empty = tempfile::tempdir().unwrap();
    let out = wasmwheel_env(args(&["--offline"]), &[("WASMWHEEL_CACHE_DIR", empty.path().as_os_str())]);
    assert_eq!(out.status.code(), Some(2), "{}", String::from_utf8_lossy(&out.stdout));
    let err = stderr(&out);
    assert!(err.contains("--offline") && err.lines().count() == 1, "{err}");
    assert!(!err.contains("panicked"));
    let report: Value = serde_json::from_slice(&out.stdout).unwrap();
    assert!(report["tests"][0]["not_run"].as_str().unwrap().contains("--offline"), "{report:#}");
    assert_eq!(report["tests"][0]["ok"], false);
}

/// A release package served with other bytes than the lock's sha256 is refused before anything
/// runs (a stand-in `node` is on PATH; it is never asked), and the cache keeps only what its
/// names say. The release is 314.0.7's own lock with the repaired fxpkg and a stand-in
/// micropip added as release packages, served on 127.0.0.1.
#[test]
fn a_served_file_that_is_not_what_the_lock_says_is_refused() {
    let dir = tempfile::tempdir().unwrap();
    let fxpkg =
        repaired(&fixture("fxpkg-1.0-cp314-cp314-pyemscripten_2026_0_wasm32.whl"), &dir.path().join("repaired"));
    let micropip = derive_wheel(
        &fixture("fxpure-1.0-py3-none-any.whl"),
        dir.path(),
        "micropip-0.11.1-py3-none-any.whl",
        |n, d| Some((n.replace("fxpure-1.0", "micropip-0.11.1").replace("fxpure", "micropip"), d)),
    );
    let release = release_dir("314.0.7", dir.path());
    add_release_packages(&release, &[(&fxpkg, &[]), (&micropip, &[])]);
    let served = dir.path().join("served");
    std::fs::create_dir_all(&served).unwrap();
    std::fs::copy(&micropip, served.join("micropip-0.11.1-py3-none-any.whl")).unwrap();
    let mut bytes = std::fs::read(&fxpkg).unwrap();
    let last = bytes.len() - 1;
    bytes[last] ^= 1;
    let name = fxpkg.file_name().unwrap().to_str().unwrap().to_string();
    std::fs::write(served.join(&name), &bytes).unwrap();
    let tampered = sha256_hex(&bytes);
    let server = serve_folder(&served);
    let cache = tempfile::tempdir().unwrap();
    let node = protocol_node(dir.path(), &installed_outcome(), "", 0);
    let path = path_with(&node);
    let app = fixture("fxapp-1.0-py3-none-any.whl");
    let out = wasmwheel_env(
        [
            "test",
            "--no-index",
            "--pyodide",
            release.to_str().unwrap(),
            "--release-url",
            &server.url,
            app.to_str().unwrap(),
        ],
        &[("WASMWHEEL_CACHE_DIR", cache.path().as_os_str()), ("PATH", path.as_os_str())],
    );
    assert_eq!(out.status.code(), Some(2), "{}", String::from_utf8_lossy(&out.stdout));
    let err = stderr(&out);
    assert!(err.contains(&name) && err.contains("sha256") && err.contains("not used"), "{err}");
    assert!(!server.seen().is_empty(), "the mirror was asked");
    // What the cache keeps is what its name says; the tampered file is not among it.
    for entry in std::fs::read_dir(cache.path().join("files/sha256")).into_iter().flatten().flatten() {
        let name = entry.file_name().to_string_lossy().into_owned();
        assert_eq!(sha256_hex(&std::fs::read(entry.path()).unwrap()), name);
        assert_ne!(name, tampered);
    }
}

/// What the release's micropip resolves `requirements` to (tests/pyodide/micropip_resolve.js):
/// index packages, release packages (with what loadPackage loads with them), failures.
fn micropip(abi: &str, wheel: &str, requirements: &[&str]) -> Value {
    let script = testdata("../tests/pyodide/micropip_resolve.js");
    let out = Command::new(tool("node"))
        .arg(script)
        .arg(cached(&format!("node/{abi}")))
        .arg(cached(&format!("pypi/{wheel}")))
        .args(requirements)
        .output()
        .unwrap();
    assert!(out.status.success(), "micropip: {}", stderr(&out));
    serde_json::from_slice(&out.stdout).unwrap()
}

/// Name -> version of one side of micropip's answer.
fn side(answer: &Value, key: &str) -> BTreeMap<String, String> {
    answer[key]
        .as_array()
        .unwrap()
        .iter()
        .map(|p| (p[0].as_str().unwrap().into(), p[1].as_str().unwrap().into()))
        .collect()
}

/// Real requirement sets: pure and binary wheels from PyPI, release packages, a mix, extras,
/// what a release has too old, and what nobody has.
const SETS: [&[&str]; 6] = [
    &["rich==14.1.0"],
    &["msgspec==0.22.0", "babel==2.19.0"],
    &["pydantic==2.12.5"],
    &["pydantic-core==2.50.5"],
    &["httpx[http2]==0.28.1"],
    &["jiter==0.19.0", "attrs==25.3.0", "no-such-project-for-wasmwheel-tests==1.0"],
];

#[test]
#[ignore = "needs Node, the npm registry and PyPI"]
fn the_resolution_equals_micropips() {
    let out = tempfile::tempdir().unwrap();
    for (release, abi, wheel) in [
        ("0.29.3", "2025_0", "micropip-0.11.0-py3-none-any.whl"),
        ("314.0.7", "2026_0", "micropip-0.11.1-py3-none-any.whl"),
    ] {
        for (n, requirements) in SETS.iter().enumerate() {
            let theirs = micropip(abi, wheel, requirements);
            let dir = out.path().join(format!("{release}-{n}"));
            let mut args = vec!["lock", "--format", "json", "--pyodide", release, "-o", dir.to_str().unwrap()];
            for r in *requirements {
                args.extend(["--with", r]);
            }
            let (code, report) = wasmwheel_json_cached(args);
            assert!(code == 0 || code == 1, "{report:#}");
            let resolution = &report["locks"][0]["resolution"];
            let ours = resolved(resolution);
            let notes = resolution["notes"].to_string();
            let explained = |name: &str| notes.contains(&format!("{name}:"));
            for (key, source) in [("index", "index"), ("release", "release")] {
                for (name, version) in side(&theirs, key) {
                    let mine = ours.get(&name).cloned();
                    assert!(
                        mine == Some((version.clone(), source.into())) || explained(&name),
                        "{release} {requirements:?}: micropip takes {name} {version} from the {source}, wasmwheel {mine:?}\n{resolution:#}\nmicropip: {theirs}"
                    );
                }
            }
            let theirs_all: Vec<String> =
                side(&theirs, "index").into_keys().chain(side(&theirs, "release").into_keys()).collect();
            for (name, (version, source)) in &ours {
                assert!(
                    theirs_all.contains(name) || explained(name),
                    "{release} {requirements:?}: wasmwheel takes {name} {version} ({source}), micropip does not\nmicropip: {theirs}"
                );
            }
            let failed: Vec<String> =
                theirs["failed"].as_array().unwrap().iter().map(|f| f.as_str().unwrap().to_string()).collect();
            let unmet: Vec<String> = resolution["unmet"]
                .as_array()
                .unwrap()
                .iter()
                .map(|u| u["requirement"].as_str().unwrap().to_string())
                .collect();
            let name = |r: &String| {
                r.split(|c: char| !(c.is_alphanumeric() || c == '-' || c == '_' || c == '.'))
                    .next()
                    .unwrap()
                    .to_lowercase()
            };
            let mut failed: Vec<String> = failed.iter().map(name).collect();
            let mut unmet: Vec<String> = unmet.iter().map(name).collect();
            failed.sort();
            unmet.sort();
            assert_eq!(unmet, failed, "{release} {requirements:?}: what neither can install\n{resolution:#}");
        }
    }
}

#[test]
#[ignore = "needs Node, the npm registry and PyPI"]
fn lock_resolves_from_the_index_and_real_pyodide_loads_it_by_name() {
    let dir = tempfile::tempdir().unwrap();
    let out = dir.path().join("lock");
    let wheel = pydantic_core();
    let (code, report) = wasmwheel_json_cached([
        "lock",
        "--format",
        "json",
        "--pyodide",
        "314.0.7",
        "-o",
        out.to_str().unwrap(),
        wheel.to_str().unwrap(),
    ]);
    assert_eq!(code, 0, "{report:#}");
    let lock: Value = serde_json::from_slice(&std::fs::read(out.join("pyodide-lock.json")).unwrap()).unwrap();
    let entry = &lock["packages"]["typing-extensions"];
    let version: pep440_rs::Version = entry["version"].as_str().unwrap().parse().unwrap();
    assert!(version >= "4.16.0".parse().unwrap(), "{entry:#}");
    let file = entry["file_name"].as_str().unwrap();
    assert!(!file.contains('/') && out.join(file).is_file(), "copied beside the lock: {file}");
    assert!(lock["packages"]["pydantic-core"]["depends"].as_array().unwrap().contains(&"typing-extensions".into()));
    let script = testdata("../tests/pyodide/lock.js");
    let ran = Command::new(tool("node"))
        .arg(script)
        .arg(cached("node/2026_0"))
        .arg(&out)
        .arg("import pydantic_core, typing_extensions, importlib.metadata as m; m.version('typing_extensions')")
        .arg("pydantic-core")
        .output()
        .unwrap();
    assert!(ran.status.success(), "{}", stderr(&ran));
    let printed = String::from_utf8_lossy(&ran.stdout);
    assert_eq!(printed.trim(), version.to_string(), "the index's typing-extensions was loaded through the lock");

    // --link: the index's wheel is named by its URL, not copied.
    let linked = dir.path().join("linked");
    let (code, report) = wasmwheel_json_cached([
        "lock",
        "--format",
        "json",
        "--link",
        "--pyodide",
        "314.0.7",
        "-o",
        linked.to_str().unwrap(),
        wheel.to_str().unwrap(),
    ]);
    assert_eq!(code, 0, "{report:#}");
    let lock: Value = serde_json::from_slice(&std::fs::read(linked.join("pyodide-lock.json")).unwrap()).unwrap();
    assert!(
        lock["packages"]["typing-extensions"]["file_name"]
            .as_str()
            .unwrap()
            .starts_with("https://files.pythonhosted.org/")
    );
    assert_eq!(std::fs::read_dir(&linked).unwrap().count(), 2, "the lock and the wheel given");
}

#[test]
#[ignore = "needs Node, the npm registry and PyPI"]
fn pack_with_only_a_requirements_file_makes_a_bundle_that_runs() {
    let dir = tempfile::tempdir().unwrap();
    let requirements = dir.path().join("requirements.txt");
    std::fs::write(&requirements, "babel==2.19.0\nmsgspec==0.22.0  # from PyPI's pyemscripten wheels\n").unwrap();
    let out = dir.path().join("bundle");
    let app = testdata("apps/prices.py");
    let (code, report) = wasmwheel_json_cached([
        "pack",
        "--format",
        "json",
        "--pyodide",
        "314.0.7",
        "-r",
        requirements.to_str().unwrap(),
        "-o",
        out.to_str().unwrap(),
        app.to_str().unwrap(),
    ]);
    assert_eq!(code, 0, "{report:#}");
    let pack = &report["packs"][0];
    let packages = resolved(&pack["resolution"]);
    assert_eq!(packages["babel"], ("2.19.0".into(), "index".into()));
    assert_eq!(packages["msgspec"], ("0.22.0".into(), "index".into()));
    let run = Command::new(tool("node")).arg(out.join("run.mjs")).arg(cached("node/2026_0")).output().unwrap();
    assert!(run.status.success(), "{}", stderr(&run));
    assert_eq!(String::from_utf8_lossy(&run.stdout), pack["stdout"].as_str().unwrap());
}
