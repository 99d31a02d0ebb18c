//! The email-header format shared by `METADATA` and `WHEEL`: `Key: value` lines, continuation
//! lines that start with whitespace, and an optional body after the first blank line.

/// Parsed headers, in order, with repeated keys kept.
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub struct Headers {
    fields: Vec<(String, String)>,
    /// Lines before the body that are neither `Key: value` nor continuations.
    pub malformed: Vec<String>,
    /// Text after the first blank line (the long description of METADATA).
    pub body: Option<String>,
}

impl Headers {
    /// Parses headers from text.
    pub fn parse(text: &str) -> Headers {
        let mut headers = Headers::default();
        let mut lines = text.split_inclusive('\n');
        for raw in lines.by_ref() {
            let line = raw.trim_end_matches(['\n', '\r']);
            if line.is_empty() {
                break;
            }
            if line.starts_with([' ', '\t']) {
                match headers.fields.last_mut() {
                    Some((_, value)) => {
                        value.push('\n');
                        value.push_str(line.trim_start_matches([' ', '\t']));
                    }
                    None => headers.malformed.push(line.to_string()),
                }
            } else if let Some((key, value)) = line.split_once(':') {
                headers.fields.push((key.trim().to_string(), value.trim().to_string()));
            } else {
                headers.malformed.push(line.to_string());
            }
        }
        let body: String = lines.collect();
        headers.body = (!body.is_empty()).then_some(body);
        headers
    }

    /// The first value of `key` (case-insensitive).
    pub fn get(&self, key: &str) -> Option<&str> {
        self.fields.iter().find(|(k, _)| k.eq_ignore_ascii_case(key)).map(|(_, v)| v.as_str())
    }

    /// Every value of `key` (case-insensitive), in order.
    pub fn get_all<'a>(&'a self, key: &'a str) -> impl Iterator<Item = &'a str> + 'a {
        self.fields.iter().filter(move |(k, _)| k.eq_ignore_ascii_case(key)).map(|(_, v)| v.as_str())
    }

    /// Every `(key, value)` pair, in order.
    pub fn iter(&self) -> impl Iterator<Item = (&str, &str)> {
        self.fields.iter().map(|(k, v)| (k.as_str(), v.as_str()))
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn parses_repeated_keys_continuations_and_body() {
        let h = Headers::parse("Name: a\nTag: x\nTag: y\nLicense: line1\n  line2\n\nbody text\n");
        assert_eq!(h.get("name"), Some("a"));
        assert_eq!(h.get_all("Tag").collect::<Vec<_>>(), ["x", "y"]);
        assert_eq!(h.get("License"), Some("line1\nline2"));
        assert_eq!(h.body.as_deref(), Some("body text\n"));
        assert!(h.malformed.is_empty());
    }
}
