//! PEP 735 dependency groups: `[dependency-groups]` of a `pyproject.toml`, each a list of
//! requirements and `{include-group = "name"}` tables; group names compare normalized (as
//! package names do). `--group test` adds the requirements of group `test` to a resolution.

use std::path::{Path, PathBuf};

use pep508_rs::Requirement;

/// Why a dependency group cannot be used.
#[derive(Debug, thiserror::Error)]
#[non_exhaustive]
pub enum GroupError {
    /// The file cannot be read.
    #[error("{}", path.display())]
    Read {
        /// The file.
        path: PathBuf,
        /// Why.
        #[source]
        source: std::io::Error,
    },
    /// Not TOML, or `[dependency-groups]` is not a table of lists.
    #[error("{}: [dependency-groups]: {why}", path.display())]
    Invalid {
        /// The file.
        path: PathBuf,
        /// Why.
        why: String,
    },
    /// No group of that name.
    #[error("{}: no dependency group `{name}` (it has: {have})", path.display())]
    Missing {
        /// The file.
        path: PathBuf,
        /// The group asked for.
        name: String,
        /// The groups it has.
        have: String,
    },
    /// A requirement of a group that does not parse.
    #[error("{}: dependency group `{group}`", path.display())]
    Requirement {
        /// The file.
        path: PathBuf,
        /// The group.
        group: String,
        /// Why.
        #[source]
        source: Box<pep508_rs::Pep508Error>,
    },
    /// Groups that include each other.
    #[error("{}: dependency group `{name}` includes itself", path.display())]
    Cycle {
        /// The group.
        name: String,
        /// The file.
        path: PathBuf,
    },
}

/// PEP 503 normalization of a group name.
fn normalized(name: &str) -> String {
    let mut out = String::new();
    for c in name.trim().chars() {
        let c = if matches!(c, '-' | '_' | '.') { '-' } else { c.to_ascii_lowercase() };
        if !(c == '-' && out.ends_with('-')) {
            out.push(c);
        }
    }
    out
}

/// The requirements of group `name` of `pyproject` (included groups followed), each with who
/// asked (`pyproject.toml:dependency-groups.test`).
pub fn group(pyproject: &Path, name: &str) -> Result<Vec<(Requirement, String)>, GroupError> {
    let text = fs_err::read_to_string(pyproject)
        .map_err(|source| GroupError::Read { path: pyproject.to_path_buf(), source })?;
    let invalid = |why: String| GroupError::Invalid { path: pyproject.to_path_buf(), why };
    let value: toml::Value = toml::from_str(&text).map_err(|e| invalid(e.to_string()))?;
    let groups = value.get("dependency-groups").and_then(toml::Value::as_table).cloned().unwrap_or_default();
    let mut out = Vec::new();
    follow(pyproject, &groups, name, &mut Vec::new(), &mut out)?;
    Ok(out)
}

fn follow(
    pyproject: &Path,
    groups: &toml::map::Map<String, toml::Value>,
    name: &str,
    open: &mut Vec<String>,
    out: &mut Vec<(Requirement, String)>,
) -> Result<(), GroupError> {
    let key = normalized(name);
    if open.contains(&key) {
        return Err(GroupError::Cycle { name: name.to_string(), path: pyproject.to_path_buf() });
    }
    let Some((found, items)) = groups.iter().find(|(k, _)| normalized(k) == key) else {
        let have = groups.keys().cloned().collect::<Vec<_>>().join(", ");
        return Err(GroupError::Missing { path: pyproject.to_path_buf(), name: name.to_string(), have });
    };
    let invalid = |why: String| GroupError::Invalid { path: pyproject.to_path_buf(), why };
    let items = items.as_array().ok_or_else(|| invalid(format!("`{found}` is not a list")))?;
    open.push(key);
    let file = pyproject.file_name().map_or_else(|| "pyproject.toml".into(), |f| f.to_string_lossy().into_owned());
    for item in items {
        match item {
            toml::Value::String(text) => {
                let requirement = text.parse::<Requirement>().map_err(|source| GroupError::Requirement {
                    path: pyproject.to_path_buf(),
                    group: found.clone(),
                    source: Box::new(source),
                })?;
                out.push((requirement, format!("{file}:dependency-groups.{found}")));
            }
            toml::Value::Table(table) => match table.get("include-group").and_then(toml::Value::as_str) {
                Some(included) => follow(pyproject, groups, included, open, out)?,
                None => return Err(invalid(format!("`{found}` has a table that is not {{include-group = ...}}"))),
            },
            _ => return Err(invalid(format!("`{found}` has an item that is neither a requirement nor a table"))),
        }
    }
    open.pop();
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn groups_include_others_and_names_compare_normalized() {
        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join("pyproject.toml");
        std::fs::write(
            &path,
            "[dependency-groups]\nTest_Deps = [\"pytest>=8\", {include-group = \"typing\"}]\ntyping = [\"typing-extensions\"]\nloop = [{include-group = \"loop\"}]\n",
        )
        .unwrap();
        let found = group(&path, "test-deps").unwrap();
        let names: Vec<String> = found.iter().map(|(r, _)| r.name.to_string()).collect();
        assert_eq!(names, ["pytest", "typing-extensions"]);
        assert_eq!(found[0].1, "pyproject.toml:dependency-groups.Test_Deps");
        assert!(matches!(group(&path, "docs"), Err(GroupError::Missing { .. })));
        assert!(matches!(group(&path, "loop"), Err(GroupError::Cycle { .. })));
    }
}
