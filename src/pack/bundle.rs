//! The bundle as a pure-asset npm package (as pyodide and sql.js ship theirs): `package.json`
//! with `files` and an `exports` entry per asset and no JavaScript entry point, and `run.mjs`,
//! which runs the app in a Pyodide release under Node.

use serde_json::{Map, Value, json};

use crate::runtime::protocol::RUN_ENTRY;

/// The runner script, with wasmwheel's entry runner filled in.
pub fn run_mjs() -> String {
    let literal = serde_json::to_string(RUN_ENTRY).unwrap_or_else(|_| "\"\"".into());
    include_str!("run.mjs").replace("__RUN_ENTRY__", &literal)
}

/// Whether `name` is a valid npm package name: at most 214 characters, lowercase, URL-safe
/// (letters, digits, `-._~` and `_`),
/// optionally `@scope/`; not starting with `.` or `_`.
pub fn is_npm_name(name: &str) -> bool {
    let bare = match name.strip_prefix('@') {
        Some(scoped) => match scoped.split_once('/') {
            Some((scope, rest)) if is_npm_part(scope) => rest,
            _ => return false,
        },
        None => name,
    };
    name.len() <= 214 && is_npm_part(bare)
}

fn is_npm_part(part: &str) -> bool {
    !part.is_empty()
        && !part.starts_with(['.', '_'])
        && part.bytes().all(|b| b.is_ascii_lowercase() || b.is_ascii_digit() || b"-._~_".contains(&b))
}

/// An npm name made from an entry script's name: `My App.py` -> `my-app`.
pub fn name_from_entry(stem: &str) -> String {
    let mut name: String = stem
        .to_ascii_lowercase()
        .chars()
        .map(|c| if c.is_ascii_alphanumeric() || "-._~_".contains(c) { c } else { '-' })
        .collect();
    name = name.trim_start_matches(['.', '_', '-']).to_string();
    if name.is_empty() { "pyodide-app".to_string() } else { name }
}

/// What `package.json` says of a bundle.
pub struct Manifest<'a> {
    /// The npm name.
    pub name: &'a str,
    /// The npm version.
    pub version: &'a str,
    /// The Pyodide release.
    pub pyodide: &'a str,
    /// Where the page loads Pyodide from (absolute, or relative to the bundle).
    pub url: &'a str,
    /// The entry script.
    pub entry: &'a str,
    /// The files beside the lock: the wheels, and what `--self-contained` copied.
    pub assets: &'a [String],
    /// The packages the app loads by name.
    pub packages: &'a [String],
}

/// The bundle's `package.json`: a pure-asset npm package (no `main`, no dependencies) whose
/// `pyodide` field says what `run.mjs` and `loader.mjs` load.
pub fn package_json(m: &Manifest<'_>) -> Vec<u8> {
    let mut assets: Vec<String> = vec!["pyodide-lock.json".into(), m.entry.to_string()];
    assets.extend(m.assets.iter().cloned());
    let exports = asset_exports(assets.iter().map(String::as_str).chain(["loader.mjs", "index.html"]));
    let mut files = assets.clone();
    files.extend(["index.html", "loader.mjs", "run.mjs"].map(String::from));
    let doc = json!({
        "name": m.name,
        "version": m.version,
        "description": format!("{} and the parts of its wheels it uses, for Pyodide {} (wasmwheel pack)", m.entry, m.pyodide),
        "files": files,
        "exports": exports,
        "pyodide": {"release": m.pyodide, "url": m.url, "entry": m.entry, "packages": m.packages},
    });
    json_file(&doc)
}

/// The `exports` of a pure-asset package: each file as itself (`"./f": "./f"`), and
/// `./package.json`.
pub fn asset_exports<'a>(files: impl IntoIterator<Item = &'a str>) -> Map<String, Value> {
    let mut exports: Map<String, Value> =
        files.into_iter().map(|f| (format!("./{f}"), Value::String(format!("./{f}")))).collect();
    exports.insert("./package.json".into(), "./package.json".into());
    exports
}

/// A JSON file as npm packages write them: pretty-printed, ending in a newline.
pub fn json_file(doc: &Value) -> Vec<u8> {
    let mut bytes = serde_json::to_vec_pretty(doc).unwrap_or_default();
    bytes.push(b'\n');
    bytes
}

/// The bundle's `loader.mjs`: runs the app in a browser, every URL against its own folder.
pub fn loader_mjs() -> String {
    let literal = serde_json::to_string(RUN_ENTRY).unwrap_or_else(|_| "\"\"".into());
    include_str!("loader.mjs").replace("__RUN_ENTRY__", &literal)
}

/// The bundle's `index.html`: the page that runs the app with `loader.mjs` and shows its
/// output.
pub fn index_html(title: &str) -> String {
    let escaped = title.replace('&', "&amp;").replace('<', "&lt;").replace('>', "&gt;");
    include_str!("index.html").replace("__TITLE__", &escaped)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn npm_names() {
        assert!(is_npm_name("my-app") && is_npm_name("@me/app.v2"));
        assert!(!is_npm_name("MyApp") && !is_npm_name("_x") && !is_npm_name("@me") && !is_npm_name("a b"));
        assert_eq!(name_from_entry("My App"), "my-app");
        assert_eq!(name_from_entry("__main__"), "main__");
        assert!(is_npm_name(&name_from_entry("_x y")));
        assert!(run_mjs().contains("def _wasmwheel_run(path, hook=None)"));
    }
}
