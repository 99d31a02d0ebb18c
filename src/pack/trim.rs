//! Which members of a wheel a traced run needs: what it opened, imported or loaded, the
//! packages (`__init__.py`) above them, the NEEDED closure of the side modules kept (by the
//! loader's own search), what `--keep` names, and the whole dist-info.

use std::collections::{BTreeMap, BTreeSet};

use globset::GlobSet;

use crate::archive::EntryKind;
use crate::policy::Loader;
use crate::wasm::WasmInfo;
use crate::wheel::Wheel;

/// What the run touched in site-packages, as paths relative to it.
#[derive(Clone, Debug, Default)]
pub struct Touched {
    /// Opened or imported by Python (audit hooks, `sys.modules`), or loaded by the loader.
    pub python: BTreeSet<String>,
    /// Opened by the file system: Python's opens, and native code's.
    pub opened: BTreeSet<String>,
}

/// The members of one wheel to keep, and why some were kept.
#[derive(Clone, Debug, Default)]
pub struct Kept {
    /// Every member kept (dist-info included).
    pub members: BTreeSet<String>,
    /// Members only the file system saw opened: native code read them, outside Python's
    /// audit hooks.
    pub native_reads: Vec<String>,
    /// Members dropped that are neither modules nor binaries: data files this run never read.
    pub dropped_data: Vec<String>,
}

/// Whether a member is Python code or a binary, as opposed to data.
fn is_code(name: &str) -> bool {
    name.ends_with(".py") || name.ends_with(".pyc") || name.contains(".so")
}

/// The members of `wheel` the traced run needs.
pub fn kept(wheel: &Wheel, touched: &Touched, keep: &GlobSet, loader: &Loader) -> Kept {
    let dist_info = wheel.dist_info.as_ref().map(|d| format!("{d}/"));
    let files: Vec<&str> =
        wheel.archive.members.iter().filter(|m| m.kind == EntryKind::File).map(|m| m.name.as_str()).collect();
    let mut members: BTreeSet<String> = files
        .iter()
        .filter(|name| {
            dist_info.as_ref().is_some_and(|d| name.starts_with(d.as_str()))
                || touched.python.contains(**name)
                || touched.opened.contains(**name)
                || keep.is_match(name)
        })
        .map(|name| name.to_string())
        .collect();
    add_packages(&mut members, &files);
    add_needed(&mut members, wheel, loader);
    let native_reads = files
        .iter()
        .filter(|name| touched.opened.contains(**name) && !touched.python.contains(**name))
        .filter(|name| dist_info.as_ref().is_none_or(|d| !name.starts_with(d.as_str())))
        .map(|name| name.to_string())
        .collect();
    let dropped_data =
        files.iter().filter(|name| !members.contains(**name) && !is_code(name)).map(|n| n.to_string()).collect();
    Kept { members, native_reads, dropped_data }
}

/// Adds the `__init__.py` of every package above a kept member.
fn add_packages(members: &mut BTreeSet<String>, files: &[&str]) {
    let all: BTreeSet<&str> = files.iter().copied().collect();
    let mut inits = Vec::new();
    for member in members.iter() {
        let mut dir = member.as_str();
        while let Some((parent, _)) = dir.rsplit_once('/') {
            let init = format!("{parent}/__init__.py");
            if all.contains(init.as_str()) {
                inits.push(init);
            }
            dir = parent;
        }
    }
    members.extend(inits);
}

/// Adds what every kept side module NEEDs, transitively, where the loader finds it in the
/// wheel: a library is never dropped while a kept module NEEDs it.
fn add_needed(members: &mut BTreeSet<String>, wheel: &Wheel, loader: &Loader) {
    let modules: BTreeMap<String, &WasmInfo> = wheel
        .binaries
        .iter()
        .filter_map(|b| Some((b.path.clone(), b.wasm().filter(|i| i.dylink.is_some())?)))
        .collect();
    let libs_dir = wheel.filename.libs_dir();
    let mut queue: Vec<String> = members.iter().filter(|m| modules.contains_key(*m)).cloned().collect();
    while let Some(parent) = queue.pop() {
        let Some(info) = modules.get(&parent) else { continue };
        for name in info.needed() {
            if let Some(found) = loader.find(&modules, &libs_dir, &parent, &parent, name)
                && members.insert(found.clone())
            {
                queue.push(found);
            }
        }
    }
}

/// `--keep` globs that would keep `dropped`: the folders holding the most of them, at most
/// three, as `folder/**`.
pub fn keep_suggestions(dropped: &[String]) -> Vec<String> {
    let mut by_folder: BTreeMap<&str, usize> = BTreeMap::new();
    for name in dropped {
        let folder = name.rsplit_once('/').map_or("", |(dir, _)| dir);
        *by_folder.entry(folder).or_default() += 1;
    }
    let mut folders: Vec<(&str, usize)> = by_folder.into_iter().collect();
    folders.sort_by(|a, b| b.1.cmp(&a.1).then(a.0.cmp(b.0)));
    folders.into_iter().take(3).map(|(f, _)| if f.is_empty() { "*".to_string() } else { format!("{f}/**") }).collect()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn suggestions_name_the_fullest_folders() {
        let dropped: Vec<String> = ["babel/locale-data/fr.dat", "babel/locale-data/de.dat", "babel/x.txt"]
            .iter()
            .map(|s| s.to_string())
            .collect();
        assert_eq!(keep_suggestions(&dropped), ["babel/locale-data/**", "babel/**"]);
    }

    #[test]
    fn packages_above_kept_members_stay() {
        let files = ["a/__init__.py", "a/b/__init__.py", "a/b/data.txt", "a/c.py"];
        let mut members: BTreeSet<String> = ["a/b/data.txt".to_string()].into();
        add_packages(&mut members, &files);
        assert_eq!(members.into_iter().collect::<Vec<_>>(), ["a/__init__.py", "a/b/__init__.py", "a/b/data.txt"]);
    }
}
