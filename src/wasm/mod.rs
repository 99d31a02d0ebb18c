//! WebAssembly inspection from bytes in memory: kind, imports, exports, `dylink.0`, and the
//! markers of how a module was built (exception handling, setjmp, bigint, threads, memory64).

pub mod dylink;
pub mod rewrite;

use serde::Serialize;
use wasmparser::{
    ComponentExternalKind, ComponentTypeRef, CompositeInnerType, Encoding, ExternalKind, FuncType, Parser, Payload,
    TypeRef, ValType, WasmFeatures,
};

pub use dylink::Dylink;

/// The magic number every wasm module and component starts with.
pub const WASM_MAGIC: &[u8; 4] = b"\0asm";

/// A parse failure, with the byte offset where it happened.
#[derive(Clone, Debug, PartialEq, Eq, thiserror::Error)]
#[error("invalid wasm at byte offset {offset:#x}: {message}")]
pub struct WasmError {
    /// Offset from the start of the binary.
    pub offset: u64,
    /// What went wrong.
    pub message: String,
}

impl From<wasmparser::BinaryReaderError> for WasmError {
    fn from(e: wasmparser::BinaryReaderError) -> Self {
        WasmError { offset: e.offset(), message: e.message().to_string() }
    }
}

/// What a wasm binary is.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum WasmKind {
    /// A dynamically linked module (`dylink.0` or the old `dylink`) for an Emscripten loader.
    EmscriptenSideModule,
    /// A dynamically linked module built for WASI (imports `wasi_snapshot_preview1`, nothing
    /// Emscripten-only).
    WasiSharedObject,
    /// A WASI program or reactor: imports `wasi_snapshot_preview1`, no `dylink.0`.
    WasiModule,
    /// A component-model binary.
    WasmComponent,
    /// Any other core module.
    WasmModule,
}

impl WasmKind {
    /// The kebab-case name reports use (`emscripten-side-module`).
    pub fn as_str(self) -> &'static str {
        match self {
            WasmKind::EmscriptenSideModule => "emscripten-side-module",
            WasmKind::WasiSharedObject => "wasi-shared-object",
            WasmKind::WasiModule => "wasi-module",
            WasmKind::WasmComponent => "wasm-component",
            WasmKind::WasmModule => "wasm-module",
        }
    }
}

/// The kind of an imported or exported item.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash, PartialOrd, Ord, Serialize)]
#[serde(rename_all = "lowercase")]
pub enum ItemKind {
    /// A function.
    Func,
    /// A global.
    Global,
    /// A linear memory.
    Memory,
    /// A table.
    Table,
    /// An exception tag.
    Tag,
    /// A component-model instance (an interface).
    Instance,
    /// A core module (component model).
    Module,
    /// A nested component.
    Component,
    /// A type (component model).
    Type,
    /// A value (component model).
    Value,
}

/// One import.
#[derive(Clone, Debug, PartialEq, Eq, Serialize)]
pub struct Import {
    /// The module it comes from (empty for component imports).
    pub module: String,
    /// The item name.
    pub name: String,
    /// What it is.
    pub kind: ItemKind,
    /// For globals: the value type (`i32`, `i64`, ...).
    #[serde(rename = "type", skip_serializing_if = "Option::is_none")]
    pub value_type: Option<String>,
    /// For globals: whether mutable.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub mutable: Option<bool>,
    /// For memories: whether shared (threads).
    #[serde(skip_serializing_if = "Option::is_none")]
    pub shared: Option<bool>,
    /// For memories: whether 64-bit.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub memory64: Option<bool>,
    /// For functions: the type, `(i64) -> (i32)`.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub signature: Option<String>,
}

/// One export.
#[derive(Clone, Debug, PartialEq, Eq, Serialize)]
pub struct Export {
    /// The export name.
    pub name: String,
    /// What it is.
    pub kind: ItemKind,
    /// For functions: the type, `(i64) -> (i32)`.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub signature: Option<String>,
}

