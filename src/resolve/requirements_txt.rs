//! `-r requirements.txt`: the requirement lines of pip's format, with the options that say
//! where packages come from. Each requirement line is a PEP 508 requirement (pep508_rs);
//! comments, blank lines, `\` continuations, `${VAR}` environment variables (as pip expands
//! them: upper-case names) and nested `-r` files are followed. Options that change what is
//! installed in ways wasmwheel does not model (`-e`, `--hash`, constraints) are refused, naming
//! the line, rather than ignored; so is an option that wants a value and has none (an empty
//! `--index-url` must never fall back to PyPI).
//!
//! Bounded: a file larger than [`MAX_FILE`] is refused; a file included many times is read and
//! followed once per run; the work is linear in the number of lines.

use std::collections::HashSet;
use std::io::Read;
use std::path::{Path, PathBuf};

use pep508_rs::Requirement;

/// The largest requirements file read (pip's are a few KB; a lock-style file with hashes a few
/// hundred KB).
pub const MAX_FILE: u64 = 8 << 20;

/// How deep `-r` files may nest.
const MAX_DEPTH: usize = 64;

/// A requirements file, read.
#[derive(Clone, Debug, Default, PartialEq)]
pub struct RequirementsFile {
    /// Each requirement, with where it was written (`requirements.txt:3`).
    pub requirements: Vec<(Requirement, String)>,
    /// `--index-url` / `-i`, with where it was written.
    pub index_url: Option<(String, String)>,
    /// `--extra-index-url`, each with where it was written.
    pub extra_index_urls: Vec<(String, String)>,
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
    #[error("{at}: {}", path.display())]
    Read {
        /// Where it was named: `-r`, or the `file:line` that includes it.
        at: String,
        /// The file.
        path: PathBuf,
        /// Why.
        #[source]
        source: std::io::Error,
    },
    /// It is larger than [`MAX_FILE`].
    #[error("{at}: {} is larger than {MAX_FILE} bytes; not a requirements file", path.display())]
    TooLarge {
        /// Where it was named.
        at: String,
        /// The file.
        path: PathBuf,
    },
    /// An option that wants a value, without one.
    #[error("{at}: {option} needs a value")]
    Missing {
        /// `file:line`.
        at: String,
        /// The option.
        option: String,
    },
    /// `-r` files nested too deep.
    #[error("{at}: requirements files nested more than {MAX_DEPTH} deep")]
    TooDeep {
        /// `file:line`.
        at: String,
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

/// The files of one read: those open (for cycles) and those already followed.
#[derive(Default)]
struct Visit {
    open: Vec<PathBuf>,
    done: HashSet<PathBuf>,
}

impl RequirementsFile {
    /// Reads `path` and the files it includes.
    pub fn read(path: &Path) -> Result<RequirementsFile, RequirementsError> {
        let mut out = RequirementsFile::default();
        out.read_into(path, "-r", &mut Visit::default())?;
        Ok(out)
    }

    fn read_into(&mut self, path: &Path, at: &str, visit: &mut Visit) -> Result<(), RequirementsError> {
        let key = path.canonicalize().unwrap_or_else(|_| path.to_path_buf());
        if visit.open.contains(&key) {
            return Err(RequirementsError::Cycle { at: at.to_string(), path: path.to_path_buf() });
        }
        if visit.open.len() >= MAX_DEPTH {
            return Err(RequirementsError::TooDeep { at: at.to_string() });
        }
        if !visit.done.insert(key.clone()) {
            return Ok(());
        }
        let text = read_bounded(path, at)?;
        let dir = path.parent().unwrap_or(Path::new("."));
        visit.open.push(key);
        for (number, line) in logical_lines(&text) {
            let at = format!("{}:{number}", path.display());
            let line = expand_variables(&line);
            let (option, value) = split_option(&line);
            let Some(option) = option else {
                let requirement = line
                    .parse::<Requirement>()
                    .map_err(|source| RequirementsError::Requirement { at: at.clone(), source: Box::new(source) })?;
                self.requirements.push((requirement, at));
                continue;
            };
            let takes_value = matches!(
                option.as_str(),
                "-r" | "--requirement" | "-i" | "--index-url" | "--extra-index-url" | "-f" | "--find-links"
            );
            let value = match value {
                Some(value) => value,
                None if takes_value => return Err(RequirementsError::Missing { at, option }),
                None => String::new(),
            };
            match option.as_str() {
                "-r" | "--requirement" => self.read_into(&dir.join(&value), &at, visit)?,
                "-i" | "--index-url" => self.index_url = Some((value, at)),
                "--extra-index-url" => self.extra_index_urls.push((value, at)),
                "-f" | "--find-links" => self.find_links.push(dir.join(value)),
                "--no-index" => self.no_index = true,
                "--pre" => self.pre = true,
                "--only-binary" | "--prefer-binary" => {}
                _ => return Err(RequirementsError::Option { at, option }),
            }
        }
        visit.open.pop();
        Ok(())
    }
}

/// A file's text, read only up to [`MAX_FILE`] (`/dev/zero` ends too).
fn read_bounded(path: &Path, at: &str) -> Result<String, RequirementsError> {
    let failed = |source| RequirementsError::Read { at: at.to_string(), path: path.to_path_buf(), source };
    let file = std::fs::File::open(path).map_err(failed)?;
    if file.metadata().map_err(failed)?.is_dir() {
        return Err(failed(std::io::Error::other("a folder, not a file")));
    }
    let mut bytes = Vec::new();
    file.take(MAX_FILE + 1).read_to_end(&mut bytes).map_err(failed)?;
    if bytes.len() as u64 > MAX_FILE {
        return Err(RequirementsError::TooLarge { at: at.to_string(), path: path.to_path_buf() });
    }
    String::from_utf8(bytes).map_err(|e| failed(std::io::Error::new(std::io::ErrorKind::InvalidData, e)))
}

/// `${NAME}` replaced by the environment variable NAME (upper-case letters, digits and `_`,
/// as pip expands them); one that is not set is left as written.
fn expand_variables(line: &str) -> String {
    let mut out = String::with_capacity(line.len());
    let mut rest = line;
    while let Some(start) = rest.find("${") {
        out.push_str(&rest[..start]);
        let after = &rest[start + 2..];
        let name_len = after.find('}').filter(|&n| {
            n > 0 && after[..n].bytes().all(|b| b.is_ascii_uppercase() || b.is_ascii_digit() || b == b'_')
        });
        match name_len.and_then(|n| Some((n, std::env::var(&after[..n]).ok()?))) {
            Some((n, value)) => {
                out.push_str(&value);
                rest = &after[n + 1..];
            }
            None => {
                out.push_str("${");
                rest = after;
            }
        }
    }
    out.push_str(rest);
    out
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
/// `(None, None)` for a requirement line. A value that is empty is no value.
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
        assert_eq!(file.index_url.as_ref().map(|(u, _)| u.as_str()), Some("https://mirror.example/simple"));
        assert!(file.index_url.as_ref().unwrap().1.ends_with("requirements.txt:2"));
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
        for (text, says) in [
            ("numpy\n--index-url\n", "r.txt:2: --index-url needs a value"),
            ("--index-url=\n", "r.txt:1: --index-url needs a value"),
            ("-i\n", "r.txt:1: -i needs a value"),
            ("\n\n-r\n", "r.txt:3: -r needs a value"),
            ("--extra-index-url   \n", "r.txt:1: --extra-index-url needs a value"),
        ] {
            std::fs::write(&path, text).unwrap();
            let err = crate::one_line::one_line(&RequirementsFile::read(&path).unwrap_err());
            assert!(err.contains(says), "{text:?}: {err}");
        }
    }

    #[test]
    fn a_file_included_many_times_is_followed_once() {
        // Each file includes the next twice, 30 deep: 2^30 includes, but 31 files.
        let dir = tempfile::tempdir().unwrap();
        for depth in 0..30 {
            let next = format!("r{}.txt", depth + 1);
            std::fs::write(dir.path().join(format!("r{depth}.txt")), format!("-r {next}\n-r {next}\n")).unwrap();
        }
        std::fs::write(dir.path().join("r30.txt"), "six\n").unwrap();
        let file = RequirementsFile::read(&dir.path().join("r0.txt")).unwrap();
        assert_eq!(file.requirements.len(), 1);
    }

    #[test]
    fn reads_are_bounded_and_variables_expanded() {
        let err = RequirementsFile::read(Path::new("/dev/zero")).unwrap_err();
        assert!(matches!(err, RequirementsError::TooLarge { .. }), "{err}");
        let err = RequirementsFile::read(Path::new("/")).unwrap_err();
        assert!(crate::one_line::one_line(&err).starts_with("-r: /"), "{err}");
        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join("r.txt");
        std::fs::write(&path, "--index-url https://u:${WASMWHEEL_TEST_TOKEN_UNSET}@h/simple\n").unwrap();
        let file = RequirementsFile::read(&path).unwrap();
        assert_eq!(file.index_url.unwrap().0, "https://u:${WASMWHEEL_TEST_TOKEN_UNSET}@h/simple", "unset: as written");
        assert_eq!(expand_variables("a${PATH}b").len(), std::env::var("PATH").unwrap().len() + 2);
        assert_eq!(expand_variables("${lower} ${} ${"), "${lower} ${} ${");
    }
}
