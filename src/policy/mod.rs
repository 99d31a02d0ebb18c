//! Platform policies: what each platform (an Emscripten ABI, or WASI) gives a side module, and
//! how its loader finds libraries. Generated from real releases by `wasmwheel policy import`
//! ([`import`]), committed under `spec/policies/`, and embedded in the binary.

mod componentize;
pub mod import;
mod pyodide;

use std::collections::{BTreeMap, HashSet};
use std::io::Read;
use std::path::Path;

use rayon::prelude::*;
use serde::{Deserialize, Serialize};

use crate::error::{Error, Result};
use crate::platform::{Family, PlatformTag};

/// The version of the policy file format.
pub const POLICY_VERSION: u32 = 1;

/// How C++ exceptions or setjmp/longjmp unwind on a platform.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "lowercase")]
pub enum Unwinding {
    /// Through JavaScript (`invoke_*` wrappers).
    Js,
    /// With wasm exception handling (tags).
    Wasm,
    /// Not at all: the platform has no unwinding of this kind.
    None,
}

/// How the platform's loader finds a NEEDED library.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct Loader {
    /// Follows the RUNTIME_PATH of the module that NEEDs the library (`$ORIGIN` = its folder).
    pub runtime_path: bool,
    /// Searches `<dist>.libs/` in site-packages (Pyodide 0.26-0.27).
    pub search_dist_libs: bool,
    /// Searches the folder of the module being loaded and its subfolders (Pyodide 0.26-0.27).
    pub search_module_dir: bool,
    /// Finds a library by its file name anywhere in the wheel (WASI component linkers, which
    /// are handed every library of the environment).
    pub search_by_name: bool,
    /// Loads the pre-2021 `dylink` section (Emscripten before 4.0.5).
    pub legacy_dylink: bool,
}

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

/// One platform.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct Policy {
    /// File format version ([`POLICY_VERSION`]).
    pub policy_version: u32,
    /// The policy name: the canonical platform tag without `_wasm32` (`pyemscripten_2026_0`).
    pub name: String,
    /// `emscripten` or `wasi`.
    pub family: PolicyFamily,
    /// The Emscripten ABI (`2026_0`), if the platform has one.
    pub abi: Option<String>,
    /// Platform tags that name this platform, the canonical one first.
    pub platform_tags: Vec<String>,
    /// The CPython version (`3.14.2`).
    pub python: String,
    /// The Emscripten version, for Emscripten platforms.
    pub emscripten: Option<String>,
    /// Where the policy was generated from.
    pub source: Source,
    /// How C++ exceptions unwind.
    pub exceptions: Unwinding,
    /// How setjmp/longjmp unwind.
    pub setjmp: Unwinding,
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
    /// The type of every function the main module exports (`(i64) -> (i32)`): a side module
    /// that imports one with another type fails to link.
    pub signatures: BTreeMap<String, String>,
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

/// A policy ready for lookups.
#[derive(Clone, Debug)]
pub struct LoadedPolicy {
    /// The policy data.
    pub policy: Policy,
    symbols: HashSet<String>,
}

impl LoadedPolicy {
    fn new(policy: Policy) -> LoadedPolicy {
        let symbols = policy.symbols.iter().cloned().collect();
        LoadedPolicy { policy, symbols }
    }

    /// Whether the platform provides `symbol`.
    pub fn provides(&self, symbol: &str) -> bool {
        self.symbols.contains(symbol)
    }

    /// The type of the main module's function `symbol`, if it exports one.
    pub fn signature(&self, symbol: &str) -> Option<&str> {
        self.policy.signatures.get(symbol).map(String::as_str)
    }

    /// The canonical platform tag.
    pub fn canonical_tag(&self) -> &str {
        &self.policy.platform_tags[0]
    }

    /// `(major, minor)` of the platform's Python.
    pub fn python(&self) -> (u32, u32) {
        parse_python(&self.policy.python).unwrap_or((0, 0))
    }
}

