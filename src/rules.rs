//! The rule catalogue: every finding wasmwheel reports has one of these stable ids, with a
//! fixed severity. `spec/rules.md` documents each with an example; a test keeps the two in step.

use std::fmt;
use std::str::FromStr;

use serde::Serialize;

use crate::platform::PlatformTag;

/// How serious a finding is. Any error makes `audit` and `check` exit 1.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash, PartialOrd, Ord, Serialize)]
#[serde(rename_all = "lowercase")]
pub enum Severity {
    /// The wheel will not load, or the index will reject it.
    Error,
    /// Likely a problem, or a spelling that should change.
    Warning,
    /// Worth knowing.
    Info,
}

impl fmt::Display for Severity {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(match self {
            Severity::Error => "error",
            Severity::Warning => "warning",
            Severity::Info => "info",
        })
    }
}

macro_rules! rules {
    ($($(#[$doc:meta])* $variant:ident = $id:literal, $severity:ident;)*) => {
        /// A rule of the catalogue.
        #[derive(Clone, Copy, Debug, PartialEq, Eq, Hash, PartialOrd, Ord)]
        pub enum Rule {
            $($(#[$doc])* $variant,)*
        }

        impl Rule {
            /// Every rule, in catalogue order.
            pub const ALL: &'static [Rule] = &[$(Rule::$variant,)*];

            /// The stable id (`unresolved-symbol`).
            pub fn id(self) -> &'static str {
                match self { $(Rule::$variant => $id,)* }
            }

            /// The severity of its findings.
            pub fn severity(self) -> Severity {
                match self { $(Rule::$variant => Severity::$severity,)* }
            }
        }
    };
}

rules! {
    // Binaries against a platform.
    /// An import the platform does not provide.
    UnresolvedSymbol = "unresolved-symbol", Error;
    /// An import whose function type differs from the platform's function of that name.
    SignatureMismatch = "signature-mismatch", Error;
    /// A NEEDED library neither in the wheel (where the loader looks) nor provided.
    NeededLibraryMissing = "needed-library-missing", Error;
    /// JavaScript exceptions on a wasm-exceptions platform, or the reverse.
    ExceptionHandlingMismatch = "exception-handling-mismatch", Error;
    /// JavaScript setjmp/longjmp on a wasm-setjmp platform, or the reverse.
    SetjmpMismatch = "setjmp-mismatch", Error;
    /// i64 values legalized for JavaScript without BigInt.
    NoBigint = "no-bigint", Error;
    /// A shared memory (pthreads) where the platform has none, or the reverse.
    SharedMemory = "shared-memory", Error;
    /// A 64-bit memory where the platform's is 32-bit, or the reverse.
    Memory64 = "memory64", Error;
    /// The old `dylink` section on a loader that no longer reads it.
    LegacyDylink = "legacy-dylink", Error;
    /// The Python version a binary or tag needs is not the platform's.
    PythonVersionMismatch = "python-version-mismatch", Error;
    /// METADATA's Requires-Python excludes the platform's Python.
    RequiresPythonExcludes = "requires-python-excludes", Error;
    // The wheel against a platform's installers.
    /// Modules or binaries under `<name>.data/purelib|platlib/`, which the platform's
    /// installers leave where Python imports nothing from.
    DataSchemeUnimportable = "data-scheme-unimportable", Error;
    /// Files under `<name>.data/` that an installer of the platform never installs.
    DataSchemeNotInstalled = "data-scheme-not-installed", Warning;
    /// An installer of a declared platform that refuses every platform tag of the wheel.
    InstallerRefusesTag = "installer-refuses-tag", Warning;
    /// A native binary named like a library, which the platform's installers load when they
    /// install the wheel, and fail on.
    NativeLibraryLoaded = "native-library-loaded", Error;
    // Binaries on their own.
    /// `dylink.0` is not the first section.
    DylinkNotFirst = "dylink-not-first", Error;
    /// An import from a module no loader provides.
    UnknownImportModule = "unknown-import-module", Error;
    /// An extension module without its `PyInit_<name>` export.
    MissingEntryPoint = "missing-entry-point", Error;
    /// An extension suffix for another platform.
    ExtensionSuffixPlatform = "extension-suffix-platform", Error;
    /// An abi3 extension importing CPython API outside the limited API of its minimum Python.
    Abi3NonLimitedSymbol = "abi3-non-limited-symbol", Error;
    /// An abi3 wheel's extension named for one CPython (`.cpython-313-...so`).
    Abi3VersionedExtension = "abi3-versioned-extension", Warning;
    /// RUNTIME_PATH climbing out of site-packages.
    RuntimePathOutsideWheel = "runtime-path-outside-wheel", Error;
    /// A wasm extension module without a dynamic-linking section.
    NotASideModule = "not-a-side-module", Error;
    // Binaries against the wheel's tags.
    /// A native ELF/Mach-O/PE binary in a WebAssembly wheel.
    NativeBinary = "native-binary", Error;
    /// A wasm extension module in a wheel tagged for a native platform.
    WasmInNativeWheel = "wasm-in-native-wheel", Error;
    /// Wasm extension modules in a pure (`any`) wheel.
    ExtensionInPureWheel = "extension-in-pure-wheel", Error;
    /// A binary built for WASI in an Emscripten wheel.
    WasiBinaryInEmscriptenWheel = "wasi-binary-in-emscripten-wheel", Error;
    /// A binary built for Emscripten in a WASI wheel.
    EmscriptenBinaryInWasiWheel = "emscripten-binary-in-wasi-wheel", Error;
    /// Wasm modules shipped as data (run by a host, not loaded by Python).
    WasmDataModule = "wasm-data-module", Info;
    // WASI shared objects against the wit-component linker.
    /// An import a WASI component linker cannot satisfy from `env`, `GOT.*` or WASI.
    WasiImportModule = "wasi-import-module", Error;
    /// An `env` global that is not i32.
    WasiEnvGlobalType = "wasi-env-global-type", Error;
    /// A WASI shared object that exports its memory.
    WasiExportedMemory = "wasi-exported-memory", Error;
    /// A dylink.0 subsection older component linkers reject.
    WasiDylinkSubsection = "wasi-dylink-subsection", Warning;
    // Platform tags.
    /// A declared platform tag the binaries cannot satisfy.
    PlatformTagIncompatible = "platform-tag-incompatible", Error;
    /// `pyodide_*`: the pre-PEP 783 spelling.
    LegacyPlatformTag = "legacy-platform-tag", Warning;
    /// `emscripten_*`: an Emscripten version, not an ABI.
    GenericPlatformTag = "generic-platform-tag", Warning;
    /// A platform tag no known policy describes: not verified.
    UnknownPlatform = "unknown-platform", Warning;
    // A lock for a release.
    /// A requirement the lock cannot meet: not in the release's lock nor among the wheels
    /// given, or of another version.
    LockRequirementUnmet = "lock-requirement-unmet", Error;
    // Confirmed in real Pyodide.
    /// Real loading in a Pyodide release disagrees with the audit's verdict for its platform.
    ConfirmMismatch = "confirm-mismatch", Error;
    /// A wheel not run on a platform for want of a requirement no source meets: not
    /// confirmed either way.
    ConfirmUnmetRequirement = "confirm-unmet-requirement", Warning;
    /// A wheel no runtime wasmwheel has can load: nothing was confirmed.
    ConfirmNotRun = "confirm-not-run", Info;
    // What the index rejects on upload.
    /// A platform tag PyPI refuses.
    PlatformTagRejected = "platform-tag-rejected", Error;
    /// The filename's name is not METADATA's normalized name.
    FilenameNameMismatch = "filename-name-mismatch", Error;
    /// The filename's version is not METADATA's version.
    FilenameVersionMismatch = "filename-version-mismatch", Error;
    /// A member compressed with something other than stored or deflate.
    ArchiveUnsupportedCompression = "archive-unsupported-compression", Error;
    /// Two members with the same name.
    ArchiveDuplicateMember = "archive-duplicate-member", Error;
    /// An absolute path, `..`, a backslash or a control character in a member name.
    ArchiveUnsafePath = "archive-unsafe-path", Error;
    /// A member that expands far more than data does.
    ArchiveCompressionBomb = "archive-compression-bomb", Error;
    /// A symbolic link member.
    ArchiveSymlink = "archive-symlink", Error;
    /// No `{name}-{version}.dist-info` folder.
    DistInfoMissing = "dist-info-missing", Error;
    /// WHEEL is missing or malformed.
    WheelFileInvalid = "wheel-file-invalid", Error;
    /// WHEEL's Tag lines differ from the filename's tags.
    WheelTagsMismatch = "wheel-tags-mismatch", Error;
    /// `Root-Is-Purelib: true` on a wheel with binaries.
    PurelibWithBinaries = "purelib-with-binaries", Error;
    /// Platform tags on a wheel without binaries.
    PlatformTagWithoutBinaries = "platform-tag-without-binaries", Warning;
    /// METADATA is missing or not UTF-8.
    MetadataInvalid = "metadata-invalid", Error;
    /// A field its Metadata-Version requires is missing, or the version is unknown.
    MetadataMissingField = "metadata-missing-field", Error;
    /// Name is not a valid project name.
    MetadataInvalidName = "metadata-invalid-name", Error;
    /// Version is not a PEP 440 version PyPI accepts.
    MetadataInvalidVersion = "metadata-invalid-version", Error;
    /// A Requires-Dist that is not PEP 508.
    MetadataInvalidRequiresDist = "metadata-invalid-requires-dist", Error;
    /// Requires-Python that is not a PEP 440 specifier set.
    MetadataInvalidRequiresPython = "metadata-invalid-requires-python", Error;
    /// A License-File absent from `dist-info/licenses/`.
    MetadataLicenseFileMissing = "metadata-license-file-missing", Error;
    /// RECORD is missing or malformed.
    RecordInvalid = "record-invalid", Error;
    /// A member whose sha256 or size differs from RECORD.
    RecordHashMismatch = "record-hash-mismatch", Error;
    /// A member RECORD does not list, or lists without a hash.
    RecordEntryMissing = "record-entry-missing", Error;
    /// A RECORD row for a member the wheel does not have.
    RecordEntryStale = "record-entry-stale", Error;
    /// A RECORD hash algorithm installers refuse (md5, sha1, unknown).
    RecordWeakHash = "record-weak-hash", Error;
}

impl fmt::Display for Rule {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.id())
    }
}

/// A text that names no rule.
#[derive(Clone, Debug, PartialEq, Eq, thiserror::Error)]
#[error("no rule `{0}` (see spec/rules.md)")]
pub struct UnknownRule(pub String);

impl FromStr for Rule {
    type Err = UnknownRule;
    fn from_str(s: &str) -> Result<Self, Self::Err> {
        Rule::ALL.iter().copied().find(|r| r.id() == s).ok_or_else(|| UnknownRule(s.to_string()))
    }
}

impl Serialize for Rule {
    fn serialize<S: serde::Serializer>(&self, s: S) -> Result<S::Ok, S::Error> {
        s.serialize_str(self.id())
    }
}

/// One finding: a rule broken somewhere in a wheel.
#[derive(Clone, Debug, PartialEq, Eq, Serialize)]
#[non_exhaustive]
pub struct Finding {
    /// The rule id.
    pub rule: Rule,
    /// Its severity.
    pub severity: Severity,
    /// The member concerned, if one is.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub path: Option<String>,
    /// The canonical platform tag concerned, if one is.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub platform: Option<PlatformTag>,
    /// What is wrong, and what to do.
    pub message: String,
}

impl Finding {
    /// A finding of `rule` about `path`.
    pub fn new(rule: Rule, path: Option<&str>, message: impl Into<String>) -> Finding {
        Finding {
            rule,
            severity: rule.severity(),
            path: path.map(str::to_string),
            platform: None,
            message: message.into(),
        }
    }

    /// The same finding, tied to a platform.
    pub fn on(mut self, platform: &PlatformTag) -> Finding {
        self.platform = Some(platform.clone());
        self
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn ids_are_unique_kebab_case_and_parse_back() {
        let mut ids: Vec<&str> = Rule::ALL.iter().map(|r| r.id()).collect();
        for id in &ids {
            assert!(id.bytes().all(|b| b.is_ascii_lowercase() || b == b'-' || b.is_ascii_digit()), "{id}");
            assert_eq!(id.parse::<Rule>().unwrap().id(), *id);
        }
        ids.sort();
        ids.dedup();
        assert_eq!(ids.len(), Rule::ALL.len());
    }

    #[test]
    fn every_rule_is_documented_with_an_example() {
        let doc = std::fs::read_to_string(concat!(env!("CARGO_MANIFEST_DIR"), "/spec/rules.md")).unwrap();
        let documented: Vec<&str> =
            doc.lines().filter_map(|l| l.strip_prefix("### ")).map(|h| h.trim_matches('`')).collect();
        let ids: Vec<&str> = Rule::ALL.iter().map(|r| r.id()).collect();
        assert_eq!(documented, ids, "spec/rules.md documents every rule, in catalogue order");
        for section in doc.split("\n### ").skip(1) {
            assert!(section.contains("Example:"), "no example for {}", section.lines().next().unwrap());
            let severity = section.lines().find_map(|l| l.strip_prefix("Severity: ")).unwrap_or_default();
            let id = section.lines().next().unwrap().trim_matches('`');
            assert_eq!(severity, id.parse::<Rule>().unwrap().severity().to_string(), "severity of {id}");
        }
    }
}
