//! `wasmwheel lock`: a `pyodide-lock.json` for your own wheels, checked before it ships.
//!
//! It starts from the release's own lock and adds one entry per wheel, in the release's lock
//! format. Every wheel is audited against the release's platform first, its `Requires-Dist`
//! is evaluated for the release's environment, and the dependency closure must be complete;
//! otherwise nothing is written. The output is deterministic: sorted keys, stable formatting,
//! the wheels copied byte for byte.

use std::collections::{BTreeMap, BTreeSet};
use std::path::{Path, PathBuf};
use std::str::FromStr;

use pep508_rs::MarkerEnvironment;
use serde::Serialize;
use serde_json::{Map, Value};

use crate::audit::resolve::{self, Layout};
use crate::audit::{self, AuditOptions};
use crate::error::Error;
use crate::hash::sha256_hex;
use crate::platform::PlatformTag;
use crate::policy::{LoadedPolicy, PolicySet};
use crate::pyodide::Release;
use crate::requirements::{Requirement, environment, requirements};
use crate::rules::{Finding, Rule, Severity};
use crate::wheel::Wheel;

/// Where the release's own packages are fetched from by default: Pyodide's CDN (its default
/// `cdnUrl`), as the npm release does not carry them.
pub const DEFAULT_RELEASE_URL: &str = "https://cdn.jsdelivr.net/pyodide/v{version}/full/";

/// How to write the lock.
#[derive(Clone, Debug, Default)]
pub struct LockOptions {
    /// Where the wheels will be served from (`file_name` is then `<url>/<wheel>`); `None`:
    /// next to the lock (relative file names).
    pub base_url: Option<String>,
    /// Where the release's own packages are served from, `{version}` standing for the
    /// release's; `None`: [`DEFAULT_RELEASE_URL`]; empty: keep the release's relative names.
    pub release_url: Option<String>,
}

/// Why a lock cannot be made (exit 2).
#[derive(Debug, thiserror::Error)]
pub enum LockError {
    /// The release's `pyodide-lock.json` cannot be read.
    #[error("{}: pyodide-lock.json", path.display())]
    ReleaseLock {
        /// The file.
        path: PathBuf,
        /// Why.
        #[source]
        source: Box<dyn std::error::Error + Send + Sync>,
    },
    /// No policy describes the release's platform.
    #[error("no policy describes {0}, the release's platform")]
    NoPolicy(PlatformTag),
    /// Two wheels of one distribution.
    #[error("two wheels of {0} are given; a lock holds one")]
    Duplicate(String),
    /// A wheel without a readable name or version in METADATA.
    #[error("{0}: METADATA has no valid Name and Version")]
    Metadata(String),
    /// 0.27 finds vendored libraries only for a bare file name.
    #[error(
        "Pyodide {version} finds a wheel's vendored libraries (<dist>.libs/) only when its file_name is a bare file name served from the release folder (indexURL); {wheel} vendors libraries, so --base-url cannot be used with this release"
    )]
    BaseUrlUnsupported {
        /// The release.
        version: String,
        /// The wheel that vendors libraries.
        wheel: String,
    },
}

/// A wheel's entry, as the lock has it.
#[derive(Clone, Debug, Serialize)]
pub struct Added {
    /// The wheel, as given.
    pub wheel: String,
    /// The lock's key: the normalized name.
    pub key: String,
    /// The entry itself, in the release's lock format.
    pub entry: Value,
    /// The version of the release's entry of the same name it replaces.
    pub replaces: Option<String>,
    /// Shared-library packages of the release it depends on for NEEDED libraries it leaves
    /// to the platform: their files are not in the release tarball, so the symbols their
    /// libraries provide are not checked.
    pub unchecked_libraries: Vec<String>,
}

/// A wheel the lock refuses.
#[derive(Clone, Debug, Serialize)]
pub struct Refused {
    /// The wheel, as given.
    pub wheel: String,
    /// Why: the audit's errors for the platform, or an unmet requirement.
    pub reasons: Vec<Finding>,
}

/// What `lock` decided.
#[derive(Clone, Debug, Serialize)]
pub struct Lock {
    /// The release's version.
    pub pyodide: String,
    /// Its platform.
    pub platform: PlatformTag,
    /// The entries added, in input order.
    pub added: Vec<Added>,
    /// The wheels refused.
    pub refused: Vec<Refused>,
    /// Where the lock was written (`null` when anything was refused: nothing is written).
    pub output: Option<String>,
    /// The whole lock, when it is to be written.
    #[serde(skip)]
    document: Option<Value>,
}

