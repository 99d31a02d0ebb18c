//! The wheel tags a release's micropip installs, best first, as `packaging.tags.sys_tags()`
//! orders them (CPython's own ABI, abi3 back to 3.2, `none`, then the pure `py3*` tags on the
//! platform and on `any`), over the platform tags micropip accepts there (the policy's
//! `installers`, e.g. `pyemscripten_2026_0_wasm32`, `pyodide_2026_0_wasm32`,
//! `emscripten_5_0_3_wasm32`). A wheel's rank is the position of its best tag: the lower, the
//! better; a wheel none of whose tags is listed is not installable.

use std::collections::HashMap;

use crate::python::PythonVersion;
use crate::wheel::WheelFilename;

/// The supported tags, ranked.
#[derive(Clone, Debug)]
pub struct SupportedTags {
    rank: HashMap<(String, String, String), usize>,
}

impl SupportedTags {
    /// The tags of CPython `python` on `platforms` (best first).
    pub fn new(python: PythonVersion, platforms: &[String]) -> SupportedTags {
        let (major, minor) = (python.major, python.minor);
        let cp = format!("cp{major}{minor}");
        let mut tags: Vec<(String, String, String)> = Vec::new();
        let mut push = |py: &str, abi: &str, platform: &str| tags.push((py.into(), abi.into(), platform.into()));
        for platform in platforms {
            push(&cp, &cp, platform);
        }
        for platform in platforms {
            push(&cp, "abi3", platform);
        }
        for platform in platforms {
            push(&cp, "none", platform);
        }
        for older in (2..minor).rev() {
            for platform in platforms {
                push(&format!("cp{major}{older}"), "abi3", platform);
            }
        }
        let py_versions: Vec<String> = std::iter::once(format!("py{major}{minor}"))
            .chain(std::iter::once(format!("py{major}")))
            .chain((0..minor).rev().map(|m| format!("py{major}{m}")))
            .collect();
        for py in &py_versions {
            for platform in platforms {
                push(py, "none", platform);
            }
        }
        push(&cp, "none", "any");
        for py in &py_versions {
            push(py, "none", "any");
        }
        let mut rank = HashMap::new();
        for (index, tag) in tags.into_iter().enumerate() {
            rank.entry(tag).or_insert(index);
        }
        SupportedTags { rank }
    }

    /// The rank of the wheel's best tag, if any of its tags is supported.
    pub fn rank(&self, filename: &WheelFilename) -> Option<usize> {
        filename
            .tags()
            .iter()
            .filter_map(|t| {
                let key = (t.python.to_string(), t.abi.to_string(), t.platform.to_string());
                self.rank.get(&key).copied()
            })
            .min()
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn tags() -> SupportedTags {
        let platforms = ["pyemscripten_2026_0_wasm32".to_string(), "emscripten_5_0_3_wasm32".to_string()];
        SupportedTags::new(PythonVersion { major: 3, minor: 14 }, &platforms)
    }

    fn rank(name: &str) -> Option<usize> {
        tags().rank(&name.parse().unwrap())
    }

    #[test]
    fn ranks_as_packaging_does() {
        let own = rank("x-1-cp314-cp314-pyemscripten_2026_0_wasm32.whl").unwrap();
        let generic = rank("x-1-cp314-cp314-emscripten_5_0_3_wasm32.whl").unwrap();
        let abi3 = rank("x-1-cp312-abi3-pyemscripten_2026_0_wasm32.whl").unwrap();
        let pure = rank("x-1-py3-none-any.whl").unwrap();
        assert!(own < generic && generic < abi3 && abi3 < pure);
        assert_eq!(rank("x-1-cp313-cp313-pyemscripten_2026_0_wasm32.whl"), None, "another CPython's ABI");
        assert_eq!(rank("x-1-cp314-cp314-pyemscripten_2025_0_wasm32.whl"), None, "another platform");
        assert_eq!(rank("x-1-cp314-cp314-manylinux_2_17_x86_64.whl"), None);
        assert!(rank("x-1-py2.py3-none-any.whl").is_some());
    }
}
