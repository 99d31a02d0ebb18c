//! Finding the libraries a wheel's side modules NEED, transitively: in the wheel (where any
//! loader would look), then in the library folders; and naming the ones to vendor.

use std::collections::BTreeMap;
use std::path::{Path, PathBuf};

use sha2::{Digest, Sha256};

use crate::audit::resolve::{dirname, expand_runtime_path};
use crate::error::{Error, Result};
use crate::wasm::{self, WasmInfo};

/// A side module as the repair sees it: where it is installed, its inspection, and where it
/// came from.
#[derive(Clone, Debug)]
pub struct Module {
    /// Its bytes.
    pub data: Vec<u8>,
    /// Its inspection.
    pub info: WasmInfo,
    /// `Some(file)` for a library vendored from a library folder.
    pub source: Option<PathBuf>,
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

/// `libfoo.so.1` + hash -> `libfoo-<first 8 hex of sha256>.so.1`: two wheels vendoring different
/// builds of a library then load side by side.
pub fn mangled_name(needed: &str, data: &[u8]) -> String {
    let hash: String = Sha256::digest(data).iter().take(4).map(|b| format!("{b:02x}")).collect();
    match needed.split_once('.') {
        Some((stem, ext)) => format!("{stem}-{hash}.{ext}"),
        None => format!("{needed}-{hash}"),
    }
}

/// Whether a file name is already mangled: `<stem>-<8 hex>.<ext>`.
fn is_mangled(name: &str) -> bool {
    let stem = name.split_once('.').map_or(name, |(s, _)| s);
    stem.rsplit_once('-').is_some_and(|(_, h)| h.len() == 8 && h.bytes().all(|b| b.is_ascii_hexdigit()))
}

/// Resolves NEEDED entries and gathers what to vendor.
pub struct Vendor<'a> {
    /// Every side module, installed path -> module: the wheel's, then the vendored ones.
    pub modules: BTreeMap<String, Module>,
    /// The resolved NEEDED entries of each module.
    pub dependencies: BTreeMap<String, Vec<Dependency>>,
    libs_dir: String,
    lib_dirs: &'a [PathBuf],
    keep: &'a dyn Fn(&str) -> bool,
}

impl<'a> Vendor<'a> {
    /// Starts from the wheel's side modules; `libs_dir` is `<dist>.libs`, `lib_dirs` the folders
    /// to search, `keep` says which NEEDED names to leave to the platform.
    pub fn new(
        modules: BTreeMap<String, Module>,
        libs_dir: &str,
        lib_dirs: &'a [PathBuf],
        keep: &'a dyn Fn(&str) -> bool,
    ) -> Vendor<'a> {
        Vendor { modules, dependencies: BTreeMap::new(), libs_dir: libs_dir.to_string(), lib_dirs, keep }
    }

    /// Where `name`, NEEDed by the module at `parent`, is in the wheel: on the module's
    /// RUNTIME_PATH, in `<dist>.libs`, at the site-packages root, or beside the module.
    fn in_wheel(&self, parent: &str, name: &str) -> Option<String> {
        let runtime_paths = self.modules.get(parent).and_then(|m| m.info.dylink.as_ref()).map(|d| &d.runtime_paths);
        let join = |dir: &str| if dir.is_empty() { name.to_string() } else { format!("{dir}/{name}") };
        runtime_paths
            .into_iter()
            .flatten()
            .filter_map(|r| expand_runtime_path(r, parent))
            .map(|dir| join(&dir))
            .chain([join(&self.libs_dir), name.to_string(), join(dirname(parent))])
            .find(|candidate| self.modules.contains_key(candidate))
    }

    /// The first library folder holding `name`.
    fn in_lib_dirs(&self, name: &str) -> Option<PathBuf> {
        self.lib_dirs.iter().map(|d| d.join(name)).find(|p| p.is_file())
    }

    fn vendor(&mut self, shown: &str, parent: &str, name: &str, file: &Path) -> Result<String> {
        let data = std::fs::read(file).map_err(|e| Error::input(file.display(), e))?;
        let info = wasm::inspect(&data).map_err(|e| Error::input(file.display(), e))?;
        if info.dylink.is_none() {
            return Err(Error::input(
                shown,
                format!("{parent} NEEDs {name}, but {} is not a side module (no dylink.0)", file.display()),
            ));
        }
        let path = format!(
            "{}/{}",
            self.libs_dir,
            if is_mangled(name) { name.to_string() } else { mangled_name(name, &data) }
        );
        self.modules.insert(path.clone(), Module { data, info, source: Some(file.to_path_buf()) });
        Ok(path)
    }

    /// Resolves every NEEDED entry of every module, vendoring from the library folders what the
    /// wheel lacks, transitively. A library found nowhere is an error naming it and the module
    /// that NEEDs it; `shown` names the wheel.
    pub fn resolve(&mut self, shown: &str) -> Result<()> {
        let mut queue: Vec<String> = self.modules.keys().cloned().collect();
        while let Some(parent) = queue.pop() {
            let needed = self.modules[&parent].info.dylink.as_ref().map(|d| d.needed.clone()).unwrap_or_default();
            let mut resolved = Vec::new();
            for name in needed {
                let target = if (self.keep)(&name) {
                    None
                } else if let Some(found) = self.in_wheel(&parent, &name) {
                    Some(found)
                } else if let Some(vendored) = self.vendored_as(&name) {
                    Some(vendored)
                } else if let Some(file) = self.in_lib_dirs(&name) {
                    let path = self.vendor(shown, &parent, &name, &file)?;
                    queue.push(path.clone());
                    Some(path)
                } else {
                    let searched = if self.lib_dirs.is_empty() {
                        "no library folder was given (-L DIR or WASMWHEEL_LIBRARY_PATH)".to_string()
                    } else {
                        format!(
                            "nor in {}",
                            self.lib_dirs.iter().map(|d| d.display().to_string()).collect::<Vec<_>>().join(", ")
                        )
                    };
                    return Err(Error::input(
                        shown,
                        format!("{parent} NEEDs {name}, which is not in the wheel; {searched}"),
                    ));
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

/// `$ORIGIN`-relative RUNTIME_PATH from the folder of `from` to the folder `to` (both relative
/// to site-packages).
pub fn origin_path(from: &str, to_dir: &str) -> String {
    let from: Vec<&str> = dirname(from).split('/').filter(|p| !p.is_empty()).collect();
    let to: Vec<&str> = to_dir.split('/').filter(|p| !p.is_empty()).collect();
    let common = from.iter().zip(&to).take_while(|(a, b)| a == b).count();
    let mut parts = vec!["$ORIGIN".to_string()];
    parts.extend(std::iter::repeat_n("..".to_string(), from.len() - common));
    parts.extend(to[common..].iter().map(|s| s.to_string()));
    parts.join("/")
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
        assert!(is_mangled(&name));
        assert!(!is_mangled("libfoo.so") && !is_mangled("lib-foo.so"));
    }

    #[test]
    fn origin_paths() {
        assert_eq!(origin_path("pkg/_ext.so", "pkg.libs"), "$ORIGIN/../pkg.libs");
        assert_eq!(origin_path("pkg.libs/liba.so", "pkg.libs"), "$ORIGIN");
        assert_eq!(origin_path("pkg/sub/_ext.so", "pkg.libs"), "$ORIGIN/../../pkg.libs");
        assert_eq!(origin_path("_ext.so", "pkg.libs"), "$ORIGIN/pkg.libs");
        assert_eq!(origin_path("pkg/_ext.so", "pkg/lib"), "$ORIGIN/lib");
    }
}
