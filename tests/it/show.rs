//! `wasmwheel show` on real wheels, fixture wheels and broken input, checked against a second,
//! independent reading (unzip + wabt's wasm-objdump).

use std::io::Write;
use std::path::Path;
use std::process::Command;

use crate::common::*;
use serde_json::Value;

/// `(kind, name)` pairs: the imports (named `module.name`) and the exports of a binary.
type Items = (Vec<(String, String)>, Vec<(String, String)>);

/// `(kind, "module.name")` of every import, and `(kind, name)` of every export, as wasm-objdump
/// lists them for `member` of `wheel` (extracted with unzip).
fn objdump(wheel: &Path, member: &str) -> Items {
    let objdump = tool("wasm-objdump");
    let unzip = tool("unzip");
    let dir = tempfile::tempdir().unwrap();
    let so = dir.path().join("member.wasm");
    let bytes = Command::new(unzip).arg("-p").arg(wheel).arg(member).output().unwrap().stdout;
    std::fs::write(&so, bytes).unwrap();
    let out = Command::new(objdump).arg("-x").arg(&so).output().unwrap();
    assert!(out.status.success(), "wasm-objdump failed: {}", stderr(&out));
    let text = String::from_utf8(out.stdout).unwrap();
    let (mut imports, mut exports) = (Vec::new(), Vec::new());
    let mut section = "";
    for line in text.lines() {
        if !line.starts_with(' ') {
            section = match line.split('[').next().unwrap() {
                "Import" => "import",
                "Export" => "export",
                _ => "",
            };
        } else if let Some(item) = line.strip_prefix(" - ") {
            let kind = item.split('[').next().unwrap().to_string();
            match section {
                "import" => imports.push((kind, item.rsplit("<- ").next().unwrap().to_string())),
                "export" => exports.push((kind, item.rsplit('"').nth(1).unwrap().to_string())),
                _ => {}
            }
        }
    }
    (imports, exports)
}

fn binary<'a>(report: &'a Value, path: &str) -> &'a Value {
    report["wheels"][0]["binaries"]
        .as_array()
        .unwrap()
        .iter()
        .find(|b| b["path"] == path)
        .unwrap_or_else(|| panic!("no binary {path} in {report}"))
}

/// Our imports and exports of one binary, in wasm-objdump's spelling.
fn listed(binary: &Value) -> Items {
    let kind = |v: &Value| v["kind"].as_str().unwrap().to_string();
    let imports = binary["imports"]
        .as_array()
        .unwrap()
        .iter()
        .map(|i| (kind(i), format!("{}.{}", i["module"].as_str().unwrap(), i["name"].as_str().unwrap())))
        .collect();
    let exports = binary["exports"]
        .as_array()
        .unwrap()
        .iter()
        .map(|e| (kind(e), e["name"].as_str().unwrap().to_string()))
        .collect();
    (imports, exports)
}

#[test]
#[ignore = "needs the PyPI wheels (testdata/fetch.sh) and wabt"]
fn msgspec_side_module_matches_wasm_objdump() {
    let wheel = cached("pypi/msgspec-0.22.0-cp314-cp314-pyemscripten_2026_0_wasm32.whl");
    let (code, report) = wasmwheel_json(["show", "--format", "json", wheel.to_str().unwrap()]);
    assert_eq!(code, 0);
    assert_eq!(report["schema_version"], 1);
    let w = &report["wheels"][0];
    assert_eq!(w["name"], "msgspec");
    assert_eq!(w["version"], "0.22.0");
    assert_eq!(w["tags"], serde_json::json!(["cp314-cp314-pyemscripten_2026_0_wasm32"]));
    let binaries = w["binaries"].as_array().unwrap();
    assert_eq!(binaries.len(), 1, "msgspec has one side module");
    let so = &binaries[0];
    assert_eq!(so["path"], "msgspec/_core.cpython-314-wasm32-emscripten.so");
    assert_eq!(so["kind"], "emscripten-side-module");
    let (imports, exports) = listed(so);
    assert!(exports.contains(&("func".into(), "PyInit__core".into())));
    for module in ["env.", "GOT.mem.", "GOT.func."] {
        assert!(imports.iter().any(|(_, name)| name.starts_with(module)), "no {module} import");
    }
    let (wabt_imports, wabt_exports) = objdump(&wheel, "msgspec/_core.cpython-314-wasm32-emscripten.so");
    assert_eq!(imports, wabt_imports);
    assert_eq!(exports, wabt_exports);
}

