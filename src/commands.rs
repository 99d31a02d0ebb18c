//! The boundary the command line calls: one function per command, taking what the user asked
//! (flags merged with `[tool.wasmwheel]`) and returning the data the command reports. Errors
//! here are the crate-wide [`Error`], which names the file each one is about.
//!
//! ```no_run
//! use wasmwheel::commands::{self, AuditRequest};
//! use wasmwheel::Config;
//!
//! let config = Config::load(false)?;
//! let request = AuditRequest::new(vec!["dist/pkg-1.0-cp314-cp314-pyemscripten_2026_0_wasm32.whl".into()]);
//! let audited = commands::audit(&request, &config)?;
//! for report in &audited.reports {
//!     println!("{}: {:?}", report.filename, report.compatible_platforms);
//! }
//! # Ok::<(), wasmwheel::Error>(())
//! ```

use std::path::{Path, PathBuf};
use std::time::Duration;

use rayon::prelude::*;

use crate::audit::{self, Audit, AuditOptions};
use crate::config::Config;
use crate::error::{Error, UsageError};
use crate::lock::{self, Lock, LockOptions};
use crate::pack::{self, Pack, PackInput, PackOptions};
use crate::platform::{Family, PlatformTag};
use crate::policy::import::Imported;
use crate::policy::{self, Policy, PolicySet};
use crate::progress::{Event, Progress};
use crate::release::{Release, ReleaseSpec, Sources};
use crate::repair::{self, Repair, RepairOptions};
use crate::report::WheelReport;
use crate::report::json::InputError;
use crate::resolve::{self, Plan, Request, ResolveOptions, Target};
use crate::retag::{self, TagChange};
use crate::rules::Rule;
use crate::run::{self, ReleaseRun, TestOptions};
use crate::runtime::{Place, Runtime, RuntimeError};
use crate::wheel::Wheel;
use crate::wheel::WheelBytes;

/// Reads each wheel once, with its bytes; two of one distribution are an error (an install
/// holds one).
fn open_all(paths: &[PathBuf]) -> Result<Vec<WheelBytes>, Error> {
    let wheels = paths.iter().map(|p| open_bytes(p)).collect::<Result<Vec<_>, _>>()?;
    lock::distinct(&wheels)?;
    Ok(wheels)
}

/// The plan of a resolution: `--with`, `-r` and the sources, with `offline` from the run.
fn plan(options: &ResolveOptions, offline: bool) -> Result<Plan, Error> {
    let mut options = options.clone();
    options.offline |= offline;
    Ok(Plan::new(&options)?)
}

/// Reports of a command over many files, in input order, and the files it could not read.
#[derive(Debug)]
#[non_exhaustive]
pub struct Reports<T> {
    /// One report per file that could be read.
    pub reports: Vec<T>,
    /// The files that could not be read, and why.
    pub errors: Vec<InputError>,
}

impl<T> Reports<T> {
    fn of(results: Vec<Result<T, Error>>) -> Reports<T> {
        let mut reports = Vec::new();
        let mut errors = Vec::new();
        for result in results {
            match result {
                Ok(report) => reports.push(report),
                Err(e) => errors.push(InputError { path: e.path().unwrap_or_default(), message: e.message() }),
            }
        }
        Reports { reports, errors }
    }
}

/// Runs `work` on every input in parallel, in input order, reporting each one done to
/// `progress`.
fn each<T: Sync, R: Send>(inputs: &[T], progress: &Progress, work: impl Fn(&T) -> R + Sync) -> Vec<R> {
    let total = inputs.len() as u64;
    let done = std::sync::atomic::AtomicU64::new(0);
    inputs
        .par_iter()
        .map(|input| {
            let result = work(input);
            let done = done.fetch_add(1, std::sync::atomic::Ordering::Relaxed) + 1;
            progress.report(Event::Wheels { done, total });
            result
        })
        .collect()
}

/// Reads a wheel with its bytes, naming it in the error.
fn open_bytes(path: &Path) -> Result<WheelBytes, Error> {
    WheelBytes::open(path).map_err(|source| Error::Wheel { path: path.display().to_string(), source })
}

