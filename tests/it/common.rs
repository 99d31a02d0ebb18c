//! Helpers shared by the integration tests: running the built binary, finding fixtures and the
//! cache of third-party files that `testdata/fetch.sh` fills.
#![allow(dead_code)] // not every helper is used by every run

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

/// A file from the cache. Tests that call this are `#[ignore = "needs ..."]`: plain
/// `cargo test` reports them ignored, and CI runs them (`--include-ignored`), where a missing
/// file fails them.
pub fn cached(rel: &str) -> PathBuf {
    let path = cache_dir().join(rel);
    assert!(path.exists(), "{} is missing from the cache: run testdata/fetch.sh", path.display());
    path
}

/// A program on PATH. Tests that call this are `#[ignore = "needs ..."]`, as for [`cached`].
pub fn tool(name: &str) -> PathBuf {
    std::env::var_os("PATH")
        .and_then(|paths| std::env::split_paths(&paths).map(|d| d.join(name)).find(|p| p.is_file()))
        .unwrap_or_else(|| panic!("{name} is not installed; scripts/test.sh installs it"))
}

/// Runs `wasmwheel` with `args`.
pub fn wasmwheel<I, S>(args: I) -> Output
where
    I: IntoIterator<Item = S>,
    S: AsRef<std::ffi::OsStr>,
{
    Command::new(env!("CARGO_BIN_EXE_wasmwheel")).args(args).output().expect("run wasmwheel")
}

/// The exit status and the JSON on stdout of a run of wasmwheel.
fn json_of(out: &Output) -> (i32, serde_json::Value) {
    let json = serde_json::from_slice(&out.stdout).unwrap_or_else(|e| {
        panic!(
            "not JSON ({e}): {}\nstderr: {}",
            String::from_utf8_lossy(&out.stdout),
            String::from_utf8_lossy(&out.stderr)
        )
    });
    (out.status.code().unwrap_or(-1), json)
}

/// `wasmwheel repair` of `wheel` into `out`, with the libraries of testdata/libs; the path
/// of the repaired wheel (the repair must succeed).
pub fn repaired(wheel: &Path, out: &Path) -> PathBuf {
    let libs = testdata("libs");
    let args = [
        "repair",
        "--format",
        "json",
        "-w",
        out.to_str().unwrap(),
        "-L",
        libs.to_str().unwrap(),
        wheel.to_str().unwrap(),
    ];
    let (code, report) = wasmwheel_json(args);
    assert_eq!(code, 0, "{report:#}");
    PathBuf::from(report["repairs"][0]["output"].as_str().unwrap())
}

/// Runs `wasmwheel` with `args` and environment variables `env`.
pub fn wasmwheel_env<I, S>(args: I, env: &[(&str, &std::ffi::OsStr)]) -> Output
where
    I: IntoIterator<Item = S>,
    S: AsRef<std::ffi::OsStr>,
{
    let mut command = Command::new(env!("CARGO_BIN_EXE_wasmwheel"));
    command.args(args);
    for (key, value) in env {
        command.env(key, value);
    }
    command.output().expect("run wasmwheel")
}

/// The release cache the tests of `wasmwheel test`, `lock` and `pack` share
/// (`WASMWHEEL_CACHE_DIR`): inside the download cache, filled by wasmwheel itself from npm.
pub fn release_cache() -> PathBuf {
    cache_dir().join("wasmwheel")
}

/// Runs `wasmwheel` with the shared release cache, and parses its JSON output.
pub fn wasmwheel_json_cached<I, S>(args: I) -> (i32, serde_json::Value)
where
    I: IntoIterator<Item = S>,
    S: AsRef<std::ffi::OsStr>,
{
    let cache = release_cache();
    json_of(&wasmwheel_env(args, &[("WASMWHEEL_CACHE_DIR", cache.as_os_str())]))
}

/// Runs `wasmwheel` and parses its JSON output.
pub fn wasmwheel_json<I, S>(args: I) -> (i32, serde_json::Value)
where
    I: IntoIterator<Item = S>,
    S: AsRef<std::ffi::OsStr>,
{
    json_of(&wasmwheel(args))
}

