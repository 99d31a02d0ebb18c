//! WebAssembly inspection from bytes in memory: kind, imports, exports, `dylink.0`, and the
//! markers of how a module was built (exception handling, setjmp, bigint, threads, memory64).

pub mod dylink;
pub mod items;
pub mod markers;
pub mod rewrite;

use wasmparser::{
    ComponentExternalKind, ComponentTypeRef, CompositeInnerType, Encoding, ExternalKind, Parser, Payload, TypeRef,
    WasmFeatures,
};

pub use dylink::Dylink;
pub use items::{Export, Import, ImportItem, ItemKind, Signature, ValueType};
pub use markers::{Markers, UnwindStyle};

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

impl WasmInfo {
    /// The NEEDED libraries (none without a dynamic-linking section).
    pub fn needed(&self) -> &[String] {
        self.dylink.as_ref().map_or(&[], |d| d.needed.as_slice())
    }

    /// The RUNTIME_PATH entries (none without a dynamic-linking section).
    pub fn runtime_paths(&self) -> &[String] {
        self.dylink.as_ref().map_or(&[], |d| d.runtime_paths.as_slice())
    }
}

/// Import modules a JavaScript loader or WASI host provides to a dynamically linked module.
pub const LOADER_MODULES: [&str; 4] = ["env", "wasi_snapshot_preview1", "GOT.mem", "GOT.func"];

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

/// Whether `bytes` start like a wasm module or component.
pub fn is_wasm(bytes: &[u8]) -> bool {
    bytes.starts_with(WASM_MAGIC)
}

/// The state of one pass over a binary's payloads.
#[derive(Default)]
struct Inspector {
    component: bool,
    depth: usize,
    section_index: usize,
    imports: Vec<Import>,
    exports: Vec<Export>,
    dylink: Option<Dylink>,
    custom_sections: Vec<String>,
    defined: markers::Defined,
    /// Function types by type index (`None` for GC types).
    types: Vec<Option<Signature>>,
    /// Function types by function index.
    functions: Vec<Option<Signature>>,
}

impl Inspector {
    /// Takes one payload; items of modules nested in a component are skipped.
    fn payload(&mut self, payload: Payload<'_>) -> Result<(), WasmError> {
        match payload {
            Payload::Version { encoding, .. } => {
                if self.depth == 0 {
                    self.component = encoding == Encoding::Component;
                }
                self.depth += 1;
                return Ok(());
            }
            Payload::End(_) => {
                self.depth -= 1;
                return Ok(());
            }
            _ if self.depth > 1 => return Ok(()),
            _ => {}
        }
        if payload.as_section().is_some() {
            self.section_index += 1;
        }
        match payload {
            Payload::TypeSection(reader) => self.types(reader),
            Payload::ImportSection(reader) => self.imports(reader),
            Payload::FunctionSection(reader) => {
                for ty in reader {
                    self.functions.push(self.types.get(ty? as usize).cloned().flatten());
                }
                Ok(())
            }
            Payload::ExportSection(reader) => self.exports(reader),
            Payload::MemorySection(reader) => {
                for memory in reader {
                    let memory = memory?;
                    self.defined.shared_memory |= memory.shared;
                    self.defined.memory64 |= memory.memory64;
                }
                Ok(())
            }
            Payload::TagSection(reader) => {
                for tag in reader {
                    tag?;
                    self.defined.tags += 1;
                }
                Ok(())
            }
            Payload::ComponentImportSection(reader) => {
                for import in reader {
                    let import = import?;
                    self.imports.push(Import {
                        module: String::new(),
                        name: import.name.name.to_string(),
                        item: ImportItem::Component(component_ref_kind(import.ty)),
                    });
                }
                Ok(())
            }
            Payload::ComponentExportSection(reader) => {
                for export in reader {
                    let export = export?;
                    let kind = component_kind(export.kind);
                    self.exports.push(Export { name: export.name.name.to_string(), kind, signature: None });
                }
                Ok(())
            }
            Payload::CustomSection(reader) => self.custom(&reader),
            _ => Ok(()),
        }
    }

