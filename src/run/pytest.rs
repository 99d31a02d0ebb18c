//! `test --pytest`: the package's own tests, run by pytest in each release, one Pyodide per
//! release for the whole session. The tests are the host's folders or files given (made
//! visible in the run under the same relative layout, with the `conftest.py` files above them
//! and the project's pytest configuration), or, with none, the tests the wheels ship (the
//! folders of their top-level packages in site-packages, as `--pyargs` would collect them;
//! pytest's own `--pyargs` collects nothing in Pyodide 0.27). A recorder plugin (`pytest_runner.py`) reports
//! every test as data; [`PytestReport`] is what the reports render (text, JSON, GitHub
//! annotations, JUnit XML: `crate::report::junit`).

use std::io::Write;
use std::path::{Component, Path, PathBuf};

use serde::Serialize;

use crate::runtime::protocol::{CollectError, PytestJob, PytestOutcome, TestOutcome};
use crate::wheel::WheelBytes;

/// The recorder pytest runs with.
const RUNNER: &str = include_str!("pytest_runner.py");

/// The most the tests given may weigh, unpacked.
const MAX_TESTS: u64 = 256 << 20;

/// The project files pytest reads its configuration from, taken from the working folder.
const CONFIG_FILES: [&str; 5] = ["pytest.ini", ".pytest.ini", "pyproject.toml", "tox.ini", "setup.cfg"];

/// What `--pytest` asks.
#[derive(Clone, Debug, Default)]
#[non_exhaustive]
pub struct PytestOptions {
    /// Folders or files of tests on the host; none: the tests the wheels ship.
    pub paths: Vec<PathBuf>,
    /// Arguments for pytest, as they are (`-k`, `-x`, `-m`, `--deselect`, ...).
    pub args: Vec<String>,
}

impl PytestOptions {
    /// `--pytest` with `paths` and `args`.
    pub fn new(paths: Vec<PathBuf>, args: Vec<String>) -> PytestOptions {
        PytestOptions { paths, args }
    }
}