impl Lock {
    /// Keeps only the entries the added wheels need: themselves and their `depends`,
    /// transitively (what a bundle that loads only those needs).
    pub fn keep_only_closure(&mut self) {
        let Some(Value::Object(packages)) = self.document.as_mut().and_then(|d| d.get_mut("packages")) else { return };
        let mut needed: BTreeSet<String> = BTreeSet::new();
        let mut queue: Vec<String> = self.added.iter().map(|a| a.key.clone()).collect();
        while let Some(key) = queue.pop() {
            if !needed.insert(key.clone()) {
                continue;
            }
            let depends = packages.get(&key).and_then(|p| p.get("depends")).and_then(Value::as_array);
            queue.extend(depends.into_iter().flatten().filter_map(Value::as_str).map(str::to_string));
        }
        packages.retain(|key, _| needed.contains(key));
    }
}

/// A wheel and its file's bytes (copied next to the lock).
pub struct Input {
    /// The wheel.
    pub wheel: Wheel,
    /// Its file.
    pub bytes: Vec<u8>,
}

impl Input {
    /// Reads the wheel at `path`, once.
    pub fn open(path: &Path) -> Result<Input, Error> {
        let bytes = std::fs::read(path).map_err(|source| Error::Io { path: path.to_path_buf(), source })?;
        let shown = path.display().to_string();
        let name = path.file_name().and_then(|n| n.to_str()).unwrap_or_default();
        let wheel =
            Wheel::from_bytes(&shown, name, &bytes).map_err(|source| Error::Wheel { path: shown.clone(), source })?;
        Ok(Input { wheel, bytes })
    }

    fn file_name(&self) -> String {
        self.wheel.filename.to_string()
    }
}

/// The release's `pyodide-lock.json`.
fn release_lock(release: &Release) -> Result<Map<String, Value>, LockError> {
    let path = release.dir.join("pyodide-lock.json");
    let bad = |source: Box<dyn std::error::Error + Send + Sync>| LockError::ReleaseLock { path: path.clone(), source };
    let bytes = std::fs::read(&path).map_err(|e| bad(e.into()))?;
    let lock: Value = serde_json::from_slice(&bytes).map_err(|e| bad(e.into()))?;
    match lock {
        Value::Object(map) if map.get("packages").is_some_and(Value::is_object) => Ok(map),
        _ => Err(bad("no `packages` object".into())),
    }
}

/// The keys the release's entries carry beyond the ones every lock has (`tool` from 314,
/// `unvendored_tests`), with the value a new entry gets.
fn optional_fields(packages: &Map<String, Value>) -> Vec<(&'static str, Value)> {
    let has = |key: &str| packages.values().any(|p| p.get(key).is_some());
    let mut out = Vec::new();
    if has("tool") {
        out.push(("tool", Value::Object(Map::new())));
    }
    if has("unvendored_tests") {
        out.push(("unvendored_tests", Value::Bool(false)));
    }
    out
}

/// A shared-library package of the release for a NEEDED library: `libopenblas.so` (or
/// `libopenblas.so.0`) is the package `libopenblas`.
fn shared_library_package<'a>(library: &str, packages: &'a [String]) -> Option<&'a String> {
    let stem = library.split(".so").next()?;
    packages.iter().find(|p| p.as_str() == stem)
}

/// The NEEDED libraries the wheel leaves to the platform that a shared-library package of
/// the release provides, with that package, and the side modules that NEED them.
fn platform_libraries(wheel: &Wheel, policy: &LoadedPolicy) -> (BTreeMap<String, String>, BTreeSet<String>) {
    let layout = Layout::new(
        wheel.binaries.iter().filter_map(|b| Some((resolve::installed_path(&b.path)?, b.wasm()?))),
        wheel.filename.libs_dir(),
    );
    let p = &policy.policy;
    let mut libraries = BTreeMap::new();
    let mut modules = BTreeSet::new();
    for binary in &wheel.binaries {
        let Some(root) = resolve::installed_path(&binary.path) else { continue };
        for (_, library) in layout.missing_libraries(&p.loader, &root, &p.provided_libraries) {
            if let Some(package) = shared_library_package(&library, &p.shared_library_packages) {
                libraries.insert(library, package.clone());
                modules.insert(binary.path.clone());
            }
        }
    }
    (libraries, modules)
}

