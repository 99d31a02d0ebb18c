//! Resolving a wheel's side modules as a platform's loader would: NEEDED libraries by the
//! loader's search rules, and imports against the platform's symbols and the wheel's own
//! exports.

use std::collections::{BTreeMap, BTreeSet, HashSet};

use crate::policy::{LoadedPolicy, Loader, Unwinding};
use crate::wasm::{ItemKind, WasmInfo};

/// Where a wheel member lands relative to site-packages: the member path, or for
/// `<dist>.data/purelib|platlib/x` the `x`; `None` for data, scripts and headers.
pub fn installed_path(member: &str) -> Option<String> {
    match member.split_once('/') {
        Some((first, rest)) if first.ends_with(".data") => {
            rest.strip_prefix("purelib/").or_else(|| rest.strip_prefix("platlib/")).map(str::to_string)
        }
        _ => Some(member.to_string()),
    }
}

/// Resolves `.` and `..` in a `/`-separated relative path; `None` if it climbs above its root.
pub fn normalize(path: &str) -> Option<String> {
    let mut parts: Vec<&str> = Vec::new();
    for part in path.split('/') {
        match part {
            "" | "." => {}
            ".." => {
                parts.pop()?;
            }
            p => parts.push(p),
        }
    }
    Some(parts.join("/"))
}

/// The folder part of a `/`-separated path (`""` at the root).
pub fn dirname(path: &str) -> &str {
    path.rsplit_once('/').map_or("", |(dir, _)| dir)
}

/// Expands a RUNTIME_PATH entry for a module installed at `module`: `$ORIGIN` (leading only,
/// as Emscripten expands it) becomes the module's folder. `None` for entries that do not
/// start with `$ORIGIN` (absolute or relative to the working folder: not in the wheel), and
/// for entries that climb out of site-packages.
pub fn expand_runtime_path(entry: &str, module: &str) -> Option<String> {
    let rest = entry.strip_prefix("$ORIGIN")?;
    normalize(&format!("{}/{rest}", dirname(module)))
}

/// Where a loader looks for a NEEDED library, for messages.
pub fn search_description(loader: &Loader) -> String {
    let mut places = Vec::new();
    if loader.search_by_name {
        places.push("the wheel (by file name)");
    }
    if loader.search_dist_libs {
        places.push("<dist>.libs");
    }
    places.push("site-packages");
    if loader.search_module_dir {
        places.push("beside the module");
    }
    if loader.runtime_path {
        places.push("the module's RUNTIME_PATH");
    }
    match places.split_last() {
        Some((last, rest)) if !rest.is_empty() => format!("{} or {last}", rest.join(", ")),
        _ => places.join(""),
    }
}

/// The dynamically linked modules of a wheel, by where they are installed.
pub struct Layout<'a> {
    modules: BTreeMap<String, &'a WasmInfo>,
    dist: String,
}