/// Opens a wheel, naming it in the error.
fn open(path: &Path) -> Result<Wheel, Error> {
    Wheel::open(path).map_err(|source| Error::Wheel { path: path.display().to_string(), source })
}

/// `show`: what is in each wheel or bare binary.
pub fn show(files: &[PathBuf], progress: &Progress) -> Reports<WheelReport> {
    Reports::of(each(files, progress, |f| {
        crate::show::show(f).map_err(|e| match e {
            crate::show::ShowError::Wheel(source) => Error::Wheel { path: f.display().to_string(), source },
            crate::show::ShowError::Binary(source) => Error::Binary { path: f.display().to_string(), source },
        })
    }))
}

/// How to load wheels in real runtimes: from flags.
#[derive(Clone, Debug)]
#[non_exhaustive]
pub struct RunOptions {
    /// Never fetch: use only the cache.
    pub offline: bool,
    /// The longest one release may run.
    pub timeout: Duration,
    /// Where to run: Node (the default) or a browser.
    pub place: Place,
    /// A process of its own for every run (`--isolate`), not a session per release.
    pub isolate: bool,
}

impl Default for RunOptions {
    fn default() -> Self {
        RunOptions { offline: false, timeout: Duration::from_secs(300), place: Place::Node, isolate: false }
    }
}

/// What `audit` and `check` are asked.
#[derive(Clone, Debug, Default)]
#[non_exhaustive]
pub struct AuditRequest {
    /// The wheels (for `check`, source distributions too: they are skipped).
    pub files: Vec<PathBuf>,
    /// Verify against this platform instead of the wheels' own tags.
    pub platform: Option<PlatformTag>,
    /// Rules to ignore, beside the project's.
    pub ignore: Vec<Rule>,
    /// Policy files to load beside the project's.
    pub policies: Vec<PathBuf>,
    /// Count prerelease platforms.
    pub prerelease: bool,
    /// Confirm the verdicts by loading the wheels (`audit --confirm`).
    pub confirm: Option<RunOptions>,
    /// What the confirming runs install beside each wheel, and from where.
    pub resolve: ResolveOptions,
    /// Where progress goes.
    pub progress: Progress,
}

impl AuditRequest {
    /// An audit of `files` with no other option.
    pub fn new(files: Vec<PathBuf>) -> AuditRequest {
        AuditRequest { files, ..AuditRequest::default() }
    }

    fn options(&self, config: &Config) -> AuditOptions {
        let ignore = self.ignore.iter().chain(&config.ignore).copied().collect();
        AuditOptions { platform: self.platform.clone(), ignore, prerelease: self.prerelease }
    }
}

/// `audit`: every wheel's verdicts; with `confirm`, checked against real loading.
pub fn audit(request: &AuditRequest, config: &Config) -> Result<Reports<WheelReport>, Error> {
    let policies = config.policies(&request.policies)?;
    let options = request.options(config);
    if let Some(run) = &request.confirm {
        let plan = plan(&request.resolve, run.offline)?;
        return audit_confirmed(request, &policies, &options, run, &plan);
    }
    Ok(analyse(&request.files, &policies, &options, &request.progress, audit::audit))
}

/// What `check` did: the reports, and the source distributions it skipped.
#[derive(Debug)]
#[non_exhaustive]
pub struct Checked {
    /// The wheels' reports.
    pub reports: Reports<WheelReport>,
    /// The source distributions skipped.
    pub skipped: Vec<PathBuf>,
}

/// `check`: the audit plus what the index rejects; source distributions are skipped.
pub fn check(request: &AuditRequest, config: &Config) -> Result<Checked, Error> {
    let policies = config.policies(&request.policies)?;
    let (skipped, wheels): (Vec<PathBuf>, Vec<PathBuf>) =
        request.files.iter().cloned().partition(|f| f.to_string_lossy().ends_with(".tar.gz"));
    let reports = analyse(&wheels, &policies, &request.options(config), &request.progress, crate::check::check);
    Ok(Checked { reports, skipped })
}

/// The analysis `audit` or `check` runs on each wheel.
type Analysis = fn(&Wheel, &PolicySet, &AuditOptions) -> Audit;

