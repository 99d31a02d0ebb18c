//! `*.dist-info/METADATA`: core metadata, with the name, version and requirements parsed by
//! pep440_rs and pep508_rs.

use std::str::FromStr;

use pep440_rs::{Version, VersionSpecifiers};
use pep508_rs::{PackageName, Requirement};

use super::headers::Headers;

/// Core metadata of a distribution.
#[derive(Clone, Debug)]
pub struct Metadata {
    /// The raw header fields.
    pub headers: Headers,
}

/// A field whose value does not parse.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct InvalidField {
    /// The field name (`Requires-Dist`).
    pub field: &'static str,
    /// The value as written.
    pub value: String,
    /// Why it does not parse.
    pub reason: String,
}

impl Metadata {
    /// Parses METADATA bytes; they must be UTF-8.
    pub fn parse(bytes: &[u8]) -> Result<Metadata, String> {
        let text = std::str::from_utf8(bytes).map_err(|e| format!("METADATA is not UTF-8 ({e})"))?;
        Ok(Metadata { headers: Headers::parse(text) })
    }

    /// `Metadata-Version`.
    pub fn metadata_version(&self) -> Option<&str> {
        self.headers.get("Metadata-Version")
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
    pub fn normalized_name(&self) -> Option<Result<PackageName, InvalidField>> {
        self.name().map(|name| {
            PackageName::from_str(name).map_err(|e| InvalidField {
                field: "Name",
                value: name.to_string(),
                reason: e.to_string(),
            })
        })
    }

    /// `Version`, parsed per PEP 440.
    pub fn parsed_version(&self) -> Option<Result<Version, InvalidField>> {
        self.version().map(|v| {
            Version::from_str(v).map_err(|e| InvalidField {
                field: "Version",
                value: v.to_string(),
                reason: e.to_string(),
            })
        })
    }

    /// Every `Requires-Dist`, parsed per PEP 508.
    pub fn requires_dist(&self) -> Vec<Result<Requirement, InvalidField>> {
        self.headers
            .get_all("Requires-Dist")
            .map(|r| {
                Requirement::from_str(r).map_err(|e| InvalidField {
                    field: "Requires-Dist",
                    value: r.to_string(),
                    reason: first_line(&e.to_string()),
                })
            })
            .collect()
    }

    /// `Requires-Python`, parsed as PEP 440 specifiers.
    pub fn requires_python(&self) -> Option<Result<VersionSpecifiers, InvalidField>> {
        self.headers.get("Requires-Python").map(|s| {
            VersionSpecifiers::from_str(s).map_err(|e| InvalidField {
                field: "Requires-Python",
                value: s.to_string(),
                reason: first_line(&e.to_string()),
            })
        })
    }

    /// Every `License-File` path.
    pub fn license_files(&self) -> Vec<&str> {
        self.headers.get_all("License-File").collect()
    }
}

/// The first line of a possibly multi-line parser message (pep508 draws carets below).
fn first_line(s: &str) -> String {
    s.lines().next().unwrap_or_default().to_string()
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
        assert_eq!(m.normalized_name().unwrap().unwrap().to_string(), "foo-bar");
        assert_eq!(m.parsed_version().unwrap().unwrap().to_string(), "1.0rc1");
        let reqs = m.requires_dist();
        assert!(reqs[0].is_ok());
        assert_eq!(reqs[1].as_ref().unwrap_err().value, "bad ][");
        assert!(m.requires_python().unwrap().is_ok());
        assert_eq!(m.license_files(), ["LICENSE"]);
    }

    #[test]
    fn rejects_non_utf8() {
        assert!(Metadata::parse(b"Name: \xff\n").is_err());
    }
}
