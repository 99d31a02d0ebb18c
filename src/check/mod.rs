//! `check`: everything `audit` reports (which includes the archive and the dist-info files
//! installers need), plus what the index (PyPI) checks on upload: the filename against
//! METADATA, platform tags PyPI accepts, WHEEL and METADATA fields, and RECORD. Run it as the
//! last gate before `twine upload`.

mod dist_info;
mod hashes;

use crate::audit::{self, Audit, AuditOptions};
use crate::platform::{Family, PlatformKind, PlatformTag};
use crate::policy::PolicySet;
use crate::rules::{Finding, Rule};
use crate::wheel::Wheel;

/// Checks `wheel`: its audit, with the index's checks added to the findings.
pub fn check(wheel: &Wheel, policies: &PolicySet, options: &AuditOptions) -> Audit {
    let mut result = audit::audit(wheel, policies, options);
    let mut findings = index_findings(wheel, policies);
    findings.extend(dist_info::findings(wheel));
    findings.extend(hashes::findings(wheel));
    findings.retain(|f| !options.ignore.contains(&f.rule));
    result.findings.extend(findings);
    audit::sort_findings(&mut result.findings);
    result
}

/// The filename against METADATA, and the platform tags PyPI accepts.
fn index_findings(wheel: &Wheel, policies: &PolicySet) -> Vec<Finding> {
    let mut findings = Vec::new();
    let filename = &wheel.filename;
    if let Some(metadata) = wheel.metadata.parsed() {
        if let Some(Ok(name)) = metadata.normalized_name()
            && *filename.name.normalized() != name
        {
            findings.push(Finding::new(
                Rule::FilenameNameMismatch,
                None,
                format!(
                    "the filename says `{}` but METADATA's Name `{}` makes `{}`",
                    filename.name,
                    metadata.name().unwrap_or_default(),
                    name.as_dist_info_name()
                ),
            ));
        }
        if let Some(Ok(version)) = metadata.parsed_version()
            && *filename.version.version() != version
        {
            findings.push(Finding::new(
                Rule::FilenameVersionMismatch,
                None,
                format!("the filename says version {} but METADATA says {version}", filename.version),
            ));
        }
    }

    let mut seen = Vec::new();
    for tag in filename.platform_tags() {
        if tag.accepted_by_pypi() || seen.contains(tag) {
            continue;
        }
        seen.push(tag.clone());
        findings.push(Finding::new(Rule::PlatformTagRejected, None, rejected_tag_message(tag, policies)));
    }
    findings
}

/// Why PyPI rejects `tag`, and what to use instead.
fn rejected_tag_message(tag: &PlatformTag, policies: &PolicySet) -> String {
    let fix = "(wasmwheel tags --platform-tag canonical, or wasmwheel repair)";
    match (tag.kind(), policies.for_tag(tag)) {
        (PlatformKind::Pyodide(abi), _) => {
            format!("PyPI rejects platform tag {tag}; use {} {fix}", abi.canonical_tag())
        }
        (PlatformKind::Emscripten(_), Some(policy)) => format!(
            "PyPI rejects platform tag {tag}; its Emscripten version is ABI {}: use {} (wasmwheel repair, or wasmwheel tags --platform-tag {})",
            policy.policy().abi.map_or_else(|| "?".to_string(), |a| a.to_string()),
            policy.canonical_tag(),
            policy.canonical_tag()
        ),
        _ if tag.family() == Family::Wasi => {
            format!(
                "PyPI rejects platform tag {tag}: no PEP defines a WASI platform tag yet, so WASI wheels cannot be uploaded there"
            )
        }
        _ if tag.family() == Family::Emscripten => format!(
            "PyPI rejects platform tag {tag}; Emscripten wheels must carry pyemscripten_<year>_<patch>_wasm32 (PEP 783)"
        ),
        _ => format!("PyPI rejects platform tag {tag}"),
    }
}