fn analyse(
    wheels: &[PathBuf],
    policies: &PolicySet,
    options: &AuditOptions,
    progress: &Progress,
    analysis: Analysis,
) -> Reports<WheelReport> {
    Reports::of(each(wheels, progress, |path| {
        let wheel = open(path)?;
        Ok(WheelReport::audited(&wheel, analysis(&wheel, policies, options)))
    }))
}

/// `audit --confirm`: the audits, then every wheel loaded in the release of each platform the
/// audit judged, all runs in one batch; disagreements become findings.
fn audit_confirmed(
    request: &AuditRequest,
    policies: &PolicySet,
    options: &AuditOptions,
    run: &RunOptions,
    plan: &Plan,
) -> Result<Reports<WheelReport>, Error> {
    let results = each(&request.files, &request.progress, |path| {
        let wheel = open_bytes(path)?;
        let audit = audit::audit(&wheel.wheel, policies, options);
        Ok((wheel, audit))
    });
    let audited = Reports::of(results);
    let audits: Vec<&Audit> = audited.reports.iter().map(|(_, a)| a).collect();
    let places = run::places(&audits, policies, run.place);
    let mut runtime = Runtime::with(&places, run.offline, run.timeout, plan.sources.fetcher.client.clone())?;
    runtime.isolate = run.isolate;
    let runtime = &runtime;
    let pairs: Vec<(&WheelBytes, &Audit)> = audited.reports.iter().map(|(w, a)| (w, a)).collect();
    let confirmations = run::confirm(&pairs, plan, policies, runtime)?;
    let reports = audited
        .reports
        .into_iter()
        .zip(confirmations)
        .map(|((wheel, mut audit), confirmed)| {
            audit.findings.extend(run::confirm_findings(&audit, &confirmed));
            audit::sort_findings(&mut audit.findings);
            let mut report = WheelReport::audited(&wheel.wheel, audit);
            report.confirmed = Some(confirmed);
            report
        })
        .collect();
    Ok(Reports { reports, errors: audited.errors })
}

/// What `repair` is asked.
#[derive(Clone, Debug, Default)]
#[non_exhaustive]
pub struct RepairRequest {
    /// The wheels.
    pub wheels: Vec<PathBuf>,
    /// Where to write the repaired wheels.
    pub wheel_dir: PathBuf,
    /// Folders to find libraries in, before the project's and `WASMWHEEL_LIBRARY_PATH`.
    pub lib_dirs: Vec<PathBuf>,
    /// The platform to tag for.
    pub platform: Option<PlatformTag>,
    /// Globs of NEEDED names to leave alone.
    pub exclude: Vec<String>,
    /// Drop debug information.
    pub strip: bool,
    /// Rules the audit of the result ignores.
    pub ignore: Vec<Rule>,
    /// Policy files to load beside the project's.
    pub policies: Vec<PathBuf>,
    /// Where progress goes.
    pub progress: Progress,
}

impl RepairRequest {
    /// A repair of `wheels` into `wheel_dir` with no other option.
    pub fn new(wheels: Vec<PathBuf>, wheel_dir: PathBuf) -> RepairRequest {
        RepairRequest { wheels, wheel_dir, ..RepairRequest::default() }
    }

    fn options(&self, config: &Config) -> Result<RepairOptions, UsageError> {
        let mut lib_dirs = self.lib_dirs.clone();
        lib_dirs.extend(config.lib_dirs.iter().cloned());
        if let Some(paths) = std::env::var_os("WASMWHEEL_LIBRARY_PATH") {
            lib_dirs.extend(std::env::split_paths(&paths).filter(|p| !p.as_os_str().is_empty()));
        }
        let mut globs = globset::GlobSetBuilder::new();
        for pattern in &self.exclude {
            let glob =
                globset::Glob::new(pattern).map_err(|source| UsageError::Glob { pattern: pattern.clone(), source })?;
            globs.add(glob);
        }
        let exclude = globs.build().map_err(|source| UsageError::Glob { pattern: self.exclude.join(", "), source })?;
        let platform = self.platform.clone().or_else(|| config.plat.clone());
        let ignore = self.ignore.iter().chain(&config.ignore).copied().collect();
        Ok(RepairOptions { lib_dirs, platform, exclude, strip: self.strip, ignore })
    }
}

