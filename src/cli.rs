//! Command-line flags, and the wiring from each command to the library. Every flag is
//! documented here, in one place.

use std::path::PathBuf;
use std::process::ExitCode;

use clap::{Parser, Subcommand};
use rayon::prelude::*;

use wasmwheel::Error;
use wasmwheel::audit::AuditOptions;
use wasmwheel::config::Config;
use wasmwheel::platform::PlatformTag;
use wasmwheel::policy::{self, PolicySet};
use wasmwheel::repair::{Repair, RepairOptions};
use wasmwheel::report::json::InputError;
use wasmwheel::report::{self, Format, WheelReport};
use wasmwheel::rules::Rule;
use wasmwheel::tags::{Outcome, TagChange};
use wasmwheel::wheel::Wheel;

/// Audit, tag and repair Python wheels built for WebAssembly (Emscripten/Pyodide and WASI).
///
/// Exit status: 0 clean, 1 findings, 2 usage or input error.
/// Settings come from `[tool.wasmwheel]` in the nearest pyproject.toml (see docs/config.md),
/// then from flags.
#[derive(Debug, Parser)]
#[command(name = "wasmwheel", version, about, long_about = None)]
pub struct Cli {
    #[command(subcommand)]
    command: Command,
    /// Ignore `[tool.wasmwheel]` in pyproject.toml.
    #[arg(long, global = true)]
    isolated: bool,
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
    /// Audit wheels: on which platforms can every binary load, and why not on the others?
    /// Exit 1 when any error is found.
    Audit {
        /// Wheels to audit (in parallel).
        #[arg(required = true)]
        wheels: Vec<PathBuf>,
        #[command(flatten)]
        audit: AuditArgs,
        /// Output format.
        #[arg(long, value_enum, default_value_t)]
        format: Format,
    },
    /// Check wheels before upload: everything `audit` reports, plus what PyPI rejects (filename
    /// against METADATA, platform tags, the zip archive, WHEEL, METADATA, RECORD). Exit 1 when
    /// any error is found. Source distributions are skipped.
    Check {
        /// Files to check (in parallel); `.tar.gz` source distributions are skipped.
        #[arg(required = true)]
        files: Vec<PathBuf>,
        #[command(flatten)]
        audit: AuditArgs,
        /// Output format.
        #[arg(long, value_enum, default_value_t)]
        format: Format,
    },
    /// Repair wheels: vendor the side modules they NEED into `<dist>.libs/` under hash-mangled
    /// names, rewrite NEEDED and RUNTIME_PATH, retag canonically, and write the result to
    /// `-w DIR` only if it passes the audit. For cibuildwheel:
    /// `repair-wheel-command = "wasmwheel repair -w {dest_dir} {wheel}"`.
    Repair(RepairArgs),
    /// Write a copy of a wheel with its tags changed (filename, WHEEL and RECORD), like
    /// `wheel tags`. Each value is `T.U` (replace), `+T.U` (add); `--platform-tag canonical`
    /// rewrites `pyodide_*` as `pyemscripten_*`.
    Tags {
        /// The wheel.
        wheel: PathBuf,
        /// New python tags.
        #[arg(long, value_name = "TAGS", allow_hyphen_values = true)]
        python_tag: Option<String>,
        /// New ABI tags.
        #[arg(long, value_name = "TAGS", allow_hyphen_values = true)]
        abi_tag: Option<String>,
        /// New platform tags, or `canonical`.
        #[arg(long, value_name = "TAGS", allow_hyphen_values = true)]
        platform_tag: Option<String>,
        /// Delete the input wheel once the new one is written.
        #[arg(long)]
        remove: bool,
        /// Folder for the new wheel (default: beside the input).
        #[arg(short = 'w', long = "wheel-dir", value_name = "DIR")]
        wheel_dir: Option<PathBuf>,
    },
    /// Platform policies: list them, show one, or generate one from a Pyodide release.
    Policy {
        #[command(subcommand)]
        command: PolicyCommand,
    },
}

