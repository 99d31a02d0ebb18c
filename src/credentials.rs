//! Credentials for package indexes and mirrors, kept apart from the URLs they came in.
//!
//! An index URL may carry a user and a password (`https://user:TOKEN@host/simple`), and
//! `~/.netrc` (or `$NETRC`) may hold one for a host. A [`SecretUrl`] is such a URL parsed once
//! at the edge: the URL without its user information, which is all that is ever shown,
//! stored, hashed into a cache key or written into a lock, and the [`Credential`] beside it.
//! [`Credentials`] hands a credential only to a request for the same scheme, host and port
//! (its realm), as pip and uv do; a redirect to another host drops it.

use std::fmt;

use base64::Engine;
use base64::engine::general_purpose::STANDARD;

/// A user and a password, never shown: `Debug` and `Display` print `user:****`.
#[derive(Clone, PartialEq, Eq)]
pub struct Credential {
    username: String,
    password: Option<String>,
}

impl Credential {
    /// A credential (the password may be absent: a token given as the user name).
    pub fn new(username: impl Into<String>, password: Option<String>) -> Credential {
        Credential { username: username.into(), password }
    }

    /// The `Authorization` header's value: `Basic base64(user:password)`.
    pub fn authorization(&self) -> String {
        let pair = format!("{}:{}", self.username, self.password.as_deref().unwrap_or_default());
        format!("Basic {}", STANDARD.encode(pair))
    }
}

impl fmt::Debug for Credential {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        fmt::Display::fmt(self, f)
    }
}

impl fmt::Display for Credential {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match &self.password {
            Some(_) => write!(f, "{}:****", self.username),
            None => f.write_str("****"),
        }
    }
}

/// Why a URL cannot be used.
#[derive(Clone, Debug, PartialEq, Eq, thiserror::Error)]
#[non_exhaustive]
pub enum UrlError {
    /// Not a URL.
    #[error("`{0}` is not a URL")]
    Parse(String),
    /// A scheme wasmwheel does not fetch.
    #[error("{0}: only http and https URLs are fetched")]
    Scheme(String),
}

/// A URL whose user information (if any) is held apart: [`SecretUrl::public`] is the URL
/// without it, and `Display` shows `scheme://user:****@host/...` (the password never).
#[derive(Clone, PartialEq, Eq)]
pub struct SecretUrl {
    public: url::Url,
    credential: Option<Credential>,
}

impl SecretUrl {
    /// Parses an http(s) URL, taking its user information apart (percent-decoded).
    pub fn parse(text: &str) -> Result<SecretUrl, UrlError> {
        let mut url = url::Url::parse(text.trim()).map_err(|_| UrlError::Parse(redact(text)))?;
        if !matches!(url.scheme(), "http" | "https") {
            return Err(UrlError::Scheme(redact(text)));
        }
        let decode = |s: &str| percent_encoding::percent_decode_str(s).decode_utf8_lossy().into_owned();
        let credential = (!url.username().is_empty() || url.password().is_some())
            .then(|| Credential::new(decode(url.username()), url.password().map(decode)));
        // Neither can fail on an http(s) URL, which has a host.
        let _ = url.set_username("");
        let _ = url.set_password(None);
        Ok(SecretUrl { public: url, credential })
    }

    /// The URL without user information: what may be shown, stored and written.
    pub fn public(&self) -> &url::Url {
        &self.public
    }

    /// The credential it carried.
    pub fn credential(&self) -> Option<&Credential> {
        self.credential.as_ref()
    }
}

impl fmt::Display for SecretUrl {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match &self.credential {
            None => f.write_str(self.public.as_str()),
            Some(credential) => {
                let text = self.public.as_str();
                let (scheme, rest) = text.split_once("://").unwrap_or(("", text));
                write!(f, "{scheme}://{credential}@{rest}")
            }
        }
    }
}

impl fmt::Debug for SecretUrl {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        fmt::Display::fmt(self, f)
    }
}

/// A URL's realm: scheme, host and port (the default port spelled out).
fn realm(url: &url::Url) -> Option<(String, String, u16)> {
    Some((url.scheme().to_string(), url.host_str()?.to_ascii_lowercase(), url.port_or_known_default()?))
}

