//! What needs only a host's answers, with a host the test writes: the bookkeeping of `test`,
//! `audit --confirm` and `pack` (which releases, what a failure or a disagreement becomes,
//! when a bundle is written), run through the library with [`Runtime::from_hosts`]. Releases
//! come from a loopback npm registry that serves tarballs made from the releases' own files
//! (testdata/releases/), so nothing here needs Node, a browser or the network. What users see
//! is proven on the real runtimes by the other modules.

use std::path::Path;
use std::sync::{Arc, Mutex};
use std::time::Duration;

use serde_json::{Value, json};
use wasmwheel::{
    Bundle, BundleOutcome, Cache, Client, Host, Hosts, Job, Outcome, Place, Plan, PolicySet, Runtime, RuntimeError,
    Sources, TestOptions, WheelBytes,
};

use crate::common::*;

/// The npm tarball of Pyodide `version`: its own `package.json`, `pyodide.js` and lock, and a
/// stand-in `pyodide.asm.wasm` (a wasm header and 4 KiB of zeros: nothing runs it here).
fn release_tarball(version: &str) -> Vec<u8> {
    let mut builder = tar::Builder::new(flate2::write::GzEncoder::new(Vec::new(), flate2::Compression::fast()));
    let mut files: Vec<(String, Vec<u8>)> = ["package.json", "pyodide.js", "pyodide-lock.json"]
        .iter()
        .map(|f| (f.to_string(), std::fs::read(testdata(&format!("releases/{version}/{f}"))).unwrap()))
        .collect();
    let mut wasm = b"\0asm\x01\0\0\0".to_vec();
    wasm.resize(4096 + 8, 0);
    files.push(("pyodide.asm.wasm".into(), wasm));
    for (name, data) in files {
        let mut header = tar::Header::new_gnu();
        header.set_size(data.len() as u64);
        header.set_mode(0o644);
        header.set_entry_type(tar::EntryType::Regular);
        builder.append_data(&mut header, format!("package/{name}"), data.as_slice()).unwrap();
    }
    builder.into_inner().unwrap().finish().unwrap()
}

/// An npm registry on 127.0.0.1 that has every pinned Pyodide release (see
/// [`release_tarball`]), with its integrity, as the real registry answers.
pub fn npm_registry() -> LoopbackServer {
    use base64::Engine;
    use sha2::Digest;
    let versions = ["0.27.7", "0.29.3", "314.0.7", "315.0.0-alpha.2"];
    let tarballs: Vec<(String, Vec<u8>)> = versions.iter().map(|v| (v.to_string(), release_tarball(v))).collect();
    let base = Arc::new(Mutex::new(String::new()));
    let base_in = base.clone();
    let server = LoopbackServer::start(move |request, _| {
        for (version, bytes) in &tarballs {
            if request.path == format!("/pyodide/{version}") {
                let integrity = base64::engine::general_purpose::STANDARD.encode(sha2::Sha512::digest(bytes));
                let tarball = format!("{}/tarballs/pyodide-{version}.tgz", base_in.lock().unwrap());
                let body = json!({"dist": {"tarball": tarball, "integrity": format!("sha512-{integrity}")}});
                return Reply::Ok("application/json", serde_json::to_vec(&body).unwrap());
            }
            if request.path == format!("/tarballs/pyodide-{version}.tgz") {
                return Reply::Ok("application/octet-stream", bytes.clone());
            }
        }
        Reply::Status(404)
    });
    *base.lock().unwrap() = server.url.clone();
    server
}

/// What the fake host answers a job with.
type Answer = dyn Fn(&str, &Job) -> Result<Value, String> + Send + Sync;

/// A host whose answers the test writes: `answer(release version, job)` gives the outcome's
/// JSON (the driver protocol's), or why the host failed. It records every job.
struct FakeHost {
    answer: Box<Answer>,
    bundle: Box<dyn Fn(&Bundle<'_>) -> BundleOutcome + Send + Sync>,
    jobs: Mutex<Vec<(String, Job)>>,
}

impl std::fmt::Debug for FakeHost {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str("FakeHost")
    }
}

