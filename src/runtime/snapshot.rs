//! Memory snapshots of started releases, kept in the cache (`snapshots/`): a session restores
//! one for every job instead of starting Pyodide from nothing (0.3 s instead of 3-5 s). Each
//! is keyed by what it depends on: the release's files, the runtime that made it (Node's
//! version) and the driver; and checked when read, against the sha256 recorded beside it when
//! it was made. A damaged or stale one is made again, never blamed on a wheel. Pyodide makes a
//! snapshot only of a release that has loaded no package with shared libraries: sessions take
//! theirs right after the release starts, before any job.

use std::path::{Path, PathBuf};

use crate::cache::Cache;
use crate::hash::sha256_hex;
use crate::release::Release;

/// The snapshots of a cache.
#[derive(Clone, Debug)]
pub struct Snapshots {
    dir: PathBuf,
}

/// Where a session's snapshot is: read it, or make it there.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Slot {
    /// The snapshot file.
    pub path: PathBuf,
    /// Whether it must be made (missing, damaged, or stale: a new key).
    pub make: bool,
}

/// The files of a release a snapshot depends on.
const RELEASE_FILES: [&str; 6] =
    ["pyodide.asm.wasm", "pyodide.asm.js", "pyodide.asm.mjs", "python_stdlib.zip", "pyodide.js", "pyodide-lock.json"];

impl Snapshots {
    /// The snapshots kept in `cache`.
    pub fn new(cache: &Cache) -> Snapshots {
        Snapshots { dir: cache.root().join("snapshots") }
    }

    /// The key of the snapshot of `release` made by `runtime` (what identifies the program
    /// and driver that make and restore it).
    pub fn key(release: &Release, runtime: &str) -> String {
        let mut text = format!("{runtime}\n{}\n", release.version);
        text.push_str(&fingerprint(&release.dir));
        sha256_hex(text.as_bytes())
    }

    /// Where the snapshot of `key` is, and whether it must be made: one whose bytes are not
    /// those recorded when it was made is removed, and made again.
    pub fn slot(&self, key: &str) -> Slot {
        let path = self.dir.join(format!("{key}.snapshot"));
        let record = path.with_extension("sha256");
        let whole = match (std::fs::read(&path), std::fs::read_to_string(&record)) {
            (Ok(bytes), Ok(recorded)) => sha256_hex(&bytes) == recorded.trim(),
            _ => false,
        };
        if !whole {
            let _ = std::fs::remove_file(&path);
            let _ = std::fs::remove_file(&record);
            let _ = std::fs::create_dir_all(&self.dir);
        }
        Slot { path, make: !whole }
    }

    /// Records the snapshot a session made at `path`: the sha256 of its bytes, beside it.
    pub fn record(&self, path: &Path) -> std::io::Result<()> {
        let bytes = std::fs::read(path)?;
        crate::fs::write_atomically(&path.with_extension("sha256"), sha256_hex(&bytes).as_bytes())
    }
}

/// What a release folder's files are: for one unpacked into the cache, its record of what was
/// unpacked (each file's sha256, checked before the release is used); else each file's name,
/// size and modification time.
fn fingerprint(dir: &Path) -> String {
    if let Ok(record) = std::fs::read(dir.join(crate::npm::store::COMPLETE)) {
        return sha256_hex(&record);
    }
    let mut text = String::new();
    for file in RELEASE_FILES {
        if let Ok(meta) = std::fs::metadata(dir.join(file)) {
            let modified = meta.modified().ok().and_then(|t| t.duration_since(std::time::UNIX_EPOCH).ok());
            text.push_str(&format!("{file} {} {}\n", meta.len(), modified.map_or(0, |d| d.as_nanos())));
        }
    }
    text
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_damaged_snapshot_is_made_again() {
        let dir = tempfile::tempdir().unwrap();
        let snapshots = Snapshots::new(&Cache::at(dir.path().to_path_buf()));
        let slot = snapshots.slot("k");
        assert!(slot.make, "none yet");
        std::fs::write(&slot.path, b"snapshot").unwrap();
        snapshots.record(&slot.path).unwrap();
        assert!(!snapshots.slot("k").make, "whole: read it");
        std::fs::write(&slot.path, b"snapshoT").unwrap();
        let again = snapshots.slot("k");
        assert!(again.make && !again.path.exists(), "damaged: removed, and made again");
    }
}
