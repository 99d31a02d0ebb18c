//! `wasmwheel test` and `audit --confirm`: wheels loaded in real Pyodide releases that
//! wasmwheel fetches from the npm registry and caches, under Node.

use crate::common::*;
use serde_json::Value;

/// `wasmwheel test --format json` with the shared release cache.
fn test_json(args: &[&str]) -> (i32, Value) {
    let mut all = vec!["test", "--format", "json"];
    all.extend(args);
    wasmwheel_json_cached(all)
}

/// The platform of each release run of a `test` report.
fn platforms(report: &Value) -> Vec<String> {
    report["tests"].as_array().unwrap().iter().map(|r| r["platform"].as_str().unwrap().to_string()).collect()
}

#[test]
#[ignore = "needs Node and the npm registry (Pyodide releases are fetched and cached)"]
fn a_repaired_wheel_passes_on_every_compatible_release_and_the_unrepaired_one_names_the_library() {
    let out = tempfile::tempdir().unwrap();
    let repaired = repaired(&fixture("fxpkg-1.0-cp314-cp314-pyemscripten_2026_0_wasm32.whl"), out.path());
    let (_, audit) = wasmwheel_json(["audit", "--format", "json", repaired.to_str().unwrap()]);
    let (code, report) = test_json(&[repaired.to_str().unwrap()]);
    assert_eq!(code, 0, "{report:#}");
    assert_eq!(platforms(&report), compatible(&audit), "one release per compatible platform");
    let run = &report["tests"][0];
    assert_eq!(run["pyodide"], "314.0.7");
    assert_eq!(run["imports"][0]["module"], "fxpkg");
    assert_eq!(run["imports"][0]["ok"], true);

    let unrepaired = fixture("fxpkg-1.0-cp314-cp314-pyemscripten_2026_0_wasm32.whl");
    let cache = release_cache();
    let out = wasmwheel_env(["test", unrepaired.to_str().unwrap()], &[("WASMWHEEL_CACHE_DIR", cache.as_os_str())]);
    let text = String::from_utf8_lossy(&out.stdout);
    assert_eq!(out.status.code(), Some(1), "{text}{}", stderr(&out));
    assert!(text.contains("Failed to find dynamic library \"libb.so\""), "names the library: {text}");
    assert!(text.contains("FAILED"), "{text}");
}

/// A module built with JavaScript exceptions imports on 315 (Emscripten binds functions
/// lazily) but its exception helpers resolve to nothing: `test` finds that without calling
/// them, and a call confirms it.
#[test]
#[ignore = "needs Node and the npm registry (Pyodide releases are fetched and cached)"]
fn functions_nothing_provides_fail_the_test_though_the_import_works() {
    let cppjs = fixture("fxcppjs-1.0-cp312-abi3-pyemscripten_2024_0_wasm32.whl");
    let (code, report) = test_json(&["--pyodide", "315.0.0-alpha.2", cppjs.to_str().unwrap()]);
    assert_eq!(code, 1, "{report:#}");
    let run = &report["tests"][0];
    assert_eq!(run["imports"][0]["ok"], true, "the import itself works: {run:#}");
    let unresolved: Vec<&str> =
        run["link"][0]["unresolved"].as_array().unwrap().iter().map(|s| s.as_str().unwrap()).collect();
    assert!(unresolved.contains(&"invoke_iii"), "{unresolved:?}");
    assert_eq!(run["wheels"][0]["audit"]["compatible"], false, "as the audit says");

    let (code, report) =
        test_json(&["--pyodide", "315.0.0-alpha.2", "-c", "import fxcppjs; fxcppjs.value()", cppjs.to_str().unwrap()]);
    assert_eq!(code, 1);
    let error = report["tests"][0]["code"]["error"].as_str().unwrap();
    assert!(error.contains("cannot resolve symbol invoke_iii"), "calling fails as predicted: {error}");

    let (code, report) = test_json(&["--pyodide", "0.27.7", cppjs.to_str().unwrap()]);
    assert_eq!(code, 0, "JavaScript exceptions link on 0.27: {report:#}");
}

