//! `wasmwheel pack`: the smallest bundle that runs an app, proven by running it.
//!
//! 1. Trace: lock the wheels for the release (the `lock` logic), run the entry script in the
//!    real release under Node through that lock, and record what it touched.
//! 2. Trim: write each wheel again with only what the run needed ([`trim`]), the same tags,
//!    a fresh RECORD, the whole dist-info.
//! 3. Lock the trimmed wheels; write the npm package ([`bundle`]).
//! 4. Verify: run the bundle's own `run.mjs` in a fresh Pyodide and compare its stdout and exit
//!    status with the traced run. Only then does the bundle move into place.

pub mod bundle;
pub mod trim;
pub mod variant;

use std::path::{Path, PathBuf};
use std::time::Instant;

use globset::{Glob, GlobSet, GlobSetBuilder};
use serde::Serialize;

use crate::lock::install_set::{self, InstallError};
use crate::lock::{self, LockError, LockOptions, Refused};
use crate::platform::PlatformTag;
use crate::policy::{LoadedPolicy, PolicySet};
use crate::release::Release;
use crate::resolve::{PackageSources, Resolution};
use crate::runtime::Bundle;
use crate::runtime::chromium::ChromiumError;
use crate::runtime::node::NodeError;
use crate::runtime::protocol::EntryOutcome;
use crate::runtime::{Place, Runtime, RuntimeError};
use crate::wheel::WheelBytes;
use crate::wheel::edit::{EditError, WheelEdit};
use crate::wheel::{Wheel, WheelError};

/// How to pack.
#[derive(Clone, Debug)]
#[non_exhaustive]
pub struct PackOptions {
    /// Globs of members to keep whatever the trace saw (`--keep`).
    pub keep: Vec<String>,
    /// The npm package name; default from the entry script's name.
    pub name: Option<String>,
    /// The npm package version.
    pub version: String,
    /// Where the release's own packages are fetched from (as `lock --release-url`).
    pub release_url: Option<String>,
    /// Write the bundle even when the entry fails in the traced run (`--allow-failure`).
    pub allow_failure: bool,
    /// Where the page loads Pyodide from (`--pyodide-url`); default: the release's CDN.
    pub pyodide_url: Option<String>,
    /// Copy the release's runtime and the release packages the app needs into the bundle:
    /// one static folder serves everything (`--self-contained`).
    pub self_contained: bool,
    /// Where the bundle is verified before it is written (`--verify`): Node, and Chromium
    /// where it is installed.
    pub verify: Vec<Place>,
    /// A runtime variant instead of an app (`--runtime`): no entry script.
    pub runtime: Option<variant::VariantOptions>,
}

impl Default for PackOptions {
    fn default() -> Self {
        PackOptions {
            keep: Vec::new(),
            name: None,
            version: "0.1.0".into(),
            release_url: None,
            allow_failure: false,
            pyodide_url: None,
            self_contained: false,
            verify: vec![Place::Node, Place::Chromium],
            runtime: None,
        }
    }
}

