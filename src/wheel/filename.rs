//! Wheel filenames, per the binary distribution format:
//! `{name}-{version}(-{build})?-{python}-{abi}-{platform}.whl`, with compressed tag sets
//! (`cp312.cp313`) expanded. Every part is parsed once into a type; each prints back as written.

use std::fmt;
use std::str::FromStr;

use pep440_rs::{Version, VersionParseError};
use pep508_rs::{InvalidNameError, PackageName};

use crate::platform::{PlatformTag, PlatformTagError};
use crate::python::{AbiTag, PythonTag, TagPartError};

/// Why a text is not a wheel filename, or not a tag.
#[derive(Clone, Debug, PartialEq, Eq, thiserror::Error)]
pub enum FilenameError {
    /// No `.whl` extension.
    #[error("`{0}` does not end in .whl")]
    Extension(String),
    /// Not five or six dash-separated parts.
    #[error("`{filename}` is not name-version(-build)-python-abi-platform.whl ({parts} dash-separated parts)")]
    Parts {
        /// The filename.
        filename: String,
        /// How many parts it has.
        parts: usize,
    },
    /// The name part is empty.
    #[error("the distribution name is empty")]
    EmptyName,
    /// The name part is not a distribution name.
    #[error("`{0}` is not a distribution name")]
    Name(String, #[source] InvalidNameError),
    /// The version part is not a PEP 440 version.
    #[error("`{0}` is not a PEP 440 version")]
    Version(String, #[source] VersionParseError),
    /// The build tag does not start with a digit, or holds what a build tag cannot (a path
    /// separator, `..`, anything but letters, digits, `_` and `.`).
    #[error("build tag `{0}` is not a digit followed by letters, digits, `_` or `.`")]
    Build(String),
    /// A tag set with an empty member (`cp312.`), or no member.
    #[error("empty {what} tag in `{set}`")]
    EmptyTag {
        /// `python`, `abi` or `platform`.
        what: &'static str,
        /// The tag set as written.
        set: String,
    },
    /// A python or ABI tag with bad characters.
    #[error("bad {what} tag")]
    Tag {
        /// `python` or `abi`.
        what: &'static str,
        /// Why.
        #[source]
        source: TagPartError,
    },
    /// A platform tag that cannot be one.
    #[error("bad platform tag")]
    Platform(#[source] PlatformTagError),
    /// Not `python-abi-platform`.
    #[error("`{0}` is not a python-abi-platform tag")]
    Triple(String),
}

/// The distribution name part of a filename: as written, and normalized (PEP 503).
#[derive(Clone, Debug, PartialEq, Eq, Hash)]
pub struct DistName {
    text: String,
    normalized: PackageName,
}

impl DistName {
    /// The name as written.
    pub fn as_str(&self) -> &str {
        &self.text
    }

    /// The normalized name (`Foo_Bar` -> `foo-bar`).
    pub fn normalized(&self) -> &PackageName {
        &self.normalized
    }
}

impl fmt::Display for DistName {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(&self.text)
    }
}

impl FromStr for DistName {
    type Err = FilenameError;
    fn from_str(text: &str) -> Result<Self, Self::Err> {
        if text.is_empty() {
            return Err(FilenameError::EmptyName);
        }
        let normalized = PackageName::from_str(text).map_err(|e| FilenameError::Name(text.to_string(), e))?;
        Ok(DistName { text: text.to_string(), normalized })
    }
}

/// The version part of a filename: as written, and parsed (PEP 440).
#[derive(Clone, Debug, PartialEq, Eq, Hash)]
pub struct WheelVersion {
    text: String,
    version: Version,
}

impl WheelVersion {
    /// The version as written.
    pub fn as_str(&self) -> &str {
        &self.text
    }

    /// The parsed version.
    pub fn version(&self) -> &Version {
        &self.version
    }
}

impl fmt::Display for WheelVersion {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(&self.text)
    }
}

impl FromStr for WheelVersion {
    type Err = FilenameError;
    fn from_str(text: &str) -> Result<Self, Self::Err> {
        let version = Version::from_str(text).map_err(|e| FilenameError::Version(text.to_string(), e))?;
        Ok(WheelVersion { text: text.to_string(), version })
    }
}

/// One expanded `python-abi-platform` triple.
#[derive(Clone, Debug, PartialEq, Eq, Hash)]
pub struct Tag {
    /// Python tag.
    pub python: PythonTag,
    /// ABI tag.
    pub abi: AbiTag,
    /// Platform tag.
    pub platform: PlatformTag,
}

impl fmt::Display for Tag {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "{}-{}-{}", self.python, self.abi, self.platform)
    }
}

