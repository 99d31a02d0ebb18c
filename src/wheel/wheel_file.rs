//! `*.dist-info/WHEEL`: Wheel-Version, Root-Is-Purelib and every `Tag:` line.

use super::DistInfoError;
use super::filename::{FilenameError, Tag};
use super::headers::Headers;

/// The parsed WHEEL file.
#[derive(Clone, Debug)]
pub struct WheelFile {
    /// The raw header fields.
    pub headers: Headers,
}

impl WheelFile {
    /// Parses WHEEL bytes; they must be UTF-8.
    pub fn parse(bytes: &[u8]) -> Result<WheelFile, DistInfoError> {
        let text = std::str::from_utf8(bytes).map_err(|source| DistInfoError::NotUtf8 { file: "WHEEL", source })?;
        Ok(WheelFile { headers: Headers::parse(text) })
    }

    /// `Wheel-Version`.
    pub fn wheel_version(&self) -> Option<&str> {
        self.headers.get("Wheel-Version")
    }

    /// `Root-Is-Purelib`, if present and `true` or `false`.
    pub fn root_is_purelib(&self) -> Option<bool> {
        match self.headers.get("Root-Is-Purelib")?.to_ascii_lowercase().as_str() {
            "true" => Some(true),
            "false" => Some(false),
            _ => None,
        }
    }

    /// Every `Tag:` line, parsed.
    pub fn tags(&self) -> Vec<Result<Tag, FilenameError>> {
        self.headers.get_all("Tag").map(str::parse).collect()
    }

    /// Renders a WHEEL file with `tags` in place of the old `Tag:` lines, every other line kept
    /// in order (the new tags go where the first old one was).
    pub fn with_tags(&self, tags: &[Tag]) -> String {
        let mut out = String::new();
        let mut placed = false;
        let place = |out: &mut String| {
            for tag in tags {
                out.push_str(&format!("Tag: {tag}\n"));
            }
        };
        for (key, value) in self.headers.iter() {
            if key.eq_ignore_ascii_case("Tag") {
                if !placed {
                    place(&mut out);
                    placed = true;
                }
                continue;
            }
            out.push_str(&format!("{key}: {}\n", value.replace('\n', "\n ")));
        }
        if !placed {
            place(&mut out);
        }
        if let Some(body) = &self.headers.body {
            out.push('\n');
            out.push_str(body);
        }
        out
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn reads_and_rewrites_tags() {
        let w = WheelFile::parse(b"Wheel-Version: 1.0\nGenerator: x\nRoot-Is-Purelib: false\nTag: cp312-cp312-pyodide_2024_0_wasm32\nBuild: 1\n").unwrap();
        assert_eq!(w.root_is_purelib(), Some(false));
        assert_eq!(w.tags()[0].as_ref().unwrap().to_string(), "cp312-cp312-pyodide_2024_0_wasm32");
        let new: Tag = "cp312-cp312-pyemscripten_2024_0_wasm32".parse().unwrap();
        assert_eq!(
            w.with_tags(&[new]),
            "Wheel-Version: 1.0\nGenerator: x\nRoot-Is-Purelib: false\nTag: cp312-cp312-pyemscripten_2024_0_wasm32\nBuild: 1\n"
        );
    }
}