/// `repair`: each wheel repaired into the wheel folder, where it passes the audit.
pub fn repair(request: &RepairRequest, config: &Config) -> Result<Reports<Repair>, Error> {
    let policies = config.policies(&request.policies)?;
    let options = request.options(config)?;
    Ok(Reports::of(each(&request.wheels, &request.progress, |w| {
        repair::repair(w, &request.wheel_dir, &policies, &options).map_err(|e| Error::repair(w, e))
    })))
}

/// `tags`: a copy of `wheel` with its tags changed.
pub fn tags(wheel: &Path, change: &TagChange, out_dir: Option<&Path>, remove: bool) -> Result<retag::Outcome, Error> {
    retag::tags(wheel, change, out_dir, remove).map_err(|e| match e {
        retag::TagsError::Open(source) => Error::Wheel { path: wheel.display().to_string(), source },
        retag::TagsError::Edit(source) => Error::edit(wheel, source),
        retag::TagsError::Remove { path, source } => Error::Io { path, source },
    })
}

/// What `test` is asked.
#[derive(Clone, Debug, Default)]
#[non_exhaustive]
pub struct TestRequest {
    /// The wheels, installed together.
    pub wheels: Vec<PathBuf>,
    /// What to test, and where.
    pub options: TestOptions,
    /// Policy files to load beside the project's.
    pub policies: Vec<PathBuf>,
    /// How to run.
    pub run: RunOptions,
    /// What to install beside the wheels, and from where.
    pub resolve: ResolveOptions,
    /// Extras to install with the wheels: `(wheel, extra)`, the wheel by its index in
    /// `wheels` (`dist/pkg.whl[test]`), or every wheel (`--extras test`).
    pub extras: Vec<(Option<usize>, String)>,
    /// PEP 735 dependency groups of the nearest `pyproject.toml` to install too (`--group`).
    pub groups: Vec<String>,
    /// Where to write one JUnit XML file per release (`--junit-xml DIR`, with `--pytest`).
    pub junit_dir: Option<PathBuf>,
    /// Where the progress, and the lines pytest prints, go.
    pub progress: Progress,
}

impl TestRequest {
    /// Takes `test`'s inputs: wheels (`dist/pkg.whl`, `dist/pkg.whl[test]` with extras) and,
    /// with `--pytest` (`options.pytest` set first), test folders and files, in the order given.
    pub fn add_inputs(&mut self, inputs: &[String]) -> Result<(), Error> {
        for input in inputs {
            let (path, extras) = match input.strip_suffix(']').and_then(|s| s.rsplit_once('[')) {
                Some((path, extras)) if path.ends_with(".whl") => (path, Some(extras)),
                _ => (input.as_str(), None),
            };
            if path.ends_with(".whl") {
                for extra in extras.into_iter().flat_map(|e| e.split(',')).map(str::trim) {
                    let name = extra.parse::<pep508_rs::ExtraName>();
                    let name = name.map_err(|_| UsageError::Extras(input.clone()))?;
                    self.extras.push((Some(self.wheels.len()), name.to_string()));
                }
                self.wheels.push(PathBuf::from(path));
            } else if let Some(pytest) = &mut self.options.pytest {
                pytest.paths.push(PathBuf::from(input));
            } else {
                return Err(UsageError::NotAWheel(input.clone()).into());
            }
        }
        Ok(())
    }
}

