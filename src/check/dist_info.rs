//! What an index checks in WHEEL and METADATA (that they exist and read is an install matter,
//! in `audit::installable`).

use std::collections::BTreeSet;

use crate::one_line::one_line;
use crate::rules::{Finding, Rule};
use crate::wheel::metadata::MetadataVersion;
use crate::wheel::{BinaryKind, Wheel};

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
    let Some(parsed) = wheel.wheel_file.parsed() else { return Vec::new() };
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
        .map(|t| t.map_or_else(|bad| one_line(&bad), |t| t.to_string()))
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
    if !has_binaries && let Some(tag) = wheel.filename.platform_tags().iter().find(|t| t.as_str() != "any") {
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
    let Some(metadata) = wheel.metadata.parsed() else { return Vec::new() };
    let mut findings = Vec::new();
    let version = metadata.metadata_version();
    let known = version.as_ref().and_then(|v| v.as_ref().ok()).filter(|v| MetadataVersion::KNOWN.contains(v));
    if known.is_none() {
        let message = match metadata.headers.get("Metadata-Version") {
            None => "no Metadata-Version".to_string(),
            Some(v) => format!("unknown Metadata-Version {v}"),
        };
        findings.push(Finding::new(Rule::MetadataMissingField, at, message));
    }
    let mut missing = |field: &str| findings.push(Finding::new(Rule::MetadataMissingField, at, format!("no {field}")));
    if metadata.name().is_none() {
        missing("Name");
    }
    if metadata.version().is_none() {
        missing("Version");
    }
    if let Some(Err(e)) = metadata.normalized_name() {
        findings.push(Finding::new(Rule::MetadataInvalidName, at, one_line(&e)));
    }
    match metadata.parsed_version() {
        Some(Err(e)) => findings.push(Finding::new(Rule::MetadataInvalidVersion, at, one_line(&e))),
        Some(Ok(v)) if !v.local().is_empty() => findings.push(Finding::new(
            Rule::MetadataInvalidVersion,
            at,
            format!("Version `{v}` has a local segment, which PyPI refuses"),
        )),
        _ => {}
    }
    for e in metadata.requires_dist().into_iter().filter_map(Result::err) {
        findings.push(Finding::new(Rule::MetadataInvalidRequiresDist, at, one_line(&e)));
    }
    if let Some(Err(e)) = metadata.requires_python() {
        findings.push(Finding::new(Rule::MetadataInvalidRequiresPython, at, one_line(&e)));
    }
    let modern = known.is_some_and(|v| *v >= MetadataVersion::new(2, 4));
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
