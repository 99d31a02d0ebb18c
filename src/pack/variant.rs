//! `pack --runtime`: a runtime variant. Not an app but a Python runtime with packages in it,
//! as a pure-asset npm package: the resolved wheels (whole; or trimmed to what `--smoke` code
//! touches), their lock, and with `--self-contained` the release's runtime files. No entry
//! script and no JavaScript: a registry package (`wasmwheel registry`) loads it. It is packed
//! as an app is (traced, locked, verified under Node and in Chromium), its app being a script
//! that imports every module its packages provide, then runs the smoke code; the script and the
//! runner files are left out of the package written.

use std::path::Path;

use serde_json::json;

use crate::release::Release;
use crate::resolve::{Origin, Resolution};

/// What makes a pack a runtime variant.
#[derive(Clone, Debug, Default)]
#[non_exhaustive]
pub struct VariantOptions {
    /// Code that uses the runtime (`--smoke`): traced, and the wheels trimmed to what it
    /// touches, as `pack` does for an app; without it, the wheels are kept whole.
    pub smoke: Option<String>,
}

impl VariantOptions {
    /// A variant with `smoke` code, or none.
    pub fn new(smoke: Option<String>) -> VariantOptions {
        VariantOptions { smoke }
    }
}

/// The name the script the runs execute has in the bundle while it is verified.
pub const SMOKE_SCRIPT: &str = "wasmwheel_runtime_smoke.py";

/// The files of an app bundle that a variant does not ship.
const APP_FILES: [&str; 4] = [SMOKE_SCRIPT, "run.mjs", "loader.mjs", "index.html"];

/// The modules a variant's packages provide, sorted: each wheel's top-level modules, and the
/// `imports` the release's lock gives each of its packages.
pub fn modules(resolution: &Resolution<'_>, release: &Release) -> Vec<String> {
    let mut modules: Vec<String> = resolution.wheels().flat_map(|(_, w)| w.wheel.top_level_modules()).collect();
    let lock = release.lock();
    for package in resolution.packages.iter().filter(|p| p.source == Origin::Release) {
        modules.extend(lock.package(&package.name).into_iter().flat_map(|e| e.imports.iter().cloned()));
    }
    modules.sort();
    modules.dedup();
    modules
}

/// The script the trace and the verifying runs execute: every module imported (a line each,
/// so a failure names it), what was imported printed, then the smoke code.
pub fn smoke_script(modules: &[String], smoke: Option<&str>) -> String {
    let mut script = String::from("# wasmwheel pack --runtime: every module of the runtime's packages, imported.\n");
    for module in modules {
        script.push_str(&format!("import {module}\n"));
    }
    script.push_str(&format!("print({:?})\n", format!("imported: {}", modules.join(", "))));
    if let Some(code) = smoke {
        script.push_str("# --smoke\n");
        script.push_str(code);
        script.push('\n');
    }
    script
}

/// What a variant's `package.json` says.
#[derive(Clone, Copy, Debug)]
pub struct VariantManifest<'a> {
    /// The npm name.
    pub name: &'a str,
    /// The npm version.
    pub version: &'a str,
    /// The Pyodide release it is made for.
    pub pyodide: &'a str,
    /// Where its runtime files are (absolute, or relative to the package: `pyodide/`).
    pub url: &'a str,
    /// The files beside the lock: the wheels, and what `--self-contained` copied.
    pub assets: &'a [String],
    /// The packages a runtime loads, by lock key.
    pub packages: &'a [String],
    /// The modules they provide.
    pub imports: &'a [String],
}

/// The variant's name in a registry, by default: its npm name without the scope.
pub fn default_variant_name(npm_name: &str) -> &str {
    npm_name.rsplit('/').next().unwrap_or(npm_name)
}

/// A variant's `package.json`: a pure-asset npm package, an `exports` entry per asset, and a
/// `pyodide` field that says what a registry loads (`variant`, `release`, `url`, `packages`,
/// `imports`).
pub fn package_json(m: &VariantManifest<'_>) -> Vec<u8> {
    let mut files: Vec<String> = vec!["pyodide-lock.json".into()];
    files.extend(m.assets.iter().cloned());
    let exports = super::bundle::asset_exports(files.iter().map(String::as_str));
    let doc = json!({
        "name": m.name,
        "version": m.version,
        "description": format!("A Python runtime for Pyodide {} with {} (wasmwheel pack --runtime)", m.pyodide, m.packages.join(", ")),
        "files": files,
        "exports": exports,
        "pyodide": {
            "variant": default_variant_name(m.name),
            "release": m.pyodide,
            "url": m.url,
            "packages": m.packages,
            "imports": m.imports,
        },
    });
    super::bundle::json_file(&doc)
}

/// Makes the verified bundle in `dir` the variant: the smoke script and the runner files
/// removed, its `package.json` written.
pub fn finish(dir: &Path, manifest: &VariantManifest<'_>) -> std::io::Result<()> {
    for file in APP_FILES {
        let path = dir.join(file);
        if path.exists() {
            fs_err::remove_file(path)?;
        }
    }
    crate::fs::write_atomically(&dir.join("package.json"), &package_json(manifest))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_smoke_script_imports_each_module_then_runs_the_code() {
        let script = smoke_script(&["a".into(), "b".into()], Some("print(a.x)"));
        assert!(script.contains("import a\nimport b\nprint(\"imported: a, b\")\n# --smoke\nprint(a.x)\n"), "{script}");
        assert_eq!(default_variant_name("@me/py-numpy"), "py-numpy");
        let manifest = VariantManifest {
            name: "@me/py-base",
            version: "1.0.0",
            pyodide: "314.0.7",
            url: "pyodide/",
            assets: &["a-1.0-py3-none-any.whl".into()],
            packages: &["a".into()],
            imports: &["a".into()],
        };
        let doc: serde_json::Value = serde_json::from_slice(&package_json(&manifest)).unwrap();
        assert_eq!(doc["pyodide"]["variant"], "py-base");
        assert_eq!(doc["exports"]["./a-1.0-py3-none-any.whl"], "./a-1.0-py3-none-any.whl");
        assert!(doc.get("main").is_none() && doc.get("dependencies").is_none());
    }
}
