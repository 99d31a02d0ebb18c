//! How a Pyodide release installs wheels, read from its own code: `pyodide.loadPackage`
//! unpacks a wheel into site-packages with `pyodide/_package_loader.py` (in
//! `python_stdlib.zip`), which then installs the `<name>.data/` schemes it names
//! (`DATA_FILES_SCHEME = "data"`); micropip (its wheel on PyPI, the version the release's lock
//! pins) installs in `micropip/wheelinfo.py`, where it either extracts the wheel itself with
//! `zipfile` (0.9, which installs no scheme) or awaits Pyodide's `install`, that same
//! unpacker (0.10 and later).
//!
//! micropip also checks a wheel's platform tags against its `sys_tags()`, which name the
//! release's `emscripten_X_Y_Z_wasm32` platform and, as its `_utils.py` spells them,
//! `pyodide_<abi>_wasm32` and (0.11.1 on) `pyemscripten_<abi>_wasm32`; `loadPackage` checks
//! no tags.
//!
//! Measured in real Pyodide 0.27.7, 0.29.3 and 314.0.7 under Node: with either installer,
//! `purelib` and `platlib` stay in `site-packages/<name>.data/`, so nothing in them imports;
//! micropip 0.9.0 and 0.11.0 refuse `pyemscripten_*` wheels.

use super::import_error::ReleaseError;
use super::{DataScheme, Installer};
use crate::archive::{Archive, Limits};
use crate::platform::{Abi, PlatformTag};

/// The name of Pyodide's unpacker inside `python_stdlib.zip`.
const UNPACKER: &str = "pyodide/_package_loader.py";

/// The schemes an unpacker's source installs: those it names as `<X>_SCHEME = "<scheme>"`.
pub fn unpacker_schemes(source: &str) -> Vec<DataScheme> {
    let mut schemes: Vec<DataScheme> = source
        .lines()
        .filter_map(|line| {
            let (name, value) = line.split_once('=')?;
            let name = name.trim();
            let valid = name.ends_with("_SCHEME") && name.bytes().all(|b| b.is_ascii_uppercase() || b == b'_');
            let value = value.trim().strip_prefix('"')?.strip_suffix('"')?;
            valid.then(|| DataScheme::from_folder(value)).flatten()
        })
        .collect();
    schemes.sort();
    schemes.dedup();
    schemes
}

/// `pyodide.loadPackage` of a release, from its `python_stdlib.zip`.
pub fn load_package(version: &str, stdlib: &[u8]) -> Result<Installer, ReleaseError> {
    let archive = Archive::read(stdlib, &Limits::default()).map_err(ReleaseError::Stdlib)?;
    let member =
        archive.get(UNPACKER).ok_or(ReleaseError::Missing("pyodide/_package_loader.py in python_stdlib.zip"))?;
    let source = String::from_utf8_lossy(&member.data);
    Ok(Installer {
        name: "pyodide.loadPackage".into(),
        version: version.to_string(),
        installs: unpacker_schemes(&source),
        platform_tags: None,
    })
}

/// A micropip wheel, read for how it installs.
#[derive(Clone, Debug)]
pub struct Micropip {
    /// Its version.
    pub version: String,
    /// Whether it hands wheels to Pyodide's unpacker rather than extracting them itself.
    delegates: bool,
    /// Whether its tags name `pyemscripten_<abi>_wasm32` (PEP 783).
    pyemscripten: bool,
    /// Whether its tags name `pyodide_<abi>_wasm32`.
    pyodide: bool,
}

/// Where micropip installs a wheel.
const WHEELINFO: &str = "micropip/wheelinfo.py";
/// Where micropip lists the platform tags it accepts.
const UTILS: &str = "micropip/_utils.py";

impl Micropip {
    /// Reads a `micropip-<version>-py3-none-any.whl`.
    pub fn read(version: &str, wheel: &[u8]) -> Result<Micropip, ReleaseError> {
        let archive = Archive::read(wheel, &Limits::default()).map_err(ReleaseError::Stdlib)?;
        let member = archive.get(WHEELINFO).ok_or_else(|| ReleaseError::Micropip(version.to_string()))?;
        let source = String::from_utf8_lossy(&member.data);
        let extracts = source.contains(".extractall(");
        let delegates = source.contains("await install(") || source.contains("await compat_layer.install(");
        if extracts == delegates {
            return Err(ReleaseError::Micropip(version.to_string()));
        }
        let utils = archive.get(UTILS).ok_or_else(|| ReleaseError::Micropip(version.to_string()))?;
        let utils = String::from_utf8_lossy(&utils.data);
        Ok(Micropip {
            version: version.to_string(),
            delegates,
            pyemscripten: utils.contains("pyemscripten_{abi_version}_wasm32"),
            pyodide: utils.contains("pyodide_{abi_version}_wasm32"),
        })
    }

    /// The installer this micropip is on a release whose unpacker is `load_package`, whose
    /// ABI is `abi` and whose own platform tag is `emscripten` (`emscripten_3_1_58_wasm32`).
    pub fn installer(&self, load_package: &Installer, abi: Abi, emscripten: &PlatformTag) -> Installer {
        let installs = if self.delegates { load_package.installs.clone() } else { Vec::new() };
        let mut tags = Vec::new();
        if self.pyemscripten {
            tags.push(abi.canonical_tag());
        }
        if self.pyodide {
            tags.extend(format!("pyodide_{abi}_wasm32").parse().ok());
        }
        tags.push(emscripten.clone());
        Installer { name: "micropip".into(), version: self.version.clone(), installs, platform_tags: Some(tags) }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn reads_the_schemes_an_unpacker_names() {
        let source = "DATA_FILES_DIR_SUFFIX = \".data\"\nDATA_FILES_SCHEME = \"data\"\nx = \"platlib\"\n";
        assert_eq!(unpacker_schemes(source), [DataScheme::Data]);
        assert!(unpacker_schemes("nothing here").is_empty());
    }
}
