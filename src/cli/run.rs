//! The wiring from each command to the library, and the exit status it ends with.

use std::path::PathBuf;
use std::process::ExitCode;

use std::time::Duration;

use rayon::prelude::*;

use super::output::{self, emit};
use super::{AuditArgs, Cli, Command, LockArgs, PackArgs, PolicyCommand, RepairArgs, RuntimeArgs, TestArgs};
use wasmwheel::Error;
use wasmwheel::audit::AuditOptions;
use wasmwheel::config::Config;
use wasmwheel::error::UsageError;
use wasmwheel::loading::{self, Runtime, TestOptions};
use wasmwheel::lock;
use wasmwheel::policy::{self, PolicySet};
use wasmwheel::pyodide::Sources;
use wasmwheel::repair::Repair;
use wasmwheel::report::json::InputError;
use wasmwheel::report::{self, ExitStatus, Format, WheelReport};
use wasmwheel::tags::{Outcome, TagChange};
use wasmwheel::wheel::Wheel;

/// Runs the parsed command line and returns the exit status.
pub fn run(cli: Cli) -> ExitCode {
    let status = config(cli.isolated).and_then(|config| dispatch(cli.command, &config)).unwrap_or_else(|e| {
        output::error(&e);
        ExitStatus::Error
    });
    ExitCode::from(status.code())
}

/// The project configuration, unless `--isolated`.
fn config(isolated: bool) -> Result<Config, Error> {
    if isolated {
        return Ok(Config::default());
    }
    let cwd = std::env::current_dir().map_err(|source| Error::Io { path: ".".into(), source })?;
    Config::discover(&cwd)
}

fn dispatch(command: Command, config: &Config) -> Result<ExitStatus, Error> {
    match command {
        Command::Show { files, format, verbose } => show(&files, format, verbose),
        Command::Audit { wheels, audit: args, confirm, runtime: flags, format } => {
            let runtime = if confirm { Some(runtime(&flags)?) } else { None };
            audit(&wheels, &args, format, wasmwheel::audit::audit, config, runtime.as_ref())
        }
        Command::Test(args) => test(&args, config),
        Command::Lock(args) => lock(&args, config),
        Command::Pack(args) => pack(&args, config),
        Command::Check { files, audit: args, format } => {
            let (sdists, wheels): (Vec<PathBuf>, Vec<PathBuf>) =
                files.into_iter().partition(|f| f.to_string_lossy().ends_with(".tar.gz"));
            for sdist in &sdists {
                output::note(format_args!(
                    "skipping {}: a source distribution (wasmwheel checks wheels)",
                    sdist.display()
                ));
            }
            audit(&wheels, &args, format, wasmwheel::check::check, config, None)
        }
        Command::Repair(args) => repair(&args, config),
        Command::Tags { wheel, python_tag, abi_tag, platform_tag, remove, wheel_dir } => {
            let change = TagChange { python: python_tag, abi: abi_tag, platform: platform_tag };
            let outcome = wasmwheel::tags::tags(&wheel, &change, wheel_dir.as_deref(), remove)?;
            emit(|out| match outcome {
                Outcome::Unchanged => writeln!(out, "{}: tags unchanged, nothing written", wheel.display()),
                Outcome::Written(path) => writeln!(out, "{}", path.display()),
            })?;
            Ok(ExitStatus::Clean)
        }
        Command::Policy { command } => policy(command, config),
    }
}

/// The user's policy files and the project's.
fn load_policies(flags: &[PathBuf], config: &Config) -> Result<PolicySet, Error> {
    let all: Vec<&PathBuf> = config.policies.iter().chain(flags).collect();
    PolicySet::load(&all)
}

/// Runs `work` on every input in parallel, in input order, with a progress bar on stderr when
/// there are many inputs and stderr is a terminal.
fn each<T: Sync, R: Send>(inputs: &[T], work: impl Fn(&T) -> R + Sync) -> Vec<R> {
    use std::io::IsTerminal;
    let bar = (inputs.len() > 4 && std::io::stderr().is_terminal()).then(|| {
        let bar = indicatif::ProgressBar::new(inputs.len() as u64);
        if let Ok(style) = indicatif::ProgressStyle::with_template("{bar:40} {pos}/{len} wheels {elapsed}") {
            bar.set_style(style);
        }
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
            Err(e) => errors.push(output::input_error(&e)),
        }
    }
    (ok, errors)
}

