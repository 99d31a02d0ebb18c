//! Whether a wheel can be installed safely at all, before any binary is looked at: the zip
//! archive (compression methods, duplicate and unsafe names, decompression bombs, symbolic
//! links) and the dist-info files installers read (the folder, WHEEL, METADATA).

use std::collections::BTreeMap;

use crate::archive::{Compression, EntryKind, is_bomb, unsafe_name_reason};
use crate::one_line::one_line;
use crate::rules::{Finding, Rule};
use crate::wheel::{DistInfoFile, Wheel};

/// Findings about the archive and the dist-info files installers need.
pub fn findings(wheel: &Wheel) -> Vec<Finding> {
    let mut findings = archive(wheel);
    findings.extend(dist_info(wheel));
    findings
}

/// The dist-info folder the filename names, with a readable WHEEL and METADATA: pip refuses a
/// wheel without them.
fn dist_info(wheel: &Wheel) -> Vec<Finding> {
    let mut findings = Vec::new();
    let expected = wheel.filename.dist_info();
    if wheel.dist_info.as_deref() != Some(expected.as_str()) {
        let found = wheel.dist_info.as_deref().unwrap_or("none");
        findings.push(Finding::new(Rule::DistInfoMissing, None, format!("no {expected}/ folder (found: {found})")));
    }
    let dir = wheel.dist_info.clone().unwrap_or(expected);
    let wheel_path = format!("{dir}/WHEEL");
    match &wheel.wheel_file {
        DistInfoFile::Missing => {
            findings.push(Finding::new(Rule::WheelFileInvalid, Some(&wheel_path), "no WHEEL file"))
        }
        DistInfoFile::Invalid(e) => findings.push(Finding::new(Rule::WheelFileInvalid, Some(&wheel_path), one_line(e))),
        DistInfoFile::Parsed(_) => {}
    }
    let metadata_path = format!("{dir}/METADATA");
    match &wheel.metadata {
        DistInfoFile::Missing => {
            findings.push(Finding::new(Rule::MetadataInvalid, Some(&metadata_path), "no METADATA file"));
        }
        DistInfoFile::Invalid(e) => {
            findings.push(Finding::new(Rule::MetadataInvalid, Some(&metadata_path), one_line(e)));
        }
        DistInfoFile::Parsed(_) => {}
    }
    findings
}

/// Findings about the zip archive itself.
fn archive(wheel: &Wheel) -> Vec<Finding> {
    let mut findings = Vec::new();
    let mut counts: BTreeMap<&str, usize> = BTreeMap::new();
    for member in &wheel.archive.members {
        let path = Some(member.name.as_str());
        *counts.entry(&member.name).or_default() += 1;
        if let Compression::Unsupported(method) = &member.compression {
            findings.push(Finding::new(
                Rule::ArchiveUnsupportedCompression,
                path,
                format!("compressed with {method}; PyPI accepts only stored and deflate"),
            ));
        }
        if let Some(reason) = unsafe_name_reason(&member.name) {
            findings.push(Finding::new(Rule::ArchiveUnsafePath, path, reason));
        }
        if is_bomb(member) {
            findings.push(Finding::new(
                Rule::ArchiveCompressionBomb,
                path,
                format!(
                    "expands {} times ({} MiB from {} KiB)",
                    crate::archive::ratio(member),
                    member.size >> 20,
                    member.compressed_size.div_ceil(1024)
                ),
            ));
        }
        if member.kind == EntryKind::Symlink {
            findings.push(Finding::new(
                Rule::ArchiveSymlink,
                path,
                format!(
                    "a symbolic link (to {}); installers write it as a plain file, unzip as a link",
                    String::from_utf8_lossy(&member.data)
                ),
            ));
        }
    }
    if wheel.archive.is_bomb() && !wheel.archive.members.iter().any(crate::archive::is_bomb) {
        let (size, stored) = wheel.archive.sizes();
        findings.push(Finding::new(
            Rule::ArchiveCompressionBomb,
            None,
            format!(
                "the archive expands {} times in all ({} MiB from {} KiB, in {} members)",
                size / stored.max(1),
                size >> 20,
                stored.div_ceil(1024),
                wheel.archive.members.len()
            ),
        ));
    }
    for (name, count) in counts.into_iter().filter(|(_, n)| *n > 1) {
        findings.push(Finding::new(
            Rule::ArchiveDuplicateMember,
            Some(name),
            format!("{count} entries have this name"),
        ));
    }
    findings
}
