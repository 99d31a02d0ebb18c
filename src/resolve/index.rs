//! Package indexes: PyPI's simple API and its mirrors (PEP 691 JSON, PEP 503 HTML as the
//! fallback), and `--find-links` folders of wheels. Each gives the files of one project;
//! pages are cached with the index's own `max-age` (PyPI says 600 s), so a second run asks
//! nothing, and `--offline` uses the cache whatever its age.
//!
//! A page is data from someone else: only what parses is cached; a file's name must parse as
//! a wheel file name (no path separators, no `..`) or the file is passed over; its URL must be
//! http(s) (nothing on a remote page is read from local disk), and loses any user information
//! it carries (credentials go only where [`crate::credentials`] sends them).

use std::path::{Path, PathBuf};

use pep440_rs::VersionSpecifiers;
use pep508_rs::PackageName;
use serde::Deserialize;

use crate::cache::{Cache, CacheError, CachedPage, now};
use crate::credentials::SecretUrl;
use crate::http::{Client, HttpError};

/// PyPI's simple API.
pub const PYPI: &str = "https://pypi.org/simple";

/// What the simple API is asked for: JSON first, HTML as the fallback.
const ACCEPT: &str = "application/vnd.pypi.simple.v1+json, application/vnd.pypi.simple.v1+html;q=0.2, text/html;q=0.01";

/// The most a project page may weigh (PyPI's largest are a few MB).
const MAX_PAGE: u64 = 64 << 20;

/// How long a page is reused when the index does not say.
const DEFAULT_MAX_AGE: u64 = 600;

/// Where packages are looked for.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum Index {
    /// A simple API (`https://pypi.org/simple`); shown without its password.
    Simple(SecretUrl),
    /// A folder of wheels.
    FindLinks(PathBuf),
}

impl std::fmt::Display for Index {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        match self {
            Index::Simple(url) => write!(f, "{}", url.public().as_str().trim_end_matches('/')),
            Index::FindLinks(dir) => write!(f, "{}", dir.display()),
        }
    }
}

/// Where a file of an index is.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum Location {
    /// An http(s) URL, without user information.
    Url(url::Url),
    /// A file of a `--find-links` folder the user gave.
    Path(PathBuf),
}

impl std::fmt::Display for Location {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        match self {
            Location::Url(url) => f.write_str(url.as_str()),
            Location::Path(path) => write!(f, "{}", path.display()),
        }
    }
}

/// One file an index has for a project.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct IndexFile {
    /// Its file name.
    pub filename: String,
    /// Where to get it.
    pub location: Location,
    /// Its sha256, hex, when the index gives it.
    pub sha256: Option<String>,
    /// Its `Requires-Python`, when the index gives it.
    pub requires_python: Option<VersionSpecifiers>,
    /// Whether it is yanked (PEP 592).
    pub yanked: bool,
}