/// A release fetched once is used from the cache: the registry is not asked again. The
/// registry is a loopback one, and a stand-in `node` answers every run as installed.
#[test]
fn a_second_run_needs_no_network() {
    let cache = tempfile::tempdir().unwrap();
    let registry = crate::fake::npm_registry();
    let node = protocol_node(cache.path(), &installed_outcome(), "", 0);
    let path = path_with(&node);
    let wasmwheel_env = |args: &[&str], env: &[(&str, &std::ffi::OsStr)]| {
        let mut all = vec![("PATH", path.as_os_str())];
        all.extend_from_slice(env);
        if !env.iter().any(|(k, _)| *k == "WASMWHEEL_NPM_REGISTRY") {
            all.push(("WASMWHEEL_NPM_REGISTRY", registry.url.as_ref()));
        }
        crate::common::wasmwheel_env(args, &all)
    };
    let clean = fixture("fxclean-1.0-cp312-abi3-pyemscripten_2024_0_wasm32.whl");
    let args = ["test", "--pyodide", "314.0.7", clean.to_str().unwrap()];
    let dir = cache.path().join("cache");
    let dir = dir.as_os_str();
    let first = wasmwheel_env(&args, &[("WASMWHEEL_CACHE_DIR", dir)]);
    assert_eq!(first.status.code(), Some(0), "{}", stderr(&first));
    // Nothing listens on port 9 (discard): any request would fail.
    let unreachable = std::ffi::OsStr::new("http://127.0.0.1:9");
    let second = wasmwheel_env(&args, &[("WASMWHEEL_CACHE_DIR", dir), ("WASMWHEEL_NPM_REGISTRY", unreachable)]);
    assert_eq!(second.status.code(), Some(0), "the cache serves it: {}", stderr(&second));
    let offline = wasmwheel_env(
        &["test", "--offline", "--pyodide", "314.0.7", clean.to_str().unwrap()],
        &[("WASMWHEEL_CACHE_DIR", dir)],
    );
    assert_eq!(offline.status.code(), Some(0), "{}", stderr(&offline));
    assert_eq!(registry.seen().len(), 2, "asked once: the metadata and the tarball");

    // Without the cache, the unreachable registry is an error that says what failed.
    let empty = tempfile::tempdir().unwrap();
    let out = wasmwheel_env(
        &args,
        &[("WASMWHEEL_CACHE_DIR", empty.path().as_os_str()), ("WASMWHEEL_NPM_REGISTRY", unreachable)],
    );
    assert_eq!(out.status.code(), Some(2));
    let err = stderr(&out);
    assert_eq!(err.lines().count(), 1, "{err}");
    assert!(err.contains("pyodide@314.0.7") && err.contains("127.0.0.1:9"), "{err}");
    let out = wasmwheel_env(
        &["test", "--offline", "--pyodide", "314.0.7", clean.to_str().unwrap()],
        &[("WASMWHEEL_CACHE_DIR", empty.path().as_os_str())],
    );
    assert_eq!(out.status.code(), Some(2));
    assert!(stderr(&out).contains("--offline"), "{}", stderr(&out));
    assert_eq!(std::fs::read_dir(empty.path()).map(|d| d.count()).unwrap_or(0), 0, "nothing left in the cache");
}

/// Without Node, `test` and `audit --confirm` stop at once with one line naming what is needed;
/// `audit` alone never needs Node.
#[test]
fn without_node_it_says_so_in_one_line() {
    let empty = tempfile::tempdir().unwrap();
    let clean = fixture("fxclean-1.0-cp312-abi3-pyemscripten_2024_0_wasm32.whl");
    let clean = clean.to_str().unwrap();
    let path = empty.path().as_os_str();
    for args in [vec!["test", clean], vec!["audit", "--confirm", clean]] {
        let out = wasmwheel_env(&args, &[("PATH", path)]);
        assert_eq!(out.status.code(), Some(2), "{args:?}");
        let err = stderr(&out);
        assert_eq!(err.lines().count(), 1, "{err}");
        assert!(err.contains("node is not on PATH") && err.contains("Node.js 18"), "{err}");
        assert!(out.stdout.is_empty());
    }
    let out = wasmwheel_env(["audit", clean], &[("PATH", path)]);
    assert_eq!(out.status.code(), Some(0), "{}", stderr(&out));
}

