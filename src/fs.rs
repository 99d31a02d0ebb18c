//! Writing output files safely: complete or not at all, never over an input, never outside
//! the output folder.

use std::io::Write;
use std::path::{Path, PathBuf};

/// Whether `name` is a bare file name: one path component, not `.` or `..`, no separator.
pub fn is_bare_file_name(name: &str) -> bool {
    !name.is_empty()
        && name != "."
        && name != ".."
        && !name.contains(['/', '\\', '\0'])
        && Path::new(name).file_name().is_some_and(|n| n == name)
}

/// Files written to a staging folder first and moved into the output folder only when all
/// are written ([`Staging::commit`]); dropped uncommitted, it leaves the output folder as it
/// was. It stages beside the output folder (a rename moves each file in), or in the system's
/// temporary folder when the output folder's parent does not exist yet.
#[derive(Debug)]
pub struct Staging {
    dir: tempfile::TempDir,
    out_dir: PathBuf,
    names: Vec<String>,
}

impl Staging {
    /// A staging folder for `out_dir`.
    pub fn new(out_dir: &Path) -> std::io::Result<Staging> {
        let parent = match out_dir.parent() {
            Some(p) if !p.as_os_str().is_empty() => p.to_path_buf(),
            _ => PathBuf::from("."),
        };
        let builder = tempfile::Builder::new().prefix(".wasmwheel-staging-").to_owned();
        let dir = if parent.is_dir() { builder.tempdir_in(&parent)? } else { builder.tempdir()? };
        Ok(Staging { dir, out_dir: out_dir.to_path_buf(), names: Vec::new() })
    }

    /// Stages `bytes` as the file `name` (a bare file name) of the output folder.
    pub fn add(&mut self, name: &str, bytes: &[u8]) -> std::io::Result<()> {
        if !is_bare_file_name(name) {
            return Err(std::io::Error::new(std::io::ErrorKind::InvalidInput, format!("`{name}` is not a file name")));
        }
        std::fs::write(self.dir.path().join(name), bytes)?;
        if !self.names.iter().any(|n| n == name) {
            self.names.push(name.to_string());
        }
        Ok(())
    }

    /// Moves every staged file into the output folder (made if need be; a file of the same
    /// name there is replaced, each one whole).
    pub fn commit(self) -> std::io::Result<()> {
        if !self.out_dir.exists() && self.out_dir.parent().is_none_or(|p| p.as_os_str().is_empty() || p.is_dir()) {
            let dir = self.dir.keep();
            #[cfg(unix)]
            {
                use std::os::unix::fs::PermissionsExt;
                std::fs::set_permissions(&dir, std::fs::Permissions::from_mode(0o755))?;
            }
            if std::fs::rename(&dir, &self.out_dir).is_ok() {
                return Ok(());
            }
            return move_files(&dir, &self.out_dir, &self.names);
        }
        move_files(self.dir.path(), &self.out_dir, &self.names)
    }
}

/// Moves `names` from `from` into `to`: a rename where both are on one file system, else a
/// copy renamed into place.
fn move_files(from: &Path, to: &Path, names: &[String]) -> std::io::Result<()> {
    std::fs::create_dir_all(to)?;
    for name in names {
        let (source, target) = (from.join(name), to.join(name));
        if std::fs::rename(&source, &target).is_err() {
            write_atomically(&target, &std::fs::read(&source)?)?;
        }
    }
    Ok(())
}

/// Writes `bytes` to `path` through a temporary file in the same folder that is renamed into
/// place only once complete, so a reader never sees a half-written file.
pub fn write_atomically(path: &Path, bytes: &[u8]) -> std::io::Result<()> {
    let dir = match path.parent() {
        Some(dir) if !dir.as_os_str().is_empty() => dir,
        _ => Path::new("."),
    };
    let mut file = tempfile::Builder::new().prefix(".wasmwheel-").suffix(".tmp").tempfile_in(dir)?;
    file.write_all(bytes)?;
    // Temporary files are private (0600); outputs are ordinary files.
    #[cfg(unix)]
    {
        use std::os::unix::fs::PermissionsExt;
        file.as_file().set_permissions(std::fs::Permissions::from_mode(0o644))?;
    }
    file.as_file().sync_all()?;
    file.persist(path).map_err(|e| e.error)?;
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn writes_and_leaves_no_temporary_file() {
        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join("out.bin");
        write_atomically(&path, b"data").unwrap();
        assert_eq!(std::fs::read(&path).unwrap(), b"data");
        assert_eq!(std::fs::read_dir(dir.path()).unwrap().count(), 1);
    }

    #[test]
    fn staged_files_arrive_together_or_not_at_all() {
        let dir = tempfile::tempdir().unwrap();
        let out = dir.path().join("out");
        let mut staged = Staging::new(&out).unwrap();
        staged.add("a.whl", b"a").unwrap();
        assert!(staged.add("../x.whl", b"x").is_err(), "not a file name");
        drop(staged);
        assert!(!out.exists(), "dropped uncommitted: nothing");
        assert_eq!(std::fs::read_dir(dir.path()).unwrap().count(), 0, "no staging folder left");
        let mut staged = Staging::new(&out).unwrap();
        staged.add("a.whl", b"a").unwrap();
        staged.commit().unwrap();
        let mut again = Staging::new(&out).unwrap();
        again.add("b.whl", b"b").unwrap();
        again.commit().unwrap();
        let mut names: Vec<String> =
            std::fs::read_dir(&out).unwrap().map(|e| e.unwrap().file_name().into_string().unwrap()).collect();
        names.sort();
        assert_eq!(names, ["a.whl", "b.whl"]);
        assert_eq!(std::fs::read_dir(dir.path()).unwrap().count(), 1, "only the output folder");
        for bad in ["", ".", "..", "a/b", "a\\b", "/abs"] {
            assert!(!is_bare_file_name(bad), "{bad}");
        }
    }
}
