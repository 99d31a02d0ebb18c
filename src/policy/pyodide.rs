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
use sha2::{Digest, Sha256};

use super::import::hex;
use super::{Loader, POLICY_VERSION, Policy, PolicyFamily, Source, Unwinding};
use crate::error::{Error, Result};
use crate::wasm;

/// The files of a release that a policy is made from.
#[derive(Default)]
struct Release {
    lock: Option<Vec<u8>>,
    package_json: Option<Vec<u8>>,
    main_module: Option<Vec<u8>>,
    loader_js: Option<Vec<u8>>,
}

impl Release {
    /// Keeps `data` if `name` (a file name, no folder) is one of the files a policy needs.
    fn offer(&mut self, name: &str, data: impl FnOnce() -> std::io::Result<Vec<u8>>) -> std::io::Result<()> {
        let slot = match name {
            "pyodide-lock.json" => &mut self.lock,
            "package.json" => &mut self.package_json,
            "pyodide.asm.wasm" => &mut self.main_module,
            "pyodide.asm.js" | "pyodide.asm.mjs" => &mut self.loader_js,
            _ => return Ok(()),
        };
        *slot = Some(data()?);
        Ok(())
    }
}

const MAX_FILE: u64 = 512 << 20;

fn read_release(path: &Path) -> Result<(Release, Source)> {
    let shown = path.display();
    let mut release = Release::default();
    let io = |e: std::io::Error| Error::input(&shown, e);
    let sha256;
    if path.is_dir() {
        for name in ["pyodide-lock.json", "package.json", "pyodide.asm.wasm", "pyodide.asm.js", "pyodide.asm.mjs"] {
            let file = path.join(name);
            if file.is_file() {
                release.offer(name, || std::fs::read(&file)).map_err(io)?;
            }
        }
        let wasm = release.main_module.as_deref().unwrap_or_default();
        sha256 = hex(&Sha256::digest(wasm));
    } else {
        let bytes = std::fs::read(path).map_err(io)?;
        sha256 = hex(&Sha256::digest(&bytes));
        let mut archive = tar::Archive::new(flate2::read::GzDecoder::new(bytes.as_slice()));
        for entry in archive.entries().map_err(|e| Error::input(&shown, format!("not a .tgz ({e})")))? {
            let mut entry = entry.map_err(|e| Error::input(&shown, format!("damaged .tgz ({e})")))?;
            let entry_path = entry.path().map_err(io)?.into_owned();
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
                .map_err(io)?;
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

/// Generates the policy of the Pyodide release at `path` (a folder or an npm `.tgz`).
pub fn import(path: &Path) -> Result<Policy> {
    let shown = path.display();
    let (release, mut source) = read_release(path)?;
    let missing = |what: &str| Error::input(&shown, format!("no {what} in this Pyodide release"));
    let lock: Value = serde_json::from_slice(release.lock.as_deref().ok_or_else(|| missing("pyodide-lock.json"))?)
        .map_err(|e| Error::input(&shown, format!("pyodide-lock.json: {e}")))?;
    let package: Option<Value> = release.package_json.as_deref().and_then(|b| serde_json::from_slice(b).ok());
    let main = release.main_module.as_deref().ok_or_else(|| missing("pyodide.asm.wasm"))?;
    let js_bytes = release.loader_js.as_deref().ok_or_else(|| missing("pyodide.asm.js or pyodide.asm.mjs"))?;
    let js = String::from_utf8_lossy(js_bytes);

    let abi =
        json_str(&lock, &["info", "abi_version"]).ok_or_else(|| missing("info.abi_version in pyodide-lock.json"))?;
    let python = json_str(&lock, &["info", "python"]).ok_or_else(|| missing("info.python in pyodide-lock.json"))?;
    let platform =
        json_str(&lock, &["info", "platform"]).ok_or_else(|| missing("info.platform in pyodide-lock.json"))?;
    // package.json has the release version; the lock's may be a development one or absent.
    let version = package
        .as_ref()
        .and_then(|p| json_str(p, &["version"]))
        .or_else(|| json_str(&lock, &["info", "version"]))
        .ok_or_else(|| missing("version"))?
        .to_string();
    source.version = version.clone();
    let emscripten = platform.strip_prefix("emscripten_").map(|v| v.replace('_', "."));

    let info = wasm::inspect(main).map_err(|e| Error::input(&shown, format!("pyodide.asm.wasm: {e}")))?;
    let js_library =
        wasm_imports_keys(&js).ok_or_else(|| missing("wasmImports object in the loader (pyodide.asm.js)"))?;
    let mut symbols: BTreeSet<String> = info.exports.iter().map(|e| e.name.clone()).collect();
    symbols.extend(
        info.imports.iter().filter(|i| wasm::LOADER_MODULES.contains(&i.module.as_str())).map(|i| i.name.clone()),
    );
    symbols.extend(js_library);

    let mut platform_tags = vec![format!("pyemscripten_{abi}_wasm32")];
    // The `pyodide_<abi>` spelling named the same ABIs for Pyodide 0.26-0.29.
    if version.starts_with("0.") {
        platform_tags.push(format!("pyodide_{abi}_wasm32"));
    }
    platform_tags.push(format!("{platform}_wasm32"));

    let mut shared_library_packages: Vec<String> = lock
        .get("packages")
        .and_then(Value::as_object)
        .map(|packages| {
            packages
                .iter()
                .filter(|(_, p)| p.get("package_type").and_then(Value::as_str) == Some("shared_library"))
                .map(|(name, _)| name.clone())
                .collect()
        })
        .unwrap_or_default();
    shared_library_packages.sort();

    let unwinding = |wasm_style: bool| if wasm_style { Unwinding::Wasm } else { Unwinding::Js };
    Ok(Policy {
        policy_version: POLICY_VERSION,
        name: format!("pyemscripten_{abi}"),
        family: PolicyFamily::Emscripten,
        abi: Some(abi.to_string()),
        platform_tags,
        python: python.to_string(),
        emscripten,
        source,
        exceptions: unwinding(info.markers.wasm_exceptions),
        setjmp: unwinding(info.markers.wasm_setjmp),
        bigint: !info.markers.i64_legalized,
        shared_memory: info.markers.shared_memory,
        memory64: info.markers.memory64,
        loader: Loader {
            runtime_path: js.contains("WASM_DYLINK_RUNTIME_PATH"),
            search_dist_libs: js.contains(".libs`"),
            search_module_dir: js.contains("getSubDirs("),
            search_by_name: false,
            legacy_dylink: js.contains("\"dylink\""),
        },
        provided_libraries: Vec::new(),
        shared_library_packages,
        symbols: symbols.into_iter().collect(),
        signatures: info.exports.iter().filter_map(|e| Some((e.name.clone(), e.signature.clone()?))).collect(),
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
