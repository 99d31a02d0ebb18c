//! Where output goes: a reader that goes away (`| head -c 1`) never makes a command panic or
//! change its status, and bad input files are one-line errors that name the file and field.

use std::process::{Command, Stdio};

use crate::common::*;

/// Runs wasmwheel with `args`, closing the read end of its stdout before it writes anything:
/// every write then fails with a broken pipe. Returns the exit status and stderr.
fn with_closed_stdout(args: &[&str]) -> (Option<i32>, String) {
    let mut child = Command::new(env!("CARGO_BIN_EXE_wasmwheel"))
        .args(args)
        .stdout(Stdio::piped())
        .stderr(Stdio::piped())
        .spawn()
        .unwrap();
    drop(child.stdout.take());
    let out = child.wait_with_output().unwrap();
    (out.status.code(), stderr(&out))
}

#[test]
fn a_closed_pipe_is_never_a_crash() {
    let out = tempfile::tempdir().unwrap();
    let out = out.path().to_str().unwrap();
    let clean = fixture("fxclean-1.0-cp312-abi3-pyemscripten_2024_0_wasm32.whl");
    let clean = clean.to_str().unwrap();
    let pkg = fixture("fxpkg-1.0-cp314-cp314-pyemscripten_2026_0_wasm32.whl");
    let pkg = pkg.to_str().unwrap();
    let cases: [(&[&str], i32); 10] = [
        (&["show", clean, pkg], 0),
        (&["show", "-v", "--format", "json", clean], 0),
        (&["audit", clean], 0),
        (&["audit", "--format", "json", clean, pkg], 1),
        (&["check", "--format", "github", pkg], 1),
        (&["repair", "-w", out, clean], 0),
        (&["tags", "--platform-tag", "pyemscripten_2026_0_wasm32", "-w", out, clean], 0),
        (&["policy", "list"], 0),
        (&["policy", "show", "pyemscripten_2026_0"], 0),
        (&["--help"], 0),
    ];
    for (args, status) in cases {
        let (code, err) = with_closed_stdout(args);
        assert!(!err.contains("panicked"), "{args:?}: {err}");
        assert_eq!(code, Some(status), "{args:?}: the status reports the findings, not the pipe: {err}");
    }
}

#[test]
fn a_policy_file_with_a_bad_field_is_refused_naming_file_and_field() {
    let dir = tempfile::tempdir().unwrap();
    let shown = wasmwheel(["policy", "show", "pyemscripten_2026_0"]);
    let mut policy: serde_json::Value = serde_json::from_slice(&shown.stdout).unwrap();
    policy["python"] = "x.y".into();
    let file = dir.path().join("bad.json");
    std::fs::write(&file, serde_json::to_vec(&policy).unwrap()).unwrap();
    let clean = fixture("fxclean-1.0-cp312-abi3-pyemscripten_2024_0_wasm32.whl");
    let out = wasmwheel(["audit", "--policy", file.to_str().unwrap(), clean.to_str().unwrap()]);
    assert_eq!(out.status.code(), Some(2));
    let err = stderr(&out);
    assert_eq!(err.lines().count(), 1, "{err}");
    assert!(err.contains("bad.json: not a policy: python: `x.y` is not a Python version"), "{err}");
    assert!(out.stdout.is_empty(), "nothing written");
}

/// The same for the commands that load wheels in real Pyodide.
#[test]
#[ignore = "needs Node, the npm registry and the PyPI wheels (testdata/fetch.sh)"]
fn a_closed_pipe_is_never_a_crash_for_test_lock_and_pack() {
    let out = tempfile::tempdir().unwrap();
    let clean = fixture("fxclean-1.0-cp312-abi3-pyemscripten_2024_0_wasm32.whl");
    let clean = clean.to_str().unwrap();
    let lock_dir = out.path().join("lock");
    let bundle = out.path().join("bundle");
    let app = testdata("apps/prices.py");
    let (babel, msgspec) = (
        cached("pypi/babel-2.19.0-py3-none-any.whl"),
        cached("pypi/msgspec-0.22.0-cp314-cp314-pyemscripten_2026_0_wasm32.whl"),
    );
    let cache = release_cache();
    let cases: [(Vec<&str>, i32); 3] = [
        (vec!["test", "--pyodide", "314.0.7", clean], 0),
        (vec!["lock", "--pyodide", "314.0.7", "-o", lock_dir.to_str().unwrap(), clean], 0),
        (
            vec![
                "pack",
                "--pyodide",
                "314.0.7",
                "-o",
                bundle.to_str().unwrap(),
                app.to_str().unwrap(),
                babel.to_str().unwrap(),
                msgspec.to_str().unwrap(),
            ],
            0,
        ),
    ];
    for (args, status) in cases {
        let mut child = Command::new(env!("CARGO_BIN_EXE_wasmwheel"))
            .args(&args)
            .env("WASMWHEEL_CACHE_DIR", &cache)
            .stdout(Stdio::piped())
            .stderr(Stdio::piped())
            .spawn()
            .unwrap();
        drop(child.stdout.take());
        let done = child.wait_with_output().unwrap();
        let err = stderr(&done);
        assert!(!err.contains("panicked"), "{args:?}: {err}");
        assert_eq!(done.status.code(), Some(status), "{args:?}: {err}");
    }
}
