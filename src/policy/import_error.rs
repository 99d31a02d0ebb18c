//! Why `policy import` cannot make a policy: the errors the importers of each kind of release
//! (`pyodide.rs`, `componentize.rs`, `installers.rs`) and the dispatcher (`import.rs`) share,
//! kept apart so that the importers depend on this and not on each other.

use std::path::PathBuf;

use crate::archive::ArchiveError;
use crate::wasm::WasmError;
use crate::wheel::WheelError;

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
