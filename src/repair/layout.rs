//! Where members land: Pyodide's installers unpack a wheel into site-packages as it is, so
//! what pip would install from `<name>.data/purelib/` and `platlib/` must sit at the wheel's
//! root to be importable. The repair moves it there; `scripts/`, `headers/` and `data/` stay.

use std::collections::BTreeMap;

use serde::Serialize;

use crate::wheel::edit::{EditError, WheelEdit};
use crate::wheel::installed_path;

/// A member moved to where it is importable.
#[derive(Clone, Debug, PartialEq, Eq, Serialize)]
pub struct Moved {
    /// Where it was (`pkg-1.0.data/platlib/pkg/__init__.py`).
    pub from: String,
    /// Where it is now (`pkg/__init__.py`).
    pub to: String,
}

/// Moves every member under `<name>.data/purelib/` and `platlib/` to the root. Returns what
/// moved, and the `.data` members that stay (scripts, headers, data).
pub fn flatten_data(edit: &mut WheelEdit) -> Result<(Vec<Moved>, Vec<String>), EditError> {
    let in_data: Vec<String> = edit
        .names()
        .filter(|name| name.split_once('/').is_some_and(|(top, _)| top.ends_with(".data")))
        .map(str::to_string)
        .collect();
    let mut moved = Vec::new();
    let mut kept = Vec::new();
    for name in in_data {
        match installed_path(&name) {
            Some(to) => {
                edit.rename(&name, &to)?;
                moved.push(Moved { from: name, to });
            }
            None => kept.push(name),
        }
    }
    Ok((moved, kept))
}

/// Where each moved member is now, by where it was.
pub fn new_paths(moved: &[Moved]) -> BTreeMap<String, String> {
    moved.iter().map(|m| (m.from.clone(), m.to.clone())).collect()
}
