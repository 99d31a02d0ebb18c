//! Command-line flags: every flag is documented here, in one place; flags several commands
//! share are one struct each, flattened. `run.rs` hands each command to its one library
//! function and renders what it returns; `output.rs` is where they write.

mod run;
mod terminal;

use std::path::PathBuf;

use clap::{Parser, Subcommand};

use wasmwheel::PlatformTag;
use wasmwheel::Rule;
use wasmwheel::report::Format;

pub use run::run;

/// Audit, tag and repair Python wheels built for WebAssembly (Emscripten/Pyodide and WASI).
///
/// Exit status: 0 clean, 1 findings, 2 usage or input error.
/// Settings come from `[tool.wasmwheel]` in the nearest pyproject.toml (see docs/config.md),
/// then from flags.
#[derive(Debug, Parser)]
#[command(name = "wasmwheel", version, about, long_about = None)]
pub struct Cli {
    #[command(subcommand)]
    pub(crate) command: Command,
    /// Ignore `[tool.wasmwheel]` in pyproject.toml.
    #[arg(long, global = true)]
    pub(crate) isolated: bool,
}

/// The commands.
#[derive(Debug, Subcommand)]
pub(crate) enum Command {
    /// Show what is in wheels or bare .so/.wasm files: tags, binaries, imports, exports,
    /// dylink.0, build markers.
    Show {
        /// Wheels (.whl) or bare wasm/native binaries.
        #[arg(required = true)]
        files: Vec<PathBuf>,
        #[command(flatten)]
        output: OutputArgs,
        /// In text output, list every import and export.
        #[arg(short, long)]
        verbose: bool,
    },
    /// Audit wheels: on which platforms can every binary load, and why not on the others?
    /// Exit 1 when any error is found.
    Audit {
        /// Wheels to audit (in parallel).
        #[arg(required = true)]
        wheels: Vec<PathBuf>,
        #[command(flatten)]
        audit: AuditArgs,
        /// Then load each wheel in the real Pyodide release of every platform the audit judged,
        /// compatible or not (Node.js needed), with what it requires there, and report any
        /// disagreement (confirm-mismatch).
        #[arg(long)]
        confirm: bool,
        #[command(flatten)]
        runtime: RuntimeArgs,
        #[command(flatten)]
        place: PlaceArgs,
        #[command(flatten)]
        resolve: ResolveArgs,
        #[command(flatten)]
        output: OutputArgs,
    },
    /// Load wheels in real Pyodide under Node: install them together, import their top-level
    /// modules and extension modules, check that every function their side modules import
    /// resolves, run code; with --pytest, run their tests. Exit 1 when anything fails. Needs
    /// Node.js 18 or later.
    Test(TestArgs),
    /// Write a pyodide-lock.json for your own wheels: the release's lock plus one entry per
    /// wheel, each audited for the release's platform, with its Requires-Dist closure checked.
    /// Exit 1 (nothing written) when a wheel is refused.
    Lock(LockArgs),
    /// Pack an app: run ENTRY.py in real Pyodide with the wheels, keep only what it used, lock
    /// the trimmed wheels, and prove the bundle runs the same. Writes an npm package of assets.
    /// Exit 1 (nothing written) when the bundle does not run as the traced run did. With
    /// --runtime, a runtime variant of the wheels for `wasmwheel registry` instead of an app.
    Pack(PackArgs),
    /// Write a registry of runtime variants (`pack --runtime` outputs): a JavaScript-only npm
    /// package of a few KB with no dependencies (ESM, CommonJS, a UMD build for a script tag,
    /// TypeScript types) whose createRuntime(name) makes a Python runtime of any variant at
    /// run time, fetched from a public npm CDN or your own (setCDN).
    Registry {
        /// The variants' folders, the default one first; `NAME=DIR` names one otherwise than
        /// its package.json does.
        #[arg(required = true, value_name = "[NAME=]VARIANT_DIR")]
        variants: Vec<wasmwheel::VariantSource>,
        /// The registry's folder (created; an earlier registry there is replaced).
        #[arg(short = 'o', long = "out-dir", value_name = "DIR")]
        out_dir: PathBuf,
        /// The registry's npm package name.
        #[arg(long, value_name = "NPM_NAME")]
        name: String,
        /// Its npm version.
        #[arg(long = "package-version", value_name = "SEMVER", default_value = "0.1.0")]
        package_version: String,
        #[command(flatten)]
        output: OutputArgs,
    },
    /// Check wheels before upload: everything `audit` reports, plus what PyPI rejects (filename
    /// against METADATA, platform tags, the zip archive, WHEEL, METADATA, RECORD). Exit 1 when
    /// any error is found. Source distributions are skipped.
    Check {
        /// Files to check (in parallel); `.tar.gz` source distributions are skipped.
        #[arg(required = true)]
        files: Vec<PathBuf>,
        #[command(flatten)]
        audit: AuditArgs,
        #[command(flatten)]
        output: OutputArgs,
    },
    /// Repair wheels: vendor the side modules they NEED into `<dist>.libs/` under hash-mangled
    /// names, rewrite NEEDED and RUNTIME_PATH, retag canonically, and write the result to
    /// `-w DIR` only if it passes the audit. For cibuildwheel:
    /// `repair-wheel-command = "wasmwheel repair -w {dest_dir} {wheel}"`.
    Repair(RepairArgs),
    /// Write a copy of a wheel with its tags changed (filename, WHEEL and RECORD), like
    /// `wheel tags`. Each value is `T.U` (replace), `+T.U` (add); `--platform-tag canonical`
    /// rewrites `pyodide_*` as `pyemscripten_*`.
    Tags {
        /// The wheel.
        wheel: PathBuf,
        /// New python tags.
        #[arg(long, value_name = "TAGS", allow_hyphen_values = true)]
        python_tag: Option<String>,
        /// New ABI tags.
        #[arg(long, value_name = "TAGS", allow_hyphen_values = true)]
        abi_tag: Option<String>,
        /// New platform tags, or `canonical`.
        #[arg(long, value_name = "TAGS", allow_hyphen_values = true)]
        platform_tag: Option<String>,
        /// Delete the input wheel once the new one is written.
        #[arg(long)]
        remove: bool,
        /// Folder for the new wheel (default: beside the input).
        #[arg(short = 'w', long = "wheel-dir", value_name = "DIR")]
        wheel_dir: Option<PathBuf>,
    },
    /// Platform policies: list them, show one, or generate one from a Pyodide release.
    Policy {
        /// What to do with them.
        #[command(subcommand)]
        command: PolicyCommand,
    },
}

