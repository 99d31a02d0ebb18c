//! Where wheels run: the one interface `test`, `audit --confirm` and `pack` use to load wheels
//! in a real runtime, whatever the runtime is. Today that is Pyodide under Node.js
//! ([`node`]); a job ([`protocol::Job`]) says which release ([`pyodide`]), which packages,
//! what to import and run, and the runtime answers with a [`protocol::Outcome`].
//!
//! Nothing here runs for `show`, `audit`, `check`, `repair` or `tags`.

pub mod chromium;
pub mod node;
pub mod protocol;
pub mod pyodide;

use std::time::Duration;

use rayon::prelude::*;

use chromium::{Chromium, ChromiumError};
use node::{Node, NodeError};
use protocol::{Job, Outcome};
use pyodide::{PyodideError, Release, ReleaseSpec, Sources};

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
}

/// What loading wheels needs: a runtime, where releases come from, a time limit.
#[derive(Clone, Debug)]
pub struct Runtime {
    node: Node,
    chromium: Option<Chromium>,
    /// Where releases come from: the cache and the registry.
    pub sources: Sources,
    /// How long one job may run.
    pub timeout: Duration,
}

impl Runtime {
    /// Node on PATH (looked for first: without it nothing can run), the user's cache, and the
    /// registry; `offline` forbids fetching.
    pub fn new(offline: bool, timeout: Duration) -> Result<Runtime, RuntimeError> {
        Runtime::at(Place::Node, offline, timeout)
    }

    /// A runtime that runs jobs in `place` (Chromium needs Node too: it drives the browser).
    pub fn at(place: Place, offline: bool, timeout: Duration) -> Result<Runtime, RuntimeError> {
        let node = Node::find()?;
        let sources = Sources::from_env(offline).map_err(RuntimeError::Cache)?;
        let chromium = match place {
            Place::Node => None,
            Place::Chromium => Some(Chromium::new(node.clone(), &sources.cache, &sources.registry, offline)?),
        };
        Ok(Runtime { node, chromium, sources, timeout })
    }

    /// Chromium, when jobs run there.
    pub fn chromium(&self) -> Option<&Chromium> {
        self.chromium.as_ref()
    }

    /// Node.js, for what runs a script of its own (a bundle's `run.mjs`).
    pub fn node(&self) -> &Node {
        &self.node
    }

    /// The host jobs run in.
    pub fn host(&self) -> &dyn Host {
        match &self.chromium {
            Some(chromium) => chromium,
            None => &self.node,
        }
    }

    /// Each release of `specs`, fetched into the cache if need be, in order.
    pub fn releases(&self, specs: &[ReleaseSpec]) -> Result<Vec<Release>, RuntimeError> {
        specs
            .iter()
            .map(|spec| self.sources.get(spec).map_err(|source| RuntimeError::Release { spec: spec.clone(), source }))
            .collect()
    }

    /// Runs the jobs, a few at a time (each is a whole Pyodide), in order. A job the runtime
    /// could not finish (it did not start, crashed, timed out, broke the protocol) is the
    /// runtime's error, not an outcome.
    pub fn run(&self, jobs: &[Job]) -> Vec<Result<Outcome, RuntimeError>> {
        let host = self.host();
        let run = |job: &Job| host.run(job, self.timeout);
        let threads = std::thread::available_parallelism().map_or(2, |n| n.get()).min(4);
        match rayon::ThreadPoolBuilder::new().num_threads(threads).build() {
            Ok(pool) => pool.install(|| jobs.par_iter().map(run).collect()),
            Err(_) => jobs.iter().map(run).collect(),
        }
    }
}
