//! The npm registry, over HTTPS with rustls: a package version's metadata, then its tarball,
//! checked against the `dist.integrity` (sha512) the registry gives for it. Certificates are
//! verified against the platform's trust store, as npm and curl do (a company proxy's CA
//! there is trusted too).

use base64::Engine;
use base64::engine::general_purpose::STANDARD;
use sha2::{Digest, Sha512};

use super::PyodideError;
use crate::http::Client;

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

    fn get(&self, url: &str, limit: u64) -> Result<Vec<u8>, PyodideError> {
        Ok(self.client.get(url, None, limit).map_err(PyodideError::Registry)?.body)
    }

    /// The tarball of `package` at `version`, verified against the registry's integrity.
    pub fn tarball(&self, package: &str, version: &str) -> Result<Vec<u8>, PyodideError> {
        let url = format!("{}/{package}/{version}", self.base);
        let metadata: VersionMetadata =
            serde_json::from_slice(&self.get(&url, 16 << 20)?).map_err(|_| PyodideError::Metadata(url.clone()))?;
        let bytes = self.get(&metadata.dist.tarball, MAX_TARBALL)?;
        verify_integrity(&bytes, &metadata.dist.integrity)?;
        Ok(bytes)
    }
}

/// Checks `bytes` against a Subresource Integrity string (`sha512-<base64>`, maybe several,
/// space-separated): at least one sha512 must be given and match.
pub fn verify_integrity(bytes: &[u8], integrity: &str) -> Result<(), PyodideError> {
    let actual = STANDARD.encode(Sha512::digest(bytes));
    let mut sha512 = integrity.split_whitespace().filter_map(|h| h.strip_prefix("sha512-")).peekable();
    if sha512.peek().is_none() {
        return Err(PyodideError::Integrity(integrity.to_string()));
    }
    if sha512.any(|expected| expected.split('?').next() == Some(actual.as_str())) {
        Ok(())
    } else {
        Err(PyodideError::Integrity(integrity.to_string()))
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
