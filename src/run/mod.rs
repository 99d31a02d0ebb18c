//! Loading wheels in real releases: `wasmwheel test` (install the wheels with what they
//! require, resolved as the release's micropip would; import them; check that every function
//! the loaded side modules import resolves; run code; on the releases asked for or those the
//! audit calls compatible), and `audit --confirm` (the static verdict against real loading,
//! platform by platform: [`confirm`]).
//!
//! Every run installs through the lock model ([`crate::lock::install_set`]); a run the runtime could
//! not finish (it did not start, crashed, timed out, broke the protocol) is an error of its
//! own, exit 2, never a verdict on a wheel.

mod confirm;
pub mod pytest;

use std::collections::BTreeSet;

use rayon::prelude::*;
use serde::Serialize;

use crate::audit::{self, Audit, AuditOptions, PlatformVerdict};
use crate::lock::install_set::{self, InstallError, InstallSet};
use crate::lockfile::LockFileError;
use crate::platform::{Family, PlatformTag};
use crate::policy::{LoadedPolicy, PolicyFamily, PolicySet};
use crate::release::{Release, ReleaseSpec};
use crate::resolve::{self, Origin, PackageSources, Plan, Request, Resolution, ResolveError, Resolved, Target};
use crate::rules::Finding;
use crate::runtime::pool::Work;
use crate::runtime::protocol::{CodeOutcome, ImportOutcome, Job, Outcome, Step, Unlinked};
use crate::runtime::{Runtime, RuntimeError};
use crate::wheel::WheelBytes;
use crate::wheel::is_identifier;
pub use confirm::{Confirmation, confirm, confirm_findings, places};

/// What to test.
#[derive(Clone, Debug, Default)]
#[non_exhaustive]
pub struct TestOptions {
    /// Releases to load the wheels in; empty: one per platform the audit calls compatible.
    pub releases: Vec<ReleaseSpec>,
    /// Modules to import instead of each wheel's top-level modules.
    pub imports: Vec<String>,
    /// Code to run after the imports.
    pub code: Option<String>,
    /// Count prerelease platforms as the audit would with `--prerelease`.
    pub prerelease: bool,
    /// Run the package's own tests with pytest (`--pytest`).
    pub pytest: Option<pytest::PytestOptions>,
}

impl TestOptions {
    /// Refuses module names Python cannot import.
    pub fn validate(&self) -> Result<(), TestError> {
        match self.imports.iter().find(|m| !is_module_name(m)) {
            Some(bad) => Err(TestError::ModuleName(bad.clone())),
            None => Ok(()),
        }
    }
}

