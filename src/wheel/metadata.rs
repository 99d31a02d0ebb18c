//! `*.dist-info/METADATA`: core metadata, with the name, version and requirements parsed by
//! pep440_rs and pep508_rs, and the Metadata-Version as a number pair.

use std::fmt;
use std::str::FromStr;

use pep440_rs::{Version, VersionParseError, VersionSpecifiers, VersionSpecifiersParseError};
use pep508_rs::{InvalidNameError, PackageName, Pep508Error, Requirement};

use super::DistInfoError;
use super::headers::Headers;

/// Core metadata of a distribution.
#[derive(Clone, Debug)]
pub struct Metadata {
    /// The raw header fields.
    pub headers: Headers,
}

/// A field whose value does not parse.
#[derive(Debug, thiserror::Error)]
pub enum FieldError {
    /// `Metadata-Version` is not `X.Y`.
    #[error("Metadata-Version `{0}` is not a version")]
    MetadataVersion(String),
    /// `Name` is not a project name.
    #[error("Name `{0}` is not a valid project name")]
    Name(String, #[source] InvalidNameError),
    /// `Version` is not PEP 440.
    #[error("Version `{0}` is not a PEP 440 version")]
    Version(String, #[source] VersionParseError),
    /// A `Requires-Dist` is not PEP 508.
    #[error("Requires-Dist `{0}` is not PEP 508")]
    RequiresDist(String, #[source] Box<Pep508Error>),
    /// `Requires-Python` is not a specifier set.
    #[error("Requires-Python `{0}` is not a version specifier")]
    RequiresPython(String, #[source] VersionSpecifiersParseError),
}

/// A `Metadata-Version`: `2.4`.
#[derive(Clone, Copy, Debug, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub struct MetadataVersion {
    /// `2`.
    pub major: u32,
    /// `4`.
    pub minor: u32,
}

impl MetadataVersion {
    /// Every Metadata-Version the core metadata specifications have defined.
    pub const KNOWN: [MetadataVersion; 9] = [
        MetadataVersion::new(1, 0),
        MetadataVersion::new(1, 1),
        MetadataVersion::new(1, 2),
        MetadataVersion::new(2, 0),
        MetadataVersion::new(2, 1),
        MetadataVersion::new(2, 2),
        MetadataVersion::new(2, 3),
        MetadataVersion::new(2, 4),
        MetadataVersion::new(2, 5),
    ];

    /// `major.minor`.
    pub const fn new(major: u32, minor: u32) -> MetadataVersion {
        MetadataVersion { major, minor }
    }
}

impl FromStr for MetadataVersion {
    type Err = FieldError;
    fn from_str(s: &str) -> Result<Self, Self::Err> {
        let bad = || FieldError::MetadataVersion(s.to_string());
        let (major, minor) = s.split_once('.').ok_or_else(bad)?;
        let number = |p: &str| if p.bytes().all(|b| b.is_ascii_digit()) { p.parse().ok() } else { None };
        Ok(MetadataVersion::new(number(major).ok_or_else(bad)?, number(minor).ok_or_else(bad)?))
    }
}

impl fmt::Display for MetadataVersion {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "{}.{}", self.major, self.minor)
    }
}

impl Metadata {
    /// Parses METADATA bytes; they must be UTF-8.
    pub fn parse(bytes: &[u8]) -> Result<Metadata, DistInfoError> {
        let text = std::str::from_utf8(bytes).map_err(|source| DistInfoError::NotUtf8 { file: "METADATA", source })?;
        Ok(Metadata { headers: Headers::parse(text) })
    }

    /// `Metadata-Version`, parsed.
    pub fn metadata_version(&self) -> Option<Result<MetadataVersion, FieldError>> {
        self.headers.get("Metadata-Version").map(str::parse)
    }

    /// `Name`, as written.
    pub fn name(&self) -> Option<&str> {
        self.headers.get("Name")
    }

    /// `Version`, as written.
    pub fn version(&self) -> Option<&str> {
        self.headers.get("Version")
    }

    /// `Name`, normalized per PEP 503 (`Foo.Bar` -> `foo-bar`), if it is a valid name.
    pub fn normalized_name(&self) -> Option<Result<PackageName, FieldError>> {
        self.name().map(|name| PackageName::from_str(name).map_err(|e| FieldError::Name(name.to_string(), e)))
    }

    /// `Version`, parsed per PEP 440.
    pub fn parsed_version(&self) -> Option<Result<Version, FieldError>> {
        self.version().map(|v| Version::from_str(v).map_err(|e| FieldError::Version(v.to_string(), e)))
    }

    /// Every `Requires-Dist`, parsed per PEP 508.
    pub fn requires_dist(&self) -> Vec<Result<Requirement, FieldError>> {
        self.headers
            .get_all("Requires-Dist")
            .map(|r| Requirement::from_str(r).map_err(|e| FieldError::RequiresDist(r.to_string(), Box::new(e))))
            .collect()
    }

    /// `Requires-Python`, parsed as PEP 440 specifiers.
    pub fn requires_python(&self) -> Option<Result<VersionSpecifiers, FieldError>> {
        self.headers
            .get("Requires-Python")
            .map(|s| VersionSpecifiers::from_str(s).map_err(|e| FieldError::RequiresPython(s.to_string(), e)))
    }

    /// Every `License-File` path.
    pub fn license_files(&self) -> Vec<&str> {
        self.headers.get_all("License-File").collect()
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn parses_fields_with_the_pep_crates() {
        let m = Metadata::parse(
            b"Metadata-Version: 2.4\nName: Foo.Bar\nVersion: 1.0rc1\nRequires-Dist: tomli; python_version < \"3.11\"\nRequires-Dist: bad ][\nRequires-Python: >=3.10\nLicense-File: LICENSE\n",
        )
        .unwrap();
        assert_eq!(m.metadata_version().unwrap().unwrap(), MetadataVersion::new(2, 4));
        assert_eq!(m.normalized_name().unwrap().unwrap().to_string(), "foo-bar");
        assert_eq!(m.parsed_version().unwrap().unwrap().to_string(), "1.0rc1");
        let reqs = m.requires_dist();
        assert!(reqs[0].is_ok());
        assert!(matches!(&reqs[1], Err(FieldError::RequiresDist(value, _)) if value == "bad ]["));
        assert!(m.requires_python().unwrap().is_ok());
        assert_eq!(m.license_files(), ["LICENSE"]);
    }

    #[test]
    fn metadata_versions_compare_as_numbers() {
        let v = |s: &str| s.parse::<MetadataVersion>().unwrap();
        assert!(v("2.10") > v("2.4"), "not compared as text");
        assert!("2".parse::<MetadataVersion>().is_err() && "2.x".parse::<MetadataVersion>().is_err());
    }

    #[test]
    fn rejects_non_utf8() {
        assert!(Metadata::parse(b"Name: \xff\n").is_err());
    }
}
