//! Where resolved packages come from beyond the wheels given: the release's own packages
//! (its lock's entries, files at the release's package URL, checked against the lock's
//! sha256) and the indexes (the newest wheel a release's micropip installs). Every download
//! is checked against the hash its source gives and kept in the cache under its sha256, so
//! a second run needs no network.

use std::path::{Path, PathBuf};

use pep440_rs::{Version, VersionSpecifiers};
use pep508_rs::PackageName;

use super::ResolveError;
use super::index::{Fetcher, Index, IndexFile, Location};
use super::ranking::SupportedTags;
use crate::credentials::{SecretUrl, UrlError};
use crate::hash::sha256_hex;
use crate::wheel::WheelBytes;
use crate::wheel::{Wheel, WheelFilename};

/// The most a downloaded file may weigh.
const MAX_FILE: u64 = 512 << 20;

/// Where the release's own packages are fetched from.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum ReleaseUrl {
    /// A URL, `{version}` standing for the release's (Pyodide's CDN by default); its
    /// credentials, if any, held apart.
    Url(SecretUrl),
    /// A folder that mirrors it.
    Dir(PathBuf),
}

/// Pyodide's CDN, where a release's packages are served (the npm package does not carry them).
pub const DEFAULT_RELEASE_URL: &str = "https://cdn.jsdelivr.net/pyodide/v{version}/full/";

/// `{version}` as a parsed URL spells it.
const VERSION_ENCODED: &str = "%7Bversion%7D";

impl ReleaseUrl {
    /// `--release-url`: a folder if one exists there, else an http(s) URL.
    pub fn parse(text: &str) -> Result<ReleaseUrl, UrlError> {
        let path = Path::new(text);
        if !text.contains("://") && path.is_dir() {
            return Ok(ReleaseUrl::Dir(path.to_path_buf()));
        }
        Ok(ReleaseUrl::Url(SecretUrl::parse(text)?))
    }

    /// Where `file_name` of release `version` is (a URL without credentials, or a path). A
    /// file name is a bare name (the release's lock may name files by URL: its last part).
    pub fn locate(&self, version: &str, file_name: &str) -> Location {
        let file = file_name.rsplit('/').next().unwrap_or(file_name);
        match self {
            ReleaseUrl::Url(url) => {
                let base = url.public().as_str().replace(VERSION_ENCODED, version).replace("{version}", version);
                let base = if base.ends_with('/') { base } else { format!("{base}/") };
                let encoded: String = percent_encoding::utf8_percent_encode(file, SEGMENT).collect();
                match url::Url::parse(&format!("{base}{encoded}")) {
                    Ok(located) => Location::Url(located),
                    Err(_) => Location::Url(url.public().clone()),
                }
            }
            ReleaseUrl::Dir(dir) => Location::Path(dir.join(file)),
        }
    }
}

/// What a file name may not hold as one segment of a URL path.
const SEGMENT: &percent_encoding::AsciiSet = &percent_encoding::CONTROLS
    .add(b' ')
    .add(b'"')
    .add(b'#')
    .add(b'<')
    .add(b'>')
    .add(b'?')
    .add(b'`')
    .add(b'{')
    .add(b'}')
    .add(b'/')
    .add(b'%');

impl Default for ReleaseUrl {
    fn default() -> Self {
        // DEFAULT_RELEASE_URL parses (a unit test says so); the folder is never reached.
        match SecretUrl::parse(DEFAULT_RELEASE_URL) {
            Ok(url) => ReleaseUrl::Url(url),
            Err(_) => ReleaseUrl::Dir(PathBuf::from(DEFAULT_RELEASE_URL)),
        }
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
    /// Projects taken from the indexes even where the release has them (`--from-index`).
    pub from_index: std::collections::BTreeSet<PackageName>,
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
        let micropip = best(&admitted).filter(|m| chosen.as_ref().is_none_or(|c| c.file.location != m.file.location));
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

    /// The wheel of `candidate`, from the cache or downloaded and checked: its bytes against
    /// the hash the index gives, its METADATA's name and version against its file name's (a
    /// file that says otherwise is the index's error, as pip holds it).
    pub(crate) fn download(&self, candidate: &Candidate) -> Result<WheelBytes, ResolveError> {
        let file = &candidate.file;
        let shown = file.location.to_string();
        let bytes = self.fetch(&file.location, file.sha256.as_deref())?;
        let wheel = Wheel::from_bytes(&shown, &file.filename, &bytes)
            .map_err(|source| ResolveError::Wheel { url: shown.clone(), source })?;
        if let Some(why) = crate::wheel::name_disagreement(&wheel) {
            return Err(ResolveError::Inconsistent { url: shown, why });
        }
        Ok(WheelBytes { wheel, bytes })
    }

    /// The release's package file `file_name` of release `version`, checked against the lock's
    /// `sha256`; where it is kept in the cache.
    pub fn release_file(&self, version: &str, file_name: &str, sha256: &str) -> Result<PathBuf, ResolveError> {
        let location = self.release_url.locate(version, file_name);
        self.fetch(&location, Some(sha256))?;
        Ok(self.fetcher.cache.file_path(sha256))
    }

    /// The bytes at `location`: from the cache when their sha256 is known and kept, else
    /// fetched (a URL) or read (a folder the user gave), checked against `sha256` when given,
    /// and kept.
    pub fn fetch(&self, location: &Location, sha256: Option<&str>) -> Result<Vec<u8>, ResolveError> {
        let cache = &self.fetcher.cache;
        if let Some(bytes) = sha256.and_then(|h| cache.file(h)) {
            return Ok(bytes);
        }
        let bytes = match location {
            Location::Url(url) => {
                if self.fetcher.offline {
                    return Err(ResolveError::Offline(url.to_string()));
                }
                let answer = self.fetcher.client.get(url.as_str(), None, MAX_FILE);
                answer.map_err(ResolveError::Download)?.body
            }
            Location::Path(path) => {
                read_bounded(path, MAX_FILE).map_err(|source| ResolveError::Read { path: path.clone(), source })?
            }
        };
        let actual = sha256_hex(&bytes);
        if let Some(expected) = sha256
            && !actual.eq_ignore_ascii_case(expected)
        {
            return Err(ResolveError::Hash { url: location.to_string(), expected: expected.to_string(), actual });
        }
        cache.put_file(&bytes)?;
        Ok(bytes)
    }
}

/// A local file's bytes, if it is no larger than `limit`.
fn read_bounded(path: &Path, limit: u64) -> std::io::Result<Vec<u8>> {
    use std::io::Read;
    let mut bytes = Vec::new();
    std::fs::File::open(path)?.take(limit + 1).read_to_end(&mut bytes)?;
    if bytes.len() as u64 > limit {
        return Err(std::io::Error::other(format!("larger than {limit} bytes")));
    }
    Ok(bytes)
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
                location: Location::Url(format!("https://x/{version}/{rank}").parse().unwrap()),
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
        let at = |r: &ReleaseUrl, v, f| r.locate(v, f).to_string();
        assert_eq!(at(&cdn, "314.0.7", "numpy.whl"), "https://cdn.jsdelivr.net/pyodide/v314.0.7/full/numpy.whl");
        let local = ReleaseUrl::parse("http://u:SECRET@127.0.0.1:1/r").unwrap();
        assert_eq!(at(&local, "1", "a.whl"), "http://127.0.0.1:1/r/a.whl", "no credentials");
        assert_eq!(at(&local, "1", "../../a.whl"), "http://127.0.0.1:1/r/a.whl", "a name, not a path");
        assert!(ReleaseUrl::parse("ftp://x/r").is_err());
    }
}
