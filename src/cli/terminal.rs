//! Where the command line writes: reports to stdout through `io::Write`, errors and notes to
//! stderr, one line each. A closed pipe (`wasmwheel audit ... | head`) ends the output quietly;
//! it is neither a crash nor an error, and the exit status still reports the findings.

use std::fmt;
use std::io::{self, IsTerminal, Write};
use std::sync::Mutex;

use indicatif::{ProgressBar, ProgressStyle};
use wasmwheel::report::json::InputError;
use wasmwheel::{Error, Progress, ProgressEvent};

/// Writes a report to stdout through `render`. A reader that went away is not an error.
pub fn emit(render: impl FnOnce(&mut dyn Write) -> io::Result<()>) -> Result<(), Error> {
    let stdout = io::stdout();
    let mut out = io::BufWriter::new(stdout.lock());
    match render(&mut out).and_then(|()| out.flush()) {
        Err(e) if e.kind() != io::ErrorKind::BrokenPipe => Err(Error::Io { path: "<stdout>".into(), source: e }),
        _ => Ok(()),
    }
}

/// The most `-c -` reads from stdin.
const MAX_STDIN: u64 = 64 << 20;

/// What stdin holds, as text (for `-c -`), up to 64 MiB.
pub fn read_stdin(what: &str) -> Result<String, Error> {
    use std::io::Read;
    let mut bytes = Vec::new();
    let failed = |source| Error::Io { path: format!("<stdin> ({what})").into(), source };
    io::stdin().lock().take(MAX_STDIN + 1).read_to_end(&mut bytes).map_err(failed)?;
    if bytes.len() as u64 > MAX_STDIN {
        return Err(failed(io::Error::other(format!("more than {MAX_STDIN} bytes"))));
    }
    String::from_utf8(bytes).map_err(|e| failed(io::Error::new(io::ErrorKind::InvalidData, e)))
}

/// One line on stderr, prefixed `wasmwheel: `. A closed stderr is ignored: there is nowhere
/// left to say anything.
pub fn note(line: fmt::Arguments<'_>) {
    let _ = writeln!(io::stderr().lock(), "wasmwheel: {line}");
}

/// An error on stderr, on one line.
pub fn error(e: &Error) {
    note(format_args!("error: {}", wasmwheel::one_line(e)));
}

/// Input errors on stderr, one line each (JSON and GitHub output also list them).
pub fn input_errors(errors: &[InputError]) {
    for e in errors {
        note(format_args!("error: {}: {}", e.path, e.message));
    }
}

/// Progress on stderr: the lines a run prints as it runs (pytest's), each after its release
/// when several run; and, when stderr is a terminal, bars (many wheels: a count; a large
/// download: bytes).
pub fn progress() -> Progress {
    let terminal = io::stderr().is_terminal();
    let bars: Mutex<Vec<(String, ProgressBar)>> = Mutex::new(Vec::new());
    Progress::new(move |event| {
        let Ok(mut bars) = bars.lock() else { return };
        let (key, template, done, total, message) = match event {
            ProgressEvent::Output { source, line, .. } => {
                let print = || {
                    let mut err = io::stderr().lock();
                    let _ =
                        if source.is_empty() { writeln!(err, "{line}") } else { writeln!(err, "[{source}] {line}") };
                };
                match bars.first() {
                    Some((_, bar)) => bar.suspend(print),
                    None => print(),
                }
                return;
            }
            _ if !terminal => return,
            ProgressEvent::Wheels { done, total } if total > 4 => {
                ("wheels".to_string(), "{bar:40} {pos}/{len} wheels {elapsed}", done, total, String::new())
            }
            ProgressEvent::Download { name, done, total } => {
                (format!("download {name}"), "{msg} {bar:30} {bytes}/{total_bytes} {elapsed}", done, total, name.into())
            }
            _ => return,
        };
        let at = match bars.iter().position(|(k, _)| *k == key) {
            Some(at) => at,
            None => {
                let bar = ProgressBar::new(total);
                if let Ok(style) = ProgressStyle::with_template(template) {
                    bar.set_style(style);
                }
                bar.set_message(message);
                bars.push((key, bar));
                bars.len() - 1
            }
        };
        bars[at].1.set_position(done);
        if done >= total {
            bars.remove(at).1.finish_and_clear();
        }
    })
}
