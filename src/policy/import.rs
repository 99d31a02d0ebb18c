//! `wasmwheel policy import`: policies generated from real releases, and written to
//! `spec/policies/`.
//!
//! A Pyodide release (folder or npm tarball) gives an Emscripten policy (`pyodide.rs`), with
//! the micropip wheel its lock pins given beside it (how it installs wheels,
//! `installers.rs`); a componentize-py wheel gives a WASI policy (`componentize.rs`): the
//! CPython it bundles is what a WASI extension module links against.

use std::io::Write;

use rayon::prelude::*;
use std::path::{Path, PathBuf};

use super::Policy;
use super::installers::Micropip;
use crate::archive::ArchiveError;
use crate::wasm::WasmError;
use crate::wheel::{WheelError, WheelFilename};

/// Why a release cannot give a policy.
#[derive(Debug, thiserror::Error)]
#[non_exhaustive]
pub enum ReleaseError {
    /// A file the policy is made from is not in the release.
    #[error("no {0} in this release")]
    Missing(&'static str),
    /// Not a gzip-compressed tar archive.
    #[error("not a .tgz")]
    Tarball(#[source] std::io::Error),
    /// A JSON file of the release does not parse.
    #[error("{file}")]
    Json {
        /// The file.
        file: &'static str,
        /// Why.
        #[source]
        source: serde_json::Error,
    },
    /// A field of the release's JSON that is not what it must be.
    #[error("{file}: {field} `{value}` is not {what}")]
    Field {
        /// The file.
        file: &'static str,
        /// The field.
        field: &'static str,
        /// Its value.
        value: String,
        /// What it must be.
        what: &'static str,
    },
    /// The main module does not parse.
    #[error("{file}")]
    Wasm {
        /// The file.
        file: &'static str,
        /// Why.
        #[source]
        source: WasmError,
    },
    /// A wheel that does not read.
    #[error(transparent)]
    Wheel(#[from] WheelError),
    /// A wheel that is not componentize-py or micropip.
    #[error("not a componentize-py or micropip wheel (the only wheels policy import reads)")]
    NotComponentize,
    /// A zip inside the release (`python_stdlib.zip`, a micropip wheel) that does not read.
    #[error("a zip archive inside it")]
    Stdlib(#[source] ArchiveError),
    /// A micropip whose way of installing wasmwheel cannot tell.
    #[error("micropip {0}: its wheelinfo.py neither awaits Pyodide's install nor extracts wheels itself")]
    Micropip(String),
    /// The release pins a micropip that was not given.
    #[error(
        "its lock pins micropip {0}: give that wheel too (pip download --no-deps --only-binary=:all: --python-version 3.14 micropip=={0})"
    )]
    MicropipMissing(String),
}

/// Generates the policies of the releases among `paths`: Pyodide folders or `pyodide-*.tgz`
/// (each with the `micropip-*.whl` its lock pins, also among `paths`), and componentize-py
/// wheels.
pub fn import(paths: &[PathBuf]) -> Result<Vec<Policy>, ImportError> {
    let mut micropips = Vec::new();
    let mut releases = Vec::new();
    for path in paths {
        let name = path.file_name().map(|n| n.to_string_lossy().into_owned()).unwrap_or_default();
        match name.parse::<WheelFilename>() {
            Ok(filename) if filename.name.as_str() == "micropip" => {
                let bytes = std::fs::read(path).map_err(|source| ImportError::Read { path: path.clone(), source })?;
                let micropip = Micropip::read(filename.version.as_str(), &bytes)
                    .map_err(|source| ImportError::Release { path: path.clone(), source })?;
                micropips.push(micropip);
            }
            _ => releases.push(path),
        }
    }
    releases
        .into_par_iter()
        .map(|path| {
            let result = if path.extension().is_some_and(|e| e == "whl") {
                super::componentize::import(path)
            } else {
                super::pyodide::import(path, &micropips)
            };
            result.map_err(|e| match e {
                Failure::Io(source) => ImportError::Read { path: path.clone(), source },
                Failure::Release(source) => ImportError::Release { path: path.clone(), source },
            })
        })
        .collect()
}

/// Why `policy import` cannot make or write a policy: which file, and why.
#[derive(Debug, thiserror::Error)]
#[non_exhaustive]
pub enum ImportError {
    /// A release or wheel that cannot be read.
    #[error("{}", path.display())]
    Read {
        /// The file or folder.
        path: PathBuf,
        /// Why.
        #[source]
        source: std::io::Error,
    },
    /// A release or wheel that no policy can be made from.
    #[error("{}", path.display())]
    Release {
        /// The file or folder.
        path: PathBuf,
        /// Why.
        #[source]
        source: ReleaseError,
    },
    /// A policy file that cannot be written.
    #[error("{}", path.display())]
    Write {
        /// The file.
        path: PathBuf,
        /// Why.
        #[source]
        source: std::io::Error,
    },
}

/// A failure while importing one release: reading it, or what it holds.
#[derive(Debug)]
pub(super) enum Failure {
    /// The release could not be read.
    Io(std::io::Error),
    /// The release is not what a policy can be made from.
    Release(ReleaseError),
}

impl From<std::io::Error> for Failure {
    fn from(e: std::io::Error) -> Self {
        Failure::Io(e)
    }
}

impl From<ReleaseError> for Failure {
    fn from(e: ReleaseError) -> Self {
        Failure::Release(e)
    }
}

/// Writes `policy` to `dir/<name>.json.gz` (pretty JSON, gzip; the same policy gives the same
/// bytes), through a temporary file renamed into place.
pub fn write(policy: &Policy, dir: &Path) -> Result<PathBuf, ImportError> {
    let path = dir.join(format!("{}.json.gz", policy.name));
    let io = |source| ImportError::Write { path: path.clone(), source };
    let mut json = serde_json::to_vec_pretty(policy).map_err(|e| io(e.into()))?;
    json.push(b'\n');
    let mut gz = flate2::GzBuilder::new().write(Vec::new(), flate2::Compression::best());
    gz.write_all(&json)
        .and_then(|()| gz.finish())
        .and_then(|bytes| crate::output::write_atomically(&path, &bytes))
        .map_err(io)?;
    Ok(path)
}
