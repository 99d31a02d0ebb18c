//! Python versions and the python and ABI parts of compatibility tags (`cp314`, `py3`,
//! `abi3`, `none`), parsed once into types.

use std::fmt;
use std::str::FromStr;

/// A Python feature version: `3.14`.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub struct PythonVersion {
    /// `3`.
    pub major: u32,
    /// `14`.
    pub minor: u32,
}

impl PythonVersion {
    /// `3.14`.
    pub const fn new(major: u32, minor: u32) -> PythonVersion {
        PythonVersion { major, minor }
    }

    /// The feature version of a full release version (`3.14.2`, `3.15.0rc1` -> `3.14`,
    /// `3.15`); `None` when it has fewer than two release numbers.
    pub fn of_release(version: &pep440_rs::Version) -> Option<PythonVersion> {
        match version.release() {
            [major, minor, ..] => Some(PythonVersion::new(u32::try_from(*major).ok()?, u32::try_from(*minor).ok()?)),
            _ => None,
        }
    }
}

impl fmt::Display for PythonVersion {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "{}.{}", self.major, self.minor)
    }
}

/// A text that is not a Python version.
#[derive(Clone, Debug, PartialEq, Eq, thiserror::Error)]
#[error("`{0}` is not a Python version (3.X or 3.X.Y)")]
pub struct PythonVersionError(pub String);

impl FromStr for PythonVersion {
    type Err = PythonVersionError;
    /// `3.14` or `3.14.2` (a full release version gives its feature version).
    fn from_str(s: &str) -> Result<Self, Self::Err> {
        let bad = || PythonVersionError(s.to_string());
        let version: pep440_rs::Version = s.parse().map_err(|_| bad())?;
        PythonVersion::of_release(&version).ok_or_else(bad)
    }
}

/// A Python release version (`3.14.2`, `3.15.0rc1`): a PEP 440 version with at least major and
/// minor numbers, as policies record the interpreter of a platform.
#[derive(Clone, Debug, PartialEq, Eq, Hash)]
pub struct PythonRelease {
    version: pep440_rs::Version,
    feature: PythonVersion,
}

impl PythonRelease {
    /// The full version.
    pub fn version(&self) -> &pep440_rs::Version {
        &self.version
    }

    /// The feature version (`3.14`).
    pub fn feature(&self) -> PythonVersion {
        self.feature
    }
}

impl FromStr for PythonRelease {
    type Err = PythonVersionError;
    fn from_str(s: &str) -> Result<Self, Self::Err> {
        let bad = || PythonVersionError(s.to_string());
        let version: pep440_rs::Version = s.parse().map_err(|_| bad())?;
        let feature = PythonVersion::of_release(&version).ok_or_else(bad)?;
        Ok(PythonRelease { version, feature })
    }
}

impl fmt::Display for PythonRelease {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        self.version.fmt(f)
    }
}

serde_as_text!(PythonRelease);

/// Whether `s` can be one python or ABI tag: ASCII letters, digits and `_`.
pub fn valid_tag_part(s: &str) -> bool {
    !s.is_empty() && s.bytes().all(|b| b.is_ascii_alphanumeric() || b == b'_')
}

/// A python or ABI tag with characters no tag may have.
#[derive(Clone, Debug, PartialEq, Eq, thiserror::Error)]
#[error("`{0}` is not a tag: only ASCII letters, digits and _")]
pub struct TagPartError(pub String);

/// What a python tag names.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
pub enum Interpreter {
    /// `py3`, `py312`: any implementation.
    Generic,
    /// `cp312`: CPython.
    CPython,
    /// `pp310`, `ip27`, ...: another implementation.
    Other,
}

/// The python part of a compatibility tag: interpreter and version, as written.
#[derive(Clone, Debug, PartialEq, Eq, Hash)]
pub struct PythonTag {
    text: String,
    interpreter: Interpreter,
    major: Option<u32>,
    minor: Option<u32>,
}

