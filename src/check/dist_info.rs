//! What an index checks in WHEEL and METADATA (that they exist and read is an install matter,
//! in `audit::installable`).

use std::collections::BTreeSet;

use crate::rules::{Finding, Rule};
use crate::wheel::{BinaryKind, Wheel};

/// Metadata-Version values PyPI knows.
const METADATA_VERSIONS: [&str; 9] = ["1.0", "1.1", "1.2", "2.0", "2.1", "2.2", "2.3", "2.4", "2.5"];

/// Findings about the dist-info folder, WHEEL and METADATA.
pub fn findings(wheel: &Wheel) -> Vec<Finding> {
    let mut findings = Vec::new();
    let dir = wheel.dist_info.clone().unwrap_or_else(|| wheel.filename.dist_info());
    findings.extend(wheel_file(wheel, &format!("{dir}/WHEEL")));
    findings.extend(metadata(wheel, &dir));
    findings
}

fn wheel_file(wheel: &Wheel, path: &str) -> Vec<Finding> {
    let at = Some(path);
    let Some(Ok(parsed)) = &wheel.wheel_file else { return Vec::new() };
    let mut findings = Vec::new();
    if parsed.wheel_version().is_none() {
        findings.push(Finding::new(Rule::WheelFileInvalid, at, "no Wheel-Version"));
    }
    match parsed.root_is_purelib() {
        None => findings.push(Finding::new(Rule::WheelFileInvalid, at, "Root-Is-Purelib is missing or not true/false")),
        Some(true) => {
            let binaries = wheel
                .binaries
                .iter()
                .filter(|b| match &b.kind {
                    BinaryKind::Native(_) => true,
                    BinaryKind::Wasm(info) => info.dylink.is_some() || !info.markers.python_entry_points.is_empty(),
                })
                .count();
            if binaries > 0 {
                findings.push(Finding::new(
                    Rule::PurelibWithBinaries,
                    at,
                    format!(
                        "Root-Is-Purelib is true but the wheel has {binaries} binar{}",
                        if binaries == 1 { "y" } else { "ies" }
                    ),
                ));
            }
        }
        Some(false) => {}
    }
    let lines: Vec<String> = parsed
        .tags()
        .into_iter()
        .map(|t| t.map(|t| t.to_string()).unwrap_or_else(|bad| bad))
        .collect::<BTreeSet<_>>()
        .into_iter()
        .collect();
    let filename: Vec<String> =
        wheel.tags().iter().map(ToString::to_string).collect::<BTreeSet<_>>().into_iter().collect();
    if lines != filename {
        findings.push(Finding::new(
            Rule::WheelTagsMismatch,
            at,
            format!("Tag lines {} differ from the filename's {}", or_none(&lines), or_none(&filename)),
        ));
    }
    let has_binaries = !wheel.binaries.is_empty();
    if !has_binaries && let Some(tag) = wheel.filename.platform_tags.iter().find(|t| t.as_str() != "any") {
        findings.push(Finding::new(
            Rule::PlatformTagWithoutBinaries,
            None,
            format!("tagged {tag} but the wheel has no binaries"),
        ));
    }
    findings
}

fn or_none(items: &[String]) -> String {
    if items.is_empty() { "(none)".into() } else { items.join(", ") }
}

fn metadata(wheel: &Wheel, dir: &str) -> Vec<Finding> {
    let path = format!("{dir}/METADATA");
    let at = Some(path.as_str());
    let Some(Ok(metadata)) = &wheel.metadata else { return Vec::new() };
    let mut findings = Vec::new();
    let mut missing = |field: &str| findings.push(Finding::new(Rule::MetadataMissingField, at, format!("no {field}")));
    match metadata.metadata_version() {
        None => missing("Metadata-Version"),
        Some(v) if !METADATA_VERSIONS.contains(&v) => {
            findings.push(Finding::new(Rule::MetadataMissingField, at, format!("unknown Metadata-Version {v}")))
        }
        Some(_) => {}
    }
    let mut missing = |field: &str| findings.push(Finding::new(Rule::MetadataMissingField, at, format!("no {field}")));
    if metadata.name().is_none() {
        missing("Name");
    }
    if metadata.version().is_none() {
        missing("Version");
    }
    if let Some(Err(e)) = metadata.normalized_name() {
        findings.push(Finding::new(
            Rule::MetadataInvalidName,
            at,
            format!("Name `{}` is not a valid project name ({})", e.value, e.reason),
        ));
    }
    match metadata.parsed_version() {
        Some(Err(e)) => findings.push(Finding::new(
            Rule::MetadataInvalidVersion,
            at,
            format!("Version `{}` is not a PEP 440 version: {}", e.value, e.reason),
        )),
        Some(Ok(v)) if !v.local().is_empty() => findings.push(Finding::new(
            Rule::MetadataInvalidVersion,
            at,
            format!("Version `{v}` has a local segment, which PyPI refuses"),
        )),
        _ => {}
    }
    for requirement in metadata.requires_dist().into_iter().filter_map(Result::err) {
        findings.push(Finding::new(
            Rule::MetadataInvalidRequiresDist,
            at,
            format!("Requires-Dist `{}` is not PEP 508: {}", requirement.value, requirement.reason),
        ));
    }
    if let Some(Err(e)) = metadata.requires_python() {
        findings.push(Finding::new(
            Rule::MetadataInvalidRequiresPython,
            at,
            format!("Requires-Python `{}` is not a version specifier: {}", e.value, e.reason),
        ));
    }
    let modern = metadata.metadata_version().is_some_and(|v| v >= "2.4");
    for license in metadata.license_files() {
        let in_licenses = format!("{dir}/licenses/{license}");
        let found = wheel.archive.get(&in_licenses).is_some()
            || (!modern && wheel.archive.get(&format!("{dir}/{license}")).is_some());
        if !found {
            findings.push(Finding::new(
                Rule::MetadataLicenseFileMissing,
                at,
                format!("License-File {license} is not at {in_licenses}"),
            ));
        }
    }
    findings
}
