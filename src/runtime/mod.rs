//! Where wheels run: the one interface `test`, `audit --confirm` and `pack` use to load wheels
//! in a real runtime, whatever the runtime is. Today that is Pyodide under Node.js
//! ([`node`]); a job ([`protocol::Job`]) says which release ([`pyodide`]), which packages,
//! what to import and run, and the runtime answers with a [`protocol::Outcome`].
//!
//! Nothing here runs for `show`, `audit`, `check`, `repair` or `tags`.

pub mod chromium;
pub mod node;
pub mod process;
pub mod protocol;
pub mod wasi;

use std::time::Duration;

use rayon::prelude::*;

use crate::http::Client;
use crate::release::{PyodideError, Release, ReleaseSpec, Sources};
use chromium::{Chromium, ChromiumError};
use node::{Node, NodeError};
use protocol::{Job, Outcome};
use wasi::{Wasi, WasiError};

/// A runtime that runs jobs: a program wasmwheel drives, with the driver protocol.
pub trait Host: Send + Sync + std::fmt::Debug {
    /// Its name in reports (`node`).
    fn name(&self) -> &'static str;

    /// Runs one job; stops it after `timeout`. An `Err` is the runtime's failure (it could
    /// not start, crashed, broke the protocol, ran too long), never a verdict on the wheels.
    fn run(&self, job: &Job, timeout: Duration) -> Result<Outcome, RuntimeError>;
}

impl Host for Chromium {
    fn name(&self) -> &'static str {
        "chromium"
    }

    fn run(&self, job: &Job, timeout: Duration) -> Result<Outcome, RuntimeError> {
        Chromium::run(self, job, timeout).map_err(RuntimeError::Chromium)
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

/// What loading wheels needs: the runtimes asked for, where releases come from, a time limit.
#[derive(Clone, Debug)]
pub struct Runtime {
    node: Option<Node>,
    chromium: Option<Chromium>,
    wasi: Option<Wasi>,
    /// Where releases come from: the cache and the registry.
    pub sources: Sources,
    /// How long one job may run.
    pub timeout: Duration,
}

impl Runtime {
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
        let chromium = match (&node, places.contains(&Place::Chromium)) {
            (Some(node), true) => Some(Chromium::new(node.clone(), &sources.cache, &sources.registry, offline)?),
            _ => None,
        };
        let wasi = if places.contains(&Place::Wasi) { Some(Wasi::new(&sources.cache, offline)?) } else { None };
        Ok(Runtime { node, chromium, wasi, sources, timeout })
    }

    /// Chromium, when Pyodide jobs run there.
    pub fn chromium(&self) -> Option<&Chromium> {
        self.chromium.as_ref()
    }

    /// Node.js, for what runs a script of its own (a bundle's `run.mjs`).
    pub fn node(&self) -> Result<&Node, RuntimeError> {
        self.node.as_ref().ok_or(RuntimeError::Node(NodeError::Missing))
    }

    /// The host Pyodide jobs run in.
    pub fn host(&self) -> &dyn Host {
        match (&self.chromium, &self.node, &self.wasi) {
            (Some(chromium), _, _) => chromium,
            (None, Some(node), _) => node,
            (None, None, Some(wasi)) => wasi,
            (None, None, None) => &NoHost,
        }
    }

    /// The WASI host, when it was asked for.
    pub fn wasi(&self) -> Option<&dyn Host> {
        self.wasi.as_ref().map(|w| w as &dyn Host)
    }

    /// Each release of `specs`, fetched into the cache if need be, in order.
    pub fn releases(&self, specs: &[ReleaseSpec]) -> Result<Vec<Release>, RuntimeError> {
        specs.iter().map(|spec| self.release(spec)).collect()
    }

    /// The release `spec` names, fetched into the cache if need be.
    pub fn release(&self, spec: &ReleaseSpec) -> Result<Release, RuntimeError> {
        self.sources.get(spec).map_err(|source| RuntimeError::Release { spec: spec.clone(), source })
    }

    /// Runs the jobs in the Pyodide host: see [`Runtime::run_on`].
    pub fn run(&self, jobs: &[Job]) -> Vec<Result<Outcome, RuntimeError>> {
        self.run_on(self.host(), jobs)
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
