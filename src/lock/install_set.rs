//! What a run installs: a resolution made real for one release. The release's own packages
//! it takes are fetched (checked against the lock's sha256, kept in the cache), the run's
//! lock is written ([`crate::lock::run_lock`]), and a folder is staged that the runtime loads
//! every package from by name through that lock (`lockFileURL`, `packageBaseUrl`): the same
//! way `lock` and `pack` ship them. A release without `packageBaseUrl` (0.27) fetches a
//! lock's relative file names from its `indexURL`; its folder then links the release's own
//! files too, and becomes that `indexURL`.

use std::path::{Path, PathBuf};

use rayon::prelude::*;

use crate::lock::{self, LockError};
use crate::release::Release;
use crate::resolve::{Origin, PackageSources, Resolution, ResolveError};

/// Why an install set cannot be made.
#[derive(Debug, thiserror::Error)]
#[non_exhaustive]
pub enum InstallError {
    /// A release package that cannot be fetched (or is not what the lock says).
    #[error(transparent)]
    Fetch(#[from] ResolveError),
    /// The run's lock cannot be made.
    #[error(transparent)]
    Lock(#[from] LockError),
    /// The folder cannot be staged.
    #[error("staging {}", path.display())]
    Stage {
        /// The file.
        path: PathBuf,
        /// Why.
        #[source]
        source: std::io::Error,
    },
}

/// A staged folder: what one run installs from.
#[derive(Debug)]
pub struct InstallSet {
    dir: tempfile::TempDir,
    pyodide: PathBuf,
    packages: Vec<String>,
}

impl InstallSet {
    /// The folder with `pyodide-lock.json` and every file it names.
    pub fn dir(&self) -> &Path {
        self.dir.path()
    }

    /// The release folder the runtime loads Pyodide from (the staged folder itself for a
    /// release without `packageBaseUrl`).
    pub fn release_dir(&self) -> &Path {
        &self.pyodide
    }

    /// The packages to load by name, with their closure.
    pub fn packages(&self) -> &[String] {
        &self.packages
    }

    /// Adds the file `name` (a bare file name) to the folder: what a run reads beside the
    /// packages (the tests pytest runs).
    pub fn add_file(&self, name: &str, bytes: &[u8]) -> Result<(), InstallError> {
        if !crate::fs::is_bare_file_name(name) {
            return Err(InstallError::Lock(LockError::FileName(name.into())));
        }
        let path = self.dir().join(name);
        std::fs::write(&path, bytes).map_err(|source| InstallError::Stage { path, source })
    }
}

/// Stages `resolution` for `release`: every package of it, loaded by name.
pub fn prepare(
    release: &Release,
    resolution: &Resolution,
    sources: &PackageSources,
) -> Result<InstallSet, InstallError> {
    let fetched: Vec<(String, PathBuf)> = resolution
        .packages
        .par_iter()
        .filter(|p| p.source == Origin::Release)
        .map(|p| Ok((p.file.clone(), sources.release_file(&release.version, &p.file, &p.sha256)?)))
        .collect::<Result<_, ResolveError>>()?;
    let lock = lock::run_lock(release, resolution)?;
    let dir = tempfile::Builder::new()
        .prefix("wasmwheel-run-")
        .tempdir()
        .map_err(|source| InstallError::Stage { path: std::env::temp_dir(), source })?;
    let stage =
        |path: PathBuf, result: std::io::Result<()>| result.map_err(|source| InstallError::Stage { path, source });
    let bare = |name: &str| {
        if crate::fs::is_bare_file_name(name) {
            Ok(())
        } else {
            Err(InstallError::Lock(LockError::FileName(name.into())))
        }
    };
    for (package, input) in resolution.wheels() {
        bare(&package.file)?;
        let target = dir.path().join(&package.file);
        stage(target.clone(), std::fs::write(&target, &input.bytes))?;
    }
    for (file, cached) in &fetched {
        bare(file)?;
        let target = dir.path().join(file);
        stage(target.clone(), link(cached, &target))?;
    }
    let pyodide = if release.package_base_url {
        release.dir.clone()
    } else {
        for entry in std::fs::read_dir(&release.dir)
            .map_err(|source| InstallError::Stage { path: release.dir.clone(), source })?
        {
            let entry = entry.map_err(|source| InstallError::Stage { path: release.dir.clone(), source })?;
            let target = dir.path().join(entry.file_name());
            if entry.file_name() != "pyodide-lock.json" && !target.exists() {
                stage(target.clone(), link(&entry.path(), &target))?;
            }
        }
        dir.path().to_path_buf()
    };
    let lock_path = dir.path().join("pyodide-lock.json");
    lock.write(&lock_path).map_err(|e| InstallError::Lock(LockError::ReleaseLock(e)))?;
    let packages = resolution.packages.iter().map(|p| p.name.clone()).collect();
    Ok(InstallSet { dir, pyodide, packages })
}

/// `target` made to be `source`: a symbolic link where the system has them, else a copy.
fn link(source: &Path, target: &Path) -> std::io::Result<()> {
    #[cfg(unix)]
    {
        std::os::unix::fs::symlink(source, target)
    }
    #[cfg(not(unix))]
    {
        std::fs::copy(source, target).map(|_| ())
    }
}