/// A text rendering of one report.
type TextRender = fn(&mut dyn std::io::Write, &WheelReport) -> std::io::Result<()>;

/// Writes reports in `format`, input errors on stderr, and returns the exit status.
fn finish(
    reports: &[WheelReport],
    errors: &[InputError],
    format: Format,
    text: TextRender,
) -> Result<ExitStatus, Error> {
    emit(|out| match format {
        Format::Json => report::json::render(out, "wheels", reports, errors),
        Format::Github => report::github::render(out, reports, errors),
        Format::Text => reports.iter().try_for_each(|r| text(out, r)),
    })?;
    output::input_errors(errors);
    Ok(ExitStatus::of(!errors.is_empty(), reports.iter().any(WheelReport::has_errors)))
}

fn show(files: &[PathBuf], format: Format, verbose: bool) -> Result<ExitStatus, Error> {
    let results = each(files, |f| wasmwheel::show::show(f));
    let (reports, errors) = partition(results);
    let text: TextRender = if verbose { report::text::show_verbose } else { report::text::show_brief };
    finish(&reports, &errors, format, text)
}

/// Node, the cache and the time limit, for the commands that load wheels in real Pyodide.
fn runtime(args: &RuntimeArgs) -> Result<Runtime, Error> {
    Runtime::new(args.offline, Duration::from_secs(args.timeout))
}

/// The analysis `audit` or `check` runs on each wheel.
type Analysis = fn(&Wheel, &PolicySet, &AuditOptions) -> wasmwheel::audit::Audit;

fn audit(
    wheels: &[PathBuf],
    args: &AuditArgs,
    format: Format,
    analysis: Analysis,
    config: &Config,
    confirm: Option<&Runtime>,
) -> Result<ExitStatus, Error> {
    let policies = load_policies(&args.policies, config)?;
    let options = args.options(config);
    if let Some(runtime) = confirm {
        return audit_confirmed(wheels, &policies, &options, format, runtime);
    }
    let results = each(wheels, |path| {
        let wheel = Wheel::open(path)?;
        Ok(WheelReport::audited(&wheel, analysis(&wheel, &policies, &options)))
    });
    let (reports, errors) = partition(results);
    finish(&reports, &errors, format, report::text::audit)
}

/// `audit --confirm`: the audits, then every wheel loaded in the release of each platform the
/// audit judged, all runs in one batch.
fn audit_confirmed(
    wheels: &[PathBuf],
    policies: &PolicySet,
    options: &AuditOptions,
    format: Format,
    runtime: &Runtime,
) -> Result<ExitStatus, Error> {
    let results = each(wheels, |path| {
        let wheel = Wheel::open(path)?;
        let audit = wasmwheel::audit::audit(&wheel, policies, options);
        Ok((wheel, audit))
    });
    let (audited, errors) = partition(results);
    let pairs: Vec<(&Wheel, &wasmwheel::audit::Audit)> = audited.iter().map(|(w, a)| (w, a)).collect();
    let confirmations = loading::confirm(&pairs, policies, runtime)?;
    let reports: Vec<WheelReport> = audited
        .into_iter()
        .zip(confirmations)
        .map(|((wheel, mut audit), confirmed)| {
            audit.findings.extend(loading::confirm_findings(&audit, &confirmed));
            wasmwheel::audit::sort_findings(&mut audit.findings);
            let mut report = WheelReport::audited(&wheel, audit);
            report.confirmed = Some(confirmed);
            report
        })
        .collect();
    finish(&reports, &errors, format, report::text::audit)
}

fn test(args: &TestArgs, config: &Config) -> Result<ExitStatus, Error> {
    let policies = load_policies(&args.policies, config)?;
    let options = TestOptions {
        releases: args.releases.clone(),
        imports: args.imports.clone(),
        code: args.code.clone(),
        prerelease: args.prerelease,
    };
    options.validate()?;
    let wheels = args.wheels.iter().map(|p| Wheel::open(p)).collect::<Result<Vec<_>, Error>>()?;
    let runtime = runtime(&args.runtime)?;
    let runs = loading::test(&wheels, &policies, &runtime, &options)?;
    emit(|out| match args.format {
        Format::Json => report::json::render(out, "tests", &runs, &[]),
        Format::Github => report::github::render_tests(out, &runs, &[]),
        Format::Text => runs.iter().try_for_each(|r| report::text::test_run(out, r)),
    })?;
    Ok(ExitStatus::of(false, runs.iter().any(|r| !r.ok)))
}

