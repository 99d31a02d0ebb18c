//! What the wheels require, resolved as the release's micropip resolves it at run time, so that
//! what `test`, `audit --confirm`, `lock` and `pack` install is what an app gets.
//!
//! Roots: the wheels given (their `Requires-Dist`), `--with REQ` and `-r requirements.txt`.
//! Each requirement, depth first, as micropip does (no backtracking):
//! 1. a package already chosen that fits it: nothing more (one that does not: a conflict);
//! 2. a package of the release's lock whose version fits (prereleases count): chosen, with the
//!    lock's `depends`, which `loadPackage` loads with it;
//! 3. the indexes: the newest version that fits, of a wheel whose tags the release's micropip
//!    installs (best tag first) and whose Requires-Python admits the release's Python;
//!    prereleases only with `--pre` (or when a specifier names one), yanked files last;
//!    its own requirements follow.
//!
//! A requirement nothing meets is named with who asked for it and what each source had. Where
//! micropip would do otherwise (it reads no Requires-Python; a release package that does not
//! fit a later requirement is installed beside the index's), the resolution says so.

pub mod groups;
pub mod index;
pub mod ranking;
pub mod requirements_txt;
mod sources;

use std::collections::{BTreeSet, HashMap, HashSet};
use std::path::{Path, PathBuf};

use pep440_rs::Version;
use pep508_rs::{ExtraName, MarkerEnvironment, PackageName, Requirement, VersionOrUrl};
use serde::Serialize;

use crate::credentials::{Credentials, SecretUrl};
use crate::http::{Client, HttpSettings};
use crate::lockfile::PyodideLock;
use crate::policy::{LoadedPolicy, PolicySet};
use crate::release::Release;
use crate::wheel::WheelBytes;
use index::{Fetcher, Index, IndexError};
use ranking::SupportedTags;
pub use requirements_txt::{RequirementsError, RequirementsFile};
pub use sources::{DEFAULT_RELEASE_URL, PackageSources, ReleaseUrl};

/// What the user asked resolution to do (flags).
#[derive(Clone, Debug, Default)]
#[non_exhaustive]
pub struct ResolveOptions {
    /// `--with REQ`: requirements beside the wheels'.
    pub with: Vec<String>,
    /// `-r FILE`: requirements files.
    pub requirement_files: Vec<PathBuf>,
    /// `--index-url`: the index instead of PyPI.
    pub index_url: Option<String>,
    /// `--extra-index-url`: indexes after it.
    pub extra_index_urls: Vec<String>,
    /// `--find-links`: folders of wheels, after the indexes.
    pub find_links: Vec<PathBuf>,
    /// `--no-index`: no index (folders of wheels still count).
    pub no_index: bool,
    /// `--pre`: prereleases count.
    pub pre: bool,
    /// `--release-url`: where the release's packages are (a URL or a folder).
    pub release_url: Option<String>,
    /// `--offline`: only the cache.
    pub offline: bool,
    /// `--http-timeout`: seconds a request may go without data (else
    /// `$WASMWHEEL_HTTP_TIMEOUT`, else 30).
    pub http_timeout: Option<u64>,
    /// Where the progress of long downloads goes.
    pub progress: crate::progress::Progress,
    /// `--from-index`: projects taken from the indexes even where the release has them.
    pub from_index: Vec<String>,
}

/// A requirement to resolve, and who asked for it.
#[derive(Clone, Debug)]
pub struct Root {
    /// The requirement.
    pub requirement: Requirement,
    /// Who asked: `--with`, `requirements.txt:3`.
    pub by: String,
}

/// What a resolution starts from beside the wheels given, and where it looks, parsed once.
#[derive(Clone, Debug)]
pub struct Plan {
    /// `--with` and `-r` requirements, in order.
    pub roots: Vec<Root>,
    /// The sources beyond the wheels given.
    pub sources: PackageSources,
}

