//! How a module was built, as its imports, exports and tags show: exception handling and
//! setjmp style, i64 legalization (no bigint), threads, memory64, WASI, Python entry points.

use serde::Serialize;
use serde::ser::SerializeStruct;

use super::items::{Export, Import, ImportItem, ItemKind};

/// How C++ exceptions or setjmp/longjmp unwind.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
pub enum UnwindStyle {
    /// Through JavaScript (`invoke_*` wrappers).
    Js,
    /// With wasm exception handling (tags).
    Wasm,
}

impl UnwindStyle {
    /// How messages name the style.
    pub fn describe(self) -> &'static str {
        match self {
            UnwindStyle::Js => "JavaScript",
            UnwindStyle::Wasm => "wasm",
        }
    }
}

/// How a module was built.
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub struct Markers {
    /// How C++ exceptions unwind, if the module throws or catches them.
    pub exceptions: Option<UnwindStyle>,
    /// How setjmp/longjmp unwind, if the module uses them.
    pub setjmp: Option<UnwindStyle>,
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

/// What a module defines itself that bears on its markers.
#[derive(Clone, Copy, Debug, Default)]
pub struct Defined {
    /// Exception tags it defines.
    pub tags: usize,
    /// Whether a memory it defines is shared.
    pub shared_memory: bool,
    /// Whether a memory it defines is 64-bit.
    pub memory64: bool,
}

/// What the `env` function imports say of unwinding and i64 legalization.
#[derive(Default)]
struct EnvImports {
    invoke: bool,
    get_temp_ret: bool,
    js_exceptions: bool,
    js_setjmp: bool,
    wasm_setjmp: bool,
    legalized: bool,
}

impl EnvImports {
    fn scan(imports: &[Import]) -> EnvImports {
        let mut env = EnvImports::default();
        for import in imports.iter().filter(|i| i.is_func_from("env")) {
            let name = import.name.as_str();
            env.invoke |= name.starts_with("invoke_");
            env.get_temp_ret |= name == "getTempRet0";
            env.js_exceptions |= name.starts_with("__cxa_find_matching_catch_") || name == "__resumeException";
            env.js_setjmp |=
                matches!(name, "emscripten_longjmp" | "_emscripten_throw_longjmp" | "saveSetjmp" | "testSetjmp");
            env.wasm_setjmp |= matches!(name, "__wasm_setjmp" | "__wasm_setjmp_test" | "__wasm_longjmp");
            env.legalized |= name == "setTempRet0" || name.starts_with("legalimport$");
        }
        env
    }
}

impl Markers {
    /// The markers of a module with these imports, exports and definitions.
    pub fn derive(imports: &[Import], exports: &[Export], defined: Defined) -> Markers {
        let env = EnvImports::scan(imports);
        let tag_named = |name: &str| {
            imports.iter().any(|i| i.item == ImportItem::Tag && i.name == name)
                || exports.iter().any(|e| e.kind == ItemKind::Tag && e.name == name)
        };
        let wasm_setjmp = env.wasm_setjmp || tag_named("__c_longjmp");
        // `invoke_*` wrappers serve both JS exceptions and JS setjmp; alone they mean exceptions.
        let js_exceptions = env.js_exceptions || (env.invoke && !env.js_setjmp);
        // A module that defines tags but neither imports nor exports them by name still throws.
        let wasm_exceptions = tag_named("__cpp_exception") || (defined.tags > 0 && !wasm_setjmp);
        let exceptions =
            if wasm_exceptions { Some(UnwindStyle::Wasm) } else { js_exceptions.then_some(UnwindStyle::Js) };
        let setjmp = if env.js_setjmp { Some(UnwindStyle::Js) } else { wasm_setjmp.then_some(UnwindStyle::Wasm) };
        let memories = imports.iter().filter_map(|i| match i.item {
            ImportItem::Memory { shared, memory64 } => Some((shared, memory64)),
            _ => None,
        });
        let (mut shared_memory, mut memory64) = (defined.shared_memory, defined.memory64);
        for (shared, wide) in memories {
            shared_memory |= shared;
            memory64 |= wide;
        }
        Markers {
            exceptions,
            setjmp,
            i64_legalized: env.legalized
                || (env.get_temp_ret && !js_exceptions && !env.js_setjmp)
                || exports.iter().any(|e| e.name.starts_with("orig$")),
            shared_memory,
            memory64,
            wasi_preview1: imports.iter().any(|i| i.module == "wasi_snapshot_preview1" || i.module == "wasi_unstable"),
            wasi_preview2: imports.iter().any(|i| i.module.is_empty() && i.name.starts_with("wasi:")),
            python_entry_points: exports
                .iter()
                .filter(|e| e.kind == ItemKind::Func && e.name.starts_with("PyInit_"))
                .map(|e| e.name.clone())
                .collect(),
        }
    }
}

impl Serialize for Markers {
    /// The report spells the unwinding styles as four booleans.
    fn serialize<S: serde::Serializer>(&self, s: S) -> Result<S::Ok, S::Error> {
        let mut out = s.serialize_struct("Markers", 10)?;
        out.serialize_field("js_exceptions", &(self.exceptions == Some(UnwindStyle::Js)))?;
        out.serialize_field("wasm_exceptions", &(self.exceptions == Some(UnwindStyle::Wasm)))?;
        out.serialize_field("js_setjmp", &(self.setjmp == Some(UnwindStyle::Js)))?;
        out.serialize_field("wasm_setjmp", &(self.setjmp == Some(UnwindStyle::Wasm)))?;
        out.serialize_field("i64_legalized", &self.i64_legalized)?;
        out.serialize_field("shared_memory", &self.shared_memory)?;
        out.serialize_field("memory64", &self.memory64)?;
        out.serialize_field("wasi_preview1", &self.wasi_preview1)?;
        out.serialize_field("wasi_preview2", &self.wasi_preview2)?;
        out.serialize_field("python_entry_points", &self.python_entry_points)?;
        out.end()
    }
}