fn lock(args: &LockArgs, config: &Config) -> Result<ExitStatus, Error> {
    let policies = load_policies(&args.policies, config)?;
    let inputs = args.wheels.iter().map(|p| lock::Input::open(p)).collect::<Result<Vec<_>, Error>>()?;
    let sources = Sources::from_env(args.offline).map_err(|source| Error::Pyodide { what: "cache".into(), source })?;
    let release =
        sources.get(&args.release).map_err(|source| Error::Pyodide { what: args.release.to_string(), source })?;
    let options = lock::LockOptions { base_url: args.base_url.clone(), release_url: args.release_url.clone() };
    let mut made = lock::lock(&inputs, &policies, &release, &options)?;
    lock::write(&mut made, &inputs, &args.out_dir)?;
    emit(|out| match args.format {
        Format::Json => report::json::render(out, "locks", std::slice::from_ref(&made), &[]),
        Format::Github => report::github::render_lock(out, &made),
        Format::Text => report::text::lock(out, &made),
    })?;
    Ok(ExitStatus::of(false, !made.refused.is_empty()))
}

fn pack(args: &PackArgs, config: &Config) -> Result<ExitStatus, Error> {
    let policies = load_policies(&args.policies, config)?;
    let inputs = args.wheels.iter().map(|p| lock::Input::open(p)).collect::<Result<Vec<_>, Error>>()?;
    let runtime = runtime(&args.runtime)?;
    let release = runtime
        .sources
        .get(&args.release)
        .map_err(|source| Error::Pyodide { what: args.release.to_string(), source })?;
    let options = wasmwheel::pack::PackOptions {
        keep: args.keep.clone(),
        name: args.name.clone(),
        version: args.package_version.clone(),
        release_url: args.release_url.clone(),
    };
    let packed = wasmwheel::pack::pack(&args.entry, &inputs, &policies, &release, &runtime, &options, &args.out_dir)?;
    emit(|out| match args.format {
        Format::Json => report::json::render(out, "packs", std::slice::from_ref(&packed), &[]),
        Format::Github => report::github::render_pack(out, &packed),
        Format::Text => report::text::pack(out, &packed),
    })?;
    Ok(ExitStatus::of(false, packed.failed()))
}

fn repair(args: &RepairArgs, config: &Config) -> Result<ExitStatus, Error> {
    let policies = load_policies(&args.policies, config)?;
    let options = args.options(config)?;
    let results = each(&args.wheels, |w| wasmwheel::repair::repair(w, &args.wheel_dir, &policies, &options));
    let (repairs, errors) = partition(results);
    emit(|out| match args.format {
        Format::Json => report::json::render(out, "repairs", &repairs, &errors),
        Format::Github => report::github::render_repairs(out, &repairs, &errors),
        Format::Text => repairs.iter().try_for_each(|r| report::text::repair(out, r)),
    })?;
    output::input_errors(&errors);
    Ok(ExitStatus::of(!errors.is_empty(), repairs.iter().any(Repair::failed)))
}

fn policy(command: PolicyCommand, config: &Config) -> Result<ExitStatus, Error> {
    match command {
        PolicyCommand::List { policies } => {
            let set = load_policies(&policies, config)?;
            emit(|out| report::text::policies(out, set.all()))?;
        }
        PolicyCommand::Show { name, policies } => {
            let set = load_policies(&policies, config)?;
            let found = set.by_name(&name).ok_or(UsageError::NoPolicy(name))?;
            emit(|out| {
                serde_json::to_writer_pretty(&mut *out, &found.policy)?;
                writeln!(out)
            })?;
        }
        PolicyCommand::Import { releases, out_dir } => {
            // Write nothing unless every release imported.
            let imported = policy::import::import(&releases)?;
            let mut written = Vec::new();
            for p in &imported {
                written.push((policy::import::write(p, &out_dir)?, p));
            }
            emit(|out| {
                for (path, p) in &written {
                    let tags: Vec<&str> = p.platform_tags.iter().map(|t| t.as_str()).collect();
                    writeln!(
                        out,
                        "{}: {} ({} {}, Python {}, {} symbols)",
                        path.display(),
                        tags.join(", "),
                        p.source.runtime,
                        p.source.version,
                        p.python,
                        p.symbols.len()
                    )?;
                }
                Ok(())
            })?;
        }
    }
    Ok(ExitStatus::Clean)
}
