//! `tags`: a new wheel with its tags changed, like `wheel tags`, plus the PEP 783 spelling.

use std::path::{Path, PathBuf};

use crate::error::{Error, Result};
use crate::platform::PlatformTag;
use crate::wheel::edit::WheelEdit;
use crate::wheel::filename::valid_tag_part;
use crate::wheel::{Wheel, WheelFilename};

/// Requested tag changes. Each value is `T.U` (replace the set), `+T.U` (add to it), or for
/// platforms `canonical` (rewrite `pyodide_*` as `pyemscripten_*`).
#[derive(Clone, Debug, Default)]
pub struct TagChange {
    /// New python tags.
    pub python: Option<String>,
    /// New ABI tags.
    pub abi: Option<String>,
    /// New platform tags.
    pub platform: Option<String>,
}

/// Applies one change to one tag set; the result is sorted and free of repeats.
fn change_set(current: &[String], value: &str, what: &str) -> std::result::Result<Vec<String>, String> {
    let (mut set, add) = match value.strip_prefix('+') {
        Some(add) => (current.to_vec(), add),
        None => (Vec::new(), value),
    };
    for tag in add.split('.') {
        if !valid_tag_part(tag) {
            return Err(format!("`{tag}` is not a {what} tag"));
        }
        set.push(tag.to_string());
    }
    set.sort();
    set.dedup();
    Ok(set)
}

/// The filename with `change` applied.
pub fn retag(filename: &WheelFilename, change: &TagChange) -> std::result::Result<WheelFilename, String> {
    let mut out = filename.clone();
    if let Some(value) = &change.python {
        out.python_tags = change_set(&filename.python_tags, value, "python")?;
    }
    if let Some(value) = &change.abi {
        out.abi_tags = change_set(&filename.abi_tags, value, "ABI")?;
    }
    if let Some(value) = &change.platform {
        let current: Vec<String> = filename.platform_tags.iter().map(ToString::to_string).collect();
        let texts = if value == "canonical" {
            let mut canonical: Vec<String> = filename.platform_tags.iter().map(|t| t.canonical().to_string()).collect();
            canonical.sort();
            canonical.dedup();
            canonical
        } else {
            change_set(&current, value, "platform")?
        };
        out.platform_tags = texts.iter().map(|t| t.parse::<PlatformTag>()).collect::<std::result::Result<_, _>>()?;
    }
    Ok(out)
}

/// What `tags` did.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum Outcome {
    /// The tags were already those asked for: nothing written.
    Unchanged,
    /// A new wheel, written here.
    Written(PathBuf),
}

/// Writes a copy of the wheel at `path` with `change` applied to its tags (filename, WHEEL,
/// RECORD), into `out_dir` (default: beside the input). With `remove`, deletes the input once
/// the new wheel is written.
pub fn tags(path: &Path, change: &TagChange, out_dir: Option<&Path>, remove: bool) -> Result<Outcome> {
    let wheel = Wheel::open(path)?;
    let filename = retag(&wheel.filename, change).map_err(|e| Error::Usage(format!("{}: {e}", path.display())))?;
    if filename == wheel.filename {
        return Ok(Outcome::Unchanged);
    }
    let mut edit = WheelEdit::new(&wheel)?;
    edit.set_tags(filename)?;
    let dir = out_dir.unwrap_or_else(|| path.parent().unwrap_or(Path::new(".")));
    let out = edit.write(dir, path)?;
    if remove {
        std::fs::remove_file(path).map_err(|e| Error::input(path.display(), e))?;
    }
    Ok(Outcome::Written(out))
}

#[cfg(test)]
mod tests {
    use super::*;

    fn name(s: &str) -> WheelFilename {
        s.parse().unwrap()
    }

    #[test]
    fn replaces_appends_and_canonicalizes() {
        let f = name("pkg-1.0-cp312-abi3-pyodide_2024_0_wasm32.whl");
        let canonical = TagChange { platform: Some("canonical".into()), ..TagChange::default() };
        assert_eq!(retag(&f, &canonical).unwrap().to_string(), "pkg-1.0-cp312-abi3-pyemscripten_2024_0_wasm32.whl");
        let add = TagChange { python: Some("+cp313".into()), ..TagChange::default() };
        assert_eq!(retag(&f, &add).unwrap().to_string(), "pkg-1.0-cp312.cp313-abi3-pyodide_2024_0_wasm32.whl");
        let replace = TagChange { abi: Some("none".into()), platform: Some("any".into()), ..TagChange::default() };
        assert_eq!(retag(&f, &replace).unwrap().to_string(), "pkg-1.0-cp312-none-any.whl");
        let bad = TagChange { python: Some("cp3-12".into()), ..TagChange::default() };
        assert!(retag(&f, &bad).is_err());
    }
}
