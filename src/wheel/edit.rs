//! Editing a wheel in memory and writing it back deterministically: members sorted with the
//! dist-info folder last and RECORD at the very end, a fixed timestamp (or
//! `SOURCE_DATE_EPOCH`), fixed permissions, a fresh RECORD. The same edits of the same input
//! give the same bytes.

use std::collections::BTreeMap;
use std::io::{Cursor, Write};
use std::path::{Path, PathBuf};

use zip::write::SimpleFileOptions;
use zip::{CompressionMethod, DateTime};

use super::record::{Record, RecordEntry};
use super::{Binary, BinaryKind, DistInfoError, Tag, Wheel, WheelError, WheelFile, WheelFilename};
use crate::archive::{self, Archive, Compression, EntryKind, Member};
use crate::wasm::WasmInfo;

/// Why a wheel cannot be rewritten faithfully or safely.
#[derive(Debug, thiserror::Error)]
#[non_exhaustive]
pub enum EditError {
    /// No `.dist-info` folder.
    #[error("no .dist-info folder")]
    NoDistInfo,
    /// WHEEL is missing or unreadable.
    #[error("no readable {dist_info}/WHEEL")]
    NoWheelFile {
        /// The dist-info folder.
        dist_info: String,
    },
    /// A member name that would land outside site-packages, or is not a path.
    #[error("member {name:?} {reason}; refusing to rewrite it")]
    UnsafeName {
        /// The member.
        name: String,
        /// Why it is unsafe.
        reason: &'static str,
    },
    /// A decompression bomb.
    #[error("member {name} expands {ratio} times, like a decompression bomb; refusing to rewrite it")]
    Bomb {
        /// The member.
        name: String,
        /// How many times it expands.
        ratio: u64,
    },
    /// A symbolic link.
    #[error("member {0} is a symbolic link; refusing to rewrite it")]
    Symlink(String),
    /// A compression method wasmwheel does not read.
    #[error("member {name} is compressed with {method}, which wasmwheel cannot read")]
    Compression {
        /// The member.
        name: String,
        /// The method.
        method: String,
    },
    /// Two members with one name.
    #[error("member {0} appears twice; refusing to pick one")]
    Duplicate(String),
    /// New tags that do not make a filename.
    #[error("the new tags")]
    Retag(#[source] super::FilenameError),
    /// WHEEL cannot be parsed to retag.
    #[error(transparent)]
    WheelFile(#[from] DistInfoError),
    /// The rewritten wheel does not read back (a rewritten module that does not parse).
    #[error("the rewritten wheel does not read back")]
    ReadBack(#[source] WheelError),
    /// A member moved onto one that exists.
    #[error("moving {from} to {to} would replace a member the wheel already has")]
    MoveConflict {
        /// The member moved.
        from: String,
        /// Where to.
        to: String,
    },
    /// The output would replace the input.
    #[error("the output would replace the input wheel; write to another folder (-w)")]
    WouldReplaceInput,
    /// The output cannot be written.
    #[error("{}", path.display())]
    Write {
        /// The file or folder.
        path: PathBuf,
        /// Why.
        #[source]
        source: std::io::Error,
    },
}

/// One file of the wheel being written.
#[derive(Clone, Debug, PartialEq, Eq)]
struct File {
    data: Vec<u8>,
    executable: bool,
}

/// A wheel being edited.
#[derive(Clone, Debug)]
pub struct WheelEdit {
    /// The filename the output gets.
    pub filename: WheelFilename,
    dist_info: String,
    files: BTreeMap<String, File>,
    /// Binaries whose inspection still matches their member's bytes.
    known: BTreeMap<String, Binary>,
}

/// Files a rewrite drops: RECORD is regenerated, and its signatures no longer hold.
fn is_regenerated(dist_info: &str, name: &str) -> bool {
    name.strip_prefix(dist_info)
        .and_then(|rest| rest.strip_prefix('/'))
        .is_some_and(|file| matches!(file, "RECORD" | "RECORD.jws" | "RECORD.p7s"))
}

impl WheelEdit {
    /// Starts from `wheel`. Refuses what cannot be rewritten faithfully or safely: unsafe or
    /// duplicate member names, members it could not read, symbolic links, decompression bombs,
    /// a missing dist-info or WHEEL.
    pub fn new(wheel: &Wheel) -> Result<WheelEdit, EditError> {
        let Some(dist_info) = wheel.dist_info.clone() else {
            return Err(EditError::NoDistInfo);
        };
        if wheel.wheel_file.parsed().is_none() {
            return Err(EditError::NoWheelFile { dist_info });
        }
        if wheel.archive.is_bomb() {
            let (size, stored) = wheel.archive.sizes();
            return Err(EditError::Bomb { name: "(all members)".into(), ratio: size / stored.max(1) });
        }
        let mut files = BTreeMap::new();
        for member in &wheel.archive.members {
            let name = || member.name.clone();
            if let Some(reason) = archive::unsafe_name_reason(&member.name) {
                return Err(EditError::UnsafeName { name: name(), reason });
            }
            if archive::is_bomb(member) {
                return Err(EditError::Bomb { name: name(), ratio: archive::ratio(member) });
            }
            match (&member.kind, &member.compression) {
                (EntryKind::Directory, _) => continue,
                (EntryKind::Symlink, _) => return Err(EditError::Symlink(name())),
                (_, Compression::Unsupported(method)) => {
                    return Err(EditError::Compression { name: name(), method: method.clone() });
                }
                _ => {}
            }
            if is_regenerated(&dist_info, &member.name) {
                continue;
            }
            let file = File { data: member.data.clone(), executable: member.unix_mode.is_some_and(|m| m & 0o111 != 0) };
            if files.insert(name(), file).is_some() {
                return Err(EditError::Duplicate(name()));
            }
        }
        let known = wheel.binaries.iter().map(|b| (b.path.clone(), b.clone())).collect();
        Ok(WheelEdit { filename: wheel.filename.clone(), dist_info, files, known })
    }

    /// The bytes of member `name`.
    pub fn get(&self, name: &str) -> Option<&[u8]> {
        self.files.get(name).map(|f| f.data.as_slice())
    }

    /// Every member name, sorted.
    pub fn names(&self) -> impl Iterator<Item = &str> {
        self.files.keys().map(String::as_str)
    }

    /// Sets the bytes of member `name`, adding it if new.
    pub fn put(&mut self, name: &str, data: Vec<u8>) {
        self.known.remove(name);
        let executable = self.files.get(name).is_some_and(|f| f.executable);
        self.files.insert(name.to_string(), File { data, executable });
    }

    /// Sets member `name` to a wasm module whose inspection the caller already has.
    pub fn put_inspected(&mut self, name: &str, data: Vec<u8>, info: WasmInfo) {
        self.put(name, data);
        self.known.insert(name.to_string(), Binary { path: name.to_string(), kind: BinaryKind::Wasm(Box::new(info)) });
    }

    /// Keeps only the members `keep` accepts (the dist-info folder always stays).
    pub fn retain(&mut self, mut keep: impl FnMut(&str) -> bool) {
        let prefix = format!("{}/", self.dist_info);
        self.files.retain(|name, _| name.starts_with(&prefix) || keep(name));
        let files = &self.files;
        self.known.retain(|name, _| files.contains_key(name));
    }

    /// Moves member `from` to `to`, with its inspection; refuses to replace a member.
    pub fn rename(&mut self, from: &str, to: &str) -> Result<(), EditError> {
        if self.files.contains_key(to) {
            return Err(EditError::MoveConflict { from: from.to_string(), to: to.to_string() });
        }
        if let Some(file) = self.files.remove(from) {
            self.files.insert(to.to_string(), file);
        }
        if let Some(mut binary) = self.known.remove(from) {
            binary.path = to.to_string();
            self.known.insert(to.to_string(), binary);
        }
        Ok(())
    }

    /// The dist-info folder.
    pub fn dist_info(&self) -> &str {
        &self.dist_info
    }

    /// Changes the wheel's tags: the filename's compressed tag sets and WHEEL's `Tag:` lines.
    pub fn set_tags(&mut self, filename: WheelFilename) -> Result<(), EditError> {
        let wheel_path = format!("{}/WHEEL", self.dist_info);
        let wheel_file = WheelFile::parse(self.get(&wheel_path).unwrap_or_default())?;
        let tags: Vec<Tag> = filename.tags();
        self.put(&wheel_path, wheel_file.with_tags(&tags).into_bytes());
        self.filename = filename;
        Ok(())
    }

    /// The members in output order: sorted, the dist-info folder last.
    fn ordered(&self) -> Vec<(&String, &File)> {
        let mut files: Vec<(&String, &File)> = self.files.iter().collect();
        let prefix = format!("{}/", self.dist_info);
        files.sort_by_key(|(name, _)| (name.starts_with(&prefix), name.as_str()));
        files
    }

    /// The RECORD of the current members.
    fn record(&self) -> (String, Vec<u8>) {
        let path = format!("{}/RECORD", self.dist_info);
        let mut record =
            Record { entries: self.ordered().iter().map(|(n, f)| RecordEntry::for_data(n, &f.data)).collect() };
        record.entries.push(RecordEntry::unhashed(&path));
        (path, record.render())
    }

    /// The wheel as it would be written, in memory, for auditing before writing. Only binaries
    /// whose bytes changed are inspected again.
    pub fn to_wheel(&self) -> Result<Wheel, EditError> {
        let (record_path, record) = self.record();
        let mut members: Vec<Member> =
            self.ordered().into_iter().map(|(name, file)| member(name, file.data.clone())).collect();
        members.push(member(&record_path, record));
        let archive = Archive { members };
        let known = self.known.values().cloned().collect();
        Wheel::from_archive_reusing(&self.filename.to_string(), self.filename.clone(), archive, known)
            .map_err(EditError::ReadBack)
    }

    /// The zip archive of the wheel. Writing to memory fails only if the zip writer does
    /// (a member too large for zip64, say).
    pub fn to_bytes(&self) -> zip::result::ZipResult<Vec<u8>> {
        let stamp = timestamp();
        let mut zip = zip::ZipWriter::new(Cursor::new(Vec::new()));
        let options = |executable: bool| {
            SimpleFileOptions::default()
                .compression_method(CompressionMethod::Deflated)
                .compression_level(Some(6))
                .last_modified_time(stamp)
                .unix_permissions(if executable { 0o755 } else { 0o644 })
        };
        let (record_path, record) = self.record();
        let writes = self
            .ordered()
            .into_iter()
            .map(|(name, file)| (name.as_str(), file.data.as_slice(), file.executable))
            .chain(std::iter::once((record_path.as_str(), record.as_slice(), false)));
        for (name, data, executable) in writes {
            zip.start_file(name, options(executable))?;
            zip.write_all(data)?;
        }
        Ok(zip.finish()?.into_inner())
    }

    /// Writes the wheel into `dir` under its filename, atomically; refuses to replace `input`.
    pub fn write(&self, dir: &Path, input: &Path) -> Result<PathBuf, EditError> {
        let out = dir.join(self.filename.to_string());
        if same_file(&out, input) {
            return Err(EditError::WouldReplaceInput);
        }
        let io = |path: &Path| {
            let path = path.to_path_buf();
            move |source| EditError::Write { path, source }
        };
        let bytes = self.to_bytes().map_err(|e| EditError::Write { path: out.clone(), source: e.into() })?;
        std::fs::create_dir_all(dir).map_err(io(dir))?;
        crate::fs::write_atomically(&out, &bytes).map_err(io(&out))?;
        Ok(out)
    }
}

fn member(name: &str, data: Vec<u8>) -> Member {
    let size = data.len() as u64;
    Member {
        name: name.to_string(),
        data,
        compression: Compression::Stored,
        compressed_size: size,
        size,
        kind: EntryKind::File,
        unix_mode: None,
    }
}

/// Whether two paths name the same existing file.
pub fn same_file(a: &Path, b: &Path) -> bool {
    match (a.canonicalize(), b.canonicalize()) {
        (Ok(a), Ok(b)) => a == b,
        _ => false,
    }
}

/// The timestamp of every member: `SOURCE_DATE_EPOCH` when set (clamped to the zip range),
/// else 1980-01-01 00:00:00, the earliest a zip can hold.
fn timestamp() -> DateTime {
    std::env::var("SOURCE_DATE_EPOCH")
        .ok()
        .and_then(|s| s.trim().parse::<i64>().ok())
        .and_then(|secs| time::OffsetDateTime::from_unix_timestamp(secs.max(315_532_800)).ok())
        .and_then(|t| DateTime::try_from(time::PrimitiveDateTime::new(t.date(), t.time())).ok())
        .unwrap_or(DateTime::DEFAULT)
}

#[cfg(test)]
mod tests {
    use super::*;

    fn wheel(members: &[(&str, &[u8])]) -> Wheel {
        let mut zip = zip::ZipWriter::new(Cursor::new(Vec::new()));
        for (name, data) in members {
            zip.start_file(*name, SimpleFileOptions::default()).unwrap();
            zip.write_all(data).unwrap();
        }
        let bytes = zip.finish().unwrap().into_inner();
        Wheel::from_bytes("t.whl", "pkg-1.0-py3-none-any.whl", &bytes).unwrap()
    }

    const WHEEL: &[u8] = b"Wheel-Version: 1.0\nRoot-Is-Purelib: true\nTag: py3-none-any\n";

    #[test]
    fn writes_sorted_with_dist_info_last_and_a_fresh_record() {
        let w = wheel(&[
            ("pkg-1.0.dist-info/WHEEL", WHEEL),
            ("pkg-1.0.dist-info/RECORD", b"stale,,\n"),
            ("zzz/b.py", b"b"),
            ("pkg/a.py", b"a"),
        ]);
        let edit = WheelEdit::new(&w).unwrap();
        let out = Wheel::from_bytes("o.whl", "pkg-1.0-py3-none-any.whl", &edit.to_bytes().unwrap()).unwrap();
        let names: Vec<&str> = out.archive.members.iter().map(|m| m.name.as_str()).collect();
        assert_eq!(names, ["pkg/a.py", "zzz/b.py", "pkg-1.0.dist-info/WHEEL", "pkg-1.0.dist-info/RECORD"]);
        let record = out.record.parsed().unwrap();
        assert_eq!(record.entries.len(), 4);
        for m in &out.archive.members[..3] {
            assert_eq!(record.get(&m.name).unwrap().check(&m.data), crate::wheel::record::HashCheck::Match);
        }
        assert_eq!(edit.to_bytes().unwrap(), edit.to_bytes().unwrap(), "deterministic");
    }

    #[test]
    fn retags_filename_and_wheel_file() {
        let w = wheel(&[("pkg-1.0.dist-info/WHEEL", WHEEL)]);
        let mut edit = WheelEdit::new(&w).unwrap();
        edit.set_tags("pkg-1.0-cp312-abi3-pyemscripten_2024_0_wasm32.whl".parse().unwrap()).unwrap();
        let wheel_file = WheelFile::parse(edit.get("pkg-1.0.dist-info/WHEEL").unwrap()).unwrap();
        assert_eq!(wheel_file.tags()[0].as_ref().unwrap().to_string(), "cp312-abi3-pyemscripten_2024_0_wasm32");
        assert_eq!(edit.filename.to_string(), "pkg-1.0-cp312-abi3-pyemscripten_2024_0_wasm32.whl");
    }

    #[test]
    fn refuses_what_it_cannot_rewrite_faithfully() {
        assert!(matches!(WheelEdit::new(&wheel(&[("pkg/a.py", b"a")])), Err(EditError::NoDistInfo)));
        // The zip writer refuses duplicate names: write `pkg/A.py`, then rename it in the bytes.
        let mut zip = zip::ZipWriter::new(Cursor::new(Vec::new()));
        for (name, data) in [("pkg-1.0.dist-info/WHEEL", WHEEL), ("pkg/a.py", b"a"), ("pkg/A.py", b"b")] {
            zip.start_file(name, SimpleFileOptions::default()).unwrap();
            zip.write_all(data).unwrap();
        }
        let mut bytes = zip.finish().unwrap().into_inner();
        for at in 0..bytes.len() - 8 {
            if &bytes[at..at + 8] == b"pkg/A.py" {
                bytes[at + 4] = b'a';
            }
        }
        let dup = Wheel::from_bytes("t.whl", "pkg-1.0-py3-none-any.whl", &bytes).unwrap();
        assert!(matches!(WheelEdit::new(&dup), Err(EditError::Duplicate(name)) if name == "pkg/a.py"));
        let evil = wheel(&[("pkg-1.0.dist-info/WHEEL", WHEEL), ("../evil.py", b"a")]);
        assert!(matches!(WheelEdit::new(&evil), Err(EditError::UnsafeName { .. })));
    }
}
