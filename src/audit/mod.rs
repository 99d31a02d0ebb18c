//! The audit: on which platforms a wheel's binaries can load, and why not on the others.
//!
//! One analysis, shared by `audit`, `check` and `repair` (and, without policies, `show`): the
//! archive and dist-info files are checked for a safe install, every binary on its own (kind,
//! imports, entry points, suffix, RUNTIME_PATH), then the wheel is resolved against every
//! policy of its family as that platform's loader would (libraries, symbols, function types,
//! build markers, Python version). Declared platform tags are verified against those verdicts.

mod binaries;
mod installable;
pub mod limited_api;
pub mod python;
pub mod resolve;

use std::collections::{BTreeMap, BTreeSet, HashSet};

use serde::Serialize;

use crate::platform::{Family, PlatformKind, PlatformTag};
use crate::policy::{LoadedPolicy, PolicyFamily, PolicySet, Unwinding};
use crate::rules::{Finding, Rule, Severity};
use crate::wheel::{Tag, Wheel};
use python::ExtensionSuffix;
use resolve::Layout;

/// What the user asked of an audit.
#[derive(Clone, Debug, Default)]
pub struct AuditOptions {
    /// Verify against this platform instead of the filename's platform tags (`--plat`).
    pub platform: Option<PlatformTag>,
    /// Rules to ignore: neither reported nor counted against a platform (`--ignore`).
    pub ignore: HashSet<Rule>,
}

/// Whether a wheel's binaries can load on one platform, and if not, why not.
#[derive(Clone, Debug, Serialize)]
pub struct PlatformVerdict {
    /// The canonical platform tag.
    pub platform: String,
    /// Whether every binary loads there and the wheel's Python fits.
    pub compatible: bool,
    /// Why not: the findings that would be reported if the wheel claimed this platform.
    pub reasons: Vec<Finding>,
}

/// The result of auditing one wheel.
#[derive(Clone, Debug)]
pub struct Audit {
    /// The platform family of the wheel's tags.
    pub family: Family,
    /// Every known platform of that family, oldest first.
    pub platforms: Vec<PlatformVerdict>,
    /// The canonical tags of the compatible platforms, oldest first.
    pub compatible_platforms: Vec<String>,
    /// Unresolved imports by binary path, then canonical platform tag.
    pub unresolved: BTreeMap<String, BTreeMap<String, Vec<String>>>,
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
        None => wheel.filename.platform_tags.clone(),
    };
    let family = family_of(&declared);
    let mut findings = local_findings(wheel, family);
    findings.retain(|f| !options.ignore.contains(&f.rule));
    // Binary findings that stop a module from loading on any platform of the family.
    let blocking: Vec<&Finding> = findings.iter().filter(|f| binaries::blocks_loading(f.rule)).collect();
    let wheel_tags = wheel.tags();

    let layout = Layout::new(
        wheel.binaries.iter().filter_map(|b| Some((resolve::installed_path(&b.path)?, b.wasm()?))),
        &wheel.filename.name,
    );
    let exports = resolve::exported_symbols(layout.modules().values().copied());
    let context = Context { wheel, tags: &wheel_tags, layout: &layout, exports: &exports, ignore: &options.ignore };

    let mut unresolved: BTreeMap<String, BTreeMap<String, Vec<String>>> = BTreeMap::new();
    let mut platforms = Vec::new();
    let candidates: Vec<&LoadedPolicy> = match family {
        Family::Emscripten | Family::Wasi => policies.family(family).collect(),
        Family::Pure | Family::Native => Vec::new(),
    };
    for policy in &candidates {
        let (mut reasons, missing) = context.evaluate(policy);
        for (path, symbols) in missing {
            unresolved.entry(path).or_default().insert(policy.canonical_tag().to_string(), symbols);
        }
        reasons.extend(blocking.iter().map(|f| (*f).clone().on(policy.canonical_tag())));
        let compatible = !reasons.iter().any(|r| r.severity == Severity::Error);
        platforms.push(PlatformVerdict { platform: policy.canonical_tag().to_string(), compatible, reasons });
    }

    for tag in declared.iter().filter(|t| t.family() == family && matches!(family, Family::Emscripten | Family::Wasi)) {
        findings.extend(tag_spelling_findings(tag));
        let Some(policy) = policies.for_tag(tag) else {
            let known: Vec<String> = candidates.iter().map(|p| p.canonical_tag().to_string()).collect();
            findings.push(Finding::new(
                Rule::UnknownPlatform,
                None,
                format!("no policy describes {tag}: its binaries were not verified (known: {})", known.join(", ")),
            ));
            continue;
        };
        let verdict =
            platforms.iter().find(|v| v.platform == policy.canonical_tag()).expect("every candidate has a verdict");
        // Warnings stand even on a compatible platform; errors make it incompatible. Blocking
        // binary findings are reported once, above, without a platform.
        findings.extend(verdict.reasons.iter().filter(|r| !binaries::blocks_loading(r.rule)).cloned());
        if verdict.compatible {
            continue;
        }
        findings.extend(context.newer_python_findings(policy, policies, &unresolved));
        let compatible: Vec<&str> = platforms.iter().filter(|v| v.compatible).map(|v| v.platform.as_str()).collect();
        findings.push(
            Finding::new(
                Rule::PlatformTagIncompatible,
                None,
                format!(
                    "tagged {tag}, but its binaries cannot load there ({}); compatible platforms: {}",
                    name_list(
                        &verdict
                            .reasons
                            .iter()
                            .map(|r| r.rule.id().to_string())
                            .collect::<BTreeSet<_>>()
                            .into_iter()
                            .collect::<Vec<_>>(),
                        8
                    ),
                    if compatible.is_empty() { "none".to_string() } else { compatible.join(", ") }
                ),
            )
            .on(policy.canonical_tag()),
        );
    }

    findings.retain(|f| !options.ignore.contains(&f.rule));
    sort_findings(&mut findings);
    let compatible_platforms = platforms.iter().filter(|v| v.compatible).map(|v| v.platform.clone()).collect();
    Audit { family, platforms, compatible_platforms, unresolved, findings }
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
    findings.sort_by(|a, b| {
        (a.severity, a.path.is_none(), &a.path, a.rule.id(), &a.platform, &a.message).cmp(&(
            b.severity,
            b.path.is_none(),
            &b.path,
            b.rule.id(),
            &b.platform,
            &b.message,
        ))
    });
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

