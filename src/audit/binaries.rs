//! Checks of each binary on its own and against the wheel's platform family: what it is
//! (side module, WASI shared object, data), what it imports from where, its extension name,
//! its dynamic-linking section, and for WASI the rules of the component linker.

use std::collections::HashSet;

use crate::platform::Family;
use crate::policy::loader::expand_runtime_path;
use crate::python::PythonVersion;
use crate::rules::{Finding, Rule};
use crate::wasm::{self, ImportItem, ItemKind, ValueType, WasmInfo, WasmKind};
use crate::wheel::{Binary, BinaryKind, Wheel};

use super::python_fit::{self, ExtensionSuffix};
use super::{limited_api, name_list};

/// Import modules a WASI component linker (wit-component) satisfies: the dynamic-linking
/// modules, WASI preview 1, and WASI preview 2 interfaces (`wasi:*`).
fn wasi_linkable(module: &str) -> bool {
    matches!(module, "env" | "GOT.mem" | "GOT.func" | "wasi_snapshot_preview1" | "wasi_unstable")
        || module.starts_with("wasi:")
}

/// Whether a finding of `rule` about a binary means it cannot load on any platform of the
/// wheel's family (as opposed to a packaging fault that leaves the other binaries loadable).
pub fn blocks_loading(rule: Rule) -> bool {
    matches!(
        rule,
        Rule::NotASideModule
            | Rule::DylinkNotFirst
            | Rule::UnknownImportModule
            | Rule::MissingEntryPoint
            | Rule::ExtensionSuffixPlatform
            | Rule::WasiBinaryInEmscriptenWheel
            | Rule::EmscriptenBinaryInWasiWheel
            | Rule::WasiImportModule
            | Rule::WasiEnvGlobalType
            | Rule::WasiExportedMemory
    )
}

/// Whether a wasm binary is a Python extension module: it exports `PyInit_*`, or its name has
/// an extension suffix (`.cpython-*`, `.abi3.so`).
pub fn is_extension(binary: &Binary, info: &WasmInfo) -> bool {
    !info.markers.python_entry_points.is_empty()
        || matches!(
            python_fit::extension_suffix(&binary.path),
            Some(ExtensionSuffix::Versioned { .. } | ExtensionSuffix::Abi3)
        )
}

/// The findings about every binary of `wheel`, for a wheel of `family`.
pub fn findings(wheel: &Wheel, family: Family) -> Vec<Finding> {
    let mut findings = Vec::new();
    let abi3_min = python_fit::abi3_minimum(&wheel.tags());
    for binary in &wheel.binaries {
        let path = Some(binary.path.as_str());
        let info = match &binary.kind {
            BinaryKind::Native(native) => {
                if matches!(family, Family::Emscripten | Family::Wasi) {
                    findings.push(Finding::new(
                        Rule::NativeBinary,
                        path,
                        format!(
                            "a native {} binary ({}) has no place in a WebAssembly wheel",
                            native.format, native.arch
                        ),
                    ));
                }
                continue;
            }
            BinaryKind::Wasm(info) => info,
        };
        let extension = is_extension(binary, info);
        let dynamic = info.dylink.is_some();
        match family {
            Family::Native if dynamic || extension => findings.push(Finding::new(
                Rule::WasmInNativeWheel,
                path,
                "a WebAssembly module in a wheel tagged for a native platform",
            )),
            Family::Pure if dynamic || extension => findings.push(Finding::new(
                Rule::ExtensionInPureWheel,
                path,
                "a WebAssembly extension module or library in a pure (`any`) wheel; tag the wheel for its platform",
            )),
            Family::Native | Family::Pure => findings.push(data_module(binary, info)),
            Family::Emscripten | Family::Wasi if !dynamic && !extension => findings.push(data_module(binary, info)),
            Family::Emscripten | Family::Wasi if !dynamic => findings.push(Finding::new(
                Rule::NotASideModule,
                path,
                "an extension module without a dylink.0 section: build it as a shared object (-sSIDE_MODULE=1, or -fPIC -shared)",
            )),
            Family::Emscripten => {
                findings.extend(emscripten_imports(binary, info));
                findings.extend(side_module(binary, info, extension, family, abi3_min));
            }
            Family::Wasi => {
                findings.extend(wasi_linker(binary, info));
                findings.extend(side_module(binary, info, extension, family, abi3_min));
            }
        }
    }
    findings
}

/// A finding of `rule` that lists `names` after `what` (repeats dropped, order kept), or none
/// when there are no names.
fn listing(rule: Rule, path: Option<&str>, what: &str, names: impl IntoIterator<Item = String>) -> Option<Finding> {
    let mut seen = HashSet::new();
    let names: Vec<String> = names.into_iter().filter(|n| seen.insert(n.clone())).collect();
    (!names.is_empty()).then(|| Finding::new(rule, path, format!("{what}: {}", name_list(&names, 8))))
}