/// `3.14.2` -> `(3, 14)`.
pub fn parse_python(version: &str) -> Option<(u32, u32)> {
    let mut parts = version.split('.');
    Some((parts.next()?.parse().ok()?, parts.next()?.parse().ok()?))
}

/// The policies generated from real releases, committed under `spec/policies/`: Pyodide
/// 0.27.7, 0.29.3 and 314.0.7, and the CPython WASI build of componentize-py 0.25.1.
pub const EMBEDDED: [(&str, &[u8]); 4] = [
    ("pyemscripten_2024_0", include_bytes!("../../spec/policies/pyemscripten_2024_0.json.gz")),
    ("pyemscripten_2025_0", include_bytes!("../../spec/policies/pyemscripten_2025_0.json.gz")),
    ("pyemscripten_2026_0", include_bytes!("../../spec/policies/pyemscripten_2026_0.json.gz")),
    ("wasi_0_0_0", include_bytes!("../../spec/policies/wasi_0_0_0.json.gz")),
];

/// Parses a policy file: JSON, gzip-compressed or not.
pub fn parse(bytes: &[u8]) -> std::result::Result<Policy, String> {
    let mut text = Vec::new();
    let json: &[u8] = if bytes.starts_with(&[0x1f, 0x8b]) {
        flate2::read::GzDecoder::new(bytes)
            .take(256 << 20)
            .read_to_end(&mut text)
            .map_err(|e| format!("not a gzip file ({e})"))?;
        &text
    } else {
        bytes
    };
    let policy: Policy = serde_json::from_slice(json).map_err(|e| format!("not a policy ({e})"))?;
    if policy.policy_version != POLICY_VERSION {
        return Err(format!("policy_version {} is not {POLICY_VERSION}", policy.policy_version));
    }
    if policy.platform_tags.is_empty() {
        return Err("a policy needs at least one platform tag".into());
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
    pub fn load(extra: &[impl AsRef<Path>]) -> Result<PolicySet> {
        // Parsing is most of a short run's time: do the policies in parallel.
        let mut policies: Vec<Policy> = EMBEDDED
            .par_iter()
            .map(|(name, bytes)| parse(bytes).unwrap_or_else(|e| panic!("embedded {name}: {e}")))
            .collect();
        for path in extra {
            let path = path.as_ref();
            let bytes = std::fs::read(path).map_err(|e| Error::input(path.display(), e))?;
            let policy = parse(&bytes).map_err(|e| Error::input(path.display(), e))?;
            policies.retain(|p| p.name != policy.name);
            policies.push(policy);
        }
        let mut policies: Vec<LoadedPolicy> = policies.into_par_iter().map(LoadedPolicy::new).collect();
        policies.sort_by_key(|p| {
            let p = &p.policy;
            (
                p.family == PolicyFamily::Wasi,
                p.abi.as_deref().and_then(|a| a.parse::<crate::platform::Abi>().ok()),
                p.name.clone(),
            )
        });
        Ok(PolicySet { policies })
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
        self.policies
            .iter()
            .find(|p| p.policy.platform_tags.iter().any(|t| t == tag.as_str() || t == canonical.as_str()))
    }

    /// The policy called `name` (`pyemscripten_2026_0`), or whose tag is `name`.
    pub fn by_name(&self, name: &str) -> Option<&LoadedPolicy> {
        self.policies.iter().find(|p| p.policy.name == name || p.policy.platform_tags.iter().any(|t| t == name))
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn embedded_policies_load_and_order_oldest_first() {
        let set = PolicySet::load(&[] as &[&Path]).unwrap();
        let names: Vec<&str> = set.family(Family::Emscripten).map(|p| p.policy.name.as_str()).collect();
        assert_eq!(names, ["pyemscripten_2024_0", "pyemscripten_2025_0", "pyemscripten_2026_0"]);
        for p in set.all() {
            assert!(p.policy.symbols.windows(2).all(|w| w[0] < w[1]), "{} symbols sorted and unique", p.policy.name);
        }
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
