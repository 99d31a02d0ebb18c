//! `wasmwheel repair`, proven by importing the results in real Pyodide under Node.

use std::io::Read;
use std::path::{Path, PathBuf};

use crate::common::*;
use sha2::{Digest, Sha256};

fn repair(out: &Path, args: &[&str]) -> (i32, serde_json::Value) {
    let mut all = vec!["repair", "--format", "json", "-w", out.to_str().unwrap()];
    all.extend(args);
    wasmwheel_json(all)
}

fn output(report: &serde_json::Value) -> PathBuf {
    PathBuf::from(report["repairs"][0]["output"].as_str().expect("a repaired wheel"))
}

fn sha256(path: &Path) -> Vec<u8> {
    Sha256::digest(std::fs::read(path).unwrap()).to_vec()
}

fn libs(rel: &str) -> String {
    testdata(&format!("libs/{rel}")).display().to_string()
}

/// The Python tag digits of the fxpkg fixture for an ABI.
fn fxpkg(abi: &str) -> PathBuf {
    let py = match abi {
        "2024_0" => "312",
        "2025_0" => "313",
        "2026_0" => "314",
        _ => "315",
    };
    fixture(&format!("fxpkg-1.0-cp{py}-cp{py}-pyemscripten_{abi}_wasm32.whl"))
}

/// Repairs the fxpkg fixture of `abi` (NEEDs libb.so -> liba.so) against testdata/libs.
fn repair_fxpkg(abi: &str, out: &Path) -> (serde_json::Value, PathBuf) {
    let (code, report) = repair(out, &["-L", &libs(""), fxpkg(abi).to_str().unwrap()]);
    assert_eq!(code, 0, "{report:#}");
    let repaired = output(&report);
    (report, repaired)
}

/// For each ABI, repair vendors both libraries of the chain and the result passes the audit.
#[test]
fn repair_vendors_the_needed_chain_and_passes_the_audit() {
    let out = tempfile::tempdir().unwrap();
    for (abi, _) in ABIS {
        let (report, repaired) = repair_fxpkg(abi, out.path());
        let vendored: Vec<&str> = report["repairs"][0]["vendored"]
            .as_array()
            .unwrap()
            .iter()
            .map(|v| v["library"].as_str().unwrap())
            .collect();
        assert_eq!(vendored.len(), 2);
        assert!(vendored.contains(&"liba.so") && vendored.contains(&"libb.so"));
        let (code, audit) = wasmwheel_json(["audit", "--format", "json", repaired.to_str().unwrap()]);
        assert_eq!(code, 0, "the repaired wheel passes the audit: {audit:#}");
        assert!(compatible(&audit).contains(&format!("pyemscripten_{abi}_wasm32")));
    }
}

/// For each ABI: the fixture fails to import; repaired, it imports and its function returns
/// what the chain of libraries computes.
#[test]
#[ignore = "needs Node and the Pyodide releases (testdata/fetch.sh)"]
fn repaired_wheels_import_in_real_pyodide() {
    let out = tempfile::tempdir().unwrap();
    for (abi, _) in ABIS {
        let before = pyodide_run(abi, &[&fxpkg(abi)], "import fxpkg; fxpkg.value()");
        assert!(before.is_err(), "{abi}: the unrepaired wheel imported: {before:?}");
        let (_, repaired) = repair_fxpkg(abi, out.path());
        let after = pyodide_run(abi, &[&repaired], "import fxpkg; fxpkg.value()");
        assert_eq!(after.as_deref(), Ok("4201"), "{abi}: the repaired wheel does not import");
    }
}

