//! Every JSON report validates against `spec/report.schema.json`.

use crate::common::*;

fn validator() -> jsonschema::Validator {
    let schema: serde_json::Value =
        serde_json::from_str(&std::fs::read_to_string(testdata("../spec/report.schema.json")).unwrap()).unwrap();
    jsonschema::validator_for(&schema).expect("the schema is a valid JSON Schema")
}

/// Every fixture wheel, a bare binary and a file that is not a wheel; with `pypi`, every
/// PyPI wheel of the cache too.
fn inputs(pypi: bool) -> Vec<String> {
    let list = |dir: std::path::PathBuf| -> Vec<String> {
        std::fs::read_dir(dir).unwrap().map(|e| e.unwrap().path().display().to_string()).collect()
    };
    let mut files = list(testdata("wheels"));
    if pypi {
        files.extend(list(cached("pypi")));
    }
    files.push(testdata("libs/libb.so").display().to_string());
    files.push(testdata("make_wheel.py").display().to_string());
    files.sort();
    files
}

fn assert_valid(command: &str, pypi: bool) {
    let validator = validator();
    let mut args = vec![command.to_string(), "--format".into(), "json".into()];
    args.extend(inputs(pypi));
    let (code, report) = wasmwheel_json(&args);
    assert_eq!(code, 2, "the non-wheel input is an input error");
    assert!(!report["errors"].as_array().unwrap().is_empty());
    assert!(report["wheels"].as_array().unwrap().len() > 10);
    let errors: Vec<String> =
        validator.iter_errors(&report).map(|e| format!("{} at {}", e, e.instance_path())).collect();
    assert!(errors.is_empty(), "{command}: {errors:#?}");
}

#[test]
fn show_audit_and_check_reports_of_the_fixtures_match_the_schema() {
    for command in ["show", "audit", "check"] {
        assert_valid(command, false);
    }
}

#[test]
#[ignore = "needs the PyPI wheels (testdata/fetch.sh)"]
fn show_audit_and_check_reports_of_pypi_wheels_match_the_schema() {
    for command in ["show", "audit", "check"] {
        assert_valid(command, true);
    }
}

#[test]
fn repair_reports_match_the_schema() {
    let validator = validator();
    let out = tempfile::tempdir().unwrap();
    let mut args = vec!["repair".to_string(), "--format".into(), "json".into(), "-w".into()];
    args.push(out.path().display().to_string());
    args.extend(["-L".to_string(), testdata("libs").display().to_string()]);
    args.extend(inputs(false));
    let (code, report) = wasmwheel_json(&args);
    assert_eq!(code, 2);
    let repairs = report["repairs"].as_array().unwrap();
    assert!(repairs.iter().any(|r| r["output"].is_null()) && repairs.iter().any(|r| r["output"].is_string()));
    let errors: Vec<String> =
        validator.iter_errors(&report).map(|e| format!("{} at {}", e, e.instance_path())).collect();
    assert!(errors.is_empty(), "repair: {errors:#?}");
}
