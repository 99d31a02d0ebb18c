//! The lock model: `pyodide-lock.json` made from a resolution ([`crate::resolve`]), for
//! `wasmwheel lock` (checked before it ships), for `pack`'s bundles, and for every run of
//! `test` and `audit --confirm` ([`run_lock`]).
//!
//! It starts from the release's own lock and gives every wheel the resolution takes beside
//! the release's packages (those given, those an index gave) an entry in the release's lock
//! format, its `depends` the packages resolved for its requirements. `lock` audits each such
//! wheel against the release's platform and refuses what cannot load or whose requirements
//! nothing meets; then nothing is written. The output is deterministic: sorted keys, stable
//! formatting, the wheels copied byte for byte.

pub mod install_set;

use std::collections::{BTreeMap, BTreeSet};
use std::path::{Path, PathBuf};

use serde::Serialize;
use serde_json::{Map, Value};

use crate::audit::link::Layout;
use crate::audit::{self, AuditOptions};
use crate::hash::sha256_hex;
use crate::lockfile::{InstallDir, LockFileError, LockPackage, PackageType, PyodideLock};
use crate::platform::PlatformTag;
use crate::policy::{LoadedPolicy, PolicySet};
use crate::release::Release;
use crate::resolve::{DEFAULT_RELEASE_URL, Origin, Resolution, Resolved};
use crate::rules::{Finding, Rule, Severity};
use crate::wheel::{Wheel, WheelBytes, WheelError};

/// How to write the lock.
#[derive(Clone, Debug, Default)]
#[non_exhaustive]
pub struct LockOptions {
    /// Where the wheels will be served from (`file_name` is then `<url>/<wheel>`); `None`:
    /// next to the lock (relative file names).
    pub base_url: Option<String>,
    /// Where the release's own packages are served from, `{version}` standing for the
    /// release's; `None`: [`DEFAULT_RELEASE_URL`]; empty: keep the release's relative names.
    pub release_url: Option<String>,
    /// Name the wheels an index gave by their index URL instead of copying them (`--link`).
    pub link: bool,
}

/// Why a lock cannot be made (exit 2).
#[derive(Debug, thiserror::Error)]
#[non_exhaustive]
pub enum LockError {
    /// The release's `pyodide-lock.json` cannot be read.
    #[error("the release's lock")]
    ReleaseLock(#[source] LockFileError),
    /// A wheel that cannot be read.
    #[error("{path}")]
    Wheel {
        /// The wheel, as given.
        path: String,
        /// Why.
        #[source]
        source: WheelError,
    },
    /// The lock or a wheel cannot be written.
    #[error("{}", path.display())]
    Write {
        /// The file or folder.
        path: PathBuf,
        /// Why.
        #[source]
        source: std::io::Error,
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
    /// A URL the lock would name that takes credentials: a browser cannot send them.
    #[error(
        "{what} takes credentials, which a lock must not carry and a browser cannot send: copy the wheels into the output folder (drop --link) or serve them where no credentials are needed"
    )]
    Credentials {
        /// The option, or the URL (without its credentials).
        what: String,
    },
    /// A file name that is not a bare file name: the lock writes only inside its folder.
    #[error("`{0}` is not a bare file name; nothing is written outside the output folder")]
    FileName(String),
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
#[non_exhaustive]
pub struct Added {
    /// The wheel, as given (for an index's wheel, its URL).
    pub wheel: String,
    /// Where it comes from: given, or an index.
    pub source: Origin,
    /// The lock's key: the normalized name.
    pub key: String,
    /// The entry itself, in the release's lock format.
    pub entry: LockPackage,
    /// The version of the release's entry of the same name it replaces.
    pub replaces: Option<String>,
    /// Shared-library packages of the release it depends on for NEEDED libraries it leaves
    /// to the platform: their files are not in the release tarball, so the symbols their
    /// libraries provide are not checked.
    pub unchecked_libraries: Vec<String>,
}

/// A wheel the lock refuses.
#[derive(Clone, Debug, Serialize)]
#[non_exhaustive]
pub struct Refused {
    /// The wheel, as given.
    pub wheel: String,
    /// Why: the audit's errors for the platform, or an unmet requirement.
    pub reasons: Vec<Finding>,
}

/// What `lock` decided.
#[derive(Clone, Debug, Serialize)]
#[non_exhaustive]
pub struct Lock {
    /// The release's version.
    pub pyodide: String,
    /// Its platform.
    pub platform: PlatformTag,
    /// The entries added, in the order resolved.
    pub added: Vec<Added>,
    /// The wheels refused.
    pub refused: Vec<Refused>,
    /// Where the lock was written (`null` when anything was refused: nothing is written).
    pub output: Option<String>,
    /// What the wheels and requirements resolved to.
    pub resolution: crate::resolve::ResolutionReport,
    /// The whole lock, when it is to be written.
    #[serde(skip)]
    document: Option<PyodideLock>,
}

impl Lock {
    /// The whole lock, when it is to be written (nothing refused).
    pub fn document(&self) -> Option<&PyodideLock> {
        self.document.as_ref()
    }