/// The audit's errors for the release's platform, with the NEEDED libraries that
/// shared-library packages provide counted as found; and those packages.
fn audit_for(input: &Input, policies: &PolicySet, policy: &LoadedPolicy) -> (Vec<Finding>, Vec<String>) {
    let (libraries, modules) = platform_libraries(&input.wheel, policy);
    let mut widened = policy.policy.clone();
    widened.provided_libraries.extend(libraries.keys().cloned());
    let policies = policies.with(widened);
    let tag = policy.canonical_tag();
    let options = AuditOptions { platform: Some(tag.clone()), prerelease: true, ..AuditOptions::default() };
    let verdict = audit::audit(&input.wheel, &policies, &options);
    let reasons = verdict.platforms.iter().find(|v| v.platform == *tag).map(|v| v.reasons.clone()).unwrap_or_default();
    // The symbols of those libraries are not known: what their users import is not checked.
    let unchecked =
        |f: &Finding| f.rule == Rule::UnresolvedSymbol && f.path.as_ref().is_some_and(|p| modules.contains(p));
    let errors = reasons.into_iter().filter(|f| f.severity == Severity::Error && !unchecked(f)).collect();
    let mut packages: Vec<String> = libraries.into_values().collect();
    packages.sort();
    packages.dedup();
    (errors, packages)
}

/// The file name the lock gives a wheel.
fn wheel_file_name(input: &Input, options: &LockOptions) -> String {
    match &options.base_url {
        Some(base) => format!("{}/{}", base.trim_end_matches('/'), input.file_name()),
        None => input.file_name(),
    }
}

/// The entry of one wheel, in the release's format.
fn entry(
    input: &Input,
    depends: &[String],
    options: &LockOptions,
    optional: &[(&str, Value)],
) -> Result<Value, LockError> {
    let metadata = input.wheel.metadata.parsed();
    let (Some(name), Some(version)) = (metadata.and_then(|m| m.name()), metadata.and_then(|m| m.version())) else {
        return Err(LockError::Metadata(input.wheel.path.clone()));
    };
    let mut entry = Map::new();
    entry.insert("name".into(), name.into());
    entry.insert("version".into(), version.into());
    entry.insert("file_name".into(), wheel_file_name(input, options).into());
    entry.insert("install_dir".into(), "site".into());
    entry.insert("sha256".into(), sha256_hex(&input.bytes).into());
    entry.insert("package_type".into(), "package".into());
    entry.insert("imports".into(), input.wheel.top_level_modules().into());
    entry.insert("depends".into(), depends.into());
    for (key, value) in optional {
        entry.insert((*key).into(), value.clone());
    }
    Ok(Value::Object(entry))
}

/// Why a requirement is not met.
enum Unmet<'a> {
    /// Nothing of that name.
    Missing,
    /// Only another version.
    Version(&'a str),
    /// A wheel given, but refused.
    Refused,
}

/// An unmet requirement, as a refusal reason.
fn unmet(wanted: &Requirement, release: &Release, why: Unmet<'_>) -> Finding {
    let message = match why {
        Unmet::Version(version) => format!("requires `{wanted}`; the lock has {} {version}", wanted.name),
        Unmet::Refused => format!("requires `{wanted}`, whose wheel is refused"),
        Unmet::Missing => {
            format!(
                "requires `{wanted}`, which is neither in Pyodide {}'s lock nor among the wheels given",
                release.version
            )
        }
    };
    Finding::new(Rule::LockRequirementUnmet, None, message)
}

/// Whether the lock has an entry for `requirement` of a version it admits; the entry's version
/// if it does not.
fn check_version<'a>(packages: &'a Map<String, Value>, requirement: &Requirement) -> Result<(), Option<&'a str>> {
    let Some(entry) = packages.get(requirement.name.as_ref()) else { return Err(None) };
    let version = entry.get("version").and_then(Value::as_str).unwrap_or_default();
    let admitted =
        requirement.specifiers.is_none() || pep440_rs::Version::from_str(version).is_ok_and(|v| requirement.admits(&v));
    if admitted { Ok(()) } else { Err(Some(version)) }
}

/// What the lock needs to know of the release.
struct Context<'a> {
    policies: &'a PolicySet,
    policy: &'a LoadedPolicy,
    env: MarkerEnvironment,
    options: &'a LockOptions,
    optional: Vec<(&'static str, Value)>,
}

/// A wheel's entry, or why it is refused; with the requirements it needs from the lock.
fn judge(
    cx: &Context<'_>,
    input: &Input,
    key: &str,
    packages: &Map<String, Value>,
) -> Result<(Added, Vec<Requirement>), Refused> {
    let (mut reasons, shared) = audit_for(input, cx.policies, cx.policy);
    let (requires, bad) = requirements(&input.wheel, &cx.env);
    reasons.extend(bad);
    let refuse = |reasons| Refused { wheel: input.wheel.path.clone(), reasons };
    if !reasons.is_empty() {
        return Err(refuse(reasons));
    }
    let mut depends: Vec<String> = requires.iter().map(|r| r.name.to_string()).chain(shared.iter().cloned()).collect();
    depends.sort();
    depends.dedup();
    let replaces = packages.get(key).and_then(|p| p.get("version")).and_then(Value::as_str).map(str::to_string);
    let entry = entry(input, &depends, cx.options, &cx.optional).map_err(|e| refuse(vec![metadata_reason(&e)]))?;
    let added =
        Added { wheel: input.wheel.path.clone(), key: key.to_string(), entry, replaces, unchecked_libraries: shared };
    Ok((added, requires))
}