serde_as_text!(Tag);

impl FromStr for Tag {
    type Err = FilenameError;
    fn from_str(s: &str) -> Result<Self, Self::Err> {
        let mut parts = s.split('-');
        match (parts.next(), parts.next(), parts.next(), parts.next()) {
            (Some(python), Some(abi), Some(platform), None) => Ok(Tag {
                python: python.parse().map_err(|source| FilenameError::Tag { what: "python", source })?,
                abi: abi.parse().map_err(|source| FilenameError::Tag { what: "abi", source })?,
                platform: platform.parse().map_err(FilenameError::Platform)?,
            }),
            _ => Err(FilenameError::Triple(s.to_string())),
        }
    }
}

/// Parses a compressed tag set (`cp312.cp313`).
fn tag_set<T>(
    set: &str,
    what: &'static str,
    parse: impl Fn(&str) -> Result<T, FilenameError>,
) -> Result<Vec<T>, FilenameError> {
    set.split('.')
        .map(
            |part| {
                if part.is_empty() { Err(FilenameError::EmptyTag { what, set: set.to_string() }) } else { parse(part) }
            },
        )
        .collect()
}

/// The compressed tag sets of a filename: each non-empty.
#[derive(Clone, Debug, PartialEq, Eq, Hash)]
pub struct TagSets {
    python: Vec<PythonTag>,
    abi: Vec<AbiTag>,
    platform: Vec<PlatformTag>,
}

impl TagSets {
    /// Tag sets from their members; an empty set is an error.
    pub fn new(python: Vec<PythonTag>, abi: Vec<AbiTag>, platform: Vec<PlatformTag>) -> Result<TagSets, FilenameError> {
        for (what, empty) in [("python", python.is_empty()), ("abi", abi.is_empty()), ("platform", platform.is_empty())]
        {
            if empty {
                return Err(FilenameError::EmptyTag { what, set: String::new() });
            }
        }
        Ok(TagSets { python, abi, platform })
    }

    /// Parses `python-abi-platform` compressed sets.
    fn parse(python: &str, abi: &str, platform: &str) -> Result<TagSets, FilenameError> {
        Ok(TagSets {
            python: tag_set(python, "python", |t| {
                t.parse().map_err(|source| FilenameError::Tag { what: "python", source })
            })?,
            abi: tag_set(abi, "abi", |t| t.parse().map_err(|source| FilenameError::Tag { what: "abi", source }))?,
            platform: tag_set(platform, "platform", |t| t.parse().map_err(FilenameError::Platform))?,
        })
    }

    /// Python tags.
    pub fn python(&self) -> &[PythonTag] {
        &self.python
    }

    /// ABI tags.
    pub fn abi(&self) -> &[AbiTag] {
        &self.abi
    }

    /// Platform tags.
    pub fn platform(&self) -> &[PlatformTag] {
        &self.platform
    }

    /// Every `python-abi-platform` triple.
    pub fn expand(&self) -> Vec<Tag> {
        let mut out = Vec::new();
        for python in &self.python {
            for abi in &self.abi {
                for platform in &self.platform {
                    out.push(Tag { python: python.clone(), abi: abi.clone(), platform: platform.clone() });
                }
            }
        }
        out
    }
}

impl fmt::Display for TagSets {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        let join = |items: Vec<&str>| items.join(".");
        write!(
            f,
            "{}-{}-{}",
            join(self.python.iter().map(PythonTag::as_str).collect()),
            join(self.abi.iter().map(AbiTag::as_str).collect()),
            join(self.platform.iter().map(PlatformTag::as_str).collect())
        )
    }
}

/// A parsed wheel filename.
#[derive(Clone, Debug, PartialEq, Eq, Hash)]
pub struct WheelFilename {
    /// The distribution name.
    pub name: DistName,
    /// The version.
    pub version: WheelVersion,
    /// The optional build tag (starts with a digit).
    pub build: Option<String>,
    /// The compressed tag sets.
    pub tags: TagSets,
}

