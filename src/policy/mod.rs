//! Platform policies: what each platform (an Emscripten ABI, or WASI) gives a side module, and
//! how its loader finds libraries. Generated from real releases by `wasmwheel policy import`
//! ([`import`]), committed under `spec/policies/`, and embedded in the binary.

mod componentize;
pub mod import;
mod import_error;
pub mod installers;
pub mod loader;
mod pyodide;

use std::collections::{BTreeMap, HashSet};
use std::io::Read;
use std::path::Path;

use rayon::prelude::*;
use serde::{Deserialize, Serialize};

use crate::platform::{Abi, Family, PlatformTag};
use crate::python::{PythonRelease, PythonVersion};
use crate::wasm::{Signature, UnwindStyle};
pub use loader::Loader;

/// The version of the policy file format.
pub const POLICY_VERSION: u32 = 1;

/// Where a policy came from.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct Source {
    /// The runtime distribution (`pyodide`).
    pub runtime: String,
    /// Its version.
    pub version: String,
    /// The file imported.
    pub file: String,
    /// sha256 of that file, hex.
    pub sha256: String,
}

/// A scheme of a wheel's `<name>.data/` folder: where pip would install what it holds.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash, PartialOrd, Ord, Serialize, Deserialize)]
#[serde(rename_all = "lowercase")]
pub enum DataScheme {
    /// Pure modules: site-packages.
    Purelib,
    /// Platform modules: site-packages.
    Platlib,
    /// Console scripts: the interpreter's `bin`.
    Scripts,
    /// C headers: the interpreter's `include`.
    Headers,
    /// Anything: the interpreter's prefix.
    Data,
}

impl DataScheme {
    /// Every scheme.
    pub const ALL: [DataScheme; 5] =
        [DataScheme::Purelib, DataScheme::Platlib, DataScheme::Scripts, DataScheme::Headers, DataScheme::Data];

    /// The folder name inside `<name>.data/`.
    pub fn as_str(self) -> &'static str {
        match self {
            DataScheme::Purelib => "purelib",
            DataScheme::Platlib => "platlib",
            DataScheme::Scripts => "scripts",
            DataScheme::Headers => "headers",
            DataScheme::Data => "data",
        }
    }

    /// The scheme a `<name>.data/` subfolder names.
    pub fn from_folder(name: &str) -> Option<DataScheme> {
        DataScheme::ALL.into_iter().find(|s| s.as_str() == name)
    }

    /// Whether the scheme holds importable modules (pip puts it in site-packages).
    pub fn is_library(self) -> bool {
        matches!(self, DataScheme::Purelib | DataScheme::Platlib)
    }
}

/// One way a platform installs wheels, and what it does with `<name>.data/`.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Installer {
    /// `pyodide.loadPackage` or `micropip`.
    pub name: String,
    /// Its version.
    pub version: String,
    /// The schemes it installs where pip would. What it does not install stays in
    /// site-packages under `<name>.data/<scheme>/`, where Python imports nothing from.
    pub installs: Vec<DataScheme>,
    /// The platform tags it accepts a wheel for; absent when it does not look at tags.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub platform_tags: Option<Vec<PlatformTag>>,
}

impl Installer {
    /// `micropip 0.11.1`, for messages.
    pub fn describe(&self) -> String {
        format!("{} {}", self.name, self.version)
    }
}

/// `exceptions` and `setjmp` in policy files: `"js"`, `"wasm"`, or `"none"` for a platform
/// without that kind of unwinding.
mod unwinding {
    use serde::{Deserialize, Deserializer, Serializer};

    use crate::wasm::UnwindStyle;

    pub fn serialize<S: Serializer>(style: &Option<UnwindStyle>, s: S) -> Result<S::Ok, S::Error> {
        s.serialize_str(match style {
            Some(UnwindStyle::Js) => "js",
            Some(UnwindStyle::Wasm) => "wasm",
            None => "none",
        })
    }

    pub fn deserialize<'de, D: Deserializer<'de>>(d: D) -> Result<Option<UnwindStyle>, D::Error> {
        match String::deserialize(d)?.as_str() {
            "js" => Ok(Some(UnwindStyle::Js)),
            "wasm" => Ok(Some(UnwindStyle::Wasm)),
            "none" => Ok(None),
            other => Err(serde::de::Error::custom(format!("`{other}` is not js, wasm or none"))),
        }
    }
}

