//! `wasmwheel registry`: a JavaScript-only npm package of a few KB, with no dependencies, that
//! knows a set of runtime variants (`pack --runtime`) by name and makes a Python runtime from
//! any of them at run time, fetched from a public npm CDN or a copy you host. One source
//! (`core.js`) wrapped three ways: ESM (`index.mjs`), CommonJS (`index.cjs`) and UMD for a
//! `<script>` tag (`registry.umd.js`, the global `wasmwheelRegistry`), with TypeScript
//! declarations (`index.d.ts`).

use std::path::{Path, PathBuf};

use serde::Serialize;
use serde_json::{Map, Value, json};

use crate::runtime::protocol::RUN_ENTRY;

/// A variant to put in the registry: its folder (a `pack --runtime` output), and the name the
/// registry knows it by (default: the one its package.json gives).
#[derive(Clone, Debug)]
pub struct VariantSource {
    /// The name in the registry, when not the variant's own.
    pub name: Option<String>,
    /// The variant's folder.
    pub dir: PathBuf,
}

impl std::str::FromStr for VariantSource {
    type Err = std::convert::Infallible;

    /// `NAME=DIR` or `DIR`.
    fn from_str(s: &str) -> Result<Self, Self::Err> {
        Ok(match s.split_once('=') {
            Some((name, dir)) if !name.is_empty() && !name.contains('/') => {
                VariantSource { name: Some(name.to_string()), dir: dir.into() }
            }
            _ => VariantSource { name: None, dir: s.into() },
        })
    }
}

/// How to make a registry.
#[derive(Clone, Debug)]
#[non_exhaustive]
pub struct RegistryOptions {
    /// Its npm name.
    pub name: String,
    /// Its npm version.
    pub version: String,
    /// The variants, the default one first.
    pub variants: Vec<VariantSource>,
}

impl RegistryOptions {
    /// A registry `name` of `variants`, version 0.1.0.
    pub fn new(name: String, variants: Vec<VariantSource>) -> RegistryOptions {
        RegistryOptions { name, version: "0.1.0".into(), variants }
    }
}

/// Why a registry cannot be made (exit 2; nothing is written).
#[derive(Debug, thiserror::Error)]
#[non_exhaustive]
pub enum RegistryError {
    /// An npm name npm refuses.
    #[error("--name {0}: not a valid npm package name")]
    Name(String),
    /// A variant name that is not a plain word.
    #[error("`{0}`: a variant name is letters, digits, `-`, `_` and `.`")]
    VariantName(String),
    /// No variants.
    #[error("a registry needs at least one variant folder (wasmwheel pack --runtime)")]
    NoVariants,
    /// A folder that is not a variant.
    #[error("{}: not a runtime variant: {why}", dir.display())]
    NotAVariant {
        /// The folder.
        dir: PathBuf,
        /// What is missing.
        why: String,
    },
    /// Two variants of one name.
    #[error("two variants are called `{0}`; name one otherwise (NAME=DIR)")]
    Duplicate(String),
    /// An output folder that holds something else.
    #[error("{}: not empty and not a registry wasmwheel made; choose another -o", .0.display())]
    OutDir(PathBuf),
    /// A file that cannot be read or written.
    #[error("{}", path.display())]
    Io {
        /// The file.
        path: PathBuf,
        /// Why.
        #[source]
        source: std::io::Error,
    },
}

/// A variant the registry knows.
#[derive(Clone, Debug, Serialize)]
#[non_exhaustive]
pub struct KnownVariant {
    /// Its name in the registry.
    pub name: String,
    /// Its npm package.
    pub package: String,
    /// Its version.
    pub version: String,
    /// The Pyodide release it is made for.
    pub pyodide: String,
    /// The packages it holds.
    pub packages: Vec<String>,
}

/// What `registry` wrote.
#[derive(Clone, Debug, Serialize)]
#[non_exhaustive]
pub struct RegistryPackage {
    /// Its npm name.
    pub name: String,
    /// Its version.
    pub version: String,
    /// The folder written.
    pub output: String,
    /// The variants, the default one first.
    pub variants: Vec<KnownVariant>,
    /// Each file and its size in bytes.
    pub files: Vec<(String, u64)>,
}

