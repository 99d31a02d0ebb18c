//! `audit --confirm`: each wheel loaded in the release of every platform its audit judged,
//! with what it requires there (the wheels given that it requires, then the release's
//! packages, then the index, as for `test`), and the audit's verdict held against it.

use serde::Serialize;

use super::{Asked, Prepared, TestError, prepare, release_of, run_all, verdict};
use crate::audit::{self, Audit};
use crate::platform::PlatformTag;
use crate::policy::{PolicyFamily, PolicySet};
use crate::release::{Release, ReleaseSpec};
use crate::resolve::{Plan, Request};
use crate::rules::{Finding, Rule};
use crate::runtime::protocol::ImportOutcome;
use crate::runtime::{Place, Runtime};
use crate::wheel::WheelBytes;

/// Real loading on one platform, against the audit's verdict there.
#[derive(Clone, Debug, Serialize)]
#[non_exhaustive]
pub struct Confirmation {
    /// The platform.
    pub platform: PlatformTag,
    /// The release it was loaded in.
    pub pyodide: String,
    /// The runtime it ran in (`node`).
    pub runtime: String,
    /// What the audit says.
    pub compatible: bool,
    /// Whether it was run at all: not when what it requires could not be resolved, nor when
    /// the run could not be made (`not_run`).
    pub ran: bool,
    /// Why the run could not be made (a file that could not be had, the runtime failed): no
    /// verdict either way, and the command exits 2.
    pub not_run: Option<String>,
    /// Whether it installed, every top-level module imported, and every function its side
    /// modules import resolved.
    pub loads: bool,
    /// The first failure, if it did not load.
    pub error: Option<String>,
    /// Its extension modules, imported by their dotted names after its top-level modules:
    /// how each went and how long it took. It loads only where every one of them imports.
    pub extensions: Vec<ImportOutcome>,
    /// Its requirements on the release that no source meets: what the wheel lacked, not a
    /// verdict on it.
    pub unmet_requirements: Vec<String>,
}

/// Where the confirming runs of `audits` are made: `place` (Node or a browser) when any judged
/// platform has a Pyodide release, the WASI host when any judges a WASI platform; nothing is
/// looked for that no run needs.
pub fn places(audits: &[&Audit], policies: &PolicySet, place: Place) -> Vec<Place> {
    let pyodide = audits.iter().any(|audit| {
        let verdicts = audit.platforms.iter().chain(&audit.upcoming);
        verdicts.filter_map(|v| policies.for_tag(&v.platform)).any(|p| release_of(p).is_some())
    });
    let mut places = Vec::new();
    if pyodide {
        places.push(place);
    }
    if audits.iter().any(|a| judges_wasi(a, policies)) {
        places.push(Place::Wasi);
    }
    places
}

/// Whether the audit gives a verdict on a WASI platform (which the WASI host confirms).
pub fn judges_wasi(audit: &Audit, policies: &PolicySet) -> bool {
    wasi_platforms(audit, policies).next().is_some()
}

/// The WASI platforms the audit gives a verdict on.
fn wasi_platforms<'a>(audit: &'a Audit, policies: &'a PolicySet) -> impl Iterator<Item = &'a PlatformTag> + 'a {
    audit
        .platforms
        .iter()
        .filter(|v| policies.for_tag(&v.platform).is_some_and(|p| p.policy().family == PolicyFamily::Wasi))
        .map(|v| &v.platform)
}

/// Each wheel's platforms, with the index of their release in the specs returned.
fn platforms(
    wheels: &[(&WheelBytes, &Audit)],
    policies: &PolicySet,
) -> (Vec<ReleaseSpec>, Vec<Vec<(PlatformTag, usize)>>) {
    let mut specs: Vec<ReleaseSpec> = Vec::new();
    let platforms = wheels
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
    (specs, platforms)
}