/// Flags of `repair`.
#[derive(Debug, clap::Args)]
pub(crate) struct RepairArgs {
    /// Wheels to repair (in parallel).
    #[arg(required = true)]
    wheels: Vec<PathBuf>,
    /// Folder to write repaired wheels to.
    #[arg(short = 'w', long = "wheel-dir", value_name = "DIR", default_value = "wheelhouse")]
    wheel_dir: PathBuf,
    /// Folder to find NEEDED libraries in; repeatable, searched in order, then
    /// WASMWHEEL_LIBRARY_PATH (`:`-separated).
    #[arg(short = 'L', long = "lib-dir", value_name = "DIR")]
    lib_dirs: Vec<PathBuf>,
    /// Tag for this platform instead of the wheel's own (an error if the binaries cannot
    /// satisfy it).
    #[arg(long = "plat", value_name = "TAG")]
    platform: Option<PlatformTag>,
    /// Leave NEEDED libraries matching this glob alone; repeatable.
    #[arg(long = "exclude", value_name = "GLOB")]
    exclude: Vec<String>,
    /// Drop debug information and name sections from every wasm module.
    #[arg(long)]
    strip: bool,
    /// Ignore a rule when auditing the repaired wheel; repeatable.
    #[arg(long = "ignore", value_name = "RULE")]
    ignore: Vec<Rule>,
    #[command(flatten)]
    policies: PolicyArgs,
    #[command(flatten)]
    output: OutputArgs,
}