/// Why wheels cannot be tested (exit 2): nothing here is a verdict on them.
#[derive(Debug, thiserror::Error)]
#[non_exhaustive]
pub enum TestError {
    /// No release to load wheels in.
    #[error("no Pyodide release to test on: {0}; name one with --pyodide")]
    NoRelease(String),
    /// A module name Python cannot import.
    #[error("--import {0}: not a module name")]
    ModuleName(String),
    /// The runtime cannot be used, or failed.
    #[error(transparent)]
    Runtime(#[from] RuntimeError),
    /// What the wheels require cannot be resolved (an index or release mirror unreachable, a
    /// file not what its source vouches for).
    #[error(transparent)]
    Resolve(#[from] ResolveError),
    /// A run's packages cannot be staged.
    #[error(transparent)]
    Install(#[from] InstallError),
    /// A release's lock cannot be read.
    #[error(transparent)]
    Lock(#[from] LockFileError),
    /// The tests cannot be staged.
    #[error(transparent)]
    Pytest(#[from] pytest::PytestError),
    /// `--pytest` for WASI wheels.
    #[error("--pytest runs in Pyodide (under Node or in Chromium); the WASI host does not run pytest")]
    PytestInWasi,
}

/// The audit's verdict on a wheel for the platform of a release.
#[derive(Clone, Debug, Serialize)]
#[non_exhaustive]
pub struct Expected {
    /// Whether the audit calls the platform compatible.
    pub compatible: bool,
    /// Its reasons (why not, or warnings).
    pub reasons: Vec<Finding>,
}

/// One wheel in a release run: one given, or one an index gave for a requirement.
#[derive(Clone, Debug, Serialize)]
#[non_exhaustive]
pub struct WheelRun {
    /// The wheel, as given (for an index's, its URL).
    pub wheel: String,
    /// Where it comes from: given, or an index.
    pub source: Origin,
    /// Its top-level modules, imported (none listed when `--import` chose the modules, or for
    /// a dependency).
    pub modules: Vec<String>,
    /// Its extension modules (each wasm binary that exports `PyInit_<name>`), imported by
    /// their dotted names after the top-level modules: how each went, and how long it took.
    /// A package may import while an extension of it does not (a pure-Python fallback): the
    /// run then fails.
    pub extensions: Vec<ImportOutcome>,
    /// The audit's verdict for this platform, when a policy describes it.
    pub audit: Option<Expected>,
    /// Its requirements on the release that nothing meets (nothing was installed).
    pub unmet_requirements: Vec<String>,
}

/// The wheels, loaded together in one release.
#[derive(Clone, Debug, Serialize)]
#[non_exhaustive]
pub struct ReleaseRun {
    /// The release's version.
    pub pyodide: String,
    /// Where the release came from (`pyodide@0.29.3`, a folder, a tarball).
    pub source: String,
    /// The runtime it ran in (`node`).
    pub runtime: String,
    /// The release's platform.
    pub platform: PlatformTag,
    /// Its Python.
    pub python: String,
    /// Whether everything resolved, installed, imported, linked and ran.
    pub ok: bool,
    /// Why the run could not be made (a file that could not be had, the runtime failed):
    /// nothing here is a verdict on the wheels, and the command exits 2.
    pub not_run: Option<String>,
    /// Loading Pyodide, in milliseconds.
    pub startup_ms: u64,
    /// Installing the wheels (together).
    pub install: Step,
    /// Each import, in order.
    pub imports: Vec<ImportOutcome>,
    /// Side modules with function imports nothing provides (calling them would fail).
    pub link: Vec<Unlinked>,
    /// The wheels given, then those an index gave.
    pub wheels: Vec<WheelRun>,
    /// What they resolved to.
    pub resolution: resolve::ResolutionReport,
    /// The code, if given.
    pub code: Option<CodeOutcome>,
    /// pytest's session, with `--pytest`.
    pub pytest: Option<pytest::PytestReport>,
}

/// The release a policy was generated from, if it is an npm version of Pyodide.
pub fn release_of(policy: &LoadedPolicy) -> Option<ReleaseSpec> {
    let source = &policy.policy().source;
    (policy.policy().family == PolicyFamily::Emscripten && source.runtime == "pyodide")
        .then(|| source.version.parse().ok())
        .flatten()
        .filter(|spec| matches!(spec, ReleaseSpec::Version(_)))
}

/// The platforms `test` loads a wheel on by default: those the audit calls compatible, and
/// those it verified the wheel's tags against.
fn default_platforms<'p>(audit: &Audit, policies: &'p PolicySet) -> Vec<&'p LoadedPolicy> {
    let mut wanted: BTreeSet<&PlatformTag> = audit.compatible_platforms.iter().collect();
    let declared = audit.declared.iter().filter_map(|t| policies.for_tag(t));
    wanted.extend(declared.map(LoadedPolicy::canonical_tag));
    policies.all().iter().filter(|p| wanted.contains(p.canonical_tag())).collect()
}

/// The releases to test on: those asked for, else those of the platforms every platform
/// wheel is tested on by default (a pure wheel fits every platform: it narrows nothing).
fn targets(audits: &[Audit], policies: &PolicySet, options: &TestOptions) -> Result<Vec<ReleaseSpec>, TestError> {
    if !options.releases.is_empty() {
        return Ok(options.releases.clone());
    }
    let mut common: Option<Vec<&LoadedPolicy>> = None;
    for audit in audits.iter().filter(|a| a.family != Family::Pure) {
        let mine = default_platforms(audit, policies);
        common = Some(match common {
            None => mine,
            Some(seen) => {
                seen.into_iter().filter(|p| mine.iter().any(|m| m.policy().name == p.policy().name)).collect()
            }
        });
    }
    let everywhere =
        || policies.family(Family::Emscripten).filter(|p| options.prerelease || !p.policy().prerelease).collect();
    let specs: Vec<ReleaseSpec> = common.unwrap_or_else(everywhere).into_iter().filter_map(release_of).collect();
    if specs.is_empty() {
        let why = "the audit calls no Pyodide platform compatible with every wheel, and none is tagged for one";
        return Err(TestError::NoRelease(why.into()));
    }
    Ok(specs)
}

/// Whether `name` is a dotted module name.
fn is_module_name(name: &str) -> bool {
    name.split('.').all(is_identifier)
}

/// The audit's verdict on `platform`, among its counted and upcoming platforms.
fn verdict<'a>(audit: &'a Audit, platform: &PlatformTag) -> Option<&'a PlatformVerdict> {
    audit.platforms.iter().chain(&audit.upcoming).find(|v| v.platform == *platform)
}

/// The audit's verdict on `platform`; a pure wheel fits every platform (its own findings).
fn expected(audit: &Audit, platform: &PlatformTag) -> Option<Expected> {
    if audit.family == Family::Pure {
        return Some(Expected { compatible: !audit.has_errors(), reasons: audit.findings.clone() });
    }
    verdict(audit, platform).map(|v| Expected { compatible: v.compatible, reasons: v.reasons.clone() })
}

/// One release's run, ready: what resolved, and the set to install when it all did; or why
/// the run cannot be made.
struct Prepared<'a> {
    resolution: Resolution<'a>,
    set: Option<InstallSet>,
    /// Why the run cannot be made (a file that could not be had): it is reported as not run,
    /// and the others still run.
    not_run: Option<String>,
}

