//! The errors that stop wasmwheel from working on an input: each renders as one line that
//! names the file and the problem, and maps to exit status 2.

/// An input or usage error.
#[derive(Debug, thiserror::Error)]
pub enum Error {
    /// A file that cannot be read or is not what it must be.
    #[error("{path}: {message}")]
    Input {
        /// The file, as the user named it.
        path: String,
        /// What is wrong, on one line.
        message: String,
    },
    /// Arguments that do not make sense together.
    #[error("{0}")]
    Usage(String),
}

impl Error {
    /// An input error about `path`; line breaks in `message` are folded so it stays one line.
    pub fn input(path: impl std::fmt::Display, message: impl std::fmt::Display) -> Error {
        let message = message.to_string().split_whitespace().collect::<Vec<_>>().join(" ");
        Error::Input { path: path.to_string(), message }
    }
}

/// Shorthand for results whose error is [`Error`].
pub type Result<T, E = Error> = std::result::Result<T, E>;
