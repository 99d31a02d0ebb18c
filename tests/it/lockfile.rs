//! `pyodide-lock.json`, typed: the real locks of every release read and write back value for
//! value, and a lock `wasmwheel lock` writes is one pyodide-lock 0.2.1 (the Pyodide project's
//! own model, which refuses keys it does not know) accepts.

use std::path::{Path, PathBuf};
use std::process::Command;

use serde_json::Value;
use wasmwheel::PyodideLock;

use crate::common::*;

#[test]
fn every_release_lock_reads_and_writes_back_value_for_value() {
    for version in ["0.27.7", "0.29.3", "314.0.7", "315.0.0-alpha.2"] {
        let path = testdata(&format!("releases/{version}/pyodide-lock.json"));
        let lock = PyodideLock::read(&path).unwrap_or_else(|e| panic!("{version}: {}", wasmwheel::one_line(&e)));
        let original: Value = serde_json::from_slice(&std::fs::read(&path).unwrap()).unwrap();
        let written: Value = serde_json::from_slice(&lock.to_bytes()).unwrap();
        assert_eq!(written, original, "{version}: the lock changed on the way through");
        assert!(lock.packages.len() > 30, "{version}: {} packages", lock.packages.len());
    }
}

/// A Python 3.12 or later (pyodide-lock needs it): on PATH or under pyenv.
fn python312() -> PathBuf {
    let home = std::env::var("HOME").unwrap_or_default();
    let mut candidates: Vec<PathBuf> = vec!["python3.13".into(), "python3.12".into()];
    for version in ["3.13.0", "3.12.1"] {
        candidates.push(Path::new(&home).join(format!(".pyenv/versions/{version}/bin/python3")));
    }
    let pyenv = Path::new(&home).join(".pyenv/versions");
    if let Ok(dirs) = std::fs::read_dir(&pyenv) {
        candidates.extend(dirs.flatten().map(|d| d.path().join("bin/python3")));
    }
    candidates
        .into_iter()
        .find(|p| {
            Command::new(p)
                .args(["-c", "import sys; sys.exit(sys.version_info < (3, 12))"])
                .stderr(std::process::Stdio::null())
                .status()
                .is_ok_and(|s| s.success())
        })
        .expect("no Python 3.12 or later (pyenv install 3.12)")
}

/// A venv with pyodide-lock 0.2.1, made once in the cache.
fn pyodide_lock_python() -> PathBuf {
    let venv = cache_dir().join("venv-pyodide-lock-0.2.1");
    let python = venv.join("bin/python");
    if !venv.join(".complete").is_file() {
        let _ = std::fs::remove_dir_all(&venv);
        let made = Command::new(python312()).args(["-m", "venv"]).arg(&venv).status().unwrap();
        assert!(made.success(), "venv");
        let pip = Command::new(&python)
            .args(["-m", "pip", "install", "--quiet", "--disable-pip-version-check", "pyodide-lock==0.2.1"])
            .status()
            .unwrap();
        assert!(pip.success(), "pip install pyodide-lock==0.2.1");
        std::fs::write(venv.join(".complete"), b"").unwrap();
    }
    python
}

/// What pyodide-lock 0.2.1's model says of the lock at `path`: `Ok(package count)` or its error.
fn validate(path: &Path) -> Result<usize, String> {
    let code = "import sys, pathlib; from pyodide_lock import PyodideLockSpec\n\
                spec = PyodideLockSpec.from_json(pathlib.Path(sys.argv[1])); print(len(spec.packages))";
    let out = Command::new(pyodide_lock_python()).args(["-c", code]).arg(path).output().unwrap();
    if out.status.success() {
        Ok(String::from_utf8_lossy(&out.stdout).trim().parse().unwrap())
    } else {
        Err(String::from_utf8_lossy(&out.stderr).into_owned())
    }
}

#[test]
#[ignore = "needs Python 3.12, PyPI (pyodide-lock 0.2.1), Node and the npm registry"]
fn pyodide_lock_accepts_what_lock_writes() {
    let out = tempfile::tempdir().unwrap();
    let clean = fixture("fxclean-1.0-cp312-abi3-pyemscripten_2024_0_wasm32.whl");
    for (release, abi) in [("0.29.3", "2025_0"), ("314.0.7", "2026_0")] {
        let dir = out.path().join(release);
        let args =
            ["lock", "--format", "json", "--pyodide", release, "-o", dir.to_str().unwrap(), clean.to_str().unwrap()];
        let (code, report) = wasmwheel_json_cached(args);
        assert_eq!(code, 0, "{report:#}");
        let written = dir.join("pyodide-lock.json");
        let release_lock = cached(&format!("node/{abi}/pyodide-lock.json"));
        let expected = PyodideLock::read(&release_lock).unwrap().packages.len() + 1;
        assert_eq!(validate(&written), Ok(expected), "{release}");
    }
    // The check can fail: a key of wasmwheel's own is refused.
    let bad = out.path().join("bad.json");
    let mut value: Value =
        serde_json::from_slice(&std::fs::read(out.path().join("314.0.7/pyodide-lock.json")).unwrap()).unwrap();
    value["packages"]["fxclean"]["wasmwheel"] = true.into();
    std::fs::write(&bad, serde_json::to_vec(&value).unwrap()).unwrap();
    assert!(validate(&bad).is_err(), "pyodide-lock refuses an unknown key");
}