impl<'a> Prepared<'a> {
    /// A run that cannot be made, and why.
    fn not_run(given: &[&'a WheelBytes], why: String) -> Prepared<'a> {
        Prepared { resolution: Resolution::given_only(given), set: None, not_run: Some(why) }
    }
}

/// Resolves `request` on `release` and stages what it resolved to; what cannot be had makes
/// this run not run, never the others.
fn prepare<'a>(
    release: &Release,
    policies: &PolicySet,
    request: Request<'a>,
    sources: &PackageSources,
) -> Prepared<'a> {
    let made = || -> Result<Prepared<'a>, TestError> {
        let target = Target::of(release, policies);
        let resolution = match &target {
            Some(target) => resolve::resolve(request, target, sources)?,
            None => Resolution::given_only(request.given),
        };
        let set = resolution.is_complete().then(|| install_set::prepare(release, &resolution, sources)).transpose()?;
        Ok(Prepared { resolution, set, not_run: None })
    };
    made().unwrap_or_else(|e| Prepared::not_run(request.given, crate::one_line::one_line(&e)))
}

/// The outcome of a run not made: nothing installed, and why.
fn not_installed(prepared: &Prepared) -> Outcome {
    if let Some(why) = &prepared.not_run {
        return Outcome::failed(format!("not run: {why}"));
    }
    let problems = prepared.resolution.problems().len();
    Outcome::failed(format!("not installed: {problems} requirement(s) met by no source (see the resolution)"))
}

/// A run's outcome, or why it could not be made (the runtime failed: it did not start,
/// crashed, timed out, broke the protocol).
type RunResult = (Outcome, Option<String>);

/// What a run does once its set is installed: the imports, the code, pytest.
#[derive(Clone, Debug, Default)]
struct Asked {
    imports: Vec<String>,
    code: Option<String>,
    pytest: Option<pytest::StagedTests>,
}

impl Asked {
    fn new(imports: Vec<String>, code: Option<String>) -> Asked {
        Asked { imports, code, pytest: None }
    }

    /// The job of `set`: its tests (if any) staged in the set's folder first.
    fn job(&self, set: &InstallSet) -> Result<Job, String> {
        let mut job = Job::install(set, self.imports.clone(), self.code.clone());
        if let Some(tests) = &self.pytest {
            if let Some((name, bytes)) = &tests.archive {
                set.add_file(name, bytes).map_err(|e| crate::one_line::one_line(&e))?;
            }
            job.pytest = Some(tests.job());
            job.stream = true;
        }
        Ok(job)
    }
}

