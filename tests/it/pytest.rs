//! `wasmwheel test --pytest`: a package's own tests run by pytest in real Pyodide, in every
//! release its wheels are compatible with, under Node and in Chromium; the report's counts,
//! the failures named, JUnit files read back. pytest and its plugins come from PyPI
//! (`--from-index`: the releases' own pytest lives on their package CDN, which these machines
//! cannot reach), the releases from npm.

use std::path::Path;

use serde_json::Value;

use crate::common::*;

const TESTED: &str = "fxtested-1.0-cp312-abi3-pyemscripten_2024_0_wasm32.whl";
const FAILING: &str = "fxfailing-1.0-cp312-abi3-pyemscripten_2024_0_wasm32.whl";
const CLEAN: &str = "fxclean-1.0-cp312-abi3-pyemscripten_2024_0_wasm32.whl";
/// pytest and what it requires, from the index (the releases have their own on their CDN).
const FROM_INDEX: &str = "pytest,iniconfig,pluggy,packaging,pygments";
/// The pytest the suite runs (its requirements float within what it allows).
const PYTEST: &str = "pytest==9.0.2";

/// `wasmwheel test --pytest ARGS` in `cwd`, with the shared release cache: its exit status,
/// its report (`--format json`) and its stderr.
fn pytest_run(cwd: &Path, args: &[&str]) -> (i32, Value, String) {
    let cache = release_cache();
    let mut command = std::process::Command::new(env!("CARGO_BIN_EXE_wasmwheel"));
    command.current_dir(cwd).env("WASMWHEEL_CACHE_DIR", &cache);
    command.args(["test", "--pytest", "--format", "json", "--from-index", FROM_INDEX, "--with", PYTEST]);
    let out = command.args(args).output().unwrap();
    let err = stderr(&out);
    let report = serde_json::from_slice(&out.stdout).unwrap_or_else(|e| panic!("not JSON ({e}): {err}"));
    (out.status.code().unwrap_or(-1), report, err)
}

/// The pytest section of each run, by release.
fn sessions(report: &Value) -> Vec<(String, &Value)> {
    let runs = report["tests"].as_array().unwrap();
    runs.iter().map(|r| (r["pyodide"].as_str().unwrap().to_string(), &r["pytest"])).collect()
}

fn counts(pytest: &Value) -> [u64; 6] {
    ["passed", "failed", "errors", "skipped", "xfailed", "xpassed"].map(|k| pytest["counts"][k].as_u64().unwrap())
}

/// The releases the audit calls the wheel compatible with.
fn compatible_releases(wheel: &Path) -> Vec<String> {
    let (_, audit) = wasmwheel_json(["audit", "--format", "json", wheel.to_str().unwrap()]);
    let platforms = compatible(&audit);
    let mut releases: Vec<String> = ABIS
        .iter()
        .filter(|(abi, _)| platforms.contains(&format!("pyemscripten_{abi}_wasm32")))
        .map(|(_, release)| release.to_string())
        .collect();
    releases.sort();
    releases
}

