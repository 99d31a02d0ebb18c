//! A policy generated from a real Pyodide release, either a distribution folder or the npm
//! tarball `pyodide-<version>.tgz`.
//!
//! Everything comes from the release itself: versions from `pyodide-lock.json` and
//! `package.json`; the symbols a side module may import from the main module
//! (`pyodide.asm.wasm`: its exports and its own imports) and from the JavaScript loader (the
//! keys of `wasmImports` in `pyodide.asm.js` / `.mjs`); exception handling from the main
//! module's imports and tags; and the loader's library search from the loader code.

use std::collections::BTreeSet;
use std::io::Read;
use std::path::Path;

use serde_json::Value;

use super::import_error::{Failure, ReleaseError};
use super::installers::{self, Micropip};
use super::{Installer, Loader, POLICY_VERSION, Policy, PolicyFamily, Source};
use crate::hash::sha256_hex;
use crate::platform::{Abi, PlatformTag};
use crate::wasm::{self, UnwindStyle};

/// The files of a release that a policy is made from.
#[derive(Default)]
pub(super) struct Release {
    lock: Option<Vec<u8>>,
    package_json: Option<Vec<u8>>,
    main_module: Option<Vec<u8>>,
    loader_js: Option<Vec<u8>>,
    stdlib: Option<Vec<u8>>,
}

impl Release {
    /// Keeps `data` if `name` (a file name, no folder) is one of the files a policy needs.
    fn offer(&mut self, name: &str, data: impl FnOnce() -> std::io::Result<Vec<u8>>) -> std::io::Result<()> {
        let slot = match name {
            "pyodide-lock.json" => &mut self.lock,
            "package.json" => &mut self.package_json,
            "pyodide.asm.wasm" => &mut self.main_module,
            "pyodide.asm.js" | "pyodide.asm.mjs" => &mut self.loader_js,
            "python_stdlib.zip" => &mut self.stdlib,
            _ => return Ok(()),
        };
        *slot = Some(data()?);
        Ok(())
    }
}

const MAX_FILE: u64 = 512 << 20;

/// Reads the files a policy needs from a release folder or npm tarball, and the source
/// record (the sha256 of the tarball, or of the main module of a folder).
pub(super) fn read_release(path: &Path) -> Result<(Release, Source), Failure> {
    let mut release = Release::default();
    let sha256;
    if path.is_dir() {
        let names = [
            "pyodide-lock.json",
            "package.json",
            "pyodide.asm.wasm",
            "pyodide.asm.js",
            "pyodide.asm.mjs",
            "python_stdlib.zip",
        ];
        for name in names {
            let file = path.join(name);
            if file.is_file() {
                release.offer(name, || std::fs::read(&file))?;
            }
        }
        sha256 = sha256_hex(release.main_module.as_deref().unwrap_or_default());
    } else {
        let bytes = std::fs::read(path)?;
        sha256 = sha256_hex(&bytes);
        let mut archive = tar::Archive::new(flate2::read::GzDecoder::new(bytes.as_slice()));
        for entry in archive.entries().map_err(ReleaseError::Tarball)? {
            let mut entry = entry.map_err(ReleaseError::Tarball)?;
            let entry_path = entry.path().map_err(ReleaseError::Tarball)?.into_owned();
            // npm tarballs hold `package/<file>`; only top-level files of the package matter.
            if entry_path.components().count() != 2 {
                continue;
            }
            let name = entry_path.file_name().and_then(|n| n.to_str()).unwrap_or_default().to_string();
            release
                .offer(&name, || {
                    let mut data = Vec::new();
                    (&mut entry).take(MAX_FILE).read_to_end(&mut data)?;
                    Ok(data)
                })
                .map_err(ReleaseError::Tarball)?;
        }
    }
    let file = path.file_name().map(|n| n.to_string_lossy().into_owned()).unwrap_or_default();
    Ok((release, Source { runtime: "pyodide".into(), version: String::new(), file, sha256 }))
}