/// How a module was built, as its imports and exports show.
#[derive(Clone, Debug, Default, PartialEq, Eq, Serialize)]
pub struct Markers {
    /// C++ exceptions through JavaScript (`invoke_*`, `__cxa_find_matching_catch_*`).
    pub js_exceptions: bool,
    /// C++ exceptions as wasm exceptions (a `__cpp_exception` tag).
    pub wasm_exceptions: bool,
    /// setjmp/longjmp through JavaScript (`emscripten_longjmp`, `saveSetjmp`, ...).
    pub js_setjmp: bool,
    /// setjmp/longjmp as wasm exceptions (a `__c_longjmp` tag).
    pub wasm_setjmp: bool,
    /// i64 values split for JavaScript without BigInt (`getTempRet0`/`setTempRet0`, `orig$*`).
    pub i64_legalized: bool,
    /// A shared memory (pthreads).
    pub shared_memory: bool,
    /// A 64-bit memory.
    pub memory64: bool,
    /// WASI preview 1 imports (`wasi_snapshot_preview1`).
    pub wasi_preview1: bool,
    /// WASI preview 2 interfaces (`wasi:*` component imports).
    pub wasi_preview2: bool,
    /// Exported CPython extension entry points (`PyInit_*`).
    pub python_entry_points: Vec<String>,
}

/// Everything wasmwheel reads from one wasm binary.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct WasmInfo {
    /// What the binary is.
    pub kind: WasmKind,
    /// Every import, in order.
    pub imports: Vec<Import>,
    /// Every export, in order.
    pub exports: Vec<Export>,
    /// The dynamic-linking section, if any.
    pub dylink: Option<Dylink>,
    /// Build markers.
    pub markers: Markers,
    /// Names of the custom sections, in order.
    pub custom_sections: Vec<String>,
}

/// Import modules a JavaScript loader or WASI host provides to a dynamically linked module.
pub const LOADER_MODULES: [&str; 4] = ["env", "wasi_snapshot_preview1", "GOT.mem", "GOT.func"];

fn value_type(ty: ValType) -> String {
    match ty {
        ValType::I32 => "i32".into(),
        ValType::I64 => "i64".into(),
        ValType::F32 => "f32".into(),
        ValType::F64 => "f64".into(),
        ValType::V128 => "v128".into(),
        ValType::Ref(r) => format!("{r}"),
    }
}

/// A function type as wasmwheel prints it: `(i32, i64) -> (i32)`.
pub fn signature(ty: &FuncType) -> String {
    let list = |types: &[ValType]| types.iter().map(|t| value_type(*t)).collect::<Vec<_>>().join(", ");
    format!("({}) -> ({})", list(ty.params()), list(ty.results()))
}

fn core_kind(kind: ExternalKind) -> ItemKind {
    match kind {
        ExternalKind::Func | ExternalKind::FuncExact => ItemKind::Func,
        ExternalKind::Table => ItemKind::Table,
        ExternalKind::Memory => ItemKind::Memory,
        ExternalKind::Global => ItemKind::Global,
        ExternalKind::Tag => ItemKind::Tag,
    }
}

fn component_kind(kind: ComponentExternalKind) -> ItemKind {
    match kind {
        ComponentExternalKind::Module => ItemKind::Module,
        ComponentExternalKind::Func => ItemKind::Func,
        ComponentExternalKind::Value => ItemKind::Value,
        ComponentExternalKind::Type => ItemKind::Type,
        ComponentExternalKind::Instance => ItemKind::Instance,
        ComponentExternalKind::Component => ItemKind::Component,
    }
}

fn component_ref_kind(ty: ComponentTypeRef) -> ItemKind {
    match ty {
        ComponentTypeRef::Module(_) => ItemKind::Module,
        ComponentTypeRef::Func(_) => ItemKind::Func,
        ComponentTypeRef::Value(_) => ItemKind::Value,
        ComponentTypeRef::Type(_) => ItemKind::Type,
        ComponentTypeRef::Instance(_) => ItemKind::Instance,
        ComponentTypeRef::Component(_) => ItemKind::Component,
    }
}