impl Host for FakeHost {
    fn name(&self) -> &'static str {
        "fake"
    }

    fn run(&self, job: &Job, _: Duration) -> Result<Outcome, RuntimeError> {
        let dir = job.pyodide.file_name().unwrap().to_string_lossy().into_owned();
        let version = release_version(&job.pyodide).unwrap_or(dir);
        self.jobs.lock().unwrap().push((version.clone(), job.clone()));
        match (self.answer)(&version, job) {
            Ok(value) => Ok(serde_json::from_value(value).expect("an outcome of the protocol")),
            Err(why) => Err(RuntimeError::Node(wasmwheel::NodeError::NoResult { status: "fake".into(), stderr: why })),
        }
    }

    fn run_bundle(&self, bundle: &Bundle<'_>, _: Duration) -> Result<BundleOutcome, RuntimeError> {
        Ok((self.bundle)(bundle))
    }
}

/// The version of the release folder a job names (its `package.json`).
fn release_version(dir: &Path) -> Option<String> {
    let package: Value = serde_json::from_slice(&std::fs::read(dir.join("package.json")).ok()?).ok()?;
    Some(package["version"].as_str()?.to_string())
}

impl FakeHost {
    fn new(answer: impl Fn(&str, &Job) -> Result<Value, String> + Send + Sync + 'static) -> Arc<FakeHost> {
        Arc::new(FakeHost {
            answer: Box::new(answer),
            bundle: Box::new(|_| BundleOutcome::new(Some(0), String::new(), String::new())),
            jobs: Mutex::new(Vec::new()),
        })
    }

    fn releases(&self) -> Vec<String> {
        let mut versions: Vec<String> = self.jobs.lock().unwrap().iter().map(|(v, _)| v.clone()).collect();
        versions.sort();
        versions
    }
}

/// An outcome in which everything installed and every import of the job worked, except the
/// modules of `failing` (with their error).
fn outcome(job: &Job, failing: &[(&str, &str)]) -> Value {
    let imports: Vec<Value> = job
        .imports
        .iter()
        .map(|module| {
            let error = failing.iter().find(|(m, _)| m == module).map(|(_, e)| *e);
            json!({"module": module, "ok": error.is_none(), "error": error, "ms": 1})
        })
        .collect();
    let code = job.code.as_ref().map(|_| json!({"ok": true, "error": null, "stdout": "7\n", "ms": 1}));
    json!({"startup_ms": 1, "install": {"ok": true, "error": null, "ms": 1}, "imports": imports,
           "link": [], "code": code, "entry": null})
}

/// A world with a registry of the releases, a cache, and a runtime of `host`.
struct World {
    _registry: LoopbackServer,
    cache: tempfile::TempDir,
    runtime: Runtime,
}

fn world(host: Arc<dyn Host>, bundles: Vec<(Place, Arc<FakeHost>)>) -> World {
    let registry = npm_registry();
    let cache = tempfile::tempdir().unwrap();
    let sources = Sources {
        cache: Cache::at(cache.path().to_path_buf()),
        registry: wasmwheel::Registry::new(&registry.url, Client::default()),
        offline: false,
    };
    let mut hosts = Hosts::default();
    hosts.pyodide = Some(host);
    hosts.bundles = bundles.into_iter().map(|(p, h)| (p, h as Arc<dyn Host>)).collect();
    World { _registry: registry, cache, runtime: Runtime::from_hosts(hosts, sources, Duration::from_secs(60)) }
}

/// A plan with no index (nothing here asks one), its cache in `cache`.
fn plan(cache: &Path) -> Plan {
    let fetcher =
        wasmwheel::Fetcher { client: Client::default(), cache: Cache::at(cache.to_path_buf()), offline: false };
    let sources = wasmwheel::PackageSources {
        indexes: Vec::new(),
        release_url: wasmwheel::ReleaseUrl::default(),
        fetcher,
        pre: false,
        from_index: Default::default(),
    };
    Plan { roots: Vec::new(), sources }
}

fn open(name: &str) -> WheelBytes {
    WheelBytes::open(&fixture(name)).unwrap()
}

const CLEAN: &str = "fxclean-1.0-cp312-abi3-pyemscripten_2024_0_wasm32.whl";

