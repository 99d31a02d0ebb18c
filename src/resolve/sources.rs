//! Where resolved packages come from beyond the wheels given: the release's own packages
//! (its lock's entries, files at the release's package URL, checked against the lock's
//! sha256) and the indexes (the newest wheel a release's micropip installs). Every download
//! is checked against the hash its source gives and kept in the cache under its sha256, so
//! a second run needs no network.

use std::path::{Path, PathBuf};

use pep440_rs::{Version, VersionSpecifiers};
use pep508_rs::PackageName;

use super::ResolveError;
use super::index::{Fetcher, Index, IndexError, IndexFile};
use super::tags::SupportedTags;
use crate::hash::sha256_hex;
use crate::lock::WheelBytes;
use crate::wheel::{Wheel, WheelFilename};

/// The most a downloaded file may weigh.
const MAX_FILE: u64 = 512 << 20;

/// Where the release's own packages are fetched from.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum ReleaseUrl {
    /// A URL, `{version}` standing for the release's (Pyodide's CDN by default).
    Url(String),
    /// A folder that mirrors it.
    Dir(PathBuf),
}

/// Pyodide's CDN, where a release's packages are served (the npm package does not carry them).
pub const DEFAULT_RELEASE_URL: &str = "https://cdn.jsdelivr.net/pyodide/v{version}/full/";

impl ReleaseUrl {
    /// `--release-url`: a folder if one exists there, else a URL.
    pub fn parse(text: &str) -> ReleaseUrl {
        let path = Path::new(text);
        if !text.contains("://") && path.is_dir() {
            ReleaseUrl::Dir(path.to_path_buf())
        } else {
            ReleaseUrl::Url(text.into())
        }
    }

    /// Where `file_name` of release `version` is.
    pub fn locate(&self, version: &str, file_name: &str) -> String {
        match self {
            ReleaseUrl::Url(url) => {
                let base = url.replace("{version}", version);
                let base = if base.ends_with('/') { base } else { format!("{base}/") };
                format!("{base}{file_name}")
            }
            ReleaseUrl::Dir(dir) => dir.join(file_name).display().to_string(),
        }
    }
}

impl Default for ReleaseUrl {
    fn default() -> Self {
        ReleaseUrl::Url(DEFAULT_RELEASE_URL.into())
    }
}

/// The sources beyond the wheels given.
#[derive(Clone, Debug)]
pub struct PackageSources {
    /// The indexes, in order (none with `--no-index`).
    pub indexes: Vec<Index>,
    /// Where the release's packages are.
    pub release_url: ReleaseUrl,
    /// The client and the cache.
    pub fetcher: Fetcher,
    /// Prereleases count (`--pre`).
    pub pre: bool,
}

/// A wheel an index offers, ranked.
#[derive(Clone, Debug)]
pub(crate) struct Candidate {
    /// The file.
    pub file: IndexFile,
    /// The index it is on.
    pub index: String,
    /// Its version.
    pub version: Version,
    /// Its best tag's rank (lower is better).
    pub rank: usize,
}

/// What the indexes had for a requirement.
#[derive(Clone, Debug, Default)]
pub(crate) struct Offer {
    /// The wheel to install, if any.
    pub chosen: Option<Candidate>,
    /// What micropip would take instead, if it differs (it reads no Requires-Python).
    pub micropip: Option<Candidate>,
    /// What the indexes had, for a message when nothing fits.
    pub had: String,
}

impl PackageSources {
    /// The newest wheel of `name` the indexes have that `specifiers` admit, whose tags the
    /// release's micropip installs and whose Requires-Python admits `python`.
    pub(crate) fn offer(
        &self,
        name: &PackageName,
        specifiers: Option<&VersionSpecifiers>,
        tags: &SupportedTags,
        python: &Version,
    ) -> Result<Offer, ResolveError> {
        if self.indexes.is_empty() {
            return Ok(Offer { had: "no index (--no-index)".into(), ..Offer::default() });
        }
        let mut files = Vec::new();
        for index in &self.indexes {
            let found = index.files(name, &self.fetcher).map_err(|source| ResolveError::Index {
                index: index.to_string(),
                project: name.to_string(),
                source,
            })?;
            files.extend(found.into_iter().map(|f| (index.to_string(), f)));
        }
        let total = files.len();
        let mut wheels = 0;
        let mut candidates = Vec::new();
        for (index, file) in files {
            let Ok(filename) = file.filename.parse::<WheelFilename>() else { continue };
            if filename.name.normalized() != name {
                continue;
            }
            wheels += 1;
            let Some(rank) = tags.rank(&filename) else { continue };
            let version = filename.version.version().clone();
            candidates.push(Candidate { file, index, version, rank });
        }
        let fitting = candidates.len();
        let admitted = admitted(candidates, specifiers, self.pre);
        let (python_ok, python_not): (Vec<_>, Vec<_>) =
            admitted.iter().cloned().partition(|c| c.file.requires_python.as_ref().is_none_or(|r| r.contains(python)));
        let chosen = best(&python_ok);
        let micropip = best(&admitted).filter(|m| chosen.as_ref().is_none_or(|c| c.file.url != m.file.url));
        let had = if total == 0 {
            format!("{}: no such project", self.index_names())
        } else if fitting == 0 {
            format!("{}: {total} files, {wheels} wheels, none for this platform and Python", self.index_names())
        } else if admitted.is_empty() {
            format!("{}: no version that fits (newest {})", self.index_names(), newest(&python_ok, &python_not))
        } else {
            format!("{}: every fitting wheel requires another Python", self.index_names())
        };
        Ok(Offer { chosen, micropip, had })
    }

    fn index_names(&self) -> String {
        self.indexes.iter().map(ToString::to_string).collect::<Vec<_>>().join(", ")
    }

