//! `wasmwheel audit` on real PyPI wheels and on the fixtures.

use crate::common::*;
use serde_json::Value;

const MSGSPEC: &str = "pypi/msgspec-0.22.0-cp314-cp314-pyemscripten_2026_0_wasm32.whl";
const JITER: &str = "pypi/jiter-0.19.0-cp314-cp314-pyemscripten_2026_0_wasm32.whl";
const PYDANTIC: &str = "pypi/pydantic_core-2.50.4-cp314-cp314-pyemscripten_2026_0_wasm32.whl";

fn audit(args: &[&str]) -> (i32, Value) {
    let mut all = vec!["audit", "--format", "json"];
    all.extend(args);
    wasmwheel_json(all)
}

fn unresolved<'a>(report: &'a Value, platform: &str) -> Vec<&'a str> {
    report["wheels"][0]["binaries"]
        .as_array()
        .unwrap()
        .iter()
        .flat_map(|b| b["unresolved"][platform].as_array().unwrap().iter().map(|s| s.as_str().unwrap()))
        .collect()
}

#[test]
#[ignore = "needs the PyPI wheels (testdata/fetch.sh)"]
fn real_2026_0_wheels_load_only_on_2026_0_and_say_why_not_elsewhere() {
    for (rel, missing_on_2025) in [(MSGSPEC, "PyLong_GetSign"), (JITER, "PyUnicodeWriter_Create"), (PYDANTIC, "")] {
        let wheel = cached(rel);
        let (code, report) = audit(&[wheel.to_str().unwrap()]);
        assert_eq!(code, 0, "{rel}: {report:#}");
        assert_eq!(compatible(&report), ["pyemscripten_2026_0_wasm32"], "{rel}");
        assert!(unresolved(&report, "pyemscripten_2026_0_wasm32").is_empty(), "{rel}");
        let on_2025 = unresolved(&report, "pyemscripten_2025_0_wasm32");
        if !missing_on_2025.is_empty() {
            assert!(on_2025.contains(&missing_on_2025), "{rel}: {on_2025:?}");
        }
        let verdicts = report["wheels"][0]["platforms"].as_array().unwrap();
        assert_eq!(verdicts.len(), 3);
        for v in verdicts.iter().filter(|v| v["compatible"] == false) {
            assert!(!v["reasons"].as_array().unwrap().is_empty(), "a platform is never refused without a reason");
        }
        assert!(findings(&report, "platform-tag-incompatible").is_empty());
    }
}

#[test]
#[ignore = "needs the PyPI wheels (testdata/fetch.sh)"]
fn msgspec_retagged_for_2025_0_names_missing_symbols_and_python_mismatch() {
    let wheel = cached(MSGSPEC);
    let dir = tempfile::tempdir().unwrap();
    let retagged =
        derive_wheel(&wheel, dir.path(), "msgspec-0.22.0-cp313-cp313-pyodide_2025_0_wasm32.whl", |name, data| {
            let name = name.replace("cpython-314", "cpython-313");
            let data = if name.ends_with("/WHEEL") {
                String::from_utf8(data)
                    .unwrap()
                    .replace("cp314-cp314-pyemscripten_2026_0", "cp313-cp313-pyodide_2025_0")
                    .into()
            } else {
                data
            };
            Some((name, data))
        });
    let (code, report) = audit(&[retagged.to_str().unwrap()]);
    assert_eq!(code, 1);
    let missing = findings(&report, "unresolved-symbol");
    assert_eq!(missing.len(), 1);
    assert_eq!(missing[0]["platform"], "pyemscripten_2025_0_wasm32");
    assert!(missing[0]["message"].as_str().unwrap().contains("PyLong_GetSign"));
    let python = findings(&report, "python-version-mismatch");
    assert!(
        python.iter().any(|f| f["message"].as_str().unwrap().contains("built for Python 3.14, not 3.13")),
        "{python:#?}"
    );
    assert_eq!(findings(&report, "platform-tag-incompatible").len(), 1);
    assert_eq!(findings(&report, "legacy-platform-tag")[0]["severity"], "warning");
    assert!(compatible(&report).is_empty(), "cp313 fits no platform its binary loads on");
}