/// Replaces the vendored, hash-mangled libfoo of a repaired wheel by a plain `libfoo.so`, as a
/// repair without mangling would have left it.
fn unmangled(repaired: &Path, dir: &Path) -> PathBuf {
    use wasmwheel::wasm::rewrite::{Edit, rewrite};
    let name = repaired.file_name().unwrap().to_str().unwrap();
    derive_wheel(repaired, dir, name, |member, data| {
        if member.contains(".libs/libfoo-") {
            let dir = member.rsplit_once('/').unwrap().0;
            Some((format!("{dir}/libfoo.so"), data))
        } else if member.ends_with("_ext.abi3.so") {
            let edit = Edit { needed: Some(vec!["libfoo.so".into()]), ..Edit::default() };
            Some((member.to_string(), rewrite(&data, &edit).unwrap()))
        } else {
            Some((member.to_string(), data))
        }
    })
}

/// fxfooa and fxfoob repaired against different builds of libfoo.
fn repair_libfoo_pair(out: &Path) -> Vec<PathBuf> {
    let mut repaired = Vec::new();
    for (package, build) in [("fxfooa", "foo-a"), ("fxfoob", "foo-b")] {
        let input = fixture(&format!("{package}-1.0-cp312-abi3-pyemscripten_2024_0_wasm32.whl"));
        let (code, report) = repair(out, &["-L", &libs(build), input.to_str().unwrap()]);
        assert_eq!(code, 0, "{report:#}");
        repaired.push(output(&report));
    }
    repaired
}

#[test]
fn different_builds_of_a_library_get_different_names() {
    let out = tempfile::tempdir().unwrap();
    let names: Vec<String> = repair_libfoo_pair(out.path())
        .iter()
        .map(|w| {
            let (_, report) = wasmwheel_json(["show", "--format", "json", w.to_str().unwrap()]);
            report["wheels"][0]["binaries"][0]["path"].as_str().unwrap().rsplit('/').next().unwrap().to_string()
        })
        .collect();
    assert!(names.iter().all(|n| n.starts_with("libfoo-") && n.ends_with(".so")), "{names:?}");
    assert_ne!(names[0], names[1], "different builds get different names");
}

#[test]
#[ignore = "needs Node and the Pyodide releases (testdata/fetch.sh)"]
fn wheels_vendoring_different_libfoo_builds_load_side_by_side() {
    let out = tempfile::tempdir().unwrap();
    let repaired = repair_libfoo_pair(out.path());
    let code = "import fxfooa, fxfoob; (fxfooa.value(), fxfoob.value())";
    let wheels: Vec<&Path> = repaired.iter().map(PathBuf::as_path).collect();
    for (abi, _) in ABIS {
        assert_eq!(pyodide_run(abi, &wheels, code).as_deref(), Ok("(1, 2)"), "{abi}");
    }

    // The control: the same wheels with the library vendored under its plain name. Pyodide
    // 0.27 then hands the second wheel the first wheel's libfoo.
    let control_dir = tempfile::tempdir().unwrap();
    let control: Vec<PathBuf> = repaired.iter().map(|w| unmangled(w, control_dir.path())).collect();
    let control: Vec<&Path> = control.iter().map(PathBuf::as_path).collect();
    assert_eq!(pyodide_run("2024_0", &control, code).as_deref(), Ok("(1, 1)"));
}

#[test]
fn output_is_deterministic_idempotent_and_input_untouched() {
    let input = fixture("fxpkg-1.0-cp314-cp314-pyemscripten_2026_0_wasm32.whl");
    let before = sha256(&input);
    let (a, b, c) = (tempfile::tempdir().unwrap(), tempfile::tempdir().unwrap(), tempfile::tempdir().unwrap());
    let (_, first) = repair(a.path(), &["-L", &libs(""), input.to_str().unwrap()]);
    let (_, second) = repair(b.path(), &["-L", &libs(""), input.to_str().unwrap()]);
    assert_eq!(sha256(&output(&first)), sha256(&output(&second)), "two runs, same bytes");
    assert_eq!(sha256(&input), before, "the input is untouched");

    let (code, again) = repair(c.path(), &[output(&first).to_str().unwrap()]);
    assert_eq!(code, 0);
    assert!(again["repairs"][0]["vendored"].as_array().unwrap().is_empty());
    assert!(again["repairs"][0]["rewritten"].as_array().unwrap().is_empty());
    assert_eq!(sha256(&output(&again)), sha256(&output(&first)), "repairing a repaired wheel changes nothing");

    // Repairing into the input's own folder would replace it: refused.
    let out = wasmwheel(["repair", "-w", a.path().to_str().unwrap(), output(&first).to_str().unwrap()]);
    assert_eq!(out.status.code(), Some(2));
    assert!(stderr(&out).contains("would replace the input"), "{}", stderr(&out));
}

