//! Helpers shared by the integration tests: running the built binary, finding fixtures and the
//! cache of third-party files that `testdata/fetch.sh` fills.
#![allow(dead_code)] // each test crate uses its own subset

use std::path::{Path, PathBuf};
use std::process::{Command, Output};

/// The repository's testdata folder.
pub fn testdata(rel: &str) -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR")).join("testdata").join(rel)
}

/// A committed fixture wheel by file name.
pub fn fixture(name: &str) -> PathBuf {
    let path = testdata("wheels").join(name);
    assert!(path.is_file(), "missing fixture {}", path.display());
    path
}

/// The folder `testdata/fetch.sh` downloads into.
pub fn cache_dir() -> PathBuf {
    std::env::var_os("WASMWHEEL_CACHE").map(PathBuf::from).unwrap_or_else(|| testdata("cache"))
}

/// A file from the cache, or `None` (with a note on stderr) when the cache lacks it.
///
/// With `WASMWHEEL_REQUIRE_CACHE=1` (set by `.ci/run`), a missing file fails the test instead,
/// so CI can never pass by skipping.
pub fn cached(rel: &str) -> Option<PathBuf> {
    let path = cache_dir().join(rel);
    if path.exists() {
        return Some(path);
    }
    let hint = "run testdata/fetch.sh to download it";
    if std::env::var_os("WASMWHEEL_REQUIRE_CACHE").is_some() {
        panic!("{} is missing from the cache; {hint}", path.display());
    }
    eprintln!("SKIPPED: {} is not in the cache; {hint}", path.display());
    None
}

/// A program on PATH, or `None` (with a note) when absent; required under `.ci/run`.
pub fn tool(name: &str) -> Option<PathBuf> {
    let found = std::env::var_os("PATH")
        .and_then(|paths| std::env::split_paths(&paths).map(|d| d.join(name)).find(|p| p.is_file()));
    if found.is_none() {
        if std::env::var_os("WASMWHEEL_REQUIRE_CACHE").is_some() {
            panic!("{name} is not installed; .ci/run installs it");
        }
        eprintln!("SKIPPED: {name} is not installed");
    }
    found
}

/// Runs `wasmwheel` with `args`.
pub fn wasmwheel<I, S>(args: I) -> Output
where
    I: IntoIterator<Item = S>,
    S: AsRef<std::ffi::OsStr>,
{
    Command::new(env!("CARGO_BIN_EXE_wasmwheel")).args(args).output().expect("run wasmwheel")
}

/// Runs `wasmwheel` and parses its JSON output.
pub fn wasmwheel_json<I, S>(args: I) -> (i32, serde_json::Value)
where
    I: IntoIterator<Item = S>,
    S: AsRef<std::ffi::OsStr>,
{
    let out = wasmwheel(args);
    let json = serde_json::from_slice(&out.stdout).unwrap_or_else(|e| {
        panic!(
            "not JSON ({e}): {}\nstderr: {}",
            String::from_utf8_lossy(&out.stdout),
            String::from_utf8_lossy(&out.stderr)
        )
    });
    (out.status.code().unwrap_or(-1), json)
}

/// stderr as text.
pub fn stderr(out: &Output) -> String {
    String::from_utf8_lossy(&out.stderr).into_owned()
}