#[test]
fn fixtures_that_need_unshipped_libraries_fail_naming_them() {
    for (wheel, library) in [
        ("fxpkg-1.0-cp312-cp312-pyemscripten_2024_0_wasm32.whl", "libb.so"),
        ("fxpkg-1.0-cp313-cp313-pyemscripten_2025_0_wasm32.whl", "libb.so"),
        ("fxpkg-1.0-cp314-cp314-pyemscripten_2026_0_wasm32.whl", "libb.so"),
        ("fxfooa-1.0-cp312-abi3-pyemscripten_2024_0_wasm32.whl", "libfoo.so"),
    ] {
        let (code, report) = audit(&[fixture(wheel).to_str().unwrap()]);
        assert_eq!(code, 1, "{wheel}");
        let missing = findings(&report, "needed-library-missing");
        assert_eq!(missing.len(), 1, "{wheel}: {missing:#?}");
        assert!(missing[0]["message"].as_str().unwrap().contains(&format!("NEEDs {library}")), "{wheel}");
        assert!(compatible(&report).is_empty(), "{wheel}");
    }
}

#[test]
fn verdicts_of_the_fixtures_built_each_way() {
    let all = ["pyemscripten_2024_0_wasm32", "pyemscripten_2025_0_wasm32", "pyemscripten_2026_0_wasm32"];
    for (wheel, expected, code, rule) in [
        ("fxclean-1.0-cp312-abi3-pyemscripten_2024_0_wasm32.whl", &all[..], 0, None),
        ("fxlegacy-1.0-cp312-abi3-pyodide_2024_0_wasm32.whl", &all[..], 0, Some("legacy-platform-tag")),
        ("fxcppjs-1.0-cp312-abi3-pyemscripten_2024_0_wasm32.whl", &all[..1], 0, None),
        ("fxcppwasm-1.0-cp313-abi3-pyemscripten_2025_0_wasm32.whl", &all[1..], 0, None),
        ("fxoldlink-1.0-cp312-abi3-pyemscripten_2026_0_wasm32.whl", &all[..1], 1, Some("legacy-dylink")),
        ("fxthreads-1.0-cp312-abi3-pyemscripten_2024_0_wasm32.whl", &[][..], 1, Some("shared-memory")),
        ("fxwide-1.0-cp312-abi3-pyemscripten_2024_0_wasm32.whl", &[][..], 1, Some("signature-mismatch")),
        ("fxnative-1.0-cp312-abi3-pyemscripten_2024_0_wasm32.whl", &all[..1], 1, Some("native-binary")),
    ] {
        let (status, report) = audit(&[fixture(wheel).to_str().unwrap()]);
        assert_eq!(status, code, "{wheel}: {report:#}");
        assert_eq!(compatible(&report), expected, "{wheel}");
        if let Some(rule) = rule {
            assert!(!findings(&report, rule).is_empty(), "{wheel} has no {rule}");
        }
    }
}

#[test]
fn plat_ignore_and_unknown_platforms() {
    let cppjs = fixture("fxcppjs-1.0-cp312-abi3-pyemscripten_2024_0_wasm32.whl");
    let (code, report) = audit(&["--plat", "pyemscripten_2026_0_wasm32", cppjs.to_str().unwrap()]);
    assert_eq!(code, 1);
    assert_eq!(findings(&report, "exception-handling-mismatch")[0]["platform"], "pyemscripten_2026_0_wasm32");

    let native = fixture("fxnative-1.0-cp312-abi3-pyemscripten_2024_0_wasm32.whl");
    let (code, report) = audit(&["--ignore", "native-binary", native.to_str().unwrap()]);
    assert_eq!(code, 0);
    assert!(findings(&report, "native-binary").is_empty());
    assert_eq!(wasmwheel(["audit", "--ignore", "no-such-rule", native.to_str().unwrap()]).status.code(), Some(2));

    // Ignoring a platform rule also stops it counting against the platform.
    let threads = fixture("fxthreads-1.0-cp312-abi3-pyemscripten_2024_0_wasm32.whl");
    let (code, report) = audit(&["--ignore", "shared-memory", threads.to_str().unwrap()]);
    assert_eq!(code, 0);
    assert_eq!(compatible(&report).len(), 3);

    let dir = tempfile::tempdir().unwrap();
    let clean = fixture("fxclean-1.0-cp312-abi3-pyemscripten_2024_0_wasm32.whl");
    let future = dir.path().join("fxclean-1.0-cp312-abi3-pyemscripten_2031_0_wasm32.whl");
    std::fs::copy(clean, &future).unwrap();
    let (code, report) = audit(&[future.to_str().unwrap()]);
    assert_eq!(code, 0);
    assert_eq!(findings(&report, "unknown-platform").len(), 1);
}

