//! The driver protocol: what wasmwheel asks a runtime to do with a release ([`Job`]) and what
//! the driver there answers ([`Outcome`]), both as JSON. The driver (`driver.js`) reads the
//! job as its one argument and prints one result after a record separator (U+001E) on stdout.
//! Both carry [`PROTOCOL_VERSION`]: a driver of another version is refused on either side,
//! and `spec/driver.schema.json` describes the messages (a test checks both sides against it).

use std::path::PathBuf;

use serde::{Deserialize, Serialize};

/// The version of the driver protocol. A change to [`Job`] or [`Outcome`] that a driver of
/// the previous version would misread bumps it (and `spec/driver.schema.json`). Version 2
/// added sessions: one driver serving many jobs, each answer carrying its job's `id`; version
/// 3 pytest jobs and lines streamed as they are printed.
pub const PROTOCOL_VERSION: u32 = 3;

/// What the driver is asked to do.
#[derive(Clone, Debug, Default, Serialize)]
#[non_exhaustive]
pub struct Job {
    /// The release folder.
    pub pyodide: PathBuf,
    /// Wheels to install together, with `loadPackage` of their files.
    pub wheels: Vec<PathBuf>,
    /// Instead of `wheels`: packages to load by name through a lock.
    pub lock: Option<LockJob>,
    /// Modules to import, in order.
    pub imports: Vec<String>,
    /// Code to run after the imports, its stdout kept.
    pub code: Option<String>,
    /// A script to run as `__main__` last, traced (see [`EntryOutcome`]).
    pub entry: Option<PathBuf>,
    /// pytest to run last (see [`PytestOutcome`]).
    pub pytest: Option<PytestJob>,
    /// Send each line the job prints as it comes (after a unit separator, U+001F).
    pub stream: bool,
}

/// pytest in the run: the tests (a zip in the run's folder, unpacked into the working
/// folder), the arguments, and the recorder that reports each test (`pytest_runner.py`).
#[derive(Clone, Debug, Default, Serialize)]
#[non_exhaustive]
pub struct PytestJob {
    /// The zip of the host's test folders, by file name in the run's folder.
    pub archive: Option<String>,
    /// Top-level modules whose package folders pytest collects (the tests wheels ship).
    pub packages: Vec<String>,
    /// pytest's arguments (the package folders go before them).
    pub args: Vec<String>,
    /// The Python that defines `_wasmwheel_pytest(packages, args)`.
    pub runner: String,
}

impl PytestJob {
    /// A pytest job: the tests in `archive` (if any) or those of `packages`, with `args`, run
    /// by `runner`.
    pub fn new(archive: Option<String>, packages: Vec<String>, args: Vec<String>, runner: String) -> PytestJob {
        PytestJob { archive, packages, args, runner }
    }
}

/// What happened to one test.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct TestOutcome {
    /// Its node id (`tests/test_x.py::test_y`).
    pub nodeid: String,
    /// `passed`, `failed`, `error` (its setup or teardown failed), `skipped`, `xfailed`,
    /// `xpassed`.
    pub outcome: String,
    /// Its file: relative to the working folder (the host's tests) or to site-packages (tests a
    /// wheel ships, `pkg/tests/test_x.py`), else absolute.
    pub file: String,
    /// The line it is defined on (from 1).
    pub line: Option<u64>,
    /// How long its setup, call and teardown took, in milliseconds.
    pub ms: u64,
    /// Why it failed, erred or was skipped, on one line.
    pub message: Option<String>,
}

/// A file or module pytest could not collect.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct CollectError {
    /// What it is.
    pub nodeid: String,
    /// Why, on one line.
    pub message: String,
}

/// What pytest did.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct PytestOutcome {
    /// pytest's exit status (0 passed, 1 tests failed, 2 interrupted, 3 internal error, 4 usage
    /// error, 5 no tests collected).
    pub exit: i32,
    /// How many tests it collected.
    pub collected: u64,
    /// Each test, in the order run.
    pub tests: Vec<TestOutcome>,
    /// What could not be collected.
    pub collect_errors: Vec<CollectError>,
    /// Collecting, in milliseconds.
    pub collect_ms: u64,
    /// Running the tests, in milliseconds.
    pub run_ms: u64,
    /// What pytest printed.
    pub output: String,
    /// The whole step, the tests unpacked, in milliseconds.
    pub ms: u64,
}

