//! wasmwheel's integration tests: one binary (linked once), a module per area. Each runs the
//! built `wasmwheel` on real inputs: the fixtures of `testdata/`, the pinned PyPI wheels and
//! Pyodide releases of `testdata/external.lock`, real Node, real HTTP on 127.0.0.1. Tests that
//! need a download or a tool are `#[ignore = "needs ..."]`; CI runs them too.

mod common;

mod agreement;
mod audit;
mod browser;
mod check;
mod ci;
mod fake;
mod hostile;
mod index;
mod layout;
mod loading;
mod lock;
mod lockfile;
mod output;
mod pack;
mod policy;
mod protocol;
mod pytest;
mod realworld;
mod repair;
mod resolve;
mod schema;
mod show;
mod tags;
mod variants;
mod wasi;
