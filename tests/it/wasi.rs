//! WASI wheels: shared objects built with zig's clang from C sources, the pure itkwasm wheel
//! with WASI programs, and the WASI policy made from componentize-py's CPython.

use crate::common::*;

fn audit(path: &std::path::Path) -> (i32, serde_json::Value) {
    wasmwheel_json(["audit", "--format", "json", path.to_str().unwrap()])
}

#[test]
fn a_wasi_extension_wheel_passes_and_the_same_file_fails_in_an_emscripten_wheel() {
    let wasi = fixture("fxwasi-1.0-cp314-cp314-wasi_0_0_0_wasm32.whl");
    let (code, shown) = wasmwheel_json(["show", "--format", "json", wasi.to_str().unwrap()]);
    assert_eq!(code, 0);
    let so = &shown["wheels"][0]["binaries"][0];
    assert_eq!(so["kind"], "wasi-shared-object");
    assert_eq!(so["markers"]["wasi_preview1"], true);
    assert!(
        so["imports"]
            .as_array()
            .unwrap()
            .iter()
            .any(|i| i["module"] == "wasi_snapshot_preview1" && i["name"] == "random_get")
    );

    let (code, report) = audit(&wasi);
    assert_eq!(code, 0, "{report:#}");
    assert_eq!(report["wheels"][0]["family"], "wasi");
    assert_eq!(compatible(&report), ["wasi_0_0_0_wasm32"]);

    let (code, report) = audit(&fixture("fxwasiemsc-1.0-cp314-cp314-pyemscripten_2026_0_wasm32.whl"));
    assert_eq!(code, 1);
    assert_eq!(findings(&report, "wasi-binary-in-emscripten-wheel").len(), 1);
    assert_eq!(findings(&report, "extension-suffix-platform").len(), 1);
    assert!(compatible(&report).is_empty());
}

#[test]
fn an_emscripten_module_fails_in_a_wasi_wheel() {
    let (code, report) = audit(&fixture("fxemscwasi-1.0-cp312-abi3-wasi_0_0_0_wasm32.whl"));
    assert_eq!(code, 1);
    let found = findings(&report, "emscripten-binary-in-wasi-wheel");
    assert_eq!(found.len(), 1);
    assert!(found[0]["message"].as_str().unwrap().contains("invoke_"));
    assert!(compatible(&report).is_empty());
}

#[test]
#[ignore = "needs the PyPI wheels (testdata/fetch.sh)"]
fn itkwasm_is_a_pure_wheel_of_wasi_programs_and_passes() {
    let wheel = cached("pypi/itkwasm_compress_stringify_wasi-3.5.0-py3-none-any.whl");
    let (code, report) = wasmwheel_json(["check", "--format", "json", wheel.to_str().unwrap()]);
    assert_eq!(code, 0, "{report:#}");
    let w = &report["wheels"][0];
    assert_eq!(w["family"], "pure");
    let binaries = w["binaries"].as_array().unwrap();
    assert_eq!(binaries.len(), 2);
    for b in binaries {
        assert_eq!(b["kind"], "wasi-module");
        assert_eq!(b["markers"]["wasi_preview1"], true);
        assert_eq!(b["markers"]["wasi_preview2"], false);
        assert!(b["imports"].as_array().unwrap().iter().all(|i| i["module"] == "wasi_snapshot_preview1"));
        assert!(b["exports"].as_array().unwrap().iter().any(|e| e["name"] == "_start" || e["name"] == "_initialize"));
    }
    let data = findings(&report, "wasm-data-module");
    assert_eq!(data.len(), 2);
    assert!(data.iter().all(|f| f["severity"] == "info" && f["message"].as_str().unwrap().contains("WASI preview 1")));
    assert!(findings(&report, "platform-tag-without-binaries").is_empty());
}

