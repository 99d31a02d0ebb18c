//! The audit agrees with real Pyodide: for fixtures built each way, a platform is compatible
//! exactly when the wheel installs and imports in that Pyodide release under Node.

use std::path::{Path, PathBuf};

use crate::common::*;

/// One wheel on one release: the audit's verdict against what really happens.
struct Case {
    name: String,
    wheel: PathBuf,
    code: String,
    expected: String,
    abi: &'static str,
    installer: Installer,
    compatible: bool,
}

/// The canonical tags `audit --prerelease` calls compatible for `wheel` (prerelease
/// platforms counted, so that 315.0.0-alpha.2 is judged too).
fn audit_compatible(wheel: &Path) -> Vec<String> {
    let (_, report) = wasmwheel_json(["audit", "--prerelease", "--format", "json", wheel.to_str().unwrap()]);
    compatible(&report)
}

/// Whether `installer` of the policy of `abi` takes a wheel with `tags`, as the policy says:
/// micropip checks tags, `loadPackage` does not.
fn accepts_tags(abi: &str, installer: Installer, tags: &[&str]) -> bool {
    let out = wasmwheel(["policy", "show", &format!("pyemscripten_{abi}")]);
    let policy: serde_json::Value = serde_json::from_slice(&out.stdout).unwrap();
    let name = match installer {
        LoadPackage => "pyodide.loadPackage",
        Micropip => "micropip",
    };
    let entry = policy["installers"].as_array().unwrap().iter().find(|i| i["name"] == name).unwrap();
    match entry["platform_tags"].as_array() {
        None => true,
        Some(accepted) => accepted.iter().any(|t| tags.contains(&t.as_str().unwrap())),
    }
}

