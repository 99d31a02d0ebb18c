//! Private and hostile indexes: a loopback index (127.0.0.1) the test starts, with a mode for
//! each way an index can hurt: credentials that must not leak, file names that try to leave
//! `-o`, a file whose name and contents disagree, links to other schemes, pages that do not
//! parse, a cached page edited on disk, a stall, a flaky server; and requirements files at
//! scale. Each test runs `wasmwheel lock` against Pyodide 314.0.7 (its own lock and
//! `pyodide.js`, from testdata/releases/) with its own cache, and greps everything it printed
//! and wrote.

use std::path::{Path, PathBuf};
use std::process::{Command, Output};

use crate::common::*;

const TOKEN: &str = "s3cr3t-T0KEN-b7e1";
const JSON: &str = "application/vnd.pypi.simple.v1+json";

/// The pure fixture wheel served by the index, and its sha256.
fn fxpure() -> (Vec<u8>, String) {
    let bytes = std::fs::read(fixture("fxpure-1.0-py3-none-any.whl")).unwrap();
    let sha = sha256_hex(&bytes);
    (bytes, sha)
}

/// A test's own world: a cache, a home without a netrc, an output folder beside them.
struct World {
    dir: tempfile::TempDir,
}

impl World {
    fn new() -> World {
        let world = World { dir: tempfile::tempdir().unwrap() };
        release_dir("314.0.7", world.dir.path());
        world
    }

    fn path(&self, rel: &str) -> PathBuf {
        self.dir.path().join(rel)
    }

    /// Runs wasmwheel in this world (its cache, no netrc unless `netrc` is written, the
    /// working folder `cwd`).
    fn run(&self, args: &[&str]) -> Output {
        let mut command = Command::new(env!("CARGO_BIN_EXE_wasmwheel"));
        command
            .args(args)
            .current_dir(self.dir.path())
            .env("WASMWHEEL_CACHE_DIR", self.path("cache"))
            .env("HOME", self.path("home"))
            .env("NETRC", self.path("home/.netrc"))
            .env_remove("WASMWHEEL_HTTP_TIMEOUT");
        command.output().unwrap()
    }

    /// `lock --pyodide <314.0.7> -o out --format FORMAT` with `args`.
    fn lock(&self, format: &str, args: &[&str]) -> Output {
        self.lock_into("out", format, args)
    }

    /// `lock --pyodide <314.0.7> -o OUT --format FORMAT` with `args`.
    fn lock_into(&self, out: &str, format: &str, args: &[&str]) -> Output {
        let release = self.path("pyodide-314.0.7");
        let out = self.path(out);
        let mut all = vec!["lock", "--pyodide", release.to_str().unwrap(), "-o", out.to_str().unwrap()];
        all.extend(["--format", format]);
        all.extend(args);
        self.run(&all)
    }

    /// Every file the world holds (cache, output, anything else), with its bytes.
    fn written(&self) -> Vec<(PathBuf, Vec<u8>)> {
        files_under(self.dir.path()).into_iter().map(|p| (p.clone(), std::fs::read(&p).unwrap_or_default())).collect()
    }
}

fn text(out: &Output) -> String {
    format!("{}{}", String::from_utf8_lossy(&out.stdout), stderr(out))
}

/// An index that serves fxpure at /simple/fxpure/ and /files/, and wants `user:TOKEN`.
fn private_index(extra_file: Option<String>) -> LoopbackServer {
    let (bytes, sha) = fxpure();
    let expected = format!("Basic {}", base64(&format!("user:{TOKEN}")));
    LoopbackServer::start(move |request, _| {
        if request.authorization.as_deref() != Some(expected.as_str()) {
            return Reply::Status(401);
        }
        match request.path.as_str() {
            "/simple/fxpure/" => {
                let mut files =
                    vec![("fxpure-1.0-py3-none-any.whl", "../../files/fxpure-1.0-py3-none-any.whl", sha.as_str())];
                if let Some(url) = &extra_file {
                    files[0].1 = url.as_str();
                }
                Reply::Ok(JSON, simple_page(&files))
            }
            "/files/fxpure-1.0-py3-none-any.whl" => Reply::Ok("application/octet-stream", bytes.clone()),
            _ => Reply::Status(404),
        }
    })
}

fn base64(text: &str) -> String {
    use base64::Engine;
    base64::engine::general_purpose::STANDARD.encode(text)
}

fn assert_no_secret(world: &World, outputs: &[&Output]) {
    for out in outputs {
        assert!(!text(out).contains(TOKEN), "the token was shown: {}", text(out));
    }
    for (path, bytes) in world.written() {
        let shown = String::from_utf8_lossy(&bytes);
        assert!(!shown.contains(TOKEN), "the token was stored in {}", path.display());
    }
}

