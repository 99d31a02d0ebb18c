//! `wasmwheel lock`: a lock made by wasmwheel, loaded in real Pyodide under Node with
//! `lockFileURL`, pulls the whole closure and imports; what cannot load is refused.

use std::path::{Path, PathBuf};
use std::process::Command;

use crate::common::*;
use serde_json::Value;
use sha2::Digest;

/// Each release, its ABI and the Python digits of its fxpkg fixture.
const RELEASES: [(&str, &str, &str); 4] = [
    ("0.27.7", "2024_0", "312"),
    ("0.29.3", "2025_0", "313"),
    ("314.0.7", "2026_0", "314"),
    ("315.0.0-alpha.2", "2026_5", "315"),
];

fn fxapp() -> PathBuf {
    fixture("fxapp-1.0-py3-none-any.whl")
}

/// fxpkg of `abi` (NEEDs libb.so -> liba.so), repaired into `out`.
fn repaired_fxpkg(abi: &str, py: &str, out: &Path) -> PathBuf {
    repaired(&fixture(&format!("fxpkg-1.0-cp{py}-cp{py}-pyemscripten_{abi}_wasm32.whl")), out)
}

/// `wasmwheel lock --format json` with the shared release cache.
fn lock(release: &str, out: &Path, extra: &[&str], wheels: &[&Path]) -> (i32, Value) {
    let mut args = vec!["lock".to_string(), "--format".into(), "json".into(), "--pyodide".into(), release.into()];
    args.extend(["-o".to_string(), out.display().to_string()]);
    args.extend(extra.iter().map(|s| s.to_string()));
    args.extend(wheels.iter().map(|w| w.display().to_string()));
    wasmwheel_json_cached(&args)
}

/// `wasmwheel lock --format json --no-index` for `version`, from its release folder made in
/// `scratch` (its own lock and pyodide.js: nothing is fetched).
fn lock_local(version: &str, scratch: &Path, out: &Path, extra: &[&str], wheels: &[&Path]) -> (i32, Value) {
    let release = release_dir(version, scratch);
    let mut args = vec!["--no-index"];
    args.extend(extra);
    lock(release.to_str().unwrap(), out, &args, wheels)
}

/// A folder holding the PyPI wheels of the releases' micropip (and what 0.27's needs), under
/// the file names the releases' locks give them: a local stand-in for Pyodide's CDN, which
/// this machine cannot reach. (Pyodide under Node does not check a wheel's sha256.)
fn release_mirror(dir: &Path) -> String {
    for wheel in ["micropip-0.9.0", "micropip-0.11.0", "micropip-0.11.1", "packaging-24.2"] {
        let name = format!("{wheel}-py3-none-any.whl");
        std::fs::copy(cached(&format!("pypi/{name}")), dir.join(&name)).unwrap();
    }
    format!("{}/", dir.display())
}

/// Loads `packages` through the lock in `lock_dir` in the real release, then evaluates `code`.
fn load_through_lock(release: &str, lock_dir: &Path, code: &str, packages: &[&str]) -> Result<String, String> {
    let script = Path::new(env!("CARGO_MANIFEST_DIR")).join("tests/pyodide/lock.js");
    let out = Command::new(tool("node"))
        .arg(script)
        .arg(release_cache().join("pyodide").join(release))
        .arg(lock_dir)
        .arg(code)
        .args(packages)
        .output()
        .unwrap();
    let stdout = String::from_utf8_lossy(&out.stdout).to_string();
    if out.status.success() { Ok(stdout.lines().last().unwrap_or_default().to_string()) } else { Err(stderr(&out)) }
}

#[test]
#[ignore = "needs Node, the npm registry and micropip from PyPI (testdata/fetch.sh)"]
fn the_closure_of_a_lock_loads_and_imports_on_every_release() {
    let mirror = tempfile::tempdir().unwrap();
    let release_url = release_mirror(mirror.path());
    for (release, abi, py) in RELEASES {
        let dirs = (tempfile::tempdir().unwrap(), tempfile::tempdir().unwrap());
        let fxpkg = repaired_fxpkg(abi, py, dirs.0.path());
        let out = dirs.1.path();
        let app = fxapp();
        let (code, report) = lock(release, out, &["--release-url", &release_url], &[&fxpkg, &app]);
        assert_eq!(code, 0, "{release}: {report:#}");
        let result = load_through_lock(release, out, "import fxapp, micropip; fxapp.value()", &["fxapp"]);
        assert_eq!(result.as_deref(), Ok("4202"), "{release}: loadPackage(\"fxapp\") pulls fxpkg and micropip");
    }
}

