//! wasmwheel's cache: `$WASMWHEEL_CACHE_DIR`, else the user's cache folder
//! (`$XDG_CACHE_HOME/wasmwheel`, `~/Library/Caches/wasmwheel`, `%LOCALAPPDATA%\wasmwheel`).
//!
//! - `pyodide/<version>/`: unpacked releases (`runtime::pyodide::cache`);
//! - `files/sha256/<hex>`: downloaded files, content-addressed: a file is stored under the
//!   sha256 of its bytes, and checked against it whenever it is read, so a damaged one is
//!   dropped and fetched again, never used;
//! - `index/<sha256 of the URL>.json`: index pages (only pages that parsed), with when they
//!   were fetched and how long the index said they may be reused; beside each, `.sha256` holds
//!   the sha256 of what was stored, so a page damaged or edited since is dropped and fetched
//!   again, never trusted (and never blamed on the index). URLs never carry credentials here.
//!
//! Everything is written to a temporary file and renamed into place: a second run finds it
//! whole or not at all.

use std::path::{Path, PathBuf};
use std::time::{SystemTime, UNIX_EPOCH};

use serde::{Deserialize, Serialize};

use crate::hash::sha256_hex;

/// Why the cache cannot be used.
#[derive(Debug, thiserror::Error)]
#[non_exhaustive]
pub enum CacheError {
    /// No cache folder can be found.
    #[error("no cache folder: set WASMWHEEL_CACHE_DIR")]
    NoCacheDir,
    /// A file of the cache that cannot be written.
    #[error("{}", path.display())]
    Write {
        /// The file.
        path: PathBuf,
        /// Why.
        #[source]
        source: std::io::Error,
    },
}

/// The cache folder.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Cache {
    root: PathBuf,
}

/// An index page as the cache keeps it.
#[derive(Clone, Debug, Serialize, Deserialize)]
pub struct CachedPage {
    /// Its URL.
    pub url: String,
    /// When it was fetched (seconds since the epoch).
    pub fetched: u64,
    /// How long the index said it may be reused, in seconds.
    pub max_age: u64,
    /// Its content type.
    pub content_type: String,
    /// Its body.
    pub body: String,
}

impl CachedPage {
    /// Whether it may still be used without asking the index again.
    pub fn is_fresh(&self) -> bool {
        now().saturating_sub(self.fetched) < self.max_age
    }
}

/// Seconds since the epoch.
pub fn now() -> u64 {
    SystemTime::now().duration_since(UNIX_EPOCH).map_or(0, |d| d.as_secs())
}

impl Cache {
    /// The cache at `root`.
    pub fn at(root: PathBuf) -> Cache {
        Cache { root }
    }

    /// `$WASMWHEEL_CACHE_DIR`, else `wasmwheel` in the platform's cache folder.
    pub fn from_env() -> Result<Cache, CacheError> {
        match std::env::var_os("WASMWHEEL_CACHE_DIR").filter(|v| !v.is_empty()) {
            Some(dir) => Ok(Cache::at(PathBuf::from(dir))),
            None => dirs::cache_dir().map(|d| Cache::at(d.join("wasmwheel"))).ok_or(CacheError::NoCacheDir),
        }
    }

    /// The folder.
    pub fn root(&self) -> &Path {
        &self.root
    }

    /// Where the file of sha256 `hex` is kept.
    pub fn file_path(&self, hex: &str) -> PathBuf {
        self.root.join("files").join("sha256").join(hex.to_ascii_lowercase())
    }

    /// The bytes of the file of sha256 `hex`, if the cache has it whole. A file whose bytes
    /// no longer match is removed (it is damaged) and reported as absent.
    pub fn file(&self, hex: &str) -> Option<Vec<u8>> {
        let path = self.file_path(hex);
        let bytes = std::fs::read(&path).ok()?;
        if sha256_hex(&bytes).eq_ignore_ascii_case(hex) {
            Some(bytes)
        } else {
            let _ = std::fs::remove_file(&path);
            None
        }
    }

