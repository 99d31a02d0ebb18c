//! Loading wheels in real Pyodide under Node: `wasmwheel test` (install, import, check that
//! every function the loaded side modules import resolves, run code, on the releases asked
//! for or those the audit calls compatible), and `audit --confirm` (the static verdict against
//! real loading, platform by platform).

use std::collections::BTreeSet;

use rayon::prelude::*;
use serde::Serialize;

use crate::audit::{self, Audit, AuditOptions, PlatformVerdict};
use crate::platform::PlatformTag;
use crate::policy::{LoadedPolicy, PolicyFamily, PolicySet};
use crate::requirements::{self, Requirement};
use crate::rules::{Finding, Rule};
use crate::runtime::protocol::{CodeOutcome, ImportOutcome, Job, Step, Unlinked};
use crate::runtime::pyodide::{Release, ReleaseSpec};
use crate::runtime::{Runtime, RuntimeError};
use crate::wheel::{Wheel, is_identifier};

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
    /// The runtime cannot be used.
    #[error(transparent)]
    Runtime(#[from] RuntimeError),
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

/// One wheel in a release run.
#[derive(Clone, Debug, Serialize)]
#[non_exhaustive]
pub struct WheelRun {
    /// The wheel, as given.
    pub wheel: String,
    /// Its top-level modules, imported (none listed when `--import` chose the modules).
    pub modules: Vec<String>,
    /// The audit's verdict for this platform, when a policy describes it.
    pub audit: Option<Expected>,
    /// Its `Requires-Dist` that apply on the release and that none of the wheels given meets
    /// (an import of one of them fails with `ModuleNotFoundError`).
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
    /// The release's platform.
    pub platform: PlatformTag,
    /// Its Python.
    pub python: String,
    /// Whether everything installed, imported, linked and ran.
    pub ok: bool,
    /// Loading Pyodide, in milliseconds.
    pub startup_ms: u64,
    /// Installing the wheels (together).
    pub install: Step,
    /// Each import, in order.
    pub imports: Vec<ImportOutcome>,
    /// Side modules with function imports nothing provides (calling them would fail).
    pub link: Vec<Unlinked>,
    /// The wheels.
    pub wheels: Vec<WheelRun>,
    /// The code, if given.
    pub code: Option<CodeOutcome>,
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

/// The releases to test on: those asked for, else those of the platforms every wheel is tested
/// on by default.
fn targets(audits: &[Audit], policies: &PolicySet, options: &TestOptions) -> Result<Vec<ReleaseSpec>, TestError> {
    if !options.releases.is_empty() {
        return Ok(options.releases.clone());
    }
    let mut common: Option<Vec<&LoadedPolicy>> = None;
    for audit in audits {
        let mine = default_platforms(audit, policies);
        common = Some(match common {
            None => mine,
            Some(seen) => {
                seen.into_iter().filter(|p| mine.iter().any(|m| m.policy().name == p.policy().name)).collect()
            }
        });
    }
    let specs: Vec<ReleaseSpec> = common.unwrap_or_default().into_iter().filter_map(release_of).collect();
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

/// The wheels of `given` that `wheel` needs on `release` (transitively), and its requirements
/// there that none of them meets; nothing when no policy describes the release.
fn requirements_on<'a>(
    wheel: &Wheel,
    given: &[&'a Wheel],
    release: &Release,
    policies: &PolicySet,
) -> (Vec<&'a Wheel>, Vec<Requirement>) {
    let env = policies.for_tag(&release.abi.canonical_tag()).and_then(|p| requirements::environment(release, p));
    env.map(|env| requirements::closure(wheel, given, &env)).unwrap_or_default()
}

/// Requirements as the reports spell them.
fn spelled(requirements: &[Requirement]) -> Vec<String> {
    requirements.iter().map(ToString::to_string).collect()
}

/// Installs `wheels` together in each release, imports their modules, checks that what loaded
/// links, runs the code.
pub fn test(
    wheels: &[Wheel],
    policies: &PolicySet,
    runtime: &Runtime,
    options: &TestOptions,
) -> Result<Vec<ReleaseRun>, TestError> {
    options.validate()?;
    let audit_options = AuditOptions { prerelease: options.prerelease, ..AuditOptions::default() };
    let audits: Vec<Audit> = wheels.par_iter().map(|w| audit::audit(w, policies, &audit_options)).collect();
    let specs = targets(&audits, policies, options)?;
    let releases = runtime.releases(&specs)?;
    let modules: Vec<Vec<String>> = wheels.iter().map(Wheel::top_level_modules).collect();
    let imports: Vec<String> =
        if options.imports.is_empty() { modules.iter().flatten().cloned().collect() } else { options.imports.clone() };
    let jobs: Vec<Job> = releases
        .iter()
        .map(|release| Job {
            pyodide: release.dir.clone(),
            wheels: wheels.iter().map(|w| w.path.clone().into()).collect(),
            imports: imports.clone(),
            code: options.code.clone(),
            ..Job::default()
        })
        .collect();
    let outcomes = runtime.run(&jobs);
    let given: Vec<&Wheel> = wheels.iter().collect();
    let runs = specs
        .into_iter()
        .zip(releases)
        .zip(outcomes)
        .map(|((spec, release), outcome)| {
            let platform = release.abi.canonical_tag();
            let wheels = wheels
                .iter()
                .zip(&audits)
                .zip(&modules)
                .map(|((wheel, audit), modules)| WheelRun {
                    wheel: wheel.path.clone(),
                    modules: if options.imports.is_empty() { modules.clone() } else { Vec::new() },
                    audit: verdict(audit, &platform)
                        .map(|v| Expected { compatible: v.compatible, reasons: v.reasons.clone() }),
                    unmet_requirements: spelled(&requirements_on(wheel, &given, &release, policies).1),
                })
                .collect();
            ReleaseRun {
                pyodide: release.version,
                source: spec.to_string(),
                platform,
                python: release.python.to_string(),
                ok: outcome.failure().is_none(),
                startup_ms: outcome.startup_ms,
                install: outcome.install,
                imports: outcome.imports,
                link: outcome.link,
                wheels,
                code: outcome.code,
            }
        })
        .collect();
    Ok(runs)
}

/// Real loading on one platform, against the audit's verdict there.
#[derive(Clone, Debug, Serialize)]
#[non_exhaustive]
pub struct Confirmation {
    /// The platform.
    pub platform: PlatformTag,
    /// The release it was loaded in.
    pub pyodide: String,
    /// What the audit says.
    pub compatible: bool,
    /// Whether it installed, every top-level module imported, and every function its side
    /// modules import resolved.
    pub loads: bool,
    /// The first failure, if it did not load.
    pub error: Option<String>,
    /// Its `Requires-Dist` on the release that none of the wheels given meets, when an import
    /// failed with `ModuleNotFoundError`: what the wheel lacked, not a verdict on it.
    pub unmet_requirements: Vec<String>,
}

/// Loads each wheel in the release of every platform its audit gives a verdict on (compatible
/// or not, upcoming ones too), so that a disagreement either way shows: alone, but for the
/// wheels given that it requires there. Each release is fetched once; the runs go in parallel.
pub fn confirm(
    wheels: &[(&Wheel, &Audit)],
    policies: &PolicySet,
    runtime: &Runtime,
) -> Result<Vec<Vec<Confirmation>>, RuntimeError> {
    // Each wheel's platforms, with the index of their release in `specs`.
    let mut specs: Vec<ReleaseSpec> = Vec::new();
    let platforms: Vec<Vec<(PlatformTag, usize)>> = wheels
        .iter()
        .map(|(_, audit)| {
            let verdicts = audit.platforms.iter().chain(&audit.upcoming);
            let with_release =
                verdicts.filter_map(|v| Some((v.platform.clone(), release_of(policies.for_tag(&v.platform)?)?)));
            with_release
                .map(|(platform, spec)| {
                    let index = specs.iter().position(|s| *s == spec).unwrap_or_else(|| {
                        specs.push(spec);
                        specs.len() - 1
                    });
                    (platform, index)
                })
                .collect()
        })
        .collect();
    let releases = runtime.releases(&specs)?;
    let mut unmet = Vec::new();
    let mut jobs = Vec::new();
    for ((wheel, _), platforms) in wheels.iter().zip(&platforms) {
        for (platform, index) in platforms {
            // What it may be installed with there: the wheels the audit does not rule out.
            let given: Vec<&Wheel> = wheels
                .iter()
                .filter(|(_, audit)| verdict(audit, platform).is_none_or(|v| v.compatible))
                .map(|(w, _)| *w)
                .collect();
            let (needs, missing) = requirements_on(wheel, &given, &releases[*index], policies);
            let with = needs.into_iter().map(|w| w.path.clone().into());
            jobs.push(Job {
                pyodide: releases[*index].dir.clone(),
                wheels: std::iter::once(wheel.path.clone().into()).chain(with).collect(),
                imports: wheel.top_level_modules(),
                ..Job::default()
            });
            unmet.push(spelled(&missing));
        }
    }
    let mut outcomes = runtime.run(&jobs).into_iter().zip(unmet);
    let confirmations = wheels
        .iter()
        .zip(platforms)
        .map(|((_, audit), platforms)| {
            platforms
                .into_iter()
                .zip(outcomes.by_ref())
                .map(|((platform, index), (outcome, unmet))| {
                    let error = outcome.failure();
                    Confirmation {
                        compatible: verdict(audit, &platform).is_some_and(|v| v.compatible),
                        platform,
                        pyodide: releases[index].version.clone(),
                        loads: error.is_none(),
                        error,
                        unmet_requirements: if outcome.module_not_found() { unmet } else { Vec::new() },
                    }
                })
                .collect()
        })
        .collect();
    Ok(confirmations)
}

/// A `confirm-mismatch` error for each platform where real loading and the audit disagree; a
/// `confirm-unmet-requirement` warning instead where an import failed for want of a
/// requirement no wheel given meets.
pub fn confirm_findings(audit: &Audit, confirmations: &[Confirmation]) -> Vec<Finding> {
    confirmations
        .iter()
        .filter(|c| c.compatible != c.loads)
        .map(|c| {
            if !c.unmet_requirements.is_empty() {
                let message = format!(
                    "not confirmed in Pyodide {}: {}; it requires {}, which no wheel given meets on this platform: give its wheel too",
                    c.pyodide,
                    c.error.as_deref().unwrap_or("an import failed"),
                    c.unmet_requirements.iter().map(|r| format!("`{r}`")).collect::<Vec<_>>().join(", ")
                );
                return Finding::new(Rule::ConfirmUnmetRequirement, None, message).on(&c.platform);
            }
            let message = if c.compatible {
                format!(
                    "the audit says it loads on {}, but in Pyodide {} it does not: {}",
                    c.platform,
                    c.pyodide,
                    c.error.as_deref().unwrap_or("unknown error")
                )
            } else {
                let reasons = verdict(audit, &c.platform).map(|v| audit::error_rule_ids(&v.reasons)).unwrap_or_default();
                format!(
                    "the audit says it cannot load on {} ({}), but in Pyodide {} it installs, every module imports and every function import resolves",
                    c.platform,
                    reasons.join(", "),
                    c.pyodide
                )
            };
            Finding::new(Rule::ConfirmMismatch, None, message).on(&c.platform)
        })
        .collect()
}
