//! Every command over the hostile corpus (testdata/hostile, built by hostile/make.py): each
//! ends with exit status 1 (a finding that names the problem) or 2 (one line that names the
//! file and the problem), within a time and memory bound, and writes nothing but a complete
//! output wheel.

use std::path::Path;
use std::process::Command;
use std::time::{Duration, Instant};

use crate::common::*;

/// How each case ends: `Finding(rule)` (exit 1 for show, audit and check), or `Input(text)`
/// (exit 2 for every command, `text` in the one-line message).
enum Expect {
    Finding(&'static str),
    Input(&'static str),
}

use Expect::*;

const CASES: &[(&str, Expect)] = &[
    ("not_a_zip", Input("not a zip archive")),
    ("empty_file", Input("not a zip archive")),
    ("truncated_zip", Input("not a zip archive")),
    ("bomb_ratio", Finding("archive-compression-bomb")),
    ("bomb_total", Finding("archive-compression-bomb")),
    ("bomb_300mib", Finding("archive-compression-bomb")),
    ("bomb_lying_size", Input("is damaged")),
    ("bomb_declared_size", Input("more than the limit")),
    ("bomb_many_members", Input("more entries than its size allows")),
    ("dotdot_member", Finding("archive-unsafe-path")),
    ("absolute_member", Finding("archive-unsafe-path")),
    ("backslash_member", Finding("archive-unsafe-path")),
    ("nul_member", Finding("archive-unsafe-path")),
    ("duplicate_member", Finding("archive-duplicate-member")),
    ("symlink_member", Finding("archive-symlink")),
    ("metadata_not_utf8", Finding("metadata-invalid")),
    ("wasm_truncated_section", Input("invalid wasm at byte offset")),
    ("wasm_huge_count", Input("invalid wasm at byte offset")),
    ("needed_count_overflow", Input("invalid wasm at byte offset")),
    ("dylink_not_first", Finding("dylink-not-first")),
    ("runtime_path_escape", Finding("runtime-path-outside-wheel")),
];

/// Each run may take this long...
const TIME_LIMIT: Duration = Duration::from_secs(20);
/// ...and map this much memory (ulimit -v, KiB): allocations sized by an unchecked count
/// would fail under it.
const MEMORY_LIMIT_KIB: u64 = 3 << 20;

/// Runs wasmwheel with `args` in `cwd` under the memory limit.
fn run(cwd: &Path, args: &[&str]) -> (i32, String, String, Duration) {
    let binary = env!("CARGO_BIN_EXE_wasmwheel");
    let script = format!("ulimit -v {MEMORY_LIMIT_KIB}; exec \"$0\" \"$@\"");
    let start = Instant::now();
    let out = Command::new("sh").arg("-c").arg(script).arg(binary).args(args).current_dir(cwd).output().unwrap();
    let elapsed = start.elapsed();
    let code = out.status.code().unwrap_or(-1);
    (code, String::from_utf8_lossy(&out.stdout).into_owned(), stderr(&out), elapsed)
}

fn files_in(dir: &Path) -> Vec<String> {
    let mut names: Vec<String> = std::fs::read_dir(dir)
        .map(|d| d.map(|e| e.unwrap().file_name().to_string_lossy().into_owned()).collect())
        .unwrap_or_default();
    names.sort();
    names
}

#[test]
fn every_command_fails_cleanly_on_every_hostile_wheel() {
    let mut seen = Vec::new();
    for (case, expect) in CASES {
        let folder = testdata(&format!("hostile/{case}"));
        let wheel = folder.join("fxclean-1.0-cp312-abi3-pyemscripten_2024_0_wasm32.whl");
        assert!(wheel.is_file(), "missing {}", wheel.display());
        seen.push(case.to_string());
        let input = std::fs::read(&wheel).unwrap();
        let work = tempfile::tempdir().unwrap();
        let wheel = wheel.to_str().unwrap();

        for command in ["show", "audit", "check", "repair"] {
            let mut args = vec![command, "--format", "json"];
            if command == "repair" {
                args.extend(["-w", "out"]);
            }
            args.push(wheel);
            let (code, stdout, err, elapsed) = run(work.path(), &args);
            let what = format!("{command} {case}");
            assert!(elapsed < TIME_LIMIT, "{what} took {elapsed:?}");
            assert_ne!(code, 101, "{what} panicked: {err}");
            match expect {
                Input(text) => {
                    assert_eq!(code, 2, "{what}: {err}");
                    assert_eq!(err.lines().count(), 1, "{what}: one line, not {err}");
                    assert!(err.contains(wheel) && err.contains(text), "{what}: {err}");
                }
                Finding(rule) if command == "repair" && *case == "dylink_not_first" => {
                    // The one fault repair mends: dylink.0 is moved first.
                    assert_eq!(code, 0, "{what}: {err}");
                    let out = work.path().join("out").join("fxclean-1.0-cp312-abi3-pyemscripten_2024_0_wasm32.whl");
                    let (code, report) = wasmwheel_json(["audit", "--format", "json", out.to_str().unwrap()]);
                    assert_eq!(code, 0, "the mended wheel passes: {report:#}");
                    assert!(findings(&report, rule).is_empty());
                }
                Finding(_) if command == "repair" => {
                    assert!(code == 1 || code == 2, "{what}: {code} {err}");
                    assert!(!work.path().join("out").exists(), "{what} wrote {:?}", files_in(&work.path().join("out")));
                }
                Finding(rule) => {
                    assert_eq!(code, 1, "{what}: {err}");
                    let report: serde_json::Value = serde_json::from_str(&stdout).unwrap();
                    assert!(!findings(&report, rule).is_empty(), "{what}: no {rule} in {report:#}");
                }
            }
        }
        let left: Vec<String> = files_in(work.path()).into_iter().filter(|f| f != "out").collect();
        assert!(left.is_empty(), "{case}: stray files {left:?}");
        let out: Vec<String> = files_in(&work.path().join("out"));
        assert!(out.iter().all(|f| f.ends_with(".whl")), "{case}: stray files in the output folder: {out:?}");
        assert_eq!(std::fs::read(wheel).unwrap(), input, "{case}: the input was modified");
    }
    let mut on_disk = files_in(&testdata("hostile"));
    on_disk.retain(|f| f != "make.py");
    seen.sort();
    assert_eq!(on_disk, seen, "every case of the corpus is tested");
}
