//! `pyodide-lock.json`, typed: the file a Pyodide release ships (every package of its
//! distribution, by name), the file `lock` and `pack` write, and the one `test`, `--confirm`
//! and the resolver read a release's own packages from.
//!
//! Fields a release adds that wasmwheel does not use (314's `tool`, per package and at the
//! top) are kept as they are, so that a release's lock reads and writes back value for value.
//! wasmwheel adds no field of its own: pyodide-lock's own model refuses keys it does not know.

use std::collections::BTreeMap;
use std::fmt;
use std::path::{Path, PathBuf};
use std::str::FromStr;

use serde::{Deserialize, Serialize};
use serde_json::{Map, Value};

/// A whole `pyodide-lock.json`.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
pub struct PyodideLock {
    /// What the release is.
    pub info: LockInfo,
    /// Every package, by its key (the normalized name, as the release spells it).
    pub packages: BTreeMap<String, LockPackage>,
    /// Other top-level fields, as they are (314's `tool`).
    #[serde(flatten)]
    pub extra: Map<String, Value>,
}

/// The lock's `info`.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
pub struct LockInfo {
    /// The Emscripten ABI (`2026_0`), from 0.26 on.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub abi_version: Option<String>,
    /// `wasm32`.
    pub arch: String,
    /// The sysconfig platform (`emscripten_5_0_3`).
    pub platform: String,
    /// The CPython version (`3.14.2`).
    pub python: String,
    /// The Pyodide version, where the lock says it (not in 314).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub version: Option<String>,
    /// Other fields, as they are.
    #[serde(flatten)]
    pub extra: Map<String, Value>,
}

/// One package of a lock.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
pub struct LockPackage {
    /// Its name, as its metadata spells it.
    pub name: String,
    /// Its version.
    pub version: String,
    /// Its file: relative to the lock's base URL, or an absolute URL.
    pub file_name: String,
    /// Where it is unpacked.
    pub install_dir: InstallDir,
    /// The file's sha256, hex (browsers check it as subresource integrity).
    pub sha256: String,
    /// What it is.
    pub package_type: PackageType,
    /// The top-level modules it provides.
    pub imports: Vec<String>,
    /// The keys of the packages it needs.
    pub depends: Vec<String>,
    /// Whether its tests are a package of their own (`<name>-tests`), in releases that say.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub unvendored_tests: Option<bool>,
    /// Whether it is a shared library, in releases before `package_type` said so.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub shared_library: Option<bool>,
    /// Other fields, as they are (314's `tool`).
    #[serde(flatten)]
    pub extra: Map<String, Value>,
}

/// Writes a type as its text and reads it through `FromStr` (which takes any text).
macro_rules! text_enum {
    ($type:ident { $($variant:ident = $text:literal),* $(,)? }) => {
        impl $type {
            /// Its text, as the lock spells it.
            pub fn as_str(&self) -> &str {
                match self {
                    $($type::$variant => $text,)*
                    $type::Other(other) => other,
                }
            }
        }

        impl FromStr for $type {
            type Err = std::convert::Infallible;
            fn from_str(s: &str) -> Result<Self, Self::Err> {
                Ok(match s {
                    $($text => $type::$variant,)*
                    other => $type::Other(other.to_string()),
                })
            }
        }

        impl fmt::Display for $type {
            fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
                f.write_str(self.as_str())
            }
        }

        impl Serialize for $type {
            fn serialize<S: serde::Serializer>(&self, s: S) -> Result<S::Ok, S::Error> {
                s.serialize_str(self.as_str())
            }
        }

        impl<'de> Deserialize<'de> for $type {
            fn deserialize<D: serde::Deserializer<'de>>(d: D) -> Result<Self, D::Error> {
                let text = String::deserialize(d)?;
                Ok(text.parse().unwrap_or_else(|never: std::convert::Infallible| match never {}))
            }
        }
    };
}

/// Where a package is unpacked.
#[derive(Clone, Debug, PartialEq, Eq, Hash)]
pub enum InstallDir {
    /// site-packages.
    Site,
    /// The folder the dynamic loader looks in (`/usr/lib`): shared libraries.
    Dynlib,
    /// The standard library's folder (CPython modules unvendored from the stdlib).
    Stdlib,
    /// Something a later release may add.
    Other(String),
}