#[test]
fn test_runs_in_each_compatible_release_and_the_prerelease_when_asked() {
    let host = FakeHost::new(|_, job| Ok(outcome(job, &[])));
    let w = world(host.clone(), Vec::new());
    let policies = PolicySet::load(&[] as &[&str]).unwrap();
    let wheels = [open(CLEAN)];
    let runs =
        wasmwheel::test_wheels(&wheels, &plan(w.cache.path()), &policies, &w.runtime, &TestOptions::default()).unwrap();
    let platforms: Vec<String> = runs.iter().map(|r| r.platform.to_string()).collect();
    assert_eq!(platforms, ["pyemscripten_2024_0_wasm32", "pyemscripten_2025_0_wasm32", "pyemscripten_2026_0_wasm32"]);
    assert_eq!(host.releases(), ["0.27.7", "0.29.3", "314.0.7"], "one job per release");
    assert!(runs.iter().all(|r| r.ok && r.not_run.is_none() && r.runtime == "fake"));
    assert!(
        host.jobs.lock().unwrap().iter().all(|(_, j)| j.imports == ["fxclean", "fxclean._clean"]),
        "its top-level module, then its extension module by its dotted name"
    );
    assert_eq!(runs[0].wheels[0].extensions.len(), 1, "the extension's import, reported with the wheel");
    assert_eq!(runs[0].wheels[0].extensions[0].module, "fxclean._clean");

    let mut options = TestOptions::default();
    options.prerelease = true;
    options.code = Some("import fxclean; print(fxclean.value())".into());
    let runs = wasmwheel::test_wheels(&wheels, &plan(w.cache.path()), &policies, &w.runtime, &options).unwrap();
    assert_eq!(runs.last().unwrap().platform.to_string(), "pyemscripten_2026_5_wasm32");
    for run in &runs {
        assert_eq!(run.code.as_ref().unwrap().stdout, "7\n");
        assert!(run.wheels[0].audit.as_ref().unwrap().compatible);
    }
}

#[test]
fn a_release_the_host_cannot_finish_is_not_run_and_the_others_are_reported() {
    let host = FakeHost::new(|version, job| {
        if version == "0.29.3" { Err("it crashed".into()) } else { Ok(outcome(job, &[("fxclean", "ImportError: x")])) }
    });
    let w = world(host, Vec::new());
    let policies = PolicySet::load(&[] as &[&str]).unwrap();
    let runs =
        wasmwheel::test_wheels(&[open(CLEAN)], &plan(w.cache.path()), &policies, &w.runtime, &TestOptions::default())
            .unwrap();
    assert_eq!(runs.len(), 3);
    let not_run: Vec<&str> = runs.iter().filter(|r| r.not_run.is_some()).map(|r| r.pyodide.as_str()).collect();
    assert_eq!(not_run, ["0.29.3"]);
    assert!(runs[1].not_run.as_ref().unwrap().contains("it crashed"), "{:?}", runs[1].not_run);
    assert!(runs.iter().all(|r| !r.ok), "the others ran, and failed as the host said");
    assert_eq!(runs[0].imports[0].error.as_deref(), Some("ImportError: x"));
}