/// Runs each prepared set (the others were not resolved or not made). A run the runtime could
/// not finish is reported as not run, with why; the others keep their outcomes.
fn run_all(runtime: &Runtime, prepared: &[(&Release, Prepared<'_>, Asked)]) -> Vec<RunResult> {
    let made: Vec<Option<Result<Job, String>>> =
        prepared.iter().map(|(_, p, asked)| p.set.as_ref().map(|s| asked.job(s))).collect();
    let jobs: Vec<(&Release, Job)> = prepared
        .iter()
        .zip(&made)
        .filter_map(|((release, _, _), job)| Some((*release, job.as_ref()?.as_ref().ok()?.clone())))
        .collect();
    let work: Vec<Work<'_>> = jobs.iter().map(|(release, job)| Work { release, job }).collect();
    let mut ran = runtime.run(&work).into_iter();
    prepared
        .iter()
        .zip(made)
        .map(|((_, p, _), job)| match (&p.set, job) {
            (Some(_), Some(Err(why))) => (Outcome::failed(format!("not run: {why}")), Some(why)),
            (Some(_), _) => match ran.next() {
                Some(Ok(outcome)) => (outcome, None),
                Some(Err(e)) => {
                    let why = crate::one_line::one_line(&e);
                    (Outcome::failed(format!("not run: {why}")), Some(why))
                }
                None => (Outcome::failed("not run".into()), Some("no run".into())),
            },
            (None, _) => (not_installed(p), p.not_run.clone()),
        })
        .collect()
}

/// The policy a release spec is the release of, if one is.
fn policy_of<'p>(spec: &ReleaseSpec, policies: &'p PolicySet) -> Option<&'p LoadedPolicy> {
    policies.all().iter().find(|p| release_of(p).as_ref() == Some(spec))
}

/// Installs `wheels` together in each release with what they and `plan`'s roots require,
/// imports their modules, checks that what loaded links, runs the code.
pub fn test(
    wheels: &[WheelBytes],
    plan: &Plan,
    policies: &PolicySet,
    runtime: &Runtime,
    options: &TestOptions,
) -> Result<Vec<ReleaseRun>, TestError> {
    options.validate()?;
    let audit_options = AuditOptions { prerelease: options.prerelease, ..AuditOptions::default() };
    let audits: Vec<Audit> = wheels.par_iter().map(|w| audit::audit(&w.wheel, policies, &audit_options)).collect();
    if options.releases.is_empty() && audits.iter().any(|a| a.family == Family::Wasi) {
        if options.pytest.is_some() {
            return Err(TestError::PytestInWasi);
        }
        return Ok(vec![test_wasi(wheels, &audits, policies, runtime, options)?]);
    }
    let specs = targets(&audits, policies, options)?;
    let given: Vec<&WheelBytes> = wheels.iter().collect();
    let imports = if options.imports.is_empty() { modules_of(wheels.iter()) } else { options.imports.clone() };
    let mut asked = Asked::new(imports, options.code.clone());
    if let Some(tests) = &options.pytest {
        let cwd = std::env::current_dir().map_err(|e| TestError::Pytest(pytest::PytestError::Read(e)))?;
        asked.pytest = Some(pytest::stage(tests, wheels, &cwd)?);
    }
    // A release that cannot be had makes its run not run; one no policy describes cannot be
    // reported without it, and ends the command.
    let mut releases = Vec::new();
    let mut missing = Vec::new();
    for spec in &specs {
        match runtime.release(spec) {
            Ok(release) => releases.push(release),
            Err(e) => match policy_of(spec, policies) {
                Some(policy) => missing.push((spec, policy, crate::one_line::one_line(&e))),
                None => return Err(e.into()),
            },
        }
    }
    let request = Request { given: &given, also: &[], roots: &plan.roots };
    let prepared: Vec<_> = releases
        .iter()
        .map(|release| (release, prepare(release, policies, request, &plan.sources), asked.clone()))
        .collect();
    let outcomes = run_all(runtime, &prepared);
    let audited: Vec<(&str, &Audit)> = wheels.iter().map(|w| w.wheel.path.as_str()).zip(&audits).collect();
    let mut runs: Vec<ReleaseRun> = specs
        .iter()
        .filter(|spec| !missing.iter().any(|(m, _, _)| m == spec))
        .zip(prepared)
        .zip(outcomes)
        .map(|((spec, (release, prepared, _)), (outcome, not_run))| {
            let platform = release.abi.canonical_tag();
            let wheels = wheel_runs(&prepared.resolution, &audited, policies, &platform, options, &outcome.imports);
            let tested = options.pytest.is_some();
            let mut run = release_run(spec, release, runtime, outcome, wheels, &prepared.resolution, tested);
            run.not_run = not_run;
            run
        })
        .collect();
    for (spec, policy, why) in missing {
        let platform = policy.canonical_tag();
        let resolution = Resolution::given_only(&given);
        let wheels = wheel_runs(&resolution, &audited, policies, platform, options, &[]);
        let at = specs.iter().position(|s| s == spec).unwrap_or(runs.len()).min(runs.len());
        runs.insert(at, not_run_release(spec, policy, runtime, wheels, why));
    }
    Ok(runs)
}

