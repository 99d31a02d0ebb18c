//! Where the command line writes: reports to stdout through `io::Write`, errors and notes to
//! stderr, one line each. A closed pipe (`wasmwheel audit ... | head`) ends the output quietly;
//! it is neither a crash nor an error, and the exit status still reports the findings.

use std::fmt;
use std::io::{self, Write};

use wasmwheel::Error;
use wasmwheel::report::json::InputError;

/// Writes a report to stdout through `render`. A reader that went away is not an error.
pub fn emit(render: impl FnOnce(&mut dyn Write) -> io::Result<()>) -> Result<(), Error> {
    let stdout = io::stdout();
    let mut out = io::BufWriter::new(stdout.lock());
    match render(&mut out).and_then(|()| out.flush()) {
        Err(e) if e.kind() != io::ErrorKind::BrokenPipe => Err(Error::Io { path: "<stdout>".into(), source: e }),
        _ => Ok(()),
    }
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