#[test]
fn confirm_finds_each_disagreement_and_blames_no_wheel_for_a_missing_requirement() {
    // The host says fxclean does not import on 0.29.3 (the audit says it loads there), and
    // that fxthreads (which the audit refuses everywhere: shared memory) imports everywhere.
    let host = FakeHost::new(|version, job| {
        let failing: &[(&str, &str)] = if version == "0.29.3" { &[("fxclean", "ImportError: made up")] } else { &[] };
        Ok(outcome(job, failing))
    });
    let w = world(host.clone(), Vec::new());
    let policies = PolicySet::load(&[] as &[&str]).unwrap();
    let wheels = [
        open(CLEAN),
        open("fxthreads-1.0-cp312-abi3-pyemscripten_2024_0_wasm32.whl"),
        open("fxapp-1.0-py3-none-any.whl"),
    ];
    let audits: Vec<wasmwheel::Audit> =
        wheels.iter().map(|w| wasmwheel::audit(&w.wheel, &policies, &wasmwheel::AuditOptions::default())).collect();
    let pairs: Vec<(&WheelBytes, &wasmwheel::Audit)> = wheels.iter().zip(&audits).collect();
    let confirmed = wasmwheel::confirm(&pairs, &plan(w.cache.path()), &policies, &w.runtime).unwrap();
    let findings: Vec<Vec<wasmwheel::Finding>> =
        audits.iter().zip(&confirmed).map(|(a, c)| wasmwheel::confirm_findings(a, c)).collect();
    let on = |i: usize, rule: &str| -> Vec<String> {
        findings[i]
            .iter()
            .filter(|f| f.rule.to_string() == rule)
            .map(|f| f.platform.as_ref().map(ToString::to_string).unwrap_or_default())
            .collect()
    };
    assert_eq!(on(0, "confirm-mismatch"), ["pyemscripten_2025_0_wasm32"], "{:#?}", findings[0]);
    let threads = on(1, "confirm-mismatch");
    assert_eq!(threads.len(), confirmed[1].len(), "every platform disagrees: {threads:?}");
    // fxapp requires fxpkg, which no source has here (no index): not run, a warning, no
    // mismatch; and no job was made for it.
    assert!(on(2, "confirm-mismatch").is_empty(), "{:#?}", findings[2]);
    assert_eq!(on(2, "confirm-unmet-requirement").len(), confirmed[2].len());
    assert!(confirmed[2].iter().all(|c| !c.ran && c.not_run.is_none()));
    assert!(host.jobs.lock().unwrap().iter().all(|(_, j)| !j.imports.contains(&"fxapp".to_string())));
}

#[test]
fn reports_of_test_and_confirm_match_the_schema() {
    // One release crashes, one fails an import, one has a function nothing provides.
    let host = FakeHost::new(|version, job| match version {
        "314.0.7" => Err("it crashed".into()),
        "0.29.3" => {
            let mut value = outcome(job, &[]);
            value["link"] = json!([{"library": "fxclean/_clean.abi3.so", "unresolved": ["invoke_iii"]}]);
            Ok(value)
        }
        _ => Ok(outcome(job, &[("fxclean", "ImportError: x")])),
    });
    let w = world(host, Vec::new());
    let policies = PolicySet::load(&[] as &[&str]).unwrap();
    let wheels = [open(CLEAN)];
    let mut options = TestOptions::default();
    options.code = Some("print(7)".into());
    let runs = wasmwheel::test_wheels(&wheels, &plan(w.cache.path()), &policies, &w.runtime, &options).unwrap();
    let mut out = Vec::new();
    wasmwheel::report::json::render(&mut out, "tests", &runs, &[]).unwrap();
    assert_valid(&serde_json::from_slice(&out).unwrap());

    let audit = wasmwheel::audit(&wheels[0].wheel, &policies, &wasmwheel::AuditOptions::default());
    let confirmed = wasmwheel::confirm(&[(&wheels[0], &audit)], &plan(w.cache.path()), &policies, &w.runtime).unwrap();
    let mut audit = audit;
    audit.findings.extend(wasmwheel::confirm_findings(&audit, &confirmed[0]));
    let mut report = wasmwheel::report::WheelReport::audited(&wheels[0].wheel, audit);
    report.confirmed = Some(confirmed.into_iter().next().unwrap());
    let mut out = Vec::new();
    wasmwheel::report::json::render(&mut out, "wheels", &[report], &[]).unwrap();
    let value: Value = serde_json::from_slice(&out).unwrap();
    assert_valid(&value);
    let confirmations = value["wheels"][0]["confirmed"].as_array().unwrap();
    assert!(confirmations.iter().any(|c| c["not_run"].is_string()) && confirmations.iter().any(|c| c["ran"] == true));
}

fn assert_valid(value: &Value) {
    let schema: Value =
        serde_json::from_str(&std::fs::read_to_string(testdata("../spec/report.schema.json")).unwrap()).unwrap();
    let validator = jsonschema::validator_for(&schema).unwrap();
    let errors: Vec<String> = validator.iter_errors(value).map(|e| format!("{e} at {}", e.instance_path())).collect();
    assert!(errors.is_empty(), "{errors:#?}\n{value:#}");
    let mut wrong = value.clone();
    wrong["schema_version"] = 99.into();
    assert!(!validator.is_valid(&wrong), "the schema can fail");
}