/// Reads a variant's package.json: what the registry needs to know of it.
fn read_variant(source: &VariantSource) -> Result<KnownVariant, RegistryError> {
    let path = source.dir.join("package.json");
    let not = |why: &str| RegistryError::NotAVariant { dir: source.dir.clone(), why: why.to_string() };
    let bytes = fs_err::read(&path).map_err(|e| match e.kind() {
        std::io::ErrorKind::NotFound => not("no package.json"),
        _ => RegistryError::Io { path: path.clone(), source: e },
    })?;
    let doc: Value = serde_json::from_slice(&bytes).map_err(|_| not("package.json is not JSON"))?;
    let field = |v: &Value, key: &str| v.get(key).and_then(Value::as_str).map(str::to_string);
    let pyodide = doc.get("pyodide").unwrap_or(&Value::Null);
    let own = field(pyodide, "variant")
        .ok_or_else(|| not("no pyodide.variant in package.json (pack --runtime writes it)"))?;
    let package = field(&doc, "name").ok_or_else(|| not("package.json has no name"))?;
    let version = field(&doc, "version").ok_or_else(|| not("package.json has no version"))?;
    let release = field(pyodide, "release").ok_or_else(|| not("no pyodide.release in package.json"))?;
    let packages = pyodide.get("packages").and_then(Value::as_array).into_iter().flatten();
    let packages = packages.filter_map(Value::as_str).map(str::to_string).collect();
    let name = source.name.clone().unwrap_or(own);
    if name.is_empty() || !name.chars().all(|c| c.is_ascii_alphanumeric() || "-_.".contains(c)) {
        return Err(RegistryError::VariantName(name));
    }
    if !crate::pack::bundle::is_npm_name(&package) {
        return Err(not("its package.json name is not an npm name"));
    }
    Ok(KnownVariant { name, package, version, pyodide: release, packages })
}

/// The variants table the code is made with: `{ name: { pkg, version, release } }`, in order.
fn variants_literal(variants: &[KnownVariant]) -> String {
    let mut table = Map::new();
    for v in variants {
        table.insert(v.name.clone(), json!({"pkg": v.package, "version": v.version, "release": v.pyodide}));
    }
    serde_json::to_string_pretty(&Value::Object(table)).unwrap_or_else(|_| "{}".into())
}

/// The shared code with the variants and the entry runner written in, without its comments
/// (they are in the source and in `index.d.ts`): the package stays a few KB.
fn core(variants: &[KnownVariant]) -> String {
    let python: String =
        RUN_ENTRY.lines().filter(|l| !l.trim_start().starts_with('#')).map(|l| format!("{l}\n")).collect();
    let run_entry = serde_json::to_string(&python).unwrap_or_else(|_| "\"\"".into());
    let mut code = String::new();
    let mut in_doc = false;
    for line in include_str!("core.js").lines() {
        let trimmed = line.trim_start();
        let comment = in_doc || trimmed.starts_with("//") || trimmed.starts_with("/**");
        if trimmed.starts_with("/**") && !trimmed.ends_with("*/") {
            in_doc = true;
        } else if in_doc && trimmed.ends_with("*/") {
            in_doc = false;
        }
        if !comment {
            code.push_str(line);
            code.push('\n');
        }
    }
    code.replace("__VARIANTS__", &variants_literal(variants)).replace("__RUN_ENTRY__", &run_entry)
}

const API: &str = "createRuntime, setCDN, register, variants";

