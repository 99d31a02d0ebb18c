//! The zip archive as an index sees it: compression methods, duplicate and unsafe names,
//! decompression bombs, symbolic links.

use std::collections::BTreeMap;

use crate::archive::{Compression, EntryKind, unsafe_name_reason};
use crate::rules::{Finding, Rule};
use crate::wheel::Wheel;

/// A member expanding more than this many times its stored size...
const BOMB_RATIO: u64 = 100;
/// ...and past this size is a decompression bomb.
const BOMB_MIN_SIZE: u64 = 1 << 20;

/// Findings about the archive itself.
pub fn findings(wheel: &Wheel) -> Vec<Finding> {
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
        if member.size > BOMB_MIN_SIZE && member.size / member.compressed_size.max(1) > BOMB_RATIO {
            findings.push(Finding::new(
                Rule::ArchiveCompressionBomb,
                path,
                format!(
                    "expands {} times ({} KiB from {} KiB)",
                    member.size / member.compressed_size.max(1),
                    member.size / 1024,
                    member.compressed_size.div_ceil(1024)
                ),
            ));
        }
        if member.kind == EntryKind::Symlink {
            findings.push(Finding::new(
                Rule::ArchiveSymlink,
                path,
                format!(
                    "a symbolic link (to {}); installers write it as a plain file",
                    String::from_utf8_lossy(&member.data)
                ),
            ));
        }
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
