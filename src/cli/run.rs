//! Each command handed to its one library function ([`wasmwheel::commands`]), what it returns
//! rendered, and the exit status it ends with.

use std::process::ExitCode;
use std::time::Duration;

use super::terminal::{self, emit};
use super::{
    AuditArgs, Cli, Command, LockArgs, PackArgs, PlaceArgs, PolicyCommand, RepairArgs, ResolveArgs, RuntimeArgs,
    TestArgs,
};
use wasmwheel::Imported;
use wasmwheel::commands::TestRequest;
use wasmwheel::commands::{self, AuditRequest, LockRequest, PackRequest, RepairRequest, Reports, RunOptions};
use wasmwheel::report::{self, ExitStatus, Format, WheelReport};
use wasmwheel::{Config, Error, ResolveOptions};
use wasmwheel::{TagChange, TagsOutcome as Outcome};

/// Runs the parsed command line and returns the exit status.
pub fn run(cli: Cli) -> ExitCode {
    let status = Config::load(cli.isolated)
        .map_err(Error::from)
        .and_then(|config| dispatch(cli.command, &config))
        .unwrap_or_else(|e| {
            terminal::error(&e);
            ExitStatus::Error
        });
    ExitCode::from(status.code())
}

fn dispatch(command: Command, config: &Config) -> Result<ExitStatus, Error> {
    match command {
        Command::Show { files, output, verbose } => {
            let shown = commands::show(&files, &terminal::progress());
            let text: TextRender = if verbose { report::text::show_verbose } else { report::text::show_brief };
            finish(&shown, output.format, text)
        }
        Command::Audit { wheels, audit: args, confirm, runtime, place: at, resolve, output } => {
            let mut request = audit_request(wheels, &args);
            request.confirm = confirm.then(|| {
                let mut run = run_options(&runtime);
                run.place = place(&at);
                run
            });
            request.resolve = resolve_options(resolve);
            let audited = commands::audit(&request, config)?;
            let status = finish(&audited, output.format, report::text::audit)?;
            // A confirming run that could not be made is no verdict: said, and exit 2.
            let mut not_run = false;
            for report in &audited.reports {
                for c in report.confirmed.iter().flatten() {
                    if let Some(why) = &c.not_run {
                        terminal::note(format_args!("error: {}: not run in Pyodide {}: {why}", report.path, c.pyodide));
                        not_run = true;
                    }
                }
            }
            Ok(if not_run { ExitStatus::Error } else { status })
        }
        Command::Check { files, audit: args, output } => {
            let checked = commands::check(&audit_request(files, &args), config)?;
            for sdist in &checked.skipped {
                terminal::note(format_args!(
                    "skipping {}: a source distribution (wasmwheel checks wheels)",
                    sdist.display()
                ));
            }
            finish(&checked.reports, output.format, report::text::audit)
        }
        Command::Test(args) => test(args, config),
        Command::Lock(args) => lock(args, config),
        Command::Pack(args) => pack(args, config),
        Command::Registry { variants, out_dir, name, package_version, output } => {
            let mut options = wasmwheel::RegistryOptions::new(name, variants);
            options.version = package_version;
            let made = commands::registry(&options, &out_dir)?;
            emit(|out| match output.format {
                Format::Json => report::json::render(out, "registries", std::slice::from_ref(&made), &[]),
                Format::Github => report::github::render_registry(out, &made),
                Format::Text => report::text::registry(out, &made),
            })?;
            Ok(ExitStatus::Clean)
        }
        Command::Repair(args) => repair(args, config),
        Command::Tags { wheel, python_tag, abi_tag, platform_tag, remove, wheel_dir } => {
            let change = TagChange { python: python_tag, abi: abi_tag, platform: platform_tag };
            let outcome = commands::tags(&wheel, &change, wheel_dir.as_deref(), remove)?;
            emit(|out| match outcome {
                Outcome::Unchanged => writeln!(out, "{}: tags unchanged, nothing written", wheel.display()),
                Outcome::Written(path) => writeln!(out, "{}", path.display()),
            })?;
            Ok(ExitStatus::Clean)
        }
        Command::Policy { command } => policy(command, config),
    }
}

