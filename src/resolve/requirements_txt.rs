//! `-r requirements.txt`: the requirement lines of pip's format, with the options that say
//! where packages come from. Each requirement line is a PEP 508 requirement (pep508_rs);
//! comments, blank lines, `\` continuations and nested `-r` files are followed. Options that
//! change what is installed in ways wasmwheel does not model (`-e`, `--hash`, constraints)
//! are refused, naming the line, rather than ignored.

use std::path::{Path, PathBuf};

use pep508_rs::Requirement;

/// A requirements file, read.
#[derive(Clone, Debug, Default, PartialEq)]
pub struct RequirementsFile {
    /// Each requirement, with where it was written (`requirements.txt:3`).
    pub requirements: Vec<(Requirement, String)>,
    /// `--index-url` / `-i`.
    pub index_url: Option<String>,
    /// `--extra-index-url`.
    pub extra_index_urls: Vec<String>,
    /// `--find-links` / `-f`, relative to the file.
    pub find_links: Vec<PathBuf>,
    /// `--no-index`.
    pub no_index: bool,
    /// `--pre`.
    pub pre: bool,
}

/// Why a requirements file cannot be used.
#[derive(Debug, thiserror::Error)]
#[non_exhaustive]
pub enum RequirementsError {
    /// It cannot be read.
    #[error("{}", path.display())]
    Read {
        /// The file.
        path: PathBuf,
        /// Why.
        #[source]
        source: std::io::Error,
    },
    /// A line that is not a requirement.
    #[error("{at}")]
    Requirement {
        /// `file:line`.
        at: String,
        /// Why.
        #[source]
        source: Box<pep508_rs::Pep508Error>,
    },
    /// An option wasmwheel does not take.
    #[error("{at}: {option} is not supported (wasmwheel resolves from wheels: give a requirement, or an index option)")]
    Option {
        /// `file:line`.
        at: String,
        /// The option.
        option: String,
    },
    /// Files that include each other.
    #[error("{at}: {} includes itself", path.display())]
    Cycle {
        /// `file:line`.
        at: String,
        /// The file.
        path: PathBuf,
    },
}

impl RequirementsFile {
    /// Reads `path` and the files it includes.
    pub fn read(path: &Path) -> Result<RequirementsFile, RequirementsError> {
        let mut out = RequirementsFile::default();
        out.read_into(path, &mut Vec::new())?;
        Ok(out)
    }

    fn read_into(&mut self, path: &Path, open: &mut Vec<PathBuf>) -> Result<(), RequirementsError> {
        let text = std::fs::read_to_string(path)
            .map_err(|source| RequirementsError::Read { path: path.to_path_buf(), source })?;
        let dir = path.parent().unwrap_or(Path::new("."));
        open.push(path.to_path_buf());
        for (number, line) in logical_lines(&text) {
            let at = format!("{}:{number}", path.display());
            let (option, value) = split_option(&line);
            match option.as_deref() {
                None => {
                    let requirement = line.parse::<Requirement>().map_err(|source| RequirementsError::Requirement {
                        at: at.clone(),
                        source: Box::new(source),
                    })?;
                    self.requirements.push((requirement, at));
                }
                Some("-r" | "--requirement") => {
                    let nested = dir.join(value.unwrap_or_default());
                    if open.iter().any(|p| same(p, &nested)) {
                        return Err(RequirementsError::Cycle { at, path: nested });
                    }
                    self.read_into(&nested, open)?;
                }
                Some("-i" | "--index-url") => self.index_url = value,
                Some("--extra-index-url") => self.extra_index_urls.extend(value),
                Some("-f" | "--find-links") => self.find_links.extend(value.map(|v| dir.join(v))),
                Some("--no-index") => self.no_index = true,
                Some("--pre") => self.pre = true,
                Some("--only-binary" | "--prefer-binary") => {}
                Some(other) => return Err(RequirementsError::Option { at, option: other.to_string() }),
            }
        }
        open.pop();
        Ok(())
    }
}