#[test]
fn credentials_go_only_to_their_host_and_are_never_shown_or_stored() {
    let index = private_index(None);
    let world = World::new();
    let url = index.url.replace("http://", &format!("http://user:{TOKEN}@")) + "/simple";
    let mut outputs = Vec::new();
    for format in ["json", "text", "github"] {
        let out = world.lock(format, &["--with", "fxpure", "--index-url", &url]);
        assert_eq!(out.status.code(), Some(0), "{format}: {}", text(&out));
        outputs.push(out);
    }
    let report: serde_json::Value = serde_json::from_slice(&outputs[0].stdout).unwrap();
    let added = &report["locks"][0]["added"][0];
    assert_eq!(added["source"], "index");
    assert_eq!(added["wheel"], format!("{}/files/fxpure-1.0-py3-none-any.whl", index.url), "shown without credentials");
    assert!(world.path("out/fxpure-1.0-py3-none-any.whl").is_file());
    assert!(index.seen().iter().all(|s| s.authorization.is_some()), "the credential went with every request");
    // --link would write the index's URL into a lock a browser fetches from: refused.
    let linked = world.lock_into("linked", "text", &["--with", "fxpure", "--index-url", &url, "--link"]);
    assert_eq!(linked.status.code(), Some(2), "{}", text(&linked));
    assert!(stderr(&linked).contains("takes credentials"), "{}", stderr(&linked));
    assert!(!world.path("linked").exists(), "nothing written");
    outputs.push(linked);
    assert_no_secret(&world, &outputs.iter().collect::<Vec<_>>());

    // A page that links a file on another host: the credential stays home.
    let other = LoopbackServer::start(move |_, _| Reply::Ok("application/octet-stream", fxpure().0));
    let redirecting = private_index(Some(format!("{}/files/fxpure-1.0-py3-none-any.whl", other.url)));
    let url = redirecting.url.replace("http://", &format!("http://user:{TOKEN}@")) + "/simple";
    let world = World::new();
    let out = world.lock("json", &["--with", "fxpure", "--index-url", &url]);
    assert_eq!(out.status.code(), Some(0), "{}", text(&out));
    assert!(!other.seen().is_empty());
    assert!(other.seen().iter().all(|s| s.authorization.is_none()), "no credential for another host");
    assert_no_secret(&world, &[&out]);
}

#[test]
fn netrc_credentials_are_used_and_a_refusal_is_said_in_words() {
    let index = private_index(None);
    let world = World::new();
    let url = format!("{}/simple", index.url);
    let refused = world.lock("text", &["--with", "fxpure", "--index-url", &url]);
    assert_eq!(refused.status.code(), Some(2), "{}", text(&refused));
    assert!(stderr(&refused).contains("HTTP 401 (it wants credentials"), "{}", stderr(&refused));
    std::fs::create_dir_all(world.path("home")).unwrap();
    std::fs::write(world.path("home/.netrc"), format!("machine 127.0.0.1 login user password {TOKEN}\n")).unwrap();
    let out = world.lock("json", &["--with", "fxpure", "--index-url", &url]);
    assert_eq!(out.status.code(), Some(0), "{}", text(&out));
    std::fs::remove_file(world.path("home/.netrc")).unwrap();
    assert_no_secret(&world, &[&refused, &out]);
}

/// An index that lists `files` for fxpure, serving the fixture's bytes at each.
fn listing_index(files: Vec<(String, String)>, bytes: Vec<u8>) -> LoopbackServer {
    let sha = sha256_hex(&bytes);
    LoopbackServer::start(move |request, _| {
        if request.path == "/simple/fxpure/" {
            let listed: Vec<(&str, &str, &str)> =
                files.iter().map(|(name, url)| (name.as_str(), url.as_str(), sha.as_str())).collect();
            return Reply::Ok(JSON, simple_page(&listed));
        }
        if request.path.starts_with("/files/") {
            return Reply::Ok("application/octet-stream", bytes.clone());
        }
        Reply::Status(404)
    })
}

