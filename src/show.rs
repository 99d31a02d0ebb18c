//! `show`: what is in a wheel or a bare binary, without judging it.

use std::path::Path;

use crate::error::Result;
use crate::report::WheelReport;
use crate::wheel::{self, Wheel};

/// Whether `path` names a wheel (by its extension) rather than a bare binary.
pub fn is_wheel_path(path: &Path) -> bool {
    path.extension().is_some_and(|e| e.eq_ignore_ascii_case("whl"))
}

/// Reports the contents of a wheel, or of a bare `.so`/`.wasm` file.
pub fn show(path: &Path) -> Result<WheelReport> {
    if is_wheel_path(path) {
        Ok(WheelReport::new(&Wheel::open(path)?))
    } else {
        let binary = wheel::open_binary(path)?;
        Ok(WheelReport::bare(&path.display().to_string(), &binary))
    }
}