fn import_of(module: &str, name: &str, ty: TypeRef, types: &[Option<String>]) -> Import {
    let mut import = Import {
        module: module.to_string(),
        name: name.to_string(),
        kind: ItemKind::Func,
        value_type: None,
        mutable: None,
        shared: None,
        memory64: None,
        signature: None,
    };
    match ty {
        TypeRef::Func(index) | TypeRef::FuncExact(index) => {
            import.signature = types.get(index as usize).cloned().flatten();
        }
        TypeRef::Table(_) => import.kind = ItemKind::Table,
        TypeRef::Memory(m) => {
            import.kind = ItemKind::Memory;
            import.shared = Some(m.shared);
            import.memory64 = Some(m.memory64);
        }
        TypeRef::Global(g) => {
            import.kind = ItemKind::Global;
            import.value_type = Some(value_type(g.content_type));
            import.mutable = Some(g.mutable);
        }
        TypeRef::Tag(_) => import.kind = ItemKind::Tag,
    }
    import
}

/// Whether `bytes` start like a wasm module or component.
pub fn is_wasm(bytes: &[u8]) -> bool {
    bytes.starts_with(WASM_MAGIC)
}

/// Inspects a wasm module or component.
///
/// Reads every section's structure (so a truncated or damaged binary fails with the offset of
/// the damage) but does not validate function bodies.
pub fn inspect(bytes: &[u8]) -> Result<WasmInfo, WasmError> {
    let mut parser = Parser::new(0);
    parser.set_features(WasmFeatures::all());
    let mut component = false;
    let mut depth = 0usize;
    let mut section_index = 0usize;
    let mut imports = Vec::new();
    let mut exports = Vec::new();
    let mut dylink = None;
    let mut custom_sections = Vec::new();
    let mut markers = Markers::default();
    let mut local_tags = 0usize;
    // Function types by type index (`None` for GC types), and by function index.
    let mut types: Vec<Option<String>> = Vec::new();
    let mut functions: Vec<Option<String>> = Vec::new();

    for payload in parser.parse_all(bytes) {
        let payload = payload?;
        if let Payload::Version { encoding, .. } = &payload {
            if depth == 0 {
                component = *encoding == Encoding::Component;
            }
            depth += 1;
            continue;
        }
        if let Payload::End(_) = payload {
            depth -= 1;
            continue;
        }
        // Items of modules nested in a component are not the component's own.
        if depth > 1 {
            continue;
        }
        if payload.as_section().is_some() {
            section_index += 1;
        }
        match payload {
            Payload::TypeSection(reader) => {
                for group in reader {
                    for sub in group?.into_types() {
                        types.push(match &sub.composite_type.inner {
                            CompositeInnerType::Func(f) => Some(signature(f)),
                            _ => None,
                        });
                    }
                }
            }
            Payload::ImportSection(reader) => {
                for import in reader.into_imports() {
                    let import = import?;
                    let entry = import_of(import.module, import.name, import.ty, &types);
                    if entry.kind == ItemKind::Func {
                        functions.push(entry.signature.clone());
                    }
                    imports.push(entry);
                }
            }
            Payload::FunctionSection(reader) => {
                for ty in reader {
                    functions.push(types.get(ty? as usize).cloned().flatten());
                }
            }
            Payload::ExportSection(reader) => {
                for export in reader {
                    let export = export?;
                    let kind = core_kind(export.kind);
                    let signature = if kind == ItemKind::Func {
                        functions.get(export.index as usize).cloned().flatten()
                    } else {
                        None
                    };
                    exports.push(Export { name: export.name.to_string(), kind, signature });
                }
            }
            Payload::MemorySection(reader) => {
                for memory in reader {
                    let memory = memory?;
                    markers.shared_memory |= memory.shared;
                    markers.memory64 |= memory.memory64;
                }
            }
            Payload::TagSection(reader) => {
                for tag in reader {
                    tag?;
                    local_tags += 1;
                }
            }
            Payload::ComponentImportSection(reader) => {
                for import in reader {
                    let import = import?;
                    let mut entry = import_of("", import.name.name, TypeRef::Func(0), &[]);
                    entry.kind = component_ref_kind(import.ty);
                    imports.push(entry);
                }
            }
            Payload::ComponentExportSection(reader) => {
                for export in reader {
                    let export = export?;
                    exports.push(Export {
                        name: export.name.name.to_string(),
                        kind: component_kind(export.kind),
                        signature: None,
                    });
                }
            }
            Payload::CustomSection(reader) => {
                let name = reader.name();
                let first = section_index == 1;
                if name == dylink::DYLINK0 && dylink.is_none() {
                    dylink = Some(Dylink::parse_dylink0(reader.data(), reader.data_offset(), first)?);
                } else if name == dylink::LEGACY_DYLINK && dylink.is_none() {
                    dylink = Some(Dylink::parse_legacy(reader.data(), reader.data_offset(), first)?);
                }
                custom_sections.push(name.to_string());
            }
            _ => {}
        }
    }

    set_markers(&mut markers, &imports, &exports, local_tags);
    let kind = if component {
        WasmKind::WasmComponent
    } else if dylink.is_some() {
        if markers.wasi_preview1 && !imports.iter().any(is_emscripten_only) {
            WasmKind::WasiSharedObject
        } else {
            WasmKind::EmscriptenSideModule
        }
    } else if markers.wasi_preview1 {
        WasmKind::WasiModule
    } else {
        WasmKind::WasmModule
    };
    Ok(WasmInfo { kind, imports, exports, dylink, markers, custom_sections })
}

