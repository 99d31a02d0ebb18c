//! Node.js, found on PATH, running the driver script embedded in the binary (`driver.js`) on a
//! job (see [`protocol`](super::protocol)): which release, which wheels, what to import, what
//! code to run. The driver answers with one JSON result after a record separator on stdout.

use std::path::{Path, PathBuf};
use std::process::Command;
use std::time::Duration;

use super::process::{Ran, Unfinished};
use super::protocol::{self, Job, Outcome, ProtocolError};
use super::session::{ProcessSession, Session, SessionContext, SessionError, SessionStart};
use super::snapshot::Snapshots;
use crate::hash::sha256_hex;
use crate::release::Release;

/// The driver script under Node: the driver, then what runs it there.
const DRIVER: &str = concat!(include_str!("driver.js"), "\n", include_str!("node_driver.js"));
/// The driver as a session under Node: the driver, then what serves jobs with it.
const SESSION: &str = concat!(include_str!("driver.js"), "\n", include_str!("node_session.js"));
/// The oldest Node the driver (and Pyodide) run on.
const MIN_NODE: u32 = 18;

/// Why Node cannot run a job.
#[derive(Debug, thiserror::Error)]
#[non_exhaustive]
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
    /// The job cannot be written for the driver.
    #[error("the job cannot be written")]
    Job(#[source] serde_json::Error),
    /// The driver's answer cannot be used.
    #[error(transparent)]
    Protocol(ProtocolError),
}

/// A Node.js of a version that runs Pyodide.
#[derive(Clone, Debug)]
pub struct Node {
    program: PathBuf,
    version: String,
}

impl Node {
    /// `node` on PATH, if it is Node 18 or later.
    pub fn find() -> Result<Node, NodeError> {
        let program =
            super::path::find(&[if cfg!(windows) { "node.exe" } else { "node" }]).ok_or(NodeError::Missing)?;
        let out = Command::new(&program).arg("--version").output().map_err(NodeError::Spawn)?;
        let version = String::from_utf8_lossy(&out.stdout).trim().to_string();
        let major = version.trim_start_matches('v').split('.').next().and_then(|m| m.parse::<u32>().ok());
        match major {
            Some(m) if m >= MIN_NODE => Ok(Node { program, version }),
            _ => Err(NodeError::TooOld(version)),
        }
    }

    /// The program.
    pub fn program(&self) -> &Path {
        &self.program
    }

    /// Its version (`v20.20.2`).
    pub fn version(&self) -> &str {
        &self.version
    }

    /// A session serving jobs of `release`: one Node process, each job in a fresh Pyodide
    /// restored from the release's snapshot (made the first time, kept in the cache).
    pub fn session(&self, release: &Release, cx: &SessionContext) -> Result<ProcessSession, SessionError> {
        let driver = protocol::embed(SESSION);
        let key = Snapshots::key(release, &format!("node {} {}", self.version, sha256_hex(driver.as_bytes())));
        let slot = cx.snapshots.as_ref().map(|s| (s, s.slot(&key)));
        let start = SessionStart {
            release: release.dir.clone(),
            snapshot: slot.as_ref().map(|(_, slot)| slot.path.clone()),
            make_snapshot: slot.as_ref().is_some_and(|(_, slot)| slot.make),
            extra: serde_json::Map::new(),
            label: cx.label(release),
            progress: cx.progress.clone(),
        };
        // One thread of V8's own per session: sessions run side by side on few cores, where
        // background compiling and collecting only compete with them (measured: a warm test
        // 25% faster on 2 cores).
        let args: [&std::ffi::OsStr; 4] =
            ["--single-threaded".as_ref(), "--expose-gc".as_ref(), "-e".as_ref(), driver.as_ref()];
        let session = ProcessSession::start(&self.program, &args, &start, cx.timeout)?;
        if let (Some((snapshots, slot)), Some(ready)) = (&slot, session.ready())
            && ready.snapshot == "made"
        {
            // A snapshot that cannot be recorded is made again next time.
            let _ = snapshots.record(&slot.path);
        }
        Ok(session)
    }

    /// Runs `job` in the driver; stops Node after `timeout`.
    pub fn run(&self, job: &Job, timeout: Duration) -> Result<Outcome, NodeError> {
        let job = protocol::job_json(job).map_err(NodeError::Job)?;
        let driver = protocol::embed(DRIVER);
        let ran = self.run_with_input(&["-e".as_ref(), driver.as_ref()], job.as_bytes(), timeout)?;
        match protocol::parse_answer(&ran.stdout) {
            Err(ProtocolError::NoResult) => {
                Err(NodeError::NoResult { status: ran.status.to_string(), stderr: ran.last_error_line() })
            }
            other => other.map_err(NodeError::Protocol),
        }
    }

    /// Starts a session of `program ARGS...` run by this Node (a browser's driver).
    pub fn start_session(
        &self,
        args: &[&std::ffi::OsStr],
        start: &SessionStart,
        timeout: Duration,
    ) -> Result<ProcessSession, SessionError> {
        ProcessSession::start(&self.program, args, start, timeout)
    }

    /// Runs `node ARGS...` with no stdin, its output captured; stops it after `timeout`.
    pub fn run_script(&self, args: &[&std::ffi::OsStr], timeout: Duration) -> Result<Ran, NodeError> {
        self.run_process(args, None, timeout)
    }

    /// Runs `node ARGS...` with `input` on its stdin, its output captured; stops it after
    /// `timeout`.
    pub fn run_with_input(&self, args: &[&std::ffi::OsStr], input: &[u8], timeout: Duration) -> Result<Ran, NodeError> {
        self.run_process(args, Some(input), timeout)
    }

    fn run_process(
        &self,
        args: &[&std::ffi::OsStr],
        input: Option<&[u8]>,
        timeout: Duration,
    ) -> Result<Ran, NodeError> {
        super::process::run(&self.program, args, input, timeout).map_err(|e| match e {
            Unfinished::Spawn(e) => NodeError::Spawn(e),
            Unfinished::TimedOut => NodeError::TimedOut(timeout.as_secs()),
        })
    }
}
