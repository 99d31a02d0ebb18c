#![warn(unnameable_types)]
//! wasmwheel: audit, tag and repair Python wheels built for WebAssembly.
//!
//! The command-line tool is a thin layer over this library:
//! - [`wheel::Wheel`] reads a wheel in one pass: filename, dist-info files, every member, and
//!   every binary found by its magic bytes ([`wasm::inspect`], [`binary::native`]);
//! - [`show`] turns wheels and bare binaries into [`report::WheelReport`]s;
//! - [`audit::audit`] decides, with reasons, on which platforms ([`policy`]) a wheel loads;
//! - [`repair::repair`] vendors the libraries a wheel NEEDs and retags it;
//! - [`tags::tags`] rewrites a wheel's tags; [`wheel::edit`] writes wheels deterministically.

/// Serializes a type as its `Display` text and deserializes it through its `FromStr`, so a
/// value read from JSON is validated like one parsed from the command line.
macro_rules! serde_as_text {
    ($type:ty) => {
        impl serde::Serialize for $type {
            fn serialize<S: serde::Serializer>(&self, s: S) -> Result<S::Ok, S::Error> {
                s.collect_str(self)
            }
        }

        impl<'de> serde::Deserialize<'de> for $type {
            fn deserialize<D: serde::Deserializer<'de>>(d: D) -> Result<Self, D::Error> {
                let text = <String as serde::Deserialize>::deserialize(d)?;
                text.parse().map_err(serde::de::Error::custom)
            }
        }
    };
}

mod archive;
mod audit;
mod binary;
mod check;
pub mod commands;
mod config;
mod error;
mod hash;
mod loading;
mod lock;
mod one_line;
mod output;
mod pack;
mod platform;
mod policy;
mod pyodide_lock;
mod python;
mod repair;
pub mod report;
mod requirements;
mod rules;
mod runtime;
mod show;
mod tags;
pub mod wasm;
mod wheel;

// The boundary: what each command needs, and the error it fails with.
pub use config::{Config, ConfigError, ConfigFileError, TomlError};
pub use error::{Error, UsageError};
pub use one_line::one_line;

// Reading wheels: the archive in memory, the filename and its tags, the dist-info files,
// every binary.
pub use archive::{Archive, ArchiveError, Compression, EntryKind, Limits, Member};
pub use binary::NativeBinary;
pub use python::{AbiKind, AbiTag, Interpreter, PythonRelease, PythonTag, PythonVersion};
pub use python::{PythonVersionError, TagPartError};
pub use wheel::edit::{EditError, WheelEdit};
pub use wheel::filename::{DistName, TagSets, WheelVersion};
pub use wheel::headers::Headers;
pub use wheel::metadata::{FieldError, MetadataVersion};
pub use wheel::record::{HashAlgorithm, HashCheck, RecordEntry, RecordError, RecordHash};
pub use wheel::{Binary, BinaryFileError, BinaryKind, DistInfoError, DistInfoFile, Metadata, Record, Wheel};
pub use wheel::{FilenameError, Tag, WheelError, WheelFile, WheelFilename};

// Platforms, their policies, the audit and its findings.
pub use audit::{Audit, AuditOptions, PlatformVerdict, audit};
pub use check::check;
pub use platform::{Abi, AbiError, Family, PlatformKind, PlatformTag, PlatformTagError};
pub use policy::import::{ImportError, ReleaseError};
pub use policy::loader::{Loader, ModuleSet};
pub use policy::{DataScheme, Installer, LoadedPolicy, Policy, PolicyError, PolicyFamily, PolicyFileError};
pub use policy::{PolicySet, Source as PolicySource};
pub use rules::{Finding, Rule, Severity, UnknownRule};

// Changing wheels.
pub use repair::layout::Moved;
pub use repair::{Repair, RepairError, RepairOptions, Rewritten, Vendored, repair};
pub use tags::{Outcome as TagsOutcome, TagChange, TagsError};

// Running wheels: releases, the runtime and its protocol, `test` and `audit --confirm`.
pub use loading::{Confirmation, Expected, ReleaseRun, TestError, TestOptions, WheelRun};
pub use runtime::node::{Node, NodeError, Ran};
pub use runtime::protocol::{CodeOutcome, EntryOutcome, ImportOutcome, Job, LockJob, Outcome, Step, Unlinked};
pub use runtime::protocol::{PROTOCOL_VERSION, ProtocolError, job_json, parse_answer};
pub use runtime::pyodide::cache::Cache;
pub use runtime::pyodide::npm::Registry;
pub use runtime::pyodide::{PyodideError, Release, ReleaseSpec, ReleaseSpecError, Sources};
pub use runtime::{Host, Runtime, RuntimeError};

// Deploying: locks and bundles.
pub use lock::{Added, Lock, LockError, LockOptions, Refused};
pub use pack::{Pack, PackError, PackOptions, PackageSize};
pub use pyodide_lock::{InstallDir, LockFileError, LockInfo, LockPackage, PackageType, PyodideLock};
