//! `wasmwheel tags`.

use crate::common::*;

#[test]
fn canonical_platform_tag_rewrites_filename_wheel_and_record() {
    let dir = tempfile::tempdir().unwrap();
    let legacy = fixture("fxlegacy-1.0-cp312-abi3-pyodide_2024_0_wasm32.whl");
    let before = std::fs::read(&legacy).unwrap();
    let out = retag_canonical(dir.path(), &legacy);
    assert_eq!(out.status.code(), Some(0), "{}", stderr(&out));
    let written = dir.path().join("fxlegacy-1.0-cp312-abi3-pyemscripten_2024_0_wasm32.whl");
    assert_eq!(String::from_utf8(out.stdout).unwrap().trim(), written.display().to_string());
    assert_eq!(std::fs::read(&legacy).unwrap(), before, "input untouched");
    let (code, report) = wasmwheel_json(["audit", "--format", "json", written.to_str().unwrap()]);
    assert_eq!(code, 0);
    assert!(findings(&report, "legacy-platform-tag").is_empty());
    assert_eq!(report["wheels"][0]["tags"], serde_json::json!(["cp312-abi3-pyemscripten_2024_0_wasm32"]));

    // Unchanged tags write nothing.
    let out = retag_canonical(dir.path(), &written);
    assert_eq!(out.status.code(), Some(0));
    assert!(String::from_utf8(out.stdout).unwrap().contains("unchanged"));
    assert_eq!(std::fs::read_dir(dir.path()).unwrap().count(), 1);
}

#[test]
fn append_replace_and_remove() {
    let dir = tempfile::tempdir().unwrap();
    let copy = dir.path().join("fxclean-1.0-cp312-abi3-pyemscripten_2024_0_wasm32.whl");
    std::fs::copy(fixture("fxclean-1.0-cp312-abi3-pyemscripten_2024_0_wasm32.whl"), &copy).unwrap();
    let out = wasmwheel(["tags", "--python-tag", "+cp313", "--remove", copy.to_str().unwrap()]);
    assert_eq!(out.status.code(), Some(0), "{}", stderr(&out));
    let new = dir.path().join("fxclean-1.0-cp312.cp313-abi3-pyemscripten_2024_0_wasm32.whl");
    assert!(new.is_file() && !copy.exists(), "--remove deletes the input once the output is written");
    let (_, report) = wasmwheel_json(["show", "--format", "json", new.to_str().unwrap()]);
    assert_eq!(
        report["wheels"][0]["tags"],
        serde_json::json!(["cp312-abi3-pyemscripten_2024_0_wasm32", "cp313-abi3-pyemscripten_2024_0_wasm32"])
    );
    let out = wasmwheel(["tags", "--platform-tag", "pyemscripten_2026_0_wasm32", new.to_str().unwrap()]);
    assert_eq!(out.status.code(), Some(0));
    assert!(dir.path().join("fxclean-1.0-cp312.cp313-abi3-pyemscripten_2026_0_wasm32.whl").is_file());
    let bad = wasmwheel(["tags", "--abi-tag", "no/slash", new.to_str().unwrap()]);
    assert_eq!(bad.status.code(), Some(2));
}
