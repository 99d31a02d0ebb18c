//! RECORD against the members: every file listed with a correct hash, nothing listed that is
//! absent.

use std::collections::HashSet;

use crate::archive::{Compression, EntryKind};
use crate::one_line::one_line;
use crate::rules::{Finding, Rule};
use crate::wheel::record::HashCheck;
use crate::wheel::{DistInfoFile, Wheel};

/// Findings about RECORD.
pub fn findings(wheel: &Wheel) -> Vec<Finding> {
    let Some(dir) = wheel.dist_info.as_deref() else { return Vec::new() };
    let record_path = format!("{dir}/RECORD");
    let unhashed: HashSet<String> =
        ["RECORD", "RECORD.jws", "RECORD.p7s"].iter().map(|f| format!("{dir}/{f}")).collect();
    let record = match &wheel.record {
        DistInfoFile::Missing => return vec![Finding::new(Rule::RecordInvalid, Some(&record_path), "no RECORD")],
        DistInfoFile::Invalid(e) => return vec![Finding::new(Rule::RecordInvalid, Some(&record_path), one_line(e))],
        DistInfoFile::Parsed(record) => record,
    };
    let mut findings = Vec::new();
    let mut present = HashSet::new();
    for member in wheel.archive.members.iter().filter(|m| m.kind != EntryKind::Directory) {
        present.insert(member.name.as_str());
        if unhashed.contains(&member.name) {
            continue;
        }
        let path = Some(member.name.as_str());
        let Some(entry) = record.get(&member.name) else {
            findings.push(Finding::new(Rule::RecordEntryMissing, path, "not listed in RECORD"));
            continue;
        };
        if matches!(member.compression, Compression::Unsupported(_)) {
            // Not read, so not hashed: archive-unsupported-compression reports it.
            continue;
        }
        match entry.check(&member.data) {
            HashCheck::Match => {}
            HashCheck::Missing => {
                findings.push(Finding::new(Rule::RecordEntryMissing, path, "listed in RECORD without a hash"))
            }
            HashCheck::UnsupportedAlgorithm(algorithm) => findings.push(Finding::new(
                Rule::RecordWeakHash,
                path,
                format!("RECORD hashes it with {algorithm}; use sha256"),
            )),
            HashCheck::HashMismatch(actual) => findings.push(Finding::new(
                Rule::RecordHashMismatch,
                path,
                format!(
                    "RECORD says {}, the file hashes to {actual}",
                    entry.hash.as_ref().map(ToString::to_string).unwrap_or_default()
                ),
            )),
            HashCheck::SizeMismatch(size) => findings.push(Finding::new(
                Rule::RecordHashMismatch,
                path,
                format!(
                    "RECORD says {} bytes, the file has {size}",
                    entry.size.map_or_else(|| "no".to_string(), |s| s.to_string())
                ),
            )),
        }
    }
    for entry in &record.entries {
        if !present.contains(entry.path.as_str()) && !entry.path.ends_with('/') {
            findings.push(Finding::new(
                Rule::RecordEntryStale,
                Some(&entry.path),
                "listed in RECORD but not in the wheel",
            ));
        }
    }
    findings
}
