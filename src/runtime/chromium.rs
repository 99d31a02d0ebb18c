//! Headless Chromium as a runtime: the system's browser (Debian's `chromium`, found on PATH,
//! never downloaded), driven over the DevTools protocol by playwright-core (a dependency-free
//! npm package, pinned, fetched from the npm registry, checked against its integrity and
//! cached like a Pyodide release) under Node. The job runs in a page served from 127.0.0.1
//! (`browser.js`), through the same driver as under Node (`driver.js`).

use std::path::{Path, PathBuf};
use std::time::Duration;

use super::node::{Node, NodeError};
use super::process::Ran;
use super::protocol::{self, Job, Outcome, ProtocolError};
use super::session::{ProcessSession, SessionContext, SessionError, SessionStart};
use crate::cache::Cache;
use crate::npm::{self, NpmError, Registry};
use crate::release::Release;

/// The playwright-core that drives the browser.
pub const PLAYWRIGHT_VERSION: &str = "1.65.1";

/// The browser driver, run under Node.
const BROWSER: &str = include_str!("browser.js");
/// The driver the page runs.
const DRIVER: &str = include_str!("driver.js");

/// Why Chromium cannot run a job.
#[derive(Debug, thiserror::Error)]
#[non_exhaustive]
pub enum ChromiumError {
    /// No browser on PATH.
    #[error("chromium is not on PATH: wasmwheel runs wheels in the system's Chromium (apt-get install chromium)")]
    Missing,
    /// playwright-core cannot be had.
    #[error("playwright-core {PLAYWRIGHT_VERSION}, which drives the browser")]
    Playwright(#[source] NpmError),
    /// Node failed.
    #[error(transparent)]
    Node(#[from] NodeError),
    /// The browser driver's answer cannot be used.
    #[error("in Chromium")]
    Protocol(#[source] ProtocolError),
}

/// What a bundle's page showed.
#[derive(Clone, Debug, serde::Deserialize)]
#[non_exhaustive]
pub struct PageOutcome {
    /// The entry's exit status; `None` when the page failed before it ran.
    pub exit: Option<i32>,
    /// What it printed.
    pub stdout: String,
    /// Why the page failed, if it did.
    pub error: Option<String>,
}

/// The system's Chromium, with what drives it.
#[derive(Clone, Debug)]
pub struct Chromium {
    executable: PathBuf,
    node: Node,
    playwright: PathBuf,
}

/// `chromium` on PATH (or `$WASMWHEEL_CHROMIUM`). Debian's `/usr/bin/chromium` is a wrapper
/// script that adds flags and prints to stderr: the binary it runs is used instead.
pub fn find_executable() -> Option<PathBuf> {
    if let Some(path) = std::env::var_os("WASMWHEEL_CHROMIUM").filter(|v| !v.is_empty()) {
        return Some(PathBuf::from(path));
    }
    let found = super::path::find(&["chromium", "chromium-browser"])?;
    let real = Path::new("/usr/lib/chromium/chromium");
    if found.starts_with("/usr/bin") && real.is_file() { Some(real.to_path_buf()) } else { Some(found) }
}

impl Chromium {
    /// The system's Chromium and playwright-core (fetched into `cache` unless `offline`).
    pub fn new(node: Node, cache: &Cache, registry: &Registry, offline: bool) -> Result<Chromium, ChromiumError> {
        let executable = find_executable().ok_or(ChromiumError::Missing)?;
        let dir = cache.root().join("npm").join("playwright-core").join(PLAYWRIGHT_VERSION);
        npm::store::ensure(registry, "playwright-core", PLAYWRIGHT_VERSION, &dir, offline)
            .map_err(ChromiumError::Playwright)?;
        Ok(Chromium { executable, node, playwright: dir })
    }

    /// The browser binary.
    pub fn executable(&self) -> &Path {
        &self.executable
    }

    /// Runs the browser driver on `job` (JSON) with `page` (a bundle to open instead, or
    /// none); the driver gives up a little before Node is stopped, closing the browser.
    fn drive(&self, job: &str, page: Option<Page<'_>>, timeout: Duration) -> Result<Ran, ChromiumError> {
        let inner = timeout.saturating_sub(Duration::from_secs(5)).max(Duration::from_secs(1));
        let driver = if page.is_some() { String::new() } else { protocol::embed(DRIVER) };
        let config = serde_json::to_string(&self.config(&driver, inner, page)).map_err(NodeError::Job)?;
        let input = format!("{{\"job\":{job},\"browser\":{config}}}");
        let browser = protocol::embed(BROWSER);
        Ok(self.node.run_with_input(&["-e".as_ref(), browser.as_ref()], input.as_bytes(), timeout)?)
    }

    /// Opens the `index.html` of the bundle in `dir` (served from 127.0.0.1) and waits for it
    /// to finish; each URL of `intercept` is answered from its file (the CDN the page fetches
    /// Pyodide and the release's packages from), any other outside URL refused.
    pub fn open_page(
        &self,
        dir: &Path,
        intercept: &[(String, PathBuf)],
        timeout: Duration,
    ) -> Result<PageOutcome, ChromiumError> {
        let ran = self.drive("{}", Some(Page { dir, intercept }), timeout)?;
        #[derive(serde::Deserialize)]
        struct Answer {
            page: PageOutcome,
        }
        let answer = ran.stdout.rsplit_once('\u{1e}').map(|(_, a)| a.trim()).unwrap_or_default();
        serde_json::from_str::<Answer>(answer).map(|a| a.page).map_err(|_| no_result(&ran))
    }

    /// A session serving jobs of `release`: one browser and one page, each job in a fresh
    /// Pyodide restored from a snapshot the page takes once (kept in the page).
    pub fn session(&self, release: &Release, cx: &SessionContext) -> Result<ProcessSession, SessionError> {
        let driver = protocol::embed(DRIVER);
        let config = self.config(&driver, cx.timeout, None);
        let mut extra = serde_json::Map::new();
        extra.insert("browser".into(), serde_json::to_value(&config).map_err(SessionError::Job)?);
        let start = SessionStart {
            release: release.dir.clone(),
            snapshot: None,
            make_snapshot: true,
            extra,
            label: cx.label(release),
            progress: cx.progress.clone(),
        };
        let browser = protocol::embed(BROWSER);
        self.node.start_session(&["-e".as_ref(), browser.as_ref()], &start, cx.timeout)
    }

    /// What the browser driver is told: the browser, playwright, the Python driver, its time
    /// limit, and the bundle to open instead, if any.
    fn config<'a>(&'a self, driver: &'a str, timeout: Duration, page: Option<Page<'a>>) -> BrowserConfig<'a> {
        BrowserConfig {
            executable: &self.executable,
            playwright: &self.playwright,
            driver,
            timeout_ms: timeout.as_millis(),
            page,
        }
    }

    /// Runs `job` in a page; stops after `timeout`.
    pub fn run(&self, job: &Job, timeout: Duration) -> Result<Outcome, ChromiumError> {
        let job = protocol::job_json(job).map_err(NodeError::Job)?;
        let ran = self.drive(&job, None, timeout)?;
        match protocol::parse_answer(&ran.stdout) {
            Err(ProtocolError::NoResult) => Err(no_result(&ran)),
            other => other.map_err(ChromiumError::Protocol),
        }
    }
}

/// What the browser driver (browser.js) reads beside the job.
#[derive(serde::Serialize)]
struct BrowserConfig<'a> {
    executable: &'a Path,
    playwright: &'a Path,
    driver: &'a str,
    timeout_ms: u128,
    #[serde(skip_serializing_if = "Option::is_none")]
    page: Option<Page<'a>>,
}

/// A bundle for the browser driver to open.
#[derive(serde::Serialize)]
struct Page<'a> {
    dir: &'a Path,
    intercept: &'a [(String, PathBuf)],
}

/// Node ended without an answer.
fn no_result(ran: &Ran) -> ChromiumError {
    ChromiumError::Node(NodeError::NoResult { status: ran.status.to_string(), stderr: ran.last_error_line() })
}
