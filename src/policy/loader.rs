//! How a platform's loader finds the libraries a side module NEEDs: the one implementation of
//! the search that `audit` (would this load?) and `repair` (what is already in the wheel?)
//! share, and the `$ORIGIN` arithmetic of RUNTIME_PATH. Paths are `/`-separated and relative
//! to site-packages.

use std::borrow::Borrow;
use std::collections::BTreeMap;

use serde::{Deserialize, Serialize};

use crate::wasm::WasmInfo;

/// How the platform's loader finds a NEEDED library.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct Loader {
    /// Reads RUNTIME_PATH and follows it from the module that NEEDs the library (`$ORIGIN` =
    /// its folder); with [`Loader::only_provided`], reads it and finds nothing by it.
    pub runtime_path: bool,
    /// Searches `<dist>.libs/` in site-packages (Pyodide 0.26-0.27).
    pub search_dist_libs: bool,
    /// Searches the folder of the module being loaded and its subfolders (Pyodide 0.26-0.27).
    pub search_module_dir: bool,
    /// Finds a library by its file name anywhere in the wheel (WASI component linkers, which
    /// are handed every library of the environment).
    pub search_by_name: bool,
    /// Loads the pre-2021 `dylink` section (Emscripten before 4.0.5).
    pub legacy_dylink: bool,
    /// Installing a wheel loads every `.so` member the loader picks by name (Pyodide's
    /// `should_load_dynlib`: [`loads_at_install`]), and a native (ELF, Mach-O, PE) one fails
    /// the install (Pyodide 0.28 and later; 0.27 warns and skips it).
    #[serde(default)]
    pub native_fails_install: bool,
    /// Finds no library but those the platform provides (componentize-py's linker: it names
    /// the extension modules it is given `/<n>/<path>` and matches every NEEDED entry exactly
    /// against those names and its own libraries, so no library a wheel ships is ever found).
    #[serde(default, skip_serializing_if = "std::ops::Not::not")]
    pub only_provided: bool,
}

/// The side modules a search can find: by installed path, with their RUNTIME_PATH.
pub trait ModuleSet {
    /// Whether a module is installed at `path`.
    fn contains(&self, path: &str) -> bool;
    /// The RUNTIME_PATH entries of the module at `path` (none if there is no such module).
    fn runtime_paths(&self, path: &str) -> &[String];
    /// Every installed path.
    fn paths(&self) -> Vec<&str>;
}

impl<V: Borrow<WasmInfo>> ModuleSet for BTreeMap<String, V> {
    fn contains(&self, path: &str) -> bool {
        self.contains_key(path)
    }

    fn runtime_paths(&self, path: &str) -> &[String] {
        self.get(path).map_or(&[], |m| m.borrow().runtime_paths())
    }

    fn paths(&self) -> Vec<&str> {
        self.keys().map(String::as_str).collect()
    }
}

impl Loader {
    /// Every place some Emscripten loader looks in a wheel: what `repair` takes as already
    /// shipped (it then adds the RUNTIME_PATH the other loaders need).
    pub const ANY_EMSCRIPTEN: Loader = Loader {
        runtime_path: true,
        search_dist_libs: true,
        search_module_dir: true,
        search_by_name: false,
        legacy_dylink: true,
        native_fails_install: false,
        only_provided: false,
    };

    /// Where this loader finds library `name`, NEEDed by the module at `parent`, while loading
    /// `root` (the module Python asked to load), in a wheel whose vendored-library folder is
    /// `libs_dir`; `None` when no module of `modules` is there.
    pub fn find(
        &self,
        modules: &impl ModuleSet,
        libs_dir: &str,
        root: &str,
        parent: &str,
        name: &str,
    ) -> Option<String> {
        if name.contains('/') || self.only_provided {
            return None;
        }
        let file_name_is = |p: &&str| p.rsplit('/').next() == Some(name);
        let mut candidates = Vec::new();
        if self.search_dist_libs {
            candidates.push(join(libs_dir, name));
        }
        candidates.push(name.to_string());
        if self.runtime_path {
            let dirs = modules.runtime_paths(parent).iter().filter_map(|r| expand_runtime_path(r, parent));
            candidates.extend(dirs.map(|d| join(&d, name)));
        }
        if self.search_by_name {
            candidates.extend(modules.paths().into_iter().filter(file_name_is).map(str::to_string));
        }
        if self.search_module_dir {
            let dir = dirname(root);
            candidates.push(join(dir, name));
            let under = if dir.is_empty() { String::new() } else { format!("{dir}/") };
            let below = modules.paths().into_iter().filter(|p| p.starts_with(&under)).filter(file_name_is);
            candidates.extend(below.map(str::to_string));
        }
        candidates.into_iter().find(|c| modules.contains(c))
    }