fn same(a: &Path, b: &Path) -> bool {
    match (a.canonicalize(), b.canonicalize()) {
        (Ok(a), Ok(b)) => a == b,
        _ => a == b,
    }
}

/// The lines of a file with comments dropped and `\` continuations joined, numbered from 1 by
/// where each starts; blank ones left out.
fn logical_lines(text: &str) -> Vec<(usize, String)> {
    let mut out = Vec::new();
    let mut current = String::new();
    let mut start = 0;
    for (index, raw) in text.lines().enumerate() {
        if current.is_empty() {
            start = index + 1;
        }
        let line = strip_comment(raw);
        match line.strip_suffix('\\') {
            Some(head) => current.push_str(head),
            None => {
                current.push_str(line);
                let full = current.trim().to_string();
                if !full.is_empty() {
                    out.push((start, full));
                }
                current.clear();
            }
        }
    }
    let rest = current.trim();
    if !rest.is_empty() {
        out.push((start, rest.to_string()));
    }
    out
}

/// A line without its comment: `#` at the start or after whitespace.
fn strip_comment(line: &str) -> &str {
    let bytes = line.as_bytes();
    for (i, b) in bytes.iter().enumerate() {
        if *b == b'#' && (i == 0 || bytes[i - 1].is_ascii_whitespace()) {
            return line[..i].trim_end();
        }
    }
    line.trim_end()
}

/// An option line as `(option, value)`: `--index-url URL`, `--index-url=URL`, `-iURL`;
/// `(None, None)` for a requirement line.
fn split_option(line: &str) -> (Option<String>, Option<String>) {
    if !line.starts_with('-') {
        return (None, None);
    }
    let (head, rest) = match line.split_once(|c: char| c == '=' || c.is_whitespace()) {
        Some((head, rest)) => (head, Some(rest.trim().to_string()).filter(|r| !r.is_empty())),
        None => (line, None),
    };
    // Short options may hold their value: `-rother.txt`.
    if !head.starts_with("--") && head.len() > 2 && rest.is_none() {
        return (Some(head[..2].to_string()), Some(head[2..].to_string()));
    }
    (Some(head.to_string()), rest)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn reads_requirements_options_and_nested_files() {
        let dir = tempfile::tempdir().unwrap();
        std::fs::write(dir.path().join("base.txt"), "typing-extensions>=4.16  # new enough\n").unwrap();
        std::fs::write(
            dir.path().join("requirements.txt"),
            "# the app\n--index-url https://mirror.example/simple\n-r base.txt\npydantic-core==2.50.5 ; \\\n  sys_platform == 'emscripten'\n\n--find-links=wheels\n--pre\n",
        )
        .unwrap();
        let file = RequirementsFile::read(&dir.path().join("requirements.txt")).unwrap();
        let names: Vec<String> = file.requirements.iter().map(|(r, _)| r.name.to_string()).collect();
        assert_eq!(names, ["typing-extensions", "pydantic-core"]);
        assert!(file.requirements[0].1.ends_with("base.txt:1"));
        assert!(file.requirements[1].1.ends_with("requirements.txt:4"), "{}", file.requirements[1].1);
        assert_eq!(file.index_url.as_deref(), Some("https://mirror.example/simple"));
        assert_eq!(file.find_links, [dir.path().join("wheels")]);
        assert!(file.pre && !file.no_index);
    }

    #[test]
    fn refuses_what_it_cannot_honour_naming_the_line() {
        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join("r.txt");
        std::fs::write(&path, "numpy\n-e ./local\n").unwrap();
        let err = RequirementsFile::read(&path).unwrap_err();
        assert!(crate::one_line::one_line(&err).contains("r.txt:2: -e is not supported"), "{err}");
        std::fs::write(&path, "numpy>>2\n").unwrap();
        assert!(crate::one_line::one_line(&RequirementsFile::read(&path).unwrap_err()).contains("r.txt:1"));
        std::fs::write(&path, "-r r.txt\n").unwrap();
        assert!(matches!(RequirementsFile::read(&path), Err(RequirementsError::Cycle { .. })));
    }
}
