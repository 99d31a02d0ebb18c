//! Progress of long work, reported through a callback the caller gives (the command line
//! draws bars on a terminal; a library user may log, or ignore it). Nothing here knows about
//! terminals.

use std::sync::Arc;

/// A step of long work.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
#[non_exhaustive]
pub enum Event<'a> {
    /// Wheels worked on: `done` of `total`.
    Wheels {
        /// How many are done.
        done: u64,
        /// How many in all.
        total: u64,
    },
    /// A large download: `done` bytes of `total` of the file `name` (its URL's last part).
    Download {
        /// The file.
        name: &'a str,
        /// Bytes so far.
        done: u64,
        /// Bytes in all.
        total: u64,
    },
    /// A line a run printed as it ran (a job that streams its output: pytest's).
    Output {
        /// Where it ran (`314.0.7`).
        source: &'a str,
        /// `stdout` or `stderr`.
        stream: &'a str,
        /// The line, without its newline.
        line: &'a str,
    },
}

/// The callback progress goes to.
type Callback = dyn Fn(Event<'_>) + Send + Sync;

/// Where progress goes: a callback, or nowhere.
#[derive(Clone, Default)]
pub struct Progress(Option<Arc<Callback>>);

impl std::fmt::Debug for Progress {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str(if self.0.is_some() { "Progress(callback)" } else { "Progress(none)" })
    }
}

impl Progress {
    /// Progress that goes to `callback`.
    pub fn new(callback: impl Fn(Event<'_>) + Send + Sync + 'static) -> Progress {
        Progress(Some(Arc::new(callback)))
    }

    /// Progress that goes nowhere.
    pub fn none() -> Progress {
        Progress(None)
    }

    /// Reports `event`.
    pub fn report(&self, event: Event<'_>) {
        if let Some(callback) = &self.0 {
            callback(event);
        }
    }

    /// Whether anyone listens (work may skip counting when no one does).
    pub fn is_listening(&self) -> bool {
        self.0.is_some()
    }
}
