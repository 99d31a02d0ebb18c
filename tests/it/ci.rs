//! What CI and build tools meet: `[tool.wasmwheel]` in pyproject.toml, `--format github`
//! annotations, and a progress bar only on a terminal.

use std::process::Command;

use crate::common::*;

fn in_dir(dir: &std::path::Path, args: &[&str]) -> std::process::Output {
    Command::new(env!("CARGO_BIN_EXE_wasmwheel")).args(args).current_dir(dir).output().unwrap()
}

#[test]
fn pyproject_settings_apply_from_the_project_folder_down() {
    let project = tempfile::tempdir().unwrap();
    let sub = project.path().join("src/deep");
    std::fs::create_dir_all(&sub).unwrap();
    let libs = testdata("libs");
    std::fs::write(
        project.path().join("pyproject.toml"),
        format!(
            "[project]\nname = \"demo\"\n\n[tool.wasmwheel]\nignore = [\"native-binary\"]\nlib-dirs = [{:?}]\nplat = \"pyemscripten_2026_0_wasm32\"\n",
            libs.display().to_string()
        ),
    )
    .unwrap();
    let native = fixture("fxnative-1.0-cp312-abi3-pyemscripten_2024_0_wasm32.whl");
    assert_eq!(in_dir(&sub, &["audit", native.to_str().unwrap()]).status.code(), Some(0), "native-binary ignored");
    assert_eq!(in_dir(&sub, &["--isolated", "audit", native.to_str().unwrap()]).status.code(), Some(1));

    // repair finds the libraries and tags for the configured platform.
    let pkg = fixture("fxpkg-1.0-cp314-cp314-pyemscripten_2026_0_wasm32.whl");
    let out = in_dir(&sub, &["repair", "-w", "out", pkg.to_str().unwrap()]);
    assert_eq!(out.status.code(), Some(0), "{}", stderr(&out));
    assert!(sub.join("out/fxpkg-1.0-cp314-cp314-pyemscripten_2026_0_wasm32.whl").is_file());
    let clean = fixture("fxclean-1.0-cp312-abi3-pyemscripten_2024_0_wasm32.whl");
    let out = in_dir(&sub, &["repair", "-w", "out", clean.to_str().unwrap()]);
    assert_eq!(out.status.code(), Some(0), "{}", stderr(&out));
    assert!(sub.join("out/fxclean-1.0-cp312-abi3-pyemscripten_2026_0_wasm32.whl").is_file(), "plat from pyproject");

    std::fs::write(project.path().join("pyproject.toml"), "[tool.wasmwheel]\nlibdirs = []\n").unwrap();
    let out = in_dir(&sub, &["audit", clean.to_str().unwrap()]);
    assert_eq!(out.status.code(), Some(2));
    assert!(stderr(&out).contains("pyproject.toml") && stderr(&out).contains("libdirs"), "{}", stderr(&out));
}

#[test]
fn github_format_annotates_each_finding() {
    let pkg = fixture("fxpkg-1.0-cp313-cp313-pyemscripten_2025_0_wasm32.whl");
    let legacy = fixture("fxlegacy-1.0-cp312-abi3-pyodide_2024_0_wasm32.whl");
    let out = wasmwheel(["check", "--format", "github", pkg.to_str().unwrap(), legacy.to_str().unwrap()]);
    assert_eq!(out.status.code(), Some(1));
    let text = String::from_utf8(out.stdout).unwrap();
    let lines: Vec<&str> = text.lines().collect();
    assert!(
        lines.iter().all(|l| l.starts_with("::error ") || l.starts_with("::warning ") || l.starts_with("::notice ")),
        "{text}"
    );
    assert!(
        lines.iter().any(|l| l.starts_with("::error file=") && l.contains("title=wasmwheel needed-library-missing::"))
    );
    assert!(lines.iter().any(|l| l.starts_with("::warning ") && l.contains("legacy-platform-tag")));
    // One annotation per finding: the same count as the JSON report.
    let (_, json) = wasmwheel_json(["check", "--format", "json", pkg.to_str().unwrap(), legacy.to_str().unwrap()]);
    let findings: usize =
        json["wheels"].as_array().unwrap().iter().map(|w| w["findings"].as_array().unwrap().len()).sum();
    assert_eq!(lines.len(), findings);
}

/// `audit` over every fixture wheel.
fn audit_all_fixtures() -> (Vec<String>, Vec<String>) {
    let wheels: Vec<String> =
        std::fs::read_dir(testdata("wheels")).unwrap().map(|e| e.unwrap().path().display().to_string()).collect();
    let mut args = vec!["audit".to_string()];
    args.extend(wheels.iter().cloned());
    (wheels, args)
}

#[test]
fn no_progress_when_stderr_is_not_a_terminal() {
    let (_, args) = audit_all_fixtures();
    let piped = wasmwheel(&args);
    assert!(stderr(&piped).is_empty(), "no progress when stderr is not a terminal: {}", stderr(&piped));
}

#[test]
#[ignore = "needs script (util-linux) for a terminal"]
fn progress_shows_on_a_terminal() {
    let (wheels, args) = audit_all_fixtures();
    // `script` gives the command a terminal.
    let script = tool("script");
    let command = format!("{} {} >/dev/null", env!("CARGO_BIN_EXE_wasmwheel"), args.join(" "));
    let out = Command::new(script).args(["-qec", &command, "/dev/null"]).output().unwrap();
    let shown = String::from_utf8_lossy(&out.stdout);
    assert!(shown.contains(&format!("/{} wheels", wheels.len())), "{shown}");
}
