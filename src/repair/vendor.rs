//! Finding the libraries a wheel's side modules NEED, transitively: in the wheel (where a
//! loader would look, by the same search the audit uses), then in the library folders; and
//! naming the ones to vendor.

use std::borrow::Borrow;
use std::collections::BTreeMap;
use std::path::{Path, PathBuf};

use super::RepairError;
use crate::hash::sha256_hex;
use crate::policy::Loader;
use crate::wasm::{self, WasmInfo};

/// A side module as the repair sees it: its bytes, its inspection, and where it came from.
#[derive(Clone, Debug)]
pub struct Module {
    /// Its bytes.
    pub data: Vec<u8>,
    /// Its inspection.
    pub info: WasmInfo,
    /// `Some(file)` for a library vendored from a library folder.
    pub source: Option<PathBuf>,
}

impl Borrow<WasmInfo> for Module {
    fn borrow(&self) -> &WasmInfo {
        &self.info
    }
}

/// One NEEDED entry, resolved.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Dependency {
    /// The name as NEEDED says it.
    pub needed: String,
    /// The installed path of the library, or `None` when left to the platform (`--exclude`,
    /// or a library the platform provides).
    pub target: Option<String>,
}

/// The first 8 hex digits of the sha256 of `data`: the mark of a vendored library's name.
fn short_hash(data: &[u8]) -> String {
    sha256_hex(data)[..8].to_string()
}

/// `libfoo.so.1` + bytes -> `libfoo-<first 8 hex of sha256>.so.1`: two wheels vendoring
/// different builds of a library then load side by side.
pub fn mangled_name(needed: &str, data: &[u8]) -> String {
    let hash = short_hash(data);
    match needed.split_once('.') {
        Some((stem, ext)) => format!("{stem}-{hash}.{ext}"),
        None => format!("{needed}-{hash}"),
    }
}

/// Whether `name` is already the mangled name of `data`: `<stem>-<its own hash>.<ext>`, as
/// auditwheel decides. A user's `libfoo-deadbeef.so` is not, unless those are its hash digits.
pub fn is_mangled(name: &str, data: &[u8]) -> bool {
    let stem = name.split_once('.').map_or(name, |(s, _)| s);
    stem.rsplit_once('-').is_some_and(|(_, hash)| hash == short_hash(data))
}

/// Resolves NEEDED entries and gathers what to vendor.
pub struct Vendor<'a> {
    /// Every side module, installed path -> module: the wheel's, then the vendored ones.
    pub modules: BTreeMap<String, Module>,
    /// The resolved NEEDED entries of each module.
    pub dependencies: BTreeMap<String, Vec<Dependency>>,
    libs_dir: String,
    lib_dirs: &'a [PathBuf],
    loaders: Vec<Loader>,
    keep: &'a dyn Fn(&str) -> bool,
}

impl<'a> Vendor<'a> {
    /// Starts from the wheel's side modules. `libs_dir` is `<dist>.libs`; `lib_dirs` the
    /// folders to search; `loaders` those of the target platforms, whose search (with every
    /// Emscripten loader's) says what the wheel already ships; `keep` which NEEDED names to
    /// leave to the platform.
    pub fn new(
        modules: BTreeMap<String, Module>,
        libs_dir: &str,
        lib_dirs: &'a [PathBuf],
        loaders: Vec<Loader>,
        keep: &'a dyn Fn(&str) -> bool,
    ) -> Vendor<'a> {
        let mut loaders = loaders;
        loaders.insert(0, Loader::ANY_EMSCRIPTEN);
        Vendor { modules, dependencies: BTreeMap::new(), libs_dir: libs_dir.to_string(), lib_dirs, loaders, keep }
    }

    /// Where some loader finds `name`, NEEDed by the module at `parent`, in the wheel.
    fn in_wheel(&self, parent: &str, name: &str) -> Option<String> {
        self.loaders.iter().find_map(|loader| loader.find(&self.modules, &self.libs_dir, parent, parent, name))
    }

    /// The first library folder holding `name`.
    fn in_lib_dirs(&self, name: &str) -> Option<PathBuf> {
        self.lib_dirs.iter().map(|d| d.join(name)).find(|p| p.is_file())
    }

    fn vendor(&mut self, parent: &str, name: &str, file: &Path) -> Result<String, RepairError> {
        let data = std::fs::read(file).map_err(|source| RepairError::LibraryIo { file: file.to_path_buf(), source })?;
        let info =
            wasm::inspect(&data).map_err(|source| RepairError::LibraryWasm { file: file.to_path_buf(), source })?;
        if info.dylink.is_none() {
            return Err(RepairError::NotASideModule {
                parent: parent.to_string(),
                name: name.to_string(),
                file: file.to_path_buf(),
            });
        }
        let file_name = if is_mangled(name, &data) { name.to_string() } else { mangled_name(name, &data) };
        let path = format!("{}/{file_name}", self.libs_dir);
        self.modules.insert(path.clone(), Module { data, info, source: Some(file.to_path_buf()) });
        Ok(path)
    }

    /// Resolves every NEEDED entry of every module, vendoring from the library folders what the
    /// wheel lacks, transitively. A library found nowhere is an error naming it and the module
    /// that NEEDs it.
    pub fn resolve(&mut self) -> Result<(), RepairError> {
        let mut queue: Vec<String> = self.modules.keys().cloned().collect();
        while let Some(parent) = queue.pop() {
            let needed = self.modules[&parent].info.needed().to_vec();
            let mut resolved = Vec::new();
            for name in needed {
                let target = if (self.keep)(&name) {
                    None
                } else if let Some(found) = self.in_wheel(&parent, &name).or_else(|| self.vendored_as(&name)) {
                    Some(found)
                } else if let Some(file) = self.in_lib_dirs(&name) {
                    let path = self.vendor(&parent, &name, &file)?;
                    queue.push(path.clone());
                    Some(path)
                } else {
                    return Err(RepairError::NotFound { parent, name, searched: self.lib_dirs.to_vec() });
                };
                resolved.push(Dependency { needed: name, target });
            }
            self.dependencies.insert(parent, resolved);
        }
        Ok(())
    }

    /// The path a library vendored under `name` already has.
    fn vendored_as(&self, name: &str) -> Option<String> {
        self.modules
            .iter()
            .find(|(_, m)| m.source.as_ref().and_then(|s| s.file_name()).is_some_and(|n| n == name))
            .map(|(path, _)| path.clone())
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn mangles_like_auditwheel() {
        let name = mangled_name("libfoo.so", b"x");
        assert!(name.starts_with("libfoo-") && name.ends_with(".so") && name.len() == "libfoo-12345678.so".len());
        assert!(mangled_name("libfoo.so.1", b"x").ends_with(".so.1"));
        assert_ne!(mangled_name("libfoo.so", b"x"), mangled_name("libfoo.so", b"y"));
        assert!(is_mangled(&name, b"x"), "a name carrying its own hash");
        assert!(!is_mangled(&name, b"y"), "another file's hash");
        assert!(!is_mangled("libfoo-deadbeef.so", b"x"), "a user's name that only looks mangled");
        assert!(!is_mangled("libfoo.so", b"x") && !is_mangled("lib-foo.so", b"x"));
    }
}
