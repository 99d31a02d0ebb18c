//! `tags`: a new wheel with its tags changed, like `wheel tags`, plus the PEP 783 spelling.

use std::fmt::Display;
use std::path::{Path, PathBuf};
use std::str::FromStr;

use crate::platform::PlatformTag;
use crate::wheel::edit::{EditError, WheelEdit};
use crate::wheel::filename::TagSets;
use crate::wheel::{FilenameError, Wheel, WheelError, WheelFilename};

/// Why `tags` cannot write the new wheel.
#[derive(Debug, thiserror::Error)]
#[non_exhaustive]
pub enum TagsError {
    /// The wheel cannot be read.
    #[error(transparent)]
    Open(#[from] WheelError),
    /// It cannot be rewritten with the new tags.
    #[error(transparent)]
    Edit(#[from] EditError),
    /// The input cannot be removed (`--remove`).
    #[error("{}", path.display())]
    Remove {
        /// The input.
        path: PathBuf,
        /// Why.
        #[source]
        source: std::io::Error,
    },
}

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
fn change_set<T: FromStr + Display + Clone + PartialEq>(
    current: &[T],
    value: &str,
    parse_error: impl Fn(T::Err) -> FilenameError,
) -> Result<Vec<T>, FilenameError> {
    let (mut set, add) = match value.strip_prefix('+') {
        Some(add) => (current.to_vec(), add),
        None => (Vec::new(), value),
    };
    for tag in add.split('.') {
        set.push(tag.parse().map_err(&parse_error)?);
    }
    set.sort_by_key(ToString::to_string);
    set.dedup();
    Ok(set)
}

/// The filename with `change` applied.
pub fn retag(filename: &WheelFilename, change: &TagChange) -> Result<WheelFilename, FilenameError> {
    let tags = &filename.tags;
    let python = match &change.python {
        Some(value) => change_set(tags.python(), value, |source| FilenameError::Tag { what: "python", source })?,
        None => tags.python().to_vec(),
    };
    let abi = match &change.abi {
        Some(value) => change_set(tags.abi(), value, |source| FilenameError::Tag { what: "abi", source })?,
        None => tags.abi().to_vec(),
    };
    let platform = match change.platform.as_deref() {
        Some("canonical") => {
            let mut canonical: Vec<PlatformTag> = tags.platform().iter().map(PlatformTag::canonical).collect();
            canonical.sort();
            canonical.dedup();
            canonical
        }
        Some(value) => change_set(tags.platform(), value, FilenameError::Platform)?,
        None => tags.platform().to_vec(),
    };
    Ok(WheelFilename { tags: TagSets::new(python, abi, platform)?, ..filename.clone() })
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
pub fn tags(path: &Path, change: &TagChange, out_dir: Option<&Path>, remove: bool) -> Result<Outcome, TagsError> {
    let wheel = Wheel::open(path)?;
    let filename = retag(&wheel.filename, change).map_err(EditError::Retag)?;
    if filename == wheel.filename {
        return Ok(Outcome::Unchanged);
    }
    let mut edit = WheelEdit::new(&wheel)?;
    edit.set_tags(filename)?;
    let dir = out_dir.unwrap_or_else(|| path.parent().unwrap_or(Path::new(".")));
    let out = edit.write(dir, path)?;
    if remove {
        std::fs::remove_file(path).map_err(|source| TagsError::Remove { path: path.to_path_buf(), source })?;
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
