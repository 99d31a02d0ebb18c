//! Every JSON report validates against `spec/report.schema.json`.

mod common;

use common::*;

fn validator() -> jsonschema::Validator {
    let schema: serde_json::Value =
        serde_json::from_str(&std::fs::read_to_string(testdata("../spec/report.schema.json")).unwrap()).unwrap();
    jsonschema::validator_for(&schema).expect("the schema is a valid JSON Schema")
}

/// Every fixture wheel, every cached PyPI wheel, a bare binary and a file that is not a wheel.
fn inputs() -> Vec<String> {
    let mut files: Vec<String> =
        std::fs::read_dir(testdata("wheels")).unwrap().map(|e| e.unwrap().path().display().to_string()).collect();
    if let Ok(dir) = std::fs::read_dir(cache_dir().join("pypi")) {
        files.extend(dir.map(|e| e.unwrap().path().display().to_string()));
    }
    files.push(testdata("libs/libb.so").display().to_string());
    files.push(testdata("make_wheel.py").display().to_string());
    files.sort();
    files
}

fn assert_valid(command: &str) {
    let validator = validator();
    let mut args = vec![command.to_string(), "--format".into(), "json".into()];
    args.extend(inputs());
    let (code, report) = wasmwheel_json(&args);
    assert_eq!(code, 2, "the non-wheel input is an input error");
    assert!(!report["errors"].as_array().unwrap().is_empty());
    assert!(report["wheels"].as_array().unwrap().len() > 10);
    let errors: Vec<String> =
        validator.iter_errors(&report).map(|e| format!("{} at {}", e, e.instance_path())).collect();
    assert!(errors.is_empty(), "{command}: {errors:#?}");
}

#[test]
fn show_reports_match_the_schema() {
    assert_valid("show");
}

#[test]
fn audit_reports_match_the_schema() {
    assert_valid("audit");
}

#[test]
fn check_reports_match_the_schema() {
    assert_valid("check");
}

#[test]
fn repair_reports_match_the_schema() {
    let validator = validator();
    let out = tempfile::tempdir().unwrap();
    let mut args = vec!["repair".to_string(), "--format".into(), "json".into(), "-w".into()];
    args.push(out.path().display().to_string());
    args.extend(["-L".to_string(), testdata("libs").display().to_string()]);
    args.extend(inputs());
    let (code, report) = wasmwheel_json(&args);
    assert_eq!(code, 2);
    let repairs = report["repairs"].as_array().unwrap();
    assert!(repairs.iter().any(|r| r["output"].is_null()) && repairs.iter().any(|r| r["output"].is_string()));
    let errors: Vec<String> =
        validator.iter_errors(&report).map(|e| format!("{} at {}", e, e.instance_path())).collect();
    assert!(errors.is_empty(), "repair: {errors:#?}");
}
