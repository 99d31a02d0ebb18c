//! npm packages: the registry, over HTTPS with rustls (a package version's metadata, then its
//! tarball, checked against the `dist.integrity` (sha512) the registry gives for it;
//! certificates verified against the platform's trust store, as npm and curl do), and the
//! packages unpacked in the cache, recorded and checked ([`store`]). Pyodide releases and the
//! playwright-core that drives the browser are both fetched, checked and kept this way.

pub mod store;

use std::path::PathBuf;

use base64::Engine;
use base64::engine::general_purpose::STANDARD;
use sha2::{Digest, Sha512};

use crate::http::Client;

/// Why an npm package cannot be had.
#[derive(Debug, thiserror::Error)]
#[non_exhaustive]
pub enum NpmError {
    /// The registry could not be reached or refused.
    #[error("the npm registry")]
    Registry(#[source] crate::http::HttpError),
    /// The registry's answer is not what npm serves.
    #[error("the npm registry's answer for {0} has no dist.tarball and dist.integrity")]
    Metadata(String),
    /// The downloaded tarball is not the one the registry vouches for.
    #[error("the tarball's sha512 is not the registry's dist.integrity ({0}); not used")]
    Integrity(String),
    /// A tarball that does not unpack, or holds an entry outside `package/`.
    #[error("not an npm package tarball")]
    Tarball(#[source] std::io::Error),
    /// A file of the cache that cannot be read or written (the error names it).
    #[error(transparent)]
    Fs(#[from] std::io::Error),
    /// A folder of the cache that cannot be used.
    #[error("{}", path.display())]
    Io {
        /// The file.
        path: PathBuf,
        /// Why.
        #[source]
        source: std::io::Error,
    },
    /// The cached package changed since it was unpacked, and fetching it again is forbidden.
    #[error("the cached package at {} is damaged ({why}), and --offline forbids fetching it again", dir.display())]
    Damaged {
        /// Its folder.
        dir: PathBuf,
        /// What changed.
        why: String,
    },
    /// Not cached, and fetching is forbidden.
    #[error("not in the cache ({0}), and --offline forbids fetching it")]
    Offline(PathBuf),
}

/// The most a tarball may weigh (Pyodide's are about 6 MB).
const MAX_TARBALL: u64 = 512 << 20;

/// An npm registry.
#[derive(Clone, Debug)]
pub struct Registry {
    base: String,
    client: Client,
}

/// What the registry says of one version.
#[derive(serde::Deserialize)]
struct VersionMetadata {
    dist: Dist,
}

#[derive(serde::Deserialize)]
struct Dist {
    tarball: String,
    integrity: String,
}

impl Registry {
    /// The registry at `base` (`https://registry.npmjs.org`), asked through `client`.
    pub fn new(base: &str, client: Client) -> Registry {
        Registry { base: base.trim_end_matches('/').to_string(), client }
    }

    /// `$WASMWHEEL_NPM_REGISTRY` (a mirror), else the public registry.
    pub fn from_env(client: Client) -> Registry {
        let base = std::env::var("WASMWHEEL_NPM_REGISTRY").ok().filter(|v| !v.is_empty());
        Registry::new(base.as_deref().unwrap_or("https://registry.npmjs.org"), client)
    }

    fn get(&self, url: &str, limit: u64) -> Result<Vec<u8>, NpmError> {
        Ok(self.client.get(url, None, limit).map_err(NpmError::Registry)?.body)
    }

    /// The tarball of `package` at `version`, verified against the registry's integrity.
    pub fn tarball(&self, package: &str, version: &str) -> Result<Vec<u8>, NpmError> {
        let url = format!("{}/{package}/{version}", self.base);
        let metadata: VersionMetadata =
            serde_json::from_slice(&self.get(&url, 16 << 20)?).map_err(|_| NpmError::Metadata(url.clone()))?;
        let bytes = self.get(&metadata.dist.tarball, MAX_TARBALL)?;
        verify_integrity(&bytes, &metadata.dist.integrity)?;
        Ok(bytes)
    }
}

/// Checks `bytes` against a Subresource Integrity string (`sha512-<base64>`, maybe several,
/// space-separated): at least one sha512 must be given and match.
pub fn verify_integrity(bytes: &[u8], integrity: &str) -> Result<(), NpmError> {
    let actual = STANDARD.encode(Sha512::digest(bytes));
    let mut sha512 = integrity.split_whitespace().filter_map(|h| h.strip_prefix("sha512-")).peekable();
    if sha512.peek().is_none() {
        return Err(NpmError::Integrity(integrity.to_string()));
    }
    if sha512.any(|expected| expected.split('?').next() == Some(actual.as_str())) {
        Ok(())
    } else {
        Err(NpmError::Integrity(integrity.to_string()))
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn integrity_is_sha512_of_the_bytes() {
        let good = format!("sha512-{}", STANDARD.encode(Sha512::digest(b"tarball")));
        assert!(verify_integrity(b"tarball", &good).is_ok());
        assert!(verify_integrity(b"tampered", &good).is_err());
        assert!(verify_integrity(b"tarball", "sha1-abc").is_err(), "only sha512 is trusted");
        assert!(verify_integrity(b"tarball", &format!("sha1-x {good}")).is_ok());
    }
}