/// stderr as text.
pub fn stderr(out: &Output) -> String {
    String::from_utf8_lossy(&out.stderr).into_owned()
}

/// Copies wheel `src` to `dir/name`, passing every member through `edit` (which may rename it,
/// change its bytes, or drop it by returning `None`). Used to derive test wheels from real ones.
pub fn derive_wheel(
    src: &Path,
    dir: &Path,
    name: &str,
    mut edit: impl FnMut(&str, Vec<u8>) -> Option<(String, Vec<u8>)>,
) -> PathBuf {
    use std::io::{Read, Write};
    let mut archive = zip::ZipArchive::new(std::fs::File::open(src).unwrap()).unwrap();
    let mut out = zip::ZipWriter::new(std::io::Cursor::new(Vec::new()));
    for i in 0..archive.len() {
        let mut member = archive.by_index(i).unwrap();
        let mut data = Vec::new();
        member.read_to_end(&mut data).unwrap();
        if let Some((new_name, new_data)) = edit(&member.name().unwrap(), data) {
            out.start_file(new_name, zip::write::SimpleFileOptions::default()).unwrap();
            out.write_all(&new_data).unwrap();
        }
    }
    let path = dir.join(name);
    std::fs::write(&path, out.finish().unwrap().into_inner()).unwrap();
    path
}

/// The findings of the first wheel of a JSON report with rule `rule`.
pub fn findings<'a>(report: &'a serde_json::Value, rule: &str) -> Vec<&'a serde_json::Value> {
    report["wheels"][0]["findings"].as_array().unwrap().iter().filter(|f| f["rule"] == rule).collect()
}

/// The canonical tags of the compatible platforms of the first wheel of a JSON report.
pub fn compatible(report: &serde_json::Value) -> Vec<String> {
    report["wheels"][0]["compatible_platforms"]
        .as_array()
        .unwrap()
        .iter()
        .map(|v| v.as_str().unwrap().to_string())
        .collect()
}

/// The Pyodide ABIs the tests load wheels into, with their npm release.
pub const ABIS: [(&str, &str); 4] =
    [("2024_0", "0.27.7"), ("2025_0", "0.29.3"), ("2026_0", "314.0.7"), ("2026_5", "315.0.0-alpha.2")];

/// How a wheel gets into Pyodide.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Installer {
    /// `pyodide.loadPackage("file://...")`.
    LoadPackage,
    /// `micropip.install("emfs:...")`, with the micropip the release's lock pins (from PyPI).
    Micropip,
}

pub use Installer::*;

/// Both installers.
pub const INSTALLERS: [Installer; 2] = [LoadPackage, Micropip];

/// The `import.js` installer argument: for micropip, the wheels of the micropip the release
/// of `abi` pins, and what it needs.
fn installer_arg(abi: &str, installer: Installer) -> String {
    let wheels: &[&str] = match (installer, abi) {
        (LoadPackage, _) => return "loadPackage".into(),
        (Micropip, "2024_0") => &["packaging-24.2", "micropip-0.9.0"],
        (Micropip, "2025_0") => &["micropip-0.11.0"],
        (Micropip, _) => &["micropip-0.11.1"],
    };
    let paths: Vec<String> =
        wheels.iter().map(|w| cached(&format!("pypi/{w}-py3-none-any.whl")).display().to_string()).collect();
    format!("micropip:{}", paths.join(","))
}

/// Installs `wheels` into the real Pyodide of `abi` under Node with `pyodide.loadPackage` and
/// evaluates `code`: the repr of its value, or the error. Needs Node and the Pyodide cache
/// (see [`cached`]).
pub fn pyodide_run(abi: &str, wheels: &[&Path], code: &str) -> Result<String, String> {
    pyodide_install(abi, LoadPackage, wheels, code)
}

