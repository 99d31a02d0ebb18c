//! Wheel platform tags: parsed once, classified, printed back as written.
//!
//! The WebAssembly spellings are those of PEP 783 (`pyemscripten_<year>_<patch>_wasm32`), its
//! predecessor (`pyodide_<year>_<patch>_wasm32`), the generic sysconfig spelling
//! (`emscripten_<x>_<y>_<z>_wasm32`) and the community WASI convention (`wasi_<x>_<y>_<z>_wasm32`).

use std::fmt;
use std::str::FromStr;

/// An Emscripten ABI as PEP 783 names it: `<year>_<patch>`, e.g. `2026_0`.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub struct Abi {
    /// The year of the ABI.
    pub year: u32,
    /// The patch number within the year.
    pub patch: u32,
}

impl fmt::Display for Abi {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "{}_{}", self.year, self.patch)
    }
}

/// A text that is not an Emscripten ABI.
#[derive(Clone, Debug, PartialEq, Eq, thiserror::Error)]
#[error("`{0}` is not an ABI of the form <year>_<patch>")]
pub struct AbiError(pub String);

impl FromStr for Abi {
    type Err = AbiError;
    fn from_str(s: &str) -> Result<Self, Self::Err> {
        let (year, patch) = s.split_once('_').ok_or_else(|| AbiError(s.to_string()))?;
        match (number(year), number(patch)) {
            (Some(year), Some(patch)) => Ok(Abi { year, patch }),
            _ => Err(AbiError(s.to_string())),
        }
    }
}

impl Abi {
    /// The canonical PEP 783 platform tag of this ABI: `pyemscripten_<year>_<patch>_wasm32`.
    pub fn canonical_tag(self) -> PlatformTag {
        PlatformTag { text: format!("pyemscripten_{self}_wasm32"), kind: PlatformKind::PyEmscripten(self) }
    }
}

serde_as_text!(Abi);

/// What a platform tag names.
#[derive(Clone, Debug, PartialEq, Eq, Hash)]
pub enum PlatformKind {
    /// `pyemscripten_<year>_<patch>_wasm32` (PEP 783), the spelling PyPI accepts.
    PyEmscripten(Abi),
    /// `pyodide_<year>_<patch>_wasm32`, the older spelling of the same ABI.
    Pyodide(Abi),
    /// `emscripten_<x>_<y>_<z>_wasm32`, the sysconfig platform: an Emscripten version, no ABI.
    Emscripten([u32; 3]),
    /// `wasi_<x>_<y>_<z>_wasm32`, the WASI convention (no PEP defines it).
    Wasi([u32; 3]),
    /// `any`: a pure wheel.
    Any,
    /// Any other platform (manylinux, macosx, win, ...).
    Other,
}

/// The family of platforms a tag belongs to.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash, serde::Serialize)]
#[serde(rename_all = "kebab-case")]
pub enum Family {
    /// Emscripten (Pyodide) platforms.
    Emscripten,
    /// WASI platforms.
    Wasi,
    /// `any`.
    Pure,
    /// Native platforms, which have no place for wasm binaries.
    Native,
}

impl fmt::Display for Family {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(match self {
            Family::Emscripten => "emscripten",
            Family::Wasi => "wasi",
            Family::Pure => "pure",
            Family::Native => "native",
        })
    }
}

/// A platform tag: the text as written, and what it names.
#[derive(Clone, Debug, PartialEq, Eq, Hash)]
pub struct PlatformTag {
    text: String,
    kind: PlatformKind,
}

fn number(s: &str) -> Option<u32> {
    if s.is_empty() || !s.bytes().all(|b| b.is_ascii_digit()) {
        return None;
    }
    s.parse().ok()
}

fn version3(s: &str) -> Option<[u32; 3]> {
    let mut parts = s.split('_');
    let v = [number(parts.next()?)?, number(parts.next()?)?, number(parts.next()?)?];
    parts.next().is_none().then_some(v)
}

/// A text that cannot be a platform tag.
#[derive(Clone, Debug, PartialEq, Eq, thiserror::Error)]
#[error("`{0}` is not a platform tag")]
pub struct PlatformTagError(pub String);

impl FromStr for PlatformTag {
    type Err = PlatformTagError;
    fn from_str(text: &str) -> Result<Self, Self::Err> {
        if !crate::python::valid_tag_part(text) {
            return Err(PlatformTagError(text.to_string()));
        }
        let kind = if text == "any" {
            PlatformKind::Any
        } else if let Some(rest) = text.strip_suffix("_wasm32") {
            if let Some(abi) = rest.strip_prefix("pyemscripten_").and_then(|a| a.parse().ok()) {
                PlatformKind::PyEmscripten(abi)
            } else if let Some(abi) = rest.strip_prefix("pyodide_").and_then(|a| a.parse().ok()) {
                PlatformKind::Pyodide(abi)
            } else if let Some(v) = rest.strip_prefix("emscripten_").and_then(version3) {
                PlatformKind::Emscripten(v)
            } else if let Some(v) = rest.strip_prefix("wasi_").and_then(version3) {
                PlatformKind::Wasi(v)
            } else {
                PlatformKind::Other
            }
        } else {
            PlatformKind::Other
        };
        Ok(PlatformTag { text: text.to_string(), kind })
    }
}

