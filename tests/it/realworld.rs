//! What real wheels and real users hit: a corpus of Emscripten wheels from PyPI (different build
//! systems, 2025_0 and 2026_0, pinned in testdata/external.lock) that `check` must not call
//! broken and whose audit must agree with real loading; a pure wheel beside a platform wheel;
//! an app that fails; a damaged cache; a runtime that fails. Each of these failed before the
//! issue that added it.

use std::path::{Path, PathBuf};

use crate::common::*;

/// The corpus: (file, build system).
const CORPUS: [(&str, &str); 17] = [
    ("onnx-1.23.2-cp312-abi3-pyemscripten_2026_0_wasm32.whl", "CMake, C++, pybind11"),
    ("onnx-1.22.0-cp312-abi3-pyemscripten_2025_0_wasm32.whl", "CMake, C++, pybind11"),
    ("contourpy-1.4.0-cp314-cp314-pyemscripten_2026_0_wasm32.whl", "meson-python, C++"),
    ("contourpy-1.4.0-cp313-cp313-pyemscripten_2025_0_wasm32.whl", "meson-python, C++"),
    ("python_flint-0.9.0-cp314-cp314-pyemscripten_2026_0_wasm32.whl", "meson-python, Cython"),
    ("bitarray-3.12.3-cp314-cp314-pyemscripten_2026_0_wasm32.whl", "setuptools, plain C"),
    ("bitarray-3.12.3-cp313-cp313-pyemscripten_2025_0_wasm32.whl", "setuptools, plain C"),
    ("msgpack-1.2.4-cp314-cp314-pyemscripten_2026_0_wasm32.whl", "setuptools, Cython"),
    ("msgpack-1.2.4-cp313-cp313-pyemscripten_2025_0_wasm32.whl", "setuptools, Cython"),
    ("cramjam-2.14.0-cp314-cp314-pyemscripten_2026_0_wasm32.whl", "maturin, PyO3"),
    ("cramjam-2.14.0-cp313-cp313-pyemscripten_2025_0_wasm32.whl", "maturin, PyO3"),
    ("xxhash-4.1.0-cp314-cp314-pyemscripten_2026_0_wasm32.whl", "setuptools, C"),
    ("charset_normalizer-3.5.3-cp314-cp314-pyemscripten_2026_0_wasm32.whl", "setuptools, mypyc"),
    ("simplejson-4.3.0-cp314-cp314-pyemscripten_2026_0_wasm32.whl", "setuptools, C"),
    ("msgspec-0.22.0-cp314-cp314-pyemscripten_2026_0_wasm32.whl", "setuptools, C"),
    ("jiter-0.19.0-cp314-cp314-pyemscripten_2026_0_wasm32.whl", "maturin, PyO3"),
    ("pydantic_core-2.50.5-cp314-cp314-pyemscripten_2026_0_wasm32.whl", "maturin, PyO3"),
];

fn corpus() -> Vec<PathBuf> {
    CORPUS.iter().map(|(file, _)| cached(&format!("pypi/{file}"))).collect()
}

#[test]
#[ignore = "needs the PyPI wheels (testdata/fetch.sh)"]
fn check_calls_no_wheel_of_the_corpus_broken() {
    let wheels = corpus();
    let mut args = vec!["check".to_string(), "--format".into(), "json".into()];
    args.extend(wheels.iter().map(|w| w.display().to_string()));
    let (code, report) = wasmwheel_json(&args);
    let errors: Vec<String> = report["wheels"]
        .as_array()
        .unwrap()
        .iter()
        .flat_map(|w| {
            let file = w["filename"].as_str().unwrap().to_string();
            w["findings"]
                .as_array()
                .unwrap()
                .iter()
                .filter(|f| f["severity"] == "error")
                .map(move |f| format!("{file}: {f}"))
        })
        .collect();
    assert!(errors.is_empty(), "PyPI accepted these wheels:\n{}", errors.join("\n"));
    assert_eq!(code, 0);
    // The limit still bites: 300 MiB of zeros, and 288 MiB in many members.
    for case in ["bomb_300mib", "bomb_total"] {
        let wheel = testdata(&format!("hostile/{case}/fxclean-1.0-cp312-abi3-pyemscripten_2024_0_wasm32.whl"));
        let (code, report) = wasmwheel_json(["check", "--format", "json", wheel.to_str().unwrap()]);
        assert_eq!(code, 1, "{case}");
        assert_eq!(findings(&report, "archive-compression-bomb").len(), 1, "{case}: {report:#}");
    }
}

