//! Reading a zip archive in one pass over its central directory, every member decompressed
//! into memory once, nothing written to disk.
//!
//! Entries that share a name are all kept (an installer would pick one; a checker must see
//! both), local headers must agree with the central directory, and decompression is bounded
//! by [`Limits`] whatever sizes the headers claim.

use std::io::{Cursor, Read};

use zip::read::Config;
use zip::result::ZipError;
use zip::unstable::read::ZipIterable;
use zip::{CompressionMethod, ZipReadOptions};

/// Bounds on what one archive may make wasmwheel hold in memory.
#[derive(Clone, Copy, Debug)]
pub struct Limits {
    /// Most entries in the central directory.
    pub max_members: usize,
    /// Most bytes one member may decompress to.
    pub max_member_size: u64,
    /// Most bytes all members together may decompress to.
    pub max_total_size: u64,
}

impl Default for Limits {
    fn default() -> Self {
        Limits { max_members: 100_000, max_member_size: 1 << 30, max_total_size: 2 << 30 }
    }
}

/// What an entry is.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum EntryKind {
    /// A regular file.
    File,
    /// A directory entry (name ends in `/`).
    Directory,
    /// A symbolic link (Unix mode); its data is the link target.
    Symlink,
}

/// How an entry is compressed.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum Compression {
    /// Method 0.
    Stored,
    /// Method 8.
    Deflated,
    /// Any other method, or an encrypted entry: its data is not read.
    Unsupported(String),
}

/// One entry of the archive.
#[derive(Clone, Debug)]
pub struct Member {
    /// The entry name as stored (lossy UTF-8 where it is not UTF-8).
    pub name: String,
    /// The decompressed bytes (empty when [`Compression::Unsupported`]).
    pub data: Vec<u8>,
    /// The compression method.
    pub compression: Compression,
    /// Bytes stored in the archive.
    pub compressed_size: u64,
    /// Bytes after decompression.
    pub size: u64,
    /// File, directory or symlink.
    pub kind: EntryKind,
    /// Unix permission bits, when the archive records them.
    pub unix_mode: Option<u32>,
}

/// A whole archive, read.
#[derive(Clone, Debug)]
pub struct Archive {
    /// Every entry, in central-directory order.
    pub members: Vec<Member>,
}