#[test]
fn bad_arguments_are_usage_errors() {
    let clean = fixture("fxclean-1.0-cp312-abi3-pyemscripten_2024_0_wasm32.whl");
    let clean = clean.to_str().unwrap();
    for (args, says) in [
        (vec!["test", "--pyodide", "latest", clean], "neither a Pyodide version"),
        (vec!["test", "--import", "not a module", clean], "not a module name"),
        (vec!["test", "testdata/nothing.whl"], "nothing.whl"),
    ] {
        let out = wasmwheel(&args);
        assert_eq!(out.status.code(), Some(2), "{args:?}");
        assert!(stderr(&out).contains(says), "{args:?}: {}", stderr(&out));
    }
}

/// The Done-when of `audit --confirm`: on every Emscripten fixture, real loading in 0.27.7,
/// 0.29.3, 314.0.7 and 315.0.0-alpha.2 agrees with the audit, platform by platform.
#[test]
#[ignore = "needs Node and the npm registry (Pyodide releases are fetched and cached)"]
fn audit_confirm_agrees_with_real_loading_on_every_fixture() {
    let wheels: Vec<String> = std::fs::read_dir(testdata("wheels"))
        .unwrap()
        .map(|e| e.unwrap().path())
        .filter(|p| {
            let name = p.file_name().unwrap().to_str().unwrap();
            name.contains("pyemscripten_") || name.contains("pyodide_")
        })
        .map(|p| p.display().to_string())
        .collect();
    let mut args = vec!["audit".to_string(), "--confirm".into(), "--format".into(), "json".into()];
    args.extend(wheels.iter().cloned());
    let (_, report) = wasmwheel_json_cached(&args);
    // Each wheel in a process of its own that starts Pyodide from nothing gives the same
    // answers as the sessions (a snapshot restored for each wheel).
    let mut isolated = args.clone();
    isolated.insert(2, "--isolate".into());
    let (_, alone) = wasmwheel_json_cached(&isolated);
    let answers = |report: &Value| -> Vec<(String, String, Value, Value)> {
        let mut all = Vec::new();
        for wheel in report["wheels"].as_array().unwrap() {
            for c in wheel["confirmed"].as_array().unwrap() {
                let (name, pyodide) = (wheel["filename"].to_string(), c["pyodide"].to_string());
                all.push((name, pyodide, c["loads"].clone(), c["error"].clone()));
            }
        }
        all
    };
    assert_eq!(answers(&report), answers(&alone), "sessions and --isolate agree on every fixture and release");
    let reports = report["wheels"].as_array().unwrap();
    assert_eq!(reports.len(), wheels.len());
    let mut judged = std::collections::BTreeSet::new();
    let mut both = (false, false);
    for wheel in reports {
        let confirmed = wheel["confirmed"].as_array().unwrap();
        assert_eq!(confirmed.len(), 4, "{}: every platform is loaded", wheel["filename"]);
        for c in confirmed {
            judged.insert(c["platform"].as_str().unwrap().to_string());
            assert_eq!(c["loads"], c["compatible"], "{}: {c:#}", wheel["filename"]);
            if c["loads"] == true { both.0 = true } else { both.1 = true }
        }
        let mismatches: Vec<&Value> =
            wheel["findings"].as_array().unwrap().iter().filter(|f| f["rule"] == "confirm-mismatch").collect();
        assert!(mismatches.is_empty(), "{mismatches:#?}");
    }
    assert_eq!(judged.len(), 4, "{judged:?}");
    assert_eq!(both, (true, true), "wheels that load and wheels that do not");
    // fxfallback's package imports everywhere (a pure-Python fallback); its extension only on
    // 2026_0. Each extension is imported by its name: the fallback cannot pass for it.
    let fallback = reports.iter().find(|w| w["name"] == "fxfallback").expect("the fallback fixture");
    for c in fallback["confirmed"].as_array().unwrap() {
        let extension = &c["extensions"][0];
        assert_eq!(extension["module"], "fxfallback._speedup", "{c:#}");
        assert_eq!(extension["ok"], c["compatible"], "{c:#}");
        if c["compatible"] == false {
            assert!(c["error"].as_str().unwrap().contains("import fxfallback._speedup: ModuleNotFoundError"), "{c:#}");
        }
    }
}