/// The three builds of the registry: ESM, CommonJS, UMD.
fn builds(name: &str, variants: &[KnownVariant]) -> [(&'static str, String); 3] {
    let code = core(variants);
    let banner = format!("// {name}: a registry of Python runtime variants (wasmwheel registry).\n");
    let indented: String = code.lines().map(|l| if l.is_empty() { "\n".into() } else { format!("  {l}\n") }).collect();
    [
        ("index.mjs", format!("{banner}{code}\nexport {{ {API} }};\n")),
        ("index.cjs", format!("{banner}\"use strict\";\n{code}\nmodule.exports = {{ {API} }};\n")),
        (
            "registry.umd.js",
            format!(
                "{banner}// In a page: <script src=\".../registry.umd.js\"></script> defines `wasmwheelRegistry`.\n\
                 (function (root, factory) {{\n  if (typeof module === \"object\" && module.exports) module.exports = factory();\n  \
                 else if (typeof define === \"function\" && define.amd) define([], factory);\n  \
                 else root.wasmwheelRegistry = factory();\n}})(typeof globalThis !== \"undefined\" ? globalThis : this, function () {{\n  \
                 \"use strict\";\n{indented}  return {{ {API} }};\n}});\n"
            ),
        ),
    ]
}

/// The registry's `package.json`: `exports["."]` with `types`, `import` and `require`, the
/// UMD build for CDNs' `<script>` use, no dependencies, and the variants it knows.
fn package_json(options: &RegistryOptions, variants: &[KnownVariant], files: &[&str]) -> Vec<u8> {
    let names: Vec<String> = variants.iter().map(|v| v.name.clone()).collect();
    let known: Map<String, Value> = variants
        .iter()
        .map(|v| (v.name.clone(), json!({"package": v.package, "version": v.version, "pyodide": v.pyodide})))
        .collect();
    let doc = json!({
        "name": options.name,
        "version": options.version,
        "description": format!("Python runtime variants for Pyodide: {} (wasmwheel registry)", names.join(", ")),
        "main": "./index.cjs",
        "module": "./index.mjs",
        "types": "./index.d.ts",
        "unpkg": "./registry.umd.js",
        "jsdelivr": "./registry.umd.js",
        "exports": {
            ".": {"types": "./index.d.ts", "import": "./index.mjs", "require": "./index.cjs"},
            "./umd": "./registry.umd.js",
            "./package.json": "./package.json",
        },
        "files": files,
        "sideEffects": false,
        "wasmwheel": {"variants": known},
    });
    crate::pack::bundle::json_file(&doc)
}

/// Refuses an output folder that holds something other than an earlier registry.
fn check_out_dir(out_dir: &Path) -> Result<(), RegistryError> {
    let Ok(mut entries) = std::fs::read_dir(out_dir) else { return Ok(()) };
    let empty = entries.next().is_none();
    let ours = std::fs::read(out_dir.join("package.json"))
        .ok()
        .and_then(|b| serde_json::from_slice::<Value>(&b).ok())
        .is_some_and(|p| p.get("wasmwheel").and_then(|w| w.get("variants")).is_some());
    if empty || ours { Ok(()) } else { Err(RegistryError::OutDir(out_dir.to_path_buf())) }
}

/// Writes the registry of `options.variants` into `out_dir`, whole or not at all.
pub fn registry(options: &RegistryOptions, out_dir: &Path) -> Result<RegistryPackage, RegistryError> {
    if !crate::pack::bundle::is_npm_name(&options.name) {
        return Err(RegistryError::Name(options.name.clone()));
    }
    if options.variants.is_empty() {
        return Err(RegistryError::NoVariants);
    }
    let mut variants: Vec<KnownVariant> = Vec::new();
    for source in &options.variants {
        let variant = read_variant(source)?;
        if variants.iter().any(|v| v.name == variant.name) {
            return Err(RegistryError::Duplicate(variant.name));
        }
        variants.push(variant);
    }
    check_out_dir(out_dir)?;
    let io = |source| RegistryError::Io { path: out_dir.to_path_buf(), source };
    let mut files: Vec<(String, Vec<u8>)> =
        builds(&options.name, &variants).into_iter().map(|(f, code)| (f.to_string(), code.into_bytes())).collect();
    files.push(("index.d.ts".into(), include_str!("index.d.ts").as_bytes().to_vec()));
    let names: Vec<&str> = files.iter().map(|(f, _)| f.as_str()).collect();
    let manifest = package_json(options, &variants, &names);
    files.push(("package.json".into(), manifest));
    let mut staging = crate::fs::Staging::new(out_dir).map_err(io)?;
    for (file, bytes) in &files {
        staging.add(file, bytes).map_err(io)?;
    }
    staging.commit().map_err(io)?;
    Ok(RegistryPackage {
        name: options.name.clone(),
        version: options.version.clone(),
        output: out_dir.display().to_string(),
        variants,
        files: files.iter().map(|(f, b)| (f.clone(), b.len() as u64)).collect(),
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn variant_sources_take_a_name() {
        let named: VariantSource = "numpy=dist/py-numpy".parse().unwrap();
        assert_eq!((named.name.as_deref(), named.dir), (Some("numpy"), PathBuf::from("dist/py-numpy")));
        let bare: VariantSource = "dist/a=b".parse().unwrap();
        assert_eq!((bare.name, bare.dir), (None, PathBuf::from("dist/a=b")));
    }

    #[test]
    fn every_build_carries_the_variants_and_the_api() {
        let v = KnownVariant {
            name: "base".into(),
            package: "@me/py-base".into(),
            version: "1.0.0".into(),
            pyodide: "314.0.7".into(),
            packages: Vec::new(),
        };
        for (file, code) in builds("@me/runtimes", &[v]) {
            assert!(code.contains("\"pkg\": \"@me/py-base\""), "{file}");
            assert!(code.contains("createRuntime, setCDN, register, variants"), "{file}");
            assert!(!code.contains("__VARIANTS__") && !code.contains("__RUN_ENTRY__"), "{file}");
        }
    }
}