impl Job {
    /// A job that installs the staged set, then imports `imports` and runs `code`.
    pub fn install(set: &crate::lock::install_set::InstallSet, imports: Vec<String>, code: Option<String>) -> Job {
        Job {
            pyodide: set.release_dir().to_path_buf(),
            lock: Some(LockJob { dir: set.dir().to_path_buf(), packages: set.packages().to_vec() }),
            imports,
            code,
            ..Job::default()
        }
    }
}

/// Packages loaded through a `pyodide-lock.json` (`lockFileURL`, and `packageBaseUrl` its
/// folder: Pyodide 0.28 and later).
#[derive(Clone, Debug, Serialize)]
pub struct LockJob {
    /// The folder with `pyodide-lock.json` and the wheels it names relatively.
    pub dir: PathBuf,
    /// The packages to `loadPackage`, with their closure.
    pub packages: Vec<String>,
}

/// How the entry script ran, and what it touched.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
#[non_exhaustive]
pub struct EntryOutcome {
    /// Its exit status (SystemExit's code; 1 for an exception); `None` when Pyodide died.
    pub exit: Option<i32>,
    /// Why Pyodide died, if it did.
    pub error: Option<String>,
    /// What it printed, line by line.
    pub stdout: String,
    /// The last lines of its stderr.
    pub stderr: String,
    /// Where site-packages is.
    pub site_packages: String,
    /// Every file Python opened or imported (audit hooks and `sys.modules`), absolute.
    pub files: Vec<String>,
    /// Every file the file system opened (Python's and native code's), absolute.
    pub opened: Vec<String>,
    /// Libraries the loader loaded while it ran.
    pub loaded: Vec<String>,
    /// How long it ran, in milliseconds.
    pub ms: u64,
}

/// One step's outcome.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Step {
    /// Whether it worked.
    pub ok: bool,
    /// If not, why, on one line.
    pub error: Option<String>,
    /// How long it took, in milliseconds.
    pub ms: u64,
}

/// One import's outcome.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct ImportOutcome {
    /// The module.
    pub module: String,
    /// Whether it imported.
    pub ok: bool,
    /// If not, the Python exception or loading error, on one line.
    pub error: Option<String>,
    /// How long it took, in milliseconds.
    pub ms: u64,
}

/// The code's outcome.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct CodeOutcome {
    /// Whether it ran without raising.
    pub ok: bool,
    /// If not, the exception, on one line.
    pub error: Option<String>,
    /// What it printed.
    pub stdout: String,
    /// How long it took, in milliseconds.
    pub ms: u64,
}

/// A side module loaded in the run whose function imports the loader cannot resolve: the
/// module imports, but calling one of them fails ("Dynamic linking error: cannot resolve
/// symbol"), as Emscripten binds function imports lazily.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Unlinked {
    /// The library, relative to site-packages when it is there.
    pub library: String,
    /// The function imports nothing provides, sorted.
    pub unresolved: Vec<String>,
}

/// What the driver reports.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
#[non_exhaustive]
pub struct Outcome {
    /// Loading Pyodide, in milliseconds.
    pub startup_ms: u64,
    /// Installing the wheels.
    pub install: Step,
    /// Each import.
    pub imports: Vec<ImportOutcome>,
    /// Side modules loaded by the installs and imports with function imports nothing provides.
    pub link: Vec<Unlinked>,
    /// The code, if any was given.
    pub code: Option<CodeOutcome>,
    /// The entry script, if one was given.
    pub entry: Option<EntryOutcome>,
    /// pytest, if it was asked for.
    pub pytest: Option<PytestOutcome>,
}

impl Outcome {
    /// A run that Node could not finish: a failed install, saying why.
    pub fn failed(error: String) -> Outcome {
        Outcome {
            startup_ms: 0,
            install: Step { ok: false, error: Some(error), ms: 0 },
            imports: Vec::new(),
            link: Vec::new(),
            code: None,
            entry: None,
            pytest: None,
        }
    }

    /// Whether it installed and the first import that failed raised `ModuleNotFoundError`.
    pub fn module_not_found(&self) -> bool {
        let failed = self.imports.iter().find(|i| !i.ok);
        self.install.ok
            && failed.is_some_and(|i| i.error.as_deref().is_some_and(|e| e.starts_with("ModuleNotFoundError")))
    }