#[test]
fn source_date_epoch_sets_every_timestamp() {
    let input = fixture("fxclean-1.0-cp312-abi3-pyemscripten_2024_0_wasm32.whl");
    let dir = tempfile::tempdir().unwrap();
    let out = std::process::Command::new(env!("CARGO_BIN_EXE_wasmwheel"))
        .args(["repair", "-w", dir.path().to_str().unwrap(), input.to_str().unwrap()])
        .env("SOURCE_DATE_EPOCH", "1700000000")
        .output()
        .unwrap();
    assert_eq!(out.status.code(), Some(0), "{}", stderr(&out));
    let wheel = dir.path().join(input.file_name().unwrap());
    let mut archive = zip::ZipArchive::new(std::fs::File::open(wheel).unwrap()).unwrap();
    for i in 0..archive.len() {
        let member = archive.by_index(i).unwrap();
        let t = member.last_modified().unwrap();
        assert_eq!((t.year(), t.month(), t.day()), (2023, 11, 14), "{:?}", member.name());
        assert_eq!(member.unix_mode().unwrap() & 0o777, 0o644);
    }
}

#[test]
fn a_library_found_nowhere_is_an_error_and_nothing_is_written() {
    let input = fixture("fxpkg-1.0-cp313-cp313-pyemscripten_2025_0_wasm32.whl");
    let dir = tempfile::tempdir().unwrap();
    let out_dir = dir.path().join("out");
    let out = wasmwheel(["repair", "-w", out_dir.to_str().unwrap(), input.to_str().unwrap()]);
    assert_eq!(out.status.code(), Some(2));
    let err = stderr(&out);
    assert_eq!(err.lines().count(), 1, "{err}");
    assert!(err.contains("fxpkg/_ext.cpython-313-wasm32-emscripten.so NEEDs libb.so"), "{err}");
    assert!(!out_dir.exists() || std::fs::read_dir(&out_dir).unwrap().next().is_none(), "nothing written");

    // Found through WASMWHEEL_LIBRARY_PATH instead of -L.
    let out = std::process::Command::new(env!("CARGO_BIN_EXE_wasmwheel"))
        .args(["repair", "-w", out_dir.to_str().unwrap(), input.to_str().unwrap()])
        .env("WASMWHEEL_LIBRARY_PATH", format!("/nonexistent:{}", libs("")))
        .output()
        .unwrap();
    assert_eq!(out.status.code(), Some(0), "{}", stderr(&out));

    // --exclude leaves the library to the platform: the result then fails the audit, and
    // nothing is written.
    let excluded = dir.path().join("excluded");
    let (code, report) = repair(&excluded, &["-L", &libs(""), "--exclude", "libb*", input.to_str().unwrap()]);
    assert_eq!(code, 1);
    assert!(report["repairs"][0]["output"].is_null());
    assert!(
        report["repairs"][0]["findings"].as_array().unwrap().iter().any(|f| f["rule"] == "needed-library-missing"),
        "{report:#}"
    );
    assert!(!excluded.exists());
}