/// The largest member (size, ratio) and the whole (size, ratio) of a wheel, as its zip says.
fn expansion(wheel: &Path) -> ((u64, u64), (u64, u64)) {
    let mut archive = zip::ZipArchive::new(std::fs::File::open(wheel).unwrap()).unwrap();
    let (mut largest, mut total, mut stored) = ((0, 0), 0, 0);
    for i in 0..archive.len() {
        let member = archive.by_index(i).unwrap();
        let (size, packed) = (member.size(), member.compressed_size().max(1));
        total += size;
        stored += packed;
        if size > largest.0 {
            largest = (size, size / packed);
        }
    }
    (largest, (total, total / stored.max(1)))
}

/// The bomb limits (spec/rules.md) against every real wheel the suite has: none comes near.
#[test]
#[ignore = "needs the PyPI wheels (testdata/fetch.sh)"]
fn the_bomb_limits_leave_every_real_wheel_far_below() {
    let mut seen = 0;
    for entry in std::fs::read_dir(cache_dir().join("pypi")).unwrap() {
        let path = entry.unwrap().path();
        if path.extension().is_none_or(|e| e != "whl") {
            continue;
        }
        let ((size, ratio), (total, total_ratio)) = expansion(&path);
        let name = path.file_name().unwrap().to_string_lossy().into_owned();
        assert!(!(size > 32 << 20 && ratio > 100), "{name}: a member of {size} bytes expands {ratio} times");
        assert!(!(total > 256 << 20 && total_ratio > 100), "{name}: {total} bytes, {total_ratio} times");
        // Far below: no real wheel has a member of more than 8 MiB that expands 100 times.
        assert!(!(size > 8 << 20 && ratio > 100), "{name}: {size} bytes, {ratio} times: the margin is gone");
        seen += 1;
    }
    assert!(seen >= CORPUS.len(), "{seen} wheels");
}

/// The release of a wheel's platform tag.
fn release_of(wheel: &Path) -> &'static str {
    let name = wheel.to_str().unwrap();
    if name.contains("_2025_0_") { "0.29.3" } else { "314.0.7" }
}

/// Each corpus wheel in the release of its tag, with what it requires: the audit's verdict for
/// that platform must be what real loading says. Wheels that need the release's own packages
/// (numpy, protobuf: on Pyodide's CDN, which these machines cannot reach) are named and left.
#[test]
#[ignore = "needs Node, the npm registry, PyPI and the PyPI wheels"]
fn the_audit_agrees_with_real_loading_on_the_corpus() {
    let mut confirmed = Vec::new();
    let mut left = Vec::new();
    for wheel in corpus() {
        let release = release_of(&wheel);
        let cache = release_cache();
        let out = wasmwheel_env(
            ["test", "--format", "json", "--pyodide", release, wheel.to_str().unwrap()],
            &[("WASMWHEEL_CACHE_DIR", cache.as_os_str())],
        );
        let name = wheel.file_name().unwrap().to_string_lossy().into_owned();
        if out.status.code() == Some(2) {
            // Only the CDN may be missing: anything else is a failure of this test.
            let err = stderr(&out);
            assert!(err.contains("cdn.jsdelivr.net"), "{name}: {err}");
            left.push(name.clone());
            continue;
        }
        let report: serde_json::Value = serde_json::from_slice(&out.stdout).unwrap();
        let run = &report["tests"][0];
        let compatible = run["wheels"][0]["audit"]["compatible"].as_bool().unwrap();
        assert_eq!(compatible, run["ok"].as_bool().unwrap(), "{name}: the audit says {compatible}\n{run:#}");
        confirmed.push(name);
    }
    eprintln!(
        "confirmed {}: {confirmed:?}; left (release packages on the CDN) {}: {left:?}",
        confirmed.len(),
        left.len()
    );
    assert!(confirmed.len() >= 12, "confirmed {confirmed:?}, left {left:?}");
    for name in &left {
        assert!(name.starts_with("onnx") || name.starts_with("contourpy"), "{name} could not be tested");
    }
}