/// The shipped tests of fxtested (with its `test` extra, whose plugin the tests need) pass in
/// every release the audit claims: five pass, one skips, one fails as expected, the same in
/// each; pytest's lines stream to stderr, each after its release; a JUnit file per release
/// reads back with the same tests.
#[test]
#[ignore = "needs Node, the npm registry and PyPI"]
fn shipped_tests_pass_in_every_release_the_audit_claims() {
    let dir = tempfile::tempdir().unwrap();
    let wheel = fixture(TESTED);
    let junit = dir.path().join("junit");
    let with_extra = format!("{}[test]", wheel.display());
    let args = [with_extra.as_str(), "--junit-xml", junit.to_str().unwrap(), "--", "-v"];
    let (code, report, err) = pytest_run(dir.path(), &args);
    assert_eq!(code, 0, "{report:#}\n{err}");
    let mut releases: Vec<String> = sessions(&report).into_iter().map(|(v, _)| v).collect();
    releases.sort();
    assert_eq!(releases, compatible_releases(&wheel));
    assert!(releases.len() >= 3, "{releases:?}");
    for (release, pytest) in sessions(&report) {
        assert_eq!(pytest["status"], "passed", "{release}: {pytest:#}");
        assert_eq!(counts(pytest), [5, 0, 0, 1, 1, 0], "{release}: {pytest:#}");
        let first = &pytest["tests"][0];
        assert_eq!(first["nodeid"], "fxtested/tests/test_fxtested.py::test_value_comes_from_the_extension");
        assert_eq!(first["line"], 12);
        assert!(err.contains(&format!("[{release}] ")) && err.contains("test_value_is_stable[2] PASSED"), "{err}");

        let file = junit.join(format!("pytest-pyodide-{release}-node.xml"));
        let read = quick_junit::Report::deserialize_from_str(&std::fs::read_to_string(&file).unwrap()).unwrap();
        assert_eq!((read.tests, read.failures, read.errors), (7, 0, 0), "{}", file.display());
        let names: Vec<&str> = read.test_suites[0].test_cases.iter().map(|t| t.name.as_str()).collect();
        let nodeids: Vec<&str> =
            pytest["tests"].as_array().unwrap().iter().map(|t| t["nodeid"].as_str().unwrap()).collect();
        assert!(nodeids.iter().zip(&names).all(|(id, name)| id.ends_with(&format!("::{name}"))), "{names:?}");
    }
    // The plugin of the `test` extra came from the index, for the extra.
    let resolved = report["tests"][0]["resolution"].to_string();
    assert!(resolved.contains("pytest-timeout"), "{resolved}");
    assert_eq!(std::fs::read_dir(&junit).unwrap().count(), releases.len());

    // Without the extra, the test that needs its plugin fails, in every release.
    let (code, report, _) = pytest_run(dir.path(), &[wheel.to_str().unwrap(), "--pyodide", "314.0.7"]);
    assert_eq!(code, 1, "{report:#}");
    let failures = &sessions(&report)[0].1["failures"];
    assert_eq!(failures[0]["nodeid"], "fxtested/tests/test_fxtested.py::test_the_plugin_of_the_test_extra_is_loaded");
}

/// A failing test makes the run exit 1 and is named with why: in the report, as a GitHub
/// annotation at its file and line, and in the JUnit file.
#[test]
#[ignore = "needs Node, the npm registry and PyPI"]
fn a_failing_test_exits_1_and_is_named_with_why() {
    let dir = tempfile::tempdir().unwrap();
    let wheel = fixture(FAILING);
    let junit = dir.path().join("junit");
    let args = [wheel.to_str().unwrap(), "--pyodide", "314.0.7", "--junit-xml", junit.to_str().unwrap()];
    let (code, report, _) = pytest_run(dir.path(), &args);
    assert_eq!(code, 1, "{report:#}");
    let pytest = sessions(&report)[0].1;
    assert_eq!((pytest["exit"].as_i64(), pytest["status"].as_str()), (Some(1), Some("tests failed")));
    assert_eq!(counts(pytest), [1, 1, 0, 0, 0, 0]);
    let failure = &pytest["failures"][0];
    assert_eq!(failure["nodeid"], "fxfailing/tests/test_fxfailing.py::test_value_is_eight");
    assert!(failure["message"].as_str().unwrap().contains("fxfailing.value() should be 8"), "{failure:#}");
    assert_eq!(
        (failure["file"].as_str(), failure["line"].as_u64()),
        (Some("fxfailing/tests/test_fxfailing.py"), Some(10))
    );

    let xml = std::fs::read_to_string(junit.join("pytest-pyodide-314.0.7-node.xml")).unwrap();
    let read = quick_junit::Report::deserialize_from_str(&xml).unwrap();
    assert_eq!((read.tests, read.failures), (2, 1));

    let mut command = std::process::Command::new(env!("CARGO_BIN_EXE_wasmwheel"));
    command.env("WASMWHEEL_CACHE_DIR", release_cache()).current_dir(dir.path());
    command.args(["test", "--pytest", "--format", "github", "--from-index", FROM_INDEX, "--with", PYTEST]);
    let out = command.args(["--pyodide", "314.0.7", wheel.to_str().unwrap()]).output().unwrap();
    assert_eq!(out.status.code(), Some(1));
    let annotations = String::from_utf8(out.stdout).unwrap();
    let expected = "::error file=fxfailing/tests/test_fxfailing.py,line=10,title=wasmwheel test%3A Pyodide 314.0.7::failed fxfailing/tests/test_fxfailing.py::test_value_is_eight: AssertionError: fxfailing.value() should be 8";
    assert!(annotations.lines().any(|l| l == expected), "{annotations}");
}

