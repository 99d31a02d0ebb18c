//! `wasmwheel pack`: a real app (Babel and msgspec from PyPI) traced in real Pyodide 314.0.7,
//! trimmed, locked, and run again from the bundle alone.

use std::path::{Path, PathBuf};
use std::process::Command;

use crate::common::*;
use serde_json::Value;

const BABEL: &str = "pypi/babel-2.19.0-py3-none-any.whl";
const MSGSPEC: &str = "pypi/msgspec-0.22.0-cp314-cp314-pyemscripten_2026_0_wasm32.whl";

fn app(name: &str) -> PathBuf {
    testdata(&format!("apps/{name}"))
}

/// `wasmwheel pack --format json` of `entry` with Babel and msgspec into `out`.
fn pack(entry: &Path, out: &Path, extra: &[&str]) -> (i32, Value) {
    let mut args = vec!["pack".to_string(), "--format".into(), "json".into(), "--pyodide".into(), "314.0.7".into()];
    args.extend(["-o".to_string(), out.display().to_string()]);
    args.extend(extra.iter().map(|s| s.to_string()));
    args.push(entry.display().to_string());
    args.extend([cached(BABEL), cached(MSGSPEC)].iter().map(|p| p.display().to_string()));
    wasmwheel_json_cached(&args)
}

/// Every file of a folder, by name, with its bytes.
fn contents(dir: &Path) -> Vec<(String, Vec<u8>)> {
    let mut files: Vec<(String, Vec<u8>)> = std::fs::read_dir(dir)
        .unwrap()
        .map(|e| e.unwrap())
        .map(|e| (e.file_name().into_string().unwrap(), std::fs::read(e.path()).unwrap()))
        .collect();
    files.sort();
    files
}

#[test]
#[ignore = "needs Node, the npm registry and the PyPI wheels (testdata/fetch.sh)"]
fn a_real_app_packs_to_a_fraction_and_its_bundle_runs_the_same() {
    let dir = tempfile::tempdir().unwrap();
    let out = dir.path().join("bundle");
    let (code, report) = pack(&app("prices.py"), &out, &[]);
    assert_eq!(code, 0, "{report:#}");
    let packed = &report["packs"][0];
    let total = &packed["total"];
    let ratio = |after: &str, before: &str| total[after].as_f64().unwrap() / total[before].as_f64().unwrap();
    assert!(ratio("unpacked_after", "unpacked_before") < 0.25, "well under half unpacked: {total:#}");
    assert!(ratio("compressed_after", "compressed_before") < 0.25, "and as served: {total:#}");
    let babel = packed["packages"].as_array().unwrap().iter().find(|p| p["name"] == "babel").unwrap();
    assert!(babel["files_after"].as_u64().unwrap() < babel["files_before"].as_u64().unwrap() / 10, "{babel:#}");
    let msgspec = packed["packages"].as_array().unwrap().iter().find(|p| p["name"] == "msgspec").unwrap();
    assert_eq!(msgspec["so_files"], 1, "the extension stays: {msgspec:#}");
    assert!(
        packed["warnings"]
            .as_array()
            .unwrap()
            .iter()
            .any(|w| w.as_str().unwrap().contains("--keep 'babel/locale-data/**'"))
    );

    // The bundle alone, through run.mjs, prints what the traced run printed.
    let release = release_cache().join("pyodide/314.0.7");
    let ran = Command::new(tool("node")).arg(out.join("run.mjs")).arg(&release).output().unwrap();
    assert!(ran.status.success(), "{}", stderr(&ran));
    let stdout = String::from_utf8(ran.stdout).unwrap();
    assert_eq!(stdout, packed["stdout"].as_str().unwrap());
    assert_eq!(
        stdout, "1,234,567.891\n1.234.567,891\n{\"answer\":42,\"list\":[1,2,3]}\n",
        "Babel's and msgspec's answers"
    );

    // Valid wheels, a valid npm package, and the same bytes when packed again.
    for (name, _) in contents(&out).iter().filter(|(n, _)| n.ends_with(".whl")) {
        let check = wasmwheel(["check", out.join(name).to_str().unwrap()]);
        assert_eq!(check.status.code(), Some(0), "{name}: {}", String::from_utf8_lossy(&check.stdout));
    }
    let tarballs = tempfile::tempdir().unwrap();
    let npm = Command::new(tool("npm"))
        .args(["pack", "--pack-destination"])
        .arg(tarballs.path())
        .current_dir(&out)
        .output()
        .unwrap();
    assert!(npm.status.success(), "{}", stderr(&npm));
    assert_eq!(std::fs::read_dir(tarballs.path()).unwrap().count(), 1);
    let package: Value = serde_json::from_slice(&std::fs::read(out.join("package.json")).unwrap()).unwrap();
    assert!(package.get("main").is_none() && package["exports"]["./pyodide-lock.json"] == "./pyodide-lock.json");

    let again = dir.path().join("again");
    let (code, _) = pack(&app("prices.py"), &again, &[]);
    assert_eq!(code, 0);
    assert!(contents(&out) == contents(&again), "packing twice gives the same bytes");
    let (code, _) = pack(&app("prices.py"), &out, &["--keep", "babel/locale-data/fr*.dat"]);
    assert_eq!(code, 0, "an earlier bundle is replaced");
    let babel = contents(&out).into_iter().find(|(n, _)| n.starts_with("babel-")).unwrap();
    let listing = zip::ZipArchive::new(std::io::Cursor::new(babel.1)).unwrap();
    assert!(listing.file_names().any(|n| n.is_ok_and(|n| n == "babel/locale-data/fr_CA.dat")), "--keep keeps more");
}

