//! The house: the modules of `src/` import each other without a circle (between top-level
//! modules, and between the files of one folder), nothing below the runtime imports it, and
//! README's layout table names every room. Read from the sources (`crate::x` and `super::x`
//! paths outside tests and comments).

use std::collections::{BTreeMap, BTreeSet};
use std::path::{Path, PathBuf};

use crate::common::testdata;

fn src() -> PathBuf {
    testdata("../src")
}

/// A file's code without its tests and comments.
fn code(path: &Path) -> String {
    let text = std::fs::read_to_string(path).unwrap();
    let text = text.split("#[cfg(test)]").next().unwrap_or_default();
    text.lines().map(|l| l.split("//").next().unwrap_or_default()).collect::<Vec<_>>().join("\n")
}

/// The names a `prefix` path reaches in `code`: `prefix::name` and `prefix::{name, ...}`.
fn reached(code: &str, prefix: &str) -> BTreeSet<String> {
    let mut out = BTreeSet::new();
    for (at, _) in code.match_indices(prefix) {
        let rest = &code[at + prefix.len()..];
        if let Some(group) = rest.strip_prefix('{') {
            let group = group.split('}').next().unwrap_or_default();
            out.extend(group.split(',').map(|p| p.trim().split("::").next().unwrap_or_default().to_string()));
        } else {
            out.insert(rest.chars().take_while(|c| c.is_alphanumeric() || *c == '_').collect());
        }
    }
    out.retain(|n| !n.is_empty() && n != "self");
    out
}

/// The `.rs` files under `dir`, recursively.
fn sources(dir: &Path) -> Vec<PathBuf> {
    let mut out = Vec::new();
    for entry in std::fs::read_dir(dir).unwrap() {
        let path = entry.unwrap().path();
        if path.is_dir() {
            out.extend(sources(&path));
        } else if path.extension().is_some_and(|e| e == "rs") {
            out.push(path);
        }
    }
    out.sort();
    out
}

/// The top-level module a file belongs to.
fn top(path: &Path) -> String {
    let rel = path.strip_prefix(src()).unwrap();
    let first = rel.components().next().unwrap().as_os_str().to_string_lossy().into_owned();
    first.trim_end_matches(".rs").to_string()
}

/// A circle in `edges`, if there is one.
fn circle(edges: &BTreeMap<String, BTreeSet<String>>) -> Option<Vec<String>> {
    fn visit(
        node: &str,
        edges: &BTreeMap<String, BTreeSet<String>>,
        path: &mut Vec<String>,
        done: &mut BTreeSet<String>,
    ) -> Option<Vec<String>> {
        if let Some(at) = path.iter().position(|p| p == node) {
            return Some(path[at..].to_vec());
        }
        if done.contains(node) {
            return None;
        }
        path.push(node.to_string());
        for next in edges.get(node).into_iter().flatten() {
            if let Some(found) = visit(next, edges, path, done) {
                return Some(found);
            }
        }
        path.pop();
        done.insert(node.to_string());
        None
    }
    let mut done = BTreeSet::new();
    edges.keys().find_map(|node| visit(node, edges, &mut Vec::new(), &mut done))
}

/// Which top-level module reaches which, from `crate::` paths.
fn top_level_edges() -> BTreeMap<String, BTreeSet<String>> {
    let tops: BTreeSet<String> = sources(&src()).iter().map(|p| top(p)).collect();
    let mut edges: BTreeMap<String, BTreeSet<String>> = BTreeMap::new();
    for file in sources(&src()) {
        let from = top(&file);
        let to = reached(&code(&file), "crate::");
        let to: Vec<String> = to.into_iter().filter(|t| *t != from && tops.contains(t)).collect();
        edges.entry(from).or_default().extend(to);
    }
    edges
}

#[test]
fn no_module_imports_one_that_imports_it() {
    let edges = top_level_edges();
    assert!(edges.len() > 20, "the sources were read: {edges:?}");
    assert_eq!(circle(&edges), None, "a circle between top-level modules");
    // Between the files of one folder (a file's own folder module, `mod.rs`, is its parent,
    // not a sibling).
    let mut folders: BTreeMap<PathBuf, Vec<PathBuf>> = BTreeMap::new();
    for file in sources(&src()) {
        folders.entry(file.parent().unwrap().to_path_buf()).or_default().push(file);
    }
    for (folder, files) in folders {
        let name = |p: &Path| p.file_stem().unwrap().to_string_lossy().into_owned();
        let siblings: BTreeSet<String> = files.iter().map(|f| name(f)).filter(|n| n != "mod").collect();
        let mut edges: BTreeMap<String, BTreeSet<String>> = BTreeMap::new();
        for file in files.iter().filter(|f| name(f) != "mod") {
            let me = name(file);
            let to: Vec<String> =
                reached(&code(file), "super::").into_iter().filter(|t| siblings.contains(t) && *t != me).collect();
            edges.entry(me).or_default().extend(to);
        }
        assert_eq!(circle(&edges), None, "a circle between the files of {}", folder.display());
    }
    // The check finds a circle where there is one.
    let mut made_up = BTreeMap::new();
    made_up.insert("a".to_string(), BTreeSet::from(["b".to_string()]));
    made_up.insert("b".to_string(), BTreeSet::from(["a".to_string()]));
    assert!(circle(&made_up).is_some());
}

#[test]
fn nothing_below_the_runtime_imports_it() {
    // What runs wheels, what deploys what ran (pack, and the registry beside it, which shares
    // the entry runner), and what reports or drives that: the only modules that may name the
    // runtime.
    let above = ["runtime", "run", "pack", "registry", "commands", "error", "report", "lib", "main", "cli"];
    let edges = top_level_edges();
    for (from, to) in &edges {
        if !above.contains(&from.as_str()) {
            assert!(!to.contains("runtime"), "{from} is below the runtime but imports it");
        }
    }
    assert!(edges["run"].contains("runtime"), "the check sees imports of the runtime");
}

#[test]
fn the_readme_layout_names_every_room() {
    let readme = std::fs::read_to_string(testdata("../README.md")).unwrap();
    let layout = readme.split("## Layout").nth(1).expect("README has a layout table");
    for entry in std::fs::read_dir(src()).unwrap() {
        let path = entry.unwrap().path();
        let name = path.file_name().unwrap().to_string_lossy().into_owned();
        let shown = if path.is_dir() { format!("src/{name}/") } else { format!("src/{name}") };
        assert!(layout.contains(&shown), "README's layout does not name {shown}");
    }
}