/// Flags of `repair`.
#[derive(Debug, clap::Args)]
struct RepairArgs {
    /// Wheels to repair (in parallel).
    #[arg(required = true)]
    wheels: Vec<PathBuf>,
    /// Folder to write repaired wheels to.
    #[arg(short = 'w', long = "wheel-dir", value_name = "DIR", default_value = "wheelhouse")]
    wheel_dir: PathBuf,
    /// Folder to find NEEDED libraries in; repeatable, searched in order, then
    /// WASMWHEEL_LIBRARY_PATH (`:`-separated).
    #[arg(short = 'L', long = "lib-dir", value_name = "DIR")]
    lib_dirs: Vec<PathBuf>,
    /// Tag for this platform instead of the wheel's own (an error if the binaries cannot
    /// satisfy it).
    #[arg(long = "plat", value_name = "TAG")]
    platform: Option<PlatformTag>,
    /// Leave NEEDED libraries matching this glob alone; repeatable.
    #[arg(long = "exclude", value_name = "GLOB")]
    exclude: Vec<String>,
    /// Drop debug information and name sections from every wasm module.
    #[arg(long)]
    strip: bool,
    /// Ignore a rule when auditing the repaired wheel; repeatable.
    #[arg(long = "ignore", value_name = "RULE")]
    ignore: Vec<Rule>,
    /// Also load this policy file; repeatable.
    #[arg(long = "policy", value_name = "FILE")]
    policies: Vec<PathBuf>,
    /// Output format.
    #[arg(long, value_enum, default_value_t)]
    format: Format,
}

impl RepairArgs {
    fn options(&self, config: &Config) -> Result<RepairOptions, Error> {
        let mut lib_dirs = self.lib_dirs.clone();
        lib_dirs.extend(config.lib_dirs.iter().cloned());
        if let Some(paths) = std::env::var_os("WASMWHEEL_LIBRARY_PATH") {
            lib_dirs.extend(std::env::split_paths(&paths).filter(|p| !p.as_os_str().is_empty()));
        }
        let mut globs = globset::GlobSetBuilder::new();
        for pattern in &self.exclude {
            globs.add(globset::Glob::new(pattern).map_err(|e| Error::Usage(format!("--exclude {pattern}: {e}")))?);
        }
        let exclude = globs.build().map_err(|e| Error::Usage(e.to_string()))?;
        let platform = self.platform.clone().or_else(|| config.plat.clone());
        let ignore = self.ignore.iter().chain(&config.ignore).copied().collect();
        Ok(RepairOptions { lib_dirs, platform, exclude, strip: self.strip, ignore })
    }
}

/// Flags shared by the commands that audit.
#[derive(Debug, clap::Args)]
struct AuditArgs {
    /// Verify against this platform tag instead of the wheel's own platform tags.
    #[arg(long = "plat", value_name = "TAG")]
    platform: Option<PlatformTag>,
    /// Ignore a rule (by id, see spec/rules.md); repeatable.
    #[arg(long = "ignore", value_name = "RULE")]
    ignore: Vec<Rule>,
    /// Also load this policy file (a custom Pyodide build, another runtime); repeatable.
    #[arg(long = "policy", value_name = "FILE")]
    policies: Vec<PathBuf>,
}

impl AuditArgs {
    fn options(&self, config: &Config) -> AuditOptions {
        let ignore = self.ignore.iter().chain(&config.ignore).copied().collect();
        AuditOptions { platform: self.platform.clone(), ignore }
    }
}

/// The user's policy files and the project's.
fn load_policies(flags: &[PathBuf], config: &Config) -> Result<PolicySet, Error> {
    let all: Vec<&PathBuf> = config.policies.iter().chain(flags).collect();
    PolicySet::load(&all)
}