#[test]
fn retags_canonically_and_converts_the_old_dylink_section() {
    let out = tempfile::tempdir().unwrap();
    let legacy = fixture("fxlegacy-1.0-cp312-abi3-pyodide_2024_0_wasm32.whl");
    let (code, report) = repair(out.path(), &[legacy.to_str().unwrap()]);
    assert_eq!(code, 0);
    let repaired = output(&report);
    assert_eq!(repaired.file_name().unwrap(), "fxlegacy-1.0-cp312-abi3-pyemscripten_2024_0_wasm32.whl");
    let mut archive = zip::ZipArchive::new(std::fs::File::open(&repaired).unwrap()).unwrap();
    let mut wheel_file = String::new();
    archive.by_name("fxlegacy-1.0.dist-info/WHEEL").unwrap().read_to_string(&mut wheel_file).unwrap();
    assert!(wheel_file.contains("Tag: cp312-abi3-pyemscripten_2024_0_wasm32\n"), "{wheel_file}");

    let old = fixture("fxoldlink-1.0-cp312-abi3-pyemscripten_2026_0_wasm32.whl");
    let (code, report) = repair(out.path(), &[old.to_str().unwrap()]);
    assert_eq!(code, 0, "{report:#}");
    assert_eq!(report["repairs"][0]["rewritten"][0]["converted_legacy_dylink"], true);
    let repaired = output(&report);
    let (_, shown) = wasmwheel_json(["show", "--format", "json", repaired.to_str().unwrap()]);
    assert_eq!(shown["wheels"][0]["binaries"][0]["legacy_dylink"], false);
}

#[test]
#[ignore = "needs Node and the Pyodide releases (testdata/fetch.sh)"]
fn a_converted_dylink_section_loads_where_the_old_one_does_not() {
    let out = tempfile::tempdir().unwrap();
    let old = fixture("fxoldlink-1.0-cp312-abi3-pyemscripten_2026_0_wasm32.whl");
    let code = "import fxoldlink; fxoldlink.value()";
    assert!(pyodide_run("2026_0", &[&old], code).is_err(), "the old section does not load on 2026_0");
    let (_, report) = repair(out.path(), &[old.to_str().unwrap()]);
    assert_eq!(pyodide_run("2026_0", &[&output(&report)], code).as_deref(), Ok("7"));
}

#[test]
fn plat_chooses_the_tag_and_refuses_what_the_binaries_cannot_satisfy() {
    let out = tempfile::tempdir().unwrap();
    let clean = fixture("fxclean-1.0-cp312-abi3-pyemscripten_2024_0_wasm32.whl");
    let (code, report) = repair(out.path(), &["--plat", "pyemscripten_2026_0_wasm32", clean.to_str().unwrap()]);
    assert_eq!(code, 0);
    assert_eq!(output(&report).file_name().unwrap(), "fxclean-1.0-cp312-abi3-pyemscripten_2026_0_wasm32.whl");

    let cppjs = fixture("fxcppjs-1.0-cp312-abi3-pyemscripten_2024_0_wasm32.whl");
    let refused = out.path().join("refused");
    let (code, report) = repair(&refused, &["--plat", "pyemscripten_2026_0_wasm32", cppjs.to_str().unwrap()]);
    assert_eq!(code, 1);
    assert!(report["repairs"][0]["output"].is_null());
    let rules: Vec<&str> =
        report["repairs"][0]["findings"].as_array().unwrap().iter().map(|f| f["rule"].as_str().unwrap()).collect();
    assert!(
        rules.contains(&"exception-handling-mismatch") && rules.contains(&"platform-tag-incompatible"),
        "{rules:?}"
    );
    assert!(!refused.exists());

    let native = wasmwheel([
        "repair",
        "-w",
        out.path().to_str().unwrap(),
        "--plat",
        "manylinux_2_17_x86_64",
        clean.to_str().unwrap(),
    ]);
    assert_eq!(native.status.code(), Some(2));
}