/// The traced run of an entry that prints `stdout`, having read `files` (absolute, in
/// site-packages).
fn traced(job: &Job, stdout: &str, files: &[&str]) -> Value {
    let site = "/lib/python3.14/site-packages";
    let files: Vec<String> = files.iter().map(|f| format!("{site}/{f}")).collect();
    let entry = job.entry.as_ref().map(|_| {
        json!({"exit": 0, "error": null, "stdout": stdout, "stderr": "", "site_packages": site,
               "files": files, "opened": [], "loaded": [], "ms": 1})
    });
    let mut value = outcome(job, &[]);
    value["entry"] = entry.unwrap_or(Value::Null);
    value
}

#[test]
fn pack_writes_a_bundle_only_when_every_host_runs_it_as_traced() {
    let entry_dir = tempfile::tempdir().unwrap();
    let entry = entry_dir.path().join("app.py");
    std::fs::write(&entry, "import fxpure\nprint('hello')\n").unwrap();
    let wheels = [open("fxpure-1.0-py3-none-any.whl")];
    let policies = PolicySet::load(&[] as &[&str]).unwrap();
    for (node_says, expected) in [("hello\n", None), ("hello\nagain\n", Some("under Node: stdout differs from line 2"))]
    {
        let host = FakeHost::new(|_, job| Ok(traced(job, "hello\n", &["fxpure/__init__.py"])));
        let said = node_says.to_string();
        let node = Arc::new(FakeHost {
            answer: Box::new(|_, _| Err("no jobs".into())),
            bundle: Box::new(move |bundle| {
                assert!(bundle.dir.join("pyodide-lock.json").is_file(), "the bundle is whole when it runs");
                BundleOutcome::new(Some(0), said.clone(), String::new())
            }),
            jobs: Mutex::new(Vec::new()),
        });
        let w = world(host, vec![(Place::Node, node)]);
        let release = w.runtime.release(&"314.0.7".parse().unwrap()).unwrap();
        let plan = plan(w.cache.path());
        let given: Vec<&WheelBytes> = wheels.iter().collect();
        let target = wasmwheel::Target::of(&release, &policies).unwrap();
        let request = wasmwheel::Request { given: &given, also: &[], roots: &plan.roots };
        let resolution = wasmwheel::resolve(request, &target, &plan.sources).unwrap();
        let input = wasmwheel::PackInput { entry: Some(&entry), resolution: &resolution, sources: &plan.sources };
        let out_parent = tempfile::tempdir().unwrap();
        let out = out_parent.path().join("bundle");
        let packed =
            wasmwheel::pack(input, &policies, &release, &w.runtime, &wasmwheel::PackOptions::default(), &out).unwrap();
        match expected {
            None => {
                assert!(!packed.failed(), "{packed:?}");
                assert_eq!(packed.verified, ["fake"]);
                assert!(out.join("package.json").is_file() && out.join("app.py").is_file());
            }
            Some(why) => {
                let failure = packed.failure.clone().unwrap_or_default();
                assert!(failure.contains(why), "{failure}");
                assert!(!out.exists(), "nothing written");
                assert_eq!(std::fs::read_dir(out_parent.path()).unwrap().count(), 0, "no staging folder left");
            }
        }
    }
}

/// A host with sessions of its own: it counts the sessions started per release and the jobs
/// each served; its `fail` job ends its session.
#[derive(Debug, Default)]
struct SessionHost {
    started: Mutex<Vec<String>>,
}

struct CountingSession {
    release: String,
}

impl wasmwheel::Session for CountingSession {
    fn run(&mut self, job: &Job, _: Duration) -> Result<Outcome, RuntimeError> {
        if job.imports.iter().any(|m| m == "fail") {
            return Err(RuntimeError::Unsupported { host: "session", what: "this job" });
        }
        let value = json!({"startup_ms": 0, "install": {"ok": true, "error": null, "ms": 0}, "imports": [],
                           "link": [], "code": {"ok": true, "error": null, "stdout": format!("{} {}", self.release, job.imports[0]), "ms": 0},
                           "entry": null});
        Ok(serde_json::from_value(value).unwrap())
    }
}

