//! The audit: on which platforms a wheel's binaries can load, and why not on the others.
//!
//! One analysis, shared by `audit`, `check` and `repair` (and, without policies, `show`): the
//! archive and dist-info files are checked for a safe install, every binary on its own (kind,
//! imports, entry points, suffix, RUNTIME_PATH), then the wheel is resolved against every
//! policy of its family as that platform's loader would (libraries, symbols, function types,
//! build markers, Python version). Declared platform tags are verified against those verdicts.

mod binaries;
mod checks;
pub use checks::error_rule_ids;
mod installable;
pub mod limited_api;
pub mod link;
pub mod python_fit;

use std::collections::{BTreeMap, HashSet};

use serde::Serialize;

use crate::platform::{Family, PlatformKind, PlatformTag};
use crate::policy::{LoadedPolicy, PolicySet};
use crate::rules::{Finding, Rule, Severity};
use crate::wheel::Wheel;
use checks::Context;
use link::Layout;

/// What the user asked of an audit.
#[derive(Clone, Debug, Default)]
#[non_exhaustive]
pub struct AuditOptions {
    /// Verify against this platform instead of the filename's platform tags (`--plat`).
    pub platform: Option<PlatformTag>,
    /// Rules to ignore: neither reported nor counted against a platform (`--ignore`).
    pub ignore: HashSet<Rule>,
    /// Count platforms of prerelease policies among the others (`--prerelease`).
    pub prerelease: bool,
}

/// Whether a wheel's binaries can load on one platform, and if not, why not.
#[derive(Clone, Debug, Serialize)]
#[non_exhaustive]
pub struct PlatformVerdict {
    /// The canonical platform tag.
    pub platform: PlatformTag,
    /// Whether every binary loads there and the wheel's Python fits.
    pub compatible: bool,
    /// Why not: the findings that would be reported if the wheel claimed this platform.
    pub reasons: Vec<Finding>,
}

/// Unresolved imports by binary path, then canonical platform tag.
pub type Unresolved = BTreeMap<String, BTreeMap<PlatformTag, Vec<String>>>;

/// The result of auditing one wheel.
#[derive(Clone, Debug)]
#[non_exhaustive]
pub struct Audit {
    /// The platform family of the wheel's tags.
    pub family: Family,
    /// The platform tags verified: the filename's, or the one `--plat` named.
    pub declared: Vec<PlatformTag>,
    /// Every known platform of that family, oldest first.
    pub platforms: Vec<PlatformVerdict>,
    /// The canonical tags of the compatible platforms, oldest first.
    pub compatible_platforms: Vec<PlatformTag>,
    /// Platforms of prerelease policies the audit was not asked to count, with their
    /// verdicts: what the next release will say.
    pub upcoming: Vec<PlatformVerdict>,
    /// Unresolved imports by binary path, then canonical platform tag.
    pub unresolved: Unresolved,
    /// Every finding, errors first.
    pub findings: Vec<Finding>,
}

impl Audit {
    /// Whether any finding is an error.
    pub fn has_errors(&self) -> bool {
        self.findings.iter().any(|f| f.severity == Severity::Error)
    }
}

/// The family a wheel's platform tags put it in: Emscripten or WASI if any tag is, pure if
/// every tag is `any`, else native.
pub fn family_of(tags: &[PlatformTag]) -> Family {
    let families: Vec<Family> = tags.iter().map(PlatformTag::family).collect();
    [Family::Emscripten, Family::Wasi]
        .into_iter()
        .find(|f| families.contains(f))
        .unwrap_or(if families.iter().all(|f| *f == Family::Pure) { Family::Pure } else { Family::Native })
}

/// A list of names for a message, cut after `max` with a count of the rest.
pub fn name_list(names: &[String], max: usize) -> String {
    let mut out = names.iter().take(max).cloned().collect::<Vec<_>>().join(", ");
    if names.len() > max {
        out.push_str(&format!(" and {} more", names.len() - max));
    }
    out
}