/// Whether an import exists only under an Emscripten JavaScript runtime.
pub fn is_emscripten_only(import: &Import) -> bool {
    let name = import.name.as_str();
    import.module == "env"
        && (name.starts_with("invoke_")
            || name.starts_with("emscripten_")
            || name.starts_with("_emscripten_")
            || name.starts_with("__syscall_")
            || name.starts_with("__cxa_find_matching_catch_")
            || matches!(name, "getTempRet0" | "setTempRet0" | "saveSetjmp" | "testSetjmp" | "__resumeException"))
}

fn set_markers(markers: &mut Markers, imports: &[Import], exports: &[Export], local_tags: usize) {
    let env_funcs = imports.iter().filter(|i| i.module == "env" && i.kind == ItemKind::Func);
    let mut invoke = false;
    let mut get_temp_ret = false;
    for import in env_funcs {
        let name = import.name.as_str();
        invoke |= name.starts_with("invoke_");
        get_temp_ret |= name == "getTempRet0";
        markers.js_exceptions |= name.starts_with("__cxa_find_matching_catch_") || name == "__resumeException";
        markers.js_setjmp |=
            matches!(name, "emscripten_longjmp" | "_emscripten_throw_longjmp" | "saveSetjmp" | "testSetjmp");
        markers.wasm_setjmp |= matches!(name, "__wasm_setjmp" | "__wasm_setjmp_test" | "__wasm_longjmp");
        markers.i64_legalized |= name == "setTempRet0" || name.starts_with("legalimport$");
    }
    // `invoke_*` wrappers serve both JS exceptions and JS setjmp; alone they mean exceptions.
    markers.js_exceptions |= invoke && !markers.js_setjmp;
    markers.i64_legalized |= get_temp_ret && !markers.js_exceptions && !markers.js_setjmp;
    markers.i64_legalized |= exports.iter().any(|e| e.name.starts_with("orig$"));

    let tag_named = |name: &str| {
        imports.iter().any(|i| i.kind == ItemKind::Tag && i.name == name)
            || exports.iter().any(|e| e.kind == ItemKind::Tag && e.name == name)
    };
    markers.wasm_exceptions |= tag_named("__cpp_exception");
    markers.wasm_setjmp |= tag_named("__c_longjmp");
    // A module that defines tags but neither imports nor exports them by name still throws.
    markers.wasm_exceptions |= local_tags > 0 && !markers.wasm_setjmp;

    for import in imports {
        if import.kind == ItemKind::Memory {
            markers.shared_memory |= import.shared == Some(true);
            markers.memory64 |= import.memory64 == Some(true);
        }
        markers.wasi_preview1 |= import.module == "wasi_snapshot_preview1" || import.module == "wasi_unstable";
        markers.wasi_preview2 |= import.module.is_empty() && import.name.starts_with("wasi:");
    }
    markers.python_entry_points = exports
        .iter()
        .filter(|e| e.kind == ItemKind::Func && e.name.starts_with("PyInit_"))
        .map(|e| e.name.clone())
        .collect();
}

