//! `wasmwheel policy import`: policies generated from real releases, and written to
//! `spec/policies/`.
//!
//! A Pyodide release (folder or npm tarball) gives an Emscripten policy (`pyodide.rs`);
//! a componentize-py wheel gives a WASI policy (`componentize.rs`): the CPython it
//! bundles is what a WASI extension module links against.

use std::io::Write;
use std::path::{Path, PathBuf};

use super::Policy;
use crate::error::{Error, Result};

/// Generates the policy of the release at `path`: a Pyodide folder or `pyodide-*.tgz`, or a
/// componentize-py wheel.
pub fn import(path: &Path) -> Result<Policy> {
    if path.extension().is_some_and(|e| e == "whl") {
        super::componentize::import(path)
    } else {
        super::pyodide::import(path)
    }
}

/// Lowercase hex of `bytes`.
pub fn hex(bytes: &[u8]) -> String {
    bytes.iter().map(|b| format!("{b:02x}")).collect()
}

/// Writes `policy` to `dir/<name>.json.gz` (pretty JSON, gzip; the same policy gives the same
/// bytes), through a temporary file renamed into place.
pub fn write(policy: &Policy, dir: &Path) -> Result<PathBuf> {
    let path = dir.join(format!("{}.json.gz", policy.name));
    let mut json = serde_json::to_vec_pretty(policy).expect("policies serialize");
    json.push(b'\n');
    let mut gz = flate2::GzBuilder::new().write(Vec::new(), flate2::Compression::best());
    gz.write_all(&json)
        .and_then(|_| gz.finish())
        .and_then(|bytes| crate::output::write_atomically(&path, &bytes))
        .map_err(|e| Error::input(path.display(), e))?;
    Ok(path)
}