    /// The first thing that failed, on one line: the install, an import, a side module whose
    /// function imports do not all resolve, or the code. `None` when all worked.
    pub fn failure(&self) -> Option<String> {
        let install = self.install.error.as_ref().map(|e| format!("install failed: {e}"));
        let import = || {
            let failed = self.imports.iter().find(|i| !i.ok)?;
            Some(format!("import {}: {}", failed.module, failed.error.as_deref().unwrap_or("failed")))
        };
        let link = || {
            let unlinked = self.link.first()?;
            Some(format!("{}: cannot resolve {}", unlinked.library, unlinked.unresolved.join(", ")))
        };
        let code = || {
            let code = self.code.as_ref().filter(|c| !c.ok)?;
            Some(format!("code: {}", code.error.as_deref().unwrap_or("failed")))
        };
        let failed = !self.install.ok || self.imports.iter().any(|i| !i.ok);
        install.or_else(import).or_else(link).or_else(code).or_else(|| failed.then(|| "install failed".to_string()))
    }
}

/// Why the driver's answer cannot be used.
#[derive(Debug, thiserror::Error)]
#[non_exhaustive]
pub enum ProtocolError {
    /// No record separator, or no JSON after it.
    #[error("the driver printed no result")]
    NoResult,
    /// JSON that is not a result of this protocol.
    #[error("the driver's result is not protocol {PROTOCOL_VERSION}")]
    Malformed(#[source] serde_json::Error),
    /// A driver of another protocol version.
    #[error("the driver speaks protocol {0}, wasmwheel {PROTOCOL_VERSION}")]
    Version(u32),
    /// Pyodide itself failed to start.
    #[error("Pyodide did not start: {0}")]
    Fatal(String),
}

/// What the driver prints after the record separator: its protocol version, and either the
/// outcome or why Pyodide did not start; in a session, the job's `id`, or `ready` once the
/// session has started.
#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
struct Answer {
    #[serde(default)]
    protocol: u32,
    #[serde(default)]
    id: Option<u64>,
    #[serde(default)]
    ready: Option<Ready>,
    #[serde(default)]
    result: Option<serde_json::Value>,
    #[serde(default)]
    fatal: Option<String>,
}

/// How a session started: its snapshot (`made`, `loaded`, or `none` and why), how long it
/// took.
#[derive(Clone, Debug, PartialEq, Eq, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Ready {
    /// What became of the snapshot.
    pub snapshot: String,
    /// How long the start took, in milliseconds.
    pub ms: u64,
}

/// One answer of a session: `ready`, or a job's outcome by its id.
#[derive(Debug)]
pub enum SessionAnswer {
    /// The session started.
    Ready(Ready),
    /// The job `id` ended: its outcome, or why it could not run.
    Done(u64, Box<Result<Outcome, ProtocolError>>),
}

/// One line of a session's stdout after a record separator.
pub fn parse_session_answer(json: &str) -> Result<SessionAnswer, ProtocolError> {
    let answer: Answer = serde_json::from_str(json.trim()).map_err(ProtocolError::Malformed)?;
    if answer.protocol != PROTOCOL_VERSION {
        return Err(ProtocolError::Version(answer.protocol));
    }
    match (answer.ready, answer.id, answer.result, answer.fatal) {
        (Some(ready), None, None, None) => Ok(SessionAnswer::Ready(ready)),
        (None, Some(id), _, Some(fatal)) => Ok(SessionAnswer::Done(id, Box::new(Err(ProtocolError::Fatal(fatal))))),
        (None, Some(id), Some(result), None) => {
            Ok(SessionAnswer::Done(id, Box::new(serde_json::from_value(result).map_err(ProtocolError::Malformed))))
        }
        (None, None, None, Some(fatal)) => Err(ProtocolError::Fatal(fatal)),
        _ => Err(ProtocolError::NoResult),
    }
}

/// The driver's result: the JSON after the last record separator.
pub fn parse_answer(stdout: &str) -> Result<Outcome, ProtocolError> {
    let (_, json) = stdout.rsplit_once('\u{1e}').ok_or(ProtocolError::NoResult)?;
    let json = json.trim();
    if json.is_empty() {
        return Err(ProtocolError::NoResult);
    }
    let answer: Answer = serde_json::from_str(json).map_err(ProtocolError::Malformed)?;
    if answer.protocol != PROTOCOL_VERSION {
        return Err(ProtocolError::Version(answer.protocol));
    }
    match (answer.result, answer.fatal) {
        (_, Some(fatal)) => Err(ProtocolError::Fatal(fatal)),
        (Some(result), None) => serde_json::from_value(result).map_err(ProtocolError::Malformed),
        (None, None) => Err(ProtocolError::NoResult),
    }
}