#[test]
fn strip_drops_debug_sections_only() {
    let out = tempfile::tempdir().unwrap();
    let debug = fixture("fxdebug-1.0-cp312-abi3-pyemscripten_2024_0_wasm32.whl");
    let (_, before) = wasmwheel_json(["show", "--format", "json", debug.to_str().unwrap()]);
    let (code, report) = repair(out.path(), &["--strip", debug.to_str().unwrap()]);
    assert_eq!(code, 0);
    assert_eq!(report["repairs"][0]["rewritten"][0]["stripped"], true);
    let repaired = output(&report);
    let (_, after) = wasmwheel_json(["show", "--format", "json", repaired.to_str().unwrap()]);
    let b = &before["wheels"][0]["binaries"][0];
    let a = &after["wheels"][0]["binaries"][0];
    assert_eq!(a["imports"], b["imports"]);
    assert_eq!(a["exports"], b["exports"]);
    let sections = |binary: &serde_json::Value| -> Vec<String> {
        binary["custom_sections"].as_array().unwrap().iter().map(|s| s.as_str().unwrap().to_string()).collect()
    };
    assert!(sections(b).iter().any(|s| s.starts_with(".debug_")) && sections(b).contains(&"name".to_string()));
    let kept: Vec<String> = sections(b).into_iter().filter(|s| !s.starts_with(".debug_") && s != "name").collect();
    assert_eq!(sections(a), kept);
    assert!(std::fs::metadata(&repaired).unwrap().len() < std::fs::metadata(&debug).unwrap().len());
}

#[test]
#[ignore = "needs Node and the Pyodide releases (testdata/fetch.sh)"]
fn a_stripped_module_still_loads() {
    let out = tempfile::tempdir().unwrap();
    let debug = fixture("fxdebug-1.0-cp312-abi3-pyemscripten_2024_0_wasm32.whl");
    let (_, report) = repair(out.path(), &["--strip", debug.to_str().unwrap()]);
    let repaired = output(&report);
    assert_eq!(pyodide_run("2025_0", &[&repaired], "import fxdebug; fxdebug.value()").as_deref(), Ok("7"));
}

#[test]
fn repair_moves_purelib_and_platlib_to_the_root_and_keeps_the_rest() {
    let out = tempfile::tempdir().unwrap();
    let input = fixture("fxdata-1.0-cp312-abi3-pyemscripten_2024_0_wasm32.whl");
    let (code, report) = repair(out.path(), &[input.to_str().unwrap()]);
    assert_eq!(code, 0, "{report:#}");
    let r = &report["repairs"][0];
    let moved: Vec<(&str, &str)> = r["moved"]
        .as_array()
        .unwrap()
        .iter()
        .map(|m| (m["from"].as_str().unwrap(), m["to"].as_str().unwrap()))
        .collect();
    assert_eq!(
        moved,
        [
            ("fxdata-1.0.data/platlib/fxdata/__init__.py", "fxdata/__init__.py"),
            ("fxdata-1.0.data/platlib/fxdata/_clean.abi3.so", "fxdata/_clean.abi3.so")
        ]
    );
    assert_eq!(r["kept_data"].as_array().unwrap().len(), 3, "scripts, headers and data stay: {r:#}");
    let repaired = output(&report);
    let (code, audit) = wasmwheel_json(["audit", "--format", "json", repaired.to_str().unwrap()]);
    assert_eq!(code, 0, "{audit:#}");
    assert_eq!(compatible(&audit).len(), 3);
    let (code, checked) = wasmwheel_json(["check", "--format", "json", repaired.to_str().unwrap()]);
    assert_eq!(code, 0, "RECORD follows the move: {checked:#}");
}

#[test]
fn a_move_onto_a_member_the_wheel_has_is_refused() {
    let dir = tempfile::tempdir().unwrap();
    let input = fixture("fxdata-1.0-cp312-abi3-pyemscripten_2024_0_wasm32.whl");
    let clash = derive_wheel(&input, dir.path(), input.file_name().unwrap().to_str().unwrap(), |name, data| {
        Some((name.replace("fxdata-1.0.data/headers/fxdata.h", "fxdata/__init__.py"), data))
    });
    let out = dir.path().join("out");
    let result = wasmwheel(["repair", "-w", out.to_str().unwrap(), clash.to_str().unwrap()]);
    assert_eq!(result.status.code(), Some(2));
    let err = stderr(&result);
    assert!(
        err.contains("moving fxdata-1.0.data/platlib/fxdata/__init__.py to fxdata/__init__.py would replace"),
        "{err}"
    );
    assert!(!out.exists(), "nothing written");
}
