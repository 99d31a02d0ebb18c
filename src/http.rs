//! The one HTTP client every download goes through (the npm registry, package indexes, a
//! release's package URL): HTTPS with rustls, certificates verified against the platform's
//! trust store as pip, npm and curl do; only http and https; bounded bodies; a time limit on
//! connecting and on every read (`--http-timeout`, `WASMWHEEL_HTTP_TIMEOUT`, 30 s by default),
//! a few tries with a growing pause on resets, time-outs and 5xx answers; credentials sent
//! only to their realm ([`crate::credentials`]), never in a URL; the progress of long downloads
//! reported to the caller's [`Progress`].

use std::io::Read;
use std::sync::Arc;
use std::time::Duration;

use crate::credentials::{Credentials, SecretUrl, UrlError};
use crate::progress::{Event, Progress};

/// Downloads bigger than this report their progress.
const PROGRESS_FROM: u64 = 4 << 20;

/// How long a request may go without data by default, in seconds (uv's figure).
pub const DEFAULT_TIMEOUT: u64 = 30;

/// How many times a request is tried again after a reset, a time-out or a 5xx answer.
pub const DEFAULT_RETRIES: u32 = 3;

/// The pause before the first retry; it doubles for each one after.
const FIRST_PAUSE: Duration = Duration::from_millis(500);

/// Why a download failed, in words, naming the URL (without credentials).
#[derive(Debug, thiserror::Error)]
#[non_exhaustive]
pub enum HttpError {
    /// A URL that cannot be fetched.
    #[error(transparent)]
    Url(#[from] UrlError),
    /// The server answered with an error status.
    #[error("{url}: the server answered HTTP {status}{hint}{}", tried(*.tries))]
    Status {
        /// What was asked.
        url: String,
        /// The status.
        status: u16,
        /// What to do about it, if anything.
        hint: &'static str,
        /// How many times it was asked.
        tries: u32,
    },
    /// No data within the time limit.
    #[error(
        "{url}: no answer for {seconds} s{} (--http-timeout or WASMWHEEL_HTTP_TIMEOUT allows longer)",
        tried(*.tries)
    )]
    Timeout {
        /// What was asked.
        url: String,
        /// The limit.
        seconds: u64,
        /// How many times it was asked.
        tries: u32,
    },
    /// The server could not be reached, or the connection broke.
    #[error("{url}: could not be fetched{}", tried(*.tries))]
    Transport {
        /// What was asked.
        url: String,
        /// How many times it was asked.
        tries: u32,
        /// Why.
        #[source]
        source: Box<ureq::Error>,
    },
    /// The answer is larger than it may be.
    #[error("{url}: the answer is larger than {limit} bytes")]
    TooLarge {
        /// What was asked.
        url: String,
        /// The limit.
        limit: u64,
    },
}

fn tried(tries: u32) -> String {
    if tries > 1 { format!(" (tried {tries} times)") } else { String::new() }
}

impl HttpError {
    /// The HTTP status the server answered with, if it answered with an error status.
    pub fn status(&self) -> Option<u16> {
        match self {
            HttpError::Status { status, .. } => Some(*status),
            _ => None,
        }
    }
}

/// An answer: its body, its content type, how long it may be reused.
#[derive(Clone, Debug)]
pub struct Answer {
    /// The body.
    pub body: Vec<u8>,
    /// `Content-Type`, without parameters, lowercased.
    pub content_type: String,
    /// `Cache-Control: max-age`, if given.
    pub max_age: Option<u64>,
}

/// How patient the client is.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct HttpSettings {
    /// How long connecting, or any one read, may take.
    pub timeout: Duration,
    /// How many times a failed request is tried again.
    pub retries: u32,
}

impl Default for HttpSettings {
    fn default() -> Self {
        HttpSettings { timeout: Duration::from_secs(DEFAULT_TIMEOUT), retries: DEFAULT_RETRIES }
    }
}

/// `WASMWHEEL_HTTP_TIMEOUT` that is not a number of seconds.
#[derive(Clone, Debug, PartialEq, Eq, thiserror::Error)]
#[error("WASMWHEEL_HTTP_TIMEOUT={0}: not a whole number of seconds above 0")]
pub struct SettingsError(pub String);

