//! npm packages unpacked in the cache ([`crate::cache`]): Pyodide releases, playwright-core.
//! Each is unpacked into a temporary folder beside its place and renamed into place when
//! complete, so a second run finds one whole or not at all, and needs no network. What was
//! unpacked is recorded (each file's size, sha256 and modification time, as pip's and uv's
//! caches record what they hold) and checked before use: sizes and times cheaply, the hash of
//! a file whose time changed. A package damaged since (a truncated `pyodide.asm.wasm`) is
//! fetched again, or, offline, refused as the cache's fault, never run and blamed on a wheel.

use std::collections::BTreeMap;
use std::io::Read;
use std::path::{Component, Path, PathBuf};

use serde::{Deserialize, Serialize};

use super::{NpmError, Registry};
use crate::hash::sha256_hex;

/// The most an unpacked package may hold (a Pyodide release is about 30 MB).
const MAX_UNPACKED: u64 = 1 << 30;

/// The manifest a complete unpacked release has.
pub(crate) const COMPLETE: &str = ".wasmwheel-complete";

/// One file as it was unpacked.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
struct Recorded {
    size: u64,
    sha256: String,
    modified_ns: u64,
}

/// What a release folder holds, as unpacked.
#[derive(Clone, Debug, Default, Serialize, Deserialize)]
struct Manifest {
    files: BTreeMap<String, Recorded>,
}

/// What a cached release folder is.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum State {
    /// Not there (or not finished).
    Missing,
    /// As it was unpacked.
    Whole,
    /// Changed since: the file, and how.
    Damaged(String),
}

/// The modification time of a file, in nanoseconds since the epoch.
fn modified_ns(meta: &std::fs::Metadata) -> u64 {
    meta.modified()
        .ok()
        .and_then(|t| t.duration_since(std::time::UNIX_EPOCH).ok())
        .map_or(0, |d| u64::try_from(d.as_nanos()).unwrap_or(u64::MAX))
}

/// Whether `dir` holds a release as it was unpacked: every file recorded is there, of its
/// size; one whose time changed still has its hash.
pub fn state(dir: &Path) -> State {
    let Ok(text) = std::fs::read(dir.join(COMPLETE)) else { return State::Missing };
    let Ok(manifest) = serde_json::from_slice::<Manifest>(&text) else {
        return State::Damaged("no record of what was unpacked (an older wasmwheel's cache)".into());
    };
    for (name, recorded) in &manifest.files {
        let path = dir.join(name);
        let Ok(meta) = std::fs::metadata(&path) else { return State::Damaged(format!("{name} is missing")) };
        if meta.len() != recorded.size {
            return State::Damaged(format!("{name} has {} bytes, not the {} unpacked", meta.len(), recorded.size));
        }
        if modified_ns(&meta) != recorded.modified_ns {
            let same = std::fs::read(&path).is_ok_and(|b| sha256_hex(&b) == recorded.sha256);
            if !same {
                return State::Damaged(format!("{name} changed since it was unpacked"));
            }
        }
    }
    State::Whole
}

/// `package@version` unpacked at `dir`: as it is when whole there; else fetched from
/// `registry`, checked against its integrity and unpacked (whatever damaged copy was there
/// goes). `offline` forbids fetching: a missing or damaged package is then refused.
pub fn ensure(registry: &Registry, package: &str, version: &str, dir: &Path, offline: bool) -> Result<(), NpmError> {
    match state(dir) {
        State::Whole => Ok(()),
        State::Damaged(why) if offline => Err(NpmError::Damaged { dir: dir.to_path_buf(), why }),
        _ if offline => Err(NpmError::Offline(dir.to_path_buf())),
        _ => unpack(&registry.tarball(package, version)?, dir),
    }
}

/// The tarball at `path`, unpacked (once) into `root` under its sha256.
pub fn unpacked_tarball(root: &Path, path: &Path) -> Result<PathBuf, NpmError> {
    let bytes = fs_err::read(path)?;
    let dir = root.join(format!("sha256-{}", &sha256_hex(&bytes)[..16]));
    if state(&dir) != State::Whole {
        unpack(&bytes, &dir)?;
    }
    Ok(dir)
}

/// Unpacks the npm tarball `bytes` (`package/...`) into `dir`, whole or not at all, with the
/// record of what it holds; whatever `dir` held before (a damaged package) goes.
pub fn unpack(bytes: &[u8], dir: &Path) -> Result<(), NpmError> {
    let parent = match dir.parent() {
        Some(p) if !p.as_os_str().is_empty() => p,
        _ => Path::new("."),
    };
    fs_err::create_dir_all(parent)?;
    let staging = tempfile::Builder::new()
        .prefix(".unpacking-")
        .tempdir_in(parent)
        .map_err(|source| NpmError::Io { path: parent.to_path_buf(), source })?;
    let unpacked = unpack_into(bytes, staging.path())?;
    let mut manifest = Manifest::default();
    for (name, sha256) in unpacked {
        let path = staging.path().join(&name);
        let meta = fs_err::metadata(&path)?;
        manifest.files.insert(name, Recorded { size: meta.len(), sha256, modified_ns: modified_ns(&meta) });
    }
    let record = serde_json::to_vec(&manifest).unwrap_or_default();
    fs_err::write(staging.path().join(COMPLETE), record)?;
    if dir.exists() && state(dir) != State::Whole {
        fs_err::remove_dir_all(dir)?;
    }
    let staged = staging.keep();
    if let Err(source) = std::fs::rename(&staged, dir) {
        let _ = std::fs::remove_dir_all(&staged);
        // Another run may have put the same package there first.
        if state(dir) != State::Whole {
            return Err(NpmError::Io { path: dir.to_path_buf(), source });
        }
    }
    Ok(())
}