#[test]
fn entries_have_the_releases_fields_and_the_requirements_that_apply() {
    for (release, abi, py) in RELEASES {
        let dirs = (tempfile::tempdir().unwrap(), tempfile::tempdir().unwrap());
        let fxpkg = repaired_fxpkg(abi, py, dirs.0.path());
        let app = fxapp();
        let (code, report) = lock_local(release, dirs.0.path(), dirs.1.path(), &[], &[&fxpkg, &app]);
        assert_eq!(code, 0, "{report:#}");
        let written: Value =
            serde_json::from_slice(&std::fs::read(dirs.1.path().join("pyodide-lock.json")).unwrap()).unwrap();
        let original: Value =
            serde_json::from_slice(&std::fs::read(testdata(&format!("releases/{release}/pyodide-lock.json"))).unwrap())
                .unwrap();
        assert_eq!(written["info"], original["info"]);
        let keys = |entry: &Value| entry.as_object().unwrap().keys().cloned().collect::<Vec<_>>();
        let raw = String::from_utf8(std::fs::read(dirs.1.path().join("pyodide-lock.json")).unwrap()).unwrap();
        assert!(raw.find("\"info\"") < raw.find("\"packages\""), "sorted keys");
        let release_keys = keys(&original["packages"]["micropip"]);
        let app = &written["packages"]["fxapp"];
        assert_eq!(keys(app), release_keys, "{release}: the release's lock format");
        assert_eq!(app["depends"], serde_json::json!(["fxpkg", "micropip"]), "no extras, no other platforms");
        assert_eq!(app["imports"], serde_json::json!(["fxapp"]));
        assert_eq!(app["file_name"], "fxapp-1.0-py3-none-any.whl");
        assert_eq!(app["install_dir"], "site");
        let sha = sha2::Sha256::digest(std::fs::read(fxapp()).unwrap());
        assert_eq!(app["sha256"], hex(&sha));
        assert_eq!(
            std::fs::read(dirs.1.path().join("fxapp-1.0-py3-none-any.whl")).unwrap(),
            std::fs::read(fxapp()).unwrap()
        );
        let micropip = written["packages"]["micropip"]["file_name"].as_str().unwrap();
        assert!(
            micropip.starts_with(&format!("https://cdn.jsdelivr.net/pyodide/v{release}/full/micropip-")),
            "{micropip}"
        );
        assert_eq!(
            written["packages"].as_object().unwrap().len(),
            original["packages"].as_object().unwrap().len() + 2,
            "the release's entries stay"
        );
    }
}

fn hex(bytes: &[u8]) -> String {
    bytes.iter().map(|b| format!("{b:02x}")).collect()
}

#[test]
fn what_cannot_load_or_lacks_a_requirement_is_refused_and_nothing_is_written() {
    let dir = tempfile::tempdir().unwrap();
    let out = dir.path().join("out");
    let unrepaired = fixture("fxpkg-1.0-cp314-cp314-pyemscripten_2026_0_wasm32.whl");
    let (code, report) = lock_local("314.0.7", dir.path(), &out, &[], &[&unrepaired]);
    assert_eq!(code, 1, "{report:#}");
    let reasons = &report["locks"][0]["refused"][0]["reasons"];
    assert!(reasons.as_array().unwrap().iter().any(|r| r["rule"] == "needed-library-missing"), "{reasons:#}");
    assert!(!out.exists(), "nothing written");

    let app = fxapp();
    let (code, report) = lock_local("314.0.7", dir.path(), &out, &[], &[&app]);
    assert_eq!(code, 1);
    let reason = &report["locks"][0]["refused"][0]["reasons"][0];
    assert_eq!(reason["rule"], "lock-requirement-unmet");
    assert!(reason["message"].as_str().unwrap().contains("`fxpkg>=1.0`"), "{reason:#}");
    assert!(!out.exists(), "nothing written");

    // The text says the same, and names the wheel.
    let release = release_dir("314.0.7", dir.path());
    let args = ["lock", "--no-index", "--pyodide", release.to_str().unwrap(), "-o", out.to_str().unwrap()];
    let text = wasmwheel([&args[..], &[app.to_str().unwrap()]].concat());
    let stdout = String::from_utf8_lossy(&text.stdout);
    assert!(stdout.contains("fxapp-1.0-py3-none-any.whl: refused") && stdout.contains("nothing written"), "{stdout}");
}