/// Why the tests cannot be staged.
#[derive(Debug, thiserror::Error)]
#[non_exhaustive]
pub enum PytestError {
    /// A folder or file of tests that cannot be read.
    #[error(transparent)]
    Read(std::io::Error),
    /// Tests that weigh more than can be sent.
    #[error("the tests given weigh more than {MAX_TESTS} bytes")]
    TooLarge,
    /// The zip of the tests cannot be written.
    #[error("the tests cannot be packed")]
    Zip(#[source] zip::result::ZipError),
}

/// The tests, staged for a run: the zip of the host's files (under the name the run's folder
/// holds it by), or the packages whose own tests run; and pytest's arguments.
#[derive(Clone, Debug)]
pub struct StagedTests {
    /// The zip, and its file name.
    pub archive: Option<(String, Vec<u8>)>,
    /// Without host tests: the wheels' top-level modules, whose package folders pytest
    /// collects.
    pub packages: Vec<String>,
    /// pytest's arguments.
    pub args: Vec<String>,
}

impl StagedTests {
    /// The job's pytest part.
    pub fn job(&self) -> PytestJob {
        let archive = self.archive.as_ref().map(|(name, _)| name.clone());
        PytestJob::new(archive, self.packages.clone(), self.args.clone(), RUNNER.to_string())
    }
}

/// The tests of `options`, relative to `cwd`: the host's files zipped, or the wheels'
/// top-level packages (collected from their folders in site-packages, as `--pyargs` would);
/// pytest's arguments after them.
pub fn stage(options: &PytestOptions, wheels: &[WheelBytes], cwd: &Path) -> Result<StagedTests, PytestError> {
    // No cache folder in the run, no colour codes in what streams back, and Python-level
    // capture (file-descriptor capture leaves Pyodide 0.27 unable to go on: "[Errno 44]").
    let mut args: Vec<String> =
        ["-p", "no:cacheprovider", "--color=no", "--capture=sys"].into_iter().map(String::from).collect();
    if options.paths.is_empty() {
        let packages = wheels.iter().flat_map(|w| w.wheel.top_level_modules()).collect();
        args.extend(options.args.iter().cloned());
        return Ok(StagedTests { archive: None, packages, args });
    }
    let mut files: Vec<(String, PathBuf)> = Vec::new();
    for path in &options.paths {
        let (root, relative) = place(path, cwd);
        collect(&root, &relative, &mut files)?;
        for config in ancestors_conftest(&root, &relative).into_iter().chain(CONFIG_FILES.map(String::from)) {
            let host = root.join(&config);
            if host.is_file() && !files.iter().any(|(r, _)| *r == config) {
                files.push((config, host));
            }
        }
        args.push(relative);
    }
    args.extend(options.args.iter().cloned());
    let archive = Some(("wasmwheel-tests.zip".into(), zip_files(&files)?));
    Ok(StagedTests { archive, packages: Vec::new(), args })
}

/// Where a test path is: the folder its relative path starts from (the working folder when it
/// is inside it, else its parent), and that relative path, with `/`.
fn place(path: &Path, cwd: &Path) -> (PathBuf, String) {
    let absolute = if path.is_absolute() { path.to_path_buf() } else { cwd.join(path) };
    let normal: PathBuf = absolute.components().filter(|c| !matches!(c, Component::CurDir)).collect();
    match normal.strip_prefix(cwd) {
        Ok(relative)
            if !relative.as_os_str().is_empty() && !relative.components().any(|c| c == Component::ParentDir) =>
        {
            (cwd.to_path_buf(), slashed(relative))
        }
        _ => {
            let parent = normal.parent().map_or_else(|| PathBuf::from("/"), Path::to_path_buf);
            let name = normal.file_name().map_or_else(String::new, |n| n.to_string_lossy().into_owned());
            (parent, name)
        }
    }
}

fn slashed(path: &Path) -> String {
    path.components().map(|c| c.as_os_str().to_string_lossy().into_owned()).collect::<Vec<_>>().join("/")
}

/// The `conftest.py` files of `root` and of each folder on the way to `relative` (pytest
/// reads them all).
fn ancestors_conftest(root: &Path, relative: &str) -> Vec<String> {
    let mut out = Vec::new();
    let parts: Vec<&str> = relative.split('/').collect();
    for depth in 0..parts.len() {
        let folder = parts[..depth].join("/");
        let file = if folder.is_empty() { "conftest.py".to_string() } else { format!("{folder}/conftest.py") };
        if root.join(&file).is_file() {
            out.push(file);
        }
    }
    out
}

/// Every file under `root/relative` (or that file), with its relative path; caches and
/// compiled files left out.
fn collect(root: &Path, relative: &str, files: &mut Vec<(String, PathBuf)>) -> Result<(), PytestError> {
    let host = root.join(relative);
    let meta = fs_err::metadata(&host).map_err(PytestError::Read)?;
    if meta.is_file() {
        files.push((relative.to_string(), host));
        return Ok(());
    }
    let mut entries: Vec<_> = fs_err::read_dir(&host).map_err(PytestError::Read)?.flatten().collect();
    entries.sort_by_key(|e| e.file_name());
    for entry in entries {
        let name = entry.file_name().to_string_lossy().into_owned();
        let skip = name == "__pycache__" || name == ".pytest_cache" || name.ends_with(".pyc") || name == ".git";
        let kind = entry.file_type().map_err(PytestError::Read)?;
        if skip || kind.is_symlink() {
            continue;
        }
        let child = format!("{relative}/{name}");
        if kind.is_dir() {
            collect(root, &child, files)?;
        } else if kind.is_file() {
            files.push((child, entry.path()));
        }
    }
    Ok(())
}

/// The files zipped, each under its relative path.
fn zip_files(files: &[(String, PathBuf)]) -> Result<Vec<u8>, PytestError> {
    let mut zip = zip::ZipWriter::new(std::io::Cursor::new(Vec::new()));
    let options = zip::write::SimpleFileOptions::default().compression_method(zip::CompressionMethod::Deflated);
    let mut total = 0u64;
    for (name, host) in files {
        let bytes = fs_err::read(host).map_err(PytestError::Read)?;
        total += bytes.len() as u64;
        if total > MAX_TESTS {
            return Err(PytestError::TooLarge);
        }
        zip.start_file(name.as_str(), options).map_err(PytestError::Zip)?;
        zip.write_all(&bytes).map_err(|e| PytestError::Zip(e.into()))?;
    }
    Ok(zip.finish().map_err(PytestError::Zip)?.into_inner())
}

/// How many tests ended each way.
#[derive(Clone, Debug, Default, PartialEq, Eq, Serialize)]
#[non_exhaustive]
pub struct Counts {
    /// Passed.
    pub passed: u64,
    /// Failed.
    pub failed: u64,
    /// Their setup or teardown failed, or they could not be collected.
    pub errors: u64,
    /// Skipped.
    pub skipped: u64,
    /// Failed as expected.
    pub xfailed: u64,
    /// Passed though expected to fail.
    pub xpassed: u64,
}

/// A test that failed or erred, or a file that could not be collected.
#[derive(Clone, Debug, PartialEq, Eq, Serialize)]
#[non_exhaustive]
pub struct Failure {
    /// Its node id.
    pub nodeid: String,
    /// `failed`, `error`, or `collection error`.
    pub outcome: String,
    /// Why, on one line.
    pub message: String,
    /// Its file, relative to the working folder of the run (the host's tests) or to
    /// site-packages (tests a wheel ships), when known.
    pub file: Option<String>,
    /// Its line (from 1), when known.
    pub line: Option<u64>,
}

/// A slow test.
#[derive(Clone, Debug, PartialEq, Eq, Serialize)]
#[non_exhaustive]
pub struct Slow {
    /// Its node id.
    pub nodeid: String,
    /// How long it took, in milliseconds.
    pub ms: u64,
}

/// How long each part of the session took, in milliseconds.
#[derive(Clone, Debug, Default, PartialEq, Eq, Serialize)]
#[non_exhaustive]
pub struct Timings {
    /// Starting Pyodide (or restoring its snapshot).
    pub start: u64,
    /// Installing the wheels and what they require.
    pub install: u64,
    /// Collecting the tests.
    pub collect: u64,
    /// Running them.
    pub run: u64,
}

/// What pytest did in one release.
#[derive(Clone, Debug, PartialEq, Eq, Serialize)]
#[non_exhaustive]
pub struct PytestReport {
    /// pytest's exit status.
    pub exit: i32,
    /// What it means: `passed`, `tests failed`, `interrupted`, `internal error`, `usage
    /// error`, `no tests collected`.
    pub status: String,
    /// How many tests it collected.
    pub collected: u64,
    /// How many ended each way.
    pub counts: Counts,
    /// Each test that failed or erred, and each file that could not be collected.
    pub failures: Vec<Failure>,
    /// The slowest tests, slowest first (at most ten).
    pub slowest: Vec<Slow>,
    /// How long each part took.
    pub timings: Timings,
    /// Every test, in the order run (for JUnit XML).
    pub tests: Vec<TestOutcome>,
}

impl PytestReport {
    /// Whether the tests passed: pytest said so (0), and something was collected.
    pub fn passed(&self) -> bool {
        self.exit == 0
    }
}

/// What pytest's exit status means.
pub fn meaning(exit: i32) -> &'static str {
    match exit {
        0 => "passed",
        1 => "tests failed",
        2 => "interrupted",
        3 => "internal error",
        4 => "usage error",
        5 => "no tests collected",
        _ => "unknown status",
    }
}