    /// Keeps only the entries the added wheels need: themselves and their `depends`,
    /// transitively (what a bundle that loads only those needs).
    pub fn keep_only_closure(&mut self) {
        let Some(document) = self.document.as_mut() else { return };
        let needed = document.closure(self.added.iter().map(|a| a.key.as_str()));
        document.retain(&needed);
    }
}

/// The fields the release's entries carry beyond the ones every lock has (`tool` from 314,
/// `unvendored_tests`): a new entry gets them too, empty.
#[derive(Clone, Copy, Debug, Default)]
struct Shape {
    tool: bool,
    unvendored_tests: bool,
}

impl Shape {
    fn of(lock: &PyodideLock) -> Shape {
        Shape { tool: lock.entries_have("tool"), unvendored_tests: lock.entries_have("unvendored_tests") }
    }
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
        wheel.binaries.iter().filter_map(|b| Some((crate::wheel::installed_path(&b.path)?, b.wasm()?))),
        wheel.filename.libs_dir(),
    );
    let p = policy.policy();
    let mut libraries = BTreeMap::new();
    let mut modules = BTreeSet::new();
    for binary in &wheel.binaries {
        let Some(root) = crate::wheel::installed_path(&binary.path) else { continue };
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
fn audit_for(input: &WheelBytes, policies: &PolicySet, policy: &LoadedPolicy) -> (Vec<Finding>, Vec<String>) {
    let (libraries, modules) = platform_libraries(&input.wheel, policy);
    let mut widened = policy.policy().clone();
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
fn wheel_file_name(input: &WheelBytes, options: &LockOptions) -> String {
    match &options.base_url {
        Some(base) => format!("{}/{}", base.trim_end_matches('/'), input.file_name()),
        None => input.file_name(),
    }
}

/// The entry of one wheel, in the release's format, under `file_name`.
fn entry(input: &WheelBytes, depends: &[String], file_name: String, shape: Shape) -> Result<LockPackage, LockError> {
    let metadata = input.wheel.metadata.parsed();
    let (Some(name), Some(version)) = (metadata.and_then(|m| m.name()), metadata.and_then(|m| m.version())) else {
        return Err(LockError::Metadata(input.wheel.path.clone()));
    };
    Ok(new_entry(name, version, file_name, input, depends, shape))
}

fn new_entry(
    name: &str,
    version: &str,
    file_name: String,
    input: &WheelBytes,
    depends: &[String],
    shape: Shape,
) -> LockPackage {
    let mut extra = Map::new();
    if shape.tool {
        extra.insert("tool".into(), Value::Object(Map::new()));
    }
    LockPackage {
        name: name.to_string(),
        version: version.to_string(),
        file_name,
        install_dir: InstallDir::Site,
        sha256: sha256_hex(&input.bytes),
        package_type: PackageType::Package,
        imports: input.wheel.top_level_modules(),
        depends: depends.to_vec(),
        unvendored_tests: shape.unvendored_tests.then_some(false),
        shared_library: None,
        extra,
    }
}

/// What the lock needs to know of the release.
struct Context<'a> {
    policies: &'a PolicySet,
    policy: &'a LoadedPolicy,
    options: &'a LockOptions,
    shape: Shape,
}

/// A wheel's entry, or why it is refused.
fn judge(
    cx: &Context<'_>,
    package: &Resolved,
    input: &WheelBytes,
    packages: &BTreeMap<String, LockPackage>,
) -> Result<Added, Refused> {
    let (mut reasons, shared) = audit_for(input, cx.policies, cx.policy);
    reasons.extend(crate::requirements::invalid_requirements(&input.wheel));
    let shown = shown(package, input);
    let refuse = |reasons| Refused { wheel: shown.clone(), reasons };
    if !reasons.is_empty() {
        return Err(refuse(reasons));
    }
    let mut depends: Vec<String> = package.depends.iter().chain(&shared).cloned().collect();
    depends.sort();
    depends.dedup();
    let replaces = packages.get(&package.name).map(|p| p.version.clone());
    let file_name = match package.source {
        Origin::Index if cx.options.link => package.url.clone(),
        _ => wheel_file_name(input, cx.options),
    };
    let entry = entry(input, &depends, file_name, cx.shape).map_err(|e| refuse(vec![metadata_reason(&e)]))?;
    Ok(Added {
        wheel: shown,
        source: package.source,
        key: package.name.clone(),
        entry,
        replaces,
        unchecked_libraries: shared,
    })
}

/// How reports name a wheel: as given, or by its index URL.
fn shown(package: &Resolved, input: &WheelBytes) -> String {
    match package.source {
        Origin::Index => package.url.clone(),
        _ => input.wheel.path.clone(),
    }
}

/// A wheel without the METADATA an entry needs, as a refusal reason.
fn metadata_reason(error: &LockError) -> Finding {
    Finding::new(Rule::MetadataMissingField, None, error.to_string())
}

/// The resolution's unmet requirements and conflicts, as refusals of the wheel (or flag) that
/// asked.
fn unresolved(resolution: &Resolution) -> Vec<Refused> {
    let asker = |by: &str| {
        resolution
            .wheels()
            .find(|(p, _)| format!("{} {}", p.name, p.version) == by)
            .map_or_else(|| by.to_string(), |(p, input)| shown(p, input))
    };
    let mut out: Vec<Refused> = Vec::new();
    let problems = resolution.unmet.iter().map(|u| (u.requested_by.as_str(), crate::resolve::describe_unmet(u)));
    let conflicts =
        resolution.conflicts.iter().map(|c| (c.requested_by.as_str(), crate::resolve::describe_conflict(c)));
    for (by, message) in problems.chain(conflicts) {
        let finding = Finding::new(Rule::LockRequirementUnmet, None, message);
        let wheel = asker(by);
        match out.iter_mut().find(|r| r.wheel == wheel) {
            Some(refused) => refused.reasons.push(finding),
            None => out.push(Refused { wheel, reasons: vec![finding] }),
        }
    }
    out
}

/// Makes the lock of `resolution` on `release`: refuses (with reasons) what cannot load there
/// and what the resolution could not meet; writes nothing.
pub fn lock(
    resolution: &Resolution,
    policies: &PolicySet,
    release: &Release,
    options: &LockOptions,
) -> Result<Lock, LockError> {
    let tag = release.abi.canonical_tag();
    let policy = policies.for_tag(&tag).ok_or_else(|| LockError::NoPolicy(tag.clone()))?;
    check_base_url(resolution, release, options)?;
    check_credentials(resolution, options)?;
    let mut document = release.lock().clone();
    let shape = Shape::of(&document);
    let mut packages = std::mem::take(&mut document.packages);
    let cx = Context { policies, policy, options, shape };
    let mut added = Vec::new();
    let mut refused = unresolved(resolution);
    for (package, input) in resolution.wheels() {
        match judge(&cx, package, input, &packages) {
            Ok(entry) => added.push(entry),
            Err(refusal) => refused.push(refusal),
        }
    }
    for a in &added {
        packages.insert(a.key.clone(), a.entry.clone());
    }
    rebase_release_entries(&mut packages, &added, release, options);
    document.packages = packages;
    let document = refused.is_empty().then_some(document);
    let resolution = resolution.report();
    Ok(Lock { pyodide: release.version.clone(), platform: tag, added, refused, output: None, resolution, document })
}

/// The lock a run installs from: the release's lock with an entry, under its bare file name,
/// for every given and index wheel of `resolution` (nothing is audited or refused: a run
/// shows what really happens).
pub fn run_lock(release: &Release, resolution: &Resolution) -> Result<PyodideLock, LockError> {
    let mut document = release.lock().clone();
    let shape = Shape::of(&document);
    for (package, input) in resolution.wheels() {
        let name = input.wheel.metadata.parsed().and_then(|m| m.name()).unwrap_or(input.wheel.filename.name.as_str());
        let version = input.wheel.metadata.parsed().and_then(|m| m.version()).unwrap_or(&package.version);
        let mut entry = new_entry(name, version, input.file_name(), input, &package.depends, shape);
        entry.depends.sort();
        document.packages.insert(package.name.clone(), entry);
    }
    Ok(document)
}

/// Two wheels of one distribution are an error: a lock (and an install) holds one.
pub fn distinct(inputs: &[WheelBytes]) -> Result<(), LockError> {
    let mut keys = Vec::new();
    for input in inputs {
        let key = input.wheel.filename.name.normalized().to_string();
        if keys.contains(&key) {
            return Err(LockError::Duplicate(key));
        }
        keys.push(key);
    }
    Ok(())
}

/// A lock names URLs a browser fetches: none may need credentials (`--base-url` or
/// `--release-url` with a user, `--link` to an index that takes credentials).
fn check_credentials(resolution: &Resolution, options: &LockOptions) -> Result<(), LockError> {
    for (flag, value) in [("--base-url", &options.base_url), ("--release-url", &options.release_url)] {
        if let Some(text) = value
            && crate::credentials::redact(text) != *text
        {
            return Err(LockError::Credentials { what: flag.into() });
        }
    }
    if options.link
        && let Some(package) = resolution.packages.iter().find(|p| p.source == Origin::Index && p.private)
    {
        return Err(LockError::Credentials { what: format!("{} (--link)", package.url) });
    }
    Ok(())
}

/// On a release without `packageBaseUrl` (0.27), a wheel that vendors libraries needs a bare
/// file name: its loader looks for `<file_name up to the first dash>.libs`.
fn check_base_url(resolution: &Resolution, release: &Release, options: &LockOptions) -> Result<(), LockError> {
    if release.package_base_url || options.base_url.is_none() {
        return Ok(());
    }
    let vendoring = resolution.wheels().map(|(_, input)| input).find(|i| {
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
    packages: &mut BTreeMap<String, LockPackage>,
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
        let file = &mut entry.file_name;
        if !file.contains("://") && !file.starts_with('/') {
            *file = format!("{base}{file}");
        }
    }
}

/// Writes the lock and copies its wheels (those given, and those an index gave unless
/// `--link`) into `out_dir`: all staged first, and moved into `out_dir` only once every file is
/// written, each under a bare file name. Nothing is written for a refused lock. Returns the
/// lock's path.
pub fn write(lock: &mut Lock, resolution: &Resolution, out_dir: &Path) -> Result<Option<PathBuf>, LockError> {
    let Some(document) = &lock.document else { return Ok(None) };
    let io = |path: &Path| {
        let path = path.to_path_buf();
        move |source| LockError::Write { path, source }
    };
    let mut staged = crate::fs::Staging::new(out_dir).map_err(io(out_dir))?;
    for (package, input) in resolution.wheels() {
        let linked = document.package(&package.name).is_some_and(|e| e.file_name == package.url);
        if package.source == Origin::Index && linked {
            continue;
        }
        let name = input.file_name();
        if !crate::fs::is_bare_file_name(&name) {
            return Err(LockError::FileName(name));
        }
        staged.add(&name, &input.bytes).map_err(io(&out_dir.join(&name)))?;
    }
    let bytes = document.to_bytes();
    staged.add("pyodide-lock.json", &bytes).map_err(io(&out_dir.join("pyodide-lock.json")))?;
    staged.commit().map_err(io(out_dir))?;
    let path = out_dir.join("pyodide-lock.json");
    lock.output = Some(path.display().to_string());
    Ok(Some(path))
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

    fn entries(json: &str) -> BTreeMap<String, LockPackage> {
        let lock = format!(
            r#"{{"info": {{"arch": "wasm32", "platform": "emscripten_4_0_9", "python": "3.13.2"}}, "packages": {json}}}"#
        );
        PyodideLock::parse(lock.as_bytes()).unwrap().packages
    }

    const ENTRY: &str = r#""name": "x", "version": "1", "install_dir": "site", "sha256": "00", "package_type": "package", "imports": [], "depends": []"#;

    #[test]
    fn release_entries_move_under_the_release_url() {
        let mut packages = entries(&format!(
            r#"{{"numpy": {{"file_name": "numpy-2.whl", {ENTRY}}}, "abs": {{"file_name": "https://x/y.whl", {ENTRY}}}}}"#
        ));
        let lock = r#"{"info": {"abi_version": "2025_0", "arch": "wasm32", "platform": "emscripten_4_0_9", "python": "3.13.2"}, "packages": {}}"#;
        let lock = PyodideLock::parse(lock.as_bytes()).unwrap();
        let release = Release::new("/nowhere".into(), "0.29.3".into(), lock, true).unwrap();
        rebase_release_entries(&mut packages, &[], &release, &LockOptions::default());
        assert_eq!(packages["numpy"].file_name, "https://cdn.jsdelivr.net/pyodide/v0.29.3/full/numpy-2.whl");
        assert_eq!(packages["abs"].file_name, "https://x/y.whl");
        let keep = LockOptions { release_url: Some(String::new()), ..LockOptions::default() };
        let mut again = entries(&format!(r#"{{"numpy": {{"file_name": "numpy-2.whl", {ENTRY}}}}}"#));
        rebase_release_entries(&mut again, &[], &release, &keep);
        assert_eq!(again["numpy"].file_name, "numpy-2.whl");
    }
}