#[test]
fn hostile_file_names_and_links_are_data_not_paths() {
    let (bytes, _) = fxpure();
    let hostile = "fxpure-1.0-1/../../x-py3-none-any.whl".to_string();
    let index = listing_index(
        vec![
            (hostile, "/files/fxpure-1.0-1%2F..%2F..%2Fx-py3-none-any.whl".into()),
            ("fxpure-1.0-py3-none-any.whl".into(), "x:/fxpure-1.0-py3-none-any.whl".into()),
            ("fxpure-1.0-py3-none-any.whl".into(), "file:///etc/passwd".into()),
        ],
        bytes.clone(),
    );
    let world = World::new();
    // What a scheme-less link would read if it were taken as a path.
    std::fs::create_dir_all(world.path("x:")).unwrap();
    std::fs::write(world.path("x:/fxpure-1.0-py3-none-any.whl"), &bytes).unwrap();
    std::fs::create_dir_all(world.path("out/a/b")).unwrap();
    let before = files_under(world.dir.path()).len();
    let out = world.lock("json", &["--with", "fxpure", "--index-url", &format!("{}/simple", index.url)]);
    assert_eq!(out.status.code(), Some(1), "no usable file: the requirement is unmet: {}", text(&out));
    let report: serde_json::Value = serde_json::from_slice(&out.stdout).unwrap();
    let refused = report["locks"][0]["refused"].to_string();
    assert!(refused.contains("none for this platform") || refused.contains("no such project"), "{refused}");
    assert_eq!(index.seen().iter().filter(|s| s.path.starts_with("/files/")).count(), 0, "nothing downloaded");
    let after: Vec<PathBuf> =
        files_under(world.dir.path()).into_iter().filter(|p| !p.starts_with(world.path("cache"))).collect();
    assert_eq!(after.len(), before, "nothing written: {after:?}");
    assert!(!world.path("x-py3-none-any.whl").exists() && !world.path("out/x-py3-none-any.whl").exists());
}

#[test]
fn a_file_whose_name_and_metadata_disagree_is_the_index_error() {
    // The fixture's bytes under a name that says 1.1: its METADATA says 1.0.
    let (bytes, _) = fxpure();
    let index =
        listing_index(vec![("fxpure-1.1-py3-none-any.whl".into(), "/files/fxpure-1.1-py3-none-any.whl".into())], bytes);
    let world = World::new();
    let out = world.lock("text", &["--with", "fxpure>=1.1", "--index-url", &format!("{}/simple", index.url)]);
    assert_eq!(out.status.code(), Some(2), "{}", text(&out));
    assert!(stderr(&out).contains("its file name says version 1.1, its METADATA 1.0"), "{}", stderr(&out));
    assert!(!world.path("out").exists(), "nothing written");
}

#[test]
fn an_index_option_without_a_value_never_falls_back_to_pypi() {
    let world = World::new();
    for (text_of_file, line) in [("fxpure\n--index-url\n", 2), ("--extra-index-url=\nfxpure\n", 1), ("-r\n", 1)] {
        std::fs::write(world.path("r.txt"), text_of_file).unwrap();
        let out = world.lock("text", &["-r", "r.txt"]);
        assert_eq!(out.status.code(), Some(2), "{text_of_file:?}: {}", text(&out));
        assert!(stderr(&out).contains(&format!("r.txt:{line}:")), "{text_of_file:?}: {}", stderr(&out));
        assert!(stderr(&out).contains("needs a value"), "{}", stderr(&out));
        assert!(!world.path("cache/index").exists(), "no index was asked");
    }
}

#[test]
fn pages_are_cached_only_when_they_parse_and_checked_when_read() {
    let (bytes, sha) = fxpure();
    let mended = std::sync::Arc::new(std::sync::atomic::AtomicBool::new(false));
    let flag = mended.clone();
    let index = LoopbackServer::start(move |request, _| match request.path.as_str() {
        "/simple/fxpure/" if !flag.load(std::sync::atomic::Ordering::SeqCst) => Reply::Ok(JSON, b"{not json".to_vec()),
        "/simple/fxpure/" => {
            Reply::Ok(JSON, simple_page(&[("fxpure-1.0-py3-none-any.whl", "/files/fxpure-1.0-py3-none-any.whl", &sha)]))
        }
        _ => Reply::Ok("application/octet-stream", bytes.clone()),
    });
    let world = World::new();
    let url = format!("{}/simple", index.url);
    let broken = world.lock("text", &["--with", "fxpure", "--index-url", &url]);
    assert_eq!(broken.status.code(), Some(2), "{}", text(&broken));
    assert!(stderr(&broken).contains("not a simple API page"), "{}", stderr(&broken));
    mended.store(true, std::sync::atomic::Ordering::SeqCst);
    let out = world.lock("text", &["--with", "fxpure", "--index-url", &url]);
    assert_eq!(out.status.code(), Some(0), "the mended index is asked again: {}", text(&out));
    let pages = || index.seen().iter().filter(|s| s.path == "/simple/fxpure/").count();
    assert_eq!(pages(), 2);
    // Fresh in the cache: not asked again.
    assert_eq!(world.lock("text", &["--with", "fxpure", "--index-url", &url]).status.code(), Some(0));
    assert_eq!(pages(), 2);
    // A cached page edited on disk (still valid JSON, another hash) is dropped and fetched
    // again, never trusted, and the index is not blamed.
    let page = files_under(&world.path("cache/index")).into_iter().find(|p| p.extension().is_some_and(|e| e == "json"));
    let page = page.expect("a cached page");
    let edited = String::from_utf8(std::fs::read(&page).unwrap()).unwrap().replace(&fxpure().1, &"0".repeat(64));
    assert_ne!(edited, String::from_utf8(std::fs::read(&page).unwrap()).unwrap());
    std::fs::write(&page, edited).unwrap();
    let out = world.lock("text", &["--with", "fxpure", "--index-url", &url]);
    assert_eq!(out.status.code(), Some(0), "{}", text(&out));
    assert_eq!(pages(), 3, "the damaged page was fetched again");
}