/// Audits `wheel` against `policies`.
pub fn audit(wheel: &Wheel, policies: &PolicySet, options: &AuditOptions) -> Audit {
    let declared: Vec<PlatformTag> = match &options.platform {
        Some(tag) => vec![tag.clone()],
        None => wheel.filename.platform_tags().to_vec(),
    };
    let family = family_of(&declared);
    let mut findings = local_findings(wheel, family);
    findings.retain(|f| !options.ignore.contains(&f.rule));
    let tags = wheel.tags();
    let layout = Layout::new(
        wheel.binaries.iter().filter_map(|b| Some((crate::wheel::installed_path(&b.path)?, b.wasm()?))),
        wheel.filename.libs_dir(),
    );
    let exports = link::exported_symbols(layout.modules().values().copied());
    let context = Context { wheel, tags: &tags, layout: &layout, exports: &exports, ignore: &options.ignore };

    let family_policies: Vec<&LoadedPolicy> = match family {
        Family::Emscripten | Family::Wasi => policies.family(family).collect(),
        Family::Pure | Family::Native => Vec::new(),
    };
    // Prerelease platforms count when asked for, or named by a declared tag.
    let counted = |p: &&LoadedPolicy| {
        !p.policy().prerelease
            || options.prerelease
            || declared.iter().any(|t| policies.for_tag(t).is_some_and(|d| d.policy().name == p.policy().name))
    };
    let (candidates, later): (Vec<&LoadedPolicy>, Vec<&LoadedPolicy>) = family_policies.into_iter().partition(counted);
    // Binary findings that stop a module from loading on any platform of the family.
    let blocking: Vec<Finding> = findings.iter().filter(|f| binaries::blocks_loading(f.rule)).cloned().collect();
    let (platforms, mut unresolved) = verdicts(&context, &candidates, &blocking);
    let (upcoming, unresolved_later) = verdicts(&context, &later, &blocking);
    for (path, by_platform) in unresolved_later {
        unresolved.entry(path).or_default().extend(by_platform);
    }
    let on_family = |t: &&PlatformTag| t.family() == family && matches!(family, Family::Emscripten | Family::Wasi);
    for tag in declared.iter().filter(on_family) {
        findings.extend(declared_tag_findings(tag, &declared, &context, policies, &platforms, &unresolved));
    }
    findings.retain(|f| !options.ignore.contains(&f.rule));
    sort_findings(&mut findings);
    let compatible_platforms = platforms.iter().filter(|v| v.compatible).map(|v| v.platform.clone()).collect();
    Audit { family, declared, platforms, compatible_platforms, upcoming, unresolved, findings }
}

/// Each candidate platform's verdict, and the unresolved imports of each binary there.
fn verdicts(
    context: &Context<'_>,
    candidates: &[&LoadedPolicy],
    blocking: &[Finding],
) -> (Vec<PlatformVerdict>, Unresolved) {
    let mut unresolved = Unresolved::new();
    let mut platforms = Vec::new();
    for policy in candidates {
        let evaluation = context.evaluate(policy);
        for (path, symbols) in evaluation.unresolved {
            unresolved.entry(path).or_default().insert(policy.canonical_tag().clone(), symbols);
        }
        let mut reasons = evaluation.reasons;
        reasons.extend(blocking.iter().map(|f| f.clone().on(policy.canonical_tag())));
        let compatible = !reasons.iter().any(|r| r.severity == Severity::Error);
        platforms.push(PlatformVerdict { platform: policy.canonical_tag().clone(), compatible, reasons });
    }
    (platforms, unresolved)
}