/// What a platform evaluation needs to know of the wheel.
struct Context<'a> {
    wheel: &'a Wheel,
    tags: &'a [Tag],
    layout: &'a Layout<'a>,
    exports: &'a HashSet<String>,
    ignore: &'a HashSet<Rule>,
}

impl Context<'_> {
    /// Why the wheel cannot load on `policy` (empty if it can), and each binary's unresolved
    /// imports there.
    fn evaluate(&self, policy: &LoadedPolicy) -> (Vec<Finding>, Vec<(String, Vec<String>)>) {
        let platform = policy.canonical_tag();
        let p = &policy.policy;
        let mut reasons = Vec::new();
        let mut unresolved_by_binary = Vec::new();
        let (major, minor) = policy.python();

        if !self.tags.iter().any(|t| python::tag_fits(t, (major, minor))) {
            reasons.push(Finding::new(
                Rule::PythonVersionMismatch,
                None,
                format!(
                    "its tags need Python {}; {platform} has Python {major}.{minor}",
                    python::describe_needed(self.tags)
                ),
            ));
        }
        if let Some(Ok(spec)) =
            self.wheel.metadata.as_ref().and_then(|m| m.as_ref().ok()).and_then(|m| m.requires_python())
            && let Ok(version) = p.python.parse::<pep440_rs::Version>()
            && !spec.contains(&version)
        {
            reasons.push(Finding::new(
                Rule::RequiresPythonExcludes,
                None,
                format!("Requires-Python `{spec}` excludes {platform}'s Python {}", p.python),
            ));
        }

        for binary in &self.wheel.binaries {
            let Some(info) = binary.wasm() else { continue };
            if info.dylink.is_none() {
                continue;
            }
            let path = Some(binary.path.as_str());
            if let Some(ExtensionSuffix::Versioned { python, .. }) = python::extension_suffix(&binary.path)
                && python != (major, minor)
            {
                reasons.push(Finding::new(
                    Rule::PythonVersionMismatch,
                    path,
                    format!(
                        "only Python {}.{} imports this file name; {platform} has Python {major}.{minor}",
                        python.0, python.1
                    ),
                ));
            }
            let m = &info.markers;
            let style = |u: Unwinding| match u {
                Unwinding::Js => "JavaScript",
                Unwinding::Wasm => "wasm",
                Unwinding::None => "no",
            };
            if (m.js_exceptions && p.exceptions != Unwinding::Js)
                || (m.wasm_exceptions && p.exceptions != Unwinding::Wasm)
            {
                let built = if m.js_exceptions {
                    "JavaScript exceptions (invoke_*)"
                } else {
                    "wasm exceptions (-fwasm-exceptions)"
                };
                reasons.push(Finding::new(
                    Rule::ExceptionHandlingMismatch,
                    path,
                    format!("built with {built}; {platform} unwinds with {} exceptions", style(p.exceptions)),
                ));
            }
            if (m.js_setjmp && p.setjmp != Unwinding::Js) || (m.wasm_setjmp && p.setjmp != Unwinding::Wasm) {
                let built = if m.js_setjmp { "JavaScript setjmp/longjmp" } else { "wasm setjmp/longjmp" };
                reasons.push(Finding::new(
                    Rule::SetjmpMismatch,
                    path,
                    format!("built with {built}; {platform} uses {} setjmp/longjmp", style(p.setjmp)),
                ));
            }
            if p.family == PolicyFamily::Wasi
                && !p.loader.runtime_path
                && info.dylink.as_ref().is_some_and(|d| !d.runtime_paths.is_empty())
            {
                reasons.push(Finding::new(
                    Rule::WasiDylinkSubsection,
                    path,
                    format!("dylink.0 has RUNTIME_PATH, which {platform}'s linker (wit-component before wasm-tools 1.237) rejects"),
                ));
            }
            if m.i64_legalized && p.bigint {
                reasons.push(Finding::new(
                    Rule::NoBigint,
                    path,
                    format!("built without -sWASM_BIGINT (i64 split for JavaScript); {platform} passes i64 as BigInt"),
                ));
            }
            if m.shared_memory != p.shared_memory {
                reasons.push(Finding::new(
                    Rule::SharedMemory,
                    path,
                    if m.shared_memory {
                        format!("built with threads (shared memory); {platform} has no pthreads")
                    } else {
                        format!("built without threads; {platform}'s memory is shared")
                    },
                ));
            }
            if m.memory64 != p.memory64 {
                reasons.push(Finding::new(
                    Rule::Memory64,
                    path,
                    format!(
                        "{}-bit memory; {platform}'s is {}-bit",
                        if m.memory64 { 64 } else { 32 },
                        if p.memory64 { 64 } else { 32 }
                    ),
                ));
            }
            if info.dylink.as_ref().is_some_and(|d| d.legacy) && !p.loader.legacy_dylink {
                reasons.push(Finding::new(
                    Rule::LegacyDylink,
                    path,
                    format!("the old `dylink` section; {platform}'s loader (Emscripten {}) reads only dylink.0: relink, or `wasmwheel repair` converts it", p.emscripten.as_deref().unwrap_or("?")),
                ));
            }
            if let Some(module) = resolve::installed_path(&binary.path) {
                for (parent, library) in self.layout.missing_libraries(&p.loader, &module, &p.provided_libraries) {
                    let how = resolve::search_description(&p.loader);
                    let via = if parent == module { String::new() } else { format!(" (through {parent})") };
                    reasons.push(Finding::new(
                        Rule::NeededLibraryMissing,
                        path,
                        format!("NEEDs {library}{via}, which {platform}'s loader cannot find in {how}; vendor it with `wasmwheel repair -L DIR`"),
                    ));
                }
            }
            let mismatches = resolve::signature_mismatches(info, policy);
            if !mismatches.is_empty() {
                let wide = mismatches.iter().any(|(_, _, expected)| expected.contains("i64"));
                let list: Vec<String> =
                    mismatches.iter().map(|(name, got, want)| format!("{name} as {got}, not {want}")).collect();
                reasons.push(Finding::new(
                    Rule::SignatureMismatch,
                    path,
                    format!(
                        "imports {} with types {platform}'s main module does not have, so linking fails: {}{}",
                        if mismatches.len() == 1 { "a function" } else { "functions" },
                        name_list(&list, 4),
                        if wide { " (i64 split in two: built without -sWASM_BIGINT?)" } else { "" }
                    ),
                ));
            }
            let symbols = resolve::unresolved(info, policy, self.exports);
            if !symbols.is_empty() {
                reasons.push(Finding::new(
                    Rule::UnresolvedSymbol,
                    path,
                    format!(
                        "imports {} symbol(s) {platform} does not provide: {}",
                        symbols.len(),
                        name_list(&symbols, 10)
                    ),
                ));
            }
            unresolved_by_binary.push((binary.path.clone(), symbols));
        }
        reasons.retain(|r| !self.ignore.contains(&r.rule));
        reasons.sort_by(|a, b| (&a.path, a.rule.id()).cmp(&(&b.path, b.rule.id())));
        reasons.dedup();
        (reasons.into_iter().map(|r| r.on(platform)).collect(), unresolved_by_binary)
    }

    /// For a declared platform: binaries whose missing CPython API a newer Python has, which
    /// shows they were built for that newer Python.
    fn newer_python_findings(
        &self,
        policy: &LoadedPolicy,
        policies: &PolicySet,
        unresolved: &BTreeMap<String, BTreeMap<String, Vec<String>>>,
    ) -> Vec<Finding> {
        let mut findings = Vec::new();
        for (path, by_platform) in unresolved {
            let Some(missing) = by_platform.get(policy.canonical_tag()) else { continue };
            let python_api: Vec<String> = missing.iter().filter(|s| limited_api::is_python_api(s)).cloned().collect();
            if python_api.is_empty() {
                continue;
            }
            let newer = policies.family(policy.policy.family.family()).find(|q| {
                q.python() > policy.python() && python_api.iter().all(|s| q.provides(s) || self.exports.contains(s))
            });
            if let Some(q) = newer {
                let (qa, qb) = q.python();
                let (pa, pb) = policy.python();
                findings.push(
                    Finding::new(
                        Rule::PythonVersionMismatch,
                        Some(path),
                        format!(
                            "built for Python {qa}.{qb}, not {pa}.{pb}: it uses CPython API that {pa}.{pb} lacks and {qa}.{qb} has ({})",
                            name_list(&python_api, 6)
                        ),
                    )
                    .on(policy.canonical_tag()),
                );
            }
        }
        findings
    }
}
