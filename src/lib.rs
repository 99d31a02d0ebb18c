#![warn(unnameable_types)]
//! wasmwheel: audit, tag, repair, check, test, lock and pack Python wheels built for
//! WebAssembly (Emscripten/Pyodide and WASI).
//!
//! The command-line tool is a thin layer over this library; another program uses it the same
//! way, at one of two levels:
//!
//! - **Commands** ([`commands`]): one function per `wasmwheel` command, taking what the user
//!   asked and returning the data it reports, with the crate-wide [`Error`] that names the file
//!   each failure is about. [`report`] renders that data as text, JSON or GitHub annotations.
//! - **The pieces**, re-exported below by area: [`Wheel::open`] reads a wheel in one pass
//!   (filename, dist-info files, every member, every binary found by its magic bytes and
//!   inspected with [`wasm::inspect`]); [`audit()`] decides, with reasons, on which platforms of
//!   a [`PolicySet`] it loads; [`check()`] adds what an index rejects; [`repair()`] vendors
//!   what it NEEDs and retags it; [`WheelEdit`] writes wheels deterministically;
//!   [`PyodideLock`] is `pyodide-lock.json`; a [`Runtime`] runs [`Job`]s in real releases.
//!   Each returns its own typed error.
//!
//! ```no_run
//! use wasmwheel::{AuditOptions, PolicySet, Wheel};
//!
//! let policies = PolicySet::load(&[] as &[&str])?;
//! let wheel = Wheel::open("dist/pkg-1.0-cp314-cp314-pyemscripten_2026_0_wasm32.whl".as_ref())?;
//! let audit = wasmwheel::audit(&wheel, &policies, &AuditOptions::default());
//! for verdict in &audit.platforms {
//!     println!("{}: {}", verdict.platform, if verdict.compatible { "loads" } else { "does not load" });
//!     for reason in &verdict.reasons {
//!         println!("  {}: {}", reason.rule, reason.message);
//!     }
//! }
//! # Ok::<(), Box<dyn std::error::Error>>(())
//! ```

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
mod cache;
mod check;
pub mod commands;
mod config;
mod credentials;
mod error;
mod fs;
mod hash;
mod http;
mod lock;
mod lockfile;
mod npm;
mod one_line;
mod pack;
mod platform;
mod policy;
mod progress;
mod python;
mod registry;
mod release;
mod repair;
pub mod report;
mod requirements;
mod resolve;
mod retag;
mod rules;
mod run;
mod runtime;
mod show;
pub mod wasm;
mod wheel;

// The boundary: what each command needs, and the error it fails with.
pub use config::{Config, ConfigError, ConfigFileError, TomlError};
pub use credentials::{Credential, Credentials, SecretUrl, UrlError};
pub use error::{Error, UsageError};
pub use http::{Answer, Client, HttpError, HttpSettings, SettingsError};
pub use one_line::one_line;
pub use progress::{Event as ProgressEvent, Progress};

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
pub use wheel::{FilenameError, Tag, WheelBytes, WheelError, WheelFile, WheelFilename};

// Platforms, their policies, the audit and its findings.
pub use audit::{Audit, AuditOptions, PlatformVerdict, audit};
pub use check::check;
pub use platform::{Abi, AbiError, Family, PlatformKind, PlatformTag, PlatformTagError};
pub use policy::import::{ImportError, Imported, ReleaseError};
pub use policy::loader::{Loader, ModuleSet};
pub use policy::{DataScheme, Installer, LoadedPolicy, Policy, PolicyError, PolicyFamily, PolicyFileError};
pub use policy::{PolicySet, Source as PolicySource};
pub use rules::{Finding, Rule, Severity, UnknownRule};

// Changing wheels.
pub use repair::layout::Moved;
pub use repair::{Repair, RepairError, RepairOptions, Rewritten, Vendored, repair};
pub use retag::{Outcome as TagsOutcome, TagChange, TagsError};

// Running wheels: releases, the runtime and its protocol, `test` and `audit --confirm`.
pub use cache::{Cache, CacheError, CachedPage};
pub use npm::{NpmError, Registry};
pub use release::{PyodideError, Release, ReleaseSpec, ReleaseSpecError, Sources};
pub use run::pytest::{Counts as PytestCounts, Failure as PytestFailure, PytestError, PytestOptions, PytestReport};
pub use run::pytest::{Slow as PytestSlow, StagedTests, Timings as PytestTimings};
pub use run::{Confirmation, Expected, ReleaseRun, TestError, TestOptions, WheelRun};
pub use run::{confirm, confirm_findings, test as test_wheels};
pub use runtime::chromium::{Chromium, ChromiumError, PageOutcome};
pub use runtime::node::{Node, NodeError};
pub use runtime::pool::Work;
pub use runtime::protocol::{CodeOutcome, EntryOutcome, ImportOutcome, Job, LockJob, Outcome, Step, Unlinked};
pub use runtime::protocol::{CollectError, PytestJob, PytestOutcome, TestOutcome};
pub use runtime::protocol::{PROTOCOL_VERSION, ProtocolError};
pub use runtime::protocol::{Ready, SessionAnswer};
pub use runtime::session::{PerJob, ProcessSession, Session, SessionContext, SessionError, SessionStart};
pub use runtime::snapshot::{Slot, Snapshots};
pub use runtime::wasi::{HOST as WASI_HOST, Wasi, WasiError};
pub use runtime::{Bundle, BundleOutcome, Host, Hosts, Place, Runtime, RuntimeError};

// Resolving what wheels require, as the release's micropip does.
pub use resolve::groups::GroupError;
pub use resolve::index::{Fetcher, Index, IndexError, IndexFile, Location, PYPI};
pub use resolve::ranking::SupportedTags;
pub use resolve::{
    Conflict, Origin, PackageSources, Plan, ReleaseUrl, Request, Resolution, Resolved, ResolvedWheel, Root,
};
pub use resolve::{DEFAULT_RELEASE_URL, RequirementsError, RequirementsFile, ResolveError, ResolveOptions, resolve};
pub use resolve::{ResolutionReport, Target, Unmet};

pub use lock::install_set::{InstallError, InstallSet};

// Deploying: locks and bundles.
pub use lock::{Added, Lock, LockError, LockOptions, Refused};
pub use lockfile::{InstallDir, LockFileError, LockInfo, LockPackage, PackageType, PyodideLock};
pub use pack::variant::VariantOptions;
pub use pack::{Pack, PackError, PackInput, PackOptions, PackageSize, pack, preflight as pack_preflight};
pub use registry::{KnownVariant, RegistryError, RegistryOptions, RegistryPackage, VariantSource};

/// Test plumbing: what the test suite needs beyond the library's surface (the driver
/// protocol's wire form, the drivers as embedded, the pinned playwright-core, the browser on
/// PATH). Not part of the API; it may change in any release.
#[doc(hidden)]
pub mod testing {
    pub use crate::runtime::chromium::{PLAYWRIGHT_VERSION, find_executable as chromium_on_path};
    pub use crate::runtime::process::Ran;
    pub use crate::runtime::protocol::{drivers, job_json, parse_answer, session_job_json, session_json};
}
