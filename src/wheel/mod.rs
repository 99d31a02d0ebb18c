//! A wheel, read once: its filename, every member, the dist-info files, and every binary
//! found by its magic bytes and inspected from memory.

pub mod edit;
pub mod filename;
pub mod headers;
pub mod metadata;
pub mod record;
pub mod wheel_file;

use std::path::Path;

use rayon::prelude::*;

use crate::archive::{Archive, ArchiveError, EntryKind, Limits};
use crate::binary::{self, NativeBinary};
use crate::wasm::{self, WasmError, WasmInfo};

pub use filename::{FilenameError, Tag, WheelFilename};
pub use metadata::Metadata;
pub use record::{Record, RecordError};
pub use wheel_file::WheelFile;

/// What a binary member is.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum BinaryKind {
    /// A wasm module or component.
    Wasm(Box<WasmInfo>),
    /// A native executable or library.
    Native(NativeBinary),
}

/// A binary member of a wheel (or a bare binary file).
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Binary {
    /// The member path inside the wheel (the file name for a bare binary).
    pub path: String,
    /// What it is.
    pub kind: BinaryKind,
}

impl Binary {
    /// The wasm inspection, if this is a wasm binary.
    pub fn wasm(&self) -> Option<&WasmInfo> {
        match &self.kind {
            BinaryKind::Wasm(info) => Some(info),
            BinaryKind::Native(_) => None,
        }
    }

    /// Inspects `data` if it is a binary; `Ok(None)` if it is not one.
    pub fn sniff(path: &str, data: &[u8]) -> Result<Option<Binary>, WasmError> {
        let kind = if wasm::is_wasm(data) {
            BinaryKind::Wasm(Box::new(wasm::inspect(data)?))
        } else if let Some(native) = binary::native(data) {
            BinaryKind::Native(native)
        } else {
            return Ok(None);
        };
        Ok(Some(Binary { path: path.to_string(), kind }))
    }
}

/// Why a dist-info file does not parse.
#[derive(Debug, thiserror::Error)]
#[non_exhaustive]
pub enum DistInfoError {
    /// Not UTF-8.
    #[error("{file} is not UTF-8")]
    NotUtf8 {
        /// `WHEEL` or `METADATA`.
        file: &'static str,
        /// Where the bad bytes are.
        #[source]
        source: std::str::Utf8Error,
    },
    /// RECORD does not parse.
    #[error(transparent)]
    Record(#[from] RecordError),
}

/// A dist-info file of a wheel: absent, present but unreadable, or parsed.
#[derive(Debug)]
pub enum DistInfoFile<T> {
    /// The wheel does not have it.
    Missing,
    /// It does not parse.
    Invalid(DistInfoError),
    /// Parsed.
    Parsed(T),
}

impl<T> DistInfoFile<T> {
    fn read(bytes: Option<&[u8]>, parse: impl FnOnce(&[u8]) -> Result<T, DistInfoError>) -> DistInfoFile<T> {
        match bytes.map(parse) {
            None => DistInfoFile::Missing,
            Some(Err(e)) => DistInfoFile::Invalid(e),
            Some(Ok(parsed)) => DistInfoFile::Parsed(parsed),
        }
    }

