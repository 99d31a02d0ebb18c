//! Node.js, found on PATH, running the driver script embedded in the binary (`driver.js`) on a
//! job: which release, which wheels, what to import, what code to run. The driver answers with
//! one JSON result after a record separator on stdout.

use std::io::Read;
use std::path::{Path, PathBuf};
use std::process::{Command, Stdio};
use std::time::{Duration, Instant};

use serde::{Deserialize, Serialize};

/// The driver script.
const DRIVER: &str = include_str!("driver.js");
/// How an entry script is run (`__main__`, its exit status), for the driver and the
/// `run.mjs` of bundles alike.
pub const RUN_ENTRY: &str = include_str!("run_entry.py");
/// The oldest Node the driver (and Pyodide) run on.
const MIN_NODE: u32 = 18;

/// Why Node cannot run a job.
#[derive(Debug, thiserror::Error)]
pub enum NodeError {
    /// No `node` on PATH.
    #[error(
        "node is not on PATH: wasmwheel needs Node.js {MIN_NODE} or later to load wheels in Pyodide (https://nodejs.org)"
    )]
    Missing,
    /// A Node too old for Pyodide.
    #[error("node {0} is too old: wasmwheel needs Node.js {MIN_NODE} or later")]
    TooOld(String),
    /// Node could not be started.
    #[error("could not run node")]
    Spawn(#[source] std::io::Error),
    /// Node ran past the time limit and was stopped.
    #[error("node ran for more than {0} s and was stopped")]
    TimedOut(u64),
    /// Node ended without a result.
    #[error("node ended without a result (status {status}): {stderr}")]
    NoResult {
        /// Its exit status.
        status: String,
        /// The last line it wrote on stderr.
        stderr: String,
    },
    /// Pyodide itself failed to start.
    #[error("Pyodide did not start: {0}")]
    Fatal(String),
}

/// What the driver is asked to do.
#[derive(Clone, Debug, Default, Serialize)]
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
pub struct Unlinked {
    /// The library, relative to site-packages when it is there.
    pub library: String,
    /// The function imports nothing provides, sorted.
    pub unresolved: Vec<String>,
}

/// What the driver reports.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
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
    #[serde(default)]
    pub entry: Option<EntryOutcome>,
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

/// A Node.js of a version that runs Pyodide.
#[derive(Clone, Debug)]
pub struct Node {
    program: PathBuf,
}

/// `program` on PATH, if there.
fn on_path(program: &str) -> Option<PathBuf> {
    let paths = std::env::var_os("PATH")?;
    std::env::split_paths(&paths).map(|dir| dir.join(program)).find(|p| p.is_file())
}

impl Node {
    /// `node` on PATH, if it is Node 18 or later.
    pub fn find() -> Result<Node, NodeError> {
        let program = on_path(if cfg!(windows) { "node.exe" } else { "node" }).ok_or(NodeError::Missing)?;
        let out = Command::new(&program).arg("--version").output().map_err(NodeError::Spawn)?;
        let version = String::from_utf8_lossy(&out.stdout).trim().to_string();
        let major = version.trim_start_matches('v').split('.').next().and_then(|m| m.parse::<u32>().ok());
        match major {
            Some(m) if m >= MIN_NODE => Ok(Node { program }),
            _ => Err(NodeError::TooOld(version)),
        }
    }

    /// The program.
    pub fn program(&self) -> &Path {
        &self.program
    }

    /// Runs `job` in the driver; stops Node after `timeout`.
    pub fn run(&self, job: &Job, timeout: Duration) -> Result<Outcome, NodeError> {
        #[derive(Serialize)]
        struct Wire<'a> {
            #[serde(flatten)]
            job: &'a Job,
            runner: &'static str,
        }
        let job = serde_json::to_string(&Wire { job, runner: RUN_ENTRY }).map_err(|e| NodeError::Spawn(e.into()))?;
        let ran = self.run_script(&["-e".as_ref(), DRIVER.as_ref(), job.as_ref()], timeout)?;
        parse_result(&ran.stdout).ok_or_else(|| NodeError::NoResult {
            status: ran.status.to_string(),
            stderr: ran.stderr.lines().rev().find(|l| !l.trim().is_empty()).unwrap_or_default().trim().to_string(),
        })?
    }

    /// Runs `node ARGS...` with no stdin, its output captured; stops it after `timeout`.
    pub fn run_script(&self, args: &[&std::ffi::OsStr], timeout: Duration) -> Result<Ran, NodeError> {
        let mut child = Command::new(&self.program)
            .args(args)
            .stdin(Stdio::null())
            .stdout(Stdio::piped())
            .stderr(Stdio::piped())
            .spawn()
            .map_err(NodeError::Spawn)?;
        let read = |mut pipe: Box<dyn Read + Send>| {
            std::thread::spawn(move || {
                let mut text = Vec::new();
                let _ = pipe.read_to_end(&mut text);
                String::from_utf8_lossy(&text).into_owned()
            })
        };
        let stdout = child.stdout.take().map(|p| read(Box::new(p)));
        let stderr = child.stderr.take().map(|p| read(Box::new(p)));
        let deadline = Instant::now() + timeout;
        let status = loop {
            if let Some(status) = child.try_wait().map_err(NodeError::Spawn)? {
                break status;
            }
            if Instant::now() > deadline {
                let _ = child.kill();
                let _ = child.wait();
                return Err(NodeError::TimedOut(timeout.as_secs()));
            }
            std::thread::sleep(Duration::from_millis(20));
        };
        let stdout = stdout.and_then(|t| t.join().ok()).unwrap_or_default();
        let stderr = stderr.and_then(|t| t.join().ok()).unwrap_or_default();
        Ok(Ran { status, stdout, stderr })
    }
}

/// A finished Node process.
#[derive(Debug)]
pub struct Ran {
    /// How it exited.
    pub status: std::process::ExitStatus,
    /// What it wrote on stdout.
    pub stdout: String,
    /// What it wrote on stderr.
    pub stderr: String,
}

/// The driver's result: the JSON after the last record separator.
fn parse_result(stdout: &str) -> Option<Result<Outcome, NodeError>> {
    let json = stdout.rsplit('\u{1e}').next().filter(|_| stdout.contains('\u{1e}'))?.trim();
    #[derive(Deserialize)]
    struct Fatal {
        fatal: String,
    }
    if let Ok(fatal) = serde_json::from_str::<Fatal>(json) {
        return Some(Err(NodeError::Fatal(fatal.fatal)));
    }
    serde_json::from_str(json).ok().map(Ok)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn reads_the_result_after_the_separator() {
        let out = "Loading...\n\u{1e}{\"startup_ms\":1,\"install\":{\"ok\":true,\"error\":null,\"ms\":2},\"imports\":[],\"link\":[],\"code\":null}\n";
        assert_eq!(parse_result(out).unwrap().unwrap().startup_ms, 1);
        assert!(matches!(parse_result("\u{1e}{\"fatal\":\"boom\"}"), Some(Err(NodeError::Fatal(m))) if m == "boom"));
        assert!(parse_result("no separator").is_none());
    }
}