/// What `audit` and `check` are asked, from their shared flags.
fn audit_request(files: Vec<std::path::PathBuf>, args: &AuditArgs) -> AuditRequest {
    let mut request = AuditRequest::new(files);
    request.progress = terminal::progress();
    request.platform = args.platform.clone();
    request.ignore = args.ignore.clone();
    request.policies = args.policies.policies.clone();
    request.prerelease = args.prerelease;
    request
}

/// How to run, from the runtime flags.
fn run_options(args: &RuntimeArgs) -> RunOptions {
    let mut run = RunOptions::default();
    run.offline = args.offline;
    run.timeout = Duration::from_secs(args.timeout);
    run.isolate = args.isolate;
    run
}

/// Where to run, from `--browser`.
fn place(args: &PlaceArgs) -> wasmwheel::Place {
    match args.browser {
        Some(super::BrowserArg::Chromium) => wasmwheel::Place::Chromium,
        None => wasmwheel::Place::Node,
    }
}

/// What to resolve, from the resolution flags.
fn resolve_options(args: ResolveArgs) -> ResolveOptions {
    let mut options = ResolveOptions::default();
    options.with = args.with;
    options.requirement_files = args.requirements;
    options.index_url = args.index_url;
    options.extra_index_urls = args.extra_index_url;
    options.find_links = args.find_links;
    options.no_index = args.no_index;
    options.pre = args.pre;
    options.release_url = args.release_url;
    options.http_timeout = args.http_timeout;
    options.from_index = args.from_index;
    options.progress = terminal::progress();
    options
}

/// A text rendering of one report.
type TextRender = fn(&mut dyn std::io::Write, &WheelReport) -> std::io::Result<()>;

/// Writes reports in `format`, input errors on stderr, and returns the exit status.
fn finish(reports: &Reports<WheelReport>, format: Format, text: TextRender) -> Result<ExitStatus, Error> {
    let (items, errors) = (&reports.reports, &reports.errors);
    emit(|out| match format {
        Format::Json => report::json::render(out, "wheels", items, errors),
        Format::Github => report::github::render(out, items, errors),
        Format::Text => items.iter().try_for_each(|r| text(out, r)),
    })?;
    terminal::input_errors(errors);
    Ok(ExitStatus::of(!errors.is_empty(), items.iter().any(WheelReport::has_errors)))
}

fn test(args: TestArgs, config: &Config) -> Result<ExitStatus, Error> {
    let mut request = TestRequest::default();
    if args.pytest {
        request.options.pytest = Some(wasmwheel::PytestOptions::new(Vec::new(), args.pytest_args));
    }
    request.add_inputs(&args.inputs)?;
    request.extras.extend(args.extras.into_iter().map(|extra| (None, extra)));
    request.groups = args.groups;
    request.junit_dir = args.junit_xml;
    request.progress = terminal::progress();
    request.options.releases = args.releases;
    request.options.imports = args.imports;
    request.options.code = match args.code {
        Some(code) if code == "-" => Some(terminal::read_stdin("-c -")?),
        code => code,
    };
    request.options.prerelease = args.prerelease;
    request.policies = args.policies.policies;
    request.run = run_options(&args.runtime);
    request.run.place = place(&args.place);
    request.resolve = resolve_options(args.resolve);
    let runs = commands::test(&request, config)?;
    emit(|out| match args.output.format {
        Format::Json => report::json::render(out, "tests", &runs, &[]),
        Format::Github => report::github::render_tests(out, &runs, &[]),
        Format::Text => runs.iter().try_for_each(|r| report::text::test_run(out, r)),
    })?;
    // A run that could not be made is no verdict: said, and exit 2; the others are reported.
    for run in &runs {
        if let Some(why) = &run.not_run {
            terminal::note(format_args!("error: not run in Pyodide {} ({}): {why}", run.pyodide, run.runtime));
        }
    }
    Ok(ExitStatus::of(runs.iter().any(|r| r.not_run.is_some()), runs.iter().any(|r| !r.ok)))
}

