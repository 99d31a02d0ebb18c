//! Sessions: one runtime process serving many jobs of one release, each in a fresh
//! interpreter (a memory snapshot restored, or a fresh start), instead of a process per job.
//! A host that has no sessions serves each job in a process of its own ([`PerJob`]).
//!
//! A session speaks the driver protocol over its stdin and stdout: the first message says the
//! release and the snapshot; each job carries an `id` its answer repeats. A session whose
//! process died, broke the protocol or ran past a job's time limit is stopped, and the job's
//! error is the runtime's; the pool starts another for the jobs that remain.

use std::io::{BufRead, BufReader, Write};
use std::path::PathBuf;
use std::process::{Child, ChildStdin, Command, Stdio};
use std::sync::mpsc::{self, Receiver, RecvTimeoutError};
use std::sync::{Arc, Mutex};
use std::time::Duration;

use super::protocol::{self, Job, Outcome, ProtocolError, Ready, SessionAnswer};
use super::{Host, RuntimeError};

/// Why a session could not serve a job.
#[derive(Debug, thiserror::Error)]
#[non_exhaustive]
pub enum SessionError {
    /// Its process could not be started.
    #[error("could not start the session")]
    Spawn(#[source] std::io::Error),
    /// It ran past the time limit and was stopped.
    #[error("the session ran for more than {0} s and was stopped")]
    TimedOut(u64),
    /// It ended without an answer.
    #[error("the session ended without a result (status {status}): {stderr}")]
    NoResult {
        /// Its exit status.
        status: String,
        /// The last line it wrote on stderr.
        stderr: String,
    },
    /// The job cannot be written for the driver.
    #[error("the job cannot be written")]
    Job(#[source] serde_json::Error),
    /// Its answer cannot be used.
    #[error(transparent)]
    Protocol(ProtocolError),
}

/// A runtime serving the jobs of one release.
pub trait Session: Send {
    /// Runs one job in a fresh interpreter; stops the session after `timeout`.
    fn run(&mut self, job: &Job, timeout: Duration) -> Result<Outcome, RuntimeError>;

    /// How it started (its snapshot), when it reports it.
    fn ready(&self) -> Option<&Ready> {
        None
    }
}

/// The session of a host without sessions: each job in a process of its own.
pub struct PerJob<'a, H: Host + ?Sized>(pub &'a H);

impl<H: Host + ?Sized> Session for PerJob<'_, H> {
    fn run(&mut self, job: &Job, timeout: Duration) -> Result<Outcome, RuntimeError> {
        self.0.run(job, timeout)
    }
}

/// What starting a session needs beside its release: how long a job may run, and where the
/// snapshots are kept (none: every job starts its release afresh).
#[derive(Clone, Debug)]
pub struct SessionContext {
    /// How long a session may take to start, and a job to run.
    pub timeout: Duration,
    /// The snapshots of the cache.
    pub snapshots: Option<super::snapshot::Snapshots>,
    /// How many sessions run at once; `None`: as many as the cores, at most four.
    pub workers: Option<usize>,
    /// Where the lines jobs stream go (their source: the release's version).
    pub progress: crate::progress::Progress,
    /// Whether those lines say which release printed them (several run).
    pub label_lines: bool,
}

impl SessionContext {
    /// What a session of `release` calls itself where its lines go: its version when several
    /// releases run, else nothing.
    pub fn label(&self, release: &crate::release::Release) -> String {
        if self.label_lines { release.version.clone() } else { String::new() }
    }
}

/// What a session process is asked to start with.
#[derive(Clone, Debug)]
pub struct SessionStart {
    /// The release folder it serves.
    pub release: PathBuf,
    /// Where its snapshot is, or is to be made.
    pub snapshot: Option<PathBuf>,
    /// Make the snapshot there (else read it); with no path, make it and keep it in memory.
    pub make_snapshot: bool,
    /// More fields for the first message (a browser session's settings).
    pub extra: serde_json::Map<String, serde_json::Value>,
    /// What the session is called where the lines its jobs stream go (`314.0.7`).
    pub label: String,
    /// Where those lines go.
    pub progress: crate::progress::Progress,
}

/// A driver process in session mode: its stdin, the answers read from its stdout, the end of
/// its stderr.
pub struct ProcessSession {
    child: Child,
    stdin: ChildStdin,
    answers: Receiver<String>,
    stderr: Arc<Mutex<String>>,
    next_id: u64,
    ready: Option<Ready>,
}

