//! `wasmwheel check`: what PyPI would reject, on a fixture per rule, on real PyPI wheels, and
//! the legacy-tag round trip through `wasmwheel tags`.

use crate::common::*;

fn check(path: &std::path::Path) -> (i32, serde_json::Value) {
    wasmwheel_json(["check", "--format", "json", path.to_str().unwrap()])
}

/// The rule ids of the catalogue's section on what the index rejects.
fn index_rules() -> Vec<String> {
    let doc = std::fs::read_to_string(testdata("../spec/rules.md")).unwrap();
    let section = doc.split("## What the index rejects on upload").nth(1).unwrap();
    section.lines().filter_map(|l| l.strip_prefix("### ")).map(|h| h.trim_matches('`').to_string()).collect()
}

#[test]
fn each_fixture_fails_with_its_rule_and_the_clean_one_passes() {
    let mut covered = Vec::new();
    for dir in std::fs::read_dir(testdata("check")).unwrap() {
        let dir = dir.unwrap().path();
        if !dir.is_dir() {
            continue;
        }
        let rule = dir.file_name().unwrap().to_str().unwrap().to_string();
        let wheel = std::fs::read_dir(&dir).unwrap().next().unwrap().unwrap().path();
        let (code, report) = check(&wheel);
        let found = findings(&report, &rule);
        if rule == "clean" {
            assert_eq!(code, 0, "{report:#}");
            // Its pyemscripten_2024_0 tag is one micropip 0.9 refuses (a warning); past that, nothing.
            let (_, report) = wasmwheel_json([
                "check",
                "--format",
                "json",
                "--ignore",
                "installer-refuses-tag",
                wheel.to_str().unwrap(),
            ]);
            assert!(report["wheels"][0]["findings"].as_array().unwrap().is_empty(), "{report:#}");
            continue;
        }
        assert!(!found.is_empty(), "{rule}: not reported in {report:#}");
        let error = found[0]["severity"] == "error";
        assert_eq!(code, if error { 1 } else { 0 }, "{rule}: {report:#}");
        covered.push(rule);
    }
    covered.sort();
    let mut expected: Vec<String> = index_rules();
    expected.sort();
    assert_eq!(covered, expected, "one fixture per index rule");
}

#[test]
fn control_characters_in_the_file_name() {
    let dir = tempfile::tempdir().unwrap();
    let odd = dir.path().join("fx\u{7}clean-1.0-cp312-abi3-pyemscripten_2024_0_wasm32.whl");
    std::fs::copy(testdata("check/clean/fxclean-1.0-cp312-abi3-pyemscripten_2024_0_wasm32.whl"), &odd).unwrap();
    let out = wasmwheel(["check", odd.to_str().unwrap()]);
    assert_eq!(out.status.code(), Some(2), "refused by the filename parser");
    let err = stderr(&out);
    assert_eq!(err.lines().count(), 1, "{err}");
    assert!(err.contains("not a wheel filename") && err.contains("is not a distribution name"), "{err}");
}

#[test]
fn legacy_tag_fails_until_retagged() {
    let legacy = fixture("fxlegacy-1.0-cp312-abi3-pyodide_2024_0_wasm32.whl");
    let (code, report) = check(&legacy);
    assert_eq!(code, 1);
    let rejected = findings(&report, "platform-tag-rejected");
    assert_eq!(rejected.len(), 1);
    assert!(rejected[0]["message"].as_str().unwrap().contains("use pyemscripten_2024_0_wasm32"));
    assert!(rejected[0]["message"].as_str().unwrap().contains("wasmwheel tags"));

    let dir = tempfile::tempdir().unwrap();
    let out = retag_canonical(dir.path(), &legacy);
    assert_eq!(out.status.code(), Some(0));
    let (code, report) = check(&dir.path().join("fxlegacy-1.0-cp312-abi3-pyemscripten_2024_0_wasm32.whl"));
    assert_eq!(code, 0, "{report:#}");
}

#[test]
#[ignore = "needs the PyPI wheels (testdata/fetch.sh)"]
fn wheels_pypi_accepted_pass() {
    for rel in [
        "pypi/msgspec-0.22.0-cp314-cp314-pyemscripten_2026_0_wasm32.whl",
        "pypi/jiter-0.19.0-cp314-cp314-pyemscripten_2026_0_wasm32.whl",
        "pypi/pydantic_core-2.50.4-cp314-cp314-pyemscripten_2026_0_wasm32.whl",
        "pypi/MarkupSafe-3.0.2-cp311-cp311-manylinux_2_17_x86_64.manylinux2014_x86_64.whl",
        "pypi/itkwasm_compress_stringify_wasi-3.5.0-py3-none-any.whl",
    ] {
        let wheel = cached(rel);
        let (code, report) = check(&wheel);
        assert_eq!(code, 0, "{rel}: {report:#}");
    }
}

#[test]
fn source_distributions_are_skipped() {
    let dir = tempfile::tempdir().unwrap();
    let sdist = dir.path().join("fxclean-1.0.tar.gz");
    std::fs::write(&sdist, b"not checked").unwrap();
    let clean = testdata("check/clean/fxclean-1.0-cp312-abi3-pyemscripten_2024_0_wasm32.whl");
    let out = wasmwheel(["check", sdist.to_str().unwrap(), clean.to_str().unwrap()]);
    assert_eq!(out.status.code(), Some(0), "{}", stderr(&out));
    assert!(stderr(&out).contains("skipping"));
}