impl<'a> Layout<'a> {
    /// A layout of `modules` (installed path, inspection) for distribution `dist` (the
    /// filename's name component, which names `<dist>.libs`).
    pub fn new(modules: impl IntoIterator<Item = (String, &'a WasmInfo)>, dist: &str) -> Layout<'a> {
        Layout { modules: modules.into_iter().filter(|(_, m)| m.dylink.is_some()).collect(), dist: dist.to_string() }
    }

    /// Every module, by installed path.
    pub fn modules(&self) -> &BTreeMap<String, &'a WasmInfo> {
        &self.modules
    }

    /// Where `loader` finds library `name` NEEDed by the module at `parent`, while loading
    /// `root` (the module Pyodide asked to load); `None` when not in the wheel.
    pub fn find(&self, loader: &Loader, root: &str, parent: &str, name: &str) -> Option<String> {
        if name.contains('/') {
            return None;
        }
        let mut candidates = Vec::new();
        if loader.search_dist_libs {
            candidates.push(format!("{}.libs/{name}", self.dist));
        }
        candidates.push(name.to_string());
        if loader.runtime_path
            && let Some(dylink) = self.modules.get(parent).and_then(|m| m.dylink.as_ref())
        {
            candidates.extend(
                dylink.runtime_paths.iter().filter_map(|r| expand_runtime_path(r, parent)).map(|d| join(&d, name)),
            );
        }
        if loader.search_by_name {
            candidates.extend(self.modules.keys().filter(|p| p.rsplit('/').next() == Some(name)).cloned());
        }
        if loader.search_module_dir {
            let dir = dirname(root);
            candidates.push(join(dir, name));
            let under = if dir.is_empty() { String::new() } else { format!("{dir}/") };
            candidates.extend(
                self.modules.keys().filter(|p| p.starts_with(&under) && p.rsplit('/').next() == Some(name)).cloned(),
            );
        }
        candidates.into_iter().find(|c| self.modules.contains_key(c))
    }

    /// NEEDED libraries `loader` cannot find when loading `root`, transitively, as
    /// `(module that NEEDs it, library)`; `provided` libraries count as found.
    pub fn missing_libraries(&self, loader: &Loader, root: &str, provided: &[String]) -> Vec<(String, String)> {
        let mut missing = Vec::new();
        let mut seen = BTreeSet::from([root.to_string()]);
        let mut queue = vec![root.to_string()];
        while let Some(parent) = queue.pop() {
            let Some(dylink) = self.modules.get(&parent).and_then(|m| m.dylink.as_ref()) else { continue };
            for name in &dylink.needed {
                if provided.iter().any(|p| p == name) {
                    continue;
                }
                match self.find(loader, root, &parent, name) {
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

fn join(dir: &str, name: &str) -> String {
    if dir.is_empty() { name.to_string() } else { format!("{dir}/{name}") }
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
/// loader generates on demand.
pub fn unresolved(module: &WasmInfo, policy: &LoadedPolicy, wheel_exports: &HashSet<String>) -> Vec<String> {
    let js_helpers = policy.policy.exceptions == Unwinding::Js;
    let mut out: BTreeSet<String> = BTreeSet::new();
    for import in &module.imports {
        let checked = match import.module.as_str() {
            "env" | "wasi_snapshot_preview1" => import.kind == ItemKind::Func,
            "GOT.mem" | "GOT.func" => true,
            _ => false,
        };
        if !checked {
            continue;
        }
        let name = import.name.as_str();
        let generated = name.starts_with("invoke_") || name.starts_with("__cxa_find_matching_catch_");
        if generated && js_helpers
            || policy.provides(name)
            || wheel_exports.contains(name)
            || module.dylink.as_ref().is_some_and(|d| d.is_weak_import(&import.module, name))
        {
            continue;
        }
        if generated {
            // Reported by the exception-handling check instead.
            continue;
        }
        out.insert(name.to_string());
    }
    out.into_iter().collect()
}

/// Function imports of `module` whose type differs from the main module's function of the same
/// name on `policy`, as `(name, imported type, platform type)`. Wasm linking refuses these.
pub fn signature_mismatches(module: &WasmInfo, policy: &LoadedPolicy) -> Vec<(String, String, String)> {
    module
        .imports
        .iter()
        .filter(|i| i.module == "env" && i.kind == ItemKind::Func)
        .filter_map(|i| {
            let imported = i.signature.as_deref()?;
            let expected = policy.signature(&i.name)?;
            (imported != expected).then(|| (i.name.clone(), imported.to_string(), expected.to_string()))
        })
        .collect()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn paths() {
        assert_eq!(installed_path("pkg-1.0.data/platlib/x/y.so").as_deref(), Some("x/y.so"));
        assert_eq!(installed_path("pkg-1.0.data/scripts/run"), None);
        assert_eq!(installed_path("pkg/x.so").as_deref(), Some("pkg/x.so"));
        assert_eq!(normalize("pkg/../pkg.libs/./a.so").as_deref(), Some("pkg.libs/a.so"));
        assert_eq!(normalize("pkg/../../x"), None);
        assert_eq!(expand_runtime_path("$ORIGIN/../pkg.libs", "pkg/_ext.so").as_deref(), Some("pkg.libs"));
        assert_eq!(expand_runtime_path("$ORIGIN", "pkg.libs/a.so").as_deref(), Some("pkg.libs"));
        assert_eq!(expand_runtime_path("$ORIGIN/../../..", "pkg/_ext.so"), None);
        assert_eq!(expand_runtime_path("/usr/lib", "pkg/_ext.so"), None);
    }
}