/// A wheel without the METADATA an entry needs, as a refusal reason.
fn metadata_reason(error: &LockError) -> Finding {
    Finding::new(Rule::MetadataMissingField, None, error.to_string())
}

/// The requirements of `requires` the lock's `packages` do not meet; `refused` are the keys
/// of wheels given but refused.
fn unmet_requirements(
    requires: &[Requirement],
    packages: &Map<String, Value>,
    refused: &BTreeSet<String>,
    release: &Release,
) -> Vec<Finding> {
    requires
        .iter()
        .filter_map(|r| {
            let why = match check_version(packages, r) {
                Ok(()) => return None,
                Err(_) if refused.contains(r.name.as_ref()) => Unmet::Refused,
                Err(Some(version)) => Unmet::Version(version),
                Err(None) => Unmet::Missing,
            };
            Some(unmet(r, release, why))
        })
        .collect()
}

/// Makes the lock for `inputs` on `release`: refuses (with reasons) what cannot load there or
/// whose requirements the lock cannot meet; writes nothing.
pub fn lock(inputs: &[Input], policies: &PolicySet, release: &Release, options: &LockOptions) -> Result<Lock, Error> {
    let tag = release.abi.canonical_tag();
    let policy = policies.for_tag(&tag).ok_or_else(|| LockError::NoPolicy(tag.clone()))?;
    check_base_url(inputs, release, options)?;
    let mut document = release_lock(release)?;
    let env = environment(release, policy).ok_or_else(|| LockError::NoPolicy(tag.clone()))?;
    let mut packages = match document.remove("packages") {
        Some(Value::Object(p)) => p,
        _ => Map::new(),
    };
    let cx = Context { policies, policy, env, options, optional: optional_fields(&packages) };
    let keys = input_keys(inputs)?;
    let mut candidates = Vec::new();
    let mut refused = Vec::new();
    for (input, key) in inputs.iter().zip(&keys) {
        match judge(&cx, input, key, &packages) {
            Ok(candidate) => candidates.push(candidate),
            Err(refusal) => refused.push(refusal),
        }
    }
    for (a, _) in &candidates {
        packages.insert(a.key.clone(), a.entry.clone());
    }
    let accepted: BTreeSet<&String> = candidates.iter().map(|(a, _)| &a.key).collect();
    let refused_keys: BTreeSet<String> = keys.iter().filter(|k| !accepted.contains(k)).cloned().collect();
    // The closure: every requirement is an entry of the lock, of a version that fits.
    let mut added = Vec::new();
    for (candidate, requires) in candidates {
        let reasons = unmet_requirements(&requires, &packages, &refused_keys, release);
        if reasons.is_empty() {
            added.push(candidate);
        } else {
            refused.push(Refused { wheel: candidate.wheel, reasons });
        }
    }
    rebase_release_entries(&mut packages, &added, release, options);
    document.insert("packages".into(), Value::Object(packages));
    let document = refused.is_empty().then_some(Value::Object(document));
    Ok(Lock { pyodide: release.version.clone(), platform: tag, added, refused, output: None, document })
}

/// Each wheel's lock key (its normalized name); two wheels of one name are an error.
fn input_keys(inputs: &[Input]) -> Result<Vec<String>, LockError> {
    let mut keys = Vec::new();
    for input in inputs {
        let key = input.wheel.filename.name.normalized().to_string();
        if keys.contains(&key) {
            return Err(LockError::Duplicate(key));
        }
        keys.push(key);
    }
    Ok(keys)
}

/// On a release without `packageBaseUrl` (0.27), a wheel that vendors libraries needs a bare
/// file name: its loader looks for `<file_name up to the first dash>.libs`.
fn check_base_url(inputs: &[Input], release: &Release, options: &LockOptions) -> Result<(), LockError> {
    if release.package_base_url || options.base_url.is_none() {
        return Ok(());
    }
    let vendoring = inputs.iter().find(|i| {
        let libs = format!("{}/", i.wheel.filename.libs_dir());
        i.wheel.archive.members.iter().any(|m| m.name.starts_with(&libs))
    });
    match vendoring {
        Some(input) => {
            Err(LockError::BaseUrlUnsupported { version: release.version.clone(), wheel: input.wheel.path.clone() })
        }
        None => Ok(()),
    }
}

