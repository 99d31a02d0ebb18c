//! The JSON rendering, per `spec/report.schema.json`.

use std::io::{self, Write};

use serde::Serialize;

use super::SCHEMA_VERSION;

/// An input that could not be processed, as JSON reports it.
#[derive(Clone, Debug, Serialize)]
pub struct InputError {
    /// The file as given.
    pub path: String,
    /// What went wrong, on one line.
    pub message: String,
}

/// Writes one JSON document: `{"schema_version": 1, <key>: [items], "errors": [...]}`, where
/// `key` is `wheels` for show, audit and check, and `repairs` for repair.
pub fn render<T: Serialize>(out: &mut dyn Write, key: &str, items: &[T], errors: &[InputError]) -> io::Result<()> {
    let mut doc = serde_json::Map::new();
    doc.insert("schema_version".into(), SCHEMA_VERSION.into());
    doc.insert(key.into(), serde_json::to_value(items)?);
    doc.insert("errors".into(), serde_json::to_value(errors)?);
    serde_json::to_writer_pretty(&mut *out, &doc)?;
    writeln!(out)
}