#[test]
fn a_stalled_index_ends_and_a_flaky_one_is_tried_again() {
    let stalled = LoopbackServer::start(|_, _| Reply::Stall);
    let world = World::new();
    let started = std::time::Instant::now();
    let url = format!("{}/simple", stalled.url);
    let out = world.lock("text", &["--with", "fxpure", "--index-url", &url, "--http-timeout", "1"]);
    assert_eq!(out.status.code(), Some(2), "{}", text(&out));
    assert!(stderr(&out).contains("/simple/fxpure/: no answer for 1 s (tried 4 times)"), "{}", stderr(&out));
    assert!(started.elapsed() < std::time::Duration::from_secs(60), "{:?}", started.elapsed());
    assert_eq!(stalled.seen().len(), 4, "tried again");

    let (bytes, sha) = fxpure();
    let flaky = LoopbackServer::start(move |request, n| match request.path.as_str() {
        _ if n < 2 => Reply::Status(503),
        "/simple/fxpure/" => {
            Reply::Ok(JSON, simple_page(&[("fxpure-1.0-py3-none-any.whl", "/files/fxpure-1.0-py3-none-any.whl", &sha)]))
        }
        _ => Reply::Ok("application/octet-stream", bytes.clone()),
    });
    let out = world.lock("text", &["--with", "fxpure", "--index-url", &format!("{}/simple", flaky.url)]);
    assert_eq!(out.status.code(), Some(0), "{}", text(&out));
    assert_eq!(flaky.seen().iter().filter(|s| s.path == "/simple/fxpure/").count(), 3);
}

#[test]
fn requirements_files_at_scale_end() {
    let world = World::new();
    let wheels = world.path("wheels");
    std::fs::create_dir_all(&wheels).unwrap();
    std::fs::copy(fixture("fxpure-1.0-py3-none-any.whl"), wheels.join("fxpure-1.0-py3-none-any.whl")).unwrap();
    // 100,000 requirement lines.
    std::fs::write(world.path("big.txt"), "fxpure>=1.0\n".repeat(100_000)).unwrap();
    // Files that include the next twice, 30 deep: 2^30 includes if each were followed.
    for depth in 0..30 {
        let next = format!("fan{}.txt", depth + 1);
        std::fs::write(world.path(&format!("fan{depth}.txt")), format!("-r {next}\n-r {next}\n")).unwrap();
    }
    std::fs::write(world.path("fan30.txt"), "fxpure\n").unwrap();
    let started = std::time::Instant::now();
    let args = ["--no-index", "--find-links", wheels.to_str().unwrap(), "-r", "big.txt", "-r", "fan0.txt"];
    let out = world.lock("json", &args);
    assert_eq!(out.status.code(), Some(0), "{}", text(&out));
    // A guard against a hang, not a benchmark (bench/ has none for this: it is linear).
    assert!(started.elapsed() < std::time::Duration::from_secs(120), "{:?}", started.elapsed());
    let out = world.run(&["lock", "--pyodide", "0.0.0-never", "-o", "x", "-r", "/dev/zero"]);
    assert_eq!(out.status.code(), Some(2));
    assert!(stderr(&out).contains("/dev/zero is larger than"), "{}", stderr(&out));
}

/// fxdebug (a side module that loads on every release) requiring `requirement`, in `dir`.
fn with_requirement(dir: &Path, requirement: &str) -> PathBuf {
    let name = "fxdebug-1.0-cp312-abi3-pyemscripten_2024_0_wasm32.whl";
    derive_wheel(&fixture(name), dir, name, |member, data| {
        let data = if member.ends_with("METADATA") {
            let mut text = String::from_utf8(data).unwrap();
            text = text.trim_end().to_string() + &format!("\nRequires-Dist: {requirement}\n");
            text.into_bytes()
        } else {
            data
        };
        (!member.ends_with("RECORD")).then_some((member.to_string(), data))
    })
}