impl HttpSettings {
    /// `seconds` (the flag), else `$WASMWHEEL_HTTP_TIMEOUT`, else 30 s.
    pub fn from_env(seconds: Option<u64>) -> Result<HttpSettings, SettingsError> {
        let from_env = match std::env::var("WASMWHEEL_HTTP_TIMEOUT") {
            Ok(text) if !text.trim().is_empty() => {
                Some(text.trim().parse::<u64>().ok().filter(|s| *s > 0).ok_or(SettingsError(text))?)
            }
            _ => None,
        };
        let seconds = seconds.or(from_env).unwrap_or(DEFAULT_TIMEOUT).max(1);
        Ok(HttpSettings { timeout: Duration::from_secs(seconds), ..HttpSettings::default() })
    }
}

/// An HTTP client.
#[derive(Clone, Debug)]
pub struct Client {
    agent: ureq::Agent,
    settings: HttpSettings,
    credentials: Arc<Credentials>,
    progress: Progress,
}

impl Default for Client {
    fn default() -> Self {
        Client::new(HttpSettings::default(), Credentials::from_netrc())
    }
}

/// What one try gave: an answer, or an error and whether trying again may help.
enum Try {
    Done(Result<Answer, HttpError>),
    Again(HttpError),
}

impl Client {
    /// A client with `settings` that sends `credentials` to their realms.
    pub fn new(settings: HttpSettings, credentials: Credentials) -> Client {
        let tls = ureq::tls::TlsConfig::builder().root_certs(ureq::tls::RootCerts::PlatformVerifier).build();
        let config = ureq::Agent::config_builder()
            .tls_config(tls)
            .timeout_connect(Some(settings.timeout))
            .timeout_recv_response(Some(settings.timeout))
            .timeout_per_read(Some(settings.timeout))
            .timeout_per_write(Some(settings.timeout))
            // A credential follows a redirect on its own host only.
            .redirect_auth_headers(ureq::config::RedirectAuthHeaders::SameHost)
            .http_status_as_error(false)
            .user_agent(concat!("wasmwheel/", env!("CARGO_PKG_VERSION")))
            .build();
        Client {
            agent: ureq::Agent::new_with_config(config),
            settings,
            credentials: Arc::new(credentials),
            progress: Progress::none(),
        }
    }

    /// The same client, reporting the progress of long downloads to `progress`.
    pub fn with_progress(mut self, progress: Progress) -> Client {
        self.progress = progress;
        self
    }

    /// Its settings.
    pub fn settings(&self) -> HttpSettings {
        self.settings
    }

    /// Its credentials.
    pub fn credentials(&self) -> &Credentials {
        &self.credentials
    }

    /// GETs `url` (with `accept`, if given); at most `limit` bytes of body. A credential in
    /// `url` itself is used for this request; otherwise the client's for its realm.
    pub fn get(&self, url: &str, accept: Option<&str>, limit: u64) -> Result<Answer, HttpError> {
        let url = SecretUrl::parse(url)?;
        let mut pause = FIRST_PAUSE;
        let mut tries = 0;
        loop {
            tries += 1;
            match self.try_get(&url, accept, limit, tries) {
                Try::Done(result) => return result,
                Try::Again(error) if tries > self.settings.retries => return Err(error),
                Try::Again(_) => {
                    std::thread::sleep(pause);
                    pause *= 2;
                }
            }
        }
    }