/// Flags of `test`.
#[derive(Debug, clap::Args)]
pub(crate) struct TestArgs {
    /// Wheels to install together in each release, with what they require (`pkg.whl[test]`
    /// adds an extra's requirements); with `--pytest`, also the test folders and files to run.
    #[arg(value_name = "WHEEL|TESTS", required_unless_present_any = ["with", "requirements"])]
    inputs: Vec<String>,
    /// Run tests with pytest in each release: the test folders and files given (with their
    /// conftest.py files and data, under the same layout), else the tests the wheels ship;
    /// pytest is installed like any requirement (the release's own where it has one).
    #[arg(long)]
    pytest: bool,
    /// Arguments for pytest, as they are (`-- -k fast -x`).
    #[arg(last = true, value_name = "PYTEST_ARGS", requires = "pytest")]
    pytest_args: Vec<String>,
    /// Write one JUnit XML file per release into this folder
    /// (`pytest-pyodide-<version>-<runtime>.xml`).
    #[arg(long, value_name = "DIR", requires = "pytest")]
    junit_xml: Option<PathBuf>,
    /// Install these extras of every wheel given, too (`--extras test,speedups`); repeatable.
    #[arg(long, value_name = "EXTRA", value_delimiter = ',')]
    extras: Vec<String>,
    /// Install this PEP 735 dependency group of the nearest pyproject.toml too; repeatable.
    #[arg(long = "group", value_name = "NAME")]
    groups: Vec<String>,
    /// A Pyodide release: an npm version (0.29.3, 315.0.0-alpha.2, fetched and cached), a
    /// release folder, or a pyodide-<version>.tgz; repeatable. Default: the release of each
    /// platform the audit calls compatible (and those the wheels are tagged for).
    #[arg(long = "pyodide", value_name = "VERSION|DIR|TGZ")]
    releases: Vec<wasmwheel::ReleaseSpec>,
    /// Import this module instead of the wheels' top-level modules; repeatable.
    #[arg(long = "import", value_name = "MODULE")]
    imports: Vec<String>,
    /// Python code to run after the imports; `-` reads it from stdin.
    #[arg(short = 'c', value_name = "CODE", allow_hyphen_values = true)]
    code: Option<String>,
    /// Also test on prerelease platforms the wheels fit (315.0.0-alpha.2).
    #[arg(long)]
    prerelease: bool,
    #[command(flatten)]
    policies: PolicyArgs,
    #[command(flatten)]
    runtime: RuntimeArgs,
    #[command(flatten)]
    place: PlaceArgs,
    #[command(flatten)]
    resolve: ResolveArgs,
    #[command(flatten)]
    output: OutputArgs,
}

/// Flags of `lock`.
#[derive(Debug, clap::Args)]
pub(crate) struct LockArgs {
    /// Wheels to add (with what they require).
    #[arg(required_unless_present_any = ["with", "requirements"])]
    wheels: Vec<PathBuf>,
    /// The Pyodide release: an npm version (fetched and cached), a release folder, or a
    /// pyodide-<version>.tgz.
    #[arg(long = "pyodide", value_name = "VERSION|DIR|TGZ")]
    release: wasmwheel::ReleaseSpec,
    /// Where to write pyodide-lock.json and copy the wheels.
    #[arg(short = 'o', long = "out-dir", value_name = "DIR")]
    out_dir: PathBuf,
    /// The URL the wheels will be served from (file names are then absolute); default: next
    /// to the lock.
    #[arg(long, value_name = "URL")]
    base_url: Option<String>,
    /// Name the wheels an index gave by their index URL instead of copying them into DIR.
    #[arg(long)]
    link: bool,
    #[command(flatten)]
    resolve: ResolveArgs,
    /// Never fetch the release: use only the cache.
    #[arg(long)]
    offline: bool,
    #[command(flatten)]
    policies: PolicyArgs,
    #[command(flatten)]
    output: OutputArgs,
}

