//! Resolving a wheel's side modules as a platform's loader would: NEEDED libraries by the
//! loader's search rules ([`Loader::find`]), and imports against the platform's symbols and the
//! wheel's own exports.

use std::collections::{BTreeMap, BTreeSet, HashSet};

use crate::policy::{LoadedPolicy, Loader};
use crate::wasm::{ImportItem, Signature, UnwindStyle, WasmInfo};

/// The dynamically linked modules of a wheel, by where they are installed.
pub struct Layout<'a> {
    modules: BTreeMap<String, &'a WasmInfo>,
    libs_dir: String,
}

impl<'a> Layout<'a> {
    /// A layout of `modules` (installed path, inspection) whose vendored libraries go to
    /// `libs_dir` (`<dist>.libs`).
    pub fn new(modules: impl IntoIterator<Item = (String, &'a WasmInfo)>, libs_dir: String) -> Layout<'a> {
        Layout { modules: modules.into_iter().filter(|(_, m)| m.dylink.is_some()).collect(), libs_dir }
    }

    /// Every module, by installed path.
    pub fn modules(&self) -> &BTreeMap<String, &'a WasmInfo> {
        &self.modules
    }

    /// NEEDED libraries `loader` cannot find when loading `root`, transitively, as
    /// `(module that NEEDs it, library)`; `provided` libraries count as found.
    pub fn missing_libraries(&self, loader: &Loader, root: &str, provided: &[String]) -> Vec<(String, String)> {
        let mut missing = Vec::new();
        let mut seen = BTreeSet::from([root.to_string()]);
        let mut queue = vec![root.to_string()];
        while let Some(parent) = queue.pop() {
            let Some(module) = self.modules.get(&parent) else { continue };
            for name in module.needed() {
                if provided.iter().any(|p| p == name) {
                    continue;
                }
                match loader.find(&self.modules, &self.libs_dir, root, &parent, name) {
                    Some(found) => {
                        if seen.insert(found.clone()) {
                            queue.push(found);
                        }
                    }
                    None => missing.push((parent.clone(), name.clone())),
                }
            }
        }
        missing
    }
}

/// Every symbol the modules of a wheel export to each other.
pub fn exported_symbols<'a>(modules: impl IntoIterator<Item = &'a WasmInfo>) -> HashSet<String> {
    modules.into_iter().flat_map(|m| m.exports.iter().map(|e| e.name.clone())).collect()
}

/// The imports of `module` that neither `policy` nor `wheel_exports` provide, sorted.
///
/// Checked: `env` and `wasi_snapshot_preview1` functions, `GOT.mem` and `GOT.func` entries.
/// Not checked: per-module globals, memory, table and tags (the marker checks cover tags),
/// weak imports, and the `invoke_*` / `__cxa_find_matching_catch_*` helpers a JS-exceptions
/// loader generates on demand (the exception-handling check reports them elsewhere).
pub fn unresolved(module: &WasmInfo, policy: &LoadedPolicy, wheel_exports: &HashSet<String>) -> Vec<String> {
    let js_helpers = policy.policy().exceptions == Some(UnwindStyle::Js);
    let mut out: BTreeSet<String> = BTreeSet::new();
    for import in &module.imports {
        let checked = match import.module.as_str() {
            "env" | "wasi_snapshot_preview1" => matches!(import.item, ImportItem::Func(_)),
            "GOT.mem" | "GOT.func" => true,
            _ => false,
        };
        let name = import.name.as_str();
        let generated = name.starts_with("invoke_") || name.starts_with("__cxa_find_matching_catch_");
        let resolved = (generated && js_helpers)
            || policy.provides(name)
            || wheel_exports.contains(name)
            || module.dylink.as_ref().is_some_and(|d| d.is_weak_import(&import.module, name));
        if checked && !resolved && !generated {
            out.insert(name.to_string());
        }
    }
    out.into_iter().collect()
}

/// A function a module imports with another type than the platform's main module exports it.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct SignatureMismatch {
    /// The function.
    pub name: String,
    /// The type the module imports it with.
    pub imported: Signature,
    /// The type the platform has.
    pub platform: Signature,
}

/// Function imports of `module` whose type differs from the main module's function of the same
/// name on `policy`. Wasm linking refuses these.
pub fn signature_mismatches(module: &WasmInfo, policy: &LoadedPolicy) -> Vec<SignatureMismatch> {
    module
        .imports
        .iter()
        .filter(|i| i.module == "env")
        .filter_map(|i| {
            let imported = i.signature()?;
            let platform = policy.signature(&i.name)?;
            (imported != platform).then(|| SignatureMismatch {
                name: i.name.clone(),
                imported: imported.clone(),
                platform: platform.clone(),
            })
        })
        .collect()
}