text_enum!(InstallDir { Site = "site", Dynlib = "dynlib", Stdlib = "stdlib" });

/// What a package is.
#[derive(Clone, Debug, PartialEq, Eq, Hash)]
pub enum PackageType {
    /// A Python package (a wheel).
    Package,
    /// A shared library other packages load (a zip of `.so` files).
    SharedLibrary,
    /// A CPython module unvendored from the standard library.
    CpythonModule,
    /// A static library, for builds.
    StaticLibrary,
    /// Something a later release may add.
    Other(String),
}

text_enum!(PackageType {
    Package = "package",
    SharedLibrary = "shared_library",
    CpythonModule = "cpython_module",
    StaticLibrary = "static_library",
});

/// Why a lock cannot be read or written.
#[derive(Debug, thiserror::Error)]
#[non_exhaustive]
pub enum LockFileError {
    /// The file cannot be read or written.
    #[error("{}", path.display())]
    Io {
        /// The file.
        path: PathBuf,
        /// Why.
        #[source]
        source: std::io::Error,
    },
    /// Not a `pyodide-lock.json`; the source names the field.
    #[error("{}: not a pyodide-lock.json", path.display())]
    Json {
        /// The file.
        path: PathBuf,
        /// Why.
        #[source]
        source: serde_path_to_error::Error<serde_json::Error>,
    },
}

impl PyodideLock {
    /// Parses a lock from its bytes.
    pub fn parse(bytes: &[u8]) -> Result<PyodideLock, serde_path_to_error::Error<serde_json::Error>> {
        serde_path_to_error::deserialize(&mut serde_json::Deserializer::from_slice(bytes))
    }

    /// Reads the lock at `path`.
    pub fn read(path: &Path) -> Result<PyodideLock, LockFileError> {
        let bytes = std::fs::read(path).map_err(|source| LockFileError::Io { path: path.to_path_buf(), source })?;
        PyodideLock::parse(&bytes).map_err(|source| LockFileError::Json { path: path.to_path_buf(), source })
    }

    /// The lock as wasmwheel writes it: pretty JSON with every object's keys sorted, and a
    /// final newline. The same lock gives the same bytes.
    pub fn to_bytes(&self) -> Vec<u8> {
        let value = serde_json::to_value(self).map(sorted).unwrap_or(Value::Null);
        let mut bytes = serde_json::to_vec_pretty(&value).unwrap_or_default();
        bytes.push(b'\n');
        bytes
    }

    /// Writes the lock to `path` (see [`PyodideLock::to_bytes`]), atomically.
    pub fn write(&self, path: &Path) -> Result<(), LockFileError> {
        crate::fs::write_atomically(path, &self.to_bytes())
            .map_err(|source| LockFileError::Io { path: path.to_path_buf(), source })
    }

    /// The package of `key`, if the lock has it.
    pub fn package(&self, key: &str) -> Option<&LockPackage> {
        self.packages.get(key)
    }

    /// `roots` and every package they depend on, transitively, in the order found: what
    /// `loadPackage` of `roots` loads. A release's `depends` may spell a name as its metadata
    /// does (`pydantic_core`); like Pyodide, this looks it up normalized (`pydantic-core`).
    /// Keys the lock does not have are left out.
    pub fn closure<'a>(&self, roots: impl IntoIterator<Item = &'a str>) -> Vec<String> {
        let mut out: Vec<String> = Vec::new();
        let mut queue: Vec<String> = roots.into_iter().map(normalized).collect();
        queue.reverse();
        while let Some(key) = queue.pop() {
            if out.contains(&key) {
                continue;
            }
            let Some(package) = self.packages.get(&key) else { continue };
            queue.extend(package.depends.iter().rev().map(|d| normalized(d)));
            out.push(key);
        }
        out
    }

    /// Keeps only `keys` (and drops the others).
    pub fn retain(&mut self, keys: &[String]) {
        self.packages.retain(|key, _| keys.contains(key));
    }

    /// Whether the release's entries carry `field` (to give a new entry the same shape).
    pub fn entries_have(&self, field: &str) -> bool {
        self.packages.values().any(|p| match field {
            "unvendored_tests" => p.unvendored_tests.is_some(),
            other => p.extra.contains_key(other),
        })
    }
}

