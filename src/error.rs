//! The error a command fails with, at the boundary the command line calls ([`crate::commands`]):
//! which file it was about, and the typed error of the module that refused it as its source.
//! Below the boundary every module returns its own error; the command line renders the chain
//! on one line ([`crate::one_line::one_line`]) and exits 2.

use std::path::PathBuf;

use crate::config::ConfigFileError;
use crate::lock::LockError;
use crate::pack::PackError;
use crate::policy::PolicyFileError;
use crate::policy::import::ImportError;
use crate::repair::RepairError;
use crate::resolve::ResolveError;
use crate::run::TestError;
use crate::runtime::RuntimeError;
use crate::wheel::edit::EditError;
use crate::wheel::{BinaryFileError, WheelError};

/// An input or usage error.
#[derive(Debug, thiserror::Error)]
#[non_exhaustive]
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
    /// A wheel that cannot be rewritten faithfully (`tags`).
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
    /// A policy file that cannot be used.
    #[error(transparent)]
    Policy(#[from] PolicyFileError),
    /// A release `policy import` cannot read, or a policy it cannot write.
    #[error(transparent)]
    Import(Box<ImportError>),
    /// A `pyproject.toml` that cannot be used.
    #[error(transparent)]
    Config(#[from] ConfigFileError),
    /// A lock that cannot be made.
    #[error(transparent)]
    Lock(Box<LockError>),
    /// A pack that cannot start.
    #[error(transparent)]
    Pack(Box<PackError>),
    /// A registry that cannot be made.
    #[error(transparent)]
    Registry(Box<crate::registry::RegistryError>),
    /// Wheels that cannot be tested.
    #[error(transparent)]
    Test(Box<TestError>),
    /// A runtime that cannot run (Node missing, a release that cannot be had).
    #[error(transparent)]
    Runtime(Box<RuntimeError>),
    /// What the wheels require cannot be resolved (exit 2: a source unreachable or wrong).
    #[error(transparent)]
    Resolve(Box<ResolveError>),
    /// Arguments that do not make sense.
    #[error(transparent)]
    Usage(Box<UsageError>),
}

/// Arguments that do not make sense together, or name nothing.
#[derive(Debug, thiserror::Error)]
#[non_exhaustive]
pub enum UsageError {
    /// `policy show NAME` with an unknown name.
    #[error("no policy called `{0}`")]
    NoPolicy(String),
    /// A `test` input that is not a wheel, without `--pytest`.
    #[error("`{0}` is not a wheel (a .whl file); test folders and files run with --pytest")]
    NotAWheel(String),
    /// `pkg.whl[...]` with extras that are not names.
    #[error("`{0}`: extras are names in brackets, separated by commas (`pkg.whl[test,speedups]`)")]
    Extras(String),
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

/// `From` for the variants that hold their error boxed (they are rare, and large).
macro_rules! boxed_from {
    ($($variant:ident($type:ty)),* $(,)?) => {
        $(impl From<$type> for Error {
            fn from(e: $type) -> Error {
                Error::$variant(Box::new(e))
            }
        })*
    };
}

boxed_from!(
    Import(ImportError),
    Lock(LockError),
    Pack(PackError),
    Registry(crate::registry::RegistryError),
    Test(TestError),
    Runtime(RuntimeError),
    Resolve(ResolveError),
    Usage(UsageError),
);

impl Error {
    /// The error of a wheel that cannot be rewritten: a write failure names the file written.
    pub(crate) fn edit(path: &std::path::Path, source: EditError) -> Error {
        match source {
            EditError::Write { path, source } => Error::Io { path, source },
            source => Error::Edit { path: path.display().to_string(), source },
        }
    }

    /// The error of a wheel `repair` refused: a wheel that does not read is a wheel error.
    pub(crate) fn repair(path: &std::path::Path, source: RepairError) -> Error {
        match source {
            RepairError::Open(source) => Error::Wheel { path: path.display().to_string(), source },
            RepairError::Edit(source) => Error::edit(path, source),
            source => Error::Repair { path: path.display().to_string(), source },
        }
    }

    /// The file the error is about, as the user named it; `None` for usage errors and for
    /// errors whose message names their files.
    pub fn path(&self) -> Option<String> {
        match self {
            Error::Io { path, .. } => Some(path.display().to_string()),
            Error::Wheel { path, .. }
            | Error::Binary { path, .. }
            | Error::Edit { path, .. }
            | Error::Repair { path, .. } => Some(path.clone()),
            Error::Policy(PolicyFileError::Read { path, .. }) => Some(path.display().to_string()),
            Error::Policy(PolicyFileError::Invalid { path, .. }) => Some(path.clone()),
            Error::Import(import) => match import.as_ref() {
                ImportError::Read { path, .. }
                | ImportError::Release { path, .. }
                | ImportError::Write { path, .. } => Some(path.display().to_string()),
            },
            Error::Config(ConfigFileError::Read { path, .. } | ConfigFileError::Invalid { path, .. }) => {
                Some(path.display().to_string())
            }
            Error::Config(ConfigFileError::WorkingDir(_))
            | Error::Lock(_)
            | Error::Pack(_)
            | Error::Registry(_)
            | Error::Test(_)
            | Error::Runtime(_)
            | Error::Resolve(_)
            | Error::Usage(_) => None,
        }
    }

    /// What went wrong, on one line, without the file: the cause chain.
    pub fn message(&self) -> String {
        match (self.path(), std::error::Error::source(self)) {
            (Some(_), Some(source)) => crate::one_line::one_line(source),
            _ => crate::one_line::one_line(self),
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn names_the_file_and_says_why_on_one_line() {
        let io = std::io::Error::new(std::io::ErrorKind::NotFound, "no such\nfile");
        let e = Error::Io { path: "dist/x.whl".into(), source: io };
        assert_eq!(crate::one_line::one_line(&e), "dist/x.whl: no such");
        assert_eq!(e.path().as_deref(), Some("dist/x.whl"));
        assert_eq!(e.message(), "no such");
        let usage = Error::from(UsageError::NoPolicy("x".into()));
        assert_eq!((usage.path(), usage.message()), (None, "no policy called `x`".to_string()));
        let read = std::io::Error::new(std::io::ErrorKind::NotFound, "gone");
        let policy = Error::Policy(PolicyFileError::Read { path: "p.json".into(), source: read });
        assert_eq!((policy.path().as_deref(), policy.message().as_str()), (Some("p.json"), "gone"));
    }
}
