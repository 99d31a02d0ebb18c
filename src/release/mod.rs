//! Pyodide releases, the model every layer above shares (resolving, locking, running): where
//! one comes from (a version fetched from the npm registry and cached, an unpacked release
//! folder, or an npm tarball), what it is (its lock's `info`), and its lock ([`Release::lock`]).
//!
//! Nothing here runs for `show`, `audit`, `check`, `repair` or `tags`: only `test`,
//! `audit --confirm`, `lock` and `pack` need a release.

use std::fmt;
use std::path::{Path, PathBuf};
use std::str::FromStr;
use std::sync::Arc;

use crate::cache::Cache;
use crate::lockfile::{LockFileError, PyodideLock};
use crate::npm::{self, NpmError, Registry};
use crate::platform::Abi;
use crate::python::PythonRelease;

/// Where a release comes from, as `--pyodide` names it.
#[derive(Clone, Debug, PartialEq, Eq, Hash)]
pub enum ReleaseSpec {
    /// An npm version of the `pyodide` package (`0.29.3`, `315.0.0-alpha.2`).
    Version(String),
    /// An unpacked release folder.
    Dir(PathBuf),
    /// An npm tarball (`pyodide-0.29.3.tgz`).
    Tarball(PathBuf),
}

/// A `--pyodide` value that names nothing.
#[derive(Clone, Debug, PartialEq, Eq, thiserror::Error)]
#[error("`{0}` is neither a Pyodide version (0.29.3), a release folder, nor a .tgz")]
pub struct ReleaseSpecError(pub String);

impl FromStr for ReleaseSpec {
    type Err = ReleaseSpecError;
    fn from_str(s: &str) -> Result<Self, Self::Err> {
        let path = Path::new(s);
        if path.is_dir() {
            return Ok(ReleaseSpec::Dir(path.to_path_buf()));
        }
        if s.ends_with(".tgz") || s.ends_with(".tar.gz") {
            return Ok(ReleaseSpec::Tarball(path.to_path_buf()));
        }
        let version_like = s.starts_with(|c: char| c.is_ascii_digit())
            && s.bytes().all(|b| b.is_ascii_alphanumeric() || b == b'.' || b == b'-');
        if version_like { Ok(ReleaseSpec::Version(s.to_string())) } else { Err(ReleaseSpecError(s.to_string())) }
    }
}

impl fmt::Display for ReleaseSpec {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            ReleaseSpec::Version(v) => write!(f, "pyodide@{v}"),
            ReleaseSpec::Dir(p) | ReleaseSpec::Tarball(p) => write!(f, "{}", p.display()),
        }
    }
}

