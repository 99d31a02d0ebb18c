//! The errors that stop wasmwheel from working on an input. Each parser has its own typed error
//! (in its module); this enum says which file it was about and keeps the cause as its source.
//! The command line renders the chain on one line ([`one_line`]) and exits 2.

use std::path::PathBuf;

use crate::policy::PolicyError;
use crate::policy::import::ReleaseError;
use crate::pyodide::PyodideError;
use crate::pyodide::node::NodeError;
use crate::repair::RepairError;
use crate::wheel::edit::EditError;
use crate::wheel::{BinaryFileError, WheelError};

/// An input or usage error.
#[derive(Debug, thiserror::Error)]
pub enum Error {
    /// A file that could not be read, written or listed.
    #[error("{}", path.display())]
    Io {
        /// The file.
        path: PathBuf,
        /// Why.
        #[source]
        source: std::io::Error,
    },
    /// A wheel that cannot be read.
    #[error("{path}")]
    Wheel {
        /// The wheel, as given.
        path: String,
        /// Why.
        #[source]
        source: WheelError,
    },
    /// A bare file that is not a binary wasmwheel reads.
    #[error("{path}")]
    Binary {
        /// The file, as given.
        path: String,
        /// Why.
        #[source]
        source: BinaryFileError,
    },
    /// A wheel that cannot be rewritten faithfully (`repair`, `tags`).
    #[error("{path}")]
    Edit {
        /// The wheel, as given.
        path: String,
        /// Why.
        #[source]
        source: EditError,
    },
    /// A wheel `repair` cannot repair.
    #[error("{path}")]
    Repair {
        /// The wheel, as given.
        path: String,
        /// Why.
        #[source]
        source: RepairError,
    },
    /// A policy file that is not a valid policy.
    #[error("{path}")]
    Policy {
        /// The policy file (`embedded:<name>` for the built-in ones).
        path: String,
        /// Why.
        #[source]
        source: PolicyError,
    },
    /// A release `policy import` cannot read.
    #[error("{path}")]
    Release {
        /// The release folder or file.
        path: String,
        /// Why.
        #[source]
        source: ReleaseError,
    },
    /// A `[tool.wasmwheel]` table that is not valid.
    #[error("{}", path.display())]
    Config {
        /// The pyproject.toml.
        path: PathBuf,
        /// Why (boxed: TOML errors are large, and rare).
        #[source]
        source: Box<crate::config::ConfigError>,
    },
    /// A Pyodide release that cannot be had or used.
    #[error("{what}")]
    Pyodide {
        /// The release, as `--pyodide` or a policy named it.
        what: String,
        /// Why.
        #[source]
        source: PyodideError,
    },
    /// A lock that cannot be made.
    #[error(transparent)]
    Lock(#[from] crate::lock::LockError),
    /// A pack that cannot start.
    #[error(transparent)]
    Pack(#[from] crate::pack::PackError),
    /// Node.js is missing, too old, or failed.
    #[error(transparent)]
    Node(#[from] NodeError),
    /// Arguments that do not make sense.
    #[error(transparent)]
    Usage(#[from] UsageError),
}

/// Arguments that do not make sense together, or name nothing.
#[derive(Debug, thiserror::Error)]
pub enum UsageError {
    /// `policy show NAME` with an unknown name.
    #[error("no policy called `{0}`")]
    NoPolicy(String),
    /// No release to load wheels in.
    #[error("no Pyodide release to test on: {0}; name one with --pyodide")]
    NoRelease(String),
    /// A module name Python cannot import.
    #[error("--import {0}: not a module name")]
    ModuleName(String),
    /// A glob that does not parse.
    #[error("--exclude {pattern}")]
    Glob {
        /// The glob.
        pattern: String,
        /// Why.
        #[source]
        source: globset::Error,
    },
}

impl Error {
    /// The file the error is about, as the user named it; `None` for usage errors.
    pub fn path(&self) -> Option<String> {
        match self {
            Error::Io { path, .. } | Error::Config { path, .. } => Some(path.display().to_string()),
            Error::Wheel { path, .. }
            | Error::Binary { path, .. }
            | Error::Edit { path, .. }
            | Error::Repair { path, .. }
            | Error::Policy { path, .. }
            | Error::Release { path, .. } => Some(path.clone()),
            Error::Pyodide { what, .. } => Some(what.clone()),
            Error::Node(_) | Error::Usage(_) | Error::Lock(_) | Error::Pack(_) => None,
        }
    }

    /// What went wrong, on one line, without the file: the cause chain.
    pub fn message(&self) -> String {
        match (self.path(), std::error::Error::source(self)) {
            (Some(_), Some(source)) => one_line(source),
            _ => one_line(self),
        }
    }
}

/// An error and its causes on one line: `outer: cause: root cause`. Each message contributes
/// its first line (parsers that draw carets under the input use more), repeats are dropped,
/// and runs of whitespace become one space.
pub fn one_line(error: &(dyn std::error::Error + 'static)) -> String {
    let mut parts: Vec<String> = Vec::new();
    let mut next = Some(error);
    while let Some(e) = next {
        let text = e.to_string();
        let first = text.lines().map(str::trim).find(|l| !l.is_empty()).unwrap_or_default();
        let first = first.split_whitespace().collect::<Vec<_>>().join(" ");
        if !first.is_empty() && !parts.last().is_some_and(|last| last.contains(&first)) {
            parts.push(first);
        }
        next = e.source();
    }
    parts.join(": ")
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn renders_the_chain_on_one_line() {
        let io = std::io::Error::new(std::io::ErrorKind::NotFound, "no such\nfile");
        let e = Error::Io { path: "dist/x.whl".into(), source: io };
        assert_eq!(one_line(&e), "dist/x.whl: no such");
        assert_eq!(e.path().as_deref(), Some("dist/x.whl"));
        assert_eq!(e.message(), "no such");
        let usage = Error::Usage(UsageError::NoPolicy("x".into()));
        assert_eq!((usage.path(), usage.message()), (None, "no policy called `x`".to_string()));
    }
}
