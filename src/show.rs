//! `show`: what is in a wheel or a bare binary, without judging it.

use std::path::Path;

use crate::audit;
use crate::report::WheelReport;
use crate::wheel::{self, BinaryFileError, Wheel, WheelError};

/// Why a file cannot be shown.
#[derive(Debug, thiserror::Error)]
#[non_exhaustive]
pub enum ShowError {
    /// A wheel that cannot be read.
    #[error(transparent)]
    Wheel(#[from] WheelError),
    /// A bare file that is not a binary wasmwheel reads.
    #[error(transparent)]
    Binary(#[from] BinaryFileError),
}

/// Whether `path` names a wheel (by its extension) rather than a bare binary.
pub fn is_wheel_path(path: &Path) -> bool {
    path.extension().is_some_and(|e| e.eq_ignore_ascii_case("whl"))
}

/// Reports the contents of a wheel, or of a bare `.so`/`.wasm` file; for a wheel, with the
/// findings that need no platform policy (an unsafe archive, unreadable dist-info files,
/// binaries that do not belong).
pub fn show(path: &Path) -> Result<WheelReport, ShowError> {
    if is_wheel_path(path) {
        let wheel = Wheel::open(path)?;
        let mut findings = audit::local_findings(&wheel, audit::family_of(wheel.filename.platform_tags()));
        audit::sort_findings(&mut findings);
        let mut report = WheelReport::new(&wheel);
        report.findings = Some(findings);
        Ok(report)
    } else {
        let binary = wheel::open_binary(path)?;
        Ok(WheelReport::bare(&path.display().to_string(), &binary))
    }
}