/// One run whose release package cannot be had is not run; every other run is made and
/// reported; exit 2. Releases come from a loopback npm registry, and a stand-in `node` answers
/// every run as installed (what is tested is the bookkeeping, not Pyodide).
#[test]
fn one_run_that_cannot_be_made_loses_no_other_result() {
    let world = World::new();
    // A wheel that needs a package only the release has, whose host is unreachable here.
    let needs = with_requirement(world.dir.path(), "typing-extensions");
    let other = fixture("fxclean-1.0-cp312-abi3-pyemscripten_2024_0_wasm32.whl");
    let registry = crate::fake::npm_registry();
    let node = protocol_node(world.dir.path(), &installed_outcome(), "", 0);
    let path = path_with(&node);
    let cache = world.path("cache");
    let env = [
        ("PATH", path.as_os_str()),
        ("WASMWHEEL_CACHE_DIR", cache.as_os_str()),
        ("WASMWHEEL_NPM_REGISTRY", registry.url.as_ref()),
    ];
    let run = |command: &[&str], rest: &[&str]| {
        let mut all: Vec<&str> = command.to_vec();
        all.extend(["--format", "json", "--no-index", "--release-url", "http://127.0.0.1:9/", "--http-timeout", "1"]);
        all.extend(rest);
        wasmwheel_env(&all, &env)
    };
    let out = run(&["test"], &["--pyodide", "314.0.7", needs.to_str().unwrap()]);
    assert_eq!(out.status.code(), Some(2), "{}", text(&out));
    let report: serde_json::Value = serde_json::from_slice(&out.stdout).unwrap();
    assert!(report["tests"][0]["not_run"].as_str().unwrap().contains("127.0.0.1:9"), "{report:#}");
    // audit --confirm of two wheels: the one that needs the unreachable file is not run in any
    // release that has the package, the other is confirmed everywhere.
    let out = run(&["audit", "--confirm"], &[needs.to_str().unwrap(), other.to_str().unwrap()]);
    assert_eq!(out.status.code(), Some(2), "{}", text(&out));
    let report: serde_json::Value = serde_json::from_slice(&out.stdout).unwrap();
    let wheels = report["wheels"].as_array().unwrap();
    assert_eq!(wheels.len(), 2, "both reported");
    let confirmed = |i: usize| wheels[i]["confirmed"].as_array().unwrap().clone();
    assert!(confirmed(0).iter().any(|c| c["not_run"].is_string()), "{:#}", wheels[0]);
    assert!(!confirmed(1).is_empty() && confirmed(1).iter().all(|c| c["not_run"].is_null()), "{:#}", wheels[1]);
    assert!(confirmed(1).iter().all(|c| c["loads"] == true), "{:#}", wheels[1]);
    assert!(stderr(&out).contains("not run in Pyodide"), "{}", stderr(&out));
}

#[test]
#[ignore = "needs Node and the pinned Pyodide releases"]
fn a_large_job_reaches_the_runtime() {
    // The job goes to the runtime on stdin, not on Node's command line: 100 KiB of code as an
    // argument (the system allows 128 KiB for one), 1 MiB through `-c -` (stdin).
    let wheel = fixture("fxpure-1.0-py3-none-any.whl");
    for size in [100 << 10, 1 << 20] {
        let code = format!("x = '{}'\nprint(len(x))", "a".repeat(size));
        let mut command = Command::new(env!("CARGO_BIN_EXE_wasmwheel"));
        command.args(["test", "--format", "json", "--pyodide", "314.0.7", "--no-index", "-c"]);
        command.env("WASMWHEEL_CACHE_DIR", release_cache());
        let out = if size > 100 << 10 {
            command.args(["-", wheel.to_str().unwrap()]).stdin(std::process::Stdio::piped());
            command.stdout(std::process::Stdio::piped()).stderr(std::process::Stdio::piped());
            let mut child = command.spawn().unwrap();
            use std::io::Write;
            child.stdin.take().unwrap().write_all(code.as_bytes()).unwrap();
            child.wait_with_output().unwrap()
        } else {
            command.args([code.as_str(), wheel.to_str().unwrap()]).output().unwrap()
        };
        assert_eq!(out.status.code(), Some(0), "{size}: {}", text(&out));
        let report: serde_json::Value = serde_json::from_slice(&out.stdout).unwrap();
        assert_eq!(report["tests"][0]["code"]["stdout"], format!("{size}\n"));
    }
}