/// Why an index cannot be read.
#[derive(Debug, thiserror::Error)]
#[non_exhaustive]
pub enum IndexError {
    /// The index could not be asked.
    #[error(transparent)]
    Http(#[from] HttpError),
    /// A page that is neither PEP 691 JSON nor HTML.
    #[error("{url}: not a simple API page ({why})")]
    Page {
        /// The page.
        url: String,
        /// Why.
        why: String,
    },
    /// Not cached, and `--offline`.
    #[error("{0}: not in the cache, and --offline forbids asking the index")]
    Offline(String),
    /// A folder of wheels that cannot be listed.
    #[error("{}", path.display())]
    FindLinks {
        /// The folder.
        path: PathBuf,
        /// Why.
        #[source]
        source: std::io::Error,
    },
    /// The cache cannot be written.
    #[error(transparent)]
    Cache(#[from] CacheError),
}

/// What asking an index needs.
#[derive(Clone, Debug)]
pub struct Fetcher {
    /// The HTTP client.
    pub client: Client,
    /// The cache.
    pub cache: Cache,
    /// Use only the cache.
    pub offline: bool,
}

impl Index {
    /// The files this index has for `name`; empty when it does not know the project.
    pub fn files(&self, name: &PackageName, fetcher: &Fetcher) -> Result<Vec<IndexFile>, IndexError> {
        match self {
            Index::Simple(base) => simple(base, name, fetcher),
            Index::FindLinks(dir) => find_links(dir, name),
        }
    }
}

/// The project page of `name` on the simple API at `base`: from the cache while fresh (and
/// whole), else asked, and cached only once it parsed.
fn simple(base: &SecretUrl, name: &PackageName, fetcher: &Fetcher) -> Result<Vec<IndexFile>, IndexError> {
    let url = format!("{}/{name}/", base.public().as_str().trim_end_matches('/'));
    let cached = fetcher.cache.page(&url).and_then(|page| Some((parse_page(&page).ok()?, page)));
    match cached {
        Some((files, page)) if fetcher.offline || page.is_fresh() => return Ok(files),
        _ if fetcher.offline => return Err(IndexError::Offline(url)),
        _ => {}
    }
    let answer = match fetcher.client.get(&url, Some(ACCEPT), MAX_PAGE) {
        Ok(answer) => answer,
        Err(e) if e.status() == Some(404) => return Ok(Vec::new()),
        Err(e) => return Err(e.into()),
    };
    let page = CachedPage {
        url,
        fetched: now(),
        max_age: answer.max_age.unwrap_or(DEFAULT_MAX_AGE),
        content_type: answer.content_type,
        body: String::from_utf8_lossy(&answer.body).into_owned(),
    };
    let files = parse_page(&page)?;
    fetcher.cache.put_page(&page)?;
    Ok(files)
}

/// The files of a project page, JSON or HTML by its content type.
pub fn parse_page(page: &CachedPage) -> Result<Vec<IndexFile>, IndexError> {
    let bad = |why: String| IndexError::Page { url: page.url.clone(), why };
    if page.content_type.contains("json") {
        parse_json(&page.body, &page.url).map_err(|e| bad(e.to_string()))
    } else if page.content_type.contains("html") || page.body.trim_start().starts_with('<') {
        parse_html(&page.body, &page.url).map_err(bad)
    } else {
        Err(bad(format!("content type `{}`", page.content_type)))
    }
}

/// A file of a PEP 691 page.
#[derive(Deserialize)]
struct JsonFile {
    filename: String,
    url: String,
    #[serde(default)]
    hashes: std::collections::BTreeMap<String, String>,
    #[serde(default, rename = "requires-python")]
    requires_python: Option<String>,
    #[serde(default)]
    yanked: serde_json::Value,
}

#[derive(Deserialize)]
struct JsonPage {
    files: Vec<JsonFile>,
}

fn parse_json(body: &str, page_url: &str) -> Result<Vec<IndexFile>, serde_json::Error> {
    let page: JsonPage = serde_json::from_str(body)?;
    Ok(page
        .files
        .into_iter()
        .filter_map(|f| {
            Some(IndexFile {
                location: Location::Url(join(page_url, &f.url)?),
                sha256: f.hashes.get("sha256").map(|h| h.to_ascii_lowercase()),
                requires_python: f.requires_python.as_deref().and_then(|r| r.parse().ok()),
                yanked: !matches!(f.yanked, serde_json::Value::Bool(false) | serde_json::Value::Null),
                filename: f.filename,
            })
        })
        .collect())
}

fn parse_html(body: &str, page_url: &str) -> Result<Vec<IndexFile>, String> {
    let dom = tl::parse(body, tl::ParserOptions::default()).map_err(|e| e.to_string())?;
    let parser = dom.parser();
    let mut files = Vec::new();
    for handle in dom.query_selector("a").into_iter().flatten() {
        let Some(tag) = handle.get(parser).and_then(|n| n.as_tag()) else { continue };
        let attrs = tag.attributes();
        let attr = |name: &str| attrs.get(name).flatten().map(|v| unescape(&v.as_utf8_str()));
        let Some(href) = attr("href") else { continue };
        let (location, fragment) = href.split_once('#').map_or((href.as_str(), None), |(l, f)| (l, Some(f)));
        let Some(url) = join(page_url, location) else { continue };
        let filename = percent_decode(url.path_segments().and_then(|mut s| s.next_back()).unwrap_or_default());
        let sha256 = fragment.and_then(|f| f.strip_prefix("sha256=")).map(|h| h.to_ascii_lowercase());
        files.push(IndexFile {
            filename,
            location: Location::Url(url),
            sha256,
            requires_python: attr("data-requires-python").and_then(|r| r.parse().ok()),
            yanked: attrs.get("data-yanked").is_some(),
        });
    }
    Ok(files)
}

/// `href` resolved against the page it is on: an http(s) URL without user information, or
/// nothing (a link to another scheme, `x:/name.whl` or `file:` among them, is passed over).
fn join(base: &str, href: &str) -> Option<url::Url> {
    let mut url = url::Url::parse(base).and_then(|b| b.join(href)).ok()?;
    if !matches!(url.scheme(), "http" | "https") {
        return None;
    }
    url.set_username("").ok()?;
    url.set_password(None).ok()?;
    url.set_fragment(None);
    Some(url)
}

/// HTML's character references of the kind indexes write (`&lt;`, `&gt;`, `&amp;`, `&quot;`, `&#39;`).
fn unescape(text: &str) -> String {
    text.replace("&lt;", "<").replace("&gt;", ">").replace("&quot;", "\"").replace("&#39;", "'").replace("&amp;", "&")
}

fn percent_decode(text: &str) -> String {
    percent_encoding::percent_decode_str(text).decode_utf8_lossy().into_owned()
}

/// The wheels of a folder that are of project `name`.
fn find_links(dir: &Path, name: &PackageName) -> Result<Vec<IndexFile>, IndexError> {
    let listing = std::fs::read_dir(dir).map_err(|source| IndexError::FindLinks { path: dir.to_path_buf(), source })?;
    let mut files: Vec<IndexFile> = listing
        .flatten()
        .filter_map(|entry| {
            let filename = entry.file_name().to_str()?.to_string();
            let parsed: crate::wheel::WheelFilename = filename.parse().ok()?;
            (parsed.name.normalized() == name).then(|| IndexFile {
                location: Location::Path(entry.path()),
                filename,
                sha256: None,
                requires_python: None,
                yanked: false,
            })
        })
        .collect();
    files.sort_by(|a, b| a.filename.cmp(&b.filename));
    Ok(files)
}

#[cfg(test)]
mod tests {
    use super::*;

    fn page(content_type: &str, body: &str) -> CachedPage {
        CachedPage {
            url: "https://example.org/simple/typing-extensions/".into(),
            fetched: 0,
            max_age: 0,
            content_type: content_type.into(),
            body: body.into(),
        }
    }

    #[test]
    fn reads_pep_691_json() {
        let body = r#"{"meta": {"api-version": "1.1"}, "name": "typing-extensions", "files": [
            {"filename": "typing_extensions-4.16.0-py3-none-any.whl", "url": "https://files.example/t.whl",
             "hashes": {"sha256": "ABCD"}, "requires-python": ">=3.9", "yanked": false},
            {"filename": "typing_extensions-4.0.0.tar.gz", "url": "../../t.tar.gz", "hashes": {}, "yanked": "broken"}]}"#;
        let files = parse_page(&page("application/vnd.pypi.simple.v1+json", body)).unwrap();
        assert_eq!(files[0].sha256.as_deref(), Some("abcd"));
        assert_eq!(files[0].requires_python.as_ref().map(ToString::to_string).as_deref(), Some(">=3.9"));
        assert!(!files[0].yanked && files[1].yanked);
        assert_eq!(files[1].location.to_string(), "https://example.org/t.tar.gz", "relative to the page");
    }