/// The report of a run in a release that could not be had.
fn not_run_release(
    spec: &ReleaseSpec,
    policy: &LoadedPolicy,
    runtime: &Runtime,
    wheels: Vec<WheelRun>,
    why: String,
) -> ReleaseRun {
    let outcome = Outcome::failed(format!("not run: {why}"));
    ReleaseRun {
        pyodide: policy.policy().source.version.clone(),
        source: spec.to_string(),
        runtime: runtime.host().name().to_string(),
        platform: policy.canonical_tag().clone(),
        python: policy.policy().python.to_string(),
        ok: false,
        not_run: Some(why),
        startup_ms: 0,
        install: outcome.install,
        imports: Vec::new(),
        link: Vec::new(),
        wheels,
        resolution: resolve::ResolutionReport::default(),
        code: None,
        pytest: None,
    }
}

/// The wheels in the WASI host: linked into a component with componentize-py, run in wasmtime.
fn test_wasi(
    wheels: &[WheelBytes],
    audits: &[Audit],
    policies: &PolicySet,
    runtime: &Runtime,
    options: &TestOptions,
) -> Result<ReleaseRun, TestError> {
    let host = runtime.wasi().ok_or(TestError::NoRelease("no WASI host was asked for".into()))?;
    let policy = policies.family(Family::Wasi).next().ok_or(TestError::NoRelease("no WASI policy".into()))?;
    let given: Vec<&WheelBytes> = wheels.iter().collect();
    let resolution = Resolution::given_only(&given);
    let job = wasi_job(&given, options.imports.clone(), options.code.clone());
    let outcome = runtime.run_on(host, std::slice::from_ref(&job)).pop().transpose()?;
    let outcome = outcome.unwrap_or_else(|| Outcome::failed("no run".into()));
    let audited: Vec<(&str, &Audit)> = wheels.iter().map(|w| w.wheel.path.as_str()).zip(audits).collect();
    let platform = policy.canonical_tag().clone();
    let wheel_runs = wheel_runs(&resolution, &audited, policies, &platform, options, &outcome.imports);
    Ok(ReleaseRun {
        pyodide: crate::runtime::wasi::HOST.to_string(),
        source: "PyPI (pinned)".into(),
        runtime: host.name().to_string(),
        platform,
        python: policy.policy().python.to_string(),
        ok: outcome.failure().is_none(),
        not_run: None,
        startup_ms: outcome.startup_ms,
        install: outcome.install,
        imports: outcome.imports,
        link: outcome.link,
        wheels: wheel_runs,
        resolution: resolution.report(),
        code: outcome.code,
        pytest: None,
    })
}

