//! Real Pyodide releases, to load wheels in: where one comes from (a version fetched from the
//! npm registry and cached, an unpacked release folder, or an npm tarball), and what it is
//! (its lock's `info`).
//!
//! Nothing here runs for `show`, `audit`, `check`, `repair` or `tags`: only `test`,
//! `audit --confirm`, `lock` and `pack` need a release.

pub mod cache;
pub mod npm;

use std::fmt;
use std::path::{Path, PathBuf};
use std::str::FromStr;

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
    /// A file of the release or the cache that cannot be read or written.
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
    /// `pyodide-lock.json` that does not say what the release is.
    #[error("pyodide-lock.json")]
    Lock(#[source] serde_json::Error),
    /// The registry could not be reached or refused.
    #[error("the npm registry")]
    Registry(#[source] crate::http::HttpError),
    /// The registry's answer is not what npm serves.
    #[error("the npm registry's answer for {0} has no dist.tarball and dist.integrity")]
    Metadata(String),
    /// The downloaded tarball is not the one the registry vouches for.
    #[error("the tarball's sha512 is not the registry's dist.integrity ({0}); not used")]
    Integrity(String),
    /// A tarball that does not unpack, or holds an entry outside `package/`.
    #[error("not an npm package tarball")]
    Tarball(#[source] std::io::Error),
    /// The cached release changed since it was unpacked, and fetching it again is forbidden.
    #[error("the cached release at {} is damaged ({why}), and --offline forbids fetching it again", dir.display())]
    Damaged {
        /// Its folder.
        dir: PathBuf,
        /// What changed.
        why: String,
    },
    /// Not cached, and fetching is forbidden.
    #[error("not in the cache ({0}), and --offline forbids fetching it")]
    Offline(PathBuf),
    /// The cache cannot be used.
    #[error(transparent)]
    Cache(#[from] crate::cache::CacheError),
}

/// A release, unpacked and ready to run.
#[derive(Clone, Debug, PartialEq, Eq)]
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
}

impl Release {
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
        struct Info {
            abi_version: Abi,
            python: PythonRelease,
            version: Option<String>,
        }
        #[derive(serde::Deserialize)]
        struct Lock {
            info: Info,
        }
        #[derive(serde::Deserialize)]
        struct Package {
            version: String,
        }
        let lock: Lock = serde_json::from_slice(&read("pyodide-lock.json")?).map_err(PyodideError::Lock)?;
        let package: Option<Package> = read("package.json").ok().and_then(|b| serde_json::from_slice(&b).ok());
        let version = package.map(|p| p.version).or(lock.info.version).unwrap_or_default();
        let package_base_url = String::from_utf8_lossy(&read("pyodide.js")?).contains("packageBaseUrl");
        // Node is handed the folder: absolute, whatever its working folder.
        let dir = std::path::absolute(dir).map_err(|source| PyodideError::Io { path: dir.to_path_buf(), source })?;
        Ok(Release { dir, version, abi: lock.info.abi_version, python: lock.info.python, package_base_url })
    }
}

/// How to get releases: the cache, the registry, and whether fetching is allowed.
#[derive(Clone, Debug)]
pub struct Sources {
    /// The cache.
    pub cache: cache::Cache,
    /// The npm registry.
    pub registry: npm::Registry,
    /// Refuse to fetch (`--offline`).
    pub offline: bool,
}

impl Sources {
    /// The user's cache and registry (see [`cache::Cache::from_env`], [`npm::Registry::from_env`]),
    /// asked through `client`.
    pub fn from_env(offline: bool, client: crate::http::Client) -> Result<Sources, PyodideError> {
        Ok(Sources { cache: cache::Cache::from_env()?, registry: npm::Registry::from_env(client), offline })
    }

    /// The release `spec` names, fetched and unpacked into the cache if need be.
    pub fn get(&self, spec: &ReleaseSpec) -> Result<Release, PyodideError> {
        let dir = match spec {
            ReleaseSpec::Dir(dir) => dir.clone(),
            ReleaseSpec::Tarball(path) => self.cache.unpacked_tarball(path)?,
            ReleaseSpec::Version(version) => {
                let dir = self.cache.version_dir(version);
                match cache::state(&dir) {
                    cache::State::Whole => {}
                    cache::State::Damaged(why) if self.offline => return Err(PyodideError::Damaged { dir, why }),
                    _ if self.offline => return Err(PyodideError::Offline(dir)),
                    _ => {
                        let tarball = self.registry.tarball("pyodide", version)?;
                        self.cache.unpack(&tarball, &dir)?;
                    }
                }
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
