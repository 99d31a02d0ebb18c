//! Project configuration: `[tool.wasmwheel]` in the nearest `pyproject.toml`, from the
//! working folder up.
//!
//! ```toml
//! [tool.wasmwheel]
//! ignore = ["legacy-platform-tag"]        # rules audit, check and repair ignore
//! lib-dirs = ["build/lib"]                # where repair finds NEEDED libraries
//! policies = ["policies/custom.json.gz"]  # extra platform policies
//! plat = "pyemscripten_2026_0_wasm32"     # the platform repair tags for
//! ```
//!
//! Paths are relative to the folder of `pyproject.toml`. Command-line flags add to these
//! lists, and `--plat` wins over `plat`.

use std::path::{Path, PathBuf};

use serde::Deserialize;

use crate::platform::{PlatformTag, PlatformTagError};
use crate::rules::{Rule, UnknownRule};

/// A TOML error by its message (its `Display` draws the offending line below it).
#[derive(Debug, thiserror::Error)]
#[error("{}", .0.message())]
pub struct TomlError(pub toml::de::Error);

/// Why a `pyproject.toml` cannot configure wasmwheel.
#[derive(Debug, thiserror::Error)]
#[non_exhaustive]
pub enum ConfigError {
    /// Not TOML.
    #[error("not TOML")]
    Toml(#[source] TomlError),
    /// `[tool.wasmwheel]` has an unknown key or a value of the wrong type.
    #[error("[tool.wasmwheel]")]
    Table(#[source] TomlError),
    /// `ignore` names no rule.
    #[error("[tool.wasmwheel]: ignore")]
    Rule(#[source] UnknownRule),
    /// `plat` is not a platform tag.
    #[error("[tool.wasmwheel]: plat")]
    Plat(#[source] PlatformTagError),
}

/// A `pyproject.toml` that cannot be used: which, and why.
#[derive(Debug, thiserror::Error)]
#[non_exhaustive]
pub enum ConfigFileError {
    /// The working folder cannot be known.
    #[error("the working folder")]
    WorkingDir(#[source] std::io::Error),
    /// It cannot be read.
    #[error("{}", path.display())]
    Read {
        /// The file.
        path: PathBuf,
        /// Why.
        #[source]
        source: std::io::Error,
    },
    /// Its `[tool.wasmwheel]` is not valid.
    #[error("{}", path.display())]
    Invalid {
        /// The file.
        path: PathBuf,
        /// Why (boxed: TOML errors are large, and rare).
        #[source]
        source: Box<ConfigError>,
    },
}

/// The `[tool.wasmwheel]` table.
#[derive(Clone, Debug, Default, PartialEq, Eq, Deserialize)]
#[serde(deny_unknown_fields, rename_all = "kebab-case")]
struct Table {
    #[serde(default)]
    ignore: Vec<String>,
    #[serde(default)]
    lib_dirs: Vec<PathBuf>,
    #[serde(default)]
    policies: Vec<PathBuf>,
    plat: Option<String>,
}

#[derive(Deserialize)]
struct PyProject {
    tool: Option<Tool>,
}

#[derive(Deserialize)]
struct Tool {
    wasmwheel: Option<toml::Value>,
}

/// The project configuration, validated, with paths resolved.
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub struct Config {
    /// The file it came from, if any.
    pub source: Option<PathBuf>,
    /// Rules to ignore.
    pub ignore: Vec<Rule>,
    /// Library folders for repair.
    pub lib_dirs: Vec<PathBuf>,
    /// Extra policy files.
    pub policies: Vec<PathBuf>,
    /// The platform repair tags for.
    pub plat: Option<PlatformTag>,
}

impl Config {
    /// The configuration of the project the working folder is in, or none (`isolated`).
    pub fn load(isolated: bool) -> Result<Config, ConfigFileError> {
        if isolated {
            return Ok(Config::default());
        }
        let cwd = std::env::current_dir().map_err(ConfigFileError::WorkingDir)?;
        Config::discover(&cwd)
    }

    /// The embedded policies, the project's policy files, then `extra`.
    pub fn policies(&self, extra: &[PathBuf]) -> Result<crate::policy::PolicySet, crate::policy::PolicyFileError> {
        let all: Vec<&PathBuf> = self.policies.iter().chain(extra).collect();
        crate::policy::PolicySet::load(&all)
    }

    /// The configuration of the nearest `pyproject.toml` from `start` up that has a
    /// `[tool.wasmwheel]` table; the default when there is none.
    pub fn discover(start: &Path) -> Result<Config, ConfigFileError> {
        for dir in start.ancestors() {
            let file = dir.join("pyproject.toml");
            if !file.is_file() {
                continue;
            }
            let text = std::fs::read_to_string(&file)
                .map_err(|source| ConfigFileError::Read { path: file.clone(), source })?;
            let config_error = |source| ConfigFileError::Invalid { path: file.clone(), source: Box::new(source) };
            let pyproject: PyProject =
                toml::from_str(&text).map_err(|e| config_error(ConfigError::Toml(TomlError(e))))?;
            if let Some(table) = pyproject.tool.and_then(|t| t.wasmwheel) {
                return Config::from_table(&file, table).map_err(config_error);
            }
        }
        Ok(Config::default())
    }

    fn from_table(file: &Path, table: toml::Value) -> Result<Config, ConfigError> {
        let table: Table = table.try_into().map_err(|e| ConfigError::Table(TomlError(e)))?;
        let dir = file.parent().unwrap_or(Path::new("."));
        Ok(Config {
            source: Some(file.to_path_buf()),
            ignore: table.ignore.iter().map(|r| r.parse().map_err(ConfigError::Rule)).collect::<Result<_, _>>()?,
            lib_dirs: table.lib_dirs.iter().map(|p| dir.join(p)).collect(),
            policies: table.policies.iter().map(|p| dir.join(p)).collect(),
            plat: table.plat.map(|p| p.parse().map_err(ConfigError::Plat)).transpose()?,
        })
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn reads_the_nearest_table_and_resolves_paths() {
        let dir = tempfile::tempdir().unwrap();
        let sub = dir.path().join("a/b");
        std::fs::create_dir_all(&sub).unwrap();
        assert_eq!(Config::discover(&sub).unwrap(), Config::default());
        std::fs::write(
            dir.path().join("pyproject.toml"),
            "[project]\nname = \"x\"\n[tool.wasmwheel]\nignore = [\"no-bigint\"]\nlib-dirs = [\"build/lib\"]\nplat = \"pyodide_2024_0_wasm32\"\n",
        )
        .unwrap();
        let config = Config::discover(&sub).unwrap();
        assert_eq!(config.ignore, [Rule::NoBigint]);
        assert_eq!(config.lib_dirs, [dir.path().join("build/lib")]);
        assert_eq!(config.plat.unwrap().as_str(), "pyodide_2024_0_wasm32");
    }

    #[test]
    fn rejects_unknown_keys_and_rules_naming_the_file() {
        let dir = tempfile::tempdir().unwrap();
        let file = dir.path().join("pyproject.toml");
        std::fs::write(&file, "[tool.wasmwheel]\nignores = []\n").unwrap();
        let err = crate::one_line::one_line(&Config::discover(dir.path()).unwrap_err());
        assert!(err.contains("pyproject.toml") && err.contains("ignores"), "{err}");
        std::fs::write(&file, "[tool.wasmwheel]\nignore = [\"no-such-rule\"]\n").unwrap();
        let err = crate::one_line::one_line(&Config::discover(dir.path()).unwrap_err());
        assert!(err.contains("no-such-rule"), "{err}");
        std::fs::write(&file, "[tool.other]\nx = 1\n").unwrap();
        assert_eq!(Config::discover(dir.path()).unwrap(), Config::default());
    }
}