impl Host for SessionHost {
    fn name(&self) -> &'static str {
        "sessions"
    }

    fn run(&self, _: &Job, _: Duration) -> Result<Outcome, RuntimeError> {
        panic!("the pool runs jobs in sessions")
    }

    fn session<'a>(
        &'a self,
        release: &wasmwheel::Release,
        _: &wasmwheel::SessionContext,
    ) -> Result<Box<dyn wasmwheel::Session + 'a>, RuntimeError> {
        self.started.lock().unwrap().push(release.version.clone());
        Ok(Box::new(CountingSession { release: release.version.clone() }))
    }
}

#[test]
fn the_pool_serves_each_release_in_one_session_and_starts_another_after_a_failure() {
    let host = Arc::new(SessionHost::default());
    let mut w = world(host.clone(), Vec::new());
    let runtime = &mut w.runtime;
    runtime.workers = Some(1);
    let releases: Vec<wasmwheel::Release> =
        ["0.29.3", "314.0.7"].iter().map(|v| runtime.release(&v.parse().unwrap()).unwrap()).collect();
    // Jobs of both releases, interleaved; one of them fails its session.
    let names = ["a", "b", "fail", "c", "d", "e"];
    let jobs: Vec<Job> = names
        .iter()
        .map(|name| {
            let mut job = Job::default();
            job.imports = vec![name.to_string()];
            job
        })
        .collect();
    let work: Vec<wasmwheel::Work> =
        jobs.iter().enumerate().map(|(i, job)| wasmwheel::Work { release: &releases[i % 2], job }).collect();
    let outcomes = runtime.run(&work);
    let printed: Vec<String> = outcomes
        .iter()
        .map(|o| o.as_ref().map_or_else(|e| format!("error: {e}"), |o| o.code.as_ref().unwrap().stdout.clone()))
        .collect();
    assert_eq!(
        printed,
        ["0.29.3 a", "314.0.7 b", "error: session does not run this job", "314.0.7 c", "0.29.3 d", "314.0.7 e"],
        "each outcome in the order given"
    );
    // One worker: 0.29.3's jobs (a, fail, d) in a session, started again after the job that
    // failed it; then 314.0.7's (b, c, e) in one.
    assert_eq!(*host.started.lock().unwrap(), ["0.29.3", "0.29.3", "314.0.7"]);
}

/// pytest's answer in one release: every way a test can end, and a file that did not collect.
fn pytest_outcome(job: &Job, exit: i32) -> Value {
    let mut value = outcome(job, &[]);
    let test = |name: &str, outcome: &str, line: u64, message: Option<&str>| {
        json!({"nodeid": format!("fxclean/tests/test_a.py::{name}"), "outcome": outcome,
               "file": "fxclean/tests/test_a.py", "line": line, "ms": line * 10, "message": message})
    };
    let tests = match exit {
        0 => vec![test("test_ok", "passed", 1, None), test("test_skip", "skipped", 2, Some("no threads"))],
        _ => vec![
            test("test_ok", "passed", 1, None),
            test("test_bad", "failed", 5, Some("assert 7 == 8")),
            test("test_setup", "error", 9, Some("fixture 'db' not found")),
            test("test_skip", "skipped", 12, Some("no threads")),
            test("test_x", "xfailed", 15, Some("known")),
        ],
    };
    let errors =
        if exit == 0 { json!([]) } else { json!([{"nodeid": "fxclean/tests/test_b.py", "message": "ImportError: b"}]) };
    value["pytest"] = json!({"exit": exit, "collected": tests.len(), "tests": tests, "collect_errors": errors,
                             "collect_ms": 3, "run_ms": 4, "output": "", "ms": 9});
    value
}