/// A project's tests folder runs from the host, under its layout: the conftest.py above it
/// (a fixture), a data file beside the tests, pyproject.toml's pytest settings, and the plugin
/// of its PEP 735 dependency group; without `--group test` that plugin is missing.
#[test]
#[ignore = "needs Node, the npm registry and PyPI"]
fn a_host_tests_folder_runs_with_its_conftest_data_and_group() {
    let project = testdata("pytest");
    let wheel = fixture(CLEAN);
    let args = ["tests", wheel.to_str().unwrap(), "--pyodide", "314.0.7", "--group", "test"];
    let (code, report, _) = pytest_run(&project, &args);
    assert_eq!(code, 0, "{report:#}");
    let pytest = sessions(&report)[0].1;
    assert_eq!(counts(pytest), [2, 0, 0, 0, 0, 0], "{pytest:#}");
    assert_eq!(pytest["tests"][0]["nodeid"], "tests/test_host.py::test_value_matches_the_data_file");
    assert_eq!(pytest["tests"][0]["file"], "tests/test_host.py");

    let (code, report, _) = pytest_run(&project, &["tests", wheel.to_str().unwrap(), "--pyodide", "314.0.7"]);
    assert_eq!(code, 1, "{report:#}");
    assert_eq!(counts(sessions(&report)[0].1), [1, 1, 0, 0, 0, 0]);
    assert!(project.read_dir().unwrap().all(|e| e.unwrap().file_name() != ".pytest_cache"), "nothing written");
}

/// A real PyPI wheel that ships its test suite (simplejson 4.3.0, 2026_0): its tests pass in
/// every release it claims, under Node and in Chromium, with a JUnit file per release and
/// runtime.
#[test]
#[ignore = "needs Node, Chromium, the npm registry and PyPI"]
fn a_real_wheel_s_own_tests_pass_under_node_and_in_chromium() {
    let dir = tempfile::tempdir().unwrap();
    let wheel = cached("pypi/simplejson-4.3.0-cp314-cp314-pyemscripten_2026_0_wasm32.whl");
    let releases = compatible_releases(&wheel);
    assert!(!releases.is_empty());
    let junit = dir.path().join("junit");
    for browser in [None, Some("chromium")] {
        let mut args = vec![wheel.to_str().unwrap(), "--junit-xml", junit.to_str().unwrap()];
        args.extend(browser.map(|b| ["--browser", b]).into_iter().flatten());
        let (code, report, err) = pytest_run(dir.path(), &args);
        assert_eq!(code, 0, "{report:#}\n{err}");
        let ran = sessions(&report);
        assert_eq!(ran.len(), releases.len());
        for (release, pytest) in ran {
            let [passed, failed, errors, ..] = counts(pytest);
            assert!(passed > 200 && failed == 0 && errors == 0, "{release}: {pytest:#}");
            assert!(pytest["tests"][0]["nodeid"].as_str().unwrap().starts_with("simplejson/tests/"));
            let runtime = browser.unwrap_or("node");
            let xml = std::fs::read_to_string(junit.join(format!("pytest-pyodide-{release}-{runtime}.xml"))).unwrap();
            let read = quick_junit::Report::deserialize_from_str(&xml).unwrap();
            assert_eq!(read.tests as u64, pytest["collected"].as_u64().unwrap());
        }
    }
}

/// Inputs that make no sense are refused before anything runs: one line, exit 2.
#[test]
fn test_inputs_that_are_not_wheels_need_pytest() {
    let dir = tempfile::tempdir().unwrap();
    let clean = fixture(CLEAN);
    let refused = |args: &[&str], says: &str| {
        let out = wasmwheel_env(args, &[("PATH", std::ffi::OsStr::new(""))]);
        let err = stderr(&out);
        assert_eq!(out.status.code(), Some(2), "{args:?}: {err}");
        assert!(err.contains(says), "{args:?}: {err}");
        assert!(out.stdout.is_empty());
    };
    refused(&["test", clean.to_str().unwrap(), "tests"], "`tests` is not a wheel");
    refused(&["test", "--junit-xml", dir.path().to_str().unwrap(), clean.to_str().unwrap()], "--pytest");
    let bad_extra = format!("{}[te st]", clean.display());
    refused(&["test", "--pytest", &bad_extra], "extras are names");
    let wasi = fixture("fxwasi-1.0-cp314-cp314-wasi_0_0_0_wasm32.whl");
    refused(&["test", "--pytest", "--no-index", wasi.to_str().unwrap()], "the WASI host does not run pytest");
    assert_eq!(std::fs::read_dir(dir.path()).unwrap().count(), 0, "nothing written");
}