/// The keys of the `wasmImports = {...}` object literal in minified loader code: `a:b` and
/// shorthand `a` entries.
pub fn wasm_imports_keys(js: &str) -> Option<Vec<String>> {
    let start = js.match_indices("wasmImports").find_map(|(at, m)| {
        let rest = js[at + m.len()..].trim_start();
        let rest = rest.strip_prefix('=')?.trim_start();
        rest.starts_with('{').then(|| js.len() - rest.len() + 1)
    })?;
    let bytes = js.as_bytes();
    let (mut depth, mut i, mut entry_start) = (0i32, start, start);
    let mut keys = Vec::new();
    loop {
        let c = *bytes.get(i)?;
        match c {
            b'{' | b'(' | b'[' => depth += 1,
            b'}' | b')' | b']' if depth > 0 => depth -= 1,
            b'}' | b',' if depth == 0 => {
                let entry = js[entry_start..i].trim();
                let key = entry.split(':').next().unwrap_or_default().trim().trim_matches(['"', '\'']);
                if !key.is_empty() {
                    keys.push(key.to_string());
                }
                if c == b'}' {
                    return Some(keys);
                }
                entry_start = i + 1;
            }
            _ => {}
        }
        i += 1;
    }
}

fn json_str<'a>(value: &'a Value, path: &[&str]) -> Option<&'a str> {
    path.iter().try_fold(value, |v, key| v.get(key))?.as_str()
}

/// What `pyodide-lock.json` and `package.json` say of a release.
struct ReleaseInfo {
    abi: Abi,
    python: crate::python::PythonRelease,
    emscripten: pep440_rs::Version,
    version: String,
    shared_library_packages: Vec<String>,
    micropip: Option<String>,
}

impl ReleaseInfo {
    fn read(release: &Release) -> Result<ReleaseInfo, ReleaseError> {
        let json = |file: &'static str, bytes: &[u8]| -> Result<Value, ReleaseError> {
            serde_json::from_slice(bytes).map_err(|source| ReleaseError::Json { file, source })
        };
        let lock =
            json("pyodide-lock.json", release.lock.as_deref().ok_or(ReleaseError::Missing("pyodide-lock.json"))?)?;
        let package = release.package_json.as_deref().map(|b| json("package.json", b)).transpose()?;
        let field = |name: &'static str| {
            json_str(&lock, &["info", name]).ok_or(ReleaseError::Missing(match name {
                "abi_version" => "info.abi_version in pyodide-lock.json",
                "python" => "info.python in pyodide-lock.json",
                _ => "info.platform in pyodide-lock.json",
            }))
        };
        let bad = |field: &'static str, value: &str, what: &'static str| ReleaseError::Field {
            file: "pyodide-lock.json",
            field,
            value: value.to_string(),
            what,
        };
        let abi_text = field("abi_version")?;
        let abi = abi_text.parse().map_err(|_| bad("info.abi_version", abi_text, "an ABI like 2026_0"))?;
        let python_text = field("python")?;
        let python = python_text.parse().map_err(|_| bad("info.python", python_text, "a Python version"))?;
        let platform = field("platform")?;
        let emscripten = platform
            .strip_prefix("emscripten_")
            .and_then(|v| v.replace('_', ".").parse().ok())
            .ok_or_else(|| bad("info.platform", platform, "emscripten_X_Y_Z"))?;
        // package.json has the release version; the lock's may be a development one or absent.
        let version = package
            .as_ref()
            .and_then(|p| json_str(p, &["version"]))
            .or_else(|| json_str(&lock, &["info", "version"]))
            .ok_or(ReleaseError::Missing("version"))?
            .to_string();
        let mut shared_library_packages: Vec<String> = lock
            .get("packages")
            .and_then(Value::as_object)
            .into_iter()
            .flatten()
            .filter(|(_, p)| p.get("package_type").and_then(Value::as_str) == Some("shared_library"))
            .map(|(name, _)| name.clone())
            .collect();
        shared_library_packages.sort();
        let micropip = json_str(&lock, &["packages", "micropip", "version"]).map(str::to_string);
        Ok(ReleaseInfo { abi, python, emscripten, version, shared_library_packages, micropip })
    }
}

/// How the release installs wheels: `pyodide.loadPackage`, and the micropip its lock pins
/// (one of `micropips`); `emscripten` is the release's own platform tag.
fn installers(
    release: &Release,
    info: &ReleaseInfo,
    micropips: &[Micropip],
    emscripten: &PlatformTag,
) -> Result<Vec<Installer>, ReleaseError> {
    let stdlib = release.stdlib.as_deref().ok_or(ReleaseError::Missing("python_stdlib.zip"))?;
    let load_package = installers::load_package(&info.version, stdlib)?;
    let mut out = vec![load_package.clone()];
    if let Some(version) = &info.micropip {
        let micropip = micropips
            .iter()
            .find(|m| m.version == *version)
            .ok_or_else(|| ReleaseError::MicropipMissing(version.clone()))?;
        out.push(micropip.installer(&load_package, info.abi, emscripten));
    }
    Ok(out)
}