/// Loads each wheel in the release of every platform its audit gives a verdict on (compatible
/// or not, upcoming ones too), so that a disagreement either way shows: with what it requires
/// there, the other wheels given first where the audit does not rule them out. Each release
/// is fetched once; the runs go in parallel.
pub fn confirm(
    wheels: &[(&WheelBytes, &Audit)],
    plan: &Plan,
    policies: &PolicySet,
    runtime: &Runtime,
) -> Result<Vec<Vec<Confirmation>>, TestError> {
    let (specs, platforms) = platforms(wheels, policies);
    // A release that cannot be had makes each run in it not run.
    let releases: Vec<Result<Release, String>> =
        specs.iter().map(|spec| runtime.release(spec).map_err(|e| crate::one_line::one_line(&e))).collect();
    let mut others: Vec<Vec<&WheelBytes>> = Vec::new();
    let mut alone: Vec<[&WheelBytes; 1]> = Vec::new();
    for ((wheel, _), platforms) in wheels.iter().zip(&platforms) {
        for (platform, _) in platforms {
            // What it may be installed with there: the wheels the audit does not rule out.
            let with = wheels
                .iter()
                .filter(|(w, audit)| !std::ptr::eq(*w, *wheel) && verdict(audit, platform).is_none_or(|v| v.compatible))
                .map(|(w, _)| *w)
                .collect();
            others.push(with);
            alone.push([*wheel]);
        }
    }
    let mut runs: Vec<(&Release, Prepared<'_>, Asked)> = Vec::new();
    let mut unreleased: Vec<(usize, String)> = Vec::new();
    let mut slot = 0;
    for ((wheel, _), platforms) in wheels.iter().zip(&platforms) {
        for (_, index) in platforms {
            match &releases[*index] {
                Ok(release) => {
                    let request = Request { given: &alone[slot], also: &others[slot], roots: &plan.roots };
                    let prepared = prepare(release, policies, request, &plan.sources);
                    runs.push((release, prepared, Asked::new(wheel.wheel.modules_to_import(), None)));
                }
                Err(why) => unreleased.push((slot, why.clone())),
            }
            slot += 1;
        }
    }
    let outcomes = run_all(runtime, &runs);
    let mut wasi = confirm_wasi(wheels, policies, runtime)?.into_iter();
    let mut results = runs.iter().zip(outcomes);
    let mut slot = 0;
    let confirmations = wheels
        .iter()
        .zip(platforms)
        .map(|((wheel, audit), platforms)| {
            let mut mine: Vec<Confirmation> = Vec::new();
            for (platform, index) in platforms {
                let compatible = verdict(audit, &platform).is_some_and(|v| v.compatible);
                let missing = unreleased.iter().find(|(s, _)| *s == slot).map(|(_, why)| why.clone());
                slot += 1;
                let pyodide = match &releases[index] {
                    Ok(release) => release.version.clone(),
                    Err(_) => specs[index].to_string().trim_start_matches("pyodide@").to_string(),
                };
                let runtime_name = runtime.host().name().to_string();
                if let Some(why) = missing {
                    mine.push(Confirmation {
                        platform,
                        pyodide,
                        runtime: runtime_name,
                        compatible,
                        ran: false,
                        not_run: Some(why.clone()),
                        loads: false,
                        error: Some(format!("not run: {why}")),
                        extensions: Vec::new(),
                        unmet_requirements: Vec::new(),
                    });
                    continue;
                }
                let Some(((_, prepared, _), (outcome, not_run))) = results.next() else { continue };
                let error = outcome.failure();
                let unmet = prepared.resolution.unmet.iter().map(|u| u.requirement.clone());
                let conflicts = prepared.resolution.conflicts.iter().map(|c| c.requirement.clone());
                let ran = prepared.set.is_some() && not_run.is_none();
                mine.push(Confirmation {
                    compatible,
                    platform,
                    pyodide,
                    runtime: runtime_name,
                    ran,
                    not_run,
                    loads: ran && error.is_none(),
                    error,
                    extensions: super::extensions_of(&wheel.wheel, &outcome.imports),
                    unmet_requirements: unmet.chain(conflicts).collect(),
                });
            }
            mine.extend(wasi.next().into_iter().flatten());
            mine
        })
        .collect();
    Ok(confirmations)
}

/// Each wheel linked and run in the WASI host, for every WASI platform its audit judged: alone
/// (the host installs wheel files; it resolves nothing).
fn confirm_wasi(
    wheels: &[(&WheelBytes, &Audit)],
    policies: &PolicySet,
    runtime: &Runtime,
) -> Result<Vec<Vec<Confirmation>>, TestError> {
    let Some(host) = runtime.wasi() else { return Ok(vec![Vec::new(); wheels.len()]) };
    let mut jobs = Vec::new();
    let mut slots = Vec::new();
    for (i, (wheel, audit)) in wheels.iter().enumerate() {
        for platform in wasi_platforms(audit, policies) {
            jobs.push(super::wasi_job(&[*wheel], Vec::new(), None));
            slots.push((i, platform.clone(), verdict(audit, platform).is_some_and(|v| v.compatible)));
        }
    }
    let outcomes = runtime.run_on(host, &jobs);
    let mut out = vec![Vec::new(); wheels.len()];
    for ((i, platform, compatible), outcome) in slots.into_iter().zip(outcomes) {
        let outcome = outcome?;
        let error = outcome.failure();
        out[i].push(Confirmation {
            platform,
            pyodide: crate::runtime::wasi::HOST.to_string(),
            runtime: host.name().to_string(),
            compatible,
            ran: true,
            not_run: None,
            loads: error.is_none(),
            error,
            extensions: super::extensions_of(&wheels[i].0.wheel, &outcome.imports),
            unmet_requirements: Vec::new(),
        });
    }
    Ok(out)
}

/// A `confirm-mismatch` error for each platform where real loading and the audit disagree; a
/// `confirm-unmet-requirement` warning instead where the wheel could not be run there for want
/// of a requirement no source meets.
pub fn confirm_findings(audit: &Audit, confirmations: &[Confirmation]) -> Vec<Finding> {
    if confirmations.is_empty() {
        let message = format!(
            "not confirmed: no runtime wasmwheel runs wheels in (Pyodide under Node or in Chromium, componentize-py and wasmtime for WASI) judges a {} wheel",
            audit.family
        );
        return vec![Finding::new(Rule::ConfirmNotRun, None, message)];
    }
    confirmations
        .iter()
        .filter(|c| c.not_run.is_none() && (!c.ran || c.compatible != c.loads))
        .map(|c| {
            if !c.ran {
                let message = format!(
                    "not confirmed in Pyodide {}: it requires {}, which no source meets on this platform (the wheels given, the release's packages, the index); give its wheel too",
                    c.pyodide,
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