impl PartialOrd for PlatformTag {
    fn partial_cmp(&self, other: &Self) -> Option<std::cmp::Ordering> {
        Some(self.cmp(other))
    }
}

impl Ord for PlatformTag {
    /// By the text as written.
    fn cmp(&self, other: &Self) -> std::cmp::Ordering {
        self.text.cmp(&other.text)
    }
}

impl fmt::Display for PlatformTag {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(&self.text)
    }
}

serde_as_text!(PlatformTag);

impl PlatformTag {
    /// The tag as written.
    pub fn as_str(&self) -> &str {
        &self.text
    }

    /// What the tag names.
    pub fn kind(&self) -> &PlatformKind {
        &self.kind
    }

    /// The Emscripten ABI the tag pins, if it pins one.
    pub fn abi(&self) -> Option<Abi> {
        match self.kind {
            PlatformKind::PyEmscripten(abi) | PlatformKind::Pyodide(abi) => Some(abi),
            _ => None,
        }
    }

    /// The family of platforms the tag belongs to.
    pub fn family(&self) -> Family {
        match self.kind {
            PlatformKind::PyEmscripten(_) | PlatformKind::Pyodide(_) | PlatformKind::Emscripten(_) => {
                Family::Emscripten
            }
            PlatformKind::Wasi(_) => Family::Wasi,
            PlatformKind::Any => Family::Pure,
            PlatformKind::Other if self.text.ends_with("_wasm32") && self.text.contains("wasi") => Family::Wasi,
            PlatformKind::Other if self.text.ends_with("_wasm32") => Family::Emscripten,
            PlatformKind::Other => Family::Native,
        }
    }

    /// The PEP 783 spelling of a legacy `pyodide_*` tag; any other tag unchanged.
    pub fn canonical(&self) -> PlatformTag {
        match self.kind {
            PlatformKind::Pyodide(abi) => abi.canonical_tag(),
            _ => self.clone(),
        }
    }

    /// Whether PyPI accepts uploads with this tag.
    ///
    /// For WebAssembly, warehouse accepts only `pyemscripten_\d+_\d+_wasm32`; `pyodide_*`,
    /// `emscripten_*` and `wasi_*` are refused. For native platforms this follows warehouse's
    /// list of platform prefixes (plain `linux_*` is refused).
    pub fn accepted_by_pypi(&self) -> bool {
        match self.kind {
            PlatformKind::PyEmscripten(_) | PlatformKind::Any => true,
            PlatformKind::Pyodide(_) | PlatformKind::Emscripten(_) | PlatformKind::Wasi(_) => false,
            PlatformKind::Other => {
                const ACCEPTED_PREFIXES: [&str; 8] =
                    ["manylinux", "musllinux", "macosx_", "win32", "win_", "ios_", "android_", "linux_armv"];
                self.family() == Family::Native && ACCEPTED_PREFIXES.iter().any(|p| self.text.starts_with(p))
            }
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn tag(s: &str) -> PlatformTag {
        s.parse().unwrap()
    }

    #[test]
    fn classifies_wasm_spellings() {
        assert_eq!(tag("pyemscripten_2026_0_wasm32").kind(), &PlatformKind::PyEmscripten(Abi { year: 2026, patch: 0 }));
        assert_eq!(tag("pyodide_2024_0_wasm32").abi(), Some(Abi { year: 2024, patch: 0 }));
        assert_eq!(tag("emscripten_3_1_58_wasm32").kind(), &PlatformKind::Emscripten([3, 1, 58]));
        assert_eq!(tag("wasi_0_0_0_wasm32").family(), Family::Wasi);
        assert_eq!(tag("manylinux_2_17_x86_64").family(), Family::Native);
        assert_eq!(tag("any").family(), Family::Pure);
    }

    #[test]
    fn canonical_maps_legacy_spelling_only() {
        assert_eq!(tag("pyodide_2025_0_wasm32").canonical().to_string(), "pyemscripten_2025_0_wasm32");
        assert_eq!(tag("emscripten_4_0_9_wasm32").canonical().to_string(), "emscripten_4_0_9_wasm32");
    }

    #[test]
    fn pypi_acceptance_matches_warehouse_for_wasm() {
        assert!(tag("pyemscripten_2026_0_wasm32").accepted_by_pypi());
        for t in ["pyodide_2024_0_wasm32", "emscripten_3_1_58_wasm32", "wasi_0_0_0_wasm32", "linux_x86_64"] {
            assert!(!tag(t).accepted_by_pypi(), "{t}");
        }
        assert!(tag("manylinux_2_17_x86_64").accepted_by_pypi());
    }

    #[test]
    fn keeps_the_text_as_written() {
        assert_eq!(tag("pyemscripten_2026_00_wasm32").to_string(), "pyemscripten_2026_00_wasm32");
        assert!("a-b".parse::<PlatformTag>().is_err());
    }
}