/// Why a resolution could not be made (exit 2): never a verdict on a wheel.
#[derive(Debug, thiserror::Error)]
#[non_exhaustive]
pub enum ResolveError {
    /// A `--with` that is not a requirement.
    #[error("--with {text}")]
    With {
        /// What was given.
        text: String,
        /// Why.
        #[source]
        source: Box<pep508_rs::Pep508Error>,
    },
    /// A requirements file that cannot be used.
    #[error(transparent)]
    Requirements(#[from] RequirementsError),
    /// An index that cannot be read.
    #[error("{index} ({project})")]
    Index {
        /// The index.
        index: String,
        /// The project asked for.
        project: String,
        /// Why.
        #[source]
        source: IndexError,
    },
    /// A file that could not be downloaded (the error names the URL).
    #[error(transparent)]
    Download(crate::http::HttpError),
    /// A file that could not be read.
    #[error("{}", path.display())]
    Read {
        /// The file.
        path: PathBuf,
        /// Why.
        #[source]
        source: std::io::Error,
    },
    /// A file that is not the one its source vouches for.
    #[error("{url}: its sha256 is {actual}, not the {expected} its source gives; not used")]
    Hash {
        /// Where from.
        url: String,
        /// The hash its source gives.
        expected: String,
        /// Its own.
        actual: String,
    },
    /// A downloaded wheel that does not read.
    #[error("{url}")]
    Wheel {
        /// Where from.
        url: String,
        /// Why.
        #[source]
        source: crate::wheel::WheelError,
    },
    /// Not cached, and `--offline`.
    #[error("{0}: not in the cache, and --offline forbids fetching it")]
    Offline(String),
    /// The cache cannot be used.
    #[error(transparent)]
    Cache(#[from] crate::cache::CacheError),
    /// A wheel whose file name and METADATA disagree: the index's error, not used.
    #[error("{url}: {why}; not used (the index serves an inconsistent file)")]
    Inconsistent {
        /// Where from.
        url: String,
        /// How they disagree.
        why: String,
    },
    /// An index or release URL that cannot be used.
    #[error("{what}")]
    Url {
        /// The flag or file line that gave it.
        what: String,
        /// Why.
        #[source]
        source: crate::credentials::UrlError,
    },
    /// `$WASMWHEEL_HTTP_TIMEOUT` that is not a time.
    #[error(transparent)]
    Settings(#[from] crate::http::SettingsError),
    /// A `--from-index` that is not a project name.
    #[error("--from-index {0}: not a project name")]
    FromIndex(String),
    /// A dependency group that cannot be used.
    #[error(transparent)]
    Group(#[from] groups::GroupError),
    /// An extra that is not a name.
    #[error("--extras {0}: not an extra name")]
    Extra(String),
    /// `--group` with no pyproject.toml above the working folder.
    #[error("--group {0}: no pyproject.toml in the working folder or above it")]
    NoPyproject(String),
}

impl Plan {
    /// Adds the roots a `test` asks beside `--with` and `-r`: `name[extra]` for each wheel
    /// name and extra of `extras` (who asked: `--extras`), the requirements of each PEP 735
    /// dependency group of `groups` in the nearest `pyproject.toml` above `cwd`, and `also`
    /// (who asked: `by`).
    pub fn add_roots(
        &mut self,
        extras: &[(String, String)],
        groups: &[String],
        cwd: &Path,
        also: &[(&str, &str)],
    ) -> Result<(), ResolveError> {
        for (name, extra) in extras {
            let text = format!("{name}[{extra}]");
            let requirement = text.parse::<Requirement>().map_err(|_| ResolveError::Extra(extra.clone()))?;
            self.roots.push(Root { requirement, by: "--extras".into() });
        }
        if !groups.is_empty() {
            let pyproject = cwd.ancestors().map(|d| d.join("pyproject.toml")).find(|p| p.is_file());
            let pyproject = pyproject.ok_or_else(|| ResolveError::NoPyproject(groups[0].clone()))?;
            for name in groups {
                let found = groups::group(&pyproject, name)?;
                self.roots.extend(found.into_iter().map(|(requirement, by)| Root { requirement, by }));
            }
        }
        for (text, by) in also {
            let requirement = text
                .parse::<Requirement>()
                .map_err(|source| ResolveError::With { text: text.to_string(), source: Box::new(source) })?;
            self.roots.push(Root { requirement, by: by.to_string() });
        }
        Ok(())
    }

    /// Parses the options: `--with` requirements, requirements files (whose index options
    /// join the flags'), the sources.
    pub fn new(options: &ResolveOptions) -> Result<Plan, ResolveError> {
        let mut roots = Vec::new();
        for text in &options.with {
            let requirement = text
                .parse::<Requirement>()
                .map_err(|source| ResolveError::With { text: text.clone(), source: Box::new(source) })?;
            roots.push(Root { requirement, by: "--with".into() });
        }
        let url = |what: &str, text: &str| {
            SecretUrl::parse(text).map_err(|source| ResolveError::Url { what: what.to_string(), source })
        };
        let mut index_url = options.index_url.as_deref().map(|u| url("--index-url", u)).transpose()?;
        let mut extra: Vec<SecretUrl> =
            options.extra_index_urls.iter().map(|u| url("--extra-index-url", u)).collect::<Result<_, _>>()?;
        let mut find_links = options.find_links.clone();
        let (mut no_index, mut pre) = (options.no_index, options.pre);
        for path in &options.requirement_files {
            let file = RequirementsFile::read(path)?;
            roots.extend(file.requirements.into_iter().map(|(requirement, by)| Root { requirement, by }));
            if index_url.is_none() {
                index_url = file.index_url.map(|(u, at)| url(&at, &u)).transpose()?;
            }
            for (u, at) in file.extra_index_urls {
                extra.push(url(&at, &u)?);
            }
            find_links.extend(file.find_links);
            no_index |= file.no_index;
            pre |= file.pre;
        }
        let mut indexes = Vec::new();
        if !no_index {
            indexes.push(Index::Simple(match index_url {
                Some(u) => u,
                None => url("PyPI", index::PYPI)?,
            }));
            indexes.extend(extra.into_iter().map(Index::Simple));
        }
        indexes.extend(find_links.into_iter().map(Index::FindLinks));
        let release_url = match options.release_url.as_deref().filter(|u| !u.is_empty()) {
            Some(text) => {
                ReleaseUrl::parse(text).map_err(|source| ResolveError::Url { what: "--release-url".into(), source })?
            }
            None => ReleaseUrl::default(),
        };
        let mut credentials = Credentials::from_netrc();
        for index in &indexes {
            if let Index::Simple(u) = index {
                credentials.add(u);
            }
        }
        if let ReleaseUrl::Url(u) = &release_url {
            credentials.add(u);
        }
        let settings = HttpSettings::from_env(options.http_timeout)?;
        let fetcher = Fetcher {
            client: Client::new(settings, credentials).with_progress(options.progress.clone()),
            cache: crate::cache::Cache::from_env()?,
            offline: options.offline,
        };
        let mut from_index = BTreeSet::new();
        for name in options.from_index.iter().flat_map(|n| n.split(',')).map(str::trim).filter(|n| !n.is_empty()) {
            let project = name.parse::<PackageName>().map_err(|_| ResolveError::FromIndex(name.to_string()))?;
            from_index.insert(project);
        }
        Ok(Plan { roots, sources: PackageSources { indexes, release_url, fetcher, pre, from_index } })
    }
}

/// The release a resolution is for: its lock, its marker environment, its Python, the tags
/// its micropip installs.
#[derive(Clone, Debug)]
pub struct Target {
    /// The release's version.
    pub version: String,
    /// Its lock.
    pub lock: PyodideLock,
    /// Its marker environment.
    pub env: MarkerEnvironment,
    /// Its Python.
    pub python: Version,
    /// The tags its micropip installs.
    pub tags: SupportedTags,
    /// That micropip, for messages (`micropip 0.11.1`).
    pub installer: String,
}

impl Target {
    /// The target of `release` (described by `policy`), with its lock; `None` when its
    /// versions make no marker environment.
    pub fn new(release: &Release, policy: &LoadedPolicy) -> Option<Target> {
        let env = crate::requirements::environment(release, policy)?;
        let micropip = policy.policy().installers.iter().find(|i| i.name == "micropip");
        let platforms: Vec<String> = match micropip.and_then(|m| m.platform_tags.as_ref()) {
            Some(tags) => tags.iter().map(ToString::to_string).collect(),
            None => policy.policy().platform_tags.iter().map(ToString::to_string).collect(),
        };
        Some(Target {
            version: release.version.clone(),
            lock: release.lock().clone(),
            env,
            python: release.python.version().clone(),
            tags: SupportedTags::new(release.python.feature(), &platforms),
            installer: micropip.map_or_else(|| "micropip".to_string(), |m| m.describe()),
        })
    }

    /// The target of `release`, described by its platform's policy among `policies`; `None`
    /// when no policy describes it.
    pub fn of(release: &Release, policies: &PolicySet) -> Option<Target> {
        Target::new(release, policies.for_tag(&release.abi.canonical_tag())?)
    }
}

/// Where a resolved package comes from.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize)]
#[serde(rename_all = "lowercase")]
pub enum Origin {
    /// A wheel given.
    Given,
    /// The release's own packages.
    Release,
    /// An index.
    Index,
}

/// One package of a resolution.
#[derive(Clone, Debug, Serialize)]
#[non_exhaustive]
pub struct Resolved {
    /// Its lock key (the normalized name).
    pub name: String,
    /// Its version.
    pub version: String,
    /// Where it comes from.
    pub source: Origin,
    /// Its file's name.
    pub file: String,
    /// Where it was found: the wheel as given, the release's file URL, or the index file URL.
    pub url: String,
    /// The index it came from, for an index package.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub index: Option<String>,
    /// Who asked for it: a wheel (`pydantic-core 2.50.5`), `--with`, `requirements.txt:3`, or
    /// the release's lock for what a release package depends on.
    pub requested_by: Vec<String>,
    /// The keys of the packages it depends on, as resolved.
    pub depends: Vec<String>,
    /// Its file's sha256.
    #[serde(skip)]
    pub sha256: String,
    /// For a given or index wheel: which of [`Resolution::wheels`] it is.
    #[serde(skip)]
    pub wheel: Option<usize>,
    /// Whether fetching its file takes credentials (a browser could not fetch it by URL).
    #[serde(skip)]
    pub private: bool,
}

/// A requirement nothing meets.
#[derive(Clone, Debug, Serialize)]
#[non_exhaustive]
pub struct Unmet {
    /// The requirement.
    pub requirement: String,
    /// Who asked for it.
    pub requested_by: String,
    /// What each source had.
    pub sources: Vec<String>,
}

/// A requirement the package already chosen does not fit.
#[derive(Clone, Debug, Serialize)]
#[non_exhaustive]
pub struct Conflict {
    /// The requirement.
    pub requirement: String,
    /// Who asked for it.
    pub requested_by: String,
    /// The package chosen (`typing-extensions 4.15.0 (release)`).
    pub chosen: String,
    /// Who asked for that.
    pub chosen_by: Vec<String>,
}

/// The wheel of a resolved package: one given, or one an index gave.
#[derive(Debug)]
pub enum ResolvedWheel<'a> {
    /// A wheel given.
    Given(&'a WheelBytes),
    /// A wheel downloaded from an index (or made from one: `pack`'s trimmed wheels).
    Fetched(Box<WheelBytes>),
}

impl ResolvedWheel<'_> {
    /// The wheel and its bytes.
    pub fn get(&self) -> &WheelBytes {
        match self {
            ResolvedWheel::Given(w) => w,
            ResolvedWheel::Fetched(w) => w,
        }
    }
}

/// What a set of wheels and requirements resolves to on one release.
#[derive(Debug, Default, Serialize)]
#[non_exhaustive]
pub struct Resolution<'a> {
    /// Every package to install, in the order chosen.
    pub packages: Vec<Resolved>,
    /// Requirements nothing meets.
    pub unmet: Vec<Unmet>,
    /// Requirements that conflict with what was chosen.
    pub conflicts: Vec<Conflict>,
    /// Where micropip would do otherwise.
    pub notes: Vec<String>,
    /// The wheels of the given and index packages.
    #[serde(skip)]
    pub wheels: Vec<ResolvedWheel<'a>>,
}

impl<'a> Resolution<'a> {
    /// The wheels given and nothing else: for a release no policy describes (no marker
    /// environment, no tags to resolve with).
    pub fn given_only(given: &[&'a WheelBytes]) -> Resolution<'a> {
        let mut out = Resolution::default();
        for input in given {
            let filename = &input.wheel.filename;
            out.packages.push(Resolved {
                name: filename.name.normalized().to_string(),
                version: filename.version.as_str().to_string(),
                source: Origin::Given,
                file: filename.to_string(),
                url: input.wheel.path.clone(),
                index: None,
                requested_by: vec!["given".into()],
                depends: Vec::new(),
                sha256: crate::hash::sha256_hex(&input.bytes),
                wheel: Some(out.wheels.len()),
                private: false,
            });
            out.wheels.push(ResolvedWheel::Given(input));
        }
        out
    }

    /// The same resolution with each given and index wheel replaced by what `f` makes of it
    /// (all then owned): `pack`'s trimmed wheels.
    pub fn map_wheels<E>(
        &self,
        mut f: impl FnMut(&Resolved, &WheelBytes) -> Result<WheelBytes, E>,
    ) -> Result<Resolution<'static>, E> {
        let mut out = Resolution {
            packages: Vec::new(),
            unmet: self.unmet.clone(),
            conflicts: self.conflicts.clone(),
            notes: self.notes.clone(),
            wheels: Vec::new(),
        };
        for package in &self.packages {
            let mut package = package.clone();
            if let Some(input) = self.wheel_of(&package) {
                let made = f(&package, input)?;
                package.sha256 = crate::hash::sha256_hex(&made.bytes);
                package.file = made.wheel.filename.to_string();
                package.wheel = Some(out.wheels.len());
                out.wheels.push(ResolvedWheel::Fetched(Box::new(made)));
            }
            out.packages.push(package);
        }
        Ok(out)
    }

    /// Whether everything was met without conflict.
    pub fn is_complete(&self) -> bool {
        self.unmet.is_empty() && self.conflicts.is_empty()
    }

    /// The package of key `name`.
    pub fn package(&self, name: &str) -> Option<&Resolved> {
        self.packages.iter().find(|p| p.name == name)
    }

    /// The wheel of a package, if it is a given or index one.
    pub fn wheel_of(&self, package: &Resolved) -> Option<&WheelBytes> {
        package.wheel.and_then(|i| self.wheels.get(i)).map(ResolvedWheel::get)
    }

    /// Each package with its wheel, for the given and index ones.
    pub fn wheels(&self) -> impl Iterator<Item = (&Resolved, &WheelBytes)> {
        self.packages.iter().filter_map(|p| Some((p, self.wheel_of(p)?)))
    }

    /// The requirements nothing meets and the conflicts, each on one line.
    pub fn problems(&self) -> Vec<String> {
        let unmet = self.unmet.iter().map(describe_unmet);
        unmet.chain(self.conflicts.iter().map(describe_conflict)).collect()
    }
}

/// What the wheels resolved to on a release.
#[derive(Clone, Debug, Default, Serialize)]
#[non_exhaustive]
pub struct ResolutionReport {
    /// Every package installed, with where it came from and who asked for it.
    pub packages: Vec<Resolved>,
    /// Requirements nothing meets.
    pub unmet: Vec<Unmet>,
    /// Requirements that conflict with what was chosen.
    pub conflicts: Vec<Conflict>,
    /// Where micropip would do otherwise.
    pub notes: Vec<String>,
}

impl ResolutionReport {
    /// The requirements nothing meets and the conflicts, each on one line.
    pub fn problems(&self) -> Vec<String> {
        let unmet = self.unmet.iter().map(describe_unmet);
        unmet.chain(self.conflicts.iter().map(describe_conflict)).collect()
    }
}

impl Resolution<'_> {
    /// What the report shows of the resolution.
    pub fn report(&self) -> ResolutionReport {
        let resolution = self;
        ResolutionReport {
            packages: resolution.packages.clone(),
            unmet: resolution.unmet.clone(),
            conflicts: resolution.conflicts.clone(),
            notes: resolution.notes.clone(),
        }
    }
}

/// An unmet requirement on one line: what, who asked, what each source had.
pub fn describe_unmet(u: &Unmet) -> String {
    format!("`{}` (asked by {}) is met by no source: {}", u.requirement, u.requested_by, u.sources.join("; "))
}

/// A conflict on one line.
pub fn describe_conflict(c: &Conflict) -> String {
    format!(
        "`{}` (asked by {}) conflicts with {}, chosen for {}",
        c.requirement,
        c.requested_by,
        c.chosen,
        c.chosen_by.join(", ")
    )
}

/// A requirement on its way through, and the package that declared it.
struct Want {
    requirement: Requirement,
    by: String,
    parent: Option<usize>,
}

/// A resolution being made.
struct Resolver<'a, 'b> {
    target: &'b Target,
    sources: &'b PackageSources,
    also: &'a [&'a WheelBytes],
    out: Resolution<'a>,
    by_name: HashMap<PackageName, usize>,
    versions: Vec<Version>,
    extras: Vec<BTreeSet<ExtraName>>,
    visited: Vec<bool>,
    /// Who asked for each package already (`requested_by` without a linear search).
    requesters: HashSet<(usize, String)>,
    /// Unmet requirements already recorded, with who asked.
    unmet_seen: HashSet<(String, String)>,
}

/// What one resolution starts from: wheels installed as they are, wheels taken only when
/// something requires them (before the release's packages), and requirements.
#[derive(Clone, Copy, Debug)]
pub struct Request<'a> {
    /// Wheels installed as they are.
    pub given: &'a [&'a WheelBytes],
    /// Wheels taken when required.
    pub also: &'a [&'a WheelBytes],
    /// Requirements (`--with`, `-r`).
    pub roots: &'a [Root],
}