/// What a declared platform tag earns: its spelling, whether a policy knows it, and if the
/// binaries cannot load there, why.
fn declared_tag_findings(
    tag: &PlatformTag,
    declared: &[PlatformTag],
    context: &Context<'_>,
    policies: &PolicySet,
    platforms: &[PlatformVerdict],
    unresolved: &Unresolved,
) -> Vec<Finding> {
    let mut findings = tag_spelling_findings(tag);
    let verdict =
        policies.for_tag(tag).and_then(|p| Some((p, platforms.iter().find(|v| v.platform == *p.canonical_tag())?)));
    let Some((policy, verdict)) = verdict else {
        let known: Vec<&str> = platforms.iter().map(|v| v.platform.as_str()).collect();
        findings.push(Finding::new(
            Rule::UnknownPlatform,
            None,
            format!("no policy describes {tag}: its binaries were not verified (known: {})", known.join(", ")),
        ));
        return findings;
    };
    findings.extend(refusing_installers(declared, policy));
    // Warnings stand even on a compatible platform; errors make it incompatible. Blocking
    // binary findings are reported once, without a platform.
    findings.extend(verdict.reasons.iter().filter(|r| !binaries::blocks_loading(r.rule)).cloned());
    if verdict.compatible {
        return findings;
    }
    findings.extend(context.newer_python_findings(policy, policies, unresolved));
    let compatible: Vec<&str> = platforms.iter().filter(|v| v.compatible).map(|v| v.platform.as_str()).collect();
    let message = format!(
        "tagged {tag}, but its binaries cannot load there ({}); compatible platforms: {}",
        name_list(&checks::error_rule_ids(&verdict.reasons), 8),
        if compatible.is_empty() { "none".to_string() } else { compatible.join(", ") }
    );
    findings.push(Finding::new(Rule::PlatformTagIncompatible, None, message).on(policy.canonical_tag()));
    findings
}

/// The installers of `policy` that check tags and accept none of `tags` (the wheel's, or
/// `--plat`).
fn refusing_installers(tags: &[PlatformTag], policy: &LoadedPolicy) -> Vec<Finding> {
    let refusing = policy.policy().installers.iter().filter_map(|installer| {
        let accepted = installer.platform_tags.as_ref()?;
        (!tags.iter().any(|t| accepted.contains(t))).then_some((installer, accepted))
    });
    refusing
        .map(|(installer, accepted)| {
            let accepted: Vec<&str> = accepted.iter().map(PlatformTag::as_str).collect();
            let mut others: Vec<String> = policy
                .policy()
                .installers
                .iter()
                .filter(|i| i.platform_tags.is_none())
                .map(|i| i.name.clone())
                .collect();
            others.dedup();
            let message = format!(
                "{} refuses this wheel: it installs wheels tagged {}, not {}{}",
                installer.describe(),
                accepted.join(" or "),
                tags.iter().map(PlatformTag::as_str).collect::<Vec<_>>().join("."),
                if others.is_empty() {
                    String::new()
                } else {
                    format!("; {} loads it regardless of tags", others.join(" and "))
                }
            );
            Finding::new(Rule::InstallerRefusesTag, None, message).on(policy.canonical_tag())
        })
        .collect()
}

/// What can be said of a wheel without any platform policy: whether it installs safely, and
/// what each binary is against the family of `family`'s tags. `show` reports these.
pub fn local_findings(wheel: &Wheel, family: Family) -> Vec<Finding> {
    let mut findings = installable::findings(wheel);
    findings.extend(binaries::findings(wheel, family));
    findings
}

/// Orders findings for reports: errors first; within a severity, each member's findings, then
/// those about the whole wheel. Exact repeats are dropped.
pub fn sort_findings(findings: &mut Vec<Finding>) {
    type Key<'a> = (Severity, bool, &'a Option<String>, &'static str, &'a Option<PlatformTag>, &'a str);
    fn key(f: &Finding) -> Key<'_> {
        (f.severity, f.path.is_none(), &f.path, f.rule.id(), &f.platform, &f.message)
    }
    findings.sort_by(|a, b| key(a).cmp(&key(b)));
    findings.dedup();
}

/// Warnings about how a tag is spelled.
fn tag_spelling_findings(tag: &PlatformTag) -> Vec<Finding> {
    match tag.kind() {
        PlatformKind::Pyodide(abi) => vec![Finding::new(
            Rule::LegacyPlatformTag,
            None,
            format!(
                "{tag} is the pre-PEP 783 spelling; use {} (wasmwheel tags --platform-tag canonical)",
                abi.canonical_tag()
            ),
        )],
        PlatformKind::Emscripten(_) => vec![Finding::new(
            Rule::GenericPlatformTag,
            None,
            format!(
                "{tag} names an Emscripten version, not a Pyodide ABI; use a pyemscripten_<year>_<patch>_wasm32 tag"
            ),
        )],
        _ => Vec::new(),
    }
}