/// Loaded in 314.0.7, real PyPI wheels for 2026_0 pass `test`.
#[test]
#[ignore = "needs Node, the npm registry and the PyPI wheels (testdata/fetch.sh)"]
fn real_pypi_wheels_pass_on_their_release() {
    for rel in [
        "pypi/msgspec-0.22.0-cp314-cp314-pyemscripten_2026_0_wasm32.whl",
        "pypi/jiter-0.19.0-cp314-cp314-pyemscripten_2026_0_wasm32.whl",
    ] {
        let wheel = cached(rel);
        let (code, report) = test_json(&[wheel.to_str().unwrap()]);
        assert_eq!(code, 0, "{rel}: {report:#}");
        assert_eq!(platforms(&report), ["pyemscripten_2026_0_wasm32"]);
        assert!(report["tests"][0]["link"].as_array().unwrap().is_empty(), "{rel}: every function resolves");
    }
}

/// A wheel whose `Requires-Dist` no source meets (`--no-index`, and the release's lock has too
/// old a version): `test` names the requirement, who asked and what each source had, and
/// installs nothing; given the dependency's wheel, it passes.
#[test]
#[ignore = "needs Node, the npm registry and the PyPI wheels (testdata/fetch.sh)"]
fn test_names_an_unmet_requirement_and_passes_with_its_wheel() {
    let core = cached("pypi/pydantic_core-2.50.4-cp314-cp314-pyemscripten_2026_0_wasm32.whl");
    let typing = cached("pypi/typing_extensions-4.16.0-py3-none-any.whl");
    let (code, report) = test_json(&["--no-index", "--pyodide", "314.0.7", core.to_str().unwrap()]);
    assert_eq!(code, 1, "{report:#}");
    let run = &report["tests"][0];
    assert_eq!(run["wheels"][0]["unmet_requirements"], serde_json::json!(["typing-extensions>=4.16.0"]));
    assert_eq!(run["imports"], serde_json::json!([]), "nothing installed, nothing imported: {run:#}");
    let cache = release_cache();
    let out = wasmwheel_env(
        ["test", "--no-index", "--format", "github", "--pyodide", "314.0.7", core.to_str().unwrap()],
        &[("WASMWHEEL_CACHE_DIR", cache.as_os_str())],
    );
    let annotations = String::from_utf8_lossy(&out.stdout);
    let error = annotations.lines().find(|l| l.contains("is met by no source")).unwrap_or_default();
    assert!(error.starts_with("::error ") && error.contains("typing-extensions>=4.16.0"), "{annotations}");

    let (code, report) =
        test_json(&["--no-index", "--pyodide", "314.0.7", core.to_str().unwrap(), typing.to_str().unwrap()]);
    assert_eq!(code, 0, "{report:#}");
    for wheel in report["tests"][0]["wheels"].as_array().unwrap() {
        assert_eq!(wheel["unmet_requirements"], serde_json::json!([]), "{wheel:#}");
        assert_eq!(wheel["source"], "given");
    }
    // The exception line of a failing import, not the hint Pyodide prints after it.
    let (code, report) =
        test_json(&["--no-index", "--pyodide", "314.0.7", "--import", "no_such_module", typing.to_str().unwrap()]);
    assert_eq!(code, 1);
    assert_eq!(report["tests"][0]["imports"][0]["error"], "ModuleNotFoundError: No module named 'no_such_module'");
}