/// A given wheel of a release package's name replaces its entry, and says so (a stand-in
/// micropip 0.9.0, made from fxpure, for the release's 0.11.0).
#[test]
fn locking_twice_gives_the_same_bytes_and_a_replaced_entry_is_named() {
    let dirs = (tempfile::tempdir().unwrap(), tempfile::tempdir().unwrap(), tempfile::tempdir().unwrap());
    let fxpkg = repaired_fxpkg("2025_0", "313", dirs.0.path());
    let micropip = derive_wheel(
        &fixture("fxpure-1.0-py3-none-any.whl"),
        dirs.0.path(),
        "micropip-0.9.0-py3-none-any.whl",
        |name, data| {
            let name = name.replace("fxpure-1.0", "micropip-0.9.0").replace("fxpure/", "micropip/");
            let data = if name.ends_with("METADATA") {
                b"Metadata-Version: 2.1\nName: micropip\nVersion: 0.9.0\n".to_vec()
            } else {
                data
            };
            (!name.ends_with("RECORD")).then_some((name, data))
        },
    );
    let app = fxapp();
    let wheels: [&Path; 3] = [&fxpkg, &app, &micropip];
    let (code, report) = lock_local("0.29.3", dirs.0.path(), dirs.1.path(), &[], &wheels);
    assert_eq!(code, 0, "{report:#}");
    let replaced: Vec<&Value> =
        report["locks"][0]["added"].as_array().unwrap().iter().filter(|a| !a["replaces"].is_null()).collect();
    assert_eq!(
        (replaced.len(), &replaced[0]["replaces"]),
        (1, &Value::from("0.11.0")),
        "micropip 0.9.0 replaces 0.11.0"
    );
    lock_local("0.29.3", dirs.0.path(), dirs.2.path(), &[], &wheels);
    let files = |dir: &Path| {
        let mut names: Vec<_> = std::fs::read_dir(dir).unwrap().map(|e| e.unwrap().file_name()).collect();
        names.sort();
        names
    };
    assert_eq!(files(dirs.1.path()), files(dirs.2.path()));
    for name in files(dirs.1.path()) {
        assert_eq!(
            std::fs::read(dirs.1.path().join(&name)).unwrap(),
            std::fs::read(dirs.2.path().join(&name)).unwrap(),
            "{name:?}"
        );
    }
}

/// 0.27 takes the folder of a wheel's vendored libraries from its file_name, so a wheel that
/// vendors libraries needs a bare file name there: --base-url is refused for it.
#[test]
fn base_url_is_refused_on_0_27_for_a_wheel_that_vendors_libraries() {
    let dirs = (tempfile::tempdir().unwrap(), tempfile::tempdir().unwrap());
    let fxpkg = repaired_fxpkg("2024_0", "312", dirs.0.path());
    let out = dirs.1.path().join("out");
    let release = release_dir("0.27.7", dirs.0.path());
    let args = [
        "lock",
        "--no-index",
        "--pyodide",
        release.to_str().unwrap(),
        "--base-url",
        "https://example.org/wheels",
        "-o",
        out.to_str().unwrap(),
        fxpkg.to_str().unwrap(),
    ];
    let refused = wasmwheel(args);
    assert_eq!(refused.status.code(), Some(2));
    assert!(stderr(&refused).contains("--base-url cannot be used with this release"), "{}", stderr(&refused));
    assert!(!out.exists());

    let app = fxapp();
    let base = ["--base-url", "https://example.org/wheels/"];
    let (code, report) = lock_local("0.29.3", dirs.0.path(), &out, &base, &[&app, &fxpkg]);
    assert_eq!(code, 1, "fxpkg cp312 does not load on 0.29.3: {report:#}");
    let clean = fixture("fxclean-1.0-cp312-abi3-pyemscripten_2024_0_wasm32.whl");
    let (code, report) = lock_local("0.27.7", dirs.0.path(), &out, &base, &[&clean]);
    assert_eq!(code, 0, "no vendored libraries: {report:#}");
    let file = &report["locks"][0]["added"][0]["entry"]["file_name"];
    assert_eq!(file, "https://example.org/wheels/fxclean-1.0-cp312-abi3-pyemscripten_2024_0_wasm32.whl");
}