/// Why an archive cannot be read.
#[derive(Debug, thiserror::Error)]
#[non_exhaustive]
pub enum ArchiveError {
    /// No central directory, or one the zip reader refuses.
    #[error("not a zip archive")]
    NotZip(#[source] ZipError),
    /// More entries than [`Limits::max_members`].
    #[error("{count} entries, more than the limit of {limit}")]
    TooManyMembers {
        /// Entries in the central directory.
        count: usize,
        /// The limit.
        limit: usize,
    },
    /// The central directory cannot be walked.
    #[error("unreadable central directory")]
    CentralDirectory(#[source] ZipError),
    /// One central-directory entry cannot be read.
    #[error("bad central directory entry")]
    Entry(#[source] ZipError),
    /// A member whose header claims more than [`Limits::max_member_size`].
    #[error("member {name} expands to {size} bytes, more than the limit of {limit}")]
    MemberTooLarge {
        /// The member.
        name: String,
        /// Its declared size.
        size: u64,
        /// The limit.
        limit: u64,
    },
    /// A member whose data cannot be opened (local header, method).
    #[error("member {name}")]
    Open {
        /// The member.
        name: String,
        /// Why.
        #[source]
        source: ZipError,
    },
    /// A member whose data does not decompress or fails its CRC.
    #[error("member {name} is damaged")]
    Damaged {
        /// The member.
        name: String,
        /// Why.
        #[source]
        source: std::io::Error,
    },
    /// A member whose data is not the size its header says.
    #[error("member {name} holds {actual} bytes but its header says {declared}")]
    SizeMismatch {
        /// The member.
        name: String,
        /// Bytes read (at most one past the declared size).
        actual: u64,
        /// The declared size.
        declared: u64,
    },
    /// All members together past [`Limits::max_total_size`].
    #[error("members expand to more than the limit of {limit} bytes")]
    TotalTooLarge {
        /// The limit.
        limit: u64,
    },
}

impl Archive {
    /// Reads every member of the zip archive in `bytes`.
    ///
    /// Fails on anything that is not a readable zip archive: no central directory, a
    /// truncated or corrupt member (CRC), a local header that disagrees with the central
    /// directory, or sizes past `limits`.
    pub fn read(bytes: &[u8], limits: &Limits) -> Result<Archive, ArchiveError> {
        let mut iterable = ZipIterable::try_new(Cursor::new(bytes), Config::default())
            .map_err(ArchiveError::NotZip)?
            .enforce_header_consistency(true);
        if iterable.len() > limits.max_members {
            return Err(ArchiveError::TooManyMembers { count: iterable.len(), limit: limits.max_members });
        }
        let mut body = Cursor::new(bytes);
        let mut members = Vec::new();
        let mut total: u64 = 0;
        for entry in iterable.files().map_err(ArchiveError::CentralDirectory)? {
            let entry = entry.map_err(ArchiveError::Entry)?;
            let name = match entry.name() {
                Ok(name) => name.into_owned(),
                Err(_) => String::from_utf8_lossy(entry.name_raw()).into_owned(),
            };
            let kind = if entry.is_symlink() {
                EntryKind::Symlink
            } else if entry.is_dir() {
                EntryKind::Directory
            } else {
                EntryKind::File
            };
            let compression = match entry.compression() {
                _ if entry.encrypted() => Compression::Unsupported("encrypted".to_string()),
                CompressionMethod::Stored => Compression::Stored,
                CompressionMethod::Deflated => Compression::Deflated,
                other => Compression::Unsupported(format!("{other:?}")),
            };
            let (compressed_size, size, unix_mode) = (entry.compressed_size(), entry.size(), entry.unix_mode());
            if size > limits.max_member_size {
                return Err(ArchiveError::MemberTooLarge { name, size, limit: limits.max_member_size });
            }
            let mut data = Vec::new();
            if !matches!(compression, Compression::Unsupported(_)) {
                let file = match entry.with_reader(&mut body, ZipReadOptions::new()) {
                    Ok(file) => file,
                    Err(source) => return Err(ArchiveError::Open { name, source }),
                };
                // Read one byte past the declared size so a header that under-states it shows.
                let mut limited = file.take(size.saturating_add(1));
                // Reserve no more than the stored bytes can inflate to (deflate peaks near 1032:1).
                let plausible = compressed_size.saturating_mul(1032).saturating_add(1024);
                data.reserve(usize::try_from(size.min(plausible).min(64 << 20)).unwrap_or(0));
                if let Err(source) = limited.read_to_end(&mut data) {
                    return Err(ArchiveError::Damaged { name, source });
                }
                if data.len() as u64 != size {
                    return Err(ArchiveError::SizeMismatch { name, actual: data.len() as u64, declared: size });
                }
                total += size;
                if total > limits.max_total_size {
                    return Err(ArchiveError::TotalTooLarge { limit: limits.max_total_size });
                }
            }
            members.push(Member { name, data, compression, compressed_size, size, kind, unix_mode });
        }
        Ok(Archive { members })
    }

    /// The first member called `name`.
    pub fn get(&self, name: &str) -> Option<&Member> {
        self.members.iter().find(|m| m.name == name)
    }
}

/// A member that expands past this size...
pub const BOMB_MEMBER_SIZE: u64 = 32 << 20;
/// ...or an archive that expands past this size in all...
pub const BOMB_TOTAL_SIZE: u64 = 256 << 20;
/// ...more than this many times what it stores is a decompression bomb. DEFLATE reaches about
/// 1030:1 on any run of equal bytes, so a ratio alone says nothing: a few MiB of zeros in test
/// data (onnx's wheels have them) is not an attack. What hurts a reader is the absolute
/// expansion; the ratio tells it from a big real file (a 500 MiB library compresses 3:1).
/// No real wheel of the test corpus comes near both (`tests/it/corpus.rs` measures it).
pub const BOMB_RATIO: u64 = 100;

/// How many times a member expands.
pub fn ratio(member: &Member) -> u64 {
    member.size / member.compressed_size.max(1)
}

/// Whether a member looks like a decompression bomb: it expands past [`BOMB_MEMBER_SIZE`]
/// and more than [`BOMB_RATIO`] times.
pub fn is_bomb(member: &Member) -> bool {
    member.size > BOMB_MEMBER_SIZE && ratio(member) > BOMB_RATIO
}

impl Archive {
    /// Its members' sizes in all: expanded, and as stored.
    pub fn sizes(&self) -> (u64, u64) {
        self.members.iter().fold((0, 0), |(size, stored), m| (size + m.size, stored + m.compressed_size))
    }

    /// Whether the archive in all looks like a decompression bomb: it expands past
    /// [`BOMB_TOTAL_SIZE`] and more than [`BOMB_RATIO`] times (many members that each stay
    /// under [`BOMB_MEMBER_SIZE`]).
    pub fn is_bomb(&self) -> bool {
        let (size, stored) = self.sizes();
        size > BOMB_TOTAL_SIZE && size / stored.max(1) > BOMB_RATIO
    }
}

/// Why a member name is unsafe to install, if it is: absolute, `..`, backslash, control
/// characters.
pub fn unsafe_name_reason(name: &str) -> Option<&'static str> {
    if name.starts_with('/') || name.as_bytes().get(1) == Some(&b':') {
        Some("is an absolute path")
    } else if name.contains('\\') {
        Some("contains a backslash")
    } else if name.chars().any(char::is_control) {
        Some("contains a control character")
    } else if name.split('/').any(|part| part == "..") {
        Some("climbs out of the wheel with `..`")
    } else {
        None
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use std::io::Write;
    use zip::write::SimpleFileOptions;

    fn zip_of(entries: &[(&str, &[u8])]) -> Vec<u8> {
        let mut w = zip::ZipWriter::new(Cursor::new(Vec::new()));
        for (name, data) in entries {
            w.start_file(*name, SimpleFileOptions::default()).unwrap();
            w.write_all(data).unwrap();
        }
        w.finish().unwrap().into_inner()
    }

    #[test]
    fn reads_every_member() {
        let bytes = zip_of(&[("a.txt", b"alpha"), ("d/b.bin", b"\0asm")]);
        let archive = Archive::read(&bytes, &Limits::default()).unwrap();
        let names: Vec<&str> = archive.members.iter().map(|m| m.name.as_str()).collect();
        assert_eq!(names, ["a.txt", "d/b.bin"]);
        assert_eq!(archive.get("a.txt").unwrap().data, b"alpha");
    }

    #[test]
    fn rejects_non_zip_and_truncated() {
        assert!(matches!(Archive::read(b"not a zip at all", &Limits::default()), Err(ArchiveError::NotZip(_))));
        let bytes = zip_of(&[("a.txt", &[7u8; 1000])]);
        assert!(Archive::read(&bytes[..bytes.len() - 30], &Limits::default()).is_err());
    }

    #[test]
    fn enforces_limits() {
        let bytes = zip_of(&[("big", &[0u8; 5000])]);
        let limits = Limits { max_member_size: 4096, ..Limits::default() };
        assert!(matches!(Archive::read(&bytes, &limits), Err(ArchiveError::MemberTooLarge { size: 5000, .. })));
    }

    #[test]
    fn flags_unsafe_names() {
        assert_eq!(unsafe_name_reason("pkg/../../etc/x"), Some("climbs out of the wheel with `..`"));
        assert_eq!(unsafe_name_reason("/etc/x"), Some("is an absolute path"));
        assert_eq!(unsafe_name_reason("pkg\\x"), Some("contains a backslash"));
        assert_eq!(unsafe_name_reason("pkg/x\0y"), Some("contains a control character"));
        assert_eq!(unsafe_name_reason("pkg/..data/x"), None);
    }
}