    /// Where this loader looks, for messages.
    pub fn describe(&self) -> String {
        if self.only_provided {
            return "its own libraries (it takes no other)".into();
        }
        let mut places = Vec::new();
        if self.search_by_name {
            places.push("the wheel (by file name)");
        }
        if self.search_dist_libs {
            places.push("<dist>.libs");
        }
        places.push("site-packages");
        if self.search_module_dir {
            places.push("beside the module");
        }
        if self.runtime_path {
            places.push("the module's RUNTIME_PATH");
        }
        match places.split_last() {
            Some((last, rest)) if !rest.is_empty() => format!("{} or {last}", rest.join(", ")),
            _ => places.join(""),
        }
    }
}

/// Whether Pyodide's installers load the member `path` as a dynamic library when they install
/// the wheel, for a platform of Python `python`: its name ends in `.so` (maybe `.so.N...`),
/// and the part before `.so` is one of the platform's extension tags (`.cpython-3XY-wasm32-
/// emscripten`, `.abi3`) or not another interpreter's tag (`.cpython-312-x86_64-linux-gnu`);
/// `should_load_dynlib` of `pyodide/_package_loader.py`, 0.27 to 315.
pub fn loads_at_install(path: &str, python: crate::python::PythonVersion) -> bool {
    let name = path.rsplit('/').next().unwrap_or(path);
    let chars: Vec<char> = name.chars().collect();
    let shared = (0..chars.len()).any(|i| chars[i..].starts_with(&['.', 's', 'o']) && so_tail(&chars[i + 3..]));
    if !shared {
        return false;
    }
    let suffixes = suffixes(name);
    let Some(at) = suffixes.iter().position(|s| s == ".so") else { return false };
    // Python's `suffixes[index - 1]`: the last suffix when `.so` is the first.
    let tag = if at == 0 { &suffixes[suffixes.len() - 1] } else { &suffixes[at - 1] };
    let own = [format!(".cpython-{}{}-wasm32-emscripten", python.major, python.minor), ".abi3".to_string()];
    own.contains(tag) || !is_interpreter_tag(tag)
}

/// Whether `rest` matches `(.\d+)*` to its end: any character then digits, repeated.
fn so_tail(rest: &[char]) -> bool {
    let Some((_, after)) = rest.split_first() else { return true };
    let digits = after.iter().take_while(|c| c.is_ascii_digit()).count();
    (1..=digits).any(|n| so_tail(&after[n..]))
}

/// pathlib's `PurePath.suffixes` of a file name: none when it ends with a dot; else, leading
/// dots dropped, each `.`-led part after the first.
fn suffixes(name: &str) -> Vec<String> {
    if name.ends_with('.') {
        return Vec::new();
    }
    name.trim_start_matches('.').split('.').skip(1).map(|s| format!(".{s}")).collect()
}

