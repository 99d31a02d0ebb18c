//! Wheel filenames, per the binary distribution format:
//! `{name}-{version}(-{build})?-{python}-{abi}-{platform}.whl`, with compressed tag sets
//! (`cp312.cp313`) expanded.

use std::fmt;
use std::str::FromStr;

use crate::platform::PlatformTag;

/// A parsed wheel filename.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct WheelFilename {
    /// The distribution name component, as written.
    pub name: String,
    /// The version component, as written.
    pub version: String,
    /// The optional build tag (starts with a digit).
    pub build: Option<String>,
    /// Python tags (`cp314`, `py3`).
    pub python_tags: Vec<String>,
    /// ABI tags (`cp314`, `abi3`, `none`).
    pub abi_tags: Vec<String>,
    /// Platform tags.
    pub platform_tags: Vec<PlatformTag>,
}

/// One expanded `python-abi-platform` triple.
#[derive(Clone, Debug, PartialEq, Eq, Hash)]
pub struct Tag {
    /// Python tag.
    pub python: String,
    /// ABI tag.
    pub abi: String,
    /// Platform tag.
    pub platform: PlatformTag,
}

impl fmt::Display for Tag {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "{}-{}-{}", self.python, self.abi, self.platform)
    }
}

impl FromStr for Tag {
    type Err = String;
    fn from_str(s: &str) -> Result<Self, Self::Err> {
        let mut parts = s.split('-');
        match (parts.next(), parts.next(), parts.next(), parts.next()) {
            (Some(python), Some(abi), Some(platform), None) if valid_tag_part(python) && valid_tag_part(abi) => {
                Ok(Tag { python: python.to_string(), abi: abi.to_string(), platform: platform.parse()? })
            }
            _ => Err(format!("`{s}` is not a python-abi-platform tag")),
        }
    }
}

/// Whether `s` can be one python or ABI tag: ASCII letters, digits and `_`.
pub fn valid_tag_part(s: &str) -> bool {
    !s.is_empty() && s.bytes().all(|b| b.is_ascii_alphanumeric() || b == b'_')
}

fn tag_set<T, E: fmt::Display>(s: &str, what: &str, parse: impl Fn(&str) -> Result<T, E>) -> Result<Vec<T>, String> {
    s.split('.')
        .map(|part| {
            if part.is_empty() {
                Err(format!("empty {what} tag in `{s}`"))
            } else {
                parse(part).map_err(|e| format!("bad {what} tag `{part}`: {e}"))
            }
        })
        .collect()
}

impl FromStr for WheelFilename {
    type Err = String;
    fn from_str(filename: &str) -> Result<Self, Self::Err> {
        let stem = filename.strip_suffix(".whl").ok_or_else(|| format!("`{filename}` does not end in .whl"))?;
        let parts: Vec<&str> = stem.split('-').collect();
        let (name, version, build, tags) = match parts.as_slice() {
            [name, version, py, abi, plat] => (*name, *version, None, [*py, *abi, *plat]),
            [name, version, build, py, abi, plat] => (*name, *version, Some(*build), [*py, *abi, *plat]),
            _ => {
                return Err(format!(
                    "`{filename}` is not name-version(-build)-python-abi-platform.whl ({} dash-separated parts)",
                    parts.len()
                ));
            }
        };
        if name.is_empty() || version.is_empty() {
            return Err(format!("`{filename}` has an empty name or version"));
        }
        if let Some(build) = build
            && !build.starts_with(|c: char| c.is_ascii_digit())
        {
            return Err(format!("build tag `{build}` of `{filename}` does not start with a digit"));
        }
        let simple = |s: &str| if valid_tag_part(s) { Ok(s.to_string()) } else { Err("bad characters") };
        Ok(WheelFilename {
            name: name.to_string(),
            version: version.to_string(),
            build: build.map(str::to_string),
            python_tags: tag_set(tags[0], "python", simple)?,
            abi_tags: tag_set(tags[1], "abi", simple)?,
            platform_tags: tag_set(tags[2], "platform", PlatformTag::from_str)?,
        })
    }
}

impl fmt::Display for WheelFilename {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "{}-{}", self.name, self.version)?;
        if let Some(build) = &self.build {
            write!(f, "-{build}")?;
        }
        let plats: Vec<&str> = self.platform_tags.iter().map(PlatformTag::as_str).collect();
        write!(f, "-{}-{}-{}.whl", self.python_tags.join("."), self.abi_tags.join("."), plats.join("."))
    }
}

impl WheelFilename {
    /// Every `python-abi-platform` triple of the compressed tag sets.
    pub fn tags(&self) -> Vec<Tag> {
        let mut out = Vec::new();
        for python in &self.python_tags {
            for abi in &self.abi_tags {
                for platform in &self.platform_tags {
                    out.push(Tag { python: python.clone(), abi: abi.clone(), platform: platform.clone() });
                }
            }
        }
        out
    }

    /// The name of the `.dist-info` folder this wheel should hold.
    pub fn dist_info(&self) -> String {
        format!("{}-{}.dist-info", self.name, self.version)
    }

    /// The folder vendored libraries go to: `<dist>.libs`, named as Pyodide 0.26-0.27 look it up
    /// (the filename's name component).
    pub fn libs_dir(&self) -> String {
        format!("{}.libs", self.name)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn parses_and_expands_compressed_tag_sets() {
        let f: WheelFilename = "pkg-1.0-cp312.cp313-abi3-pyemscripten_2026_0_wasm32.whl".parse().unwrap();
        assert_eq!(f.name, "pkg");
        let tags: Vec<String> = f.tags().iter().map(Tag::to_string).collect();
        assert_eq!(tags, ["cp312-abi3-pyemscripten_2026_0_wasm32", "cp313-abi3-pyemscripten_2026_0_wasm32"]);
        assert_eq!(f.to_string(), "pkg-1.0-cp312.cp313-abi3-pyemscripten_2026_0_wasm32.whl");
    }

    #[test]
    fn parses_build_tag() {
        let f: WheelFilename = "pkg-1.0-1a-py3-none-any.whl".parse().unwrap();
        assert_eq!(f.build.as_deref(), Some("1a"));
        assert!("pkg-1.0-a1-py3-none-any.whl".parse::<WheelFilename>().is_err());
    }

    #[test]
    fn rejects_malformed_names() {
        for bad in [
            "pkg-1.0.whl",
            "pkg-1.0-py3-none-any.zip",
            "pkg-1.0-py3--any.whl",
            "-1.0-py3-none-any.whl",
            "a-b-c-d-e-f-g.whl",
        ] {
            assert!(bad.parse::<WheelFilename>().is_err(), "{bad}");
        }
    }
}
