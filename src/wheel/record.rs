//! `*.dist-info/RECORD`: one CSV row per file, `path,algorithm=urlsafe-b64-digest,size`.

use base64::Engine;
use base64::engine::general_purpose::URL_SAFE_NO_PAD;
use sha2::{Digest, Sha256, Sha384, Sha512};

/// One row of RECORD.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct RecordEntry {
    /// The member path.
    pub path: String,
    /// `algorithm=digest`, empty for RECORD itself and signatures.
    pub hash: String,
    /// The size in bytes as written, empty where `hash` is.
    pub size: String,
}

/// The rows of RECORD, in order.
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub struct Record {
    /// Every row.
    pub entries: Vec<RecordEntry>,
}

/// How a RECORD row compares with the member it names.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum HashCheck {
    /// Hash and size match.
    Match,
    /// The row has no hash (allowed only for RECORD and its signatures).
    Missing,
    /// The hash algorithm is not one wasmwheel (or an installer) accepts.
    UnsupportedAlgorithm(String),
    /// The digest differs; holds the digest of the member's bytes.
    HashMismatch(String),
    /// The hash matches but the size does not; holds the real size.
    SizeMismatch(usize),
}

impl Record {
    /// Parses RECORD bytes.
    pub fn parse(bytes: &[u8]) -> Result<Record, String> {
        let mut reader = csv::ReaderBuilder::new().has_headers(false).flexible(true).from_reader(bytes);
        let mut entries = Vec::new();
        for (line, row) in reader.records().enumerate() {
            let row = row.map_err(|e| format!("RECORD row {}: {e}", line + 1))?;
            if row.iter().all(str::is_empty) {
                continue;
            }
            if row.len() != 3 {
                return Err(format!("RECORD row {} has {} fields, not 3", line + 1, row.len()));
            }
            entries.push(RecordEntry { path: row[0].to_string(), hash: row[1].to_string(), size: row[2].to_string() });
        }
        Ok(Record { entries })
    }

    /// Renders RECORD as CSV, quoting only where needed, `\n` line ends.
    pub fn render(&self) -> Vec<u8> {
        let mut writer = csv::WriterBuilder::new()
            .terminator(csv::Terminator::Any(b'\n'))
            .quote_style(csv::QuoteStyle::Necessary)
            .from_writer(Vec::new());
        for e in &self.entries {
            // Writing to a Vec cannot fail.
            writer.write_record([&e.path, &e.hash, &e.size]).expect("writing to memory");
        }
        writer.into_inner().expect("writing to memory")
    }

    /// The row for `path`, if any.
    pub fn get(&self, path: &str) -> Option<&RecordEntry> {
        self.entries.iter().find(|e| e.path == path)
    }
}

impl RecordEntry {
    /// A row for `path` holding `data`, hashed with sha256.
    pub fn for_data(path: &str, data: &[u8]) -> RecordEntry {
        RecordEntry { path: path.to_string(), hash: sha256_hash(data), size: data.len().to_string() }
    }

    /// Compares this row with the member's bytes.
    pub fn check(&self, data: &[u8]) -> HashCheck {
        let Some((algorithm, expected)) = self.hash.split_once('=') else {
            return if self.hash.is_empty() {
                HashCheck::Missing
            } else {
                HashCheck::UnsupportedAlgorithm(self.hash.clone())
            };
        };
        let actual = match algorithm {
            "sha256" => URL_SAFE_NO_PAD.encode(Sha256::digest(data)),
            "sha384" => URL_SAFE_NO_PAD.encode(Sha384::digest(data)),
            "sha512" => URL_SAFE_NO_PAD.encode(Sha512::digest(data)),
            other => return HashCheck::UnsupportedAlgorithm(other.to_string()),
        };
        if actual != expected.trim_end_matches('=') {
            return HashCheck::HashMismatch(format!("{algorithm}={actual}"));
        }
        if self.size.parse::<usize>().ok() != Some(data.len()) {
            return HashCheck::SizeMismatch(data.len());
        }
        HashCheck::Match
    }
}

/// `sha256=<urlsafe base64 digest, no padding>`, the RECORD spelling.
pub fn sha256_hash(data: &[u8]) -> String {
    format!("sha256={}", URL_SAFE_NO_PAD.encode(Sha256::digest(data)))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn round_trips_and_quotes_commas() {
        let record = Record {
            entries: vec![
                RecordEntry::for_data("a,b.py", b"x"),
                RecordEntry { path: "pkg-1.dist-info/RECORD".into(), hash: String::new(), size: String::new() },
            ],
        };
        let bytes = record.render();
        assert!(bytes.starts_with(b"\"a,b.py\",sha256="));
        assert_eq!(Record::parse(&bytes).unwrap(), record);
    }

    #[test]
    fn checks_hash_and_size() {
        let good = RecordEntry::for_data("f", b"hello");
        assert_eq!(good.check(b"hello"), HashCheck::Match);
        assert!(matches!(good.check(b"hellO"), HashCheck::HashMismatch(_)));
        let wrong_size = RecordEntry { size: "4".into(), ..good.clone() };
        assert_eq!(wrong_size.check(b"hello"), HashCheck::SizeMismatch(5));
        let md5 = RecordEntry { hash: "md5=abc".into(), ..good };
        assert_eq!(md5.check(b"hello"), HashCheck::UnsupportedAlgorithm("md5".into()));
    }

    #[test]
    fn known_sha256_spelling() {
        // sha256("") in urlsafe base64 without padding.
        assert_eq!(sha256_hash(b""), "sha256=47DEQpj8HBSa-_TImW-5JCeuQeRkm5NMpJWZG3hSuFU");
    }
}