    #[test]
    fn reads_pep_503_html() {
        let body = r#"<html><body>
            <a href="../../files/typing_extensions-4.16.0-py3-none-any.whl#sha256=abcd" data-requires-python="&gt;=3.9">t</a>
            <a href="https://files.example/typing_extensions-4.1.0-py3-none-any.whl" data-yanked="">y</a>
            </body></html>"#;
        let files = parse_page(&page("text/html", body)).unwrap();
        assert_eq!(files.len(), 2);
        assert_eq!(files[0].filename, "typing_extensions-4.16.0-py3-none-any.whl");
        assert_eq!(
            files[0].location.to_string(),
            "https://example.org/files/typing_extensions-4.16.0-py3-none-any.whl"
        );
        assert_eq!(files[0].sha256.as_deref(), Some("abcd"));
        assert_eq!(files[0].requires_python.as_ref().map(ToString::to_string).as_deref(), Some(">=3.9"));
        assert!(files[1].yanked);
        assert!(parse_page(&page("image/png", "x")).is_err());
    }

    #[test]
    fn links_are_http_and_carry_no_credentials() {
        let body = r#"{"files": [
            {"filename": "a-1-py3-none-any.whl", "url": "x:/a-1-py3-none-any.whl", "hashes": {}},
            {"filename": "b-1-py3-none-any.whl", "url": "file:///etc/passwd", "hashes": {}},
            {"filename": "c-1-py3-none-any.whl", "url": "https://u:SECRET@files.example/c.whl#sha256=x", "hashes": {}}]}"#;
        let files = parse_page(&page("application/vnd.pypi.simple.v1+json", body)).unwrap();
        assert_eq!(files.len(), 1, "only the http(s) link: {files:?}");
        assert_eq!(files[0].location.to_string(), "https://files.example/c.whl");
    }
}