/// Fixture side modules: wheel, member, and the libraries it NEEDs.
const SIDE_MODULES: [(&str, &str, &[&str]); 3] = [
    (
        "fxpkg-1.0-cp312-cp312-pyemscripten_2024_0_wasm32.whl",
        "fxpkg/_ext.cpython-312-wasm32-emscripten.so",
        &["libb.so"],
    ),
    ("fxcppwasm-1.0-cp313-abi3-pyemscripten_2025_0_wasm32.whl", "fxcppwasm/_cpp.abi3.so", &[]),
    ("fxthreads-1.0-cp312-abi3-pyemscripten_2024_0_wasm32.whl", "fxthreads/_threads.abi3.so", &[]),
];

#[test]
fn fixture_side_modules_need_what_they_were_linked_against() {
    for (wheel, member, needed) in SIDE_MODULES {
        let (code, report) = wasmwheel_json(["show", "--format", "json", fixture(wheel).to_str().unwrap()]);
        assert_eq!(code, 0);
        assert_eq!(binary(&report, member)["needed"], serde_json::json!(needed), "{member}");
    }
}

#[test]
#[ignore = "needs wabt (wasm-objdump) and unzip"]
fn fixture_side_modules_match_wasm_objdump() {
    for (wheel, member, _) in SIDE_MODULES {
        let path = fixture(wheel);
        let (_, report) = wasmwheel_json(["show", "--format", "json", path.to_str().unwrap()]);
        assert_eq!(listed(binary(&report, member)), objdump(&path, member), "{member}");
    }
}

#[test]
fn markers_follow_how_the_fixtures_were_built() {
    let marker = |wheel: &str, member: &str, name: &str| {
        let (_, report) = wasmwheel_json(["show", "--format", "json", fixture(wheel).to_str().unwrap()]);
        binary(&report, member)["markers"][name].as_bool().unwrap()
    };
    assert!(marker("fxcppjs-1.0-cp312-abi3-pyemscripten_2024_0_wasm32.whl", "fxcppjs/_cpp.abi3.so", "js_exceptions"));
    assert!(!marker(
        "fxcppjs-1.0-cp312-abi3-pyemscripten_2024_0_wasm32.whl",
        "fxcppjs/_cpp.abi3.so",
        "wasm_exceptions"
    ));
    assert!(marker(
        "fxcppwasm-1.0-cp313-abi3-pyemscripten_2025_0_wasm32.whl",
        "fxcppwasm/_cpp.abi3.so",
        "wasm_exceptions"
    ));
    assert!(marker("fxwide-1.0-cp312-abi3-pyemscripten_2024_0_wasm32.whl", "fxwide/_wide.abi3.so", "i64_legalized"));
    assert!(!marker(
        "fxclean-1.0-cp312-abi3-pyemscripten_2024_0_wasm32.whl",
        "fxclean/_clean.abi3.so",
        "i64_legalized"
    ));
    assert!(marker(
        "fxthreads-1.0-cp312-abi3-pyemscripten_2024_0_wasm32.whl",
        "fxthreads/_threads.abi3.so",
        "shared_memory"
    ));
}