/// The pytest job carries the wheels' packages and streams; its answer is counted, each
/// failure named with why and where, and rendered as text, schema-valid JSON, GitHub
/// annotations and a JUnit file per release that reads back; a release whose tests failed
/// is not ok, one whose tests passed is.
#[test]
fn pytest_answers_are_counted_reported_and_written_as_junit() {
    let host = FakeHost::new(|version, job| {
        let pytest = job.pytest.as_ref().expect("a pytest job");
        assert_eq!(pytest.packages, ["fxclean"], "the wheel's own tests");
        assert!(pytest.args.contains(&"--capture=sys".to_string()) && pytest.args.ends_with(&["-x".to_string()]));
        assert!(job.stream && pytest.archive.is_none());
        Ok(pytest_outcome(job, if version == "314.0.7" { 1 } else { 0 }))
    });
    let w = world(host, Vec::new());
    let policies = PolicySet::load(&[] as &[&str]).unwrap();
    let wheels = [open(CLEAN)];
    let mut options = TestOptions::default();
    options.pytest = Some(wasmwheel::PytestOptions::new(Vec::new(), vec!["-x".into()]));
    let runs = wasmwheel::test_wheels(&wheels, &plan(w.cache.path()), &policies, &w.runtime, &options).unwrap();
    assert_eq!(runs.len(), 3, "every release the audit calls compatible");
    let failing = runs.iter().find(|r| r.pyodide == "314.0.7").unwrap();
    assert!(!failing.ok && runs.iter().filter(|r| r.pyodide != "314.0.7").all(|r| r.ok));
    let report = failing.pytest.as_ref().unwrap();
    let c = &report.counts;
    assert_eq!((c.passed, c.failed, c.errors, c.skipped, c.xfailed, c.xpassed), (1, 1, 2, 1, 1, 0));
    assert_eq!(report.status, "tests failed");
    let named: Vec<(&str, Option<u64>)> = report.failures.iter().map(|f| (f.nodeid.as_str(), f.line)).collect();
    assert_eq!(
        named,
        [
            ("fxclean/tests/test_a.py::test_bad", Some(5)),
            ("fxclean/tests/test_a.py::test_setup", Some(9)),
            ("fxclean/tests/test_b.py", None)
        ]
    );

    let mut text = Vec::new();
    wasmwheel::report::text::test_run(&mut text, failing).unwrap();
    let text = String::from_utf8(text).unwrap();
    assert!(
        text.contains("pytest: tests failed (exit 1): 5 collected, 1 passed, 1 failed, 2 errors, 1 skipped, 1 xfailed"),
        "{text}"
    );
    assert!(
        text.contains("FAILED fxclean/tests/test_a.py::test_bad (fxclean/tests/test_a.py:5): assert 7 == 8"),
        "{text}"
    );
    let mut json_out = Vec::new();
    wasmwheel::report::json::render(&mut json_out, "tests", &runs, &[]).unwrap();
    assert_valid(&serde_json::from_slice(&json_out).unwrap());
    let mut github = Vec::new();
    wasmwheel::report::github::render_tests(&mut github, &runs, &[]).unwrap();
    let github = String::from_utf8(github).unwrap();
    assert!(github.contains("::error file=fxclean/tests/test_a.py,line=5,title=wasmwheel test%3A Pyodide 314.0.7::failed fxclean/tests/test_a.py::test_bad: assert 7 == 8"), "{github}");

    let junit = tempfile::tempdir().unwrap();
    let dir = junit.path().join("junit");
    wasmwheel::report::junit::write(&dir, &runs).unwrap();
    let mut names: Vec<String> =
        std::fs::read_dir(&dir).unwrap().map(|e| e.unwrap().file_name().to_string_lossy().into_owned()).collect();
    names.sort();
    assert_eq!(
        names,
        ["pytest-pyodide-0.27.7-fake.xml", "pytest-pyodide-0.29.3-fake.xml", "pytest-pyodide-314.0.7-fake.xml"]
    );
    let xml = std::fs::read_to_string(dir.join("pytest-pyodide-314.0.7-fake.xml")).unwrap();
    let read = quick_junit::Report::deserialize_from_str(&xml).unwrap();
    assert_eq!((read.tests, read.failures, read.errors), (6, 1, 2), "five tests and the file that did not collect");
    let suite = &read.test_suites[0];
    let bad = suite.test_cases.iter().find(|t| t.name.as_str() == "test_bad").unwrap();
    assert_eq!(bad.classname.as_ref().map(|c| c.as_str()), Some("fxclean.tests.test_a"));
    match &bad.status {
        quick_junit::TestCaseStatus::NonSuccess { kind, message, .. } => {
            assert_eq!(*kind, quick_junit::NonSuccessKind::Failure);
            assert_eq!(message.as_ref().map(|m| m.as_str()), Some("assert 7 == 8"));
        }
        other => panic!("{other:?}"),
    }
    let skipped = suite.test_cases.iter().filter(|t| matches!(t.status, quick_junit::TestCaseStatus::Skipped { .. }));
    assert_eq!(skipped.count(), 2, "skipped and xfailed");
}
