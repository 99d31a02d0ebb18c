//! An error and its causes on one line, as wasmwheel prints every error and every message
//! that quotes a parser's complaint. A leaf: it knows no other module.

/// An error and its causes on one line: `outer: cause: root cause`. Each message contributes
/// its first line (parsers that draw carets under the input use more), repeats are dropped,
/// and runs of whitespace become one space.
pub fn one_line(error: &(dyn std::error::Error + 'static)) -> String {
    let mut parts: Vec<String> = Vec::new();
    let mut next = Some(error);
    while let Some(e) = next {
        let text = e.to_string();
        let first = text.lines().map(str::trim).find(|l| !l.is_empty()).unwrap_or_default();
        let first = first.split_whitespace().collect::<Vec<_>>().join(" ");
        if !first.is_empty() && !parts.last().is_some_and(|last| last.contains(&first)) {
            parts.push(first);
        }
        next = e.source();
    }
    parts.join(": ")
}

#[cfg(test)]
mod tests {
    use super::*;

    #[derive(Debug, thiserror::Error)]
    #[error("dist/x.whl")]
    struct Outer(#[source] std::io::Error);

    #[test]
    fn renders_the_chain_on_one_line() {
        let io = std::io::Error::new(std::io::ErrorKind::NotFound, "no such\nfile");
        assert_eq!(one_line(&Outer(io)), "dist/x.whl: no such");
        let repeated = std::io::Error::other("dist/x.whl");
        assert_eq!(one_line(&Outer(repeated)), "dist/x.whl", "a cause that repeats is dropped");
    }
}