impl ProcessSession {
    /// Starts `program ARGS...` (the session driver), sends it `start` and waits for it to
    /// say it is ready (no longer than `timeout`).
    pub fn start(
        program: &std::path::Path,
        args: &[&std::ffi::OsStr],
        start: &SessionStart,
        timeout: Duration,
    ) -> Result<ProcessSession, SessionError> {
        let mut command = Command::new(program);
        command.args(args).stdin(Stdio::piped()).stdout(Stdio::piped()).stderr(Stdio::piped());
        #[cfg(unix)]
        std::os::unix::process::CommandExt::process_group(&mut command, 0);
        let mut child = command.spawn().map_err(SessionError::Spawn)?;
        let (Some(stdin), Some(stdout), Some(stderr_pipe)) =
            (child.stdin.take(), child.stdout.take(), child.stderr.take())
        else {
            return Err(SessionError::Spawn(std::io::Error::other("no pipes to the session")));
        };
        let (send, answers) = mpsc::channel();
        let (label, progress) = (start.label.clone(), start.progress.clone());
        std::thread::spawn(move || {
            for line in BufReader::new(stdout).lines() {
                let Ok(line) = line else { break };
                if let Some(streamed) = line.strip_prefix('\u{1f}') {
                    forward(&label, &progress, streamed);
                } else if let Some(answer) = line.strip_prefix('\u{1e}')
                    && send.send(answer.to_string()).is_err()
                {
                    break;
                }
            }
        });
        let stderr = Arc::new(Mutex::new(String::new()));
        let tail = stderr.clone();
        std::thread::spawn(move || {
            for line in BufReader::new(stderr_pipe).lines() {
                let Ok(line) = line else { break };
                if let Ok(mut tail) = tail.lock() {
                    if tail.len() > 4096 {
                        tail.clear();
                    }
                    tail.push_str(&line);
                    tail.push('\n');
                }
            }
        });
        let mut session = ProcessSession { child, stdin, answers, stderr, next_id: 1, ready: None };
        let mut hello: serde_json::Value = serde_json::from_str(&protocol::session_json(
            &start.release,
            start.snapshot.as_deref(),
            start.make_snapshot,
        ))
        .map_err(SessionError::Job)?;
        if let Some(fields) = hello.as_object_mut() {
            fields.extend(start.extra.clone());
        }
        let hello = hello.to_string();
        session.send(&hello)?;
        match session.receive(timeout)? {
            SessionAnswer::Ready(ready) => session.ready = Some(ready),
            SessionAnswer::Done(..) => return Err(SessionError::Protocol(ProtocolError::NoResult)),
        }
        Ok(session)
    }

    fn send(&mut self, line: &str) -> Result<(), SessionError> {
        let written = self.stdin.write_all(line.as_bytes()).and_then(|()| self.stdin.write_all(b"\n"));
        written.and_then(|()| self.stdin.flush()).map_err(|_| self.ended())
    }

    fn receive(&mut self, timeout: Duration) -> Result<SessionAnswer, SessionError> {
        match self.answers.recv_timeout(timeout) {
            Ok(line) => protocol::parse_session_answer(&line).map_err(SessionError::Protocol),
            Err(RecvTimeoutError::Timeout) => {
                self.stop();
                Err(SessionError::TimedOut(timeout.as_secs()))
            }
            Err(RecvTimeoutError::Disconnected) => Err(self.ended()),
        }
    }

    /// Why the session ended without an answer: its status, its last line on stderr.
    fn ended(&mut self) -> SessionError {
        let status = match self.child.try_wait() {
            Ok(Some(status)) => status.to_string(),
            _ => {
                self.stop();
                self.child.wait().map_or_else(|_| "unknown".into(), |s| s.to_string())
            }
        };
        let stderr = self.stderr.lock().map(|s| s.clone()).unwrap_or_default();
        let last = stderr.lines().rev().find(|l| !l.trim().is_empty()).unwrap_or_default().trim().to_string();
        SessionError::NoResult { status, stderr: last }
    }

    fn stop(&mut self) {
        super::process::stop_group(self.child.id());
        let _ = self.child.kill();
        let _ = self.child.wait();
    }
}

/// A line a job streamed (`{"id", "stream", "line"}`), to `progress`.
fn forward(label: &str, progress: &crate::progress::Progress, json: &str) {
    #[derive(serde::Deserialize)]
    struct Line {
        stream: String,
        line: String,
    }
    if let Ok(line) = serde_json::from_str::<Line>(json) {
        let event = crate::progress::Event::Output { source: label, stream: &line.stream, line: &line.line };
        progress.report(event);
    }
}

impl Session for ProcessSession {
    fn run(&mut self, job: &Job, timeout: Duration) -> Result<Outcome, RuntimeError> {
        let id = self.next_id;
        self.next_id += 1;
        let line = protocol::session_job_json(job, id).map_err(SessionError::Job)?;
        self.send(&line)?;
        loop {
            match self.receive(timeout)? {
                SessionAnswer::Done(answered, outcome) if answered == id => {
                    return (*outcome).map_err(|e| RuntimeError::Session(SessionError::Protocol(e)));
                }
                // An answer to another job (one that ran past its limit) is not this job's.
                _ => continue,
            }
        }
    }

    fn ready(&self) -> Option<&Ready> {
        self.ready.as_ref()
    }
}

impl Drop for ProcessSession {
    fn drop(&mut self) {
        self.stop();
    }
}
