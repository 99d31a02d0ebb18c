//! `*.dist-info/RECORD`: one CSV row per file, `path,algorithm=urlsafe-b64-digest,size`,
//! parsed into typed rows (a hash and a size, each present or not).

use std::fmt;

use sha2::{Digest, Sha256, Sha384, Sha512};

use crate::hash::urlsafe_b64;

/// A hash algorithm named in RECORD.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum HashAlgorithm {
    /// `sha256`.
    Sha256,
    /// `sha384`.
    Sha384,
    /// `sha512`.
    Sha512,
    /// Any other (`md5`, `sha1`, ...): installers refuse it.
    Other(String),
}

impl HashAlgorithm {
    fn parse(name: &str) -> HashAlgorithm {
        match name {
            "sha256" => HashAlgorithm::Sha256,
            "sha384" => HashAlgorithm::Sha384,
            "sha512" => HashAlgorithm::Sha512,
            other => HashAlgorithm::Other(other.to_string()),
        }
    }

    /// The urlsafe base64 digest of `data`, or `None` for an algorithm installers refuse.
    fn digest(&self, data: &[u8]) -> Option<String> {
        Some(match self {
            HashAlgorithm::Sha256 => urlsafe_b64(&Sha256::digest(data)),
            HashAlgorithm::Sha384 => urlsafe_b64(&Sha384::digest(data)),
            HashAlgorithm::Sha512 => urlsafe_b64(&Sha512::digest(data)),
            HashAlgorithm::Other(_) => return None,
        })
    }
}

impl fmt::Display for HashAlgorithm {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(match self {
            HashAlgorithm::Sha256 => "sha256",
            HashAlgorithm::Sha384 => "sha384",
            HashAlgorithm::Sha512 => "sha512",
            HashAlgorithm::Other(name) => name,
        })
    }
}

/// A RECORD hash: `algorithm=digest`.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct RecordHash {
    /// The algorithm.
    pub algorithm: HashAlgorithm,
    /// The urlsafe base64 digest as written (padding, if any, dropped).
    pub digest: String,
}

impl RecordHash {
    /// The sha256 hash of `data`.
    pub fn sha256(data: &[u8]) -> RecordHash {
        RecordHash { algorithm: HashAlgorithm::Sha256, digest: urlsafe_b64(&Sha256::digest(data)) }
    }
}

impl fmt::Display for RecordHash {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "{}={}", self.algorithm, self.digest)
    }
}

/// One row of RECORD.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct RecordEntry {
    /// The member path.
    pub path: String,
    /// The hash; `None` for RECORD itself and its signatures.
    pub hash: Option<RecordHash>,
    /// The size in bytes; `None` where the hash is.
    pub size: Option<u64>,
}

/// The rows of RECORD, in order.
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub struct Record {
    /// Every row.
    pub entries: Vec<RecordEntry>,
}

/// Why RECORD does not parse.
#[derive(Debug, thiserror::Error)]
pub enum RecordError {
    /// Not CSV.
    #[error("RECORD row {row}")]
    Csv {
        /// The row, from 1.
        row: usize,
        /// Why.
        #[source]
        source: csv::Error,
    },
    /// Not three fields.
    #[error("RECORD row {row} has {fields} fields, not 3")]
    Fields {
        /// The row, from 1.
        row: usize,
        /// How many it has.
        fields: usize,
    },
    /// A hash without `algorithm=`.
    #[error("RECORD row {row}: `{hash}` is not algorithm=digest")]
    Hash {
        /// The row, from 1.
        row: usize,
        /// The hash field.
        hash: String,
    },
    /// A size that is not a number.
    #[error("RECORD row {row}: size `{size}` is not a number")]
    Size {
        /// The row, from 1.
        row: usize,
        /// The size field.
        size: String,
    },
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
    /// The digest differs; holds the hash of the member's bytes.
    HashMismatch(RecordHash),
    /// The hash matches but the size does not; holds the real size.
    SizeMismatch(u64),
}