/// The job as the driver reads it: the job, the protocol version, and the entry runner.
pub fn job_json(job: &Job) -> Result<String, serde_json::Error> {
    wire(job, None)
}

/// The job as a session reads it: [`job_json`] with the `id` its answer will carry.
pub fn session_job_json(job: &Job, id: u64) -> Result<String, serde_json::Error> {
    wire(job, Some(id))
}

fn wire(job: &Job, id: Option<u64>) -> Result<String, serde_json::Error> {
    #[derive(Serialize)]
    struct Wire<'a> {
        protocol: u32,
        #[serde(skip_serializing_if = "Option::is_none")]
        id: Option<u64>,
        #[serde(flatten)]
        job: &'a Job,
        runner: &'static str,
    }
    serde_json::to_string(&Wire { protocol: PROTOCOL_VERSION, id, job, runner: RUN_ENTRY })
}

/// The first message of a session: the release it serves, and its snapshot (made there when
/// `make`, else read from there; none: every job starts Pyodide afresh).
pub fn session_json(release: &std::path::Path, snapshot: Option<&std::path::Path>, make: bool) -> String {
    serde_json::json!({
        "protocol": PROTOCOL_VERSION,
        "session": {"release": release, "snapshot": snapshot, "make_snapshot": make},
    })
    .to_string()
}

/// What the drivers say where the protocol version goes; [`embed`] writes it in.
const VERSION_MARK: &str = "__WASMWHEEL_PROTOCOL__";

/// A driver's source as it is run: [`PROTOCOL_VERSION`] written where it says
/// `__WASMWHEEL_PROTOCOL__`, so the version is stated in one place.
pub fn embed(source: &str) -> String {
    source.replace(VERSION_MARK, &PROTOCOL_VERSION.to_string())
}

/// The drivers as wasmwheel embeds them, by file name (`driver.js` and `node_driver.js` run
/// together under Node; `browser.js` under Node drives the page, which runs `driver.js`;
/// `wasi_driver.py` in the WASI host's Python): for the test that checks their syntax.
#[doc(hidden)]
pub fn drivers() -> Vec<(&'static str, String)> {
    vec![
        ("driver.js + node_driver.js", embed(concat!(include_str!("driver.js"), "\n", include_str!("node_driver.js")))),
        (
            "driver.js + node_session.js",
            embed(concat!(include_str!("driver.js"), "\n", include_str!("node_session.js"))),
        ),
        ("browser.js", embed(include_str!("browser.js"))),
        ("driver.js", embed(include_str!("driver.js"))),
        ("wasi_driver.py", embed(include_str!("wasi_driver.py"))),
        ("run_entry.py", RUN_ENTRY.to_string()),
    ]
}

/// How an entry script is run (`__main__`, its exit status), for the driver and the
/// `run.mjs` of bundles alike.
pub const RUN_ENTRY: &str = include_str!("run_entry.py");

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn reads_the_result_after_the_separator() {
        let out = "Loading...\n\u{1e}{\"protocol\":3,\"result\":{\"startup_ms\":1,\"install\":{\"ok\":true,\"error\":null,\"ms\":2},\"imports\":[],\"link\":[],\"code\":null,\"entry\":null}}\n";
        assert_eq!(parse_answer(out).unwrap().startup_ms, 1);
        let fatal = parse_answer("\u{1e}{\"protocol\":3,\"fatal\":\"boom\"}");
        assert!(matches!(fatal, Err(ProtocolError::Fatal(m)) if m == "boom"));
        assert!(matches!(parse_answer("no separator"), Err(ProtocolError::NoResult)));
        assert!(matches!(parse_answer("\u{1e}{\"fatal\":\"x\"}"), Err(ProtocolError::Version(0))), "unversioned");
        assert!(matches!(parse_answer("\u{1e}{\"protocol\":4,\"fatal\":\"x\"}"), Err(ProtocolError::Version(4))));
        let extra = "\u{1e}{\"protocol\":3,\"result\":{\"startup_ms\":1,\"install\":{\"ok\":true,\"error\":null,\"ms\":2},\"imports\":[],\"link\":[],\"code\":null,\"entry\":null,\"new\":1}}";
        assert!(matches!(parse_answer(extra), Err(ProtocolError::Malformed(_))), "a field wasmwheel does not know");
    }
}