/// Flags of `pack`.
#[derive(Debug, clap::Args)]
pub(crate) struct PackArgs {
    /// The app's entry script, run as `__main__` (with `--runtime`: none, only wheels).
    #[arg(value_name = "ENTRY.py", required_unless_present = "variant")]
    entry: Option<PathBuf>,
    /// The wheels it uses (what they require is resolved: the release's packages, the index);
    /// none for an app of the standard library alone, or one whose requirements `--with` and
    /// `-r` give.
    #[arg(value_name = "WHEEL")]
    wheels: Vec<PathBuf>,
    /// Pack a runtime variant instead of an app: the wheels and what they require, whole, with
    /// their lock (and the release's runtime with --self-contained), for a registry package to
    /// load (`wasmwheel registry`); needs --name.
    #[arg(long = "runtime", id = "variant", requires = "name")]
    variant: bool,
    /// With --runtime: Python that uses the runtime, traced; the wheels are trimmed to what it
    /// touches, as for an app.
    #[arg(long, value_name = "CODE", requires = "variant")]
    smoke: Option<String>,
    /// The Pyodide release (0.28 or later): an npm version, a release folder or a tarball.
    #[arg(long = "pyodide", value_name = "VERSION|DIR|TGZ")]
    release: wasmwheel::ReleaseSpec,
    /// The bundle's folder (created; an earlier bundle there is replaced).
    #[arg(short = 'o', long = "out-dir", value_name = "DIR")]
    out_dir: PathBuf,
    /// Also keep the members this glob matches (data files read by C code, plugins loaded by
    /// name); repeatable.
    #[arg(long, value_name = "GLOB")]
    keep: Vec<String>,
    /// The npm package name; default from the entry script's name.
    #[arg(long, value_name = "NPM_NAME")]
    name: Option<String>,
    /// The npm package version.
    #[arg(long = "package-version", value_name = "SEMVER", default_value = "0.1.0")]
    package_version: String,
    /// Write the bundle even when the entry fails (exits non-zero) in the traced run.
    #[arg(long)]
    allow_failure: bool,
    /// Where the page loads Pyodide from (a copy you host); default: the release's CDN,
    /// https://cdn.jsdelivr.net/pyodide/v{version}/full/.
    #[arg(long, value_name = "URL", conflicts_with = "self_contained")]
    pyodide_url: Option<String>,
    /// Copy the release's runtime (into pyodide/) and the release packages the app needs into
    /// the bundle: one static folder then serves everything.
    #[arg(long)]
    self_contained: bool,
    /// Where to verify the bundle before writing it: under Node (run.mjs), in headless
    /// Chromium (index.html; skipped, with a warning, when Chromium is not installed).
    #[arg(long, value_enum, value_delimiter = ',', value_name = "node,chromium", default_value = "node,chromium")]
    verify: Vec<VerifyArg>,
    #[command(flatten)]
    resolve: ResolveArgs,
    #[command(flatten)]
    policies: PolicyArgs,
    #[command(flatten)]
    runtime: RuntimeArgs,
    #[command(flatten)]
    output: OutputArgs,
}

/// The output format, for every command that reports.
#[derive(Debug, clap::Args)]
pub(crate) struct OutputArgs {
    /// Output format: text, JSON (spec/report.schema.json) or GitHub annotations.
    #[arg(long, value_enum, default_value_t)]
    pub(crate) format: Format,
}

/// Extra policy files, for every command that uses policies.
#[derive(Debug, clap::Args)]
pub(crate) struct PolicyArgs {
    /// Also load this policy file (JSON, optionally gzip-compressed: a custom Pyodide build,
    /// another runtime); repeatable.
    #[arg(long = "policy", value_name = "FILE")]
    pub(crate) policies: Vec<PathBuf>,
}

/// What is installed beside the wheels, and where it comes from: `test`, `audit --confirm`,
/// `lock` and `pack` resolve as the release's micropip would (the wheels given, then the
/// release's own packages, then the index).
#[derive(Debug, clap::Args)]
pub(crate) struct ResolveArgs {
    /// Also install this requirement (PEP 508: `typing-extensions>=4.16`); repeatable.
    #[arg(long = "with", value_name = "REQ")]
    pub(crate) with: Vec<String>,
    /// Also install the requirements of this file (pip's format); repeatable.
    #[arg(short = 'r', long = "requirement", id = "requirements", value_name = "FILE")]
    pub(crate) requirements: Vec<PathBuf>,
    /// The package index (simple API) instead of PyPI, https://pypi.org/simple.
    #[arg(long, value_name = "URL")]
    pub(crate) index_url: Option<String>,
    /// Another package index, after the first; repeatable.
    #[arg(long, value_name = "URL")]
    pub(crate) extra_index_url: Vec<String>,
    /// A folder of wheels to install from, after the indexes; repeatable.
    #[arg(long, value_name = "DIR")]
    pub(crate) find_links: Vec<PathBuf>,
    /// No package index (folders of wheels still count).
    #[arg(long)]
    pub(crate) no_index: bool,
    /// Prereleases count.
    #[arg(long)]
    pub(crate) pre: bool,
    /// Where the release's own packages are served from: a URL (`{version}` is replaced) or a
    /// folder that mirrors it. Default: Pyodide's CDN, https://cdn.jsdelivr.net/pyodide/v{version}/full/.
    /// For `lock`, also the URL its entries name (`""` keeps the release's relative names).
    #[arg(long, value_name = "URL|DIR")]
    pub(crate) release_url: Option<String>,
    /// Give up on a request (an index page, a wheel, a release) that sends nothing for this
    /// many seconds, after 3 more tries with a growing pause; default $WASMWHEEL_HTTP_TIMEOUT,
    /// else 30. Credentials come from the index URL (`https://user:token@host/simple`) or
    /// ~/.netrc, and go only to that host; no output shows them.
    #[arg(long, value_name = "SECONDS", value_parser = clap::value_parser!(u64).range(1..))]
    pub(crate) http_timeout: Option<u64>,
    /// Take these projects from the indexes even where the release has them
    /// (`--from-index pytest,pluggy`; for CI without the release's package host). micropip
    /// would install the release's: the report says so.
    #[arg(long, value_name = "NAME", value_delimiter = ',')]
    pub(crate) from_index: Vec<String>,
}

