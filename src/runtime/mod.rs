//! Where wheels run: the one interface `test`, `audit --confirm` and `pack` use to load wheels
//! in a real runtime, whatever the runtime is. Today that is Pyodide under Node.js
//! ([`node`]); a job ([`protocol::Job`]) says which release ([`pyodide`]), which packages,
//! what to import and run, and the runtime answers with a [`protocol::Outcome`].
//!
//! Nothing here runs for `show`, `audit`, `check`, `repair` or `tags`.

pub mod chromium;
pub mod node;
pub mod path;
pub mod pool;
pub mod process;
pub mod protocol;
pub mod session;
pub mod snapshot;
pub mod wasi;

use std::path::{Path, PathBuf};
use std::sync::Arc;
use std::time::Duration;

use rayon::prelude::*;

use crate::http::Client;
use crate::release::{PyodideError, Release, ReleaseSpec, Sources};
use chromium::{Chromium, ChromiumError};
use node::{Node, NodeError};
use protocol::{Job, Outcome};
use wasi::{Wasi, WasiError};

/// A runtime that runs jobs: a program wasmwheel drives, with the driver protocol. The real
/// ones are Node ([`Node`]), headless Chromium ([`Chromium`]) and the WASI host ([`Wasi`]); a
/// test may give its own ([`Runtime::from_hosts`]).
pub trait Host: Send + Sync + std::fmt::Debug {
    /// Its name in reports (`node`).
    fn name(&self) -> &'static str;

    /// Runs one job; stops it after `timeout`. An `Err` is the runtime's failure (it could
    /// not start, crashed, broke the protocol, ran too long), never a verdict on the wheels.
    fn run(&self, job: &Job, timeout: Duration) -> Result<Outcome, RuntimeError>;

    /// A session serving jobs of `release` one after the other, each in a fresh interpreter.
    /// A host without sessions runs each job in a process of its own.
    fn session<'a>(
        &'a self,
        release: &Release,
        cx: &session::SessionContext,
    ) -> Result<Box<dyn session::Session + 'a>, RuntimeError> {
        let _ = (release, cx);
        Ok(Box::new(session::PerJob(self)))
    }

    /// Runs a bundle `pack` wrote as its users do (Node: its `run.mjs`; a browser: its
    /// `index.html`): how its entry ended and what it printed. A host that cannot says so.
    fn run_bundle(&self, bundle: &Bundle<'_>, timeout: Duration) -> Result<BundleOutcome, RuntimeError> {
        let _ = (bundle, timeout);
        Err(RuntimeError::Unsupported { host: self.name(), what: "bundles" })
    }
}

/// A bundle to run: its folder, the release it is for, and the URLs outside it a page may
/// fetch, each answered from a local file (the CDN it names).
#[derive(Clone, Copy, Debug)]
pub struct Bundle<'a> {
    /// The bundle's folder (`run.mjs`, `index.html`, the lock and the wheels).
    pub dir: &'a Path,
    /// The release it runs on.
    pub release: &'a Release,
    /// URLs answered from local files.
    pub intercept: &'a [(String, PathBuf)],
}

/// How a bundle's entry ended.
#[derive(Clone, Debug, PartialEq, Eq)]
#[non_exhaustive]
pub struct BundleOutcome {
    /// Its exit status; `None` when it did not get to run.
    pub exit: Option<i32>,
    /// What it printed.
    pub stdout: String,
    /// What it said went wrong: its stderr, or the page's error.
    pub stderr: String,
}

impl BundleOutcome {
    /// An outcome.
    pub fn new(exit: Option<i32>, stdout: String, stderr: String) -> BundleOutcome {
        BundleOutcome { exit, stdout, stderr }
    }
}

