//! Running a runtime's program (Node, the WASI host's Python): the job written to its stdin
//! (never on its command line, where the system limits an argument's size), its output
//! captured, stopped after a time limit. On Unix it runs in a process group of its own, and the
//! whole group is stopped: a browser Node started is stopped with it.

use std::io::{Read, Write};
use std::path::Path;
use std::process::{Command, Stdio};
use std::time::{Duration, Instant};

/// A finished process.
#[derive(Debug)]
pub struct Ran {
    /// How it exited.
    pub status: std::process::ExitStatus,
    /// What it wrote on stdout.
    pub stdout: String,
    /// What it wrote on stderr.
    pub stderr: String,
}

impl Ran {
    /// The last line it wrote on stderr, trimmed.
    pub fn last_error_line(&self) -> String {
        self.stderr.lines().rev().find(|l| !l.trim().is_empty()).unwrap_or_default().trim().to_string()
    }
}

/// Why a process did not finish.
#[derive(Debug)]
pub enum Unfinished {
    /// It could not be started, or waited for.
    Spawn(std::io::Error),
    /// It ran past the limit and was stopped.
    TimedOut,
}

/// Runs `program ARGS...` with `input` on its stdin (none: no stdin); stops it (and what it
/// started) after `timeout`.
pub fn run(
    program: &Path,
    args: &[&std::ffi::OsStr],
    input: Option<&[u8]>,
    timeout: Duration,
) -> Result<Ran, Unfinished> {
    let mut command = Command::new(program);
    let stdin = if input.is_some() { Stdio::piped() } else { Stdio::null() };
    command.args(args).stdin(stdin).stdout(Stdio::piped()).stderr(Stdio::piped());
    #[cfg(unix)]
    std::os::unix::process::CommandExt::process_group(&mut command, 0);
    let mut child = command.spawn().map_err(Unfinished::Spawn)?;
    if let (Some(mut pipe), Some(input)) = (child.stdin.take(), input) {
        let input = input.to_vec();
        // A writer of its own: a program that stops reading cannot hold the run.
        std::thread::spawn(move || {
            let _ = pipe.write_all(&input);
        });
    }
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
        if let Some(status) = child.try_wait().map_err(Unfinished::Spawn)? {
            break status;
        }
        if Instant::now() > deadline {
            stop_group(child.id());
            let _ = child.kill();
            let _ = child.wait();
            return Err(Unfinished::TimedOut);
        }
        std::thread::sleep(Duration::from_millis(20));
    };
    let stdout = stdout.and_then(|t| t.join().ok()).unwrap_or_default();
    let stderr = stderr.and_then(|t| t.join().ok()).unwrap_or_default();
    Ok(Ran { status, stdout, stderr })
}

/// Stops the process group `id` leads (Unix), with `kill`: no unsafe code for a signal.
pub(super) fn stop_group(id: u32) {
    #[cfg(unix)]
    {
        let _ = Command::new("kill").args(["-KILL", "--", &format!("-{id}")]).stderr(Stdio::null()).status();
    }
    #[cfg(not(unix))]
    let _ = id;
}