/// `audit --confirm` loads a wheel with the wheels given that it requires; without them, an
/// import that fails for want of one is left unconfirmed (a warning), not called a mismatch.
#[test]
#[ignore = "needs Node, the npm registry and the PyPI wheels (testdata/fetch.sh)"]
fn confirm_loads_a_wheel_with_its_requirements_and_does_not_blame_it_without_them() {
    let core = cached("pypi/pydantic_core-2.50.4-cp314-cp314-pyemscripten_2026_0_wasm32.whl");
    let typing = cached("pypi/typing_extensions-4.16.0-py3-none-any.whl");
    let tag = "pyemscripten_2026_0_wasm32";
    let (code, report) =
        wasmwheel_json_cached(["audit", "--confirm", "--no-index", "--format", "json", core.to_str().unwrap()]);
    assert_eq!(code, 0, "{report:#}");
    let wheel = &report["wheels"][0];
    assert!(findings(&report, "confirm-mismatch").is_empty(), "{wheel:#}");
    // Not run on any platform (no source has the requirement): each one says so, as a warning.
    let unconfirmed = findings(&report, "confirm-unmet-requirement");
    let not_run = wheel["confirmed"].as_array().unwrap().iter().filter(|c| c["ran"] == false).count();
    assert_eq!(unconfirmed.len(), not_run, "{wheel:#}");
    assert!(unconfirmed.iter().any(|f| f["platform"] == tag), "{wheel:#}");
    assert!(unconfirmed.iter().all(|f| f["severity"] == "warning"));
    let on_tag = wheel["confirmed"].as_array().unwrap().iter().find(|c| c["platform"] == tag).unwrap();
    assert_eq!(on_tag["ran"], false, "not run without its requirement: {on_tag:#}");

    let (code, report) = wasmwheel_json_cached([
        "audit",
        "--confirm",
        "--no-index",
        "--format",
        "json",
        core.to_str().unwrap(),
        typing.to_str().unwrap(),
    ]);
    assert_eq!(code, 0, "{report:#}");
    let wheel = &report["wheels"][0];
    let confirmed = wheel["confirmed"].as_array().unwrap();
    let on_tag: Vec<&Value> = confirmed.iter().filter(|c| c["platform"] == tag).collect();
    assert_eq!(on_tag.len(), 1, "{wheel:#}");
    assert_eq!(on_tag[0]["loads"], true, "{wheel:#}");
    for c in confirmed {
        assert_eq!(c["loads"], c["compatible"], "{c:#}");
    }
    assert!(findings(&report, "confirm-unmet-requirement").is_empty(), "{wheel:#}");
}

/// The runtime of the real Node, with the shared release cache, `workers` sessions at once.
fn node_runtime(workers: usize) -> wasmwheel::Runtime {
    let mut hosts = wasmwheel::Hosts::default();
    hosts.pyodide = Some(std::sync::Arc::new(wasmwheel::Node::find().unwrap()));
    let client = wasmwheel::Client::default();
    let sources = wasmwheel::Sources {
        cache: wasmwheel::Cache::at(release_cache()),
        registry: wasmwheel::Registry::new("https://registry.npmjs.org", client),
        offline: false,
    };
    let mut runtime = wasmwheel::Runtime::from_hosts(hosts, sources, std::time::Duration::from_secs(300));
    runtime.workers = Some(workers);
    runtime
}