/// componentize-py links only extension modules and its own libraries, matching NEEDED
/// exactly: a library the wheel ships, vendored or not, is never found. The audit says so and
/// repair refuses: nothing vendored, nothing written, exit 1.
#[test]
fn repair_refuses_to_vendor_for_a_linker_that_takes_no_library_of_the_wheel() {
    let input = fixture("fxwasiuse-1.0-cp314-cp314-wasi_0_0_0_wasm32.whl");
    let (code, report) = audit(&input);
    assert_eq!(code, 1);
    let message = findings(&report, "needed-library-missing")[0]["message"].as_str().unwrap().to_string();
    assert!(message.contains("libwasilib.so") && message.contains("statically"), "{message}");

    let out = tempfile::tempdir().unwrap();
    let (code, report) = wasmwheel_json([
        "repair",
        "--format",
        "json",
        "-w",
        out.path().to_str().unwrap(),
        "-L",
        testdata("libs/wasi").to_str().unwrap(),
        input.to_str().unwrap(),
    ]);
    assert_eq!(code, 1, "{report:#}");
    let repair = &report["repairs"][0];
    assert_eq!(repair["output"], serde_json::Value::Null);
    assert_eq!(repair["vendored"], serde_json::json!([]), "{repair:#}");
    let rules: Vec<&serde_json::Value> = repair["findings"].as_array().unwrap().iter().map(|f| &f["rule"]).collect();
    assert!(rules.contains(&&serde_json::json!("needed-library-missing")), "{repair:#}");
    assert_eq!(std::fs::read_dir(out.path()).unwrap().count(), 0, "nothing written");
}

#[test]
fn the_wasi_policy_comes_from_componentize_pys_cpython() {
    let out = wasmwheel(["policy", "show", "wasi_0_0_0_wasm32"]);
    assert_eq!(out.status.code(), Some(0));
    let policy: serde_json::Value = serde_json::from_slice(&out.stdout).unwrap();
    assert_eq!(policy["family"], "wasi");
    assert_eq!(policy["source"]["runtime"], "componentize-py");
    assert_eq!(policy["python"], "3.14");
    let symbols: Vec<&str> = policy["symbols"].as_array().unwrap().iter().map(|s| s.as_str().unwrap()).collect();
    for s in ["PyModule_Create2", "PyLong_FromLong", "_Py_NoneStruct", "malloc", "random_get"] {
        assert!(symbols.contains(&s), "{s}");
    }
    assert!(policy["provided_libraries"].as_array().unwrap().iter().any(|l| l == "libpython3.14.so"));
}

/// fxwasi's extension repackaged as another distribution (`fxrenamed`): what the audit says
/// of a WASI wheel does not hang on the fixture's name.
fn renamed(dir: &std::path::Path) -> std::path::PathBuf {
    let source = fixture("fxwasi-1.0-cp314-cp314-wasi_0_0_0_wasm32.whl");
    derive_wheel(&source, dir, "fxrenamed-1.0-cp314-cp314-wasi_0_0_0_wasm32.whl", |member, data| {
        let name = member.replacen("fxwasi", "fxrenamed", 1);
        let data = if member.ends_with("METADATA") || member.ends_with("RECORD") {
            String::from_utf8(data).unwrap().replace("fxwasi", "fxrenamed").into_bytes()
        } else {
            data
        };
        (!member.ends_with("RECORD")).then_some((name, data))
    })
}

/// The WASI host's cache is shared with the other tests (componentize-py and wasmtime are
/// installed into it once).
fn wasi_test(args: &[&str]) -> (i32, serde_json::Value) {
    let mut all = vec!["test", "--format", "json"];
    all.extend(args);
    wasmwheel_json_cached(all)
}

#[test]
#[ignore = "needs python3 and PyPI (componentize-py 0.25.1 and wasmtime 50.0.1, pinned)"]
fn test_links_a_wasi_wheel_with_componentize_py_and_runs_it_in_wasmtime() {
    let wasi = fixture("fxwasi-1.0-cp314-cp314-wasi_0_0_0_wasm32.whl");
    let code = "import fxwasi; assert fxwasi.value() == 7; print(fxwasi.value())";
    let (status, report) = wasi_test(&["-c", code, wasi.to_str().unwrap()]);
    assert_eq!(status, 0, "{report:#}");
    let run = &report["tests"][0];
    assert_eq!(run["runtime"], "wasmtime");
    assert_eq!(run["platform"], "wasi_0_0_0_wasm32");
    assert_eq!(run["imports"][0]["module"], "fxwasi");
    assert_eq!(run["code"]["stdout"], "7\n");
    // A wrong claim fails, in the component.
    let (status, report) = wasi_test(&["-c", "import fxwasi; assert fxwasi.value() == 8", wasi.to_str().unwrap()]);
    assert_eq!(status, 1, "{report:#}");
    assert!(report["tests"][0]["code"]["error"].as_str().unwrap().starts_with("AssertionError"));

    // Warm: the component is cached by the wheels' hashes; only the run runs.
    let started = std::time::Instant::now();
    let (status, report) = wasi_test(&["-c", code, wasi.to_str().unwrap()]);
    assert_eq!(status, 0, "{report:#}");
    assert!(started.elapsed() < std::time::Duration::from_secs(10), "{:?}", started.elapsed());

    let user = fixture("fxwasiuse-1.0-cp314-cp314-wasi_0_0_0_wasm32.whl");
    let (status, report) = wasi_test(&[user.to_str().unwrap()]);
    assert_eq!(status, 1, "{report:#}");
    let error = report["tests"][0]["install"]["error"].as_str().unwrap();
    assert!(error.contains("libwasilib.so") && !error.contains("backtrace"), "names the library: {error}");
}