/// `\.(cpython|pypy|jython)-[0-9]{2,}[a-z]*(-[a-z0-9_-]*)?` matched at the start of `tag`.
fn is_interpreter_tag(tag: &str) -> bool {
    let Some(rest) = ["cpython-", "pypy-", "jython-"].iter().find_map(|p| tag.strip_prefix('.')?.strip_prefix(p))
    else {
        return false;
    };
    rest.bytes().take_while(u8::is_ascii_digit).count() >= 2
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

/// `dir/name`, or `name` at the root.
pub fn join(dir: &str, name: &str) -> String {
    if dir.is_empty() { name.to_string() } else { format!("{dir}/{name}") }
}

/// Expands a RUNTIME_PATH entry for a module installed at `module`: `$ORIGIN` (leading only,
/// as Emscripten expands it) becomes the module's folder. `None` for entries that do not
/// start with `$ORIGIN` (absolute or relative to the working folder: not in the wheel), and
/// for entries that climb out of site-packages.
pub fn expand_runtime_path(entry: &str, module: &str) -> Option<String> {
    let rest = entry.strip_prefix("$ORIGIN")?;
    normalize(&format!("{}/{rest}", dirname(module)))
}

/// The `$ORIGIN`-relative RUNTIME_PATH entry from the folder of module `from` to folder
/// `to_dir`: the inverse of [`expand_runtime_path`].
pub fn origin_path(from: &str, to_dir: &str) -> String {
    let from: Vec<&str> = dirname(from).split('/').filter(|p| !p.is_empty()).collect();
    let to: Vec<&str> = to_dir.split('/').filter(|p| !p.is_empty()).collect();
    let common = from.iter().zip(&to).take_while(|(a, b)| a == b).count();
    let mut parts = vec!["$ORIGIN".to_string()];
    parts.extend(std::iter::repeat_n("..".to_string(), from.len() - common));
    parts.extend(to[common..].iter().map(|s| (*s).to_string()));
    parts.join("/")
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn install_loads_so_files_as_should_load_dynlib_picks_them() {
        let py314 = crate::python::PythonVersion { major: 3, minor: 14 };
        for (path, loads) in [
            ("pkg/helper.so", true),
            ("pkg/_ext.cpython-314-wasm32-emscripten.so", true),
            ("pkg/_ext.cpython-312-wasm32-emscripten.so", false),
            ("pkg/_ext.cpython-314-x86_64-linux-gnu.so", false),
            ("pkg/_ext.abi3.so", true),
            ("pkg.libs/libz.so.1", true),
            ("pkg.libs/libz.so.1.2.13", true),
            ("pkg/some.name.so", true),
            ("pkg/data.so.txt", false),
            ("pkg/module.py", false),
            ("pkg/libx.so.", false),
        ] {
            assert_eq!(loads_at_install(path, py314), loads, "{path}");
        }
    }

    #[test]
    fn runtime_path_arithmetic() {
        assert_eq!(normalize("pkg/../pkg.libs/./a.so").as_deref(), Some("pkg.libs/a.so"));
        assert_eq!(normalize("pkg/../../x"), None);
        assert_eq!(expand_runtime_path("$ORIGIN/../pkg.libs", "pkg/_ext.so").as_deref(), Some("pkg.libs"));
        assert_eq!(expand_runtime_path("$ORIGIN", "pkg.libs/a.so").as_deref(), Some("pkg.libs"));
        assert_eq!(expand_runtime_path("$ORIGIN/../../..", "pkg/_ext.so"), None);
        assert_eq!(expand_runtime_path("/usr/lib", "pkg/_ext.so"), None);
        for (from, to, entry) in [
            ("pkg/_ext.so", "pkg.libs", "$ORIGIN/../pkg.libs"),
            ("pkg.libs/liba.so", "pkg.libs", "$ORIGIN"),
            ("pkg/sub/_ext.so", "pkg.libs", "$ORIGIN/../../pkg.libs"),
            ("_ext.so", "pkg.libs", "$ORIGIN/pkg.libs"),
            ("pkg/_ext.so", "pkg/lib", "$ORIGIN/lib"),
        ] {
            assert_eq!(origin_path(from, to), entry);
            assert_eq!(expand_runtime_path(entry, from).as_deref(), Some(to), "{entry} from {from}");
        }
    }

    /// A set of modules by path, each with its RUNTIME_PATH.
    struct Modules(Vec<(&'static str, Vec<String>)>);

    impl ModuleSet for Modules {
        fn contains(&self, path: &str) -> bool {
            self.0.iter().any(|(p, _)| *p == path)
        }
        fn runtime_paths(&self, path: &str) -> &[String] {
            self.0.iter().find(|(p, _)| *p == path).map_or(&[], |(_, r)| r.as_slice())
        }
        fn paths(&self) -> Vec<&str> {
            self.0.iter().map(|(p, _)| *p).collect()
        }
    }

    #[test]
    fn each_loader_searches_its_places() {
        let pyodide_027 = Loader {
            runtime_path: false,
            search_dist_libs: true,
            search_module_dir: true,
            search_by_name: false,
            legacy_dylink: true,
            native_fails_install: false,
            only_provided: false,
        };
        let pyodide_029 =
            Loader { runtime_path: true, search_dist_libs: false, search_module_dir: false, ..pyodide_027.clone() };
        let modules = Modules(vec![
            ("pkg/_ext.so", vec!["$ORIGIN/../vendor".into()]),
            ("pkg.libs/liba.so", vec![]),
            ("vendor/libb.so", vec![]),
            ("pkg/sub/libc.so", vec![]),
        ]);
        let find = |loader: &Loader, name| loader.find(&modules, "pkg.libs", "pkg/_ext.so", "pkg/_ext.so", name);
        assert_eq!(find(&pyodide_027, "liba.so").as_deref(), Some("pkg.libs/liba.so"));
        assert_eq!(find(&pyodide_029, "liba.so"), None);
        assert_eq!(find(&pyodide_027, "libb.so"), None);
        assert_eq!(find(&pyodide_029, "libb.so").as_deref(), Some("vendor/libb.so"));
        assert_eq!(find(&pyodide_027, "libc.so").as_deref(), Some("pkg/sub/libc.so"), "below the module's folder");
        assert_eq!(find(&Loader::ANY_EMSCRIPTEN, "libb.so").as_deref(), Some("vendor/libb.so"));
        let wasi = Loader { search_by_name: true, ..pyodide_029 };
        assert_eq!(find(&wasi, "libc.so").as_deref(), Some("pkg/sub/libc.so"));
        assert_eq!(find(&pyodide_027, "../x.so"), None);
    }
}