impl Host for Chromium {
    fn name(&self) -> &'static str {
        "chromium"
    }

    fn run(&self, job: &Job, timeout: Duration) -> Result<Outcome, RuntimeError> {
        Chromium::run(self, job, timeout).map_err(RuntimeError::Chromium)
    }

    fn session<'a>(
        &'a self,
        release: &Release,
        cx: &session::SessionContext,
    ) -> Result<Box<dyn session::Session + 'a>, RuntimeError> {
        Ok(Box::new(Chromium::session(self, release, cx)?))
    }

    fn run_bundle(&self, bundle: &Bundle<'_>, timeout: Duration) -> Result<BundleOutcome, RuntimeError> {
        let page = self.open_page(bundle.dir, bundle.intercept, timeout)?;
        Ok(BundleOutcome { exit: page.exit, stdout: page.stdout, stderr: page.error.unwrap_or_default() })
    }
}

impl Host for Wasi {
    fn name(&self) -> &'static str {
        "wasmtime"
    }

    fn run(&self, job: &Job, timeout: Duration) -> Result<Outcome, RuntimeError> {
        Wasi::run(self, job, timeout).map_err(RuntimeError::Wasi)
    }
}

impl Host for Node {
    fn name(&self) -> &'static str {
        "node"
    }

    fn run(&self, job: &Job, timeout: Duration) -> Result<Outcome, RuntimeError> {
        Node::run(self, job, timeout).map_err(RuntimeError::Node)
    }

    fn session<'a>(
        &'a self,
        release: &Release,
        cx: &session::SessionContext,
    ) -> Result<Box<dyn session::Session + 'a>, RuntimeError> {
        Ok(Box::new(Node::session(self, release, cx)?))
    }

    fn run_bundle(&self, bundle: &Bundle<'_>, timeout: Duration) -> Result<BundleOutcome, RuntimeError> {
        let run = bundle.dir.join("run.mjs");
        let ran = self.run_script(&[run.as_os_str(), bundle.release.dir.as_os_str()], timeout)?;
        Ok(BundleOutcome { exit: ran.status.code(), stdout: ran.stdout, stderr: ran.stderr })
    }
}