/// Resolves `request` on `target` from `sources`.
pub fn resolve<'a>(
    request: Request<'a>,
    target: &Target,
    sources: &PackageSources,
) -> Result<Resolution<'a>, ResolveError> {
    let mut r = Resolver {
        target,
        sources,
        also: request.also,
        out: Resolution::default(),
        by_name: HashMap::new(),
        versions: Vec::new(),
        extras: Vec::new(),
        visited: Vec::new(),
        requesters: HashSet::new(),
        unmet_seen: HashSet::new(),
    };
    let mut stack: Vec<Want> = Vec::new();
    for input in request.given {
        let name = input.wheel.filename.name.normalized().clone();
        if r.by_name.contains_key(&name) {
            continue;
        }
        let version = input.wheel.filename.version.version().clone();
        let url = input.wheel.path.clone();
        let index = r.add_wheel(ResolvedWheel::Given(input), name, version, (Origin::Given, url, None), "given".into());
        stack.extend(r.wants_of(index, &[]));
    }
    let mut root_wants: Vec<Want> = request
        .roots
        .iter()
        .map(|root| Want { requirement: root.requirement.clone(), by: root.by.clone(), parent: None })
        .collect();
    root_wants.reverse();
    // Depth first: each package's requirements before its siblings'.
    stack.reverse();
    stack.splice(0..0, root_wants);
    while let Some(want) = stack.pop() {
        let mut children = r.take(want)?;
        children.reverse();
        stack.extend(children);
    }
    Ok(r.out)
}

