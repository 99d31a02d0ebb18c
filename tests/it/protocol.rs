//! The driver protocol, both sides against `spec/driver.schema.json`: the job wasmwheel writes,
//! and the answer the real driver gives under Node in a real Pyodide.

use std::io::Write;
use std::process::{Command, Output, Stdio};

use serde_json::Value;
use wasmwheel::Job;
use wasmwheel::testing::{drivers, job_json, parse_answer};

use crate::common::*;

/// The driver as the binary runs it under Node, with its protocol version written in.
fn driver() -> String {
    drivers().into_iter().find(|(name, _)| *name == "driver.js + node_driver.js").unwrap().1
}

/// Runs the Node driver on `job` (on its stdin, as the binary gives it).
fn run_driver(job: &str) -> Output {
    let mut child = Command::new(tool("node"))
        .args(["-e", &driver()])
        .stdin(Stdio::piped())
        .stdout(Stdio::piped())
        .stderr(Stdio::piped())
        .spawn()
        .unwrap();
    child.stdin.take().unwrap().write_all(job.as_bytes()).unwrap();
    child.wait_with_output().unwrap()
}

fn schema() -> jsonschema::Validator {
    let text = std::fs::read(testdata("../spec/driver.schema.json")).unwrap();
    jsonschema::validator_for(&serde_json::from_slice(&text).unwrap()).expect("a valid JSON Schema")
}

fn assert_valid(validator: &jsonschema::Validator, value: &Value) {
    let errors: Vec<String> = validator.iter_errors(value).map(|e| format!("{e} at {}", e.instance_path())).collect();
    assert!(errors.is_empty(), "{errors:#?}\n{value:#}");
}

#[test]
fn the_job_matches_the_schema_and_the_schema_can_fail() {
    let validator = schema();
    let mut job = Job::default();
    job.imports = vec!["fxclean".into()];
    let value: Value = serde_json::from_str(&job_json(&job).unwrap()).unwrap();
    assert_valid(&validator, &value);
    let mut wrong = value.clone();
    wrong["protocol"] = (wasmwheel::PROTOCOL_VERSION + 1).into();
    assert!(!validator.is_valid(&wrong), "another version is refused");
    // A session's first message, and a job of a session, match too.
    let session = wasmwheel::testing::session_json(std::path::Path::new("/r"), Some(std::path::Path::new("/s")), true);
    assert_valid(&validator, &serde_json::from_str(&session).unwrap());
    let numbered: Value = serde_json::from_str(&wasmwheel::testing::session_job_json(&job, 3).unwrap()).unwrap();
    assert_valid(&validator, &numbered);
    wrong = value;
    wrong["extra"] = true.into();
    assert!(!validator.is_valid(&wrong), "an unknown field is refused");
}

#[test]
#[ignore = "needs Node and the Pyodide releases (testdata/fetch.sh)"]
fn the_real_driver_answers_in_the_schema() {
    let validator = schema();
    let mut job = Job::default();
    job.pyodide = cached("node/2026_0");
    job.wheels = vec![fixture("fxclean-1.0-cp312-abi3-pyemscripten_2024_0_wasm32.whl")];
    job.imports = vec!["fxclean".into(), "no_such_module".into()];
    job.code = Some("import fxclean; print(fxclean.value())".into());
    let out = run_driver(&job_json(&job).unwrap());
    let stdout = String::from_utf8_lossy(&out.stdout);
    let (_, answer) = stdout.rsplit_once('\u{1e}').expect("an answer after the separator");
    assert_valid(&validator, &serde_json::from_str(answer.trim()).unwrap());
    let outcome = parse_answer(&stdout).unwrap();
    assert!(outcome.install.ok && outcome.imports[0].ok && !outcome.imports[1].ok, "{outcome:?}");
    assert_eq!(outcome.code.unwrap().stdout, "7\n");

    // A job of another version is refused by the driver, in the protocol.
    let current = format!("\"protocol\":{}", wasmwheel::PROTOCOL_VERSION);
    let other = job_json(&job).unwrap().replace(&current, "\"protocol\":9");
    let out = run_driver(&other);
    let stdout = String::from_utf8_lossy(&out.stdout);
    let (_, answer) = stdout.rsplit_once('\u{1e}').unwrap();
    assert_valid(&validator, &serde_json::from_str(answer.trim()).unwrap());
    let refused = parse_answer(&stdout).unwrap_err();
    assert!(wasmwheel::one_line(&refused).contains("protocol 9"), "{refused}");
}

#[test]
#[ignore = "needs Node and python3"]
fn every_driver_parses_as_embedded() {
    let dir = tempfile::tempdir().unwrap();
    let drivers = drivers();
    for entry in std::fs::read_dir(testdata("../src/runtime")).unwrap() {
        let name = entry.unwrap().file_name().to_string_lossy().into_owned();
        if name.ends_with(".js") || name.ends_with(".py") {
            assert!(drivers.iter().any(|(d, _)| d.contains(&name)), "{name} is checked");
        }
    }
    for (name, source) in drivers {
        assert!(!source.contains("__WASMWHEEL_PROTOCOL__"), "{name}: the version is written in");
        let file = dir.path().join(name.replace([' ', '+'], "_"));
        let out = if name.ends_with(".py") {
            std::fs::write(&file, &source).unwrap();
            Command::new(tool("python3")).args(["-m", "py_compile"]).arg(&file).output().unwrap()
        } else {
            let file = file.with_extension("js");
            std::fs::write(&file, &source).unwrap();
            Command::new(tool("node")).arg("--check").arg(&file).output().unwrap()
        };
        assert!(out.status.success(), "{name}: {}", stderr(&out));
    }
    // A driver with a syntax error fails the check: it can fail.
    let broken = dir.path().join("broken.js");
    std::fs::write(&broken, "function (").unwrap();
    assert!(!Command::new(tool("node")).arg("--check").arg(&broken).output().unwrap().status.success());
}
