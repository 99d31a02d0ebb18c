//! The JSON rendering, per `spec/report.schema.json`.

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

/// Renders one JSON document: `{"schema_version": 1, <key>: [items], "errors": [...]}`, where
/// `key` is `wheels` for show, audit and check, and `repairs` for repair.
pub fn render<T: Serialize>(key: &str, items: &[T], errors: &[InputError]) -> String {
    let mut doc = serde_json::Map::new();
    doc.insert("schema_version".into(), SCHEMA_VERSION.into());
    doc.insert(key.into(), serde_json::to_value(items).expect("reports serialize"));
    doc.insert("errors".into(), serde_json::to_value(errors).expect("errors serialize"));
    let mut out = serde_json::to_string_pretty(&doc).expect("reports serialize");
    out.push('\n');
    out
}