#[test]
#[ignore = "needs Node, the npm registry and the PyPI wheels"]
fn a_pure_wheel_does_not_empty_the_platform_set() {
    let flint = cached("pypi/python_flint-0.9.0-cp314-cp314-pyemscripten_2026_0_wasm32.whl");
    let typing = cached("pypi/typing_extensions-4.16.0-py3-none-any.whl");
    let (code, report) =
        wasmwheel_json_cached(["test", "--format", "json", flint.to_str().unwrap(), typing.to_str().unwrap()]);
    assert_eq!(code, 0, "{report:#}");
    let platforms: Vec<&str> =
        report["tests"].as_array().unwrap().iter().map(|r| r["platform"].as_str().unwrap()).collect();
    assert_eq!(platforms, ["pyemscripten_2026_0_wasm32"], "the platform wheel's platforms");
    let typing_run = &report["tests"][0]["wheels"][1];
    assert_eq!(typing_run["audit"]["compatible"], true, "a pure wheel fits: {typing_run:#}");
    // `audit --confirm` and `lock` take the pair too.
    let out = tempfile::tempdir().unwrap();
    let (code, report) = wasmwheel_json_cached([
        "lock",
        "--format",
        "json",
        "--no-index",
        "--pyodide",
        "314.0.7",
        "-o",
        out.path().to_str().unwrap(),
        flint.to_str().unwrap(),
        typing.to_str().unwrap(),
    ]);
    assert_eq!(code, 0, "{report:#}");
}

/// An app whose traced run fails is not packed (the traceback's end said), unless
/// `--allow-failure`. A stand-in `node` answers the trace with a failing entry and runs the
/// bundle as traced.
#[test]
fn an_app_that_fails_is_not_packed_unless_allowed() {
    let dir = tempfile::tempdir().unwrap();
    let traceback = "Traceback (most recent call last):\n  File \"broken.py\", line 3\nAttributeError: 'bytes' object has no attribute 'x'\n";
    let node = protocol_node(dir.path(), &traced_outcome(1, "", traceback), "", 1);
    let path = path_with(&node);
    let release = release_dir("314.0.7", dir.path());
    let entry = dir.path().join("broken.py");
    std::fs::write(&entry, "import fxpure\n\nprint(b''.x)\n").unwrap();
    let wheel = fixture("fxpure-1.0-py3-none-any.whl");
    let out = dir.path().join("bundle");
    let args = |extra: &[&str]| -> Vec<String> {
        let mut args = vec!["pack", "--no-index", "--verify", "node", "--pyodide", release.to_str().unwrap()];
        args.extend(["-o", out.to_str().unwrap()]);
        args.extend(extra);
        args.extend([entry.to_str().unwrap(), wheel.to_str().unwrap()]);
        args.into_iter().map(String::from).collect()
    };
    let cache = dir.path().join("cache");
    let env = [("PATH", path.as_os_str()), ("WASMWHEEL_CACHE_DIR", cache.as_os_str())];
    let failed = wasmwheel_env(args(&[]), &env);
    let text = String::from_utf8_lossy(&failed.stdout);
    assert_eq!(failed.status.code(), Some(1), "{text}{}", stderr(&failed));
    assert!(text.contains("exited with status 1") && text.contains("AttributeError"), "the traceback: {text}");
    assert!(!out.exists(), "nothing written");
    let allowed = wasmwheel_env(args(&["--allow-failure"]), &env);
    assert_eq!(allowed.status.code(), Some(0), "{}", String::from_utf8_lossy(&allowed.stdout));
    assert!(out.join("package.json").is_file());
}