#[test]
fn bare_side_module_and_legacy_dylink() {
    let (code, report) = wasmwheel_json(["show", "--format", "json", testdata("libs/libb.so").to_str().unwrap()]);
    assert_eq!(code, 0);
    let so = &report["wheels"][0]["binaries"][0];
    assert_eq!(so["needed"], serde_json::json!(["liba.so"]));
    assert_eq!(report["wheels"][0]["name"], Value::Null);

    let old = fixture("fxoldlink-1.0-cp312-abi3-pyemscripten_2026_0_wasm32.whl");
    let (_, report) = wasmwheel_json(["show", "--format", "json", old.to_str().unwrap()]);
    assert_eq!(binary(&report, "fxoldlink/_clean.abi3.so")["legacy_dylink"], true);
}

#[test]
#[ignore = "needs the PyPI wheels (testdata/fetch.sh)"]
fn native_linux_wheel_reports_elf_members() {
    let wheel = cached("pypi/MarkupSafe-3.0.2-cp311-cp311-manylinux_2_17_x86_64.manylinux2014_x86_64.whl");
    let (code, report) = wasmwheel_json(["show", "--format", "json", wheel.to_str().unwrap()]);
    assert_eq!(code, 0);
    let binaries = report["wheels"][0]["binaries"].as_array().unwrap();
    assert!(!binaries.is_empty());
    for b in binaries {
        assert_eq!(b["kind"], "native");
        assert_eq!(b["native"]["format"], "ELF");
        assert_eq!(b["native"]["arch"], "X86_64");
        assert!(b["path"].as_str().unwrap().ends_with(".so"));
    }
}

/// Exit 2, nothing on stdout, and exactly one stderr line that names the file.
fn assert_one_line_error(path: &Path, contains: &str) {
    for format in ["text", "json"] {
        let out = wasmwheel(["show", "--format", format, path.to_str().unwrap()]);
        assert_eq!(out.status.code(), Some(2), "{}", stderr(&out));
        let err = stderr(&out);
        assert_eq!(err.lines().count(), 1, "{err}");
        assert!(err.contains(&path.display().to_string()) && err.contains(contains), "{err}");
        if format == "text" {
            assert!(out.stdout.is_empty());
        } else {
            let json: Value = serde_json::from_slice(&out.stdout).unwrap();
            assert_eq!(json["errors"][0]["path"], path.display().to_string());
        }
    }
}

#[test]
fn broken_input_exits_2_with_one_line() {
    let dir = tempfile::tempdir().unwrap();
    let good = std::fs::read(fixture("fxclean-1.0-cp312-abi3-pyemscripten_2024_0_wasm32.whl")).unwrap();

    let not_zip = dir.path().join("fxclean-1.0-cp312-abi3-pyemscripten_2024_0_wasm32.whl");
    std::fs::write(&not_zip, b"this is not a zip archive").unwrap();
    assert_one_line_error(&not_zip, "not a zip archive");

    std::fs::write(&not_zip, &good[..good.len() / 2]).unwrap();
    assert_one_line_error(&not_zip, "not a zip archive");

    // A well-formed zip whose side module is cut short.
    let so = std::fs::read(testdata("libs/libb.so")).unwrap();
    let mut zip = zip::ZipWriter::new(std::io::Cursor::new(Vec::new()));
    zip.start_file("pkg/_ext.abi3.so", zip::write::SimpleFileOptions::default()).unwrap();
    zip.write_all(&so[..so.len() - 3]).unwrap();
    std::fs::write(&not_zip, zip.finish().unwrap().into_inner()).unwrap();
    assert_one_line_error(&not_zip, "pkg/_ext.abi3.so: invalid wasm at byte offset");

    let text = dir.path().join("notes.txt");
    std::fs::write(&text, "plain text").unwrap();
    assert_one_line_error(&text, "neither a wheel nor");
}

#[test]
fn bad_usage_exits_2() {
    assert_eq!(wasmwheel(["show"]).status.code(), Some(2));
    assert_eq!(wasmwheel(["frobnicate"]).status.code(), Some(2));
    assert_eq!(wasmwheel(["show", "--format", "yaml", "x.whl"]).status.code(), Some(2));
    assert_eq!(wasmwheel(["--help"]).status.code(), Some(0));
}