impl FromStr for PythonTag {
    type Err = TagPartError;
    fn from_str(text: &str) -> Result<Self, Self::Err> {
        if !valid_tag_part(text) {
            return Err(TagPartError(text.to_string()));
        }
        let digits_at = text.find(|c: char| c.is_ascii_digit()).unwrap_or(text.len());
        let (prefix, digits) = text.split_at(digits_at);
        let interpreter = match prefix {
            "py" => Interpreter::Generic,
            "cp" => Interpreter::CPython,
            _ => Interpreter::Other,
        };
        let numeric = !digits.is_empty() && digits.bytes().all(|b| b.is_ascii_digit());
        let (major, minor) = if numeric {
            (digits[..1].parse().ok(), if digits.len() > 1 { digits[1..].parse().ok() } else { None })
        } else {
            (None, None)
        };
        Ok(PythonTag { text: text.to_string(), interpreter, major, minor })
    }
}

impl fmt::Display for PythonTag {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(&self.text)
    }
}

impl PythonTag {
    /// The tag as written.
    pub fn as_str(&self) -> &str {
        &self.text
    }

    /// The implementation it names.
    pub fn interpreter(&self) -> Interpreter {
        self.interpreter
    }

    /// The major version it names (`3` of `cp314`), if it has digits.
    pub fn major(&self) -> Option<u32> {
        self.major
    }

    /// The minor version it names (`14` of `cp314`), if it names one.
    pub fn minor(&self) -> Option<u32> {
        self.minor
    }

    /// The feature version, when the tag names both major and minor.
    pub fn version(&self) -> Option<PythonVersion> {
        Some(PythonVersion::new(self.major?, self.minor?))
    }
}

/// What an ABI tag names.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
pub enum AbiKind {
    /// `abi3`: CPython's stable ABI.
    Abi3,
    /// `none`: no ABI.
    None,
    /// Any other: one interpreter's ABI (`cp314`, `cp314t`, `pypy310_pp73`).
    Specific,
}

/// The ABI part of a compatibility tag, as written.
#[derive(Clone, Debug, PartialEq, Eq, Hash)]
pub struct AbiTag {
    text: String,
    kind: AbiKind,
}

impl FromStr for AbiTag {
    type Err = TagPartError;
    fn from_str(text: &str) -> Result<Self, Self::Err> {
        if !valid_tag_part(text) {
            return Err(TagPartError(text.to_string()));
        }
        let kind = match text {
            "abi3" => AbiKind::Abi3,
            "none" => AbiKind::None,
            _ => AbiKind::Specific,
        };
        Ok(AbiTag { text: text.to_string(), kind })
    }
}

impl fmt::Display for AbiTag {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(&self.text)
    }
}

impl AbiTag {
    /// The tag as written.
    pub fn as_str(&self) -> &str {
        &self.text
    }

    /// What it names.
    pub fn kind(&self) -> AbiKind {
        self.kind
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn versions() {
        assert_eq!("3.14.2".parse::<PythonVersion>().unwrap(), PythonVersion::new(3, 14));
        assert_eq!("3.15.0rc1".parse::<PythonVersion>().unwrap(), PythonVersion::new(3, 15));
        assert_eq!("3.12".parse::<PythonVersion>().unwrap().to_string(), "3.12");
        for bad in ["x.y", "3", "", "3.x"] {
            assert!(bad.parse::<PythonVersion>().is_err(), "{bad}");
        }
        assert!(PythonVersion::new(3, 9) < PythonVersion::new(3, 10));
    }

    #[test]
    fn python_and_abi_tags() {
        let cp: PythonTag = "cp314".parse().unwrap();
        assert_eq!((cp.interpreter(), cp.version()), (Interpreter::CPython, Some(PythonVersion::new(3, 14))));
        let py: PythonTag = "py3".parse().unwrap();
        assert_eq!((py.interpreter(), py.major(), py.minor()), (Interpreter::Generic, Some(3), None));
        assert_eq!("pp310".parse::<PythonTag>().unwrap().interpreter(), Interpreter::Other);
        assert!("cp3-12".parse::<PythonTag>().is_err());
        assert_eq!("abi3".parse::<AbiTag>().unwrap().kind(), AbiKind::Abi3);
        assert_eq!("cp314t".parse::<AbiTag>().unwrap().kind(), AbiKind::Specific);
    }
}