fn lock(args: LockArgs, config: &Config) -> Result<ExitStatus, Error> {
    let mut request = LockRequest::new(args.wheels, args.release, args.out_dir);
    request.options.base_url = args.base_url;
    request.options.release_url = args.resolve.release_url.clone();
    request.options.link = args.link;
    request.resolve = resolve_options(args.resolve);
    request.offline = args.offline;
    request.policies = args.policies.policies;
    let made = commands::lock(&request, config)?;
    emit(|out| match args.output.format {
        Format::Json => report::json::render(out, "locks", std::slice::from_ref(&made), &[]),
        Format::Github => report::github::render_lock(out, &made),
        Format::Text => report::text::lock(out, &made),
    })?;
    Ok(ExitStatus::of(false, !made.refused.is_empty()))
}

fn pack(args: PackArgs, config: &Config) -> Result<ExitStatus, Error> {
    let mut request = match (args.variant, args.entry) {
        // With --runtime every positional is a wheel.
        (true, first) => {
            let wheels = first.into_iter().chain(args.wheels).collect();
            let mut request = PackRequest::runtime(String::new(), wheels, args.release, args.out_dir);
            request.options.runtime = Some(wasmwheel::VariantOptions::new(args.smoke));
            request
        }
        (false, entry) => PackRequest::new(entry.unwrap_or_default(), args.wheels, args.release, args.out_dir),
    };
    request.options.keep = args.keep;
    request.options.name = args.name;
    request.options.version = args.package_version;
    request.options.release_url = args.resolve.release_url.clone();
    request.options.allow_failure = args.allow_failure;
    request.options.pyodide_url = args.pyodide_url;
    request.options.self_contained = args.self_contained;
    request.options.verify = args
        .verify
        .iter()
        .map(|v| match v {
            super::VerifyArg::Node => wasmwheel::Place::Node,
            super::VerifyArg::Chromium => wasmwheel::Place::Chromium,
        })
        .collect();
    request.resolve = resolve_options(args.resolve);
    request.policies = args.policies.policies;
    request.run = run_options(&args.runtime);
    let packed = commands::pack(&request, config)?;
    emit(|out| match args.output.format {
        Format::Json => report::json::render(out, "packs", std::slice::from_ref(&packed), &[]),
        Format::Github => report::github::render_pack(out, &packed),
        Format::Text => report::text::pack(out, &packed),
    })?;
    Ok(ExitStatus::of(false, packed.failed()))
}

fn repair(args: RepairArgs, config: &Config) -> Result<ExitStatus, Error> {
    let mut request = RepairRequest::new(args.wheels, args.wheel_dir);
    request.progress = terminal::progress();
    request.lib_dirs = args.lib_dirs;
    request.platform = args.platform;
    request.exclude = args.exclude;
    request.strip = args.strip;
    request.ignore = args.ignore;
    request.policies = args.policies.policies;
    let repaired = commands::repair(&request, config)?;
    let (repairs, errors) = (&repaired.reports, &repaired.errors);
    emit(|out| match args.output.format {
        Format::Json => report::json::render(out, "repairs", repairs, errors),
        Format::Github => report::github::render_repairs(out, repairs, errors),
        Format::Text => repairs.iter().try_for_each(|r| report::text::repair(out, r)),
    })?;
    terminal::input_errors(errors);
    Ok(ExitStatus::of(!errors.is_empty(), repairs.iter().any(|r| r.failed())))
}

fn policy(command: PolicyCommand, config: &Config) -> Result<ExitStatus, Error> {
    match command {
        PolicyCommand::List { policies } => {
            let set = config.policies(&policies.policies)?;
            emit(|out| report::text::policies(out, set.all()))?;
        }
        PolicyCommand::Show { name, policies } => {
            let found = commands::policy(&name, &policies.policies, config)?;
            emit(|out| {
                serde_json::to_writer_pretty(&mut *out, &found)?;
                writeln!(out)
            })?;
        }
        PolicyCommand::Import { releases, out_dir } => {
            let written: Vec<Imported> = commands::import_policies(&releases, &out_dir)?;
            emit(|out| report::text::imported(out, &written))?;
        }
    }
    Ok(ExitStatus::Clean)
}