/// A wasm module shipped as data, reported for information, with its WASI imports.
fn data_module(binary: &Binary, info: &WasmInfo) -> Finding {
    let kind = info.kind.as_str();
    let count = |f: fn(&str) -> bool| info.imports.iter().filter(|i| f(&i.module) || f(&i.name)).count();
    let preview1 = count(|m| m == "wasi_snapshot_preview1" || m == "wasi_unstable");
    let preview2 = count(|m| m.starts_with("wasi:"));
    let wasi = match (preview1, preview2) {
        (0, 0) => String::new(),
        (p1, 0) => format!("; imports {p1} WASI preview 1 function(s)"),
        (0, p2) => format!("; imports {p2} WASI preview 2 interface item(s)"),
        (p1, p2) => format!("; imports {p1} WASI preview 1 function(s) and {p2} preview 2 interface item(s)"),
    };
    Finding::new(
        Rule::WasmDataModule,
        Some(&binary.path),
        format!("a {kind} shipped as data (run by a host, not imported by Python){wasi}"),
    )
}

/// What an Emscripten loader cannot give a side module: WASI-only builds and foreign modules.
fn emscripten_imports(binary: &Binary, info: &WasmInfo) -> Vec<Finding> {
    let path = Some(binary.path.as_str());
    let mut findings = Vec::new();
    if info.kind == WasmKind::WasiSharedObject {
        findings.push(Finding::new(
            Rule::WasiBinaryInEmscriptenWheel,
            path,
            "built for WASI (imports wasi_snapshot_preview1, nothing Emscripten-specific); an Emscripten loader is not its host",
        ));
    }
    findings.extend(listing(
        Rule::UnknownImportModule,
        path,
        "imports from modules no Emscripten loader provides",
        info.imports
            .iter()
            .filter(|i| !wasm::LOADER_MODULES.contains(&i.module.as_str()))
            .map(|i| format!("{}.{}", i.module, i.name)),
    ));
    findings
}

/// What the WASI component linker (wit-component, as componentize-py uses it) refuses.
fn wasi_linker(binary: &Binary, info: &WasmInfo) -> Vec<Finding> {
    let path = Some(binary.path.as_str());
    let mut findings = Vec::new();
    findings.extend(listing(
        Rule::EmscriptenBinaryInWasiWheel,
        path,
        "imports what only an Emscripten runtime provides",
        info.imports.iter().filter(|i| wasm::is_emscripten_only(i)).map(|i| i.name.clone()),
    ));
    findings.extend(listing(
        Rule::WasiImportModule,
        path,
        "imports from modules a WASI component linker does not provide",
        info.imports.iter().filter(|i| !wasi_linkable(&i.module)).map(|i| format!("{}.{}", i.module, i.name)),
    ));
    for import in info.imports.iter().filter(|i| i.module == "env") {
        if let ImportItem::Global { value, .. } = &import.item
            && *value != ValueType::I32
        {
            findings.push(Finding::new(
                Rule::WasiEnvGlobalType,
                path,
                format!(
                    "imports env global {} as {value}; WASI component linkers provide i32 globals only",
                    import.name
                ),
            ));
        }
    }
    for export in info.exports.iter().filter(|e| e.kind == ItemKind::Memory) {
        findings.push(Finding::new(
            Rule::WasiExportedMemory,
            path,
            format!("exports memory `{}`; a shared object must import its memory", export.name),
        ));
    }
    if let Some(dylink) = &info.dylink
        && !dylink.unknown_subsections.is_empty()
    {
        findings.push(Finding::new(
            Rule::WasiDylinkSubsection,
            path,
            format!(
                "dylink.0 has subsection(s) {:?} that wit-component does not know and may reject",
                dylink.unknown_subsections
            ),
        ));
    }
    findings
}

