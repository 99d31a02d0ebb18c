//! Finding a program on PATH: the one search Node, Chromium and the WASI host's Python use.

use std::path::PathBuf;

/// The first of `names` found in a folder of PATH (each folder tried for every name before
/// the next folder), as a file.
pub fn find(names: &[&str]) -> Option<PathBuf> {
    let paths = std::env::var_os("PATH")?;
    std::env::split_paths(&paths).flat_map(|dir| names.iter().map(move |name| dir.join(name))).find(|p| p.is_file())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn finds_a_program_and_not_a_missing_one() {
        assert!(find(&["sh"]).is_some_and(|p| p.ends_with("sh")));
        assert_eq!(find(&["wasmwheel-no-such-program"]), None);
    }
}