/// Flags of the commands that load wheels in real Pyodide.
#[derive(Debug, clap::Args)]
pub(crate) struct RuntimeArgs {
    /// Never fetch a release: use only the cache ($WASMWHEEL_CACHE_DIR, or the user's cache
    /// folder); one not there is an error.
    #[arg(long)]
    offline: bool,
    /// Stop a release that runs longer than this many seconds.
    #[arg(long, value_name = "SECONDS", default_value_t = 300)]
    timeout: u64,
    /// Run every wheel and release in a process of its own that starts Pyodide from nothing,
    /// instead of one session per release serving them all, each in a fresh interpreter
    /// restored from a snapshot (the same answers, several times slower).
    #[arg(long)]
    isolate: bool,
}

/// Where `test` and `audit --confirm` run the wheels.
#[derive(Debug, clap::Args)]
pub(crate) struct PlaceArgs {
    /// Run in a page of headless Chromium (the system's: apt-get install chromium) instead of
    /// under Node.
    #[arg(long, value_enum, value_name = "BROWSER")]
    browser: Option<BrowserArg>,
}

/// Where a bundle is verified.
#[derive(Clone, Copy, Debug, PartialEq, Eq, clap::ValueEnum)]
pub(crate) enum VerifyArg {
    /// Under Node, with run.mjs.
    Node,
    /// In headless Chromium, with index.html.
    Chromium,
}

/// A browser to run in.
#[derive(Clone, Copy, Debug, clap::ValueEnum)]
pub(crate) enum BrowserArg {
    /// Headless Chromium.
    Chromium,
}

/// Flags shared by the commands that audit.
#[derive(Debug, clap::Args)]
pub(crate) struct AuditArgs {
    /// Verify against this platform tag instead of the wheel's own platform tags.
    #[arg(long = "plat", value_name = "TAG")]
    platform: Option<PlatformTag>,
    /// Ignore a rule (by id, see spec/rules.md); repeatable.
    #[arg(long = "ignore", value_name = "RULE")]
    ignore: Vec<Rule>,
    #[command(flatten)]
    policies: PolicyArgs,
    /// Count platforms of prerelease Pyodide releases (315.0.0-alpha.2) among the compatible
    /// ones; without it they are listed as upcoming.
    #[arg(long)]
    prerelease: bool,
}

/// What `policy` does.
#[derive(Debug, Subcommand)]
pub(crate) enum PolicyCommand {
    /// List the known platforms.
    List {
        #[command(flatten)]
        policies: PolicyArgs,
    },
    /// Print one policy as JSON.
    Show {
        /// A policy name (`pyemscripten_2026_0`) or platform tag.
        name: String,
        #[command(flatten)]
        policies: PolicyArgs,
    },
    /// Generate policies from releases: Pyodide distribution folders or npm tarballs
    /// (`npm pack pyodide@314.0.7`) for Emscripten, a componentize-py wheel for WASI.
    Import {
        /// Pyodide folders, `pyodide-<version>.tgz` files, or `componentize_py-*.whl`.
        #[arg(required = true)]
        releases: Vec<PathBuf>,
        /// Folder to write `<name>.json.gz` policy files to.
        #[arg(short = 'o', long, default_value = ".")]
        out_dir: PathBuf,
    },
}

#[cfg(test)]
mod tests {
    use clap::CommandFactory;

    use super::*;

    #[test]
    fn the_flags_are_consistent() {
        Cli::command().debug_assert();
    }
}