/// The report of pytest's outcome, with the run's start and install times.
pub fn report(outcome: &PytestOutcome, start: u64, install: u64) -> PytestReport {
    let mut counts = Counts::default();
    let mut failures: Vec<Failure> = Vec::new();
    for test in &outcome.tests {
        let bucket = match test.outcome.as_str() {
            "passed" => &mut counts.passed,
            "failed" => &mut counts.failed,
            "error" => &mut counts.errors,
            "skipped" => &mut counts.skipped,
            "xfailed" => &mut counts.xfailed,
            _ => &mut counts.xpassed,
        };
        *bucket += 1;
        if test.outcome == "failed" || test.outcome == "error" {
            failures.push(Failure {
                nodeid: test.nodeid.clone(),
                outcome: test.outcome.clone(),
                message: test.message.clone().unwrap_or_else(|| test.outcome.clone()),
                file: Some(test.file.clone()),
                line: test.line,
            });
        }
    }
    for CollectError { nodeid, message } in &outcome.collect_errors {
        counts.errors += 1;
        let file = nodeid.split("::").next().filter(|f| f.ends_with(".py")).map(str::to_string);
        let outcome = "collection error".to_string();
        failures.push(Failure { nodeid: nodeid.clone(), outcome, message: message.clone(), file, line: None });
    }
    let mut slowest: Vec<Slow> =
        outcome.tests.iter().map(|t| Slow { nodeid: t.nodeid.clone(), ms: t.ms }).filter(|s| s.ms > 0).collect();
    slowest.sort_by(|a, b| b.ms.cmp(&a.ms).then_with(|| a.nodeid.cmp(&b.nodeid)));
    slowest.truncate(10);
    PytestReport {
        exit: outcome.exit,
        status: meaning(outcome.exit).to_string(),
        collected: outcome.collected,
        counts,
        failures,
        slowest,
        timings: Timings { start, install, collect: outcome.collect_ms, run: outcome.run_ms },
        tests: outcome.tests.clone(),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn test(nodeid: &str, outcome: &str, ms: u64, message: Option<&str>) -> TestOutcome {
        TestOutcome {
            nodeid: nodeid.into(),
            outcome: outcome.into(),
            file: "tests/test_x.py".into(),
            line: Some(3),
            ms,
            message: message.map(String::from),
        }
    }

    #[test]
    fn the_report_counts_names_and_orders() {
        let outcome = PytestOutcome {
            exit: 1,
            collected: 5,
            tests: vec![
                test("a", "passed", 5, None),
                test("b", "failed", 9, Some("assert 1 == 2")),
                test("c", "skipped", 0, Some("no threads")),
                test("d", "xfailed", 1, None),
                test("e", "error", 2, Some("fixture 'x' not found")),
            ],
            collect_errors: vec![CollectError { nodeid: "tests/test_y.py".into(), message: "ImportError: z".into() }],
            collect_ms: 10,
            run_ms: 20,
            output: String::new(),
            ms: 40,
        };
        let report = report(&outcome, 300, 40);
        assert_eq!((report.counts.passed, report.counts.failed, report.counts.errors), (1, 1, 2));
        assert_eq!((report.counts.skipped, report.counts.xfailed, report.counts.xpassed), (1, 1, 0));
        assert_eq!(report.status, "tests failed");
        let failed: Vec<&str> = report.failures.iter().map(|f| f.nodeid.as_str()).collect();
        assert_eq!(failed, ["b", "e", "tests/test_y.py"]);
        assert_eq!(report.failures[2].file.as_deref(), Some("tests/test_y.py"));
        let slow: Vec<&str> = report.slowest.iter().map(|s| s.nodeid.as_str()).collect();
        assert_eq!(slow, ["b", "a", "e", "d"], "slowest first; none that took no time");
        assert_eq!(report.timings, Timings { start: 300, install: 40, collect: 10, run: 20 });
    }

    #[test]
    fn tests_keep_their_layout_relative_to_the_working_folder() {
        let dir = tempfile::tempdir().unwrap();
        let cwd = dir.path();
        std::fs::create_dir_all(cwd.join("tests/data/__pycache__")).unwrap();
        std::fs::write(cwd.join("conftest.py"), "x = 1").unwrap();
        std::fs::write(cwd.join("pyproject.toml"), "[tool.pytest.ini_options]").unwrap();
        std::fs::write(cwd.join("tests/test_a.py"), "def test_a(): pass").unwrap();
        std::fs::write(cwd.join("tests/data/input.txt"), "data").unwrap();
        std::fs::write(cwd.join("tests/data/__pycache__/x.pyc"), "no").unwrap();
        let options = PytestOptions::new(vec![PathBuf::from("tests")], vec!["-k".into(), "a".into()]);
        let staged = stage(&options, &[], cwd).unwrap();
        assert_eq!(staged.args[4..], ["tests", "-k", "a"]);
        let (_, bytes) = staged.archive.unwrap();
        let archive = zip::ZipArchive::new(std::io::Cursor::new(bytes)).unwrap();
        let mut names: Vec<String> = archive.file_names().map(|n| n.unwrap().into_owned()).collect();
        names.sort();
        assert_eq!(names, ["conftest.py", "pyproject.toml", "tests/data/input.txt", "tests/test_a.py"]);
        // A folder outside the working folder keeps its own name.
        let outside = tempfile::tempdir().unwrap();
        std::fs::create_dir_all(outside.path().join("suite")).unwrap();
        std::fs::write(outside.path().join("suite/test_b.py"), "").unwrap();
        let options = PytestOptions::new(vec![outside.path().join("suite")], Vec::new());
        assert_eq!(stage(&options, &[], cwd).unwrap().args.last().unwrap(), "suite");
    }
}