/// A NEEDED library left to the platform that a shared-library package of the release
/// provides becomes a dependency on that package; one that none provides is refused.
#[test]
fn a_library_left_to_the_platform_depends_on_its_shared_library_package() {
    use wasmwheel::wasm::rewrite::{Edit, rewrite};
    let dir = tempfile::tempdir().unwrap();
    let needing = |library: &str, name: &str| {
        let library = library.to_string();
        derive_wheel(
            &fixture("fxclean-1.0-cp312-abi3-pyemscripten_2024_0_wasm32.whl"),
            dir.path(),
            name,
            move |member, data| {
                if member.ends_with(".so") {
                    let edit = Edit { needed: Some(vec![library.clone()]), ..Edit::default() };
                    Some((member.to_string(), rewrite(&data, &edit).unwrap()))
                } else {
                    Some((member.to_string(), data))
                }
            },
        )
    };
    let blas = needing("libopenblas.so", "fxclean-1.0-cp312-abi3-pyemscripten_2024_0_wasm32.whl");
    let out = dir.path().join("out");
    let (code, report) = lock_local("314.0.7", dir.path(), &out, &[], &[&blas]);
    assert_eq!(code, 0, "{report:#}");
    let added = &report["locks"][0]["added"][0];
    assert_eq!(added["entry"]["depends"], serde_json::json!(["libopenblas"]));
    assert_eq!(added["unchecked_libraries"], serde_json::json!(["libopenblas"]));

    let other = tempfile::tempdir().unwrap();
    let missing =
        derive_wheel(&blas, other.path(), "fxclean-1.0-cp312-abi3-pyemscripten_2024_0_wasm32.whl", |member, data| {
            if member.ends_with(".so") {
                let edit = Edit { needed: Some(vec!["libnothing.so".into()]), ..Edit::default() };
                Some((member.to_string(), rewrite(&data, &edit).unwrap()))
            } else {
                Some((member.to_string(), data))
            }
        });
    let (code, report) = lock_local("314.0.7", dir.path(), &out, &[], &[&missing]);
    assert_eq!(code, 1);
    let reasons = report["locks"][0]["refused"][0]["reasons"].as_array().unwrap();
    assert!(reasons.iter().any(|r| r["rule"] == "needed-library-missing"), "{reasons:#?}");
}

#[test]
fn lock_reports_match_the_schema() {
    let schema: Value =
        serde_json::from_str(&std::fs::read_to_string(testdata("../spec/report.schema.json")).unwrap()).unwrap();
    let validator = jsonschema::validator_for(&schema).unwrap();
    let dirs = (tempfile::tempdir().unwrap(), tempfile::tempdir().unwrap());
    let fxpkg = repaired_fxpkg("2026_0", "314", dirs.0.path());
    let app = fxapp();
    for wheels in [vec![fxpkg.as_path(), app.as_path()], vec![app.as_path()]] {
        let (_, report) = lock_local("314.0.7", dirs.0.path(), dirs.1.path(), &[], &wheels);
        let errors: Vec<String> =
            validator.iter_errors(&report).map(|e| format!("{e} at {}", e.instance_path())).collect();
        assert!(errors.is_empty(), "{errors:#?}");
    }
}