/// Why a release cannot be had or used.
#[derive(Debug, thiserror::Error)]
#[non_exhaustive]
pub enum PyodideError {
    /// A file of the release that cannot be read.
    #[error("{}", path.display())]
    Io {
        /// The file.
        path: PathBuf,
        /// Why.
        #[source]
        source: std::io::Error,
    },
    /// A folder without the files of a Pyodide release.
    #[error("not a Pyodide release folder (no {0})")]
    NotARelease(&'static str),
    /// `pyodide-lock.json` that does not read.
    #[error(transparent)]
    Lock(#[from] LockFileError),
    /// `pyodide-lock.json` that does not say what the release is.
    #[error("pyodide-lock.json: {field} `{value}` is not what a release says there")]
    Info {
        /// The field.
        field: &'static str,
        /// Its value.
        value: String,
    },
    /// The release's npm package cannot be had.
    #[error(transparent)]
    Npm(#[from] NpmError),
    /// The cache cannot be used.
    #[error(transparent)]
    Cache(#[from] crate::cache::CacheError),
}

/// A release, unpacked and ready to run, with its lock (read once).
#[derive(Clone, Debug)]
pub struct Release {
    /// Its folder (with `pyodide.js` and `pyodide-lock.json`).
    pub dir: PathBuf,
    /// Its version (`package.json`, else the lock's).
    pub version: String,
    /// Its Emscripten ABI (`info.abi_version`).
    pub abi: Abi,
    /// Its Python (`info.python`).
    pub python: PythonRelease,
    /// Whether `loadPyodide` takes `packageBaseUrl` (0.28 and later): where a custom lock's
    /// relative file names are fetched from. Without it (0.27) they are fetched from the
    /// `indexURL`, the release's own folder.
    pub package_base_url: bool,
    lock: Arc<PyodideLock>,
}

impl PartialEq for Release {
    fn eq(&self, other: &Self) -> bool {
        self.dir == other.dir && self.version == other.version && self.abi == other.abi
    }
}

impl Eq for Release {}

impl Release {
    /// Its `pyodide-lock.json`: every package it has, with their files and hashes.
    pub fn lock(&self) -> &PyodideLock {
        &self.lock
    }

    /// A release at `dir` of `version` with `lock` (what it is comes from the lock's `info`).
    pub fn new(
        dir: PathBuf,
        version: String,
        lock: PyodideLock,
        package_base_url: bool,
    ) -> Result<Release, PyodideError> {
        let field = |name: &'static str, value: Option<&str>| PyodideError::Info {
            field: name,
            value: value.unwrap_or_default().to_string(),
        };
        let abi_text = lock.info.abi_version.as_deref();
        let abi: Abi = abi_text.and_then(|a| a.parse().ok()).ok_or_else(|| field("info.abi_version", abi_text))?;
        let python: PythonRelease =
            lock.info.python.parse().map_err(|_| field("info.python", Some(&lock.info.python)))?;
        Ok(Release { dir, version, abi, python, package_base_url, lock: Arc::new(lock) })
    }

    /// Reads what the release folder `dir` is.
    pub fn open(dir: &Path) -> Result<Release, PyodideError> {
        for file in ["pyodide.js", "pyodide.asm.wasm"] {
            if !dir.join(file).is_file() {
                return Err(PyodideError::NotARelease(file));
            }
        }
        let read = |file: &str| {
            std::fs::read(dir.join(file)).map_err(|source| PyodideError::Io { path: dir.join(file), source })
        };
        #[derive(serde::Deserialize)]
        struct Package {
            version: String,
        }
        let lock = PyodideLock::read(&dir.join("pyodide-lock.json"))?;
        let package: Option<Package> = read("package.json").ok().and_then(|b| serde_json::from_slice(&b).ok());
        let version = package.map(|p| p.version).or_else(|| lock.info.version.clone()).unwrap_or_default();
        let package_base_url = String::from_utf8_lossy(&read("pyodide.js")?).contains("packageBaseUrl");
        // Node is handed the folder: absolute, whatever its working folder.
        let dir = std::path::absolute(dir).map_err(|source| PyodideError::Io { path: dir.to_path_buf(), source })?;
        Release::new(dir, version, lock, package_base_url)
    }
}

/// How to get releases: the cache, the registry, and whether fetching is allowed.
#[derive(Clone, Debug)]
pub struct Sources {
    /// The cache.
    pub cache: Cache,
    /// The npm registry.
    pub registry: Registry,
    /// Refuse to fetch (`--offline`).
    pub offline: bool,
}

impl Sources {
    /// The user's cache and registry (see [`Cache::from_env`], [`Registry::from_env`]), asked
    /// through `client`.
    pub fn from_env(offline: bool, client: crate::http::Client) -> Result<Sources, PyodideError> {
        Ok(Sources { cache: Cache::from_env()?, registry: Registry::from_env(client), offline })
    }

    /// Where npm version `version` of Pyodide is unpacked.
    pub fn version_dir(&self, version: &str) -> PathBuf {
        self.cache.root().join("pyodide").join(version)
    }

    /// The release `spec` names, fetched and unpacked into the cache if need be.
    pub fn get(&self, spec: &ReleaseSpec) -> Result<Release, PyodideError> {
        let dir = match spec {
            ReleaseSpec::Dir(dir) => dir.clone(),
            ReleaseSpec::Tarball(path) => npm::store::unpacked_tarball(&self.cache.root().join("pyodide"), path)?,
            ReleaseSpec::Version(version) => {
                let dir = self.version_dir(version);
                npm::store::ensure(&self.registry, "pyodide", version, &dir, self.offline)?;
                dir
            }
        };
        Release::open(&dir)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn specs() {
        assert_eq!("0.29.3".parse(), Ok(ReleaseSpec::Version("0.29.3".into())));
        assert_eq!("315.0.0-alpha.2".parse(), Ok(ReleaseSpec::Version("315.0.0-alpha.2".into())));
        assert_eq!("dist/pyodide-0.29.3.tgz".parse(), Ok(ReleaseSpec::Tarball("dist/pyodide-0.29.3.tgz".into())));
        assert_eq!(".".parse(), Ok(ReleaseSpec::Dir(".".into())));
        assert!("latest".parse::<ReleaseSpec>().is_err());
        assert!("0.29.3;rm".parse::<ReleaseSpec>().is_err());
    }
}