/// Like [`pyodide_run`], with the given installer.
pub fn pyodide_install(abi: &str, installer: Installer, wheels: &[&Path], code: &str) -> Result<String, String> {
    let node = tool("node");
    let dir = cached(&format!("node/{abi}"));
    let script = Path::new(env!("CARGO_MANIFEST_DIR")).join("tests/pyodide/import.js");
    let out = Command::new(node)
        .arg(script)
        .arg(dir)
        .arg(installer_arg(abi, installer))
        .arg(code)
        .args(wheels)
        .output()
        .expect("run node");
    let stdout = String::from_utf8_lossy(&out.stdout);
    if out.status.success() {
        Ok(stdout.lines().last().unwrap_or_default().to_string())
    } else {
        Err(format!("{}{}", stdout, stderr(&out)).trim().to_string())
    }
}

/// Runs `wasmwheel tags --platform-tag canonical -w dir wheel`.
pub fn retag_canonical(dir: &Path, wheel: &Path) -> Output {
    wasmwheel(["tags", "--platform-tag", "canonical", "-w", dir.to_str().unwrap(), wheel.to_str().unwrap()])
}

/// A static file server on 127.0.0.1 (Python's `http.server`, a real one, not ours), on an
/// ephemeral port, serving `dir` until dropped.
pub struct StaticServer {
    child: std::process::Child,
    /// `http://127.0.0.1:PORT/`.
    pub url: String,
}

impl StaticServer {
    /// Serves `dir`.
    pub fn serve(dir: &Path) -> StaticServer {
        use std::io::BufRead;
        let mut child = Command::new("python3")
            .args(["-u", "-m", "http.server", "0", "--bind", "127.0.0.1", "--directory"])
            .arg(dir)
            .stdout(std::process::Stdio::piped())
            .stderr(std::process::Stdio::null())
            .spawn()
            .expect("python3 -m http.server");
        let stdout = child.stdout.take().unwrap();
        let mut line = String::new();
        std::io::BufReader::new(stdout).read_line(&mut line).unwrap();
        // "Serving HTTP on 127.0.0.1 port 41234 (http://127.0.0.1:41234/) ..."
        let port = line.split(" port ").nth(1).and_then(|r| r.split_whitespace().next()).unwrap_or_else(|| {
            panic!("http.server said: {line}");
        });
        StaticServer { child, url: format!("http://127.0.0.1:{port}/") }
    }
}

impl Drop for StaticServer {
    fn drop(&mut self) {
        let _ = self.child.kill();
        let _ = self.child.wait();
    }
}

/// A copy of the Pyodide release of `abi` (testdata/fetch.sh's) whose lock also lists each of
/// `packages` as a release package (`(wheel, depends)`), under its file name and sha256: a
/// release mirror a test builds, as the release's real packages are on its CDN, which these
/// machines cannot reach. Its files are links to the cached release.
pub fn release_with(abi: &str, dir: &Path, packages: &[(&Path, &[&str])]) -> PathBuf {
    let source = cached(&format!("node/{abi}"));
    let release = dir.join("release");
    std::fs::create_dir_all(&release).unwrap();
    for entry in std::fs::read_dir(&source).unwrap() {
        let entry = entry.unwrap();
        if entry.file_name() != "pyodide-lock.json" {
            std::os::unix::fs::symlink(entry.path(), release.join(entry.file_name())).unwrap();
        }
    }
    std::fs::copy(source.join("pyodide-lock.json"), release.join("pyodide-lock.json")).unwrap();
    add_release_packages(&release, packages);
    release
}

/// Adds each of `packages` (`(wheel, depends)`) to the lock of the release folder `release` as
/// a release package, under its file name and sha256.
pub fn add_release_packages(release: &Path, packages: &[(&Path, &[&str])]) {
    let mut lock: serde_json::Value =
        serde_json::from_slice(&std::fs::read(release.join("pyodide-lock.json")).unwrap()).unwrap();
    for (wheel, depends) in packages {
        let file = wheel.file_name().unwrap().to_str().unwrap();
        let name = file.split('-').next().unwrap().to_lowercase().replace('_', "-");
        let version = file.split('-').nth(1).unwrap();
        let sha = sha256_hex(&std::fs::read(wheel).unwrap());
        let imports = serde_json::json!([name.replace('-', "_")]);
        lock["packages"][&name] = serde_json::json!({
            "name": name, "version": version, "file_name": file, "install_dir": "site", "sha256": sha,
            "package_type": "package", "imports": imports, "depends": depends, "unvendored_tests": false,
        });
    }
    std::fs::write(release.join("pyodide-lock.json"), serde_json::to_vec(&lock).unwrap()).unwrap();
}