impl<'a> Resolver<'a, '_> {
    /// Chooses a given or index wheel; `from` is its origin, where it was found, and the index.
    fn add_wheel(
        &mut self,
        input: ResolvedWheel<'a>,
        name: PackageName,
        version: Version,
        from: (Origin, String, Option<String>),
        by: String,
    ) -> usize {
        let sha256 = crate::hash::sha256_hex(&input.get().bytes);
        let file = input.get().wheel.filename.to_string();
        self.out.wheels.push(input);
        let wheel = Some(self.out.wheels.len() - 1);
        let (source, url, index) = from;
        let package = Resolved {
            name: name.to_string(),
            version: version.to_string(),
            source,
            file,
            url,
            index,
            requested_by: vec![by],
            depends: Vec::new(),
            sha256,
            wheel,
            private: false,
        };
        self.add(package, name, version)
    }

    fn add(&mut self, package: Resolved, name: PackageName, version: Version) -> usize {
        let index = self.out.packages.len();
        self.requesters.extend(package.requested_by.iter().map(|by| (index, by.clone())));
        self.out.packages.push(package);
        self.versions.push(version);
        self.extras.push(BTreeSet::new());
        self.visited.push(false);
        self.by_name.insert(name, index);
        index
    }

    /// The requirements of package `index` that apply with `extras`, not taken before: on the
    /// first visit every one that applies; later, those that extras new to it add.
    fn wants_of(&mut self, index: usize, extras: &[ExtraName]) -> Vec<Want> {
        let Some(wheel) = self.out.packages[index].wheel else { return Vec::new() };
        let first = !std::mem::replace(&mut self.visited[index], true);
        let old: Vec<ExtraName> = self.extras[index].iter().cloned().collect();
        let added = extras.iter().filter(|e| self.extras[index].insert((*e).clone())).count();
        if !first && added == 0 {
            return Vec::new();
        }
        let all: Vec<ExtraName> = self.extras[index].iter().cloned().collect();
        let Some(metadata) = self.out.wheels[wheel].get().wheel.metadata.parsed() else { return Vec::new() };
        let by = format!("{} {}", self.out.packages[index].name, self.out.packages[index].version);
        let env = &self.target.env;
        metadata
            .requires_dist()
            .into_iter()
            .flatten()
            .filter(|r| r.evaluate_markers(env, &all) && (first || !r.evaluate_markers(env, &old)))
            .map(|requirement| Want { requirement, by: by.clone(), parent: Some(index) })
            .collect()
    }

    /// Takes one requirement: what it adds to the stack.
    fn take(&mut self, want: Want) -> Result<Vec<Want>, ResolveError> {
        let requirement = &want.requirement;
        let extras = requirement.extras.clone();
        if want.parent.is_none() && !requirement.evaluate_markers(&self.target.env, &[]) {
            return Ok(Vec::new());
        }
        let name = requirement.name.clone();
        let specifiers = match &requirement.version_or_url {
            Some(VersionOrUrl::VersionSpecifier(s)) => Some(s.clone()),
            Some(VersionOrUrl::Url(_)) => {
                self.unmet(&want, vec!["a direct URL: give the wheel itself instead".into()]);
                return Ok(Vec::new());
            }
            None => None,
        };
        if let Some(&index) = self.by_name.get(&name) {
            return self.again(index, &want, specifiers.as_ref(), &requirement.extras);
        }
        let also = self.also.iter().find(|w| {
            w.wheel.filename.name.normalized() == &name
                && specifiers.as_ref().is_none_or(|s| s.contains(w.wheel.filename.version.version()))
        });
        if let Some(&wheel) = also {
            let (version, url) = (wheel.wheel.filename.version.version().clone(), wheel.wheel.path.clone());
            let from = (Origin::Given, url, None);
            let index = self.add_wheel(ResolvedWheel::Given(wheel), name, version, from, want.by.clone());
            self.link(want.parent, index);
            return Ok(self.wants_of(index, &extras));
        }
        let forced = self.sources.from_index.contains(&name);
        let lock_entry = self.target.lock.package(name.as_ref()).cloned().filter(|_| !forced);
        if forced && let Some(entry) = self.target.lock.package(name.as_ref()) {
            self.out.notes.push(format!(
                "{name}: taken from the index (--from-index); {} would install the release's {name} {}",
                self.target.installer, entry.version
            ));
        }
        let lock_fits = lock_entry.as_ref().and_then(|e| e.version.parse::<Version>().ok().map(|v| (e, v)));
        if let Some((entry, version)) = lock_fits.filter(|(_, v)| specifiers.as_ref().is_none_or(|s| s.contains(v))) {
            let index = self.add_release(&name, entry, version, &want.by);
            self.link(want.parent, index);
            return Ok(Vec::new());
        }
        let offer = self.sources.offer(&name, specifiers.as_ref(), &self.target.tags, &self.target.python)?;
        let Some(chosen) = offer.chosen.clone() else {
            let lock = match &lock_entry {
                Some(e) => format!("Pyodide {}'s lock: {} {}", self.target.version, e.name, e.version),
                None => format!("Pyodide {}'s lock: no {name}", self.target.version),
            };
            self.unmet(&want, vec!["wheels given: none of that name".into(), lock, offer.had]);
            return Ok(Vec::new());
        };
        self.note_micropip(&name, &offer);
        let input = self.sources.download(&chosen)?;
        let from = (Origin::Index, chosen.file.location.to_string(), Some(chosen.index.clone()));
        let version = chosen.version.clone();
        let credentials = self.sources.fetcher.client.credentials();
        let private = matches!(&chosen.file.location, index::Location::Url(u) if credentials.has(u));
        let index = self.add_wheel(ResolvedWheel::Fetched(Box::new(input)), name, version, from, want.by.clone());
        self.out.packages[index].private = private;
        self.link(want.parent, index);
        Ok(self.wants_of(index, &extras))
    }

    /// A requirement on a package already chosen: fits, or conflicts.
    fn again(
        &mut self,
        index: usize,
        want: &Want,
        specifiers: Option<&pep440_rs::VersionSpecifiers>,
        extras: &[ExtraName],
    ) -> Result<Vec<Want>, ResolveError> {
        let fits = specifiers.is_none_or(|s| s.contains(&self.versions[index]));
        self.link(want.parent, index);
        if fits {
            if self.requesters.insert((index, want.by.clone())) {
                self.out.packages[index].requested_by.push(want.by.clone());
            }
            return Ok(self.wants_of(index, extras));
        }
        let package = &self.out.packages[index];
        let origin = match package.source {
            Origin::Given => "given",
            Origin::Release => "the release's",
            Origin::Index => "from the index",
        };
        if package.source == Origin::Release {
            self.out.notes.push(format!(
                "{}: micropip would install a version fitting `{}` from the index beside the release's {} {}, whichever loads last winning",
                package.name, want.requirement, package.name, package.version
            ));
        }
        self.out.conflicts.push(Conflict {
            requirement: want.requirement.to_string(),
            requested_by: want.by.clone(),
            chosen: format!("{} {} ({origin})", package.name, package.version),
            chosen_by: package.requested_by.clone(),
        });
        Ok(Vec::new())
    }

    /// Chooses a release package and what its lock entry depends on.
    fn add_release(
        &mut self,
        name: &PackageName,
        entry: &crate::lockfile::LockPackage,
        version: Version,
        by: &str,
    ) -> usize {
        let index = self.release_package(name.clone(), entry, version, by.to_string());
        let closure = self.target.lock.closure([name.as_ref()]);
        for key in closure.iter().skip(1) {
            let Ok(dep_name) = key.parse::<PackageName>() else { continue };
            let Some(dep) = self.target.lock.package(key).cloned() else { continue };
            if self.by_name.contains_key(&dep_name) {
                continue;
            }
            let dep_version = dep.version.parse().unwrap_or_else(|_| Version::new([0]));
            self.release_package(dep_name, &dep, dep_version, format!("{} (the release's lock)", entry.name));
        }
        index
    }

    fn release_package(
        &mut self,
        name: PackageName,
        entry: &crate::lockfile::LockPackage,
        version: Version,
        by: String,
    ) -> usize {
        let package = Resolved {
            name: name.to_string(),
            version: entry.version.clone(),
            source: Origin::Release,
            file: entry.file_name.rsplit('/').next().unwrap_or(&entry.file_name).to_string(),
            url: self.sources.release_url.locate(&self.target.version, &entry.file_name).to_string(),
            index: None,
            requested_by: vec![by],
            depends: entry.depends.iter().map(|d| crate::lockfile::normalized(d)).collect(),
            sha256: entry.sha256.clone(),
            wheel: None,
            private: false,
        };
        self.add(package, name, version)
    }

    fn link(&mut self, parent: Option<usize>, child: usize) {
        let Some(parent) = parent else { return };
        let name = self.out.packages[child].name.clone();
        let depends = &mut self.out.packages[parent].depends;
        if !depends.contains(&name) {
            depends.push(name);
        }
    }

    fn unmet(&mut self, want: &Want, sources: Vec<String>) {
        let requirement = want.requirement.to_string();
        if self.unmet_seen.insert((requirement.clone(), want.by.clone())) {
            self.out.unmet.push(Unmet { requirement, requested_by: want.by.clone(), sources });
        }
    }

    fn note_micropip(&mut self, name: &PackageName, offer: &sources::Offer) {
        let (Some(chosen), Some(other)) = (&offer.chosen, &offer.micropip) else { return };
        let requires = other.file.requires_python.as_ref().map_or_else(String::new, ToString::to_string);
        self.out.notes.push(format!(
            "{name}: {} would take {} (it reads no Requires-Python; that wheel requires Python {requires}, the release has {}); wasmwheel takes {}",
            self.target.installer, other.file.filename, self.target.python, chosen.file.filename
        ));
    }
}