/// The release cache heals itself: a release damaged since it was unpacked is fetched again,
/// or refused offline as the cache's fault, never run and blamed on a wheel. Releases come
/// from a loopback npm registry; a stand-in `node` answers every run as installed.
#[test]
fn a_damaged_cache_is_healed_or_refused_never_blamed_on_the_wheel() {
    let dir = tempfile::tempdir().unwrap();
    let registry = crate::fake::npm_registry();
    let cache = dir.path().join("cache");
    let node = protocol_node(dir.path(), &installed_outcome(), "", 0);
    let path = path_with(&node);
    let env = [
        ("PATH", path.as_os_str()),
        ("WASMWHEEL_CACHE_DIR", cache.as_os_str()),
        ("WASMWHEEL_NPM_REGISTRY", registry.url.as_ref()),
    ];
    let clean = fixture("fxclean-1.0-cp312-abi3-pyemscripten_2024_0_wasm32.whl");
    let args = |extra: &[&str]| -> Vec<String> {
        let mut args = vec!["test", "--pyodide", "314.0.7"];
        args.extend(extra);
        args.push(clean.to_str().unwrap());
        args.into_iter().map(String::from).collect()
    };
    let first = wasmwheel_env(args(&[]), &env);
    assert_eq!(first.status.code(), Some(0), "{}{}", String::from_utf8_lossy(&first.stdout), stderr(&first));
    let ok = wasmwheel_env(args(&["--offline"]), &env);
    assert_eq!(ok.status.code(), Some(0), "{}{}", String::from_utf8_lossy(&ok.stdout), stderr(&ok));
    // Truncate the main module.
    let release = cache.join("pyodide/314.0.7");
    let wasm = release.join("pyodide.asm.wasm");
    let bytes = std::fs::read(&wasm).unwrap();
    std::fs::write(&wasm, &bytes[..bytes.len() / 2]).unwrap();
    let offline = wasmwheel_env(args(&["--offline"]), &env);
    assert_eq!(offline.status.code(), Some(2), "{}", String::from_utf8_lossy(&offline.stdout));
    let err = stderr(&offline);
    assert!(
        err.contains("damaged") && err.contains("pyodide.asm.wasm") && err.contains(release.to_str().unwrap()),
        "{err}"
    );
    assert!(!String::from_utf8_lossy(&offline.stdout).contains("FAILED"), "not a verdict on the wheel");
    // Online, it is fetched again and the wheel passes.
    let asked = registry.seen().len();
    let healed = wasmwheel_env(args(&[]), &env);
    assert_eq!(healed.status.code(), Some(0), "{}{}", String::from_utf8_lossy(&healed.stdout), stderr(&healed));
    assert_eq!(std::fs::read(&wasm).unwrap().len(), bytes.len(), "whole again");
    assert!(registry.seen().len() > asked, "fetched again");
}

/// A runtime that crashes, breaks the protocol or hangs is the runtime's error, never a
/// verdict: a fake `node` on PATH does each, and the releases come from a loopback npm
/// registry (nothing is downloaded).
#[test]
fn a_runtime_that_fails_is_an_error_of_its_own() {
    let dir = tempfile::tempdir().unwrap();
    let clean = fixture("fxclean-1.0-cp312-abi3-pyemscripten_2024_0_wasm32.whl");
    let release = release_dir("314.0.7", dir.path());
    let registry = crate::fake::npm_registry();
    let cache = dir.path().join("cache");
    let version = wasmwheel::PROTOCOL_VERSION;
    let broken = format!("not protocol {version}");
    let cases = [
        ("kill -SEGV $$", "ended without a result"),
        ("read -r line; printf '\\036{\"broken\": true}\\n'; sleep 5", broken.as_str()),
        ("read -r line; printf '\\036{\"protocol\": 7, \"fatal\": \"x\"}\\n'; sleep 5", "protocol 7"),
        ("sleep 30", "ran for more than 1 s"),
    ];
    for (behaviour, said) in cases {
        let bin = fake_node(dir.path(), behaviour);
        let path = std::env::join_paths([bin.as_path(), Path::new("/usr/bin"), Path::new("/bin")]).unwrap();
        for command in [vec!["test"], vec!["audit", "--confirm"]] {
            let mut args: Vec<&str> = command.clone();
            args.extend(["--no-index", "--timeout", "1"]);
            if command[0] == "test" {
                args.extend(["--pyodide", release.to_str().unwrap()]);
            }
            args.push(clean.to_str().unwrap());
            let env = [
                ("PATH", path.as_os_str()),
                ("WASMWHEEL_CACHE_DIR", cache.as_os_str()),
                ("WASMWHEEL_NPM_REGISTRY", registry.url.as_ref()),
            ];
            let out = wasmwheel_env(&args, &env);
            let text = String::from_utf8_lossy(&out.stdout);
            let err = stderr(&out);
            // Each run the runtime could not finish is not run, said on one line of its own
            // (one per release), exit 2; the report shows no verdict.
            assert_eq!(out.status.code(), Some(2), "{behaviour} / {command:?}: {text}{err}");
            assert!(!err.is_empty() && err.lines().all(|l| l.contains(said)), "{behaviour} / {command:?}: {err}");
            assert!(!text.contains("FAILED") && !text.contains("confirm-mismatch"), "no verdict: {text}");
            assert!(text.contains("not run"), "the report says so: {text}");
        }
    }
}

#[test]
fn the_corpus_is_pinned() {
    let lock = std::fs::read_to_string(testdata("external.lock")).unwrap();
    for (file, _) in CORPUS {
        assert!(lock.contains(file), "{file} is not in testdata/external.lock");
    }
}
