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

use crate::archive::{Archive, EntryKind, Limits};
use crate::binary::{self, NativeBinary};
use crate::error::{Error, Result};
use crate::wasm::{self, WasmInfo};

pub use filename::{Tag, WheelFilename};
pub use metadata::Metadata;
pub use record::Record;
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
    pub fn sniff(path: &str, data: &[u8]) -> std::result::Result<Option<Binary>, wasm::WasmError> {
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

/// A parsed dist-info file, or why it could not be parsed; `None` when absent.
pub type DistInfoFile<T> = Option<std::result::Result<T, String>>;

/// A wheel read into memory.
#[derive(Clone, Debug)]
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

impl Wheel {
    /// Reads the wheel at `path`.
    pub fn open(path: &Path) -> Result<Wheel> {
        let shown = path.display();
        let bytes = std::fs::read(path).map_err(|e| Error::input(&shown, e))?;
        let name = path
            .file_name()
            .and_then(|n| n.to_str())
            .ok_or_else(|| Error::input(&shown, "the file name is not UTF-8"))?;
        Wheel::from_bytes(&shown.to_string(), name, &bytes)
    }

    /// Reads a wheel from memory; `shown` names it in errors, `filename` is its file name.
    pub fn from_bytes(shown: &str, filename: &str, bytes: &[u8]) -> Result<Wheel> {
        let parsed: WheelFilename =
            filename.parse().map_err(|e| Error::input(shown, format!("not a wheel filename: {e}")))?;
        let archive = Archive::read(bytes, &Limits::default()).map_err(|e| Error::input(shown, e))?;
        Wheel::from_archive(shown, parsed, archive)
    }

    /// A wheel from members already in memory: parses the dist-info files and inspects every
    /// binary.
    pub fn from_archive(shown: &str, filename: WheelFilename, archive: Archive) -> Result<Wheel> {
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
    ) -> Result<Wheel> {
        let dist_info = find_dist_info(&archive, &filename.dist_info());
        let read = |file: &str| -> Option<&[u8]> {
            let dir = dist_info.as_ref()?;
            archive.get(&format!("{dir}/{file}")).map(|m| m.data.as_slice())
        };
        let wheel_file = read("WHEEL").map(WheelFile::parse);
        let metadata = read("METADATA").map(Metadata::parse);
        let record = read("RECORD").map(Record::parse);
        let known: std::collections::HashMap<String, Binary> = known.into_iter().map(|b| (b.path.clone(), b)).collect();
        let binaries = archive
            .members
            .par_iter()
            .filter(|m| m.kind == EntryKind::File)
            .map(|m| match known.get(&m.name) {
                Some(binary) => Ok(Some(binary.clone())),
                None => Binary::sniff(&m.name, &m.data).map_err(|e| Error::input(shown, format!("{}: {e}", m.name))),
            })
            .collect::<Result<Vec<_>>>()?
            .into_iter()
            .flatten()
            .collect();
        Ok(Wheel { path: shown.to_string(), filename, archive, dist_info, wheel_file, metadata, record, binaries })
    }

    /// Every `python-abi-platform` triple of the filename.
    pub fn tags(&self) -> Vec<Tag> {
        self.filename.tags()
    }
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
pub fn open_binary(path: &Path) -> Result<Binary> {
    let shown = path.display();
    let bytes = std::fs::read(path).map_err(|e| Error::input(&shown, e))?;
    let name = path.file_name().map(|n| n.to_string_lossy().into_owned()).unwrap_or_default();
    Binary::sniff(&name, &bytes)
        .map_err(|e| Error::input(&shown, e))?
        .ok_or_else(|| Error::input(&shown, "neither a wheel nor a wasm, ELF, Mach-O or PE binary"))
}