/// A folder served over HTTP on 127.0.0.1 by a [`LoopbackServer`]: each request for `/NAME`
/// answered with the file `dir/NAME`, 404 for anything else.
pub fn serve_folder(dir: &Path) -> LoopbackServer {
    let dir = dir.to_path_buf();
    LoopbackServer::start(move |request, _| {
        let name = request.path.trim_start_matches('/');
        match std::fs::read(dir.join(name)) {
            Ok(bytes) if !name.contains('/') && !name.is_empty() => Reply::Ok("application/octet-stream", bytes),
            _ => Reply::Status(404),
        }
    })
}

/// The sha256 of `bytes`, hex.
pub fn sha256_hex(bytes: &[u8]) -> String {
    use sha2::Digest;
    sha2::Sha256::digest(bytes).iter().map(|b| format!("{b:02x}")).collect()
}

/// What a [`LoopbackServer`] answers a request with.
pub enum Reply {
    /// 200 with this content type and body.
    Ok(&'static str, Vec<u8>),
    /// This status, no body.
    Status(u16),
    /// Nothing, ever: the connection is held open until the server is dropped.
    Stall,
}

/// A request a [`LoopbackServer`] saw.
#[derive(Clone, Debug)]
pub struct Seen {
    /// Its path.
    pub path: String,
    /// Its `Authorization` header, if any.
    pub authorization: Option<String>,
}

type Handler = dyn Fn(&Seen, usize) -> Reply + Send + Sync;

/// An HTTP/1.1 server on 127.0.0.1 (an ephemeral port) the test programs with a handler:
/// `handler(request, n)` answers the `n`th request (from 0) for that path. It records every
/// request, and stops when dropped. Every answer allows any origin (CORS), as CDNs do.
pub struct LoopbackServer {
    /// `http://127.0.0.1:PORT`.
    pub url: String,
    seen: std::sync::Arc<std::sync::Mutex<Vec<Seen>>>,
    stop: std::sync::Arc<std::sync::atomic::AtomicBool>,
    port: u16,
}

impl LoopbackServer {
    /// Starts a server answering with `handler`.
    pub fn start(handler: impl Fn(&Seen, usize) -> Reply + Send + Sync + 'static) -> LoopbackServer {
        use std::sync::atomic::{AtomicBool, Ordering};
        use std::sync::{Arc, Mutex};
        let listener = std::net::TcpListener::bind("127.0.0.1:0").unwrap();
        let port = listener.local_addr().unwrap().port();
        let seen: Arc<Mutex<Vec<Seen>>> = Arc::default();
        let stop = Arc::new(AtomicBool::new(false));
        let handler: Arc<Handler> = Arc::new(handler);
        let (seen_in, stop_in) = (seen.clone(), stop.clone());
        std::thread::spawn(move || {
            for stream in listener.incoming() {
                if stop_in.load(Ordering::SeqCst) {
                    break;
                }
                let Ok(stream) = stream else { continue };
                let (seen, stop, handler) = (seen_in.clone(), stop_in.clone(), handler.clone());
                std::thread::spawn(move || serve_one(stream, &seen, &stop, &*handler));
            }
        });
        LoopbackServer { url: format!("http://127.0.0.1:{port}"), seen, stop, port }
    }