/// Generates the policy of the Pyodide release at `path` (a folder or an npm `.tgz`);
/// `micropips` are the micropip wheels given with it.
pub(super) fn import(path: &Path, micropips: &[Micropip]) -> Result<Policy, Failure> {
    let (release, mut source) = read_release(path)?;
    let info = ReleaseInfo::read(&release)?;
    source.version = info.version.clone();
    let main = release.main_module.as_deref().ok_or(ReleaseError::Missing("pyodide.asm.wasm"))?;
    let js_bytes = release.loader_js.as_deref().ok_or(ReleaseError::Missing("pyodide.asm.js or pyodide.asm.mjs"))?;
    let js = String::from_utf8_lossy(js_bytes);

    let main_info = wasm::inspect(main).map_err(|source| ReleaseError::Wasm { file: "pyodide.asm.wasm", source })?;
    let js_library =
        wasm_imports_keys(&js).ok_or(ReleaseError::Missing("wasmImports object in the loader (pyodide.asm.js)"))?;
    let mut symbols: BTreeSet<String> = main_info.exports.iter().map(|e| e.name.clone()).collect();
    let loader_imports = main_info.imports.iter().filter(|i| wasm::LOADER_MODULES.contains(&i.module.as_str()));
    symbols.extend(loader_imports.map(|i| i.name.clone()));
    symbols.extend(js_library);

    let mut platform_tags = vec![info.abi.canonical_tag()];
    // The `pyodide_<abi>` spelling named the same ABIs for Pyodide 0.26-0.29.
    let tag = |text: String| text.parse::<PlatformTag>().map_err(|_| ReleaseError::Missing("a valid platform"));
    if info.version.starts_with("0.") {
        platform_tags.push(tag(format!("pyodide_{}_wasm32", info.abi))?);
    }
    let numbers = info.emscripten.release().iter().map(ToString::to_string).collect::<Vec<_>>().join("_");
    let emscripten_tag = tag(format!("emscripten_{numbers}_wasm32"))?;
    platform_tags.push(emscripten_tag.clone());
    let installers = installers(&release, &info, micropips, &emscripten_tag)?;

    let unwinding = |wasm_style: bool| Some(if wasm_style { UnwindStyle::Wasm } else { UnwindStyle::Js });
    Ok(Policy {
        policy_version: POLICY_VERSION,
        name: format!("pyemscripten_{}", info.abi),
        family: PolicyFamily::Emscripten,
        abi: Some(info.abi),
        platform_tags,
        python: info.python,
        emscripten: Some(info.emscripten),
        source,
        exceptions: unwinding(main_info.markers.exceptions == Some(UnwindStyle::Wasm)),
        setjmp: unwinding(main_info.markers.setjmp == Some(UnwindStyle::Wasm)),
        bigint: !main_info.markers.i64_legalized,
        shared_memory: main_info.markers.shared_memory,
        memory64: main_info.markers.memory64,
        loader: Loader {
            runtime_path: js.contains("WASM_DYLINK_RUNTIME_PATH"),
            search_dist_libs: js.contains(".libs`"),
            search_module_dir: js.contains("getSubDirs("),
            search_by_name: false,
            legacy_dylink: js.contains("\"dylink\""),
            // 0.27 catches "need to see wasm magic number" with a console.warn and goes on.
            native_fails_install: !js.contains("console.warn(`Failed to load dynlib"),
            only_provided: false,
        },
        provided_libraries: Vec::new(),
        shared_library_packages: info.shared_library_packages,
        symbols: symbols.into_iter().collect(),
        signatures: main_info.exports.iter().filter_map(|e| Some((e.name.clone(), e.signature.clone()?))).collect(),
        installers,
        // npm versions mark a prerelease with a hyphen (semver): `315.0.0-alpha.2`.
        prerelease: info.version.contains('-'),
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn reads_wasm_imports_keys_in_both_spellings() {
        let js = "var wasmImports;function f(){};wasmImports={IMG_Init:_IMG_Init,JsArray_count_js,\"q\":_q,z:(a)=>{b(a,c)}};x()";
        assert_eq!(wasm_imports_keys(js).unwrap(), ["IMG_Init", "JsArray_count_js", "q", "z"]);
        assert_eq!(wasm_imports_keys("var wasmImports = {a, b:c};").unwrap(), ["a", "b"]);
        assert_eq!(wasm_imports_keys("wasmImports={a,b"), None);
        assert_eq!(wasm_imports_keys("no imports here"), None);
    }
}