#[test]
#[ignore = "needs the PyPI wheels (testdata/fetch.sh)"]
fn abi3_wheels_may_import_only_the_limited_api() {
    let wheel = cached(MSGSPEC);
    let dir = tempfile::tempdir().unwrap();
    let abi3 =
        derive_wheel(&wheel, dir.path(), "msgspec-0.22.0-cp312-abi3-pyemscripten_2026_0_wasm32.whl", |name, data| {
            Some((name.replace(".cpython-314-wasm32-emscripten.so", ".abi3.so"), data))
        });
    let (code, report) = audit(&[abi3.to_str().unwrap()]);
    assert_eq!(code, 1);
    let bad = findings(&report, "abi3-non-limited-symbol");
    assert_eq!(bad.len(), 1);
    let message = bad[0]["message"].as_str().unwrap();
    assert!(message.contains("PyLong_GetSign (not in the limited API)"), "{message}");
}

#[test]
fn an_abi3_fixture_that_uses_only_the_limited_api_passes() {
    let clean = fixture("fxclean-1.0-cp312-abi3-pyemscripten_2024_0_wasm32.whl");
    let (_, report) = audit(&[clean.to_str().unwrap()]);
    assert!(findings(&report, "abi3-non-limited-symbol").is_empty());
}

#[test]
fn many_wheels_in_one_run_keep_their_order() {
    let mut paths: Vec<String> =
        std::fs::read_dir(testdata("wheels")).unwrap().map(|e| e.unwrap().path().display().to_string()).collect();
    paths.sort();
    paths.reverse();
    let mut args = vec!["audit".to_string(), "--format".into(), "json".into()];
    args.extend(paths.iter().cloned());
    let (code, report) = wasmwheel_json(&args);
    assert_eq!(code, 1);
    let got: Vec<&str> = report["wheels"].as_array().unwrap().iter().map(|w| w["path"].as_str().unwrap()).collect();
    assert_eq!(got, paths);
}

#[test]
fn text_output_and_exit_codes() {
    let clean = fixture("fxclean-1.0-cp312-abi3-pyemscripten_2024_0_wasm32.whl");
    let out = wasmwheel(["audit", clean.to_str().unwrap()]);
    assert_eq!(out.status.code(), Some(0), "a warning is not a failure");
    let text = String::from_utf8(out.stdout).unwrap();
    assert!(text.starts_with("fxclean-1.0-cp312-abi3-pyemscripten_2024_0_wasm32.whl: OK, 1 warning\n"), "{text}");
    assert!(text.contains("warning[installer-refuses-tag]"), "micropip 0.9 refuses pyemscripten tags: {text}");
    // Tagged for 2026_0, whose micropip takes PEP 783 tags: nothing to say.
    let dir = tempfile::tempdir().unwrap();
    assert_eq!(
        wasmwheel([
            "tags",
            "--platform-tag",
            "pyemscripten_2026_0_wasm32",
            "-w",
            dir.path().to_str().unwrap(),
            clean.to_str().unwrap()
        ])
        .status
        .code(),
        Some(0)
    );
    let retagged = dir.path().join("fxclean-1.0-cp312-abi3-pyemscripten_2026_0_wasm32.whl");
    let text = String::from_utf8(wasmwheel(["audit", retagged.to_str().unwrap()]).stdout).unwrap();
    assert!(text.starts_with("fxclean-1.0-cp312-abi3-pyemscripten_2026_0_wasm32.whl: OK\n"), "{text}");
    let pkg = fixture("fxpkg-1.0-cp314-cp314-pyemscripten_2026_0_wasm32.whl");
    let out = wasmwheel(["audit", pkg.to_str().unwrap()]);
    assert_eq!(out.status.code(), Some(1));
    assert!(String::from_utf8(out.stdout).unwrap().contains("error[needed-library-missing]"));
    let missing = wasmwheel(["audit", "missing.whl", clean.to_str().unwrap()]);
    assert_eq!(missing.status.code(), Some(2), "an unreadable input wins over findings");
}