fn parse_row(row: usize, fields: &csv::StringRecord) -> Result<RecordEntry, RecordError> {
    let hash = match &fields[1] {
        "" => None,
        text => {
            let (algorithm, digest) =
                text.split_once('=').ok_or_else(|| RecordError::Hash { row, hash: text.to_string() })?;
            Some(RecordHash {
                algorithm: HashAlgorithm::parse(algorithm),
                digest: digest.trim_end_matches('=').to_string(),
            })
        }
    };
    let size = match &fields[2] {
        "" => None,
        text => Some(text.parse().map_err(|_| RecordError::Size { row, size: text.to_string() })?),
    };
    Ok(RecordEntry { path: fields[0].to_string(), hash, size })
}

impl Record {
    /// Parses RECORD bytes.
    pub fn parse(bytes: &[u8]) -> Result<Record, RecordError> {
        let mut reader = csv::ReaderBuilder::new().has_headers(false).flexible(true).from_reader(bytes);
        let mut entries = Vec::new();
        for (line, fields) in reader.records().enumerate() {
            let row = line + 1;
            let fields = fields.map_err(|source| RecordError::Csv { row, source })?;
            if fields.iter().all(str::is_empty) {
                continue;
            }
            if fields.len() != 3 {
                return Err(RecordError::Fields { row, fields: fields.len() });
            }
            entries.push(parse_row(row, &fields)?);
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
            let hash = e.hash.as_ref().map(ToString::to_string).unwrap_or_default();
            let size = e.size.map(|s| s.to_string()).unwrap_or_default();
            // Writing to a Vec cannot fail: the error arm is unreachable in practice, and an
            // empty RECORD is what a failure would leave.
            if writer.write_record([e.path.as_str(), &hash, &size]).is_err() {
                return Vec::new();
            }
        }
        writer.into_inner().unwrap_or_default()
    }

    /// The row for `path`, if any.
    pub fn get(&self, path: &str) -> Option<&RecordEntry> {
        self.entries.iter().find(|e| e.path == path)
    }
}

impl RecordEntry {
    /// A row for `path` holding `data`, hashed with sha256.
    pub fn for_data(path: &str, data: &[u8]) -> RecordEntry {
        RecordEntry { path: path.to_string(), hash: Some(RecordHash::sha256(data)), size: Some(data.len() as u64) }
    }

    /// A row without hash or size (RECORD itself).
    pub fn unhashed(path: &str) -> RecordEntry {
        RecordEntry { path: path.to_string(), hash: None, size: None }
    }

    /// Compares this row with the member's bytes.
    pub fn check(&self, data: &[u8]) -> HashCheck {
        let Some(hash) = &self.hash else { return HashCheck::Missing };
        let Some(actual) = hash.algorithm.digest(data) else {
            return HashCheck::UnsupportedAlgorithm(hash.algorithm.to_string());
        };
        if actual != hash.digest {
            return HashCheck::HashMismatch(RecordHash { algorithm: hash.algorithm.clone(), digest: actual });
        }
        if self.size != Some(data.len() as u64) {
            return HashCheck::SizeMismatch(data.len() as u64);
        }
        HashCheck::Match
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn round_trips_and_quotes_commas() {
        let record = Record {
            entries: vec![RecordEntry::for_data("a,b.py", b"x"), RecordEntry::unhashed("pkg-1.dist-info/RECORD")],
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
        let wrong_size = RecordEntry { size: Some(4), ..good.clone() };
        assert_eq!(wrong_size.check(b"hello"), HashCheck::SizeMismatch(5));
        let md5 = Record::parse(b"f,md5=abc,5\n").unwrap();
        assert_eq!(md5.entries[0].check(b"hello"), HashCheck::UnsupportedAlgorithm("md5".into()));
    }

    #[test]
    fn malformed_rows_name_their_row() {
        assert!(matches!(Record::parse(b"a,b\n"), Err(RecordError::Fields { row: 1, fields: 2 })));
        assert!(matches!(Record::parse(b"a,,\nb,nohash,1\n"), Err(RecordError::Hash { row: 2, .. })));
        assert!(matches!(Record::parse(b"a,sha256=x,big\n"), Err(RecordError::Size { row: 1, .. })));
    }

    #[test]
    fn known_sha256_spelling() {
        // sha256("") in urlsafe base64 without padding.
        assert_eq!(RecordHash::sha256(b"").to_string(), "sha256=47DEQpj8HBSa-_TImW-5JCeuQeRkm5NMpJWZG3hSuFU");
    }
}