/// Gives the release's own entries (not replaced by a wheel) an absolute file name under the
/// release URL, so that they load from there whatever `packageBaseUrl` is.
fn rebase_release_entries(
    packages: &mut Map<String, Value>,
    added: &[Added],
    release: &Release,
    options: &LockOptions,
) {
    let url = options.release_url.clone().unwrap_or_else(|| DEFAULT_RELEASE_URL.to_string());
    if url.is_empty() {
        return;
    }
    let base = url.replace("{version}", &release.version);
    let base = if base.ends_with('/') { base } else { format!("{base}/") };
    let ours: BTreeSet<&str> = added.iter().map(|a| a.key.as_str()).collect();
    for (key, entry) in packages.iter_mut() {
        if ours.contains(key.as_str()) {
            continue;
        }
        if let Some(Value::String(file)) = entry.get_mut("file_name")
            && !file.contains("://")
            && !file.starts_with('/')
        {
            *file = format!("{base}{file}");
        }
    }
}

/// Writes the lock and copies the wheels into `out_dir`. Nothing is written for a refused
/// lock. Returns the lock's path.
pub fn write(lock: &mut Lock, inputs: &[Input], out_dir: &Path) -> Result<Option<PathBuf>, Error> {
    let Some(document) = &lock.document else { return Ok(None) };
    let io = |path: &Path| {
        let path = path.to_path_buf();
        move |source| Error::Io { path, source }
    };
    std::fs::create_dir_all(out_dir).map_err(io(out_dir))?;
    for input in inputs {
        let target = out_dir.join(input.file_name());
        let same = std::fs::read(&target).is_ok_and(|existing| existing == input.bytes);
        if !same {
            crate::output::write_atomically(&target, &input.bytes).map_err(io(&target))?;
        }
    }
    let path = out_dir.join("pyodide-lock.json");
    let mut bytes = serde_json::to_vec_pretty(&sorted(document.clone()))
        .map_err(|e| Error::Io { path: path.clone(), source: e.into() })?;
    bytes.push(b'\n');
    crate::output::write_atomically(&path, &bytes).map_err(io(&path))?;
    lock.output = Some(path.display().to_string());
    Ok(Some(path))
}

/// `value` with the keys of every object sorted.
fn sorted(value: Value) -> Value {
    match value {
        Value::Object(map) => {
            let mut entries: Vec<(String, Value)> = map.into_iter().map(|(k, v)| (k, sorted(v))).collect();
            entries.sort_by(|a, b| a.0.cmp(&b.0));
            Value::Object(entries.into_iter().collect())
        }
        Value::Array(items) => Value::Array(items.into_iter().map(sorted).collect()),
        other => other,
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn shared_libraries_map_by_stem() {
        let packages = vec!["libgeos".to_string(), "libopenblas".to_string()];
        assert_eq!(shared_library_package("libopenblas.so", &packages).map(String::as_str), Some("libopenblas"));
        assert_eq!(shared_library_package("libgeos.so.3", &packages).map(String::as_str), Some("libgeos"));
        assert_eq!(shared_library_package("libssl.so", &packages), None);
    }

    #[test]
    fn release_entries_move_under_the_release_url() {
        let mut packages: Map<String, Value> =
            serde_json::from_str(r#"{"numpy": {"file_name": "numpy-2.whl"}, "abs": {"file_name": "https://x/y.whl"}}"#)
                .unwrap();
        let release_dir = std::path::PathBuf::from("/nowhere");
        let release = Release {
            dir: release_dir,
            version: "0.29.3".into(),
            abi: "2025_0".parse().unwrap(),
            python: "3.13.2".parse().unwrap(),
            package_base_url: true,
        };
        rebase_release_entries(&mut packages, &[], &release, &LockOptions::default());
        assert_eq!(packages["numpy"]["file_name"], "https://cdn.jsdelivr.net/pyodide/v0.29.3/full/numpy-2.whl");
        assert_eq!(packages["abs"]["file_name"], "https://x/y.whl");
        let keep = LockOptions { release_url: Some(String::new()), ..LockOptions::default() };
        let mut again: Map<String, Value> = serde_json::from_str(r#"{"numpy": {"file_name": "numpy-2.whl"}}"#).unwrap();
        rebase_release_entries(&mut again, &[], &release, &keep);
        assert_eq!(again["numpy"]["file_name"], "numpy-2.whl");
    }
}