/// `test`: the wheels installed, with what they require, imported and run in each release;
/// with `--pytest`, their tests run by pytest there too (and, with `--junit-xml`, a JUnit
/// file per release written).
pub fn test(request: &TestRequest, config: &Config) -> Result<Vec<ReleaseRun>, Error> {
    let policies = config.policies(&request.policies)?;
    request.options.validate()?;
    let wheels = open_all(&request.wheels)?;
    let mut plan = plan(&request.resolve, request.run.offline)?;
    let cwd = std::env::current_dir().map_err(|source| Error::Io { path: ".".into(), source })?;
    let extras: Vec<(String, String)> = request
        .extras
        .iter()
        .flat_map(|(wheel, extra)| {
            let chosen: Vec<&WheelBytes> = match wheel {
                Some(i) => wheels.get(*i).into_iter().collect(),
                None => wheels.iter().collect(),
            };
            chosen
                .into_iter()
                .map(|w| (w.wheel.filename.name.normalized().to_string(), extra.clone()))
                .collect::<Vec<_>>()
        })
        .collect();
    let pytest: &[(&str, &str)] = if request.options.pytest.is_some() { &[("pytest", "--pytest")] } else { &[] };
    plan.add_roots(&extras, &request.groups, &cwd, pytest)?;
    // WASI wheels run in the WASI host (Node is not needed), unless a release is named.
    let wasi = wheels.iter().any(|w| audit::family_of(w.wheel.filename.platform_tags()) == Family::Wasi);
    let place = if wasi && request.options.releases.is_empty() { Place::Wasi } else { request.run.place };
    if place == Place::Wasi && request.options.pytest.is_some() {
        return Err(run::TestError::PytestInWasi.into());
    }
    let mut runtime =
        Runtime::at(place, request.run.offline, request.run.timeout, plan.sources.fetcher.client.clone())?;
    runtime.isolate = request.run.isolate;
    runtime.progress = request.progress.clone();
    let runs = run::test(&wheels, &plan, &policies, &runtime, &request.options)?;
    if let Some(dir) = &request.junit_dir {
        crate::report::junit::write(dir, &runs).map_err(|source| Error::Io { path: dir.clone(), source })?;
    }
    Ok(runs)
}

/// The release `spec` names, fetched into the cache if need be (not when `offline`).
fn release(spec: &ReleaseSpec, offline: bool, client: crate::http::Client) -> Result<Release, Error> {
    let sources = Sources::from_env(offline, client).map_err(RuntimeError::Cache)?;
    Ok(sources.get(spec).map_err(|source| RuntimeError::Release { spec: spec.clone(), source })?)
}

/// Resolves `wheels` and the plan's roots on `release` (described by one of `policies`).
fn resolve_for<'a>(
    wheels: &'a [&'a WheelBytes],
    plan: &'a Plan,
    release: &Release,
    policies: &PolicySet,
) -> Result<resolve::Resolution<'a>, Error> {
    let tag = release.abi.canonical_tag();
    let policy = policies.for_tag(&tag).ok_or_else(|| lock::LockError::NoPolicy(tag.clone()))?;
    let target = Target::new(release, policy).ok_or(lock::LockError::NoPolicy(tag))?;
    let request = Request { given: wheels, also: &[], roots: &plan.roots };
    Ok(resolve::resolve(request, &target, &plan.sources)?)
}

/// What `lock` is asked.
#[derive(Clone, Debug)]
#[non_exhaustive]
pub struct LockRequest {
    /// The wheels to add.
    pub wheels: Vec<PathBuf>,
    /// The release.
    pub release: ReleaseSpec,
    /// Where to write the lock and the wheels.
    pub out_dir: PathBuf,
    /// How to write the lock.
    pub options: LockOptions,
    /// Never fetch the release.
    pub offline: bool,
    /// Policy files to load beside the project's.
    pub policies: Vec<PathBuf>,
    /// What to add beside the wheels, and from where.
    pub resolve: ResolveOptions,
}

impl LockRequest {
    /// A lock of `wheels` for `release` into `out_dir`, with no other option.
    pub fn new(wheels: Vec<PathBuf>, release: ReleaseSpec, out_dir: PathBuf) -> LockRequest {
        LockRequest {
            wheels,
            release,
            out_dir,
            options: LockOptions::default(),
            offline: false,
            policies: Vec::new(),
            resolve: ResolveOptions::default(),
        }
    }
}

/// `lock`: a lock of the wheels and what they require for the release, written only when
/// nothing is refused.
pub fn lock(request: &LockRequest, config: &Config) -> Result<Lock, Error> {
    let policies = config.policies(&request.policies)?;
    let inputs = open_all(&request.wheels)?;
    let plan = plan(&request.resolve, request.offline)?;
    let release = release(&request.release, request.offline, plan.sources.fetcher.client.clone())?;
    let given: Vec<&WheelBytes> = inputs.iter().collect();
    let resolution = resolve_for(&given, &plan, &release, &policies)?;
    let mut made = lock::lock(&resolution, &policies, &release, &request.options)?;
    lock::write(&mut made, &resolution, &request.out_dir)?;
    Ok(made)
}