    /// The wheel of `candidate`, from the cache or downloaded and checked.
    pub(crate) fn download(&self, candidate: &Candidate) -> Result<WheelBytes, ResolveError> {
        let file = &candidate.file;
        let bytes = self.fetch(&file.url, file.sha256.as_deref())?;
        let wheel = Wheel::from_bytes(&file.url, &file.filename, &bytes)
            .map_err(|source| ResolveError::Wheel { url: file.url.clone(), source })?;
        Ok(WheelBytes { wheel, bytes })
    }

    /// The release's package file `file_name` of release `version`, checked against the lock's
    /// `sha256`; where it is kept in the cache.
    pub fn release_file(&self, version: &str, file_name: &str, sha256: &str) -> Result<PathBuf, ResolveError> {
        let location = self.release_url.locate(version, file_name);
        self.fetch(&location, Some(sha256))?;
        Ok(self.fetcher.cache.file_path(sha256))
    }

    /// The bytes at `location` (a URL or a path): from the cache when their sha256 is known and
    /// kept, else fetched, checked against `sha256` when given, and kept.
    pub fn fetch(&self, location: &str, sha256: Option<&str>) -> Result<Vec<u8>, ResolveError> {
        let cache = &self.fetcher.cache;
        if let Some(bytes) = sha256.and_then(|h| cache.file(h)) {
            return Ok(bytes);
        }
        let bytes = if location.contains("://") {
            if self.fetcher.offline {
                return Err(ResolveError::Offline(location.to_string()));
            }
            let answer = self.fetcher.client.get(location, None, MAX_FILE);
            answer.map_err(|source| ResolveError::Download { url: location.to_string(), source })?.body
        } else {
            std::fs::read(location).map_err(|source| ResolveError::Read { path: PathBuf::from(location), source })?
        };
        let actual = sha256_hex(&bytes);
        if let Some(expected) = sha256
            && !actual.eq_ignore_ascii_case(expected)
        {
            return Err(ResolveError::Hash { url: location.to_string(), expected: expected.to_string(), actual });
        }
        cache.put_file(&bytes).map_err(|e| ResolveError::Index {
            index: "cache".into(),
            project: location.to_string(),
            source: IndexError::Cache(e),
        })?;
        Ok(bytes)
    }
}

/// The candidates `specifiers` admit: prereleases only with `--pre`, when a specifier names
/// one, or when no final release fits (as packaging does).
fn admitted(candidates: Vec<Candidate>, specifiers: Option<&VersionSpecifiers>, pre: bool) -> Vec<Candidate> {
    let fits = |c: &Candidate| specifiers.is_none_or(|s| s.contains(&c.version));
    let allows_pre = pre || specifiers.is_some_and(|s| s.iter().any(|v| v.any_prerelease()));
    let fitting: Vec<Candidate> = candidates.into_iter().filter(fits).collect();
    if allows_pre || fitting.iter().all(|c| c.version.any_prerelease()) {
        return fitting;
    }
    fitting.into_iter().filter(|c| !c.version.any_prerelease()).collect()
}

/// The newest version, its best-ranked wheel; yanked ones only when nothing else fits.
fn best(candidates: &[Candidate]) -> Option<Candidate> {
    let pick = |yanked: bool| {
        candidates
            .iter()
            .filter(|c| c.file.yanked == yanked)
            .max_by(|a, b| a.version.cmp(&b.version).then(b.rank.cmp(&a.rank)))
            .cloned()
    };
    pick(false).or_else(|| pick(true))
}

fn newest(a: &[Candidate], b: &[Candidate]) -> String {
    a.iter().chain(b).map(|c| &c.version).max().map_or_else(|| "none".into(), ToString::to_string)
}

#[cfg(test)]
mod tests {
    use super::*;

    fn candidate(version: &str, rank: usize, yanked: bool) -> Candidate {
        Candidate {
            file: IndexFile {
                filename: format!("x-{version}-py3-none-any.whl"),
                url: format!("https://x/{version}/{rank}"),
                sha256: None,
                requires_python: None,
                yanked,
            },
            index: "test".into(),
            version: version.parse().unwrap(),
            rank,
        }
    }

    #[test]
    fn the_newest_fitting_final_release_and_its_best_wheel() {
        let all = vec![
            candidate("1.0", 5, false),
            candidate("2.0", 9, false),
            candidate("2.0", 3, false),
            candidate("3.0b1", 1, false),
        ];
        let chosen = best(&admitted(all.clone(), None, false)).unwrap();
        assert_eq!((chosen.version.to_string(), chosen.rank), ("2.0".into(), 3));
        assert_eq!(best(&admitted(all.clone(), None, true)).unwrap().version.to_string(), "3.0b1");
        let pre: VersionSpecifiers = ">=3.0b1".parse().unwrap();
        assert_eq!(best(&admitted(all.clone(), Some(&pre), false)).unwrap().version.to_string(), "3.0b1");
        let old: VersionSpecifiers = "<2".parse().unwrap();
        assert_eq!(best(&admitted(all, Some(&old), false)).unwrap().version.to_string(), "1.0");
        let yanked = vec![candidate("1.0", 0, false), candidate("2.0", 0, true)];
        assert_eq!(best(&yanked).unwrap().version.to_string(), "1.0", "yanked only as a last resort");
    }

    #[test]
    fn release_files_are_located_under_the_release_url() {
        let cdn = ReleaseUrl::default();
        assert_eq!(cdn.locate("314.0.7", "numpy.whl"), "https://cdn.jsdelivr.net/pyodide/v314.0.7/full/numpy.whl");
        assert_eq!(ReleaseUrl::Url("http://127.0.0.1:1/r".into()).locate("1", "a.whl"), "http://127.0.0.1:1/r/a.whl");
    }
}