impl FromStr for WheelFilename {
    type Err = FilenameError;
    fn from_str(filename: &str) -> Result<Self, Self::Err> {
        let stem = filename.strip_suffix(".whl").ok_or_else(|| FilenameError::Extension(filename.to_string()))?;
        let parts: Vec<&str> = stem.split('-').collect();
        let (name, version, build, tags) = match parts.as_slice() {
            [name, version, py, abi, plat] => (*name, *version, None, [*py, *abi, *plat]),
            [name, version, build, py, abi, plat] => (*name, *version, Some(*build), [*py, *abi, *plat]),
            _ => return Err(FilenameError::Parts { filename: filename.to_string(), parts: parts.len() }),
        };
        if let Some(build) = build
            && !is_build_tag(build)
        {
            return Err(FilenameError::Build(build.to_string()));
        }
        Ok(WheelFilename {
            name: name.parse()?,
            version: version.parse()?,
            build: build.map(str::to_string),
            tags: TagSets::parse(tags[0], tags[1], tags[2])?,
        })
    }
}

/// A build tag: a digit, then ASCII letters, digits, `_` and `.` (never `..`): a file name from
/// an index is data, and must never name another folder.
fn is_build_tag(text: &str) -> bool {
    text.starts_with(|c: char| c.is_ascii_digit())
        && text.bytes().all(|b| b.is_ascii_alphanumeric() || b == b'_' || b == b'.')
        && !text.contains("..")
}

impl fmt::Display for WheelFilename {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "{}-{}", self.name, self.version)?;
        if let Some(build) = &self.build {
            write!(f, "-{build}")?;
        }
        write!(f, "-{}.whl", self.tags)
    }
}

impl WheelFilename {
    /// Every `python-abi-platform` triple of the compressed tag sets.
    pub fn tags(&self) -> Vec<Tag> {
        self.tags.expand()
    }

    /// The platform tags.
    pub fn platform_tags(&self) -> &[PlatformTag] {
        self.tags.platform()
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

    /// The same filename with other platform tags.
    pub fn with_platform_tags(&self, platform: Vec<PlatformTag>) -> Result<WheelFilename, FilenameError> {
        let tags = TagSets::new(self.tags.python.clone(), self.tags.abi.clone(), platform)?;
        Ok(WheelFilename { tags, ..self.clone() })
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn parses_and_expands_compressed_tag_sets() {
        let f: WheelFilename = "pkg-1.0-cp312.cp313-abi3-pyemscripten_2026_0_wasm32.whl".parse().unwrap();
        assert_eq!(f.name.as_str(), "pkg");
        assert_eq!(f.version.version(), &Version::new([1, 0]));
        let tags: Vec<String> = f.tags().iter().map(Tag::to_string).collect();
        assert_eq!(tags, ["cp312-abi3-pyemscripten_2026_0_wasm32", "cp313-abi3-pyemscripten_2026_0_wasm32"]);
        assert_eq!(f.to_string(), "pkg-1.0-cp312.cp313-abi3-pyemscripten_2026_0_wasm32.whl");
    }

    #[test]
    fn keeps_name_and_version_as_written() {
        let f: WheelFilename = "Foo_Bar-01.0-py3-none-any.whl".parse().unwrap();
        assert_eq!(f.name.normalized().as_ref(), "foo-bar");
        assert_eq!(f.to_string(), "Foo_Bar-01.0-py3-none-any.whl");
        assert_eq!(f.dist_info(), "Foo_Bar-01.0.dist-info");
    }

    #[test]
    fn parses_build_tag() {
        let f: WheelFilename = "pkg-1.0-1a-py3-none-any.whl".parse().unwrap();
        assert_eq!(f.build.as_deref(), Some("1a"));
        assert_eq!("pkg-1.0-a1-py3-none-any.whl".parse::<WheelFilename>(), Err(FilenameError::Build("a1".into())));
        for hostile in ["1/../../x", "1\\..\\x", "1..", "1 x"] {
            let name = format!("pkg-1.0-{hostile}-py3-none-any.whl");
            assert!(name.parse::<WheelFilename>().is_err(), "{name}");
        }
    }

    #[test]
    fn rejects_malformed_names() {
        for bad in [
            "pkg-1.0.whl",
            "pkg-1.0-py3-none-any.zip",
            "pkg-1.0-py3--any.whl",
            "-1.0-py3-none-any.whl",
            "pkg-one-py3-none-any.whl",
            "pkg-1.0-py3.-none-any.whl",
            "a-b-c-d-e-f-g.whl",
        ] {
            assert!(bad.parse::<WheelFilename>().is_err(), "{bad}");
        }
        assert!(TagSets::new(Vec::new(), Vec::new(), Vec::new()).is_err());
    }
}