/// Refused before anything runs (no Node needed: a PATH without it), nothing written.
#[test]
fn what_pack_cannot_do_is_refused_up_front() {
    let dir = tempfile::tempdir().unwrap();
    let clean = fixture("fxclean-1.0-cp312-abi3-pyemscripten_2024_0_wasm32.whl");
    let entry = app("prices.py");
    let empty = dir.path().join("no-programs");
    std::fs::create_dir(&empty).unwrap();
    let env = [("PATH", empty.as_os_str())];
    let out = dir.path().join("b");
    let old = release_dir("0.27.7", dir.path());
    let pack = |release: &Path, out: &Path, extra: &[&str]| {
        let mut args = vec!["pack", "--no-index", "--pyodide", release.to_str().unwrap(), "-o", out.to_str().unwrap()];
        args.extend(extra);
        args.extend([entry.to_str().unwrap(), clean.to_str().unwrap()]);
        wasmwheel_env(&args, &env)
    };
    let refused = pack(&old, &out, &[]);
    assert_eq!(refused.status.code(), Some(2));
    assert!(stderr(&refused).contains("0.28 or later"), "{}", stderr(&refused));
    let busy = dir.path().join("busy");
    std::fs::create_dir(&busy).unwrap();
    std::fs::write(busy.join("notes.txt"), "mine").unwrap();
    let current = release_dir("314.0.7", dir.path());
    let refused = pack(&current, &busy, &[]);
    assert_eq!(refused.status.code(), Some(2));
    assert!(stderr(&refused).contains("not a bundle wasmwheel made"), "{}", stderr(&refused));
    assert_eq!(std::fs::read(busy.join("notes.txt")).unwrap(), b"mine");
    for (flag, value, said) in [
        ("--name", "Not A Name", "not a valid npm package name"),
        ("--keep", "[", "--keep ["),
        ("--pyodide-url", "https://u:TOKEN@cdn.example/", "--pyodide-url takes credentials"),
    ] {
        let refused = pack(&current, &out, &[flag, value]);
        assert_eq!(refused.status.code(), Some(2), "{flag}");
        assert!(stderr(&refused).contains(said), "{flag}: {}", stderr(&refused));
        assert!(!stderr(&refused).contains("TOKEN"));
    }
    // Past those, Node is looked for: its absence is said, and nothing is written.
    let missing = pack(&current, &out, &[]);
    assert_eq!(missing.status.code(), Some(2));
    assert!(stderr(&missing).contains("node is not on PATH"), "{}", stderr(&missing));
    assert!(!out.exists());
}

#[test]
#[ignore = "needs Node, the npm registry and the PyPI wheels (testdata/fetch.sh)"]
fn pack_reports_match_the_schema() {
    let schema: Value =
        serde_json::from_str(&std::fs::read_to_string(testdata("../spec/report.schema.json")).unwrap()).unwrap();
    let validator = jsonschema::validator_for(&schema).unwrap();
    let dir = tempfile::tempdir().unwrap();
    for entry in ["prices.py", "unsteady.py"] {
        let (_, report) = pack(&app(entry), &dir.path().join(entry), &[]);
        let errors: Vec<String> =
            validator.iter_errors(&report).map(|e| format!("{e} at {}", e.instance_path())).collect();
        assert!(errors.is_empty(), "{entry}: {errors:#?}");
    }
}
