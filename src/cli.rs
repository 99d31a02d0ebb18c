//! Command-line flags, and the wiring from each command to the library. Every flag is
//! documented here, in one place.

use std::path::PathBuf;
use std::process::ExitCode;

use clap::{Parser, Subcommand};
use rayon::prelude::*;

use wasmwheel::Error;
use wasmwheel::report::json::InputError;
use wasmwheel::report::{self, Format, WheelReport};

/// Audit, tag and repair Python wheels built for WebAssembly (Emscripten/Pyodide and WASI).
///
/// Exit status: 0 clean, 1 findings, 2 usage or input error.
#[derive(Debug, Parser)]
#[command(name = "wasmwheel", version, about, long_about = None)]
pub struct Cli {
    #[command(subcommand)]
    command: Command,
}

#[derive(Debug, Subcommand)]
enum Command {
    /// Show what is in wheels or bare .so/.wasm files: tags, binaries, imports, exports,
    /// dylink.0, build markers.
    Show {
        /// Wheels (.whl) or bare wasm/native binaries.
        #[arg(required = true)]
        files: Vec<PathBuf>,
        /// Output format.
        #[arg(long, value_enum, default_value_t)]
        format: Format,
        /// In text output, list every import and export.
        #[arg(short, long)]
        verbose: bool,
    },
}

/// Exit status for "no findings".
const CLEAN: u8 = 0;
/// Exit status for usage or input errors.
const INPUT_ERROR: u8 = 2;

/// Prints input errors on stderr, one line each; JSON output also lists them.
fn report_errors(errors: &[InputError]) {
    for e in errors {
        eprintln!("wasmwheel: error: {}: {}", e.path, e.message);
    }
}

fn input_error(e: Error) -> InputError {
    match e {
        Error::Input { path, message } => InputError { path, message },
        Error::Usage(message) => InputError { path: String::new(), message },
    }
}

/// Splits per-file results into reports and errors, keeping input order.
fn partition<T>(results: Vec<Result<T, Error>>) -> (Vec<T>, Vec<InputError>) {
    let mut ok = Vec::new();
    let mut errors = Vec::new();
    for r in results {
        match r {
            Ok(v) => ok.push(v),
            Err(e) => errors.push(input_error(e)),
        }
    }
    (ok, errors)
}

fn show(files: &[PathBuf], format: Format, verbose: bool) -> u8 {
    let results: Vec<Result<WheelReport, Error>> = files.par_iter().map(|f| wasmwheel::show::show(f)).collect();
    let (reports, errors) = partition(results);
    match format {
        Format::Json => print!("{}", report::json::render(&reports, &errors)),
        Format::Text => {
            for r in &reports {
                print!("{}", report::text::show(r, verbose));
            }
        }
    }
    report_errors(&errors);
    if errors.is_empty() { CLEAN } else { INPUT_ERROR }
}

/// Runs the parsed command line and returns the exit status.
pub fn run(cli: Cli) -> ExitCode {
    let status = match cli.command {
        Command::Show { files, format, verbose } => show(&files, format, verbose),
    };
    ExitCode::from(status)
}