/// One platform.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Policy {
    /// File format version ([`POLICY_VERSION`]).
    pub policy_version: u32,
    /// The policy name: the canonical platform tag without `_wasm32` (`pyemscripten_2026_0`).
    pub name: String,
    /// `emscripten` or `wasi`.
    pub family: PolicyFamily,
    /// The Emscripten ABI (`2026_0`), if the platform has one.
    pub abi: Option<Abi>,
    /// Platform tags that name this platform, the canonical one first.
    pub platform_tags: Vec<PlatformTag>,
    /// The CPython version (`3.14.2`).
    pub python: PythonRelease,
    /// The Emscripten version, for Emscripten platforms.
    pub emscripten: Option<pep440_rs::Version>,
    /// Where the policy was generated from.
    pub source: Source,
    /// How C++ exceptions unwind (`None`: the platform has no C++ exceptions).
    #[serde(with = "unwinding")]
    pub exceptions: Option<UnwindStyle>,
    /// How setjmp/longjmp unwind (`None`: the platform has no setjmp/longjmp).
    #[serde(with = "unwinding")]
    pub setjmp: Option<UnwindStyle>,
    /// Whether i64 crosses the JS boundary as BigInt (`-sWASM_BIGINT`): legalized modules fail.
    pub bigint: bool,
    /// Whether the main module's memory is shared (pthreads): side modules must match.
    pub shared_memory: bool,
    /// Whether the main module's memory is 64-bit: side modules must match.
    pub memory64: bool,
    /// How the loader finds libraries.
    pub loader: Loader,
    /// Libraries the platform itself provides to any module.
    pub provided_libraries: Vec<String>,
    /// Shared-library packages of the distribution (not loaded unless a package depends on them).
    pub shared_library_packages: Vec<String>,
    /// Every symbol a side module may import: the main module's exports and imports, and the
    /// JavaScript library functions of the loader. Sorted.
    pub symbols: Vec<String>,
    /// The type of every function the main module exports: a side module that imports one
    /// with another type fails to link.
    pub signatures: BTreeMap<String, Signature>,
    /// How the platform installs wheels, each way it has. Empty: as pip does (the WASI
    /// toolchains take a site-packages that pip made).
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub installers: Vec<Installer>,
    /// Whether it comes from a prerelease (`315.0.0-alpha.2`): audits list it as upcoming, not
    /// among the compatible platforms, unless asked (`--prerelease`, or a tag that names it).
    #[serde(default, skip_serializing_if = "std::ops::Not::not")]
    pub prerelease: bool,
}

/// The family of a policy.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "lowercase")]
pub enum PolicyFamily {
    /// Emscripten (Pyodide).
    Emscripten,
    /// WASI.
    Wasi,
}

impl PolicyFamily {
    /// The platform-tag family of this policy family.
    pub fn family(self) -> Family {
        match self {
            PolicyFamily::Emscripten => Family::Emscripten,
            PolicyFamily::Wasi => Family::Wasi,
        }
    }
}