/// A case for each of `abis` and `installers`: `import package; package.value()` must give
/// `value` exactly where the audit says compatible and the installer takes the wheel's tags.
fn cases(wheel: &Path, package: &str, value: &str, abis: &[&'static str], installers: &[Installer]) -> Vec<Case> {
    let code = format!("import {package}; {package}.value()");
    cases_running(wheel, &code, value, abis, installers)
}

/// Like [`cases`], with the code to run.
fn cases_running(wheel: &Path, code: &str, value: &str, abis: &[&'static str], installers: &[Installer]) -> Vec<Case> {
    let compatible = audit_compatible(wheel);
    let file = wheel.file_name().unwrap().to_str().unwrap();
    let tags: Vec<&str> = file.trim_end_matches(".whl").rsplit('-').next().unwrap().split('.').collect();
    let mut out = Vec::new();
    for abi in abis {
        for installer in installers {
            out.push(Case {
                name: format!("{file} on {abi} with {installer:?}"),
                wheel: wheel.to_path_buf(),
                code: code.to_string(),
                expected: value.to_string(),
                abi,
                installer: *installer,
                compatible: compatible.contains(&format!("pyemscripten_{abi}_wasm32"))
                    && accepts_tags(abi, *installer, &tags),
            });
        }
    }
    out
}

/// Runs every case in real Pyodide, two Node processes at a time (each loads a whole
/// Pyodide), and lists those where loading and the audit disagree.
fn disagreements(cases: &[Case]) -> Vec<String> {
    let results: Vec<Result<String, String>> = std::thread::scope(|scope| {
        let handles: Vec<_> = cases
            .chunks(cases.len().div_ceil(2))
            .map(|chunk| {
                scope.spawn(move || {
                    chunk.iter().map(|c| pyodide_install(c.abi, c.installer, &[&c.wheel], &c.code)).collect::<Vec<_>>()
                })
            })
            .collect();
        handles.into_iter().flat_map(|h| h.join().unwrap()).collect()
    });
    assert_eq!(results.len(), cases.len(), "every case ran");
    cases
        .iter()
        .zip(results)
        .filter(|(case, result)| (result.as_deref() == Ok(case.expected.as_str())) != case.compatible)
        .map(|(case, result)| {
            format!("{}: audit says compatible={}, Pyodide says {result:?}", case.name, case.compatible)
        })
        .collect()
}

const ALL: [&str; 4] = ["2024_0", "2025_0", "2026_0", "2026_5"];

#[test]
#[ignore = "needs Node and the Pyodide releases (testdata/fetch.sh)"]
fn audit_verdicts_match_real_pyodide() {
    let wheels = [
        ("fxclean", "fxclean-1.0-cp312-abi3-pyemscripten_2024_0_wasm32.whl", "7"),
        ("fxcppjs", "fxcppjs-1.0-cp312-abi3-pyemscripten_2024_0_wasm32.whl", "-1"),
        ("fxcppwasm", "fxcppwasm-1.0-cp313-abi3-pyemscripten_2025_0_wasm32.whl", "-1"),
        ("fxwide", "fxwide-1.0-cp312-abi3-pyemscripten_2024_0_wasm32.whl", "7"),
        ("fxthreads", "fxthreads-1.0-cp312-abi3-pyemscripten_2024_0_wasm32.whl", "6"),
        ("fxoldlink", "fxoldlink-1.0-cp312-abi3-pyemscripten_2026_0_wasm32.whl", "7"),
    ];
    let mut all: Vec<Case> = wheels
        .iter()
        .flat_map(|(package, wheel, value)| cases(&fixture(wheel), package, value, &ALL, &[LoadPackage]))
        .collect();
    // A native library beside the package: 0.27 skips it; later releases fail the install.
    let fxnative = fixture("fxnative-1.0-cp312-abi3-pyemscripten_2024_0_wasm32.whl");
    all.extend(cases_running(&fxnative, "import fxnative; 7", "7", &ALL, &[LoadPackage]));
    assert!(all.iter().any(|c| c.compatible) && all.iter().any(|c| !c.compatible), "both verdicts are tried");
    let wrong = disagreements(&all);
    assert!(wrong.is_empty(), "{wrong:#?}");
}

/// `wheel` with everything but its dist-info moved under `<name>.data/platlib/`.
fn under_platlib(wheel: &Path, dir: &Path) -> PathBuf {
    let name = wheel.file_name().unwrap().to_str().unwrap();
    let dist = name.split('-').take(2).collect::<Vec<_>>().join("-");
    derive_wheel(wheel, dir, name, |member, data| {
        let moved = if member.starts_with(&format!("{dist}.dist-info/")) {
            member.to_string()
        } else {
            format!("{dist}.data/platlib/{member}")
        };
        Some((moved, data))
    })
}

/// `wheel` retagged with `platforms` (`wasmwheel tags`), in a folder of its own among `dirs`.
fn retagged(wheel: &Path, platforms: &str, dirs: &mut Vec<tempfile::TempDir>) -> PathBuf {
    dirs.push(tempfile::tempdir().unwrap());
    let dir = dirs.last().unwrap().path();
    let out = wasmwheel(["tags", "--platform-tag", platforms, "-w", dir.to_str().unwrap(), wheel.to_str().unwrap()]);
    assert_eq!(out.status.code(), Some(0), "{}", stderr(&out));
    PathBuf::from(String::from_utf8(out.stdout).unwrap().trim())
}

/// `<name>.data/platlib/` layouts: the package does not import with either installer on any
/// release, and the audit says so; repaired, it imports everywhere the audit says. Each wheel
/// also goes in with the `pyodide_*` spelling, which micropip 0.9 and 0.11.0 accept.
#[test]
#[ignore = "needs Node, the Pyodide releases and micropip (testdata/fetch.sh)"]
fn data_layouts_agree_with_load_package_and_micropip() {
    let dirs: Vec<tempfile::TempDir> = (0..3).map(|_| tempfile::tempdir().unwrap()).collect();
    let [out, moved, again] = [dirs[0].path(), dirs[1].path(), dirs[2].path()];
    let mut legacy = Vec::new();
    let every = "pyodide_2024_0_wasm32.pyodide_2025_0_wasm32.pyemscripten_2026_0_wasm32.pyemscripten_2026_5_wasm32";
    let fxdata = fixture("fxdata-1.0-cp312-abi3-pyemscripten_2024_0_wasm32.whl");
    let fixed = repaired(&fxdata, out);
    let mut all = Vec::new();
    for wheel in [retagged(&fxdata, every, &mut legacy), retagged(&fixed, every, &mut legacy), fxdata, fixed] {
        all.extend(cases(&wheel, "fxdata", "7", &ALL, &INSTALLERS));
    }
    // A side module NEEDing vendored libraries, at the root and under platlib, on its release.
    for (abi, py) in [("2024_0", "312"), ("2025_0", "313"), ("2026_0", "314"), ("2026_5", "315")] {
        let fxpkg = fixture(&format!("fxpkg-1.0-cp{py}-cp{py}-pyemscripten_{abi}_wasm32.whl"));
        let root = repaired(&fxpkg, out);
        let platlib = under_platlib(&root, moved);
        let fixed = repaired(&platlib, again);
        for wheel in [root, platlib, fixed] {
            let pyodide_tag = retagged(&wheel, &format!("pyodide_{abi}_wasm32"), &mut legacy);
            all.extend(cases(&pyodide_tag, "fxpkg", "4201", &[abi], &INSTALLERS));
            all.extend(cases(&wheel, "fxpkg", "4201", &[abi], &INSTALLERS));
        }
    }
    assert!(all.iter().any(|c| c.compatible) && all.iter().any(|c| !c.compatible), "both verdicts are tried");
    let wrong = disagreements(&all);
    assert!(wrong.is_empty(), "{wrong:#?}");
}