#[derive(Debug, Subcommand)]
enum PolicyCommand {
    /// List the known platforms.
    List {
        /// Also load these policy files (JSON, optionally gzip-compressed).
        #[arg(long = "policy", value_name = "FILE")]
        policies: Vec<PathBuf>,
    },
    /// Print one policy as JSON.
    Show {
        /// A policy name (`pyemscripten_2026_0`) or platform tag.
        name: String,
        /// Also load these policy files.
        #[arg(long = "policy", value_name = "FILE")]
        policies: Vec<PathBuf>,
    },
    /// Generate policies from releases: Pyodide distribution folders or npm tarballs
    /// (`npm pack pyodide@314.0.7`) for Emscripten, a componentize-py wheel for WASI.
    Import {
        /// Pyodide folders, `pyodide-<version>.tgz` files, or `componentize_py-*.whl`.
        #[arg(required = true)]
        releases: Vec<PathBuf>,
        /// Folder to write `<name>.json.gz` policy files to.
        #[arg(short = 'o', long, default_value = ".")]
        out_dir: PathBuf,
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

/// Runs `work` on every input in parallel, in input order, with a progress bar on stderr when
/// there are many inputs and stderr is a terminal.
fn each<T: Sync, R: Send>(inputs: &[T], work: impl Fn(&T) -> R + Sync) -> Vec<R> {
    use std::io::IsTerminal;
    let bar = (inputs.len() > 4 && std::io::stderr().is_terminal()).then(|| {
        let bar = indicatif::ProgressBar::new(inputs.len() as u64);
        bar.set_style(
            indicatif::ProgressStyle::with_template("{bar:40} {pos}/{len} wheels {elapsed}").expect("a valid template"),
        );
        bar
    });
    let results = inputs
        .par_iter()
        .map(|input| {
            let result = work(input);
            if let Some(bar) = &bar {
                bar.inc(1);
            }
            result
        })
        .collect();
    if let Some(bar) = bar {
        bar.finish_and_clear();
    }
    results
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
    let results = each(files, |f| wasmwheel::show::show(f));
    let (reports, errors) = partition(results);
    let text = if verbose { report::text::show_verbose } else { report::text::show_brief };
    finish(&reports, &errors, format, text)
}

/// Exit status for "findings".
const FINDINGS: u8 = 1;

/// Prints reports in `format` and returns the exit status: 2 if any input failed, else 1 if
/// any report has an error finding, else 0.
fn finish(reports: &[WheelReport], errors: &[InputError], format: Format, text: fn(&WheelReport) -> String) -> u8 {
    match format {
        Format::Json => print!("{}", report::json::render("wheels", reports, errors)),
        Format::Github => print!("{}", report::github::render(reports, errors)),
        Format::Text => {
            for r in reports {
                print!("{}", text(r));
            }
        }
    }
    report_errors(errors);
    if !errors.is_empty() {
        INPUT_ERROR
    } else if reports.iter().any(WheelReport::has_errors) {
        FINDINGS
    } else {
        CLEAN
    }
}

/// The analysis `audit` or `check` runs on each wheel.
type Analysis = fn(&Wheel, &PolicySet, &AuditOptions) -> wasmwheel::audit::Audit;

fn audit(
    wheels: &[PathBuf],
    args: &AuditArgs,
    format: Format,
    analysis: Analysis,
    config: &Config,
) -> Result<u8, Error> {
    let policies = load_policies(&args.policies, config)?;
    let options = args.options(config);
    let results = each(wheels, |path| {
        let wheel = Wheel::open(path)?;
        Ok(WheelReport::audited(&wheel, analysis(&wheel, &policies, &options)))
    });
    let (reports, errors) = partition(results);
    Ok(finish(&reports, &errors, format, report::text::audit))
}

fn repair(args: &RepairArgs, config: &Config) -> Result<u8, Error> {
    let policies = load_policies(&args.policies, config)?;
    let options = args.options(config)?;
    let results = each(&args.wheels, |w| wasmwheel::repair::repair(w, &args.wheel_dir, &policies, &options));
    let (repairs, errors) = partition(results);
    match args.format {
        Format::Json => print!("{}", report::json::render("repairs", &repairs, &errors)),
        Format::Github => print!("{}", report::github::render_repairs(&repairs, &errors)),
        Format::Text => repairs.iter().for_each(|r| print!("{}", report::text::repair(r))),
    }
    report_errors(&errors);
    Ok(if !errors.is_empty() {
        INPUT_ERROR
    } else if repairs.iter().any(Repair::failed) {
        FINDINGS
    } else {
        CLEAN
    })
}

fn policy(command: PolicyCommand, config: &Config) -> Result<u8, Error> {
    match command {
        PolicyCommand::List { policies } => {
            let set = load_policies(&policies, config)?;
            print!("{}", report::text::policies(set.all()));
        }
        PolicyCommand::Show { name, policies } => {
            let set = load_policies(&policies, config)?;
            let found = set.by_name(&name).ok_or_else(|| Error::Usage(format!("no policy called `{name}`")))?;
            println!("{}", serde_json::to_string_pretty(&found.policy).expect("policies serialize"));
        }
        PolicyCommand::Import { releases, out_dir } => {
            let imported: Vec<Result<_, Error>> = releases.par_iter().map(|r| policy::import::import(r)).collect();
            // Write nothing unless every release imported.
            let imported = imported.into_iter().collect::<Result<Vec<_>, Error>>()?;
            for p in &imported {
                let path = policy::import::write(p, &out_dir)?;
                println!(
                    "{}: {} ({} {}, Python {}, {} symbols)",
                    path.display(),
                    p.platform_tags.join(", "),
                    p.source.runtime,
                    p.source.version,
                    p.python,
                    p.symbols.len()
                );
            }
        }
    }
    Ok(CLEAN)
}

/// The project configuration, unless `--isolated`.
fn config(isolated: bool) -> Result<Config, Error> {
    if isolated {
        return Ok(Config::default());
    }
    let cwd = std::env::current_dir().map_err(|e| Error::input(".", e))?;
    Config::discover(&cwd)
}

/// Runs the parsed command line and returns the exit status.
pub fn run(cli: Cli) -> ExitCode {
    let status = config(cli.isolated).and_then(|config| dispatch(cli.command, &config)).unwrap_or_else(|e| {
        eprintln!("wasmwheel: error: {e}");
        INPUT_ERROR
    });
    ExitCode::from(status)
}

fn dispatch(command: Command, config: &Config) -> Result<u8, Error> {
    match command {
        Command::Show { files, format, verbose } => Ok(show(&files, format, verbose)),
        Command::Audit { wheels, audit: args, format } => {
            audit(&wheels, &args, format, wasmwheel::audit::audit, config)
        }
        Command::Check { files, audit: args, format } => {
            let (sdists, wheels): (Vec<PathBuf>, Vec<PathBuf>) =
                files.into_iter().partition(|f| f.to_string_lossy().ends_with(".tar.gz"));
            for sdist in &sdists {
                eprintln!("wasmwheel: skipping {}: a source distribution (wasmwheel checks wheels)", sdist.display());
            }
            audit(&wheels, &args, format, wasmwheel::check::check, config)
        }
        Command::Repair(args) => repair(&args, config),
        Command::Tags { wheel, python_tag, abi_tag, platform_tag, remove, wheel_dir } => {
            let change = TagChange { python: python_tag, abi: abi_tag, platform: platform_tag };
            wasmwheel::tags::tags(&wheel, &change, wheel_dir.as_deref(), remove).map(|outcome| {
                match outcome {
                    Outcome::Unchanged => println!("{}: tags unchanged, nothing written", wheel.display()),
                    Outcome::Written(path) => println!("{}", path.display()),
                }
                CLEAN
            })
        }
        Command::Policy { command } => policy(command, config),
    }
}