/// Why a policy file is not a valid policy.
#[derive(Debug, thiserror::Error)]
#[non_exhaustive]
pub enum PolicyError {
    /// Starts like gzip but does not decompress.
    #[error("not a gzip file")]
    Gzip(#[source] std::io::Error),
    /// Not JSON of the policy format; the source names the field.
    #[error("not a policy")]
    Json(#[source] serde_path_to_error::Error<serde_json::Error>),
    /// A format version wasmwheel does not read.
    #[error("policy_version {0} is not {POLICY_VERSION}")]
    Version(u32),
    /// No platform tag.
    #[error("platform_tags: a policy needs at least one platform tag")]
    NoTags,
    /// An Emscripten policy without its ABI, or a canonical tag that is not the ABI's.
    #[error("abi: an Emscripten policy names its ABI, and its first platform tag is that ABI's canonical tag")]
    Abi,
}

/// A policy file that cannot be used: which, and why.
#[derive(Debug, thiserror::Error)]
#[non_exhaustive]
pub enum PolicyFileError {
    /// It cannot be read.
    #[error("{}", path.display())]
    Read {
        /// The file.
        path: std::path::PathBuf,
        /// Why.
        #[source]
        source: std::io::Error,
    },
    /// It is not a valid policy.
    #[error("{path}")]
    Invalid {
        /// The file (`embedded:<name>` for the built-in ones).
        path: String,
        /// Why.
        #[source]
        source: PolicyError,
    },
}

/// A policy ready for lookups.
#[derive(Clone, Debug)]
pub struct LoadedPolicy {
    policy: Policy,
    symbols: HashSet<String>,
}

impl LoadedPolicy {
    fn new(policy: Policy) -> LoadedPolicy {
        let symbols = policy.symbols.iter().cloned().collect();
        LoadedPolicy { policy, symbols }
    }

    /// The policy data (validated when it loaded: its first platform tag is canonical).
    pub fn policy(&self) -> &Policy {
        &self.policy
    }

    /// Whether the platform provides `symbol`.
    pub fn provides(&self, symbol: &str) -> bool {
        self.symbols.contains(symbol)
    }

    /// The type of the main module's function `symbol`, if it exports one.
    pub fn signature(&self, symbol: &str) -> Option<&Signature> {
        self.policy.signatures.get(symbol)
    }

    /// The canonical platform tag.
    pub fn canonical_tag(&self) -> &PlatformTag {
        &self.policy.platform_tags[0]
    }

    /// The platform's Python feature version.
    pub fn python(&self) -> PythonVersion {
        self.policy.python.feature()
    }
}

/// The policies generated from real releases, committed under `spec/policies/`: Pyodide
/// 0.27.7, 0.29.3 and 314.0.7, the 315.0.0-alpha.2 prerelease, and the CPython WASI build of
/// componentize-py 0.25.1.
pub const EMBEDDED: [(&str, &[u8]); 5] = [
    ("pyemscripten_2024_0", include_bytes!("../../spec/policies/pyemscripten_2024_0.json.gz")),
    ("pyemscripten_2025_0", include_bytes!("../../spec/policies/pyemscripten_2025_0.json.gz")),
    ("pyemscripten_2026_0", include_bytes!("../../spec/policies/pyemscripten_2026_0.json.gz")),
    ("pyemscripten_2026_5", include_bytes!("../../spec/policies/pyemscripten_2026_5.json.gz")),
    ("wasi_0_0_0", include_bytes!("../../spec/policies/wasi_0_0_0.json.gz")),
];

/// Parses a policy file: JSON, gzip-compressed or not. Every field is validated: a bad one is
/// named in the error.
pub fn parse(bytes: &[u8]) -> Result<Policy, PolicyError> {
    let mut text = Vec::new();
    let json: &[u8] = if bytes.starts_with(&[0x1f, 0x8b]) {
        flate2::read::GzDecoder::new(bytes).take(256 << 20).read_to_end(&mut text).map_err(PolicyError::Gzip)?;
        &text
    } else {
        bytes
    };
    /// The field every version of the format has, read first.
    #[derive(Deserialize)]
    struct Versioned {
        policy_version: u32,
    }
    let json_error = |e| PolicyError::Json(e);
    let versioned: Versioned =
        serde_path_to_error::deserialize(&mut serde_json::Deserializer::from_slice(json)).map_err(json_error)?;
    if versioned.policy_version != POLICY_VERSION {
        return Err(PolicyError::Version(versioned.policy_version));
    }
    let policy: Policy =
        serde_path_to_error::deserialize(&mut serde_json::Deserializer::from_slice(json)).map_err(json_error)?;
    let Some(canonical) = policy.platform_tags.first() else { return Err(PolicyError::NoTags) };
    if policy.family == PolicyFamily::Emscripten && policy.abi.map(Abi::canonical_tag).as_ref() != Some(canonical) {
        return Err(PolicyError::Abi);
    }
    Ok(policy)
}

/// Every known policy, oldest first within each family.
#[derive(Clone, Debug)]
pub struct PolicySet {
    policies: Vec<LoadedPolicy>,
}

impl PolicySet {
    /// The embedded policies plus the user's `extra` policy files; a user policy replaces an
    /// embedded one of the same name.
    pub fn load(extra: &[impl AsRef<Path>]) -> Result<PolicySet, PolicyFileError> {
        // Parsing is most of a short run's time: do the policies in parallel.
        let embedded: Vec<Result<Policy, PolicyFileError>> = EMBEDDED
            .par_iter()
            .map(|(name, bytes)| {
                parse(bytes).map_err(|source| PolicyFileError::Invalid { path: format!("embedded:{name}"), source })
            })
            .collect();
        let mut policies = embedded.into_iter().collect::<Result<Vec<Policy>, PolicyFileError>>()?;
        for path in extra {
            let path = path.as_ref();
            let bytes =
                std::fs::read(path).map_err(|source| PolicyFileError::Read { path: path.to_path_buf(), source })?;
            let policy = parse(&bytes)
                .map_err(|source| PolicyFileError::Invalid { path: path.display().to_string(), source })?;
            policies.retain(|p| p.name != policy.name);
            policies.push(policy);
        }
        let mut policies: Vec<LoadedPolicy> = policies.into_par_iter().map(LoadedPolicy::new).collect();
        policies.sort_by(|a, b| {
            let key = |p: &LoadedPolicy| (p.policy.family == PolicyFamily::Wasi, p.policy.abi, p.policy.name.clone());
            key(a).cmp(&key(b))
        });
        Ok(PolicySet { policies })
    }

    /// The set with `policy` in place of the one of the same name (or added).
    pub(crate) fn with(&self, policy: Policy) -> PolicySet {
        let mut policies = self.policies.clone();
        match policies.iter_mut().find(|p| p.policy.name == policy.name) {
            Some(slot) => *slot = LoadedPolicy::new(policy),
            None => policies.push(LoadedPolicy::new(policy)),
        }
        PolicySet { policies }
    }

    /// Every policy.
    pub fn all(&self) -> &[LoadedPolicy] {
        &self.policies
    }

    /// The policies of one family, oldest first.
    pub fn family(&self, family: Family) -> impl Iterator<Item = &LoadedPolicy> {
        self.policies.iter().filter(move |p| p.policy.family.family() == family)
    }

    /// The policy a platform tag names: by its spelling, or by its canonical spelling.
    pub fn for_tag(&self, tag: &PlatformTag) -> Option<&LoadedPolicy> {
        let canonical = tag.canonical();
        self.policies.iter().find(|p| p.policy.platform_tags.iter().any(|t| t == tag || *t == canonical))
    }

    /// The policy called `name` (`pyemscripten_2026_0`), or whose tag is `name`.
    pub fn by_name(&self, name: &str) -> Option<&LoadedPolicy> {
        self.policies
            .iter()
            .find(|p| p.policy.name == name || p.policy.platform_tags.iter().any(|t| t.as_str() == name))
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn embedded_policies_load_and_order_oldest_first() {
        let set = PolicySet::load(&[] as &[&Path]).unwrap();
        let names: Vec<&str> = set.family(Family::Emscripten).map(|p| p.policy.name.as_str()).collect();
        assert_eq!(names, ["pyemscripten_2024_0", "pyemscripten_2025_0", "pyemscripten_2026_0", "pyemscripten_2026_5"]);
        assert!(set.by_name("pyemscripten_2026_5").unwrap().policy.prerelease, "from 315.0.0-alpha.2");
        for p in set.all() {
            assert!(p.policy.symbols.windows(2).all(|w| w[0] < w[1]), "{} symbols sorted and unique", p.policy.name);
        }
    }

    #[test]
    fn a_bad_field_is_named() {
        let embedded = parse(EMBEDDED[0].1).unwrap();
        let mut json = serde_json::to_value(&embedded).unwrap();
        json["python"] = "x.y".into();
        let err = parse(&serde_json::to_vec(&json).unwrap()).unwrap_err();
        let message = crate::one_line::one_line(&err);
        assert!(message.starts_with("not a policy: python: `x.y` is not a Python version (3.X or 3.X.Y)"), "{message}");
        json["python"] = "3.12.7".into();
        json["signatures"]["PyLong_FromLong"] = "(i99) -> ()".into();
        let err = parse(&serde_json::to_vec(&json).unwrap()).unwrap_err();
        assert!(crate::one_line::one_line(&err).contains("signatures.PyLong_FromLong: `(i99) -> ()`"), "{err:?}");
        json["policy_version"] = 2.into();
        assert!(matches!(parse(&serde_json::to_vec(&json).unwrap()), Err(PolicyError::Version(2))));
    }

    #[test]
    fn tags_find_their_policy_in_any_spelling() {
        let set = PolicySet::load(&[] as &[&Path]).unwrap();
        let find = |t: &str| set.for_tag(&t.parse().unwrap()).map(|p| p.policy.name.clone());
        assert_eq!(find("pyodide_2024_0_wasm32").as_deref(), Some("pyemscripten_2024_0"));
        assert_eq!(find("pyemscripten_2025_0_wasm32").as_deref(), Some("pyemscripten_2025_0"));
        assert_eq!(find("pyemscripten_2031_0_wasm32"), None);
    }

    #[test]
    fn embedded_list_matches_spec_folder() {
        let dir = Path::new(env!("CARGO_MANIFEST_DIR")).join("spec/policies");
        let mut files: Vec<String> = std::fs::read_dir(dir)
            .unwrap()
            .filter_map(|e| e.unwrap().file_name().to_str()?.strip_suffix(".json.gz").map(str::to_string))
            .collect();
        files.sort();
        let embedded: Vec<&str> = EMBEDDED.iter().map(|(n, _)| *n).collect();
        assert_eq!(files, embedded, "every policy under spec/policies is embedded");
    }
}
