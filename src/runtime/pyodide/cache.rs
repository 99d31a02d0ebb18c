//! Pyodide releases in the cache ([`crate::cache`]): unpacked into a temporary folder beside
//! their place and renamed into place when complete, so a second run finds one whole or not at
//! all, and needs no network.

use std::io::Read;
use std::path::{Component, Path, PathBuf};

use super::PyodideError;
pub use crate::cache::Cache;
use crate::hash::sha256_hex;

/// The most an unpacked release may hold (a release is about 30 MB).
const MAX_UNPACKED: u64 = 1 << 30;

/// The marker a complete unpacked release has.
const COMPLETE: &str = ".wasmwheel-complete";

/// Whether `dir` holds a completely unpacked release.
pub fn is_complete(dir: &Path) -> bool {
    dir.join(COMPLETE).is_file()
}

impl Cache {
    /// Where npm version `version` of Pyodide is unpacked.
    pub fn version_dir(&self, version: &str) -> PathBuf {
        self.root().join("pyodide").join(version)
    }

    /// The tarball at `path`, unpacked (once) into the cache under its sha256.
    pub fn unpacked_tarball(&self, path: &Path) -> Result<PathBuf, PyodideError> {
        let bytes = std::fs::read(path).map_err(|source| PyodideError::Io { path: path.to_path_buf(), source })?;
        let dir = self.root().join("pyodide").join(format!("sha256-{}", &sha256_hex(&bytes)[..16]));
        if !is_complete(&dir) {
            self.unpack(&bytes, &dir)?;
        }
        Ok(dir)
    }

    /// Unpacks the npm tarball `bytes` (`package/...`) into `dir`, whole or not at all.
    pub fn unpack(&self, bytes: &[u8], dir: &Path) -> Result<(), PyodideError> {
        let parent = dir.parent().unwrap_or(self.root());
        let io = |path: &Path| {
            let path = path.to_path_buf();
            move |source| PyodideError::Io { path, source }
        };
        std::fs::create_dir_all(parent).map_err(io(parent))?;
        let staging = tempfile::Builder::new().prefix(".unpacking-").tempdir_in(parent).map_err(io(parent))?;
        unpack_into(bytes, staging.path())?;
        std::fs::write(staging.path().join(COMPLETE), b"").map_err(io(staging.path()))?;
        let staged = staging.keep();
        if let Err(source) = std::fs::rename(&staged, dir) {
            let _ = std::fs::remove_dir_all(&staged);
            // Another run may have put the same release there first.
            if !is_complete(dir) {
                return Err(PyodideError::Io { path: dir.to_path_buf(), source });
            }
        }
        Ok(())
    }
}

/// Writes the regular files and folders of an npm tarball into `dir`, without the leading
/// `package/`. Entries that would land outside `dir`, links and devices are refused.
fn unpack_into(bytes: &[u8], dir: &Path) -> Result<(), PyodideError> {
    let bad = |message: String| PyodideError::Tarball(std::io::Error::new(std::io::ErrorKind::InvalidData, message));
    let mut archive = tar::Archive::new(flate2::read::GzDecoder::new(bytes));
    let mut total = 0u64;
    for entry in archive.entries().map_err(PyodideError::Tarball)? {
        let mut entry = entry.map_err(PyodideError::Tarball)?;
        let path = entry.path().map_err(PyodideError::Tarball)?.into_owned();
        let mut parts = path.components();
        if parts.next().is_none_or(|first| first.as_os_str() != "package") {
            return Err(bad(format!("entry {} is not under package/", path.display())));
        }
        let rest: PathBuf = parts.collect();
        if rest.components().any(|c| !matches!(c, Component::Normal(_))) {
            return Err(bad(format!("entry {} climbs out of the package", path.display())));
        }
        let target = dir.join(&rest);
        let io = |source| PyodideError::Io { path: target.clone(), source };
        match entry.header().entry_type() {
            tar::EntryType::Directory => std::fs::create_dir_all(&target).map_err(io)?,
            tar::EntryType::Regular => {
                total += entry.header().size().map_err(PyodideError::Tarball)?;
                if total > MAX_UNPACKED {
                    return Err(bad(format!("it unpacks to more than {MAX_UNPACKED} bytes")));
                }
                if let Some(parent) = target.parent() {
                    std::fs::create_dir_all(parent).map_err(io)?;
                }
                let mut data = Vec::new();
                entry.by_ref().take(MAX_UNPACKED).read_to_end(&mut data).map_err(PyodideError::Tarball)?;
                std::fs::write(&target, data).map_err(io)?;
            }
            other => return Err(bad(format!("entry {} is a {other:?}, not a file", path.display()))),
        }
    }
    Ok(())
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
        let cache = Cache::at(dir.path().to_path_buf());
        let target = cache.version_dir("1.0.0");
        cache.unpack(&tarball(&[("package/pyodide.js", b"js"), ("package/sub/a.txt", b"a")]), &target).unwrap();
        assert!(is_complete(&target));
        assert_eq!(std::fs::read(target.join("sub/a.txt")).unwrap(), b"a");
        let leftovers: Vec<_> = std::fs::read_dir(target.parent().unwrap()).unwrap().collect();
        assert_eq!(leftovers.len(), 1, "no staging folder is left");
    }

    #[test]
    fn refuses_entries_outside_the_package() {
        let dir = tempfile::tempdir().unwrap();
        let cache = Cache::at(dir.path().to_path_buf());
        let target = cache.version_dir("1.0.0");
        assert!(cache.unpack(&tarball(&[("other/x", b"x")]), &target).is_err());
        assert!(!target.exists(), "nothing left behind");
        assert!(cache.unpack(b"not a tarball", &target).is_err());
    }
}