/// Why a runtime could not run a job.
#[derive(Debug, thiserror::Error)]
#[non_exhaustive]
pub enum RuntimeError {
    /// Node.js is missing, too old, or failed.
    #[error(transparent)]
    Node(#[from] NodeError),
    /// Chromium is missing, or failed.
    #[error(transparent)]
    Chromium(#[from] ChromiumError),
    /// The WASI host cannot be had, or failed.
    #[error(transparent)]
    Wasi(#[from] WasiError),
    /// A session (one process serving many jobs) failed.
    #[error(transparent)]
    Session(#[from] session::SessionError),
    /// The cache cannot be used.
    #[error("cache")]
    Cache(#[source] PyodideError),
    /// A release that cannot be had or used.
    #[error("{spec}")]
    Release {
        /// The release, as named.
        spec: ReleaseSpec,
        /// Why.
        #[source]
        source: PyodideError,
    },
    /// A host asked for something it does not do.
    #[error("{host} does not run {what}")]
    Unsupported {
        /// The host.
        host: &'static str,
        /// What it was asked to run.
        what: &'static str,
    },
}

/// Where jobs run.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
#[non_exhaustive]
pub enum Place {
    /// Pyodide under Node.js.
    #[default]
    Node,
    /// Pyodide in a page of headless Chromium.
    Chromium,
    /// A WASI host: componentize-py and wasmtime.
    Wasi,
}

/// The hosts a runtime is made of.
#[derive(Clone, Debug, Default)]
#[non_exhaustive]
pub struct Hosts {
    /// Where Pyodide jobs run.
    pub pyodide: Option<Arc<dyn Host>>,
    /// Where WASI jobs run.
    pub wasi: Option<Arc<dyn Host>>,
    /// Where bundles are run to verify them, with the place each stands for.
    pub bundles: Vec<(Place, Arc<dyn Host>)>,
    /// Places asked for that this machine lacks, and why (a bundle verified without them).
    pub missing: Vec<(Place, String)>,
}

/// What loading wheels needs: the hosts asked for, where releases come from, a time limit.
#[derive(Clone, Debug)]
pub struct Runtime {
    hosts: Hosts,
    /// Where releases come from: the cache and the registry.
    pub sources: Sources,
    /// How long one job may run.
    pub timeout: Duration,
    /// Run every job in a process of its own (`--isolate`), not in a session.
    pub isolate: bool,
    /// How many sessions run at once; `None`: as many as the cores, at most four.
    pub workers: Option<usize>,
    /// Where the lines of jobs that stream their output go.
    pub progress: crate::progress::Progress,
}

impl Runtime {
    /// A runtime of `hosts` (a test's own, or those [`Runtime::with`] found).
    pub fn from_hosts(hosts: Hosts, sources: Sources, timeout: Duration) -> Runtime {
        Runtime { hosts, sources, timeout, isolate: false, workers: None, progress: crate::progress::Progress::none() }
    }

    /// Node on PATH (looked for first: without it nothing can run), the user's cache, and the
    /// registry; `offline` forbids fetching.
    pub fn new(offline: bool, timeout: Duration) -> Result<Runtime, RuntimeError> {
        Runtime::at(Place::Node, offline, timeout, Client::default())
    }

    /// A runtime that runs jobs in `place` (Chromium needs Node too: it drives the browser).
    pub fn at(place: Place, offline: bool, timeout: Duration, client: Client) -> Result<Runtime, RuntimeError> {
        Runtime::with(&[place], offline, timeout, client)
    }

    /// A runtime with each of `places`: Pyodide jobs run in Chromium when it is among them,
    /// else under Node; WASI jobs in the WASI host. What a place needs is looked for first.
    /// Releases and the browser's driver are fetched through `client`.
    pub fn with(places: &[Place], offline: bool, timeout: Duration, client: Client) -> Result<Runtime, RuntimeError> {
        let pyodide = places.iter().any(|p| matches!(p, Place::Node | Place::Chromium));
        let node = if pyodide { Some(Node::find()?) } else { None };
        let sources = Sources::from_env(offline, client).map_err(RuntimeError::Cache)?;
        let mut hosts = Hosts::default();
        if let Some(node) = &node {
            let chromium = places.contains(&Place::Chromium);
            hosts.pyodide = Some(if chromium {
                Arc::new(Chromium::new(node.clone(), &sources.cache, &sources.registry, offline)?)
            } else {
                Arc::new(node.clone())
            });
        }
        if places.contains(&Place::Wasi) {
            hosts.wasi = Some(Arc::new(Wasi::new(&sources.cache, offline)?));
        }
        Ok(Runtime::from_hosts(hosts, sources, timeout))
    }

    /// A runtime for `pack`: the trace under Node, and a bundle host for each of `verify`
    /// (Chromium only where it is installed: without it, [`Runtime::missing`] says so).
    pub fn for_pack(
        verify: &[Place],
        offline: bool,
        timeout: Duration,
        client: Client,
    ) -> Result<Runtime, RuntimeError> {
        let node = Node::find()?;
        let sources = Sources::from_env(offline, client).map_err(RuntimeError::Cache)?;
        let mut hosts = Hosts { pyodide: Some(Arc::new(node.clone())), ..Hosts::default() };
        for place in verify {
            match place {
                Place::Node => hosts.bundles.push((Place::Node, Arc::new(node.clone()))),
                Place::Chromium => match Chromium::new(node.clone(), &sources.cache, &sources.registry, offline) {
                    Ok(chromium) => hosts.bundles.push((Place::Chromium, Arc::new(chromium))),
                    Err(e @ ChromiumError::Missing) => hosts.missing.push((Place::Chromium, e.to_string())),
                    Err(e) => return Err(e.into()),
                },
                Place::Wasi => hosts.missing.push((Place::Wasi, "a WASI host does not run bundles".into())),
            }
        }
        Ok(Runtime::from_hosts(hosts, sources, timeout))
    }

    /// The host Pyodide jobs run in.
    pub fn host(&self) -> &dyn Host {
        match (&self.hosts.pyodide, &self.hosts.wasi) {
            (Some(host), _) | (None, Some(host)) => host.as_ref(),
            (None, None) => &NoHost,
        }
    }

    /// The WASI host, when it was asked for.
    pub fn wasi(&self) -> Option<&dyn Host> {
        self.hosts.wasi.as_deref()
    }

    /// The hosts bundles are verified in, in order.
    pub fn bundle_hosts(&self) -> impl Iterator<Item = (Place, &dyn Host)> {
        self.hosts.bundles.iter().map(|(place, host)| (*place, host.as_ref()))
    }

    /// Places asked for that this machine lacks, and why.
    pub fn missing(&self) -> &[(Place, String)] {
        &self.hosts.missing
    }

    /// Each release of `specs`, fetched into the cache if need be, in order.
    pub fn releases(&self, specs: &[ReleaseSpec]) -> Result<Vec<Release>, RuntimeError> {
        specs.iter().map(|spec| self.release(spec)).collect()
    }

    /// The release `spec` names, fetched into the cache if need be.
    pub fn release(&self, spec: &ReleaseSpec) -> Result<Release, RuntimeError> {
        self.sources.get(spec).map_err(|source| RuntimeError::Release { spec: spec.clone(), source })
    }

    /// Runs each job in the Pyodide host, in a session of its release (a fresh interpreter
    /// per job, a few sessions at once; see [`pool`]), or with `isolate` each in a process
    /// of its own; outcomes in order. A job the runtime could not finish (it did not start,
    /// crashed, timed out, broke the protocol) is the runtime's error, not an outcome.
    pub fn run(&self, work: &[pool::Work<'_>]) -> Vec<Result<Outcome, RuntimeError>> {
        let several = work.iter().any(|w| w.release.dir != work[0].release.dir);
        if self.isolate {
            let jobs: Vec<Job> = work.iter().map(|w| w.job.clone()).collect();
            let outcomes = self.run_on(self.host(), &jobs);
            self.replay(work, &outcomes, several);
            return outcomes;
        }
        let cx = session::SessionContext {
            timeout: self.timeout,
            snapshots: Some(snapshot::Snapshots::new(&self.sources.cache)),
            workers: self.workers,
            progress: self.progress.clone(),
            label_lines: several,
        };
        pool::run(self.host(), work, &cx)
    }

    /// Without sessions nothing streams: what each streaming job's pytest printed goes where
    /// streamed lines go once the job has ended.
    fn replay(&self, work: &[pool::Work<'_>], outcomes: &[Result<Outcome, RuntimeError>], several: bool) {
        for (w, outcome) in work.iter().zip(outcomes) {
            let Ok(Outcome { pytest: Some(pytest), .. }) = outcome else { continue };
            let source = if several { w.release.version.as_str() } else { "" };
            for line in pytest.output.lines().filter(|_| w.job.stream) {
                self.progress.report(crate::progress::Event::Output { source, stream: "stdout", line });
            }
        }
    }

    /// Runs the jobs in `host`, a few at a time (each is a whole Pyodide, or component), in
    /// order. A job the runtime could not finish (it did not start, crashed, timed out, broke
    /// the protocol) is the runtime's error, not an outcome.
    pub fn run_on(&self, host: &dyn Host, jobs: &[Job]) -> Vec<Result<Outcome, RuntimeError>> {
        let run = |job: &Job| host.run(job, self.timeout);
        let threads = std::thread::available_parallelism().map_or(2, |n| n.get()).min(4);
        match rayon::ThreadPoolBuilder::new().num_threads(threads).build() {
            Ok(pool) => pool.install(|| jobs.par_iter().map(run).collect()),
            Err(_) => jobs.iter().map(run).collect(),
        }
    }
}

/// The host of a runtime asked for nothing: every job is refused.
#[derive(Debug)]
struct NoHost;

impl Host for NoHost {
    fn name(&self) -> &'static str {
        "none"
    }

    fn run(&self, _: &Job, _: Duration) -> Result<Outcome, RuntimeError> {
        Err(RuntimeError::Node(NodeError::Missing))
    }
}