/// Two wheels that install the same files and modules, one after the other in one session:
/// each sees only what it installed, as it would alone.
#[test]
#[ignore = "needs Node and the npm registry (Pyodide releases are fetched and cached)"]
fn jobs_in_one_session_see_nothing_of_each_other() {
    let dir = tempfile::tempdir().unwrap();
    let make = |mine: &str, other: &str| {
        let version = if mine == "a" { "1.1" } else { "1.2" };
        let file = format!("fxpure-{version}-py3-none-any.whl");
        derive_wheel(&fixture("fxpure-1.0-py3-none-any.whl"), dir.path(), &file, |name, data| {
            // It leaves a mark in the file system and a module in sys.modules; it refuses to
            // import where the other one left either.
            let init = format!(
                "import os, sys\n\
                 if os.path.exists('/tmp/fxpure-mark') or 'fxpure_{other}_was_here' in sys.modules:\n\
                 \x20   raise ImportError('the other job was here')\n\
                 open('/tmp/fxpure-mark', 'w').write('{mine}')\n\
                 sys.modules['fxpure_{mine}_was_here'] = sys\n\
                 value = '{mine}'\n"
            );
            match name {
                "fxpure/__init__.py" => Some((name.to_string(), init.into_bytes())),
                n if n.ends_with("RECORD") => None,
                n => Some((n.to_string(), data)),
            }
        })
    };
    let (a, b) = (make("a", "b"), make("b", "a"));
    let runtime = node_runtime(1);
    let release = runtime.release(&"314.0.7".parse().unwrap()).unwrap();
    let jobs: Vec<wasmwheel::Job> = [&a, &b, &a, &b]
        .iter()
        .map(|wheel| {
            let mut job = wasmwheel::Job::default();
            job.pyodide = release.dir.clone();
            job.wheels = vec![(*wheel).clone()];
            job.imports = vec!["fxpure".into()];
            job.code = Some("import fxpure; print(fxpure.value)".into());
            job
        })
        .collect();
    let work: Vec<wasmwheel::Work> = jobs.iter().map(|job| wasmwheel::Work { release: &release, job }).collect();
    let outcomes = runtime.run(&work);
    let printed: Vec<String> = outcomes.into_iter().map(|o| o.unwrap().code.unwrap().stdout).collect();
    assert_eq!(printed, ["a\n", "b\n", "a\n", "b\n"], "each job saw only its own wheel");
}

/// A damaged snapshot in the cache is made again, and the wheel still passes: never blamed on
/// it.
#[test]
#[ignore = "needs Node and the npm registry (Pyodide releases are fetched and cached)"]
fn a_damaged_snapshot_is_made_again() {
    let clean = fixture("fxclean-1.0-cp312-abi3-pyemscripten_2024_0_wasm32.whl");
    let cache = tempfile::tempdir().unwrap();
    // A cache of its own, with a copy of the shared cache's release.
    let (code, report) =
        wasmwheel_json_cached(["test", "--format", "json", "--pyodide", "314.0.7", clean.to_str().unwrap()]);
    assert_eq!(code, 0, "{report:#}");
    let target = cache.path().join("pyodide/314.0.7");
    std::fs::create_dir_all(&target).unwrap();
    for entry in std::fs::read_dir(release_cache().join("pyodide/314.0.7")).unwrap() {
        let entry = entry.unwrap();
        std::fs::copy(entry.path(), target.join(entry.file_name())).unwrap();
    }
    let env = [("WASMWHEEL_CACHE_DIR", cache.path().as_os_str())];
    let args = ["test", "--offline", "--format", "json", "--pyodide", "314.0.7", clean.to_str().unwrap()];
    let first = wasmwheel_env(args, &env);
    assert_eq!(first.status.code(), Some(0), "{}", stderr(&first));
    let snapshots: Vec<std::path::PathBuf> = files_under(&cache.path().join("snapshots"))
        .into_iter()
        .filter(|p| p.extension().is_some_and(|e| e == "snapshot"))
        .collect();
    assert_eq!(snapshots.len(), 1, "one snapshot, made: {snapshots:?}");
    let mut bytes = std::fs::read(&snapshots[0]).unwrap();
    let middle = bytes.len() / 2;
    bytes[middle] ^= 0xff;
    std::fs::write(&snapshots[0], &bytes).unwrap();
    let again = wasmwheel_env(args, &env);
    assert_eq!(again.status.code(), Some(0), "{}{}", String::from_utf8_lossy(&again.stdout), stderr(&again));
    assert_ne!(std::fs::read(&snapshots[0]).unwrap(), bytes, "made again");
}
