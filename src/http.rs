//! The one HTTP client every download goes through (the npm registry, package indexes, a
//! release's package URL): HTTPS with rustls, certificates verified against the platform's
//! trust store as pip, npm and curl do; bounded bodies; a progress bar on stderr for long
//! downloads when stderr is a terminal.

use std::io::{IsTerminal, Read};
use std::time::Duration;

/// Downloads bigger than this show a progress bar (on a terminal).
const PROGRESS_FROM: u64 = 4 << 20;

/// Why a download failed.
#[derive(Debug, thiserror::Error)]
#[non_exhaustive]
pub enum HttpError {
    /// The server could not be reached, refused, or answered with an error status.
    #[error("{url}")]
    Get {
        /// What was asked.
        url: String,
        /// Why it failed.
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

impl HttpError {
    /// The HTTP status the server answered with, if it answered with an error status.
    pub fn status(&self) -> Option<u16> {
        match self {
            HttpError::Get { source, .. } => match source.as_ref() {
                ureq::Error::StatusCode(code) => Some(*code),
                _ => None,
            },
            HttpError::TooLarge { .. } => None,
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

/// An HTTP client.
#[derive(Clone, Debug)]
pub struct Client {
    agent: ureq::Agent,
}

impl Default for Client {
    fn default() -> Self {
        Client::new()
    }
}

impl Client {
    /// A client with a five-minute limit per request.
    pub fn new() -> Client {
        let tls = ureq::tls::TlsConfig::builder().root_certs(ureq::tls::RootCerts::PlatformVerifier).build();
        let config = ureq::Agent::config_builder()
            .tls_config(tls)
            .timeout_global(Some(Duration::from_secs(300)))
            .user_agent(concat!("wasmwheel/", env!("CARGO_PKG_VERSION")))
            .build();
        Client { agent: ureq::Agent::new_with_config(config) }
    }

    /// GETs `url` (with `accept`, if given); at most `limit` bytes of body.
    pub fn get(&self, url: &str, accept: Option<&str>, limit: u64) -> Result<Answer, HttpError> {
        let failed = |source| HttpError::Get { url: url.to_string(), source: Box::new(source) };
        let mut request = self.agent.get(url);
        if let Some(accept) = accept {
            request = request.header("Accept", accept);
        }
        let mut response = request.call().map_err(failed)?;
        let header = |name: &str| response.headers().get(name).and_then(|v| v.to_str().ok()).map(str::to_string);
        let content_type =
            header("content-type").unwrap_or_default().split(';').next().unwrap_or_default().trim().to_lowercase();
        let max_age = header("cache-control").and_then(|c| max_age(&c));
        let length = header("content-length").and_then(|l| l.parse::<u64>().ok());
        if length.is_some_and(|l| l > limit) {
            return Err(HttpError::TooLarge { url: url.to_string(), limit });
        }
        let reader = response.body_mut().with_config().limit(limit).reader();
        let body = read_with_progress(reader, length, url).map_err(|e| failed(ureq::Error::Io(e)))?;
        Ok(Answer { body, content_type, max_age })
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

/// Reads `reader` whole, with a progress bar on stderr for a long download on a terminal.
fn read_with_progress(mut reader: impl Read, length: Option<u64>, url: &str) -> std::io::Result<Vec<u8>> {
    let mut body = Vec::with_capacity(length.unwrap_or(0).min(64 << 20) as usize);
    let long = length.is_some_and(|l| l >= PROGRESS_FROM);
    if !long || !std::io::stderr().is_terminal() {
        reader.read_to_end(&mut body)?;
        return Ok(body);
    }
    let bar = indicatif::ProgressBar::new(length.unwrap_or(0));
    if let Ok(style) = indicatif::ProgressStyle::with_template("{msg} {bar:30} {bytes}/{total_bytes} {elapsed}") {
        bar.set_style(style);
    }
    bar.set_message(url.rsplit('/').next().unwrap_or(url).to_string());
    bar.wrap_read(reader).read_to_end(&mut body)?;
    bar.finish_and_clear();
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
}