    /// Keeps `bytes` under their sha256; returns where.
    pub fn put_file(&self, bytes: &[u8]) -> Result<PathBuf, CacheError> {
        let path = self.file_path(&sha256_hex(bytes));
        if std::fs::metadata(&path).is_ok_and(|m| m.len() == bytes.len() as u64) {
            return Ok(path);
        }
        write(&path, bytes)?;
        Ok(path)
    }

    fn page_path(&self, url: &str) -> PathBuf {
        self.root.join("index").join(format!("{}.json", sha256_hex(url.as_bytes())))
    }

    /// The index page of `url`, if the cache has it whole (fresh or not). One whose bytes
    /// are not those stored is removed and reported as absent.
    pub fn page(&self, url: &str) -> Option<CachedPage> {
        let path = self.page_path(url);
        let check = path.with_extension("sha256");
        let bytes = std::fs::read(&path).ok()?;
        let stored = std::fs::read_to_string(&check).unwrap_or_default();
        let page = serde_json::from_slice::<CachedPage>(&bytes).ok().filter(|p| p.url == url);
        if sha256_hex(&bytes) != stored.trim() || page.is_none() {
            let _ = std::fs::remove_file(&path);
            let _ = std::fs::remove_file(&check);
            return None;
        }
        page
    }

    /// Keeps an index page, with the sha256 of what is stored beside it.
    pub fn put_page(&self, page: &CachedPage) -> Result<(), CacheError> {
        let bytes = serde_json::to_vec(page).unwrap_or_default();
        let path = self.page_path(&page.url);
        write(&path, &bytes)?;
        write(&path.with_extension("sha256"), sha256_hex(&bytes).as_bytes())
    }
}

/// Writes `bytes` to `path` through a temporary file renamed into place.
fn write(path: &Path, bytes: &[u8]) -> Result<(), CacheError> {
    let fail = |source| CacheError::Write { path: path.to_path_buf(), source };
    if let Some(parent) = path.parent() {
        std::fs::create_dir_all(parent).map_err(fail)?;
    }
    crate::fs::write_atomically(path, bytes).map_err(fail)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn files_are_kept_by_hash_and_a_damaged_one_is_dropped() {
        let dir = tempfile::tempdir().unwrap();
        let cache = Cache::at(dir.path().to_path_buf());
        let path = cache.put_file(b"wheel").unwrap();
        let hex = sha256_hex(b"wheel");
        assert_eq!(cache.file(&hex).as_deref(), Some(&b"wheel"[..]));
        std::fs::write(&path, b"wheeL").unwrap();
        assert_eq!(cache.file(&hex), None, "damaged: not used");
        assert!(!path.exists(), "and removed");
        assert_eq!(cache.file(&sha256_hex(b"other")), None);
    }

    #[test]
    fn pages_are_fresh_for_their_max_age() {
        let dir = tempfile::tempdir().unwrap();
        let cache = Cache::at(dir.path().to_path_buf());
        let page = CachedPage {
            url: "https://pypi.org/simple/x/".into(),
            fetched: now(),
            max_age: 600,
            content_type: "text/html".into(),
            body: "<a>".into(),
        };
        cache.put_page(&page).unwrap();
        assert!(cache.page(&page.url).unwrap().is_fresh());
        cache.put_page(&CachedPage { fetched: 0, ..page.clone() }).unwrap();
        assert!(!cache.page(&page.url).unwrap().is_fresh());
        assert!(cache.page("https://pypi.org/simple/y/").is_none());
    }

    #[test]
    fn a_page_edited_since_it_was_stored_is_dropped() {
        let dir = tempfile::tempdir().unwrap();
        let cache = Cache::at(dir.path().to_path_buf());
        let page = CachedPage {
            url: "https://pypi.org/simple/x/".into(),
            fetched: now(),
            max_age: 600,
            content_type: "application/vnd.pypi.simple.v1+json".into(),
            body: r#"{"files": []}"#.into(),
        };
        cache.put_page(&page).unwrap();
        let path = cache.page_path(&page.url);
        let edited = String::from_utf8(std::fs::read(&path).unwrap()).unwrap().replace("[]", "[ ]");
        std::fs::write(&path, edited).unwrap();
        assert!(cache.page(&page.url).is_none(), "still valid JSON, but not what was stored");
        assert!(!path.exists(), "and removed");
    }
}