    /// The parsed file, if it parsed.
    pub fn parsed(&self) -> Option<&T> {
        match self {
            DistInfoFile::Parsed(parsed) => Some(parsed),
            _ => None,
        }
    }
}

/// Why a wheel cannot be read.
#[derive(Debug, thiserror::Error)]
#[non_exhaustive]
pub enum WheelError {
    /// The file cannot be read.
    #[error(transparent)]
    Read(std::io::Error),
    /// The file name is not UTF-8.
    #[error("the file name is not UTF-8")]
    FileNameNotUtf8,
    /// The file name is not a wheel filename.
    #[error("not a wheel filename")]
    Filename(#[source] FilenameError),
    /// The zip archive cannot be read.
    #[error(transparent)]
    Archive(#[from] ArchiveError),
    /// A member starts like wasm but does not parse.
    #[error("{member}")]
    Wasm {
        /// The member.
        member: String,
        /// Where and why.
        #[source]
        source: WasmError,
    },
}

/// Why a bare file is not a binary wasmwheel reads.
#[derive(Debug, thiserror::Error)]
#[non_exhaustive]
pub enum BinaryFileError {
    /// The file cannot be read.
    #[error(transparent)]
    Read(std::io::Error),
    /// Starts like wasm but does not parse.
    #[error(transparent)]
    Wasm(#[from] WasmError),
    /// Neither wasm nor native.
    #[error("neither a wheel nor a wasm, ELF, Mach-O or PE binary")]
    Unknown,
}

/// A wheel read into memory.
#[derive(Debug)]
pub struct Wheel {
    /// The path the wheel was read from, as given.
    pub path: String,
    /// The parsed filename.
    pub filename: WheelFilename,
    /// Every member.
    pub archive: Archive,
    /// The `.dist-info` folder in use (without a trailing slash), if the wheel has one.
    pub dist_info: Option<String>,
    /// `WHEEL`.
    pub wheel_file: DistInfoFile<WheelFile>,
    /// `METADATA`.
    pub metadata: DistInfoFile<Metadata>,
    /// `RECORD`.
    pub record: DistInfoFile<Record>,
    /// Every binary member, in archive order.
    pub binaries: Vec<Binary>,
}

/// Where a wheel member lands relative to site-packages: the member path, or for
/// `<dist>.data/purelib|platlib/x` the `x`; `None` for data, scripts and headers.
pub fn installed_path(member: &str) -> Option<String> {
    match member.split_once('/') {
        Some((first, rest)) if first.ends_with(".data") => {
            rest.strip_prefix("purelib/").or_else(|| rest.strip_prefix("platlib/")).map(str::to_string)
        }
        _ => Some(member.to_string()),
    }
}

/// A wheel and its file's bytes, read once: what is resolved, installed, locked and packed.
#[derive(Debug)]
pub struct WheelBytes {
    /// The wheel.
    pub wheel: Wheel,
    /// Its file.
    pub bytes: Vec<u8>,
}

impl WheelBytes {
    /// Reads the wheel at `path`, once.
    pub fn open(path: &Path) -> Result<WheelBytes, WheelError> {
        let bytes = std::fs::read(path).map_err(WheelError::Read)?;
        let wheel = Wheel::from_file_bytes(path, &bytes)?;
        Ok(WheelBytes { wheel, bytes })
    }

    /// Its file name.
    pub fn file_name(&self) -> String {
        self.wheel.filename.to_string()
    }
}

/// Where a wheel's file name and its METADATA disagree on the project or the version (or
/// METADATA cannot say), in words; `None` when they agree. pip refuses such a file
/// ("inconsistent version"); wasmwheel refuses it from an index.
pub fn name_disagreement(wheel: &Wheel) -> Option<String> {
    let filename = &wheel.filename;
    let Some(metadata) = wheel.metadata.parsed() else {
        return Some("it has no readable METADATA".into());
    };
    match metadata.normalized_name() {
        Some(Ok(name)) if name == *filename.name.normalized() => {}
        Some(Ok(name)) => return Some(format!("its file name says `{}`, its METADATA `{name}`", filename.name)),
        _ => return Some("its METADATA has no valid Name".into()),
    }
    match metadata.parsed_version() {
        Some(Ok(version)) if version == *filename.version.version() => None,
        Some(Ok(version)) => Some(format!("its file name says version {}, its METADATA {version}", filename.version)),
        _ => Some("its METADATA has no valid Version".into()),
    }
}

impl Wheel {
    /// Reads the wheel at `path`.
    pub fn open(path: &Path) -> Result<Wheel, WheelError> {
        let bytes = std::fs::read(path).map_err(WheelError::Read)?;
        Wheel::from_file_bytes(path, &bytes)
    }

    /// Reads a wheel from the bytes of the file at `path` (which names it).
    pub fn from_file_bytes(path: &Path, bytes: &[u8]) -> Result<Wheel, WheelError> {
        let name = path.file_name().and_then(|n| n.to_str()).ok_or(WheelError::FileNameNotUtf8)?;
        Wheel::from_bytes(&path.display().to_string(), name, bytes)
    }

    /// Reads a wheel from memory; `shown` names it, `filename` is its file name.
    pub fn from_bytes(shown: &str, filename: &str, bytes: &[u8]) -> Result<Wheel, WheelError> {
        let parsed: WheelFilename = filename.parse().map_err(WheelError::Filename)?;
        let archive = Archive::read(bytes, &Limits::default())?;
        Wheel::from_archive(shown, parsed, archive)
    }

    /// A wheel from members already in memory: parses the dist-info files and inspects every
    /// binary.
    pub fn from_archive(shown: &str, filename: WheelFilename, archive: Archive) -> Result<Wheel, WheelError> {
        Wheel::from_archive_reusing(shown, filename, archive, Vec::new())
    }

    /// Like [`Wheel::from_archive`], but members named in `known` (whose bytes the caller knows
    /// to be those the inspection was made from) keep that inspection instead of being parsed
    /// again.
    pub fn from_archive_reusing(
        shown: &str,
        filename: WheelFilename,
        archive: Archive,
        known: Vec<Binary>,
    ) -> Result<Wheel, WheelError> {
        let dist_info = find_dist_info(&archive, &filename.dist_info());
        let read = |file: &str| -> Option<&[u8]> {
            let dir = dist_info.as_ref()?;
            archive.get(&format!("{dir}/{file}")).map(|m| m.data.as_slice())
        };
        let wheel_file = DistInfoFile::read(read("WHEEL"), WheelFile::parse);
        let metadata = DistInfoFile::read(read("METADATA"), Metadata::parse);
        let record = DistInfoFile::read(read("RECORD"), |b| Ok(Record::parse(b)?));
        let known: std::collections::HashMap<String, Binary> = known.into_iter().map(|b| (b.path.clone(), b)).collect();
        let binaries = archive
            .members
            .par_iter()
            .filter(|m| m.kind == EntryKind::File)
            .map(|m| match known.get(&m.name) {
                Some(binary) => Ok(Some(binary.clone())),
                None => Binary::sniff(&m.name, &m.data)
                    .map_err(|source| WheelError::Wasm { member: m.name.clone(), source }),
            })
            .collect::<Result<Vec<_>, WheelError>>()?
            .into_iter()
            .flatten()
            .collect();
        Ok(Wheel { path: shown.to_string(), filename, archive, dist_info, wheel_file, metadata, record, binaries })
    }

    /// Every `python-abi-platform` triple of the filename.
    pub fn tags(&self) -> Vec<Tag> {
        self.filename.tags()
    }

    /// The bytes of member `name`, if the wheel has it.
    pub fn member_data(&self, name: &str) -> Option<&[u8]> {
        self.archive.get(name).map(|m| m.data.as_slice())
    }

    /// The top-level modules and packages the wheel installs, sorted: `.py` files and
    /// extension modules at the root of site-packages, and folders that hold any (packages,
    /// namespace packages too). The dist-info and `.data` folders and `<dist>.libs` are not
    /// modules; neither is a name Python cannot import.
    pub fn top_level_modules(&self) -> Vec<String> {
        let libs = self.filename.libs_dir();
        let mut names: Vec<String> = self
            .archive
            .members
            .iter()
            .filter(|m| m.kind == EntryKind::File)
            .filter_map(|m| installed_path(&m.name))
            .filter(|path| path.ends_with(".py") || path.ends_with(".so") || path.ends_with(".pyc"))
            .filter_map(|path| {
                let (top, rest) = path.split_once('/').map_or((path.as_str(), None), |(t, r)| (t, Some(r)));
                let name = match rest {
                    Some(_) => top,
                    None => top.split('.').next().unwrap_or(top),
                };
                let skip = top == libs || top.ends_with(".dist-info") || top.ends_with(".data") || top == "__pycache__";
                (!skip && is_identifier(name)).then(|| name.to_string())
            })
            .collect();
        names.sort();
        names.dedup();
        names
    }
}

impl Wheel {
    /// The extension modules of the wheel, by dotted name, in order: every wasm binary that
    /// exports `PyInit_<name>` (or Python 3.15's `PyModExport_<name>`), named by where it is
    /// installed (its folders, then its file name up to the first dot: `pkg/_ext.abi3.so` is
    /// `pkg._ext`). Importing each by that name is what proves it loads: a package may import
    /// without it (a pure-Python fallback).
    pub fn extension_modules(&self) -> Vec<String> {
        let libs = format!("{}/", self.filename.libs_dir());
        let mut names: Vec<String> = self
            .binaries
            .iter()
            .filter(|b| {
                b.wasm().is_some_and(|w| {
                    w.exports.iter().any(|e| e.name.starts_with("PyInit_") || e.name.starts_with("PyModExport_"))
                })
            })
            .filter_map(|b| installed_path(&b.path))
            .filter(|path| !path.starts_with(&libs))
            .filter_map(|path| {
                let (folders, file) = path.rsplit_once('/').map_or(("", path.as_str()), |(d, f)| (d, f));
                let stem = file.split('.').next()?;
                let mut parts: Vec<&str> = folders.split('/').filter(|p| !p.is_empty()).collect();
                parts.push(stem);
                parts.iter().all(|p| is_identifier(p)).then(|| parts.join("."))
            })
            .collect();
        names.sort();
        names.dedup();
        names
    }

    /// What importing the wheel means: its top-level modules, then its extension modules (each
    /// by its dotted name) that are not among them.
    pub fn modules_to_import(&self) -> Vec<String> {
        let mut modules = self.top_level_modules();
        for extension in self.extension_modules() {
            if !modules.contains(&extension) {
                modules.push(extension);
            }
        }
        modules
    }
}

/// Whether `name` is a Python identifier (ASCII, as module names of wheels are in practice).
pub fn is_identifier(name: &str) -> bool {
    name.starts_with(|c: char| c.is_ascii_alphabetic() || c == '_')
        && name.bytes().all(|b| b.is_ascii_alphanumeric() || b == b'_')
}

/// The `.dist-info` folder: the one the filename names (compared case-insensitively), else the
/// first top-level one.
fn find_dist_info(archive: &Archive, expected: &str) -> Option<String> {
    let dirs = archive.members.iter().filter_map(|m| {
        let (top, _) = m.name.split_once('/')?;
        top.ends_with(".dist-info").then_some(top)
    });
    let mut first = None;
    for dir in dirs {
        if dir.eq_ignore_ascii_case(expected) {
            return Some(dir.to_string());
        }
        first.get_or_insert(dir);
    }
    first.map(str::to_string)
}

/// Reads a bare binary file (`.so`, `.wasm`) for `show`.
pub fn open_binary(path: &Path) -> Result<Binary, BinaryFileError> {
    let bytes = std::fs::read(path).map_err(BinaryFileError::Read)?;
    let name = path.file_name().map(|n| n.to_string_lossy().into_owned()).unwrap_or_default();
    Binary::sniff(&name, &bytes)?.ok_or(BinaryFileError::Unknown)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn installed_paths() {
        assert_eq!(installed_path("pkg-1.0.data/platlib/x/y.so").as_deref(), Some("x/y.so"));
        assert_eq!(installed_path("pkg-1.0.data/scripts/run"), None);
        assert_eq!(installed_path("pkg/x.so").as_deref(), Some("pkg/x.so"));
    }
}