/// Writes the regular files and folders of an npm tarball into `dir`, without the leading
/// `package/`; each file written, with its sha256. Entries that would land outside `dir`,
/// links and devices are refused.
fn unpack_into(bytes: &[u8], dir: &Path) -> Result<Vec<(String, String)>, NpmError> {
    let mut written = Vec::new();
    let bad = |message: String| NpmError::Tarball(std::io::Error::new(std::io::ErrorKind::InvalidData, message));
    let mut archive = tar::Archive::new(flate2::read::GzDecoder::new(bytes));
    let mut total = 0u64;
    for entry in archive.entries().map_err(NpmError::Tarball)? {
        let mut entry = entry.map_err(NpmError::Tarball)?;
        let path = entry.path().map_err(NpmError::Tarball)?.into_owned();
        let mut parts = path.components();
        if parts.next().is_none_or(|first| first.as_os_str() != "package") {
            return Err(bad(format!("entry {} is not under package/", path.display())));
        }
        let rest: PathBuf = parts.collect();
        if rest.components().any(|c| !matches!(c, Component::Normal(_))) {
            return Err(bad(format!("entry {} climbs out of the package", path.display())));
        }
        let target = dir.join(&rest);
        match entry.header().entry_type() {
            tar::EntryType::Directory => fs_err::create_dir_all(&target)?,
            tar::EntryType::Regular => {
                total += entry.header().size().map_err(NpmError::Tarball)?;
                if total > MAX_UNPACKED {
                    return Err(bad(format!("it unpacks to more than {MAX_UNPACKED} bytes")));
                }
                if let Some(parent) = target.parent() {
                    fs_err::create_dir_all(parent)?;
                }
                let mut data = Vec::new();
                entry.by_ref().take(MAX_UNPACKED).read_to_end(&mut data).map_err(NpmError::Tarball)?;
                let sha256 = sha256_hex(&data);
                fs_err::write(&target, data)?;
                let name = rest.components().map(|c| c.as_os_str().to_string_lossy()).collect::<Vec<_>>().join("/");
                written.push((name, sha256));
            }
            other => return Err(bad(format!("entry {} is a {other:?}, not a file", path.display()))),
        }
    }
    Ok(written)
}

#[cfg(test)]
mod tests {
    use super::*;

    fn tarball(entries: &[(&str, &[u8])]) -> Vec<u8> {
        let mut builder = tar::Builder::new(flate2::write::GzEncoder::new(Vec::new(), flate2::Compression::fast()));
        for (name, data) in entries {
            let mut header = tar::Header::new_gnu();
            header.set_size(data.len() as u64);
            header.set_mode(0o644);
            header.set_entry_type(tar::EntryType::Regular);
            builder.append_data(&mut header, name, *data).unwrap();
        }
        builder.into_inner().unwrap().finish().unwrap()
    }

    #[test]
    fn unpacks_whole_into_place() {
        let dir = tempfile::tempdir().unwrap();
        let target = dir.path().join("pyodide/1.0.0");
        unpack(&tarball(&[("package/pyodide.js", b"js"), ("package/sub/a.txt", b"a")]), &target).unwrap();
        assert_eq!(state(&target), State::Whole);
        assert_eq!(std::fs::read(target.join("sub/a.txt")).unwrap(), b"a");
        let leftovers: Vec<_> = std::fs::read_dir(target.parent().unwrap()).unwrap().collect();
        assert_eq!(leftovers.len(), 1, "no staging folder is left");
    }

    #[test]
    fn a_damaged_release_is_told_from_a_whole_one() {
        let dir = tempfile::tempdir().unwrap();
        let target = dir.path().join("pyodide/1.0.0");
        assert_eq!(state(&target), State::Missing);
        let bytes = tarball(&[("package/pyodide.asm.wasm", b"\0asm-and-more"), ("package/pyodide.js", b"js")]);
        unpack(&bytes, &target).unwrap();
        assert_eq!(state(&target), State::Whole);
        std::fs::write(target.join("pyodide.asm.wasm"), b"\0asm").unwrap();
        assert!(matches!(state(&target), State::Damaged(why) if why.contains("pyodide.asm.wasm")), "truncated");
        unpack(&bytes, &target).unwrap();
        assert_eq!(state(&target), State::Whole, "unpacked again in place");
        std::fs::write(target.join("pyodide.js"), b"JS").unwrap();
        assert!(matches!(state(&target), State::Damaged(_)), "same size, other bytes");
        std::fs::write(target.join(COMPLETE), b"").unwrap();
        assert!(matches!(state(&target), State::Damaged(_)), "no record");
    }

    #[test]
    fn refuses_entries_outside_the_package() {
        let dir = tempfile::tempdir().unwrap();
        let target = dir.path().join("pyodide/1.0.0");
        assert!(unpack(&tarball(&[("other/x", b"x")]), &target).is_err());
        assert!(!target.exists(), "nothing left behind");
        assert!(unpack(b"not a tarball", &target).is_err());
    }
}