/// A job for the WASI host: the wheels' files, the modules to import (each wheel's top-level
/// ones by default), the code.
fn wasi_job(wheels: &[&WheelBytes], imports: Vec<String>, code: Option<String>) -> crate::runtime::protocol::Job {
    let imports = if imports.is_empty() { modules_of(wheels.iter().copied()) } else { imports };
    crate::runtime::protocol::Job {
        wheels: wheels
            .iter()
            .map(|w| std::path::absolute(&w.wheel.path).unwrap_or_else(|_| w.wheel.path.clone().into()))
            .collect(),
        imports,
        code,
        ..Default::default()
    }
}

/// The report of one release run (`tested`: pytest was asked for).
fn release_run(
    spec: &ReleaseSpec,
    release: &Release,
    runtime: &Runtime,
    outcome: Outcome,
    wheels: Vec<WheelRun>,
    resolution: &Resolution,
    tested: bool,
) -> ReleaseRun {
    let tests = outcome.pytest.as_ref().map(|p| pytest::report(p, outcome.startup_ms, outcome.install.ms));
    // Tests asked for and not run (the install failed first) did not pass.
    let tests_passed = tests.as_ref().map_or(!tested, pytest::PytestReport::passed);
    ReleaseRun {
        pyodide: release.version.clone(),
        source: spec.to_string(),
        runtime: runtime.host().name().to_string(),
        platform: release.abi.canonical_tag(),
        python: release.python.to_string(),
        ok: resolution.is_complete() && outcome.failure().is_none() && tests_passed,
        not_run: None,
        startup_ms: outcome.startup_ms,
        install: outcome.install,
        imports: outcome.imports,
        link: outcome.link,
        wheels,
        resolution: resolution.report(),
        code: outcome.code,
        pytest: tests,
    }
}

/// What importing `wheels` means, in order, each module once: their top-level modules, then
/// their extension modules by dotted name.
fn modules_of<'a>(wheels: impl Iterator<Item = &'a WheelBytes>) -> Vec<String> {
    let mut modules: Vec<String> = Vec::new();
    for module in wheels.flat_map(|w| w.wheel.modules_to_import()) {
        if !modules.contains(&module) {
            modules.push(module);
        }
    }
    modules
}

/// The imports of `imports` that are extension modules of `wheel`.
fn extensions_of(wheel: &crate::wheel::Wheel, imports: &[ImportOutcome]) -> Vec<ImportOutcome> {
    let names = wheel.extension_modules();
    imports.iter().filter(|i| names.contains(&i.module)).cloned().collect()
}

/// The wheels of a run: the given ones (with their audits), then those an index gave
/// (audited here: a dependency that cannot load on the release is a finding on it); each with
/// its extension modules' imports among `imports`.
fn wheel_runs(
    resolution: &Resolution,
    audited: &[(&str, &Audit)],
    policies: &PolicySet,
    platform: &PlatformTag,
    options: &TestOptions,
    imports: &[ImportOutcome],
) -> Vec<WheelRun> {
    let given_audit = |path: &str| audited.iter().find(|(p, _)| *p == path).map(|(_, a)| (*a).clone());
    let asked = |package: &Resolved| {
        let by = format!("{} {}", package.name, package.version);
        resolution.unmet.iter().filter(|u| u.requested_by == by).map(|u| u.requirement.clone()).collect()
    };
    resolution
        .wheels()
        .filter(|(p, _)| p.source != Origin::Release)
        .map(|(package, input)| {
            let audit = match package.source {
                Origin::Given => given_audit(&input.wheel.path),
                _ => Some(audit::audit(
                    &input.wheel,
                    policies,
                    &AuditOptions { prerelease: true, ..AuditOptions::default() },
                )),
            };
            let modules = if package.source == Origin::Given && options.imports.is_empty() {
                input.wheel.top_level_modules()
            } else {
                Vec::new()
            };
            WheelRun {
                wheel: if package.source == Origin::Index { package.url.clone() } else { input.wheel.path.clone() },
                source: package.source,
                modules,
                extensions: extensions_of(&input.wheel, imports),
                audit: audit.as_ref().and_then(|a| expected(a, platform)),
                unmet_requirements: asked(package),
            }
        })
        .collect()
}
