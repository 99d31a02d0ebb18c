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
use super::import_error::Failure;
pub use super::import_error::{ImportError, ReleaseError};
use super::installers::Micropip;
use crate::wheel::WheelFilename;

/// A policy `policy import` wrote, and where.
#[derive(Debug)]
#[non_exhaustive]
pub struct Imported {
    /// The file written.
    pub path: PathBuf,
    /// The policy.
    pub policy: Policy,
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
        .and_then(|bytes| crate::fs::write_atomically(&path, &bytes))
        .map_err(io)?;
    Ok(path)
}