/// Why a pack cannot start (exit 2).
#[derive(Debug, thiserror::Error)]
#[non_exhaustive]
pub enum PackError {
    /// A release without `packageBaseUrl`.
    #[error("Pyodide {0} cannot load a bundle from its own folder (no packageBaseUrl: 0.28 or later is needed)")]
    Release(String),
    /// An output folder that holds something else.
    #[error("{}: not empty and not a bundle wasmwheel made; choose another -o", .0.display())]
    OutDir(PathBuf),
    /// An npm name npm refuses.
    #[error("--name {0}: not a valid npm package name")]
    Name(String),
    /// A runtime variant without a name.
    #[error("--runtime needs --name: the variant's npm package name")]
    VariantName,
    /// An app without an entry script, or a runtime variant with one.
    #[error("{0}")]
    Entry(&'static str),
    /// A `--keep` glob that does not parse.
    #[error("--keep {pattern}")]
    Glob {
        /// The glob.
        pattern: String,
        /// Why.
        #[source]
        source: globset::Error,
    },
    /// A file or folder that cannot be read or written (the error names it).
    #[error(transparent)]
    Fs(#[from] std::io::Error),
    /// A file or folder that cannot be read or written.
    #[error("{}", path.display())]
    Io {
        /// The file.
        path: PathBuf,
        /// Why.
        #[source]
        source: std::io::Error,
    },
    /// The lock cannot be made.
    #[error(transparent)]
    Lock(#[from] LockError),
    /// A wheel that cannot be trimmed.
    #[error("{path}")]
    Edit {
        /// The wheel.
        path: String,
        /// Why.
        #[source]
        source: EditError,
    },
    /// A trimmed wheel that does not read back.
    #[error("{path}")]
    Wheel {
        /// The wheel.
        path: String,
        /// Why.
        #[source]
        source: WheelError,
    },
    /// Node could not run the bundle.
    #[error(transparent)]
    Node(#[from] NodeError),
    /// The runtime could not run the trace.
    #[error(transparent)]
    Runtime(#[from] RuntimeError),
    /// Chromium could not verify the page.
    #[error(transparent)]
    Chromium(#[from] ChromiumError),
    /// A release package the bundle copies cannot be had.
    #[error(transparent)]
    Fetch(#[from] crate::resolve::ResolveError),
    /// The traced run's packages cannot be staged.
    #[error(transparent)]
    Install(#[from] InstallError),
}

/// One wheel, before and after.
#[derive(Clone, Debug, Default, Serialize)]
#[non_exhaustive]
pub struct PackageSize {
    /// The distribution (lock key).
    pub name: String,
    /// The wheel's file name.
    pub wheel: String,
    /// Files before.
    pub files_before: usize,
    /// Files after.
    pub files_after: usize,
    /// `.py` files after.
    pub py_files: usize,
    /// Binaries (`.so`) after.
    pub so_files: usize,
    /// The wheel file's size before (compressed, as a CDN serves it).
    pub compressed_before: u64,
    /// The wheel file's size after.
    pub compressed_after: u64,
    /// The installed size before (unpacked).
    pub unpacked_before: u64,
    /// The installed size after.
    pub unpacked_after: u64,
}

/// What `pack` did.
#[derive(Clone, Debug, Serialize)]
#[non_exhaustive]
pub struct Pack {
    /// The entry script (a runtime variant: the script that imports its modules).
    pub entry: String,
    /// A runtime variant's name (`pack --runtime`).
    #[serde(skip_serializing_if = "Option::is_none")]
    pub variant: Option<String>,
    /// The release.
    pub pyodide: String,
    /// Its platform.
    pub platform: PlatformTag,
    /// Each wheel, before and after.
    pub packages: Vec<PackageSize>,
    /// The sums.
    pub total: PackageSize,
    /// The traced run, in milliseconds (start, install and the script).
    pub trace_ms: u64,
    /// The verifying runs, in milliseconds.
    pub verify_ms: u64,
    /// Where the bundle was verified to run as the traced run did (`node`, `chromium`).
    pub verified: Vec<String>,
    /// The entry's exit status in the traced run.
    pub exit: Option<i32>,
    /// What it printed.
    pub stdout: String,
    /// What the trace cannot vouch for, and what would keep more.
    pub warnings: Vec<String>,
    /// Wheels the lock refuses (nothing is packed).
    pub refused: Vec<Refused>,
    /// Why the pack failed (nothing is written).
    pub failure: Option<String>,
    /// The bundle's folder, when it was written.
    pub output: Option<String>,
    /// What the wheels and the app's requirements resolved to.
    pub resolution: crate::resolve::ResolutionReport,
}

impl Pack {
    fn new(entry: &Path, release: &Release) -> Pack {
        Pack {
            entry: entry.display().to_string(),
            variant: None,
            pyodide: release.version.clone(),
            platform: release.abi.canonical_tag(),
            packages: Vec::new(),
            total: PackageSize { name: "total".into(), ..PackageSize::default() },
            trace_ms: 0,
            verify_ms: 0,
            verified: Vec::new(),
            exit: None,
            stdout: String::new(),
            warnings: Vec::new(),
            refused: Vec::new(),
            failure: None,
            output: None,
            resolution: crate::resolve::ResolutionReport::default(),
        }
    }

    /// Whether the pack failed.
    pub fn failed(&self) -> bool {
        self.failure.is_some() || !self.refused.is_empty()
    }

    fn fail(mut self, why: String) -> Pack {
        self.failure = Some(why);
        self
    }
}

fn io(path: &Path) -> impl FnOnce(std::io::Error) -> PackError {
    let path = path.to_path_buf();
    move |source| PackError::Io { path, source }
}

/// Refuses an output folder that holds something other than an earlier bundle.
fn check_out_dir(out_dir: &Path) -> Result<(), PackError> {
    let Ok(mut entries) = std::fs::read_dir(out_dir) else { return Ok(()) };
    let empty = entries.next().is_none();
    let ours = std::fs::read(out_dir.join("package.json"))
        .ok()
        .and_then(|b| serde_json::from_slice::<serde_json::Value>(&b).ok())
        .is_some_and(|p| p.get("pyodide").is_some_and(|v| v.get("entry").is_some() || v.get("variant").is_some()));
    if empty || ours { Ok(()) } else { Err(PackError::OutDir(out_dir.to_path_buf())) }
}

fn globs(patterns: &[String]) -> Result<GlobSet, PackError> {
    let mut set = GlobSetBuilder::new();
    for pattern in patterns {
        let glob = Glob::new(pattern).map_err(|source| PackError::Glob { pattern: pattern.clone(), source })?;
        set.add(glob);
    }
    set.build().map_err(|source| PackError::Glob { pattern: patterns.join(" "), source })
}

/// A traced run: the report so far, what the entry did, the packages loaded.
struct Traced {
    report: Pack,
    run: EntryOutcome,
    packages: Vec<String>,
}

/// What every step of a pack works with.
struct Packer<'a> {
    resolution: &'a Resolution<'a>,
    sources: &'a PackageSources,
    allow_failure: bool,
    self_contained: bool,
    pyodide_url: Option<String>,
    policies: &'a PolicySet,
    release: &'a Release,
    runtime: &'a Runtime,
    lock_options: LockOptions,
    staging: &'a Path,
    entry: PathBuf,
}

impl Packer<'_> {
    /// Step 1: checks the lock would take the wheels, runs the entry with them (staged as
    /// every run is). `Err(pack)`: it failed.
    fn trace(&self, mut report: Pack) -> Result<Result<Traced, Pack>, PackError> {
        let first = lock::lock(self.resolution, self.policies, self.release, &self.lock_options)?;
        if !first.refused.is_empty() {
            report.refused = first.refused;
            return Ok(Err(report));
        }
        let set = install_set::prepare(self.release, self.resolution, self.sources)?;
        let mut job = crate::runtime::protocol::Job::install(&set, Vec::new(), None);
        job.entry = Some(self.entry.clone());
        let started = Instant::now();
        let work = crate::runtime::pool::Work { release: self.release, job: &job };
        let outcome = self.runtime.run(std::slice::from_ref(&work)).pop().transpose()?;
        report.trace_ms = started.elapsed().as_millis() as u64;
        let Some(outcome) = outcome else { return Ok(Err(report.fail("the traced run did not run".into()))) };
        let traced = match (&outcome.install.error, outcome.entry) {
            (Some(error), _) => {
                return Ok(Err(report.fail(format!("the traced run could not install the wheels: {error}"))));
            }
            (None, Some(traced)) if traced.exit.is_some() => traced,
            (None, traced) => {
                let why = traced.and_then(|t| t.error).unwrap_or_else(|| "it ended without a result".into());
                return Ok(Err(report.fail(format!("the traced run failed: {why}"))));
            }
        };
        report.exit = traced.exit;
        report.stdout = traced.stdout.clone();
        if traced.exit != Some(0) {
            let status = traced.exit.unwrap_or(-1);
            let tail = traceback_tail(&traced.stderr);
            if !self.allow_failure {
                let why = format!("the entry exited with status {status} in the traced run: {tail}");
                return Ok(Err(report.fail(why)));
            }
            report
                .warnings
                .push(format!("the entry exited with status {status} in the traced run (--allow-failure): {tail}"));
        }
        let packages = self.resolution.wheels().map(|(p, _)| p.name.clone()).collect();
        Ok(Ok(Traced { report, run: traced, packages }))
    }

    /// Step 3: the trimmed wheels' lock (their closure only), the page, the npm package, in a
    /// folder of the staging area, with the files beside the lock. `None`: the lock refuses
    /// them (in `report`).
    fn bundle(
        &self,
        trimmed: &Resolution,
        report: &mut Pack,
        meta: &Meta<'_>,
    ) -> Result<Option<(PathBuf, Vec<String>)>, PackError> {
        let bundle_dir = self.staging.join("bundle");
        let mut second = lock::lock(trimmed, self.policies, self.release, &self.lock_options)?;
        if !second.refused.is_empty() {
            report.refused = second.refused;
            report.failure = Some("the trimmed wheels are refused by the lock".into());
            return Ok(None);
        }
        second.keep_only_closure();
        lock::write(&mut second, trimmed, &bundle_dir)?;
        let mut assets: Vec<String> = Vec::new();
        if self.self_contained {
            assets.extend(self.copy_release(&second, &bundle_dir)?);
        }
        let entry_name = self.entry.file_name().and_then(|n| n.to_str()).unwrap_or("app.py").to_string();
        let entry_bytes = fs_err::read(&self.entry)?;
        assets.extend(trimmed.wheels().map(|(_, t)| t.wheel.filename.to_string()));
        let manifest = bundle::Manifest {
            name: meta.name,
            version: meta.version,
            pyodide: &self.release.version,
            url: &self.pyodide_url(),
            entry: &entry_name,
            assets: &assets,
            packages: meta.packages,
        };
        let files: [(&str, Vec<u8>); 5] = [
            (&entry_name, entry_bytes),
            ("package.json", bundle::package_json(&manifest)),
            ("run.mjs", bundle::run_mjs().into_bytes()),
            ("loader.mjs", bundle::loader_mjs().into_bytes()),
            ("index.html", bundle::index_html(meta.name).into_bytes()),
        ];
        for (file, bytes) in files {
            let path = bundle_dir.join(file);
            crate::fs::write_atomically(&path, &bytes).map_err(io(&path))?;
        }
        Ok(Some((bundle_dir, assets)))
    }

    /// Where the page loads Pyodide from.
    fn pyodide_url(&self) -> String {
        if self.self_contained {
            return "pyodide/".into();
        }
        let url = self.pyodide_url.clone().unwrap_or_else(|| crate::resolve::DEFAULT_RELEASE_URL.into());
        let url = url.replace("{version}", &self.release.version);
        if url.ends_with('/') { url } else { format!("{url}/") }
    }

    /// `--self-contained`: the release's runtime into `pyodide/`, and the release packages of
    /// the lock (fetched and checked against it) beside the wheels. Returns what it copied.
    fn copy_release(&self, lock: &lock::Lock, bundle_dir: &Path) -> Result<Vec<String>, PackError> {
        let runtime_dir = bundle_dir.join("pyodide");
        fs_err::create_dir_all(&runtime_dir)?;
        let mut copied = Vec::new();
        for file in runtime_files(&self.release.dir)? {
            let from = self.release.dir.join(&file);
            fs_err::copy(&from, runtime_dir.join(&file))?;
            copied.push(format!("pyodide/{file}"));
        }
        let ours: Vec<&str> = lock.added.iter().map(|a| a.key.as_str()).collect();
        for (key, entry) in lock.document().into_iter().flat_map(|d| &d.packages) {
            if ours.contains(&key.as_str()) {
                continue;
            }
            if !crate::fs::is_bare_file_name(&entry.file_name) {
                return Err(PackError::Lock(LockError::FileName(entry.file_name.clone())));
            }
            let cached = self.sources.release_file(&self.release.version, &entry.file_name, &entry.sha256)?;
            let target = bundle_dir.join(&entry.file_name);
            fs_err::copy(&cached, &target)?;
            copied.push(entry.file_name.clone());
        }
        Ok(copied)
    }

    /// Step 4: the bundle run in each host it is verified in (Node: `run.mjs`; Chromium: the
    /// page), compared with the trace: `Some(why)` when a run differs.
    fn verify(&self, bundle_dir: &Path, traced: &EntryOutcome, report: &mut Pack) -> Result<Option<String>, PackError> {
        let started = Instant::now();
        for (_, why) in self.runtime.missing() {
            report.warnings.push(format!("{why}: the page was verified under Node only"));
        }
        let pages = self.runtime.bundle_hosts().any(|(place, _)| place == Place::Chromium);
        let intercept = if pages { self.intercepted(bundle_dir)? } else { Vec::new() };
        for (place, host) in self.runtime.bundle_hosts() {
            let bundle = Bundle { dir: bundle_dir, release: self.release, intercept: &intercept };
            let ran = host.run_bundle(&bundle, self.runtime.timeout)?;
            if let Some(why) = difference(traced, ran.exit, &ran.stdout, &ran.stderr) {
                let host_name = if place == Place::Chromium { "in Chromium" } else { "under Node" };
                return Ok(Some(format!("{host_name}: {why}")));
            }
            report.verified.push(host.name().to_string());
        }
        report.verify_ms = started.elapsed().as_millis() as u64;
        Ok(None)
    }

    /// What the page fetches from outside the bundle, answered from local files in Chromium:
    /// the release's runtime at its URL, the release's packages at theirs.
    fn intercepted(&self, bundle_dir: &Path) -> Result<Vec<(String, PathBuf)>, PackError> {
        let mut out = Vec::new();
        if !self.self_contained {
            let url = self.pyodide_url();
            for file in runtime_files(&self.release.dir)? {
                out.push((format!("{url}{file}"), self.release.dir.join(&file)));
            }
        }
        let lock = crate::lockfile::PyodideLock::read(&bundle_dir.join("pyodide-lock.json"))
            .map_err(|e| PackError::Lock(LockError::ReleaseLock(e)))?;
        for entry in lock.packages.values().filter(|e| e.file_name.contains("://")) {
            let file = entry.file_name.rsplit('/').next().unwrap_or(&entry.file_name);
            let cached = self.sources.release_file(&self.release.version, file, &entry.sha256)?;
            out.push((entry.file_name.clone(), cached));
        }
        Ok(out)
    }
}

/// The files of a release the runtime needs (not its docs, maps, types or demo pages).
fn runtime_files(dir: &Path) -> Result<Vec<String>, PackError> {
    let mut files = Vec::new();
    for entry in fs_err::read_dir(dir)? {
        let name = entry?.file_name().to_string_lossy().into_owned();
        let skip = name.ends_with(".map")
            || name.ends_with(".d.ts")
            || name.ends_with(".md")
            || name.ends_with(".html")
            || name == "package.json"
            || name.starts_with('.');
        if !skip {
            files.push(name);
        }
    }
    files.sort();
    Ok(files)
}

/// The npm package's name, version and the packages the page loads.
struct Meta<'a> {
    name: &'a str,
    version: &'a str,
    packages: &'a [String],
}

/// What a pack starts from: the entry script (none for a runtime variant), what its wheels
/// resolved to, and where the release's packages come from.
#[derive(Clone, Copy, Debug)]
pub struct PackInput<'a> {
    /// The entry script; `None` with `--runtime`.
    pub entry: Option<&'a Path>,
    /// The wheels and what they require, resolved for the release.
    pub resolution: &'a Resolution<'a>,
    /// Where the release's packages are fetched from for the runs.
    pub sources: &'a PackageSources,
}

/// What a pack's inputs said, checked.
struct Checked {
    name: String,
    keep: GlobSet,
}

/// Refuses, before anything runs, what a pack cannot do: a release without `packageBaseUrl`,
/// an npm name npm refuses, a `--keep` glob that does not parse, a `--pyodide-url` with
/// credentials, an output folder that holds something else, an entry that is not there (or,
/// for a runtime variant, one given, or no name).
pub fn preflight(
    entry: Option<&Path>,
    release: &Release,
    options: &PackOptions,
    out_dir: &Path,
) -> Result<(), PackError> {
    check(entry, release, options, out_dir).map(|_| ())
}

fn check(entry: Option<&Path>, release: &Release, options: &PackOptions, out_dir: &Path) -> Result<Checked, PackError> {
    if !release.package_base_url {
        return Err(PackError::Release(release.version.clone()));
    }
    let name = match (entry, &options.runtime, &options.name) {
        (Some(_), Some(_), _) => return Err(PackError::Entry("--runtime packs no entry script: give only wheels")),
        (None, None, _) => return Err(PackError::Entry("pack needs the app's entry script (or --runtime)")),
        (None, Some(_), None) => return Err(PackError::VariantName),
        (_, _, Some(name)) => name.clone(),
        (Some(entry), None, None) => {
            bundle::name_from_entry(entry.file_stem().and_then(|s| s.to_str()).unwrap_or("app"))
        }
    };
    if !bundle::is_npm_name(&name) {
        return Err(PackError::Name(name));
    }
    // A variant keeps its wheels whole unless smoke code is traced.
    let whole = options.runtime.as_ref().is_some_and(|v| v.smoke.is_none());
    let keep = if whole { globs(&["**".to_string()])? } else { globs(&options.keep)? };
    if let Some(url) = &options.pyodide_url
        && crate::credentials::redact(url) != *url
    {
        return Err(PackError::Lock(LockError::Credentials { what: "--pyodide-url".into() }));
    }
    check_out_dir(out_dir)?;
    if let Some(entry) = entry {
        fs_err::metadata(entry)?;
    }
    Ok(Checked { name, keep })
}

/// Packs `input` for `release` into `out_dir`: written only when the bundle runs as the
/// traced run did.
pub fn pack(
    input: PackInput<'_>,
    policies: &PolicySet,
    release: &Release,
    runtime: &Runtime,
    options: &PackOptions,
    out_dir: &Path,
) -> Result<Pack, PackError> {
    let PackInput { entry, resolution, sources } = input;
    let Checked { name, keep } = check(entry, release, options, out_dir)?;
    let policy = policies
        .for_tag(&release.abi.canonical_tag())
        .ok_or_else(|| lock::LockError::NoPolicy(release.abi.canonical_tag()))?;
    let parent = match out_dir.parent() {
        Some(p) if !p.as_os_str().is_empty() => p.to_path_buf(),
        _ => PathBuf::from("."),
    };
    fs_err::create_dir_all(&parent)?;
    let staging = tempfile::Builder::new().prefix(".wasmwheel-pack-").tempdir_in(&parent).map_err(io(&parent))?;
    let entry = match (entry, &options.runtime) {
        (Some(entry), _) => std::path::absolute(entry).map_err(io(entry))?,
        (None, variant) => {
            let smoke = variant.as_ref().and_then(|v| v.smoke.as_deref());
            let script = variant::smoke_script(&variant::modules(resolution, release), smoke);
            let path = staging.path().join(variant::SMOKE_SCRIPT);
            fs_err::write(&path, script)?;
            path
        }
    };
    // A self-contained bundle names the release's packages by their bare file names: they
    // are copied beside the lock.
    let release_url = if options.self_contained { Some(String::new()) } else { options.release_url.clone() };
    let lock_options = LockOptions { release_url, ..LockOptions::default() };
    let packer = Packer {
        resolution,
        sources,
        allow_failure: options.allow_failure,
        self_contained: options.self_contained,
        pyodide_url: options.pyodide_url.clone(),
        policies,
        release,
        runtime,
        lock_options,
        staging: staging.path(),
        entry,
    };
    packer.run(Meta { name: &name, version: &options.version, packages: &[] }, &keep, policy, options, out_dir)
}

impl Packer<'_> {
    /// Trace, trim, bundle, verify, and move the bundle into `out_dir` (a variant's first made
    /// a variant).
    fn run(
        &self,
        meta: Meta<'_>,
        keep: &GlobSet,
        policy: &LoadedPolicy,
        options: &PackOptions,
        out_dir: &Path,
    ) -> Result<Pack, PackError> {
        let mut started = Pack::new(&self.entry, self.release);
        started.resolution = self.resolution.report();
        if options.runtime.is_some() {
            // Not the staging path of the script, which is gone once the pack ends.
            started.entry = variant::SMOKE_SCRIPT.to_string();
            started.variant = Some(variant::default_variant_name(meta.name).to_string());
        }
        let Traced { mut report, run: traced, packages } = match self.trace(started)? {
            Ok(traced) => traced,
            Err(failed) => return Ok(failed),
        };
        // Step 2: trim (a variant without smoke code keeps everything).
        let touched = touched(&traced);
        let mut sizes = Vec::new();
        let mut warnings = Vec::new();
        let trimmed = self.resolution.map_wheels(|_, input| {
            let (small, size, said) = trim_one(input, &touched, keep, policy)?;
            sizes.push(size);
            warnings.extend(said);
            Ok::<_, PackError>(small)
        })?;
        for size in sizes {
            report.total = add(&report.total, &size);
            report.packages.push(size);
        }
        report.warnings.extend(warnings);
        // A variant loads every package it holds; an app, its wheels (their closure follows).
        let packages: Vec<String> = match &options.runtime {
            Some(_) => self.resolution.packages.iter().map(|p| p.name.clone()).collect(),
            None => packages,
        };
        let meta = Meta { packages: &packages, ..meta };
        let Some((bundle_dir, assets)) = self.bundle(&trimmed, &mut report, &meta)? else {
            return Ok(report);
        };
        if let Some(difference) = self.verify(&bundle_dir, &traced, &mut report)? {
            return Ok(report.fail(format!("the bundle does not run as the traced run did: {difference}")));
        }
        if options.runtime.is_some() {
            let imports = variant::modules(self.resolution, self.release);
            let url = self.pyodide_url();
            let manifest = variant::VariantManifest {
                name: meta.name,
                version: meta.version,
                pyodide: &self.release.version,
                url: &url,
                assets: &assets,
                packages: &packages,
                imports: &imports,
            };
            variant::finish(&bundle_dir, &manifest).map_err(io(&bundle_dir))?;
        }
        // Step 5: into place.
        if out_dir.exists() {
            fs_err::remove_dir_all(out_dir)?;
        }
        fs_err::rename(&bundle_dir, out_dir)?;
        report.output = Some(out_dir.display().to_string());
        Ok(report)
    }
}

/// What the traced run touched in site-packages, relative to it.
fn touched(traced: &EntryOutcome) -> trim::Touched {
    let prefix = format!("{}/", traced.site_packages.trim_end_matches('/'));
    let relative =
        |paths: &[String]| paths.iter().filter_map(|p| p.strip_prefix(&prefix).map(str::to_string)).collect();
    let mut python: std::collections::BTreeSet<String> = relative(&traced.files);
    python.extend(relative(&traced.loaded));
    trim::Touched { python, opened: relative(&traced.opened) }
}

/// One wheel written again with what the run needed; its sizes; what to say of it.
fn trim_one(
    input: &WheelBytes,
    touched: &trim::Touched,
    keep: &GlobSet,
    policy: &LoadedPolicy,
) -> Result<(WheelBytes, PackageSize, Vec<String>), PackError> {
    let wheel = &input.wheel;
    let kept = trim::kept(wheel, touched, keep, &policy.policy().loader);
    let edit_error = |source| PackError::Edit { path: wheel.path.clone(), source };
    let mut edit = WheelEdit::new(wheel).map_err(edit_error)?;
    edit.retain(|name| kept.members.contains(name));
    let bytes = edit.to_bytes().map_err(|e| PackError::Io { path: wheel.path.clone().into(), source: e.into() })?;
    let name = wheel.filename.to_string();
    let small =
        Wheel::from_bytes(&name, &name, &bytes).map_err(|source| PackError::Wheel { path: name.clone(), source })?;
    let size = sizes(wheel, input.bytes.len(), &small, bytes.len());
    let mut warnings = Vec::new();
    let dist = wheel.filename.name.as_str();
    if !kept.native_reads.is_empty() {
        warnings.push(format!(
            "{dist}: {} read by native code, outside Python's audit hooks, and kept; other runs may read others ({})",
            crate::audit::name_list(&kept.native_reads, 4),
            trim::keep_suggestions(&kept.native_reads)
                .iter()
                .map(|g| format!("--keep '{g}'"))
                .collect::<Vec<_>>()
                .join(" ")
        ));
    }
    if !kept.dropped_data.is_empty() {
        warnings.push(format!(
            "{dist}: dropped {} data file(s) this run never read ({}); if the app reads them on other paths: {}",
            kept.dropped_data.len(),
            crate::audit::name_list(&kept.dropped_data, 3),
            trim::keep_suggestions(&kept.dropped_data)
                .iter()
                .map(|g| format!("--keep '{g}'"))
                .collect::<Vec<_>>()
                .join(" ")
        ));
    }
    Ok((WheelBytes { wheel: small, bytes }, size, warnings))
}

/// The sizes of a wheel before and after.
fn sizes(before: &Wheel, before_bytes: usize, after: &Wheel, after_bytes: usize) -> PackageSize {
    fn files(w: &Wheel) -> impl Iterator<Item = &crate::archive::Member> {
        w.archive.members.iter().filter(|m| m.kind == crate::archive::EntryKind::File)
    }
    PackageSize {
        name: before.filename.name.normalized().to_string(),
        wheel: before.filename.to_string(),
        files_before: files(before).count(),
        files_after: files(after).count(),
        py_files: files(after).filter(|m| m.name.ends_with(".py")).count(),
        so_files: files(after).filter(|m| m.name.ends_with(".so")).count(),
        compressed_before: before_bytes as u64,
        compressed_after: after_bytes as u64,
        unpacked_before: files(before).map(|m| m.size).sum(),
        unpacked_after: files(after).map(|m| m.size).sum(),
    }
}

fn add(total: &PackageSize, one: &PackageSize) -> PackageSize {
    PackageSize {
        name: total.name.clone(),
        wheel: String::new(),
        files_before: total.files_before + one.files_before,
        files_after: total.files_after + one.files_after,
        py_files: total.py_files + one.py_files,
        so_files: total.so_files + one.so_files,
        compressed_before: total.compressed_before + one.compressed_before,
        compressed_after: total.compressed_after + one.compressed_after,
        unpacked_before: total.unpacked_before + one.unpacked_before,
        unpacked_after: total.unpacked_after + one.unpacked_after,
    }
}

/// The last lines of a failed run's stderr: its traceback's end, on one line.
fn traceback_tail(stderr: &str) -> String {
    let lines: Vec<&str> = stderr.lines().map(str::trim_end).filter(|l| !l.trim().is_empty()).collect();
    let tail = &lines[lines.len().saturating_sub(4)..];
    if tail.is_empty() { "no traceback".into() } else { tail.join(" | ") }
}

/// How the verifying run differs from the traced one, if it does.
fn difference(traced: &EntryOutcome, exit: Option<i32>, stdout: &str, stderr: &str) -> Option<String> {
    if exit != traced.exit {
        let last = stderr.lines().rev().find(|l| !l.trim().is_empty()).unwrap_or_default().trim();
        return Some(format!("exit status {} instead of {} ({last})", exit.unwrap_or(-1), traced.exit.unwrap_or(-1)));
    }
    if stdout == traced.stdout {
        return None;
    }
    let line = stdout.lines().zip(traced.stdout.lines()).position(|(a, b)| a != b);
    let at = line.unwrap_or_else(|| stdout.lines().count().min(traced.stdout.lines().count()));
    Some(format!("stdout differs from line {}", at + 1))
}