    /// The requests seen so far.
    pub fn seen(&self) -> Vec<Seen> {
        self.seen.lock().unwrap().clone()
    }
}

fn serve_one(
    mut stream: std::net::TcpStream,
    seen: &std::sync::Mutex<Vec<Seen>>,
    stop: &std::sync::atomic::AtomicBool,
    handler: &Handler,
) {
    use std::io::{BufRead, Write};
    let mut reader = std::io::BufReader::new(stream.try_clone().unwrap());
    let mut line = String::new();
    if reader.read_line(&mut line).is_err() {
        return;
    }
    let path = line.split_whitespace().nth(1).unwrap_or("/").to_string();
    let mut authorization = None;
    loop {
        let mut header = String::new();
        if reader.read_line(&mut header).unwrap_or(0) == 0 || header.trim().is_empty() {
            break;
        }
        if let Some((name, value)) = header.split_once(':')
            && name.eq_ignore_ascii_case("authorization")
        {
            authorization = Some(value.trim().to_string());
        }
    }
    let request = Seen { path, authorization };
    let n = {
        let mut all = seen.lock().unwrap();
        let n = all.iter().filter(|s| s.path == request.path).count();
        all.push(request.clone());
        n
    };
    let (status, content_type, body) = match handler(&request, n) {
        Reply::Ok(content_type, body) => (200, content_type, body),
        Reply::Status(code) => (code, "text/plain", Vec::new()),
        Reply::Stall => {
            while !stop.load(std::sync::atomic::Ordering::SeqCst) {
                std::thread::sleep(std::time::Duration::from_millis(50));
            }
            return;
        }
    };
    let head = format!(
        "HTTP/1.1 {status} X\r\ncontent-type: {content_type}\r\ncontent-length: {}\r\n\
         access-control-allow-origin: *\r\nconnection: close\r\n\r\n",
        body.len()
    );
    let _ = stream.write_all(head.as_bytes()).and_then(|()| stream.write_all(&body));
}

impl Drop for LoopbackServer {
    fn drop(&mut self) {
        self.stop.store(true, std::sync::atomic::Ordering::SeqCst);
        let _ = std::net::TcpStream::connect(("127.0.0.1", self.port));
    }
}

/// A PEP 691 project page listing `files` (`(filename, url, sha256)`).
pub fn simple_page(files: &[(&str, &str, &str)]) -> Vec<u8> {
    let files: Vec<serde_json::Value> = files
        .iter()
        .map(|(filename, url, sha)| serde_json::json!({"filename": filename, "url": url, "hashes": {"sha256": sha}}))
        .collect();
    serde_json::to_vec(&serde_json::json!({"meta": {"api-version": "1.1"}, "name": "x", "files": files})).unwrap()
}

/// Every file under `dir`, recursively.
pub fn files_under(dir: &Path) -> Vec<PathBuf> {
    let mut out = Vec::new();
    let Ok(entries) = std::fs::read_dir(dir) else { return out };
    for entry in entries.flatten() {
        let path = entry.path();
        if path.is_dir() && !path.is_symlink() {
            out.extend(files_under(&path));
        } else {
            out.push(path);
        }
    }
    out
}

/// A release folder for Pyodide `version` (0.27.7, 0.29.3, 314.0.7, 315.0.0-alpha.2) in `dir`:
/// the release's own `package.json`, `pyodide.js` and `pyodide-lock.json` (committed in
/// testdata/releases/, checked against the pinned tarballs by testdata/fetch.sh) and an empty
/// `pyodide.asm.wasm`. Enough for what only reads a release (lock, resolution, a fake host),
/// with no download; nothing can run in it.
pub fn release_dir(version: &str, dir: &Path) -> PathBuf {
    let release = dir.join(format!("pyodide-{version}"));
    std::fs::create_dir_all(&release).unwrap();
    for file in ["package.json", "pyodide.js", "pyodide-lock.json"] {
        std::fs::copy(testdata(&format!("releases/{version}/{file}")), release.join(file)).unwrap();
    }
    std::fs::write(release.join("pyodide.asm.wasm"), b"").unwrap();
    release
}

/// A folder holding a fake `node` (it says it is v20.20.2, then does `behaviour`): for what a
/// runtime's failure, or a machine with Node but no browser, turns into.
pub fn fake_node(dir: &Path, behaviour: &str) -> PathBuf {
    use std::os::unix::fs::PermissionsExt;
    let bin = dir.join(format!("bin-{}", behaviour.len()));
    std::fs::create_dir_all(&bin).unwrap();
    let script = bin.join("node");
    std::fs::write(
        &script,
        format!("#!/bin/sh\nif [ \"$1\" = --version ]; then echo v20.20.2; exit 0; fi\n{behaviour}\n"),
    )
    .unwrap();
    std::fs::set_permissions(&script, std::fs::Permissions::from_mode(0o755)).unwrap();
    bin
}

/// A fake `node` that speaks the driver protocol: asked to run the driver (`node -e ...`), it
/// reads the job and answers with `result` (an outcome, as JSON); asked for a session
/// (`node --single-threaded --expose-gc -e ...`), it says it is ready, then answers every job the same way,
/// under the job's id; asked to run a script (a bundle's `run.mjs`), it prints
/// `script_stdout` and exits with `script_exit`. For the logic that needs only a host's
/// answers, through the binary; nothing runs.
pub fn protocol_node(dir: &Path, result: &serde_json::Value, script_stdout: &str, script_exit: i32) -> PathBuf {
    use std::os::unix::fs::PermissionsExt;
    let bin = dir.join("protocol-node");
    std::fs::create_dir_all(&bin).unwrap();
    std::fs::write(bin.join("result.json"), result.to_string()).unwrap();
    std::fs::write(bin.join("stdout.txt"), script_stdout).unwrap();
    let here = bin.display();
    let protocol = wasmwheel::PROTOCOL_VERSION;
    let script = format!(
        "#!/bin/sh\nif [ \"$1\" = --version ]; then echo v20.20.2; exit 0; fi\n\
         if [ \"$1\" = -e ]; then /bin/cat >/dev/null; printf '\\036{{\"protocol\":{protocol},\"result\":'; \
         /bin/cat '{here}/result.json'; echo '}}'; exit 0; fi\n\
         if [ \"$1\" = --single-threaded ] || [ \"$1\" = --expose-gc ]; then read -r hello; \
         printf '\\036{{\"protocol\":{protocol},\"ready\":{{\"snapshot\":\"none\",\"ms\":0}}}}\\n'; \
         while read -r line; do id=$(printf '%s' \"$line\" | /bin/sed -n 's/^{{\"protocol\":[0-9]*,\"id\":\\([0-9]*\\).*/\\1/p'); \
         printf '\\036{{\"protocol\":{protocol},\"id\":%s,\"result\":' \"$id\"; /bin/cat '{here}/result.json'; echo '}}'; done; exit 0; fi\n\
         /bin/cat '{here}/stdout.txt'; exit {script_exit}\n"
    );
    std::fs::write(bin.join("node"), script).unwrap();
    std::fs::set_permissions(bin.join("node"), std::fs::Permissions::from_mode(0o755)).unwrap();
    bin
}

/// An outcome in which the install worked and nothing else was asked of the driver.
pub fn installed_outcome() -> serde_json::Value {
    serde_json::json!({"startup_ms": 1, "install": {"ok": true, "error": null, "ms": 1}, "imports": [],
                       "link": [], "code": null, "entry": null})
}

/// PATH of `bin` alone: its programs and nothing of the machine's (no Node, no Chromium).
pub fn path_with(bin: &Path) -> std::ffi::OsString {
    bin.as_os_str().to_os_string()
}

/// A traced run's outcome: the entry exited with `exit`, printed `stdout` and `stderr`, and
/// imported fxpure (the stand-in host's answer for `pack`).
pub fn traced_outcome(exit: i32, stdout: &str, stderr: &str) -> serde_json::Value {
    let site = "/lib/python3.14/site-packages";
    let mut outcome = installed_outcome();
    outcome["entry"] = serde_json::json!({"exit": exit, "error": null, "stdout": stdout, "stderr": stderr,
        "site_packages": site, "files": [format!("{site}/fxpure/__init__.py")], "opened": [], "loaded": [], "ms": 1});
    outcome
}