#[test]
fn a_package_under_data_platlib_loads_nowhere_and_says_why() {
    let wheel = fixture("fxdata-1.0-cp312-abi3-pyemscripten_2024_0_wasm32.whl");
    let (code, report) = audit(&[wheel.to_str().unwrap()]);
    assert_eq!(code, 1);
    assert!(compatible(&report).is_empty(), "{report:#}");
    for verdict in report["wheels"][0]["platforms"].as_array().unwrap() {
        let rules: Vec<&str> =
            verdict["reasons"].as_array().unwrap().iter().map(|r| r["rule"].as_str().unwrap()).collect();
        assert!(rules.contains(&"data-scheme-unimportable"), "{verdict:#}");
    }
    let unimportable = findings(&report, "data-scheme-unimportable");
    assert_eq!(unimportable.len(), 1, "reported for the declared platform");
    assert_eq!(unimportable[0]["path"], "fxdata-1.0.data/platlib/");
    let message = unimportable[0]["message"].as_str().unwrap();
    assert!(message.contains("fxdata/_clean.abi3.so") && message.contains("micropip 0.9.0"), "{message}");
    // Scripts and headers land nowhere; data files only where micropip 0.9 leaves them.
    let not_installed: Vec<&str> =
        findings(&report, "data-scheme-not-installed").iter().map(|f| f["path"].as_str().unwrap()).collect();
    assert_eq!(not_installed, ["fxdata-1.0.data/data/", "fxdata-1.0.data/headers/", "fxdata-1.0.data/scripts/"]);
    let data = findings(&report, "data-scheme-not-installed")[0]["message"].as_str().unwrap();
    assert!(data.contains("micropip 0.9.0") && !data.contains("loadPackage"), "{data}");
}

/// The 315.0.0-alpha.2 platform (2026_5) is a prerelease: listed as upcoming, counted with
/// `--prerelease` or when the wheel is tagged for it.
#[test]
fn the_prerelease_platform_is_upcoming_unless_asked_for_or_tagged() {
    let clean = fixture("fxclean-1.0-cp312-abi3-pyemscripten_2024_0_wasm32.whl");
    let (code, report) = audit(&[clean.to_str().unwrap()]);
    assert_eq!(code, 0);
    assert!(!compatible(&report).contains(&"pyemscripten_2026_5_wasm32".to_string()), "{report:#}");
    let upcoming = report["wheels"][0]["upcoming"].as_array().unwrap();
    assert_eq!(
        (upcoming.len(), &upcoming[0]["platform"], &upcoming[0]["compatible"]),
        (1, &"pyemscripten_2026_5_wasm32".into(), &true.into())
    );
    let text = String::from_utf8(wasmwheel(["audit", clean.to_str().unwrap()]).stdout).unwrap();
    assert!(
        text.contains("upcoming pyemscripten_2026_5_wasm32 (a prerelease; --prerelease counts it): compatible"),
        "{text}"
    );

    let (_, report) = audit(&["--prerelease", clean.to_str().unwrap()]);
    assert_eq!(compatible(&report).last().map(String::as_str), Some("pyemscripten_2026_5_wasm32"));
    assert!(report["wheels"][0].get("upcoming").is_none());

    let cppjs = fixture("fxcppjs-1.0-cp312-abi3-pyemscripten_2024_0_wasm32.whl");
    let (_, report) = audit(&[cppjs.to_str().unwrap()]);
    assert_eq!(report["wheels"][0]["upcoming"][0]["compatible"], false);

    let tagged = fixture("fxpkg-1.0-cp315-cp315-pyemscripten_2026_5_wasm32.whl");
    let (code, report) = audit(&[tagged.to_str().unwrap()]);
    assert_eq!(code, 1, "its libraries are missing");
    let platforms: Vec<&str> =
        report["wheels"][0]["platforms"].as_array().unwrap().iter().map(|p| p["platform"].as_str().unwrap()).collect();
    assert!(platforms.contains(&"pyemscripten_2026_5_wasm32"), "a tag that names it counts it: {platforms:?}");
    assert!(!findings(&report, "platform-tag-incompatible").is_empty());
}

/// A native `.so` fails the install on 2025_0 and later (measured in tests/agreement.rs).
#[test]
fn a_native_library_blocks_the_platforms_whose_installers_load_it() {
    let native = fixture("fxnative-1.0-cp312-abi3-pyemscripten_2024_0_wasm32.whl");
    let (code, report) = audit(&["--prerelease", native.to_str().unwrap()]);
    assert_eq!(code, 1);
    assert_eq!(compatible(&report), ["pyemscripten_2024_0_wasm32"]);
    let blocked: Vec<&str> = report["wheels"][0]["platforms"]
        .as_array()
        .unwrap()
        .iter()
        .filter(|p| p["reasons"].as_array().unwrap().iter().any(|r| r["rule"] == "native-library-loaded"))
        .map(|p| p["platform"].as_str().unwrap())
        .collect();
    assert_eq!(blocked, ["pyemscripten_2025_0_wasm32", "pyemscripten_2026_0_wasm32", "pyemscripten_2026_5_wasm32"]);
}
