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

#[test]
fn repair_vendors_wasi_libraries_without_runtime_path() {
    let input = fixture("fxwasiuse-1.0-cp314-cp314-wasi_0_0_0_wasm32.whl");
    let (code, report) = audit(&input);
    assert_eq!(code, 1);
    assert!(findings(&report, "needed-library-missing")[0]["message"].as_str().unwrap().contains("libwasilib.so"));

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
    assert_eq!(code, 0, "{report:#}");
    let repaired = report["repairs"][0]["output"].as_str().unwrap().to_string();
    let vendored = report["repairs"][0]["vendored"][0]["path"].as_str().unwrap();
    assert!(vendored.starts_with("fxwasiuse.libs/libwasilib-") && vendored.ends_with(".so"), "{vendored}");
    let (code, shown) = wasmwheel_json(["audit", "--format", "json", &repaired]);
    assert_eq!(code, 0, "{shown:#}");
    for binary in shown["wheels"][0]["binaries"].as_array().unwrap() {
        assert_eq!(binary["runtime_paths"], serde_json::json!([]), "no RUNTIME_PATH for WASI linkers");
    }
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