#[test]
#[ignore = "needs python3, PyPI, Node and the npm registry"]
fn confirm_agrees_with_the_wasi_host_on_every_wasi_fixture() {
    let dir = tempfile::tempdir().unwrap();
    let wheels = [
        fixture("fxwasi-1.0-cp314-cp314-wasi_0_0_0_wasm32.whl"),
        fixture("fxwasiuse-1.0-cp314-cp314-wasi_0_0_0_wasm32.whl"),
        fixture("fxemscwasi-1.0-cp312-abi3-wasi_0_0_0_wasm32.whl"),
        fixture("fxwasiemsc-1.0-cp314-cp314-pyemscripten_2026_0_wasm32.whl"),
        renamed(dir.path()),
    ];
    let mut args = vec!["audit".to_string(), "--confirm".into(), "--no-index".into(), "--format".into(), "json".into()];
    args.extend(wheels.iter().map(|w| w.display().to_string()));
    let (status, report) = wasmwheel_json_cached(&args);
    assert_eq!(status, 1, "fxwasiuse and fxemscwasi do not load: {report:#}");
    for wheel in report["wheels"].as_array().unwrap() {
        let name = wheel["filename"].as_str().unwrap();
        let mismatches: Vec<&serde_json::Value> =
            wheel["findings"].as_array().unwrap().iter().filter(|f| f["rule"] == "confirm-mismatch").collect();
        assert!(mismatches.is_empty(), "{name}: {mismatches:#?}");
        let confirmed = wheel["confirmed"].as_array().unwrap();
        let in_wasi: Vec<&serde_json::Value> = confirmed.iter().filter(|c| c["runtime"] == "wasmtime").collect();
        if name.contains("wasi_0_0_0") {
            assert_eq!(in_wasi.len(), 1, "{name}: {confirmed:#?}");
            let loads = in_wasi[0]["loads"].as_bool().unwrap();
            assert_eq!(loads, name.starts_with("fxwasi-") || name.starts_with("fxrenamed"), "{name}: {confirmed:#?}");
        } else {
            assert!(in_wasi.is_empty(), "{name} is no WASI wheel: {confirmed:#?}");
        }
    }
}

/// A wheel for a platform no runtime of wasmwheel's judges (a Linux wheel: fxpure retagged
/// manylinux) is not confirmed, and that is said; nothing is looked for (no Node on PATH).
#[test]
fn confirm_says_so_when_no_runtime_can_confirm() {
    let dir = tempfile::tempdir().unwrap();
    let name = "fxpure-1.0-cp311-cp311-manylinux_2_17_x86_64.whl";
    let native = derive_wheel(&fixture("fxpure-1.0-py3-none-any.whl"), dir.path(), name, |member, data| {
        Some((member.to_string(), data))
    });
    let nothing = dir.path().join("empty");
    std::fs::create_dir_all(&nothing).unwrap();
    let out = wasmwheel_env(
        ["audit", "--confirm", "--format", "json", native.to_str().unwrap()],
        &[("PATH", nothing.as_os_str())],
    );
    let report: serde_json::Value = serde_json::from_slice(&out.stdout).unwrap_or_else(|_| panic!("{}", stderr(&out)));
    let notes = findings(&report, "confirm-not-run");
    assert_eq!(notes.len(), 1, "{report:#}");
    assert_eq!(notes[0]["severity"], "info");
}