    fn try_get(&self, url: &SecretUrl, accept: Option<&str>, limit: u64, tries: u32) -> Try {
        let public = url.public().as_str().to_string();
        let seconds = self.settings.timeout.as_secs();
        let failed = |source: ureq::Error| match source {
            ureq::Error::Timeout(_) | ureq::Error::BodyStalled => {
                Try::Again(HttpError::Timeout { url: public.clone(), seconds, tries })
            }
            ureq::Error::Io(e)
                if e.kind() == std::io::ErrorKind::TimedOut || e.kind() == std::io::ErrorKind::WouldBlock =>
            {
                Try::Again(HttpError::Timeout { url: public.clone(), seconds, tries })
            }
            e @ (ureq::Error::Io(_) | ureq::Error::ConnectionFailed | ureq::Error::Protocol(_)) => {
                Try::Again(HttpError::Transport { url: public.clone(), tries, source: Box::new(e) })
            }
            e => Try::Done(Err(HttpError::Transport { url: public.clone(), tries, source: Box::new(e) })),
        };
        let mut request = self.agent.get(url.public().as_str());
        if let Some(accept) = accept {
            request = request.header("Accept", accept);
        }
        let credential = url.credential().or_else(|| self.credentials.for_url(url.public()));
        if let Some(credential) = credential {
            request = request.header("Authorization", credential.authorization());
        }
        let mut response = match request.call() {
            Ok(response) => response,
            Err(e) => return failed(e),
        };
        let status = response.status().as_u16();
        if status >= 400 {
            let error =
                HttpError::Status { url: public.clone(), status, hint: hint(status, credential.is_some()), tries };
            return if status >= 500 || status == 429 { Try::Again(error) } else { Try::Done(Err(error)) };
        }
        let header = |name: &str| response.headers().get(name).and_then(|v| v.to_str().ok()).map(str::to_string);
        let content_type =
            header("content-type").unwrap_or_default().split(';').next().unwrap_or_default().trim().to_lowercase();
        let max_age = header("cache-control").and_then(|c| max_age(&c));
        let length = header("content-length").and_then(|l| l.parse::<u64>().ok());
        if length.is_some_and(|l| l > limit) {
            return Try::Done(Err(HttpError::TooLarge { url: public, limit }));
        }
        let reader = response.body_mut().with_config().limit(limit).reader();
        match read_with_progress(reader, length, &public, &self.progress).map_err(ureq::Error::from) {
            Ok(body) => Try::Done(Ok(Answer { body, content_type, max_age })),
            Err(ureq::Error::BodyExceedsLimit(_)) => Try::Done(Err(HttpError::TooLarge { url: public, limit })),
            Err(e) => failed(e),
        }
    }
}

/// What an error status asks of the user.
fn hint(status: u16, sent_credentials: bool) -> &'static str {
    match (status, sent_credentials) {
        (401 | 403, false) => " (it wants credentials: give them in the index URL or ~/.netrc)",
        (401 | 403, true) => " (it refused the credentials given)",
        _ => "",
    }
}

/// `max-age=N` of a `Cache-Control` header (`no-cache`, `no-store`: 0).
fn max_age(header: &str) -> Option<u64> {
    let mut age = None;
    for part in header.split(',').map(str::trim) {
        if part.eq_ignore_ascii_case("no-cache") || part.eq_ignore_ascii_case("no-store") {
            return Some(0);
        }
        if let Some(value) = part.strip_prefix("max-age=") {
            age = value.trim().parse().ok();
        }
    }
    age
}

/// Reads `reader` whole, reporting the progress of a long download.
fn read_with_progress(
    mut reader: impl Read,
    length: Option<u64>,
    url: &str,
    progress: &Progress,
) -> std::io::Result<Vec<u8>> {
    let mut body = Vec::with_capacity(length.unwrap_or(0).min(64 << 20) as usize);
    let total = length.filter(|l| *l >= PROGRESS_FROM && progress.is_listening());
    let Some(total) = total else {
        reader.read_to_end(&mut body)?;
        return Ok(body);
    };
    let name = url.rsplit('/').next().unwrap_or(url);
    let mut chunk = vec![0; 256 << 10];
    loop {
        let read = reader.read(&mut chunk)?;
        if read == 0 {
            break;
        }
        body.extend_from_slice(&chunk[..read]);
        progress.report(Event::Download { name, done: body.len() as u64, total });
    }
    Ok(body)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn max_age_is_read_from_cache_control() {
        assert_eq!(max_age("max-age=600, public"), Some(600));
        assert_eq!(max_age("public, no-cache"), Some(0));
        assert_eq!(max_age("public"), None);
    }

    #[test]
    fn only_http_is_fetched() {
        let client = Client::new(HttpSettings::default(), Credentials::default());
        for url in ["file:///etc/passwd", "x:/name.whl", "name.whl"] {
            assert!(matches!(client.get(url, None, 10), Err(HttpError::Url(_))), "{url}");
        }
    }
}