/// What `pack` is asked.
#[derive(Clone, Debug)]
#[non_exhaustive]
pub struct PackRequest {
    /// The app's entry script; `None` for a runtime variant (`options.runtime`).
    pub entry: Option<PathBuf>,
    /// The wheels it uses.
    pub wheels: Vec<PathBuf>,
    /// The release.
    pub release: ReleaseSpec,
    /// The bundle's folder.
    pub out_dir: PathBuf,
    /// How to pack.
    pub options: PackOptions,
    /// Policy files to load beside the project's.
    pub policies: Vec<PathBuf>,
    /// How to run.
    pub run: RunOptions,
    /// What to install beside the wheels (an app's requirements), and from where.
    pub resolve: ResolveOptions,
}

impl PackRequest {
    /// A pack of `entry` with `wheels` for `release` into `out_dir`, with no other option.
    pub fn new(entry: PathBuf, wheels: Vec<PathBuf>, release: ReleaseSpec, out_dir: PathBuf) -> PackRequest {
        PackRequest {
            entry: Some(entry),
            wheels,
            release,
            out_dir,
            options: PackOptions::default(),
            policies: Vec::new(),
            run: RunOptions::default(),
            resolve: ResolveOptions::default(),
        }
    }

    /// A runtime variant (`pack --runtime`) of `wheels` for `release` into `out_dir`, named
    /// `name` on npm.
    pub fn runtime(name: String, wheels: Vec<PathBuf>, release: ReleaseSpec, out_dir: PathBuf) -> PackRequest {
        let mut request = PackRequest::new(PathBuf::new(), wheels, release, out_dir);
        request.entry = None;
        request.options.name = Some(name);
        request.options.runtime = Some(pack::variant::VariantOptions::default());
        request
    }
}

/// `pack`: the smallest bundle that runs the app, written only when it runs as traced; with
/// `options.runtime`, a runtime variant of the wheels and what they require.
pub fn pack(request: &PackRequest, config: &Config) -> Result<Pack, Error> {
    let policies = config.policies(&request.policies)?;
    let inputs = open_all(&request.wheels)?;
    let plan = plan(&request.resolve, request.run.offline)?;
    let client = plan.sources.fetcher.client.clone();
    let release = release(&request.release, request.run.offline, client.clone())?;
    // What a pack cannot do is refused before Node is looked for.
    pack::preflight(request.entry.as_deref(), &release, &request.options, &request.out_dir)?;
    let mut runtime = Runtime::for_pack(&request.options.verify, request.run.offline, request.run.timeout, client)?;
    runtime.isolate = request.run.isolate;
    let given: Vec<&WheelBytes> = inputs.iter().collect();
    let resolution = resolve_for(&given, &plan, &release, &policies)?;
    let input = PackInput { entry: request.entry.as_deref(), resolution: &resolution, sources: &plan.sources };
    Ok(pack::pack(input, &policies, &release, &runtime, &request.options, &request.out_dir)?)
}

/// `registry`: a JavaScript package that knows the runtime variants and makes a runtime of
/// any of them at run time.
pub fn registry(
    options: &crate::registry::RegistryOptions,
    out_dir: &Path,
) -> Result<crate::registry::RegistryPackage, Error> {
    Ok(crate::registry::registry(options, out_dir)?)
}

/// `policy show NAME`: one policy.
pub fn policy(name: &str, policies: &[PathBuf], config: &Config) -> Result<Policy, Error> {
    let set = config.policies(policies)?;
    let found = set.by_name(name).ok_or_else(|| UsageError::NoPolicy(name.to_string()))?;
    Ok(found.policy().clone())
}

/// `policy import`: policies generated from releases, written only if every release imported.
pub fn import_policies(releases: &[PathBuf], out_dir: &Path) -> Result<Vec<Imported>, Error> {
    let imported = policy::import::import(releases)?;
    let mut written = Vec::new();
    for policy in imported {
        written.push(Imported { path: policy::import::write(&policy, out_dir)?, policy });
    }
    Ok(written)
}
