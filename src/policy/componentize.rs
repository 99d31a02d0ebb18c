//! A WASI policy generated from a componentize-py wheel (PyPI).
//!
//! componentize-py turns Python apps into components, linking the extension modules it finds
//! (WASI shared objects) with wit-component against the CPython it carries: `libpython3.X.so`,
//! wasi-libc, libc++ and their helpers, stored zstd-compressed inside its native library. Those
//! shared objects are a real CPython WASI build from a registry, so they say what a WASI
//! extension module may import: their exports, and the WASI functions of the bundled preview 1
//! adapter; the libraries they NEED are provided by name.

use std::collections::{BTreeMap, BTreeSet};
use std::io::Read;
use std::path::Path;

use super::import_error::{Failure, ReleaseError};
use super::{Loader, POLICY_VERSION, Policy, PolicyFamily, Source};
use crate::hash::sha256_hex;
use crate::platform::PlatformTag;
use crate::wasm::{self, UnwindStyle, WasmInfo};
use crate::wheel::{BinaryKind, Wheel};

/// The zstd frame magic number.
const ZSTD_MAGIC: [u8; 4] = [0x28, 0xb5, 0x2f, 0xfd];
/// The most one embedded module may decompress to.
const MAX_MODULE: u64 = 256 << 20;

/// Every wasm module stored as a zstd frame inside `data`.
fn embedded_modules(data: &[u8]) -> Vec<WasmInfo> {
    let mut modules = Vec::new();
    let mut at = 0;
    while let Some(found) = data[at..].windows(4).position(|w| w == ZSTD_MAGIC) {
        let start = at + found;
        at = start + 4;
        // A magic number inside other data does not decode; skip those.
        let Ok(decoder) = ruzstd::decoding::StreamingDecoder::new(&data[start..]) else { continue };
        let mut out = Vec::new();
        if decoder.take(MAX_MODULE).read_to_end(&mut out).is_err() || !wasm::is_wasm(&out) {
            continue;
        }
        if let Ok(info) = wasm::inspect(&out) {
            modules.push(info);
        }
    }
    modules
}

/// The `wit-component` version the native library was built with: the crate path of its
/// sources appears in panic messages.
fn wit_component_minor(data: &[u8]) -> Option<u32> {
    const NEEDLE: &[u8] = b"wit-component-0.";
    let at = data.windows(NEEDLE.len()).position(|w| w == NEEDLE)? + NEEDLE.len();
    let digits: String = data[at..].iter().take_while(|b| b.is_ascii_digit()).map(|&b| b as char).collect();
    digits.parse().ok()
}

/// Generates the WASI policy of the componentize-py wheel at `path`.
pub(super) fn import(path: &Path) -> Result<Policy, Failure> {
    let bytes = std::fs::read(path)?;
    let file = path.file_name().unwrap_or_default().to_string_lossy().into_owned();
    let wheel = Wheel::from_bytes(&path.display().to_string(), &file, &bytes).map_err(ReleaseError::Wheel)?;
    if wheel.filename.name.as_str() != "componentize_py" {
        return Err(ReleaseError::NotComponentize.into());
    }
    let mut modules = Vec::new();
    let mut wit_component = None;
    for binary in wheel.binaries.iter().filter(|b| matches!(b.kind, BinaryKind::Native(_))) {
        let data = wheel.member_data(&binary.path).unwrap_or_default();
        modules.extend(embedded_modules(data));
        wit_component = wit_component.or(wit_component_minor(data));
    }
    let libraries: Vec<&WasmInfo> = modules.iter().filter(|m| m.dylink.is_some()).collect();
    let needed: BTreeSet<String> = libraries.iter().flat_map(|m| m.needed().iter().cloned()).collect();
    let python = needed
        .iter()
        .find_map(|n| n.strip_prefix("libpython")?.strip_suffix(".so")?.parse().ok())
        .ok_or(ReleaseError::Missing("libpython3.X.so among the modules componentize-py bundles"))?;

    let mut symbols: BTreeSet<String> = BTreeSet::new();
    let mut signatures = BTreeMap::new();
    for module in &modules {
        for export in &module.exports {
            symbols.insert(export.name.clone());
            if let Some(signature) = &export.signature {
                signatures.entry(export.name.clone()).or_insert_with(|| signature.clone());
            }
        }
        // What the bundled libraries import from WASI, the host provides.
        symbols.extend(module.imports.iter().filter(|i| i.module == "wasi_snapshot_preview1").map(|i| i.name.clone()));
    }
    let any = |f: fn(&WasmInfo) -> bool| libraries.iter().any(|m| f(m));
    let wasm_style = |uses: bool| uses.then_some(UnwindStyle::Wasm);
    let platform_tags = vec!["wasi_0_0_0_wasm32".parse::<PlatformTag>().map_err(|_| ReleaseError::NotComponentize)?];
    Ok(Policy {
        policy_version: POLICY_VERSION,
        name: "wasi_0_0_0".into(),
        family: PolicyFamily::Wasi,
        abi: None,
        platform_tags,
        python,
        emscripten: None,
        source: Source {
            runtime: "componentize-py".into(),
            version: wheel.filename.version.to_string(),
            file,
            sha256: sha256_hex(&bytes),
        },
        exceptions: wasm_style(any(|m| m.markers.exceptions == Some(UnwindStyle::Wasm))),
        setjmp: wasm_style(any(|m| m.markers.setjmp == Some(UnwindStyle::Wasm))),
        bigint: true,
        shared_memory: any(|m| m.markers.shared_memory),
        memory64: any(|m| m.markers.memory64),
        // componentize-py hands wit-component the files of its `-p` folders that end in
        // `.cpython-3XY-wasm32-wasi.so` or `.abi3.so`, named `/<n>/<path>` (src/prelink.rs),
        // and its own libraries; wit-component matches each NEEDED entry exactly against those
        // names (linking.rs). It reads RUNTIME_PATH from 0.237 (wasm-tools 1.237) on (older
        // ones refuse the subsection), and never uses it to find a library.
        loader: Loader {
            runtime_path: wit_component.is_some_and(|minor| minor >= 237),
            search_dist_libs: false,
            search_module_dir: false,
            search_by_name: false,
            legacy_dylink: false,
            native_fails_install: false,
            only_provided: true,
        },
        provided_libraries: needed.into_iter().collect(),
        shared_library_packages: Vec::new(),
        symbols: symbols.into_iter().collect(),
        signatures,
        installers: Vec::new(),
        prerelease: false,
    })
}