    fn types(&mut self, reader: wasmparser::TypeSectionReader<'_>) -> Result<(), WasmError> {
        for group in reader {
            for sub in group?.into_types() {
                self.types.push(match &sub.composite_type.inner {
                    CompositeInnerType::Func(f) => Some(Signature::from(f)),
                    _ => None,
                });
            }
        }
        Ok(())
    }

    fn imports(&mut self, reader: wasmparser::ImportSectionReader<'_>) -> Result<(), WasmError> {
        for import in reader.into_imports() {
            let import = import?;
            let item = match import.ty {
                TypeRef::Func(index) | TypeRef::FuncExact(index) => {
                    let signature = self.types.get(index as usize).cloned().flatten();
                    self.functions.push(signature.clone());
                    ImportItem::Func(signature)
                }
                TypeRef::Table(_) => ImportItem::Table,
                TypeRef::Memory(m) => ImportItem::Memory { shared: m.shared, memory64: m.memory64 },
                TypeRef::Global(g) => ImportItem::Global { value: g.content_type.into(), mutable: g.mutable },
                TypeRef::Tag(_) => ImportItem::Tag,
            };
            self.imports.push(Import { module: import.module.to_string(), name: import.name.to_string(), item });
        }
        Ok(())
    }

    fn exports(&mut self, reader: wasmparser::ExportSectionReader<'_>) -> Result<(), WasmError> {
        for export in reader {
            let export = export?;
            let kind = core_kind(export.kind);
            let signature = if kind == ItemKind::Func {
                self.functions.get(export.index as usize).cloned().flatten()
            } else {
                None
            };
            self.exports.push(Export { name: export.name.to_string(), kind, signature });
        }
        Ok(())
    }

    fn custom(&mut self, reader: &wasmparser::CustomSectionReader<'_>) -> Result<(), WasmError> {
        let name = reader.name();
        let first = self.section_index == 1;
        if self.dylink.is_none() {
            if name == dylink::DYLINK0 {
                self.dylink = Some(Dylink::parse_dylink0(reader.data(), reader.data_offset(), first)?);
            } else if name == dylink::LEGACY_DYLINK {
                self.dylink = Some(Dylink::parse_legacy(reader.data(), reader.data_offset(), first)?);
            }
        }
        self.custom_sections.push(name.to_string());
        Ok(())
    }

    fn finish(self) -> WasmInfo {
        let markers = Markers::derive(&self.imports, &self.exports, self.defined);
        let kind = if self.component {
            WasmKind::WasmComponent
        } else if self.dylink.is_some() {
            if markers.wasi_preview1 && !self.imports.iter().any(is_emscripten_only) {
                WasmKind::WasiSharedObject
            } else {
                WasmKind::EmscriptenSideModule
            }
        } else if markers.wasi_preview1 {
            WasmKind::WasiModule
        } else {
            WasmKind::WasmModule
        };
        WasmInfo {
            kind,
            imports: self.imports,
            exports: self.exports,
            dylink: self.dylink,
            markers,
            custom_sections: self.custom_sections,
        }
    }
}

/// Inspects a wasm module or component.
///
/// Reads every section's structure (so a truncated or damaged binary fails with the offset of
/// the damage) but does not validate function bodies.
pub fn inspect(bytes: &[u8]) -> Result<WasmInfo, WasmError> {
    let mut parser = Parser::new(0);
    parser.set_features(WasmFeatures::all());
    let mut inspector = Inspector::default();
    for payload in parser.parse_all(bytes) {
        inspector.payload(payload?)?;
    }
    Ok(inspector.finish())
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
        assert_eq!(info.imports[2].item, ImportItem::Global { value: ValueType::I32, mutable: true });
        assert_eq!(info.markers.exceptions, Some(UnwindStyle::Js));
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