/// The credentials a run may send: those the URLs given carried, by realm, then `~/.netrc`
/// (or `$NETRC`) by host.
#[derive(Clone, Default)]
pub struct Credentials {
    explicit: Vec<((String, String, u16), Credential)>,
    netrc: Vec<(String, Credential)>,
}

impl fmt::Debug for Credentials {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        let hosts: Vec<String> = self.explicit.iter().map(|((s, h, p), _)| format!("{s}://{h}:{p}")).collect();
        f.debug_struct("Credentials").field("urls", &hosts).field("netrc_hosts", &self.netrc.len()).finish()
    }
}

impl Credentials {
    /// No credentials but `~/.netrc`'s (`$NETRC`'s), if it reads; one that does not is
    /// ignored, as pip ignores it.
    pub fn from_netrc() -> Credentials {
        let netrc = netrc::Netrc::new().map(|n| n.hosts).unwrap_or_default();
        let mut credentials = Credentials::default();
        for (host, auth) in netrc {
            let password = (!auth.password.is_empty()).then_some(auth.password);
            credentials.netrc.push((host.to_ascii_lowercase(), Credential::new(auth.login, password)));
        }
        credentials
    }

    /// Adds the credential `url` carries, for its realm.
    pub fn add(&mut self, url: &SecretUrl) {
        let (Some(credential), Some(realm)) = (url.credential(), realm(url.public())) else { return };
        self.explicit.retain(|(r, _)| *r != realm);
        self.explicit.push((realm, credential.clone()));
    }

    /// The credential for a request to `url`: one given for its realm, else the netrc entry of
    /// its host, else netrc's `default`.
    pub fn for_url(&self, url: &url::Url) -> Option<&Credential> {
        let realm = realm(url)?;
        if let Some((_, credential)) = self.explicit.iter().find(|(r, _)| *r == realm) {
            return Some(credential);
        }
        let by_host = |host: &str| self.netrc.iter().find(|(h, _)| h == host).map(|(_, c)| c);
        by_host(&realm.1).or_else(|| by_host("default"))
    }

    /// Whether a request to `url` would carry a credential.
    pub fn has(&self, url: &url::Url) -> bool {
        self.for_url(url).is_some()
    }
}

/// `text` with anything between `://` and the `@` before the host replaced by `****`: for
/// showing a URL that did not parse.
pub fn redact(text: &str) -> String {
    let Some((scheme, rest)) = text.split_once("://") else { return text.to_string() };
    let authority_end = rest.find(['/', '?', '#']).unwrap_or(rest.len());
    match rest[..authority_end].rfind('@') {
        Some(at) => format!("{scheme}://****{}", &rest[at..]),
        None => text.to_string(),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn user_information_is_held_apart_and_never_shown() {
        let url = SecretUrl::parse("https://alice:s%40cret@Index.Example:443/simple/").unwrap();
        assert_eq!(url.public().as_str(), "https://index.example/simple/");
        assert_eq!(url.to_string(), "https://alice:****@index.example/simple/");
        assert!(!format!("{url:?}").contains("cret"));
        assert_eq!(url.credential().unwrap().authorization(), format!("Basic {}", STANDARD.encode("alice:s@cret")));
        let token = SecretUrl::parse("https://TOKEN@host/simple").unwrap();
        assert_eq!(token.to_string(), "https://****@host/simple");
        assert!(matches!(SecretUrl::parse("file:///etc/passwd"), Err(UrlError::Scheme(_))));
        assert!(matches!(SecretUrl::parse("x:/name.whl"), Err(UrlError::Scheme(_))));
        assert_eq!(redact("http://u:TOKEN@h:1/x@y"), "http://****@h:1/x@y");
        assert_eq!(redact("nonsense"), "nonsense");
    }

    #[test]
    fn a_credential_goes_only_to_its_realm() {
        let mut credentials = Credentials::default();
        credentials.add(&SecretUrl::parse("http://u:p@127.0.0.1:8080/simple").unwrap());
        let at = |u: &str| credentials.for_url(&url::Url::parse(u).unwrap()).is_some();
        assert!(at("http://127.0.0.1:8080/files/x.whl"));
        assert!(!at("http://127.0.0.1:8081/files/x.whl"), "another port");
        assert!(!at("https://127.0.0.1:8080/files/x.whl"), "another scheme");
        assert!(!at("http://evil.example:8080/x.whl"), "another host");
    }
}
