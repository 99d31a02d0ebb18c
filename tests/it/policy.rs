//! Policies: regenerated from the npm tarballs they came from, listed, and extended by users.

use std::io::Read;

use crate::common::*;

fn gunzip(path: &std::path::Path) -> serde_json::Value {
    let mut json = Vec::new();
    flate2::read::GzDecoder::new(std::fs::File::open(path).unwrap()).read_to_end(&mut json).unwrap();
    serde_json::from_slice(&json).unwrap()
}

#[test]
#[ignore = "needs the Pyodide and componentize-py releases (testdata/fetch.sh)"]
fn regenerating_from_the_releases_gives_the_committed_policies() {
    let tarballs: Vec<_> =
        ABIS.iter().map(|(abi, version)| (abi, cached(&format!("npm/pyodide-{version}.tgz")))).collect();
    let componentize = cached("pypi/componentize_py-0.25.1-cp39-abi3-manylinux_2_28_x86_64.whl");
    let dir = tempfile::tempdir().unwrap();
    let mut args = vec!["policy".to_string(), "import".into(), "-o".into(), dir.path().display().to_string()];
    args.extend(tarballs.iter().map(|(_, t)| t.display().to_string()));
    for micropip in ["0.9.0", "0.11.0", "0.11.1"] {
        args.push(cached(&format!("pypi/micropip-{micropip}-py3-none-any.whl")).display().to_string());
    }
    args.push(componentize.display().to_string());
    let out = wasmwheel(&args);
    assert_eq!(out.status.code(), Some(0), "{}", stderr(&out));
    let names =
        tarballs.iter().map(|(abi, _)| format!("pyemscripten_{abi}.json.gz")).chain(["wasi_0_0_0.json.gz".into()]);
    for name in names {
        let fresh = gunzip(&dir.path().join(&name));
        let committed = gunzip(&testdata("../spec/policies").join(&name));
        assert_eq!(fresh, committed, "spec/policies/{name} is out of date: run scripts/update-spec.sh");
    }
}

#[test]
fn policies_say_what_the_releases_are() {
    let show = |name: &str| {
        let out = wasmwheel(["policy", "show", name]);
        assert_eq!(out.status.code(), Some(0), "{}", stderr(&out));
        serde_json::from_slice::<serde_json::Value>(&out.stdout).unwrap()
    };
    let p2024 = show("pyodide_2024_0_wasm32");
    assert_eq!(p2024["source"]["version"], "0.27.7");
    assert_eq!(p2024["exceptions"], "js");
    assert_eq!(p2024["loader"]["runtime_path"], false);
    assert_eq!(p2024["loader"]["search_dist_libs"], true);
    let p2026 = show("pyemscripten_2026_0");
    assert_eq!(p2026["python"].as_str().unwrap().split('.').take(2).collect::<Vec<_>>(), ["3", "14"]);
    assert_eq!(p2026["exceptions"], "wasm");
    assert_eq!(p2026["loader"]["runtime_path"], true);
    assert_eq!(p2026["platform_tags"][0], "pyemscripten_2026_0_wasm32");
    assert!(!p2026["platform_tags"].as_array().unwrap().iter().any(|t| t == "pyodide_2026_0_wasm32"));
    assert_eq!(wasmwheel(["policy", "show", "nothing_1_0"]).status.code(), Some(2));

    let list = String::from_utf8(wasmwheel(["policy", "list"]).stdout).unwrap();
    assert_eq!(list.lines().count(), 6, "a header and five policies: {list}");
    assert!(list.contains("componentize-py 0.25.1"), "{list}");
    assert!(list.contains("pyodide 315.0.0-alpha.2"), "{list}");
    let p2026_5 = show("pyemscripten_2026_5_wasm32");
    assert_eq!((p2026_5["prerelease"].as_bool(), p2026_5["python"].as_str()), (Some(true), Some("3.15.0rc1")));
}

#[test]
fn a_users_policy_verifies_its_own_platform_tag() {
    let dir = tempfile::tempdir().unwrap();
    let out = wasmwheel(["policy", "show", "pyemscripten_2026_0"]);
    let mut custom: serde_json::Value = serde_json::from_slice(&out.stdout).unwrap();
    custom["name"] = "pyemscripten_2031_5".into();
    custom["abi"] = "2031_5".into();
    custom["platform_tags"] = serde_json::json!(["pyemscripten_2031_5_wasm32"]);
    let policy = dir.path().join("custom.json");
    std::fs::write(&policy, serde_json::to_vec(&custom).unwrap()).unwrap();

    let wheel = dir.path().join("fxclean-1.0-cp312-abi3-pyemscripten_2031_5_wasm32.whl");
    std::fs::copy(fixture("fxclean-1.0-cp312-abi3-pyemscripten_2024_0_wasm32.whl"), &wheel).unwrap();
    let (code, report) = wasmwheel_json(["audit", "--format", "json", wheel.to_str().unwrap()]);
    assert_eq!((code, findings(&report, "unknown-platform").len()), (0, 1));
    let (code, report) =
        wasmwheel_json(["audit", "--format", "json", "--policy", policy.to_str().unwrap(), wheel.to_str().unwrap()]);
    assert_eq!(code, 0);
    assert!(findings(&report, "unknown-platform").is_empty());
    assert!(compatible(&report).contains(&"pyemscripten_2031_5_wasm32".to_string()));

    std::fs::write(&policy, b"{\"not\": \"a policy\"}").unwrap();
    let out = wasmwheel(["audit", "--policy", policy.to_str().unwrap(), wheel.to_str().unwrap()]);
    assert_eq!(out.status.code(), Some(2));
    assert!(stderr(&out).contains("custom.json: not a policy"), "{}", stderr(&out));
}