#[cfg(test)]
mod tests {
    use super::*;
    use wasm_encoder::{
        CustomSection, EntityType, ExportKind, ExportSection, Function, FunctionSection, GlobalType, ImportSection,
        MemoryType, Module, TypeSection, ValType as EValType,
    };

    /// A small side module built with wasm-encoder: dylink.0 first, env and GOT imports.
    fn side_module() -> Vec<u8> {
        let mut module = Module::new();
        let dylink = dylink::encode(&[
            dylink::Subsection::new(dylink::MEM_INFO, vec![0, 0, 0, 0]),
            dylink::Subsection::new(dylink::NEEDED, dylink::encode_strings(&["libb.so"])),
        ]);
        module.section(&CustomSection { name: "dylink.0".into(), data: dylink.into() });
        let mut types = TypeSection::new();
        types.ty().function([], [EValType::I32]);
        module.section(&types);
        let mut imports = ImportSection::new();
        imports.import("env", "PyLong_FromLong", EntityType::Function(0));
        imports.import("env", "invoke_ii", EntityType::Function(0));
        imports.import(
            "GOT.mem",
            "_Py_NoneStruct",
            EntityType::Global(GlobalType { val_type: EValType::I32, mutable: true, shared: false }),
        );
        imports.import(
            "env",
            "memory",
            EntityType::Memory(MemoryType {
                minimum: 1,
                maximum: Some(2),
                memory64: false,
                shared: true,
                page_size_log2: None,
            }),
        );
        module.section(&imports);
        let mut funcs = FunctionSection::new();
        funcs.function(0);
        module.section(&funcs);
        let mut exports = ExportSection::new();
        exports.export("PyInit__ext", ExportKind::Func, 2);
        module.section(&exports);
        let mut code = wasm_encoder::CodeSection::new();
        let mut f = Function::new([]);
        f.instructions().i32_const(0).end();
        code.function(&f);
        module.section(&code);
        module.finish()
    }

    #[test]
    fn inspects_a_side_module() {
        let info = inspect(&side_module()).unwrap();
        assert_eq!(info.kind, WasmKind::EmscriptenSideModule);
        let dylink = info.dylink.as_ref().unwrap();
        assert_eq!(dylink.needed, ["libb.so"]);
        assert!(dylink.first_section);
        assert_eq!(info.imports.len(), 4);
        assert_eq!(info.imports[2].module, "GOT.mem");
        assert_eq!(info.imports[2].kind, ItemKind::Global);
        assert!(info.markers.js_exceptions);
        assert!(info.markers.shared_memory);
        assert_eq!(info.markers.python_entry_points, ["PyInit__ext"]);
    }

    #[test]
    fn truncation_reports_an_offset() {
        let bytes = side_module();
        for cut in [9, bytes.len() / 2, bytes.len() - 1] {
            let err = inspect(&bytes[..cut]).unwrap_err();
            assert!(err.offset <= bytes.len() as u64, "{err}");
        }
    }
}
