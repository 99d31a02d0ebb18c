//! Which Python a wheel fits: by its tags (as pypa/packaging computes the tags a CPython
//! interpreter accepts) and by the suffixes of its extension modules.

use crate::platform::Family;
use crate::python::{AbiKind, Interpreter, PythonTag, PythonVersion};
use crate::wheel::Tag;

/// Whether CPython `python` accepts the tag's python and ABI parts.
///
/// As packaging's `sys_tags`: `cp3Y-cp3Y` only on 3.Y; `cp3X-abi3` on 3.Y for X <= Y;
/// `-none` with `py3`, `py3X` (X <= Y) or `cp3Y`.
pub fn tag_fits(tag: &Tag, python: PythonVersion) -> bool {
    let py = &tag.python;
    if py.major() != Some(python.major) {
        return false;
    }
    let minor = py.minor();
    match tag.abi.kind() {
        AbiKind::Abi3 => py.interpreter() == Interpreter::CPython && minor.is_some_and(|m| m >= 2 && m <= python.minor),
        AbiKind::None => match py.interpreter() {
            Interpreter::Generic => minor.is_none_or(|m| m <= python.minor),
            Interpreter::CPython => minor == Some(python.minor),
            Interpreter::Other => false,
        },
        AbiKind::Specific => {
            py.interpreter() == Interpreter::CPython && minor == Some(python.minor) && tag.abi.as_str() == py.as_str()
        }
    }
}

/// The smallest Python `tags` fit, described for messages (`3.13`, `>= 3.12`, `any 3.x`).
pub fn describe_needed(tags: &[Tag]) -> String {
    let mut needs: Vec<String> = tags
        .iter()
        .filter_map(|t| {
            let major = t.python.major()?;
            Some(match (t.abi.kind(), t.python.interpreter(), t.python.minor()) {
                (AbiKind::Abi3, _, Some(m)) => format!(">= {major}.{m}"),
                (AbiKind::None, Interpreter::Generic, None) => format!("any {major}.x"),
                (AbiKind::None, Interpreter::Generic, Some(m)) => format!(">= {major}.{m}"),
                (_, _, Some(m)) => format!("{major}.{m}"),
                _ => t.python.to_string(),
            })
        })
        .collect();
    needs.dedup();
    needs.join(" or ")
}

/// The lowest Python an abi3 wheel's tags name, if it has abi3 tags.
pub fn abi3_minimum(tags: &[Tag]) -> Option<PythonVersion> {
    tags.iter()
        .filter(|t| t.abi.kind() == AbiKind::Abi3 && t.python.interpreter() == Interpreter::CPython)
        .filter_map(|t| t.python.version())
        .min()
}

/// What an extension module's file name says it is for.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum ExtensionSuffix {
    /// `.cpython-3XY-<platform>.so`: one Python version, one platform.
    Versioned {
        /// `3.XY`.
        python: PythonVersion,
        /// `wasm32-emscripten`, `wasm32-wasi`, `x86_64-linux-gnu`, ...
        platform: String,
    },
    /// `.abi3.so`: any Python of the stable ABI.
    Abi3,
    /// A plain `.so`.
    Plain,
}

/// The extension suffix of a member path, if it names a shared object.
pub fn extension_suffix(path: &str) -> Option<ExtensionSuffix> {
    let file = path.rsplit('/').next()?;
    let stem = file.strip_suffix(".so")?;
    if stem.ends_with(".abi3") {
        return Some(ExtensionSuffix::Abi3);
    }
    if let Some(at) = stem.rfind(".cpython-") {
        let rest = &stem[at + ".cpython-".len()..];
        if let Some((version, platform)) = rest.split_once('-')
            && let Ok(tag) = format!("cp{}", version.trim_end_matches('t')).parse::<PythonTag>()
            && let Some(python) = tag.version()
        {
            return Some(ExtensionSuffix::Versioned { python, platform: platform.to_string() });
        }
    }
    Some(ExtensionSuffix::Plain)
}

/// The module name an extension file defines: `pkg/_core.cpython-314-wasm32-emscripten.so`
/// -> `_core`.
pub fn module_name(path: &str) -> &str {
    let file = path.rsplit('/').next().unwrap_or(path);
    file.split('.').next().unwrap_or(file)
}

/// The platform part an extension suffix must have for a family (`wasm32-emscripten`).
pub fn suffix_platform(family: Family) -> Option<&'static str> {
    match family {
        Family::Emscripten => Some("wasm32-emscripten"),
        Family::Wasi => Some("wasm32-wasi"),
        _ => None,
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn tag(s: &str) -> Tag {
        s.parse().unwrap()
    }

    #[test]
    fn tags_fit_like_packaging_sys_tags() {
        let plat = "pyemscripten_2026_0_wasm32";
        let fits = |t: &str, minor| tag_fits(&tag(&format!("{t}-{plat}")), PythonVersion::new(3, minor));
        assert!(fits("cp314-cp314", 14));
        assert!(!fits("cp314-cp314", 13));
        assert!(!fits("cp313-cp313", 14));
        assert!(fits("cp312-abi3", 12) && fits("cp312-abi3", 14));
        assert!(!fits("cp312-abi3", 11));
        assert!(fits("py3-none", 12));
        assert!(fits("py312-none", 14) && !fits("py313-none", 12));
        assert!(fits("cp313-none", 13) && !fits("cp313-none", 14));
        assert!(!fits("pp310-pypy310_pp73", 10));
        assert!(!fits("cp314-cp314t", 14));
    }

    #[test]
    fn reads_extension_suffixes() {
        assert_eq!(
            extension_suffix("a/_core.cpython-314-wasm32-emscripten.so"),
            Some(ExtensionSuffix::Versioned {
                python: PythonVersion::new(3, 14),
                platform: "wasm32-emscripten".into()
            })
        );
        assert_eq!(extension_suffix("a/_x.abi3.so"), Some(ExtensionSuffix::Abi3));
        assert_eq!(extension_suffix("a.libs/libfoo.so"), Some(ExtensionSuffix::Plain));
        assert_eq!(extension_suffix("a/x.wasm"), None);
        assert_eq!(module_name("pkg/_core.cpython-314-wasm32-emscripten.so"), "_core");
    }

    #[test]
    fn describes_what_tags_need() {
        let tags = [tag("cp313-cp313-pyodide_2025_0_wasm32")];
        assert_eq!(describe_needed(&tags), "3.13");
        assert_eq!(describe_needed(&[tag("cp312-abi3-any")]), ">= 3.12");
        assert_eq!(abi3_minimum(&[tag("cp313-abi3-any"), tag("cp312-abi3-any")]), Some(PythonVersion::new(3, 12)));
    }
}