impl LockPackage {
    /// Whether it is a shared library (`package_type`, or the older `shared_library` flag).
    pub fn is_shared_library(&self) -> bool {
        self.package_type == PackageType::SharedLibrary || self.shared_library == Some(true)
    }
}

/// A package name as lock keys spell it (PEP 503: lowercase, runs of `-`, `_`, `.` as `-`).
pub fn normalized(name: &str) -> String {
    let mut out = String::with_capacity(name.len());
    for c in name.chars() {
        if matches!(c, '-' | '_' | '.') {
            if !out.ends_with('-') {
                out.push('-');
            }
        } else {
            out.push(c.to_ascii_lowercase());
        }
    }
    out
}

/// `value` with the keys of every object sorted.
fn sorted(value: Value) -> Value {
    match value {
        Value::Object(map) => {
            let mut entries: Vec<(String, Value)> = map.into_iter().map(|(k, v)| (k, sorted(v))).collect();
            entries.sort_by(|a, b| a.0.cmp(&b.0));
            Value::Object(entries.into_iter().collect())
        }
        Value::Array(items) => Value::Array(items.into_iter().map(sorted).collect()),
        other => other,
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    const LOCK: &str = r#"{"info": {"abi_version": "2026_0", "arch": "wasm32", "platform": "emscripten_5_0_3", "python": "3.14.2"},
        "packages": {
          "a": {"depends": ["b"], "file_name": "a-1-py3-none-any.whl", "imports": ["a"], "install_dir": "site", "name": "a", "package_type": "package", "sha256": "00", "tool": {}, "unvendored_tests": false, "version": "1"},
          "b": {"depends": ["libx"], "file_name": "b-1-py3-none-any.whl", "imports": ["b"], "install_dir": "site", "name": "b", "package_type": "package", "sha256": "01", "tool": {"x": 1}, "unvendored_tests": false, "version": "1"},
          "libx": {"depends": [], "file_name": "libx-1.zip", "imports": [], "install_dir": "dynlib", "name": "libx", "package_type": "shared_library", "sha256": "02", "tool": {}, "unvendored_tests": false, "version": "1"},
          "y": {"depends": [], "file_name": "y.whl", "imports": [], "install_dir": "somewhere", "name": "y", "package_type": "new_kind", "sha256": "03", "version": "2"}
        },
        "tool": {"generator": "x"}}"#;

    #[test]
    fn reads_and_writes_back_value_for_value() {
        let lock = PyodideLock::parse(LOCK.as_bytes()).unwrap();
        assert_eq!(lock.packages["libx"].install_dir, InstallDir::Dynlib);
        assert!(lock.packages["libx"].is_shared_library());
        assert_eq!(lock.packages["y"].package_type, PackageType::Other("new_kind".into()));
        let original: Value = serde_json::from_str(LOCK).unwrap();
        let written: Value = serde_json::from_slice(&lock.to_bytes()).unwrap();
        assert_eq!(written, original);
        assert_eq!(lock.to_bytes(), PyodideLock::parse(&lock.to_bytes()).unwrap().to_bytes(), "stable bytes");
    }

    #[test]
    fn the_closure_follows_depends() {
        let lock = PyodideLock::parse(LOCK.as_bytes()).unwrap();
        assert_eq!(lock.closure(["a"]), ["a", "b", "libx"]);
        assert_eq!(lock.closure(["y", "nope"]), ["y"]);
        assert_eq!(normalized("Pydantic__Core.x"), "pydantic-core-x");
        assert!(lock.entries_have("tool") && lock.entries_have("unvendored_tests"));
    }

    #[test]
    fn a_bad_field_is_named() {
        let bad = LOCK.replace(r#""arch": "wasm32""#, r#""arch": 32"#);
        let err = PyodideLock::parse(bad.as_bytes()).unwrap_err();
        assert_eq!(err.path().to_string(), "info.arch");
    }
}
