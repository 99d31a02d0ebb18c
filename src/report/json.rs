//! The JSON rendering: `{"schema_version": 1, "wheels": [...], "errors": [...]}`.

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

#[derive(Serialize)]
struct Document<'a, T: Serialize> {
    schema_version: u32,
    wheels: &'a [T],
    errors: &'a [InputError],
}

/// Renders reports and input errors as one pretty-printed JSON document.
pub fn render<T: Serialize>(wheels: &[T], errors: &[InputError]) -> String {
    let doc = Document { schema_version: SCHEMA_VERSION, wheels, errors };
    let mut out = serde_json::to_string_pretty(&doc).expect("reports serialize");
    out.push('\n');
    out
}