/// The checks every dynamically linked module gets: its dynamic-linking section, its
/// RUNTIME_PATH, and for extensions their file name, entry point and limited API.
fn side_module(
    binary: &Binary,
    info: &WasmInfo,
    extension: bool,
    family: Family,
    abi3_min: Option<PythonVersion>,
) -> Vec<Finding> {
    let path = Some(binary.path.as_str());
    let mut findings = Vec::new();
    if let Some(dylink) = &info.dylink {
        if !dylink.first_section {
            findings.push(Finding::new(
                Rule::DylinkNotFirst,
                path,
                "the dynamic-linking section is not the first section; Emscripten refuses to load the module",
            ));
        }
        let module = crate::wheel::installed_path(&binary.path).unwrap_or_default();
        for entry in &dylink.runtime_paths {
            if entry.starts_with("$ORIGIN") && expand_runtime_path(entry, &module).is_none() {
                findings.push(Finding::new(
                    Rule::RuntimePathOutsideWheel,
                    path,
                    format!("RUNTIME_PATH entry `{entry}` climbs out of site-packages"),
                ));
            }
        }
    }
    if !extension {
        return findings;
    }
    let suffix = python_fit::extension_suffix(&binary.path);
    if let (Some(ExtensionSuffix::Versioned { platform, .. }), Some(expected)) =
        (&suffix, python_fit::suffix_platform(family))
        && platform != expected
    {
        findings.push(Finding::new(
            Rule::ExtensionSuffixPlatform,
            path,
            format!("the suffix says {platform}; this platform's Python imports only .cpython-3XY-{expected}.so, .abi3.so and .so"),
        ));
    }
    if suffix.is_some() {
        let module = python_fit::module_name(&binary.path);
        let entry = format!("PyInit_{module}");
        if !info.markers.python_entry_points.contains(&entry) {
            findings.push(Finding::new(
                Rule::MissingEntryPoint,
                path,
                format!("does not export {entry}, so `import {module}` fails"),
            ));
        }
    }
    // An extension named for one CPython is imported by that one only: its use of the full
    // API cannot break another, whatever the wheel's abi3 tag says.
    if let (Some(min), Some(ExtensionSuffix::Versioned { python, .. })) = (abi3_min, &suffix) {
        findings.push(Finding::new(
            Rule::Abi3VersionedExtension,
            path,
            format!(
                "the wheel is tagged abi3 (Python >= {min}), but this extension is named for CPython {python} only; no other Python imports it, so the tag says more than the wheel runs on"
            ),
        ));
    } else if let Some(min) = abi3_min {
        let mut bad: Vec<String> = info
            .imports
            .iter()
            .filter(|i| {
                matches!(i.module.as_str(), "env" | "GOT.mem" | "GOT.func") && i.item.kind() != ItemKind::Memory
            })
            .filter_map(|i| limited_api::violation(&i.name, min))
            .collect();
        bad.sort();
        findings.extend(listing(
            Rule::Abi3NonLimitedSymbol,
            path,
            &format!("an abi3 wheel for Python >= {min} imports CPython API outside its limited API"),
            bad,
        ));
    }
    findings
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::wasm::dylink;
    use wasm_encoder::{
        CustomSection, EntityType, ExportKind, ExportSection, GlobalType, ImportSection, MemorySection, MemoryType,
        Module, TypeSection, ValType,
    };

    /// A shared object: dylink.0 with `subsections`, then the given imports and a memory export.
    fn shared_object(subsections: &[dylink::Subsection], global: ValType, export_memory: bool) -> Binary {
        let mut module = Module::new();
        module.section(&CustomSection { name: "dylink.0".into(), data: dylink::encode(subsections).into() });
        let mut types = TypeSection::new();
        types.ty().function([], []);
        module.section(&types);
        let mut imports = ImportSection::new();
        imports.import(
            "env",
            "__stack_pointer",
            EntityType::Global(GlobalType { val_type: global, mutable: true, shared: false }),
        );
        imports.import("js", "console_log", EntityType::Function(0));
        module.section(&imports);
        if export_memory {
            let mut memories = MemorySection::new();
            memories.memory(MemoryType {
                minimum: 1,
                maximum: None,
                memory64: false,
                shared: false,
                page_size_log2: None,
            });
            module.section(&memories);
            let mut exports = ExportSection::new();
            exports.export("memory", ExportKind::Memory, 0);
            module.section(&exports);
        }
        let bytes = module.finish();
        Binary::sniff("pkg/_ext.cpython-314-wasm32-wasi.so", &bytes).unwrap().unwrap()
    }

    fn rules(binary: &Binary) -> Vec<Rule> {
        wasi_linker(binary, binary.wasm().unwrap()).iter().map(|f| f.rule).collect()
    }

    #[test]
    fn the_component_linker_rules() {
        let mem = dylink::Subsection::new(dylink::MEM_INFO, vec![0, 0, 0, 0]);
        let odd = dylink::Subsection::new(9, vec![1]);
        let bad = shared_object(&[mem.clone(), odd], ValType::I64, true);
        assert_eq!(
            rules(&bad),
            [Rule::WasiImportModule, Rule::WasiEnvGlobalType, Rule::WasiExportedMemory, Rule::WasiDylinkSubsection]
        );
        assert!(rules(&bad).iter().take(3).all(|r| blocks_loading(*r)));
        assert!(!blocks_loading(Rule::WasiDylinkSubsection));
        let good = shared_object(&[mem], ValType::I32, false);
        assert_eq!(rules(&good), [Rule::WasiImportModule], "only the js import is wrong");
        assert!(wasi_linkable("wasi:io/streams@0.2.0") && wasi_linkable("GOT.mem") && !wasi_linkable("js"));
    }
}
